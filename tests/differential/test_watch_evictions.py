"""``watch evictions``: the same load on memcached and on us logs the same
eviction lines (timestamps and log ids aside).

The load: ``-m 2``, a watcher on ``watch evictions``, then 60 sets of
50,000-byte values with a 100 s TTL from another connection, one at a time
(22 evictions on memcached 1.6.18).
"""

from __future__ import annotations

import re
import time

import pytest

from tests.servers import Kind, Server, ServerPool

SETS = 60
VALUE_SIZE = 50_000
#: How long a quiet watch stream counts as finished.
QUIET_SECONDS = 0.5


def eviction_bodies(server: Server) -> list[str]:
    watcher = server.connect(timeout=5)
    watcher.sendall(b"watch evictions\r\n")
    assert watcher.recv(100) == b"OK\r\n"
    with server.connect(timeout=5) as client:
        value = b"x" * VALUE_SIZE
        for i in range(SETS):
            client.sendall(b"set key%d 0 100 %d\r\n%b\r\n" % (i, VALUE_SIZE, value))
            assert client.recv(100) == b"STORED\r\n"
    stream = b""
    watcher.settimeout(QUIET_SECONDS)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            chunk = watcher.recv(65536)
        except TimeoutError:
            break
        if not chunk:
            break
        stream += chunk
    watcher.close()
    lines = stream.decode().splitlines()
    for line in lines:
        assert re.match(r"ts=\d+\.\d+ gid=\d+ type=eviction ", line), line
    return [line.split(" ", 2)[2] for line in lines]


@pytest.mark.parametrize("args", [("-m", "2")])
def test_eviction_lines_match_memcached(server_pool: ServerPool, args: tuple[str, ...]) -> None:
    got: dict[Kind, list[str]] = {}
    for kind in ("memcached", "ours"):
        with server_pool.dedicated(kind, args) as server:  # type: ignore[arg-type]
            got[kind] = eviction_bodies(server)
    assert got["memcached"], "the reference logged no eviction: the load is too small"
    assert got["ours"] == got["memcached"]
