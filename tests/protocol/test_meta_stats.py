"""Which ``stats`` counters the meta commands bump: ours vs memcached.

Each scenario runs on both servers; the deltas of the general counters between
a ``stats`` before and after must be equal. (memcached: mg counts cmd_get and
get_hits/get_misses, or cmd_touch/touch_hits when T is given on a hit; an N
vivify counts as a hit; ms counts cmd_set and the cas_* counters; md counts
delete_hits/delete_misses, md I counts nothing; ma counts incr/decr hits and
misses, nothing on a CAS mismatch or a vivify; only me counts cmd_meta.)
"""

from __future__ import annotations

import pytest

from tests.differential.harness import Session, reset, stats_lines
from tests.servers import Server, ServerPool

COUNTERS = (
    "cmd_get",
    "cmd_set",
    "cmd_touch",
    "cmd_meta",
    "get_hits",
    "get_misses",
    "get_expired",
    "delete_misses",
    "delete_hits",
    "incr_misses",
    "incr_hits",
    "decr_misses",
    "decr_hits",
    "cas_misses",
    "cas_hits",
    "cas_badval",
    "touch_hits",
    "touch_misses",
    "store_too_large",
)

SCENARIOS = {
    "mg": b"ms k 2\r\nhi\r\nmg k v\r\nmg k\r\nmg nope v\r\nmg k u\r\nmg k q\r\nmg nope q\r\n",
    "mg_touch": b"ms k 2\r\nhi\r\nmg k T30\r\nmg nope T30\r\nmg k T0 v\r\n",
    "mg_vivify": b"mg k N30\r\nmg k N30 v\r\nmg k R30\r\n",
    "mg_expired": b"ms k 2 T-1\r\nhi\r\nmg k v\r\n",
    "ms": b"ms k 2\r\nhi\r\nms k 2 ME\r\nhi\r\nms k 2 MR\r\nhi\r\nms z 2 MR\r\nhi\r\n"
    b"ms k 2 MA\r\nhi\r\nms z 2 MP\r\nhi\r\nms k 2 q\r\nhi\r\n",
    "ms_cas": b"ms k 1\r\na\r\nms k 1 C999999\r\nb\r\nms nope 1 C5\r\nc\r\nms k 1 C0\r\nd\r\n",
    "ms_too_large": b"ms k 2000000\r\n" + b"a" * 2_000_000 + b"\r\n",
    "ms_errors": b"ms k 2 Tx\r\nhi\r\nms k x\r\n",
    "md": b"ms k 1\r\na\r\nmd k\r\nmd k\r\nms k 1\r\na\r\nmd k C999999\r\nmd k I\r\nmd k q\r\n",
    "ma": b"ma k\r\nma k MD\r\nma k N0\r\nma k\r\nma k MD\r\nma k C999999\r\nma k v q\r\n",
    "ma_non_numeric": b"ms k 2\r\nhi\r\nma k\r\n",
    "me": b"ms k 1\r\na\r\nme k\r\nme nope\r\nmn\r\n",
    "mixed_classic": b"set k 0 0 1\r\n1\r\nmg k v\r\nget k\r\nincr k 1\r\nma k\r\ndelete k\r\n"
    b"md k\r\ntouch k 0\r\nmg k T0\r\n",
}


def counters(server: Server) -> dict[str, int]:
    values = dict(stats_lines(server))
    return {name: int(values[name]) for name in COUNTERS}


def deltas(server: Server, request: bytes) -> dict[str, int]:
    reset(server)
    before = counters(server)
    session = Session(server)
    try:
        session.call(request)
    finally:
        session.close()
    after = counters(server)
    return {name: after[name] - before[name] for name in COUNTERS if after[name] != before[name]}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_meta_counters_match_memcached(server_pool: ServerPool, name: str) -> None:
    request = SCENARIOS[name]
    want = deltas(server_pool.shared("memcached", ()), request)
    got = deltas(server_pool.shared("ours", ()), request)
    assert got == want, f"{name}: {request[:200]!r}"


SLAB_COUNTERS = (
    "get_hits",
    "cmd_set",
    "delete_hits",
    "incr_hits",
    "decr_hits",
    "cas_hits",
    "cas_badval",
    "touch_hits",
)


def slab_counters(server: Server) -> dict[str, int]:
    out = {}
    for name, value in stats_lines(server, "slabs"):
        cls, _, stat = name.partition(":")
        if cls.isdigit() and stat in SLAB_COUNTERS:
            out[name] = int(value)
    return out


def slab_deltas(server: Server, request: bytes) -> dict[str, int]:
    reset(server)
    before = slab_counters(server)
    session = Session(server)
    try:
        session.call(request)
    finally:
        session.close()
    after = slab_counters(server)
    names = set(before) | set(after)
    return {n: after.get(n, 0) - before.get(n, 0) for n in names if after.get(n) != before.get(n)}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_meta_slab_counters_match_memcached(server_pool: ServerPool, name: str) -> None:
    request = SCENARIOS[name]
    want = slab_deltas(server_pool.shared("memcached", ()), request)
    got = slab_deltas(server_pool.shared("ours", ()), request)
    assert got == want, f"{name}: {request[:200]!r}"
