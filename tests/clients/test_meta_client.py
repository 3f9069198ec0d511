"""A real meta-protocol client (PyPI ``meta-memcache``) against memcached and ours.

Every test runs against both servers, so a failure on "memcached" means the
test is wrong, and a failure on "ours" is a compatibility bug. Covers get/set
(all set modes), CAS, delete, touch, counters (``ma``), multi-get, binary keys,
and the client's herd-control helpers: lease on miss (``N``), early recache
(``R``), stale-on-delete and stale-on-CAS-mismatch (``md I``, ``ms I``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import Kind, ServerPool

mm = pytest.importorskip("meta_memcache")

from meta_memcache import (  # noqa: E402
    CacheClient,
    Key,
    LeasePolicy,
    RecachePolicy,
    ServerAddress,
    SetMode,
    StalePolicy,
    connection_pool_factory_builder,
)

KINDS: list[Kind] = ["memcached", "ours"]


@pytest.fixture(params=KINDS)
def client(request: pytest.FixtureRequest, server_pool: ServerPool) -> Iterator[Any]:
    # a dedicated server: these tests rely on exact CAS/lease state
    with server_pool.dedicated(request.param, ()) as server:
        host, port = server.address
        cache = CacheClient.cache_client_from_servers(
            servers=[ServerAddress(host=host, port=port)],
            connection_pool_factory_fn=connection_pool_factory_builder(recv_timeout=5),
        )
        yield cache


def test_set_get_delete(client: Any) -> None:
    assert client.get("missing") is None
    assert client.set("k", "value", ttl=60)
    assert client.get("k") == "value"
    assert client.set("obj", {"a": [1, 2, 3]}, ttl=60)
    assert client.get("obj") == {"a": [1, 2, 3]}
    assert client.set("n", 12345, ttl=0)
    assert client.get("n") == 12345
    assert client.set("b", b"\x00\xffbytes", ttl=0)
    assert client.get("b") == b"\x00\xffbytes"
    assert client.delete("k")
    assert client.get("k") is None
    assert not client.delete("k")
    assert client.invalidate("k")


def test_set_modes(client: Any) -> None:
    assert client.set("m", "a", ttl=0, set_mode=SetMode.ADD)
    assert not client.set("m", "b", ttl=0, set_mode=SetMode.ADD)
    assert client.set("m", "c", ttl=0, set_mode=SetMode.REPLACE)
    assert not client.set("absent", "c", ttl=0, set_mode=SetMode.REPLACE)
    assert client.set("s", "mid", ttl=0)
    assert client.set("s", "+end", ttl=0, set_mode=SetMode.APPEND)
    assert client.set("s", "start+", ttl=0, set_mode=SetMode.PREPEND)
    assert client.get("s") == "start+mid+end"
    assert client.get("m") == "c"
    assert not client.refill("m", "x", ttl=0)  # refill uses add mode
    assert client.refill("fresh", "x", ttl=0)


def test_cas(client: Any) -> None:
    cas = client.set_cas("c", "one", ttl=0)
    assert isinstance(cas, int) and cas > 0
    value, token = client.get_cas("c")
    assert (value, token) == ("one", cas)
    assert client.set("c", "two", ttl=0, cas_token=token)
    assert not client.set("c", "three", ttl=0, cas_token=token)  # stale token: EX
    assert client.get("c") == "two"
    _, token = client.get_cas("c")
    assert not client.delete("c", cas_token=token + 1000)
    assert client.delete("c", cas_token=token)


def test_touch_and_get_with_touch(client: Any) -> None:
    assert not client.touch("t", ttl=10)
    assert client.set("t", "v", ttl=10)
    assert client.touch("t", ttl=1000)
    assert client.get("t", touch_ttl=2000) == "v"


def test_counters(client: Any) -> None:
    assert not client.delta("ctr", 1)
    assert client.delta_initialize("ctr", 1, initial_value=10, initial_ttl=0)
    assert client.delta_and_get("ctr", 5) == 15
    assert client.delta_and_get("ctr", -20) == 0  # decr floors at 0
    assert client.delta_initialize_and_get("new", 3, initial_value=7, initial_ttl=0) == 7
    assert client.delta_and_get("new", 3) == 10
    assert client.delta_and_get("absent", 1) is None


def test_multi_get(client: Any) -> None:
    for i in range(5):
        assert client.set(f"mk{i}", f"v{i}", ttl=0)
    got = client.multi_get([f"mk{i}" for i in range(7)])
    assert {k.key: v for k, v in got.items()} == {
        **{f"mk{i}": f"v{i}" for i in range(5)},
        "mk5": None,
        "mk6": None,
    }


def test_unicode_and_long_keys(client: Any) -> None:
    # the client sends non-ASCII and over-long keys base64/hashed with the b flag
    assert client.set("clé ünïcode", "v1", ttl=0)
    assert client.get("clé ünïcode") == "v1"
    long_key = "x" * 400
    assert client.set(long_key, "v2", ttl=0)
    assert client.get(long_key) == "v2"
    assert client.delete(Key(long_key))
    assert client.get(long_key) is None


def test_lease_on_miss(client: Any) -> None:
    policy = LeasePolicy(ttl=30, miss_retries=2, miss_retry_wait=0.01)
    waits: list[float] = []
    # first caller wins the lease: a miss, with a CAS to write back
    value, cas = client.get_or_lease_cas("lease", policy, lease_wait_fn=waits.append)
    assert value is None and cas is not None
    # a second caller loses, retries, and gives up with a miss
    assert client.get_or_lease("lease", policy, lease_wait_fn=waits.append) is None
    assert waits  # it had to wait for the winner
    # the winner fills the value with its CAS; everyone sees it
    assert client.set("lease", "filled", ttl=60, cas_token=cas)
    assert client.get_or_lease("lease", policy) == "filled"


def test_recache_policy(client: Any) -> None:
    assert client.set("rc", "old", ttl=10)
    policy = RecachePolicy(ttl=30)  # remaining TTL 10 < 30: one caller wins
    first = client.get("rc", recache_policy=policy)
    second = client.get("rc", recache_policy=policy)
    assert sorted([first, second], key=str) == sorted([None, "old"], key=str)


def test_stale_on_delete_and_cas_mismatch(client: Any) -> None:
    stale = StalePolicy(mark_stale_on_deletion_ttl=30, mark_stale_on_cas_mismatch=True)
    cas = client.set_cas("st", "v1", ttl=0)
    assert cas is not None
    assert client.delete("st", stale_policy=stale)  # md I T30: marked stale, not deleted
    # the first reader wins the recache (sees a miss), later readers get the stale value
    assert client.get("st") is None
    assert client.get("st") == "v1"
    # a writer with the old (lower) CAS may still store, but the value stays stale
    assert client.set("st", "v2", ttl=0, cas_token=cas, stale_policy=stale)
    assert client.get("st") == "v2"
    value, token = client.get_cas("st")
    assert value == "v2"
    # a fresh write with the current CAS clears the stale state
    assert client.set("st", "v3", ttl=0, cas_token=token)
    assert client.get("st") == "v3"
