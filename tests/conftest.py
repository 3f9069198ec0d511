"""Shared pytest fixtures: the server pool (see tests/servers.py)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ServerPool


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
