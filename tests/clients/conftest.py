"""Fixtures for the real-client tests: each test runs against BOTH servers.

Running them against the reference memcached proves the tests themselves are
right; against ours they are compatibility tests. Servers are shared per kind
and flushed (``flush_all``) before each test.
"""

from __future__ import annotations

import pytest

from tests.differential.harness import reset
from tests.servers import KINDS, Kind, Server, ServerPool


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> Kind:
    value: Kind = request.param
    return value


@pytest.fixture
def server(server_pool: ServerPool, kind: Kind) -> Server:
    srv = server_pool.shared(kind, ())
    reset(srv)
    return srv
