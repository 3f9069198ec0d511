"""Shared pytest fixtures: the server pool (see tests/servers.py)."""

from __future__ import annotations

from collections.abc import Iterator

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
