"""python-memcached (``import memcache``): the common API against both servers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.servers import Server

memcache = pytest.importorskip("memcache")


@pytest.fixture
def mc(server: Server) -> Iterator[Any]:
    host, port = server.address
    client = memcache.Client([f"{host}:{port}"], cache_cas=True, socket_timeout=2)
    yield client
    client.disconnect_all()


def test_set_get(mc: Any) -> None:
    c = mc
    assert c.set("k", "value")
    assert c.get("k") == "value"
    assert c.get("missing") is None


def test_python_values(mc: Any) -> None:
    c = mc
    for key, value in [("int", 42), ("bytes", b"\x00\xff"), ("dict", {"a": [1, 2]}), ("s", "é")]:
        assert c.set(key, value)
        assert c.get(key) == value


def test_gets_cas(mc: Any) -> None:
    c = mc
    c.set("k", "v1")
    assert c.gets("k") == "v1"
    assert c.cas("k", "v2")
    assert c.get("k") == "v2"
    c.gets("k")
    c.set("k", "other")  # changes the CAS behind our back
    assert not c.cas("k", "v3")
    assert c.get("k") == "other"


def test_incr_decr(mc: Any) -> None:
    c = mc
    assert c.incr("n") is None
    c.set("n", "10")
    assert c.incr("n") == 11
    assert c.incr("n", 9) == 20
    assert c.decr("n", 25) == 0


def test_touch(mc: Any) -> None:
    c = mc
    c.set("k", "v")
    assert c.touch("k", 100)
    assert not c.touch("missing", 100)
    assert c.touch("k", -1)
    assert c.get("k") is None


def test_delete(mc: Any) -> None:
    c = mc
    c.set("k", "v")
    assert c.delete("k")
    assert c.get("k") is None


def test_multi(mc: Any) -> None:
    c = mc
    assert c.set_multi({"a": "1", "b": 2}) == []
    assert c.get_multi(["a", "b", "c"]) == {"a": "1", "b": 2}
    assert c.get_multi(["x"], key_prefix="p:") == {}
    assert c.delete_multi(["a", "b"])
    assert c.get_multi(["a", "b"]) == {}


def test_add_replace_append_prepend(mc: Any) -> None:
    c = mc
    assert c.add("k", "1")
    assert not c.add("k", "2")
    assert c.replace("k", "3")
    assert not c.replace("missing", "x")
    assert c.append("k", "4")
    assert c.prepend("k", "2")
    assert c.get("k") == "234"


def test_stats_and_flush(mc: Any) -> None:
    c = mc
    c.set("k", "v")
    stats = c.get_stats()
    assert len(stats) == 1 and "curr_items" in stats[0][1]
    c.flush_all()
    assert c.get("k") is None
