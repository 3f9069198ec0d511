"""Shared pytest fixtures: the server pool (see tests/servers.py).

``MEMCACHED_PY_TEST_PURE=1`` runs the in-process tests on the pure-Python
source even where compiled modules are installed next to it (tools/test runs
the unit tests that way too, so the uncompiled fallback keeps working).
Servers started as subprocesses are not affected.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType

import pytest

TEST_PURE_ENV = "MEMCACHED_PY_TEST_PURE"
OUR_PACKAGES = ("memcached_py", "slab")


class SourceOnlyFinder(importlib.abc.MetaPathFinder):
    """Imports our modules from their ``.py`` even when a compiled one exists."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name.partition(".")[0] not in OUR_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.origin is None or spec.origin.endswith(".py"):
            return spec
        source = Path(spec.origin).with_name(name.rpartition(".")[2] + ".py")
        return importlib.util.spec_from_file_location(name, source) if source.is_file() else spec


if os.environ.get(TEST_PURE_ENV) == "1":
    assert not any(m.partition(".")[0] in OUR_PACKAGES for m in sys.modules), "imported too early"
    sys.meta_path.insert(0, SourceOnlyFinder())

from tests.servers import ServerPool  # noqa: E402  (after the finder is in place)


@pytest.fixture(scope="session")
def server_pool() -> Iterator[ServerPool]:
    """Session-wide pool: shared servers per (kind, args), dedicated on demand."""
    pool = ServerPool()
    try:
        yield pool
    finally:
        pool.close()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Stop before running anything against stale compiled modules.

    An editable install puts each compiled module (mypyc, see setup.py) next
    to its source; once the source is edited, the old binary would still be
    the one imported.
    """
    stale = stale_compiled_modules(Path(__file__).resolve().parent.parent)
    if stale:
        pytest.exit(
            "compiled modules differ from their source: "
            + ", ".join(stale)
            + "\nrebuild with `python3 -m pip install -e .` (tools/test does this)",
            returncode=3,
        )


def stale_compiled_modules(root: Path) -> list[str]:
    """Compiled sources that differ from what the in-place build compiled.

    setup.py's in-place build records each compiled source's SHA-256 in
    ``.compiled-sources.json``; without in-place binaries there is nothing
    to check (pure-Python or site-packages install).
    """
    if not list(root.glob("*_native__mypyc.*.so")):
        return []
    stamp = root / ".compiled-sources.json"
    if not stamp.is_file():
        return ["(no .compiled-sources.json)"]
    recorded: dict[str, str] = json.loads(stamp.read_text())
    return [
        path
        for path, digest in sorted(recorded.items())
        if hashlib.sha256((root / path).read_bytes()).hexdigest() != digest
    ]
