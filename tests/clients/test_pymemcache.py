"""pymemcache's ``Client``: every public method, default and noreply variants.

(pymemcache 4.0's base Client has no gat/gats methods; those commands are
covered by the differential corpus and by ``raw_command`` below.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from pymemcache.client.base import Client  # type: ignore[import-untyped]
from pymemcache.exceptions import (  # type: ignore[import-untyped]
    MemcacheClientError,
    MemcacheIllegalInputError,
    MemcacheServerError,
    MemcacheUnknownCommandError,
)

from tests.servers import Kind, Server, start, target_is_reference


def make_client(server: Server, **kwargs: object) -> Client:
    return Client(server.address, connect_timeout=2, timeout=2, **kwargs)


def sync(quiet: Client) -> None:
    """Round trip on the noreply client: its earlier commands have run."""
    quiet.version()


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    """Waits for every reply (pymemcache's own default is default_noreply=True,
    and a noreply command may still be in flight when another connection reads)."""
    c = make_client(server, default_noreply=False)
    yield c
    c.close()


@pytest.fixture
def quiet(server: Server) -> Iterator[Client]:
    """default_noreply=True: storage commands don't wait for replies."""
    c = make_client(server, default_noreply=True)
    yield c
    c.close()


def test_set_get(client: Client) -> None:
    assert client.set("k", b"value") is True
    assert client.get("k") == b"value"
    assert client.get("missing") is None
    assert client.get("missing", default=b"d") == b"d"


def test_set_binary_and_empty(client: Client) -> None:
    blob = bytes(range(256)) * 10
    assert client.set("blob", blob)
    assert client.get("blob") == blob
    assert client.set("empty", b"")
    assert client.get("empty") == b""


def test_set_flags_expire(client: Client) -> None:
    assert client.set("k", b"v", expire=1000, flags=42)
    assert client.raw_command("get k", "END\r\n") == b"VALUE k 42 1\r\nv\r\n"
    assert client.set("gone", b"v", expire=-1)
    assert client.get("gone") is None


def test_set_noreply(quiet: Client, client: Client) -> None:
    assert quiet.set("k", b"v") is True
    assert quiet.set("k2", b"v2", noreply=False) is True
    sync(quiet)
    assert client.get_many(["k", "k2"]) == {"k": b"v", "k2": b"v2"}


def test_set_many(client: Client, quiet: Client) -> None:
    assert client.set_many({"a": b"1", "b": b"2"}) == []
    assert quiet.set_many({"c": b"3"}) == []
    sync(quiet)
    assert client.set_multi({"d": b"4"}) == []
    assert client.get_many(["a", "b", "c", "d", "x"]) == {
        "a": b"1",
        "b": b"2",
        "c": b"3",
        "d": b"4",
    }
    assert client.get_multi(["a"]) == {"a": b"1"}
    assert client.get_many([]) == {}


def test_add(client: Client, quiet: Client) -> None:
    assert client.add("k", b"1", noreply=False) is True
    assert client.add("k", b"2", noreply=False) is False
    assert quiet.add("k", b"3") is True  # noreply: no way to know
    sync(quiet)
    assert client.get("k") == b"1"


def test_replace(client: Client, quiet: Client) -> None:
    assert client.replace("k", b"1", noreply=False) is False
    client.set("k", b"1")
    assert client.replace("k", b"2", noreply=False) is True
    assert quiet.replace("k", b"3") is True
    sync(quiet)
    assert client.get("k") == b"3"


def test_append_prepend(client: Client, quiet: Client) -> None:
    assert client.append("k", b"x", noreply=False) is False
    assert client.prepend("k", b"x", noreply=False) is False
    client.set("k", b"mid", flags=5)
    assert client.append("k", b"-end", noreply=False) is True
    assert client.prepend("k", b"start-", noreply=False) is True
    assert quiet.append("k", b"!") is True
    assert quiet.prepend("k", b"!") is True
    sync(quiet)
    assert client.raw_command("get k", "END\r\n") == b"VALUE k 5 15\r\n!start-mid-end!\r\n"


def test_gets_cas(client: Client, quiet: Client) -> None:
    assert client.gets("k") == (None, None)
    assert client.cas("k", b"v", b"1") is None  # NOT_FOUND
    client.set("k", b"v1")
    value, token = client.gets("k")
    assert value == b"v1" and token.isdigit()
    assert client.cas("k", b"v2", token) is True
    assert client.cas("k", b"v3", token) is False  # EXISTS: token is stale
    value2, token2 = client.gets("k")
    assert value2 == b"v2" and token2 != token
    assert quiet.cas("k", b"v4", token2) is True
    sync(quiet)
    assert client.get("k") == b"v4"
    assert client.cas("k", b"v5", b"0") is False


def test_gets_many(client: Client) -> None:
    client.set_many({"a": b"1", "b": b"2"})
    got = client.gets_many(["a", "b", "c"])
    assert set(got) == {"a", "b"}
    assert got["a"][0] == b"1" and got["b"][0] == b"2"
    assert got["a"][1] != got["b"][1]
    assert client.gets_many([]) == {}


def test_delete(client: Client, quiet: Client) -> None:
    assert client.delete("k", noreply=False) is False
    client.set("k", b"v")
    assert client.delete("k", noreply=False) is True
    assert client.get("k") is None
    client.set("k", b"v")
    assert quiet.delete("k") is True
    sync(quiet)
    assert client.get("k") is None


def test_delete_many(client: Client, quiet: Client) -> None:
    client.set_many({"a": b"1", "b": b"2", "c": b"3"})
    assert client.delete_many(["a", "x"], noreply=False) is True
    assert quiet.delete_many(["b"]) is True
    sync(quiet)
    assert client.delete_multi(["c"]) is True
    assert client.get_many(["a", "b", "c"]) == {}
    assert client.delete_many([]) is True


def test_incr_decr(client: Client, quiet: Client) -> None:
    assert client.incr("n", 1, noreply=False) is None
    assert client.decr("n", 1, noreply=False) is None
    client.set("n", b"10")
    assert client.incr("n", 5, noreply=False) == 15
    assert client.decr("n", 20, noreply=False) == 0
    assert quiet.incr("n", 7, noreply=True) is None  # incr's noreply defaults to False
    sync(quiet)
    assert client.get("n") == b"7 "  # written in place, space-padded (§3a)
    client.set("big", b"18446744073709551615")
    assert client.incr("big", 1, noreply=False) == 0
    client.set("pad", b"100")
    assert client.decr("pad", 1, noreply=False) == 99
    assert client.get("pad") == b"99 "
    client.set("text", b"abc")
    with pytest.raises(MemcacheClientError, match="non-numeric"):
        client.incr("text", 1, noreply=False)


def test_touch(client: Client, quiet: Client) -> None:
    assert client.touch("k", 100, noreply=False) is False
    client.set("k", b"v")
    assert client.touch("k", 100, noreply=False) is True
    assert quiet.touch("k", 100) is True
    sync(quiet)
    assert client.touch("k", -1, noreply=False) is True
    assert client.get("k") is None


def test_gat_gats_raw(client: Client) -> None:
    client.set("k", b"v")
    assert client.raw_command("gat 100 k", "END\r\n") == b"VALUE k 0 1\r\nv\r\n"
    reply = client.raw_command("gats 100 k", "END\r\n")
    assert re.fullmatch(rb"VALUE k 0 1 \d+\r\nv\r\n", reply)


def test_stats(client: Client) -> None:
    client.set_many({"a": b"1", "b": b"2"})
    client.get_many(["a", "b", "c"])
    stats = client.stats()
    for name in (b"pid", b"uptime", b"version", b"curr_connections", b"cmd_get", b"get_hits"):
        assert name in stats, name
    assert stats[b"curr_items"] >= 2
    settings = client.stats("settings")
    assert settings[b"maxbytes"] == 64 * 1024 * 1024
    assert settings[b"cas_enabled"] == b"yes"
    assert client.stats("slabs")[b"active_slabs"] >= 1
    assert any(k.startswith(b"items:") for k in client.stats("items"))


def test_version(client: Client) -> None:
    assert re.fullmatch(rb"\d+\.\d+\.\d+", client.version())


def test_flush_all(client: Client, quiet: Client) -> None:
    client.set("k", b"v")
    assert client.flush_all(noreply=False) is True
    assert client.get("k") is None
    client.set("k", b"v")
    assert quiet.flush_all() is True
    sync(quiet)
    assert client.get("k") is None
    client.set("k", b"v")
    assert client.flush_all(delay=100, noreply=False) is True
    assert client.get("k") == b"v"
    assert client.flush_all(noreply=False) is True


def test_quit_and_reconnect(client: Client) -> None:
    client.set("k", b"v")
    assert client.quit() is None
    assert client.sock is None
    assert client.get("k") == b"v"  # reconnects


def test_close_and_reconnect(client: Client) -> None:
    client.set("k", b"v")
    client.close()
    assert client.get("k") == b"v"
    client.disconnect_all()
    assert client.get("k") == b"v"


def test_cache_memlimit(client: Client) -> None:
    assert client.cache_memlimit(64) is True
    assert client.stats("settings")[b"maxbytes"] == 64 * 1024 * 1024


def test_raw_command(client: Client) -> None:
    assert client.raw_command("set k 0 0 1\r\nv") == b"STORED"
    assert client.raw_command("mn", "MN\r\n") == b""
    with pytest.raises(MemcacheUnknownCommandError):
        client.raw_command(b"bogus")


def test_check_key(client: Client) -> None:
    assert client.check_key("abc", b"p:") == b"p:abc"
    with pytest.raises(MemcacheIllegalInputError):
        client.check_key("a b", b"")
    with pytest.raises(MemcacheIllegalInputError):
        client.set("k" * 251, b"v")


def test_key_prefix(server: Server) -> None:
    c = make_client(server, key_prefix=b"pre:", default_noreply=False)
    try:
        c.set("k", b"v")
        assert c.get("k") == b"v"
        assert c.raw_command("get pre:k", "END\r\n") == b"VALUE pre:k 0 1\r\nv\r\n"
    finally:
        c.close()


def test_shutdown_not_enabled(client: Client, kind: Kind) -> None:
    # HEAD (ours) answers SERVER_ERROR, 1.6.18 ERROR (reference §12).
    reference = kind == "memcached" or target_is_reference()
    expected = MemcacheUnknownCommandError if reference else MemcacheServerError
    with pytest.raises(expected):
        client.shutdown()
    assert client.version()  # still serving


@pytest.mark.parametrize("graceful", [False, True])
def test_shutdown_enabled(kind: Kind, graceful: bool) -> None:
    srv = start(kind, ["-A"])
    try:
        c = make_client(srv, default_noreply=False)
        c.set("k", b"v")
        c.shutdown(graceful=graceful)
        assert srv.proc.wait(timeout=10) is not None
    finally:
        srv.stop()
