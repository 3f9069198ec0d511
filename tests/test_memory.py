"""The daemon's own memory: deferred imports (``lazymod``) and heap trimming (``heap``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import trio
import trio.testing

from memcached_py import heap, lazymod
from memcached_py.cli import defer_unused_modules
from memcached_py.settings import Settings
from tests.servers import REPO_ROOT


def run_python(code: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_deferred_module_loads_on_first_attribute_and_is_shared() -> None:
    out = run_python(
        """
        import sys
        from memcached_py import lazymod
        assert lazymod.defer("colorsys")
        import colorsys as early
        assert not lazymod.is_loaded("colorsys")
        assert "colorsys" in sys.modules
        rgb = early.hsv_to_rgb(0.0, 0.0, 1.0)  # first attribute: loads the module
        assert lazymod.is_loaded("colorsys")
        import colorsys as late
        assert late is sys.modules["colorsys"] and late is not early
        assert early.hsv_to_rgb is late.hsv_to_rgb and early.__file__ == late.__file__
        assert not lazymod.defer("colorsys")  # already imported: left alone
        print(rgb)
        """
    )
    assert out == "(1.0, 1.0, 1.0)"


def test_deferred_module_that_fails_to_import_stays_deferred() -> None:
    out = run_python(
        """
        import sys
        from memcached_py import lazymod
        assert lazymod.defer("no_such_module_here")
        import no_such_module_here as m
        for _ in range(2):
            try:
                m.anything
            except ModuleNotFoundError:
                print("raised")
        assert sys.modules["no_such_module_here"] is m
        """
    )
    assert out == "raised\nraised"


def test_daemon_import_leaves_openssl_and_idna_unloaded_without_tls_and_auth() -> None:
    out = run_python(
        """
        import sys
        from memcached_py import lazymod
        from memcached_py.cli import defer_unused_modules
        from memcached_py.settings import Settings
        print(defer_unused_modules(Settings()))
        import memcached_py.daemon
        print(lazymod.is_loaded("hmac"), "_hashlib" in sys.modules, lazymod.is_loaded("idna"))
        """
    )
    assert out.splitlines() == ["['idna', 'ssl', 'hmac']", "False False False"]


def test_daemon_import_leaves_ssl_unloaded_without_tls() -> None:
    out = run_python(
        """
        import sys
        from memcached_py import lazymod
        from memcached_py.cli import defer_unused_modules
        from memcached_py.settings import Settings
        defer_unused_modules(Settings())
        import memcached_py.daemon
        print(lazymod.is_loaded("ssl"), "_ssl" in sys.modules)
        """
    )
    assert out == "False False"


@pytest.mark.parametrize(
    ("settings", "deferred"),
    [("auth_file='/some/file'", "['idna', 'ssl']"), ("enable_ssl=True", "['idna', 'hmac']")],
)
def test_features_that_are_on_are_not_deferred(settings: str, deferred: str) -> None:
    out = run_python(
        f"""
        from memcached_py.cli import defer_unused_modules
        from memcached_py.settings import Settings
        print(defer_unused_modules(Settings({settings})))
        """
    )
    assert out == deferred


def test_defer_unused_modules_in_process_defers_nothing_already_imported() -> None:
    import hmac  # noqa: F401
    import ssl  # noqa: F401

    assert defer_unused_modules(Settings()) == []
    assert lazymod.is_loaded("ssl") and lazymod.is_loaded("hmac")


@pytest.mark.skipif(not heap.available(), reason="needs glibc malloc_trim")
def test_trim_returns_freed_heap_to_the_os() -> None:
    out = run_python(
        """
        import ctypes
        from memcached_py import heap
        libc = ctypes.CDLL(None)
        libc.mallopt(-1, 64 << 20)  # M_TRIM_THRESHOLD: free() alone keeps the memory
        def anon_kb():
            for line in open("/proc/self/status"):
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        blocks = [bytes(4000) for _ in range(4000)]  # 16 MB on the C heap (> 512 B)
        pin = bytes(4000)  # keeps the freed blocks below the heap's top
        before = anon_kb()
        del blocks
        freed = anon_kb()
        released = heap.trim()
        print(before - freed < 4000, released, freed - anon_kb() > 12000)
        """
    )
    assert out == "True True True"


def test_trim_forever_trims_every_interval() -> None:
    calls: list[float] = []

    async def main() -> None:
        with trio.move_on_after(3.5):
            await heap.trim_forever(1.0, lambda: calls.append(trio.current_time()))

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
    assert calls == [1.0, 2.0, 3.0]


def test_resolving_listen_addresses_leaves_the_idna_codec_unloaded() -> None:
    out = run_python(
        """
        import sys
        from memcached_py.listen import parse_listen_entry, resolve
        print(resolve(parse_listen_entry("localhost", 11211))[0][0] > 0)
        print("encodings.idna" in sys.modules)
        """
    )
    assert out.splitlines() == ["True", "False"]


def test_lookup_name_passes_ascii_names_as_bytes() -> None:
    from memcached_py.listen import lookup_name

    assert lookup_name("") is None
    assert lookup_name("127.0.0.1") == b"127.0.0.1"
    assert lookup_name("bücher.example") == "bücher.example"  # getaddrinfo IDNA-encodes it
