"""`watch` log streaming."""

from __future__ import annotations

import re

from memcached_py.protocol.connection import Connection
from tests.protocol.helpers import check, drive, send, session


def test_watch_errors() -> None:
    check(b"watch foo\r\n", b"ERROR\r\n")
    check(b"watch\r\n", b"CLIENT_ERROR watch commands not allowed\r\n", disable_watch=True)
    _env, conn = session()
    assert send(conn, b"version\r\nwatch\r\n") == (
        b"VERSION 1.6.45\r\nERROR cannot pipeline other commands before watch\r\n"
    )


def test_fetchers_and_mutations() -> None:
    """Line for line what memcached 1.6.18 logs for the same commands."""
    env, watcher = session()
    assert send(watcher, b"watch fetchers mutations deletions\r\n") == b"OK\r\n"
    client = Connection(env.engine, fd=26)
    send(
        client,
        b"set a%b 0 0 1\r\nx\r\nget a%b\r\nget nope\r\nadd a%b 0 5 1\r\ny\r\n"
        b"incr a%b 1\r\ndelete a%b\r\ntouch a 1\r\nappend nope 0 0 1\r\nz\r\n",
    )
    assert watcher.more_work
    out = drive(watcher, []).output.decode()
    lines = [re.sub(r"clsid=[1-9]\d*", "clsid=N", line) for line in out.splitlines()]
    for i, line in enumerate(lines):
        assert re.match(rf"ts=\d+\.\d+ gid={i + 1} ", line), line
    bodies = [line.split(" ", 2)[2] for line in lines]
    assert bodies == [
        "type=item_get key=a%25b status=not_found clsid=0 cfd=26 size=0",
        "type=item_store key=a%25b status=stored cmd=set ttl=0 clsid=N cfd=26 size=1",
        "type=item_get key=a%25b status=found clsid=N cfd=26 size=1",
        "type=item_get key=nope status=not_found clsid=0 cfd=26 size=0",
        "type=item_get key=a%25b status=found clsid=N cfd=26 size=1",
        "type=item_store key=a%25b status=not_stored cmd=add ttl=5 clsid=0 cfd=26 size=1",
        "type=item_get key=a%25b status=found clsid=N cfd=26 size=1",
        "type=item_get key=a%25b status=found clsid=N cfd=26 size=1",
        "type=deleted key=a%25b cmd=delete clsid=N size=1",
        "type=item_get key=a status=not_found clsid=0 cfd=26 size=0",
        "type=item_get key=nope status=not_found clsid=0 cfd=26 size=0",
        "type=item_store key=nope status=not_stored cmd=append ttl=0 clsid=0 cfd=26 size=1",
    ]
    # input on a watching connection is ignored
    assert send(watcher, b"version\r\n") == b""


def test_default_is_fetchers_and_keys_are_encoded() -> None:
    env, watcher = session()
    woken: list[Connection] = []
    env.engine.on_watch_data = woken.append
    send(watcher, b"watch\r\n")
    client = Connection(env.engine)
    send(client, b"set a%b 0 0 1\r\nx\r\nget a%b\r\n")
    out = drive(watcher, []).output
    assert out.count(b"\n") == 2 and b"key=a%25b status=found" in out
    assert woken == [watcher, watcher]


def test_slow_watcher_is_bounded_and_told() -> None:
    env, watcher = session(watcher_logbuf_size=4096)
    send(watcher, b"watch\r\n")
    client = Connection(env.engine)
    send(client, b"get k\r\n" * 2000)
    w = watcher.watcher
    assert w is not None and w.size <= 4096 and w.skipped > 0
    out = drive(watcher, []).output
    assert out.startswith(b"skipped=")
    assert env.engine.counters.log_watcher_skipped > 0


def test_watcher_removed_on_close() -> None:
    env, watcher = session()
    send(watcher, b"watch\r\n")
    assert env.engine.watch is not None
    watcher.receive_data(b"")
    assert env.engine.watch is None
    assert env.engine.counters.log_watchers == 0


def test_evictions_are_logged_like_memcached() -> None:
    """memcached 1.6.18 -m 2, 50,000-byte values with ttl 100: the first
    eviction line reads ``type=eviction key=key0 fetch=no ttl=100 la=0
    clsid=29 size=50000`` (tests/differential/test_watch_evictions.py compares
    the whole stream with the real server)."""
    env, watcher = session(memory_limit=2 * 1024 * 1024)
    assert send(watcher, b"watch evictions\r\n") == b"OK\r\n"
    assert env.store.on_evict is not None
    client = Connection(env.engine, fd=27)
    value = b"x" * 50_000
    for i in range(60):
        assert send(client, b"set key%d 0 100 50000\r\n%b\r\n" % (i, value)) == b"STORED\r\n"
    lines = drive(watcher, []).output.decode().splitlines()
    assert lines, "no eviction logged"
    bodies = [line.split(" ", 2)[2] for line in lines]
    assert bodies[0] == "type=eviction key=key0 fetch=no ttl=100 la=0 clsid=29 size=50000"
    evicted = [re.search(r"key=(\S+)", b).group(1) for b in bodies]  # type: ignore[union-attr]
    assert evicted == [f"key{i}" for i in range(len(evicted))]
    assert len(evicted) == env.store.stats()["evictions"]


def test_eviction_hook_only_while_someone_watches_evictions() -> None:
    env, watcher = session()
    send(watcher, b"watch fetchers\r\n")
    assert env.store.on_evict is None
    other = Connection(env.engine, fd=28)
    send(other, b"watch evictions\r\n")
    assert env.store.on_evict is not None
    other.receive_data(b"")  # the evictions watcher goes away
    assert env.store.on_evict is None
