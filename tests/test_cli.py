"""The command line: memcached's flags -> Settings, refusals, -h/-V, --config.

Refusals are checked three ways: ``build_settings`` raising ``UsageError``
with memcached's exit code and key words, a few through a real
``python -m memcached_py`` process (which must refuse before importing the
daemon), and a differential test against the reference ``memcached``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from memcached_py import PROTOCOL_VERSION, __version__, cli
from memcached_py.cli import InfoRequest, UsageError, build_settings
from memcached_py.settings import KILOBYTE, MEGABYTE, Settings, field_names
from tests.servers import REPO_ROOT, free_port, reference_binary

AS_ROOT = os.geteuid() == 0 or os.getuid() == 0


@pytest.fixture(autouse=True)
def not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests behave as a normal user unless a test says otherwise."""
    monkeypatch.setattr(cli, "_running_as_root", lambda: False)


def build(*argv: str, environ: dict[str, str] | None = None) -> Settings:
    return build_settings(list(argv), {} if environ is None else environ)


def refused(*argv: str, environ: dict[str, str] | None = None) -> UsageError:
    with pytest.raises(UsageError) as info:
        build(*argv, environ=environ)
    return info.value


# --------------------------------------------------------------------------
# defaults and flags


def test_defaults() -> None:
    s = build()
    assert s == Settings()
    assert s.listen == ("127.0.0.1",)
    assert s.port == 11211 and s.serves_tcp


def test_flags_map_to_fields() -> None:
    s = build(
        "-p", "-1", "-c", "10", "-t", "1", "-m", "128", "-I", "2m", "-f", "1.5", "-n", "64",
        "-R", "5", "-b", "16", "-B", "ascii", "-A", "-M", "-C", "-F", "-X", "-W", "-k", "-r",
        "-L", "-d", "-P", "/tmp/x.pid", "-D", "#", "-vv", "-u", "nobody",
    )  # fmt: skip
    assert s.port == -1
    assert s.conn_limit == 10 and s.threads == 1
    assert s.memory_limit == 128 * MEGABYTE and s.max_item_size == 2 * MEGABYTE
    assert s.slab_growth_factor == 1.5 and s.slab_min_size == 64
    assert s.max_reqs_per_event == 5 and s.listen_backlog == 16 and s.protocol == "ascii"
    assert s.enable_shutdown and s.disable_evictions and s.disable_cas
    assert s.disable_flush_all and s.disable_dumping and s.disable_watch
    assert s.lock_memory and s.enable_coredumps and s.enable_largepages
    assert s.daemon and s.pidfile == "/tmp/x.pid" and s.user == "nobody"
    assert s.stats_prefix_delimiter == "#" and s.detail_enabled
    assert s.verbose == 2


def test_long_options() -> None:
    s = build("--port=1234", "--conn-limit", "7", "--memory-limit=32", "--max-item-size=512k")
    assert (s.port, s.conn_limit, s.memory_limit, s.max_item_size) == (
        1234,
        7,
        32 * MEGABYTE,
        512 * KILOBYTE,
    )


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("64", 64 * MEGABYTE),
        ("64m", 64 * MEGABYTE),
        ("64M", 64 * MEGABYTE),
        ("2g", 2048 * MEGABYTE),
    ],
)
def test_memory_limit_units(arg: str, expected: int) -> None:
    assert build("-m", arg).memory_limit == expected


@pytest.mark.parametrize(
    ("arg", "expected"),
    [("1m", MEGABYTE), ("1048576", MEGABYTE), ("512k", 512 * KILOBYTE), ("2M", 2 * MEGABYTE)],
)
def test_item_size_units(arg: str, expected: int) -> None:
    assert build("-I", arg).max_item_size == expected


def test_verbose_levels() -> None:
    assert build("-v").verbose == 1
    assert build("-vvv").verbose == 3
    assert build("-v", "-v").verbose == 2


def test_unix_socket_and_mask() -> None:
    s = build("-s", "/tmp/mc.sock", "-a", "755")
    assert s.unix_socket == "/tmp/mc.sock" and s.unix_mask == 0o755
    assert not s.serves_tcp
    assert refused("-a", "888").exit_code == 64


def test_udp_is_accepted_reported_as_zero_and_warned(capsys: pytest.CaptureFixture[str]) -> None:
    s = build("-U", "11311")
    assert s.udp_port == 0
    assert s.port == 11311  # memcached: -U alone moves TCP to the same port
    err = capsys.readouterr().err
    assert err.count("UDP") == 1
    assert build("-p", "5000", "-U", "6000").port == 5000
    capsys.readouterr()
    build("-U", "0")
    assert capsys.readouterr().err == ""


def test_threads_accepted() -> None:
    assert build("-t", "64").threads == 64


def test_memory_file_accepted_with_warning(capsys: pytest.CaptureFixture[str]) -> None:
    assert build("-e", "/dev/shm/x").memory_file == "/dev/shm/x"
    assert "not implemented" in capsys.readouterr().err


def test_auth_file_forces_ascii(tmp_path: Path) -> None:
    auth = tmp_path / "auth"
    auth.write_text("user:pass\n")
    s = build("-Y", str(auth))
    assert s.auth_file == str(auth) and s.protocol == "ascii"


# --------------------------------------------------------------------------
# listen


def test_listen_repeatable_and_split() -> None:
    s = build("-l", "127.0.0.1:11212,[::1]:11213", "-l", "127.0.0.1;localhost")
    assert s.listen == ("127.0.0.1:11212", "[::1]:11213", "127.0.0.1", "localhost")


def test_listen_star_and_bare_v6() -> None:
    assert build("-l", "*", "-l", "::1").listen == ("*", "::1")


def test_listen_notls_prefix_needs_tls() -> None:
    err = refused("-l", "notls:127.0.0.1")
    assert err.exit_code == 71 and "notls" in err.message


def test_listen_unresolvable_fails_like_memcached() -> None:
    err = refused("-l", "fooble")
    assert err.exit_code == 71
    assert err.message.startswith("getaddrinfo():")
    assert "failed to listen on one of interface(s) fooble" in err.message
    assert refused("-l", "127.0.0.1,fooble:11211").exit_code == 71


def test_listen_bad_port() -> None:
    err = refused("-l", "127.0.0.1:fooble")
    assert err.exit_code == 71 and "127.0.0.1:fooble" in err.message


def test_listen_not_resolved_without_tcp() -> None:
    # memcached only resolves -l when it binds TCP: -p 0 or -s turn that off.
    assert build("-p", "0", "-l", "fooble").listen == ("fooble",)
    assert build("-s", "/tmp/x.sock", "-l", "fooble").listen == ("fooble",)
    # ... but our server binds an entry with its own port even under -p 0.
    assert refused("-p", "0", "-l", "fooble:11211").exit_code == 71


# --------------------------------------------------------------------------
# refusals: message key words and memcached's exit codes


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["-c", "0"], 1, "Maximum connections must be greater than 0"),
        (["-c", "-1"], 1, "Maximum connections must be greater than 0"),
        (["-c", "abc"], 1, "Maximum connections"),
        (["-t", "0"], 1, "Number of threads must be greater than 0"),
        (["-t", "-1"], 1, "Number of threads"),
        (["-B", "http"], 64, "Invalid value for binding protocol: http"),
        (["-B", "binary"], 64, "binary protocol is not supported"),
        (["-I", "1000"], 64, "Item max size cannot be less than 1024 bytes."),
        (["-I", "256m", "-m", "64"], 64, "higher than 1/2 of memory max"),
        (["-I", "33m", "-m", "64"], 64, "higher than 1/2 of memory max"),
        (["-I", "2000m", "-m", "4096"], 64, "higher than a gigabyte"),
        (["-I", "1k"], 64, "slab_chunk_max (bytes: 524288) cannot be larger than -I"),
        (["-I", "600k"], 64, "must be evenly divisible by slab_chunk_max"),
        (["-I", "abc"], 64, "max item size"),
        (["-f", "1"], 1, "Factor must be greater than 1"),
        (["-f", "abc"], 1, "Factor must be greater than 1"),
        (["-m", "abc"], 64, "memory limit"),
        (["-m", "0"], 64, "higher than 1/2 of memory max"),
        (["-m", "-1"], 64, "memory limit"),
        (["-p", "99999"], 64, "ERROR: Invalid port number 99999."),
        (["-p", "65536"], 64, "Invalid port number"),
        (["-p", "-2"], 64, "Invalid port number"),
        (["-p", "abc"], 64, "Invalid port number"),
        (["-n", "0"], 1, "Chunk size must be greater than 0"),
        (["-R", "0"], 1, "Number of requests per event must be greater than 0"),
        (["-D", ""], 1, "No delimiter specified"),
        (["-N", "0"], 1, "NAPI IDs must be greater than 0"),
        (["-N", "5"], 64, "napi_ids(5) cannot be greater than number of threads(4)"),
        (["-S"], 64, "SASL"),
        (["-x"], 1, "-x"),
        (["--no-such-option"], 1, "--no-such-option"),
        (["-p"], 1, "-p"),
        (["extra"], 1, "extra"),
        (["-Z", "-p", "0"], 64, "ERROR: You cannot enable SSL without a TCP port."),
        (["-Z", "-s", "/tmp/x.sock"], 64, "You cannot enable SSL without a TCP port"),
        (["-Z"], 64, "Error loading the certificate chain: (null)"),
        (["-Y", "/nonexistent/auth"], 1, "Could not open authfile [/nonexistent/auth]"),
    ],
)
def test_refusals(argv: list[str], code: int, words: str) -> None:
    err = refused(*argv)
    assert err.exit_code == code, err.message
    assert words in err.message


def test_udp_with_auth_refused(tmp_path: Path) -> None:
    auth = tmp_path / "auth"
    auth.write_text("user:pass\n")
    err = refused("-U", "5", "-Y", str(auth))
    assert err.exit_code == 64
    assert err.message == "Cannot use UDP with ascii authentication enabled (-U 0 to disable)"


def test_malformed_auth_file(tmp_path: Path) -> None:
    auth = tmp_path / "auth"
    auth.write_text("no colon here\n")
    err = refused("-Y", str(auth))
    assert err.exit_code == 1 and "malformed entry" in err.message


# --------------------------------------------------------------------------
# root and -u


def test_root_needs_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_running_as_root", lambda: True)
    err = refused()
    assert err.exit_code == 64
    assert err.message == "can't run as root without the -u switch"
    assert build("-u", "root").user == "root"
    err = refused("-u", "no-such-user-here")
    assert err.exit_code == 67
    assert err.message == "can't find the user no-such-user-here to switch to"


def test_user_not_checked_when_not_root() -> None:
    assert build("-u", "no-such-user-here").user == "no-such-user-here"


def test_size_checks_come_before_root_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_running_as_root", lambda: True)
    assert "1024 bytes" in refused("-I", "1000").message


# --------------------------------------------------------------------------
# TLS


@pytest.fixture
def cert_files(tmp_path: Path) -> Iterator[tuple[str, str]]:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    chain, key = tmp_path / "chain.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
    cert.private_key_pem.write_to_path(str(key))
    yield str(chain), str(key)


def test_tls_ok(cert_files: tuple[str, str]) -> None:
    chain, key = cert_files
    s = build(
        "-Z",
        "-o",
        f"ssl_chain_cert={chain},ssl_key={key}",
        "-o",
        "ssl_verify_mode=2,ssl_min_version=3,ssl_wbuf_size=32,ssl_session_cache",
        "-o",
        "ssl_handshake_timeout=2.5",
        "-l",
        "notls:127.0.0.1:11299",
        "-l",
        "127.0.0.1",
    )
    assert s.enable_ssl and s.ssl_chain_cert == chain and s.ssl_key == key
    assert s.ssl_verify_mode == 2 and s.ssl_min_version == 3
    assert s.ssl_wbuf_size == 32 * KILOBYTE and s.ssl_session_cache
    assert s.ssl_handshake_timeout == 2.5


def test_tls_requires_key(cert_files: tuple[str, str]) -> None:
    chain, _ = cert_files
    err = refused("-Z", "-o", f"ssl_chain_cert={chain}")
    assert err.exit_code == 64 and err.message.startswith("Error loading the key: (null)")


def test_tls_unreadable_files(cert_files: tuple[str, str]) -> None:
    chain, key = cert_files
    err = refused("-Z", "-o", f"ssl_chain_cert=/nonexistent,ssl_key={key}")
    assert err.exit_code == 64
    assert err.message.startswith("Error loading the certificate chain: /nonexistent")
    err = refused("-Z", "-o", f"ssl_chain_cert={chain},ssl_key={key},ssl_ca_cert=/nonexistent")
    assert "CA certificate" in err.message


def test_tls_bad_pem(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    err = refused("-Z", "-o", f"ssl_chain_cert={junk},ssl_key={junk}")
    assert err.exit_code == 64


def test_tls_options_without_z_are_accepted() -> None:
    assert build("-o", "ssl_chain_cert=/nonexistent").ssl_chain_cert == "/nonexistent"


# --------------------------------------------------------------------------
# -o


def test_extended_options() -> None:
    s = build(
        "-o",
        "no_maxconns_fast,hashpower=20,hash_algorithm=xxh3,no_slab_reassign,slab_automove=2",
        "-o",
        "slab_automove_ratio=0.5,slab_automove_window=60,slab_automove_freeratio=0.05",
        "-o",
        "slab_chunk_max=256,no_lru_crawler,lru_crawler_sleep=50,lru_crawler_tocrawl=1000",
        "-o",
        "hot_lru_pct=30,warm_lru_pct=30,hot_max_factor=0.5,warm_max_factor=3",
        "-o",
        "temporary_ttl=30,idle_timeout=60,tail_repair_time=20,watcher_logbuf_size=128",
        "-o",
        "worker_logbuf_size=32,track_sizes,read_buf_mem_limit=8,no_drop_privileges",
        "-o",
        "relaxed_privileges,inline_ascii_resp,no_inline_ascii_resp,sock_cookie_id=7,modern",
    )
    assert not s.maxconns_fast and s.hashpower == 20 and s.hash_algorithm == "xxh3"
    assert not s.slab_reassign and s.slab_automove == 2
    assert s.slab_automove_ratio == 0.5 and s.slab_automove_window == 60
    assert s.slab_automove_freeratio == 0.05
    assert s.slab_chunk_max == 256 * KILOBYTE  # kilobytes, like current memcached
    assert not s.lru_crawler and s.lru_crawler_sleep == 50 and s.lru_crawler_tocrawl == 1000
    assert (s.hot_lru_pct, s.warm_lru_pct) == (30, 30)
    assert (s.hot_max_factor, s.warm_max_factor) == (0.5, 3.0)
    assert s.temp_lru and s.temporary_ttl == 30
    assert s.idle_timeout == 60 and s.tail_repair_time == 20
    assert s.watcher_logbuf_size == 128 * KILOBYTE and s.worker_logbuf_size == 32 * KILOBYTE
    assert s.track_sizes and s.read_buf_mem_limit == 8 * MEGABYTE
    assert not s.drop_privileges and s.relaxed_privileges and s.sock_cookie_id == 7


def test_extended_later_wins_and_bare_automove() -> None:
    assert build("-o", "no_slab_automove,slab_automove").slab_automove == 1
    assert build("-o", "slab_automove=3").slab_automove == 3
    s = build("-o", "no_lru_maintainer")
    assert not s.lru_maintainer and not s.lru_segmented
    s = build("-o", "no_lru_maintainer", "-o", "lru_maintainer")
    assert s.lru_maintainer and s.lru_segmented


def test_no_modern() -> None:
    s = build("-o", "no_modern")
    assert s.hash_algorithm == "jenkins"
    assert not (s.slab_reassign or s.maxconns_fast or s.lru_crawler or s.lru_maintainer)
    assert not s.lru_segmented and s.slab_automove == 0
    assert s.slab_chunk_max == MEGABYTE  # no chunked items
    assert build("-o", "no_modern", "-I", "2m").slab_chunk_max == 512 * KILOBYTE
    assert build("-o", "slab_chunk_max=64,no_modern").slab_chunk_max == 64 * KILOBYTE
    assert build("-o", "no_modern,hash_algorithm=murmur3").hash_algorithm == "murmur3"


def test_extended_accepted_and_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    build("-o", "no_hashexpand,slab_sizes=100-200-300,no_chunked_items,resp_obj_mem_limit=5")
    assert "DEPRECATED: resp_obj_mem_limit" in capsys.readouterr().err
    build("-o", "ext_path=/tmp/x:1G,ext_threads=2,ext_item_size=512,proxy_config=x.lua")
    err = capsys.readouterr().err
    assert "extstore" in err and "proxy" in err


def test_extended_empty_and_trailing_comma() -> None:
    assert build("-o", "") == Settings()
    assert build("-o", "track_sizes,").track_sizes


@pytest.mark.parametrize(
    ("opt", "code", "message"),
    [
        ("foo", 1, 'Illegal suboption "foo"'),
        ("foo=bar", 1, 'Illegal suboption "foo=bar"'),
        (",track_sizes", 1, 'Illegal suboption ""'),
        ("ext_foo=1", 1, 'Illegal suboption "ext_foo=1"'),
        ("hashpower", 1, "Missing numeric argument for hashpower"),
        ("hashpower=11", 1, "Initial hashtable multiplier of 11 is too low"),
        ("hashpower=33", 1, "Initial hashtable multiplier of 33 is too high"),
        ("hash_algorithm=foo", 1, "Unknown hash_algorithm option (jenkins, murmur3, xxh3)"),
        ("hash_algorithm", 1, "Missing hash_algorithm argument"),
        ("slab_automove=4", 1, "slab_automove must be between 0 and 3"),
        ("slab_automove_ratio=1", 1, "slab_automove_ratio must be > 0 and < 1"),
        ("slab_automove_ratio=abc", 1, "slab_automove_ratio must be > 0 and < 1"),
        ("slab_automove_window=2", 1, "slab_automove_window must be > 2"),
        ("slab_automove_window=1801", 1, "slab_automove_window must be <= 1800"),
        ("slab_automove_freeratio=abc", 1, "could not parse argument to slab_automove_freeratio"),
        ("slab_chunk_max=abc", 1, "could not parse argument to slab_chunk_max"),
        ("slab_chunk_max=2048", 64, "slab_chunk_max (bytes: 2097152) cannot be larger than -I"),
        ("slab_chunk_max=100", 64, "must be evenly divisible by slab_chunk_max (bytes: 102400)"),
        ("lru_crawler_sleep=1000001", 1, "LRU crawler sleep must be between 0 and 1 second"),
        ("lru_crawler_sleep", 1, "Missing lru_crawler_sleep value"),
        ("lru_crawler_tocrawl=abc", 1, "lru_crawler_tocrawl takes a numeric 32bit value"),
        ("hot_lru_pct=80", 1, "hot_lru_pct must be > 1 and < 80"),
        ("warm_lru_pct=0", 1, "warm_lru_pct must be > 1 and < 80"),
        ("hot_lru_pct=50,warm_lru_pct=50", 64, "cannot be more than 80% combined"),
        ("hot_max_factor=0", 1, "hot_max_factor must be > 0"),
        ("warm_max_factor=-1", 1, "warm_max_factor must be > 0"),
        ("temporary_ttl", 1, "Missing temporary_ttl argument"),
        ("idle_timeout", 1, "Missing numeric argument for idle_timeout"),
        ("tail_repair_time=5", 1, "Cannot set tail_repair_time to less than 10 seconds"),
        ("watcher_logbuf_size=abc", 1, "could not parse argument to watcher_logbuf_size"),
        ("worker_logbuf_size", 1, "Missing worker_logbuf_size argument"),
        ("read_buf_mem_limit=abc", 1, "could not parse argument to read_buf_mem_limit"),
        ("ssl_verify_mode=4", 1, "Invalid ssl_verify_mode. Use help to see valid options."),
        ("ssl_min_version=4", 1, "Invalid ssl_min_version. Use help to see valid options."),
        ("ssl_wbuf_size=abc", 1, "could not parse argument to ssl_wbuf_size"),
        ("ssl_keyformat=abc", 1, "could not parse argument to ssl_keyformat"),
        ("ssl_chain_cert", 1, "Missing ssl_chain_cert argument"),
        ("sock_cookie_id", 1, "Missing sock_cookie_id argument"),
    ],
)
def test_extended_refusals(opt: str, code: int, message: str) -> None:
    err = refused("-o", opt)
    assert err.exit_code == code
    assert message in err.message


# --------------------------------------------------------------------------
# -h, -V, -i


def test_help() -> None:
    with pytest.raises(InfoRequest) as info:
        build("-h")
    text = info.value.text
    for flag in ["-p, --port", "-l, --listen", "-I, --max-item-size", "-o, --extended"]:
        assert flag in text
    assert "single-threaded" in text  # what -t means here
    assert "127.0.0.1" in text
    for sub in ["maxconns_fast", "hashpower", "slab_chunk_max", "ssl_min_version"]:
        assert f"- {sub}" in text
    # Only what exists: no UDP, binary, SASL or extstore advertised as features.
    assert "-S, --enable-sasl" not in text
    assert "ext_path:" not in text
    assert "Not served: UDP, the binary protocol, SASL, extstore" in text


def test_help_wins_over_bad_flags() -> None:
    with pytest.raises(InfoRequest):
        build("-c", "0", "-h")


def test_version() -> None:
    with pytest.raises(InfoRequest) as info:
        build("-V")
    expected = f"memcached-py {__version__} (memcached {PROTOCOL_VERSION} protocol)\n"
    assert info.value.text == expected


def test_main_help_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-h"]) == 0
    assert "--memory-limit" in capsys.readouterr().out
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("memcached-py ")
    assert cli.main(["-i"]) == 0
    assert "BSD" in capsys.readouterr().out


def test_main_refusal_prints_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["-c", "0"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == "Maximum connections must be greater than 0\n"


def test_main_runs_daemon_with_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib
    import types

    seen: list[Settings] = []

    def run(settings: Settings) -> int:
        seen.append(settings)
        return 42

    fake = types.ModuleType("fake_daemon")
    fake.run = run  # type: ignore[attr-defined]
    monkeypatch.setattr(importlib, "import_module", lambda name: fake)
    assert cli.main(["-c", "5"]) == 42
    assert seen[0].conn_limit == 5


# --------------------------------------------------------------------------
# --config


def write_conf(tmp_path: Path, text: str) -> str:
    path = tmp_path / "memcached-py.conf"
    path.write_text(text)
    return str(path)


def test_config_precedence(tmp_path: Path) -> None:
    conf = write_conf(
        tmp_path,
        "# comment\n\nconn_limit = 10\nmemory_limit = 128\nmaxconns_fast = false\n"
        "listen = 127.0.0.1:11300, [::1]:11301\nslab_chunk_max = 256\n",
    )
    s = build("--config", conf)
    assert s.conn_limit == 10 and s.memory_limit == 128 * MEGABYTE  # file over default
    assert not s.maxconns_fast and s.slab_chunk_max == 256 * KILOBYTE
    assert s.listen == ("127.0.0.1:11300", "[::1]:11301")
    assert s.threads == 4  # default
    s = build("--config", conf, "-c", "20", "-o", "maxconns_fast", "-l", "127.0.0.1")
    assert s.conn_limit == 20 and s.maxconns_fast  # flag over file
    assert s.listen == ("127.0.0.1",)
    assert s.memory_limit == 128 * MEGABYTE


def test_config_from_environment(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, "conn_limit = 11\n")
    assert build(environ={cli.CONFIG_ENV: conf}).conn_limit == 11
    other = tmp_path / "other.conf"
    other.write_text("conn_limit = 12\n")
    assert build("--config", str(other), environ={cli.CONFIG_ENV: conf}).conn_limit == 12


def test_config_errors(tmp_path: Path) -> None:
    err = refused("--config", str(tmp_path / "missing.conf"))
    assert err.exit_code == 66 and "missing.conf" in err.message
    err = refused("--config", write_conf(tmp_path, "no_such_key = 1\n"))
    assert err.exit_code == 78 and ":1: unknown setting 'no_such_key'" in err.message
    err = refused("--config", write_conf(tmp_path, "\njust words\n"))
    assert err.exit_code == 78 and ":2:" in err.message
    # A bad value fails like the flag, with the file and line in front.
    err = refused("--config", write_conf(tmp_path, "threads = 4\nconn_limit = 0\n"))
    assert err.exit_code == 1
    assert err.message.endswith(":2: conn_limit: Maximum connections must be greater than 0")
    err = refused("--config", write_conf(tmp_path, "daemon = maybe\n"))
    assert err.exit_code == 64 and "daemon" in err.message
    # ... and the flag that overrides a bad value wins.
    assert build("--config", write_conf(tmp_path, "conn_limit = 0\n"), "-c", "5").conn_limit == 5


def test_config_cross_checks_apply(tmp_path: Path) -> None:
    conf = write_conf(tmp_path, "memory_limit = 64\n")
    assert refused("--config", conf, "-I", "256m").exit_code == 64


EXAMPLE_CONF = REPO_ROOT / "conf" / "memcached-py.conf"
#: Example lines that name files which do not exist here.
EXAMPLE_FILE_KEYS = {"auth_file", "ssl_chain_cert", "ssl_key", "ssl_ca_cert", "enable_ssl"}


def test_example_conf_documents_every_key() -> None:
    text = EXAMPLE_CONF.read_text()
    keys = set(re.findall(r"^# (\w+) = ", text, re.MULTILINE))
    assert keys == set(field_names())
    # Nothing is active in the example: it is all defaults.
    assert not re.search(r"^\s*\w+\s*=", text, re.MULTILINE)


def test_example_conf_values_are_valid(tmp_path: Path) -> None:
    lines = []
    for line in EXAMPLE_CONF.read_text().splitlines():
        match = re.match(r"# (\w+) = ", line)
        if match and match.group(1) not in EXAMPLE_FILE_KEYS:
            lines.append(line[2:])
    conf = write_conf(tmp_path, "\n".join(lines) + "\n")
    s = build("--config", conf)
    assert s.unix_socket is not None  # the example sets one, which turns TCP off
    # The defaults shown are the real defaults (except the example-only values).
    examples = {"unix_socket", "pidfile", "user", "napi_ids", "memory_file", "ssl_ciphers"}
    default = Settings()
    for name in field_names() - examples - EXAMPLE_FILE_KEYS:
        assert getattr(s, name) == getattr(default, name), name


# --------------------------------------------------------------------------
# the real process: refusals happen before the daemon (and trio) is imported


def run_ours(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop(cli.CONFIG_ENV, None)
    return subprocess.run(
        [sys.executable, "-m", "memcached_py", *argv],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


ROOT_ARGS = ["-u", "root"] if AS_ROOT else []


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["-c", "0"], 1, "Maximum connections must be greater than 0"),
        (["-B", "http"], 64, "Invalid value for binding protocol"),
        (["-I", "256m", "-m", "64"], 64, "1/2 of memory max"),
        (["-p", "99999"], 64, "Invalid port number"),
        (["-l", "fooble"], 71, "getaddrinfo()"),
        (["-o", "foo"], 1, 'Illegal suboption "foo"'),
    ],
)
def test_process_refusals(argv: list[str], code: int, words: str) -> None:
    result = run_ours(*ROOT_ARGS, *argv)
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not AS_ROOT, reason="needs root")
def test_process_root_without_user() -> None:
    result = run_ours("-p", "0")
    assert result.returncode == 64
    assert result.stderr == "can't run as root without the -u switch\n"


def test_process_help_and_version() -> None:
    result = run_ours("-h")
    assert result.returncode == 0 and "--max-item-size" in result.stdout
    result = run_ours("-V")
    assert result.returncode == 0
    assert result.stdout == f"memcached-py {__version__} (memcached {PROTOCOL_VERSION} protocol)\n"


def test_cli_imports_no_trio() -> None:
    code = (
        "import sys; import memcached_py.cli as c; "
        "c.build_settings(['-u', 'root', '-c', '5'], {}); "
        "assert 'trio' not in sys.modules, 'trio imported'; "
        "assert 'memcached_py.daemon' not in sys.modules"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT, env=env, timeout=30)


# --------------------------------------------------------------------------
# differential: the reference memcached refuses or accepts the same flag sets

#: (flags, same exit code as memcached?) -- False where only the class
#: (zero / non-zero) must match because our message path differs.
DIFFERENTIAL_BAD: list[tuple[list[str], bool]] = [
    (["-l", "fooble"], True),
    (["-l", "127.0.0.1,fooble"], True),
    (["-c", "0"], True),
    (["-c", "-1"], True),
    (["-t", "0"], True),
    (["-B", "http"], True),
    (["-I", "1000"], True),
    (["-I", "256m", "-m", "64"], True),
    (["-I", "1k"], True),
    (["-I", "600k"], True),
    (["-I", "2000m", "-m", "4096"], True),
    (["-f", "1"], True),
    (["-m", "abc"], True),
    (["-m", "0"], True),
    (["-p", "99999"], True),
    (["-n", "0"], True),
    (["-R", "0"], True),
    (["-D", ""], True),
    (["-N", "0"], True),
    (["-o", "foo"], True),
    (["-o", ",maxconns_fast"], True),
    (["-o", "hot_lru_pct=50,warm_lru_pct=50"], True),
    (["-o", "hot_lru_pct=80"], True),
    (["-o", "hashpower=33"], True),
    (["-o", "hash_algorithm=foo"], True),
    (["-o", "slab_automove_ratio=0"], True),
    (["-o", "slab_automove_window=2"], True),
    (["-o", "lru_crawler_sleep=1000001"], True),
    (["-o", "tail_repair_time=5"], True),
    (["-o", "hot_max_factor=0"], True),
    (["-o", "ssl_verify_mode=4"], True),
    (["-o", "idle_timeout"], True),
    (["-Z", "-p", "0"], True),
    (["-Y", "/nonexistent/authfile"], True),
    (["-x"], True),
]

DIFFERENTIAL_GOOD: list[list[str]] = [
    ["-c", "100"],
    ["-t", "1"],
    ["-I", "2m", "-m", "64"],
    ["-I", "32m", "-m", "64"],
    ["-m", "64m"],
    ["-f", "1.5", "-n", "64"],
    ["-o", "hot_lru_pct=30,warm_lru_pct=30,no_lru_crawler,slab_automove=2"],
    ["-o", "track_sizes", "-o", "idle_timeout=10"],
    ["-l", "127.0.0.1", "-l", "[::1]"],
    ["-B", "ascii", "-A", "-C", "-F", "-X", "-M", "-R", "5", "-b", "16"],
]


def run_reference(argv: list[str]) -> int | None:
    """memcached's exit code, or None when it was still running after 0.5 s."""
    binary = reference_binary()
    port = str(free_port())
    args = [binary, *ROOT_ARGS, "-U", "0", "-p", port, *argv]
    proc = subprocess.Popen(
        args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            return code
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    return None


def ours_exit_code(argv: list[str], port: int) -> int:
    try:
        build_settings([*ROOT_ARGS, "-U", "0", "-p", str(port), *argv], {})
    except UsageError as exc:
        return exc.exit_code
    return 0


@pytest.fixture
def real_root_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_running_as_root", lambda: AS_ROOT)


@pytest.mark.parametrize(("argv", "same_code"), DIFFERENTIAL_BAD, ids=lambda v: repr(v))
@pytest.mark.usefixtures("real_root_check")
def test_differential_refusals(argv: list[str], same_code: bool) -> None:
    reference = run_reference(argv)
    assert reference not in (None, 0), f"memcached accepted {argv}"
    ours = ours_exit_code(argv, free_port())
    assert ours != 0, f"we accepted {argv}"
    if same_code:
        assert ours == reference, f"{argv}: memcached exits {reference}, we exit {ours}"


@pytest.mark.parametrize("argv", DIFFERENTIAL_GOOD, ids=lambda v: repr(v))
@pytest.mark.usefixtures("real_root_check")
def test_differential_accepted(argv: list[str]) -> None:
    assert run_reference(argv) is None, f"memcached refused {argv}"
    assert ours_exit_code(argv, free_port()) == 0
