"""``watch``: stream log lines about fetches, mutations, deletions, connections.

The engine holds a ``WatchHub`` in ``engine.watch`` only while at least one
watcher exists, so the request path pays one ``is not None`` test otherwise.
Each watcher has a bounded buffer (``watcher_logbuf_size``); when it is full,
new lines are dropped and counted, and the watcher later receives a
``skipped=<n>`` line: a slow watcher never slows the server down.

Line formats (memcached ``logger.c``)::

    ts=<sec.usec> gid=<n> type=item_get key=<k> status=<found|not_found> clsid=<n> cfd=<fd> size=<n>
    ts=... gid=... type=item_store key=<k> status=<stored|...> cmd=<set|...> ttl=<n>
        clsid=<n> cfd=<fd> size=<n>
    ts=... gid=... type=deleted key=<k> cmd=<delete|md> clsid=<n> size=<n>
    ts=... gid=... type=conn_new rip=<ip> rport=<port> transport=<tcp|udp|local> cfd=<fd>
    ts=... gid=... type=conn_close rip=<ip> rport=<port> transport=<t> reason=<r> cfd=<fd>

Keys are URI-encoded; the microseconds in ``ts`` are unpadded, as memcached's.
The server sets ``engine.on_watch_data`` (a callable taking the watching
``Connection``) to learn that a watcher has lines to send; it should then call
``process`` for that connection soon (cheaply: mark it runnable). Without the
hook, it has to poll ``conn.more_work``.
"""

from __future__ import annotations

import time
from collections import deque
from typing import TYPE_CHECKING, Final

from memcached_py.protocol.errors import ClientError, CommandError
from slab._types import Item

if TYPE_CHECKING:
    from memcached_py.engine import Engine, StoreAPI
    from memcached_py.protocol.connection import Connection

FETCHERS: Final = 1
MUTATIONS: Final = 2
EVICTIONS: Final = 4
CONNEVENTS: Final = 8
DELETIONS: Final = 16

_TYPES: Final = {
    b"fetchers": FETCHERS,
    b"mutations": MUTATIONS,
    b"evictions": EVICTIONS,
    b"connevents": CONNEVENTS,
    b"deletions": DELETIONS,
    # accepted, never produced here (no proxy, no raw command log, no sysevents)
    b"proxyreqs": 0,
    b"proxyevents": 0,
    b"proxyuser": 0,
    b"rawcmds": 0,
    b"sysevents": 0,
}

_SAFE: Final = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")


def uri_encode(key: bytes) -> bytes:
    if all(b in _SAFE for b in key):
        return key
    return b"".join(bytes((b,)) if b in _SAFE else b"%%%02X" % b for b in key)


class Watcher:
    """One watching connection: flags + bounded line buffer."""

    __slots__ = ("conn", "flags", "limit", "lines", "size", "skipped")

    def __init__(self, conn: Connection, flags: int, limit: int) -> None:
        self.conn = conn
        self.flags = flags
        self.limit = limit
        self.lines: deque[bytes] = deque()
        self.size = 0
        self.skipped = 0

    def push(self, line: bytes) -> bool:
        if self.size + len(line) > self.limit:
            self.skipped += 1
            return False
        self.lines.append(line)
        self.size += len(line)
        return True

    def pending(self) -> bool:
        return bool(self.lines) or self.skipped > 0

    def drain(self, cap: int) -> bytes:
        parts: list[bytes] = []
        n = 0
        if self.skipped:
            parts.append(b"skipped=%d\n" % self.skipped)
            self.skipped = 0
        lines = self.lines
        while lines and n < cap:
            line = lines.popleft()
            parts.append(line)
            n += len(line)
        self.size -= n
        return b"".join(parts)


class WatchHub:
    """All watchers of one engine; the engine calls the event methods."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.watchers: list[Watcher] = []
        self.gid = 0
        self.cfd = -1  # fd of the connection running the current command

    def _emit(self, kind: int, body: bytes) -> None:
        self.gid += 1
        now = time.time()
        sec = int(now)
        # memcached prints the microseconds unpadded ("%d.%d")
        line = b"ts=%d.%d gid=%d %b\n" % (sec, int((now - sec) * 1_000_000), self.gid, body)
        counters = self.engine.counters
        for w in self.watchers:
            if w.flags & kind:
                if w.push(line):
                    counters.log_watcher_sent += 1
                    wakeup = self.engine.on_watch_data
                    if wakeup is not None:
                        wakeup(w.conn)
                else:
                    counters.log_watcher_skipped += 1

    def fetch(self, key: bytes, item: Item | None, store: StoreAPI) -> None:
        if item is None:
            body = b"type=item_get key=%b status=not_found clsid=0 cfd=%d size=0" % (
                uri_encode(key),
                self.cfd,
            )
        else:
            body = b"type=item_get key=%b status=found clsid=%d cfd=%d size=%d" % (
                uri_encode(key),
                item.slab_class,
                self.cfd,
                len(item.value),
            )
        self._emit(FETCHERS, body)

    def store(self, key: bytes, cmd: str, status: str, ttl: int, size: int, clsid: int = 0) -> None:
        body = b"type=item_store key=%b status=%b cmd=%b ttl=%d clsid=%d cfd=%d size=%d" % (
            uri_encode(key),
            status.encode(),
            cmd.encode(),
            ttl,
            clsid,
            self.cfd,
            size,
        )
        self._emit(MUTATIONS, body)

    def deleted(self, key: bytes, cmd: str, item: Item) -> None:
        body = b"type=deleted key=%b cmd=%b clsid=%d size=%d" % (
            uri_encode(key),
            cmd.encode(),
            item.slab_class,
            len(item.value),
        )
        self._emit(DELETIONS, body)

    def eviction(self, item: Item, now: int) -> None:
        ttl = item.exptime - now if item.exptime > 0 else -1
        body = b"type=eviction key=%b fetch=%b ttl=%d la=%d clsid=%d size=%d" % (
            uri_encode(item.key),
            b"yes" if item.fetched else b"no",
            ttl,
            now - item.last_access,
            item.slab_class,
            len(item.value),
        )
        self._emit(EVICTIONS, body)

    def conn_event(
        self, new: bool, rip: str, rport: int, transport: str, cfd: int, reason: str = "normal"
    ) -> None:
        if new:
            text = f"type=conn_new rip={rip} rport={rport} transport={transport} cfd={cfd}"
        else:
            text = (
                f"type=conn_close rip={rip} rport={rport} transport={transport} "
                f"reason={reason} cfd={cfd}"
            )
        self._emit(CONNEVENTS, text.encode())

    def add(self, watcher: Watcher) -> None:
        self.watchers.append(watcher)
        self._watchers_changed()

    def remove(self, watcher: Watcher) -> None:
        if watcher in self.watchers:
            self.watchers.remove(watcher)
        self._watchers_changed()
        if not self.watchers:
            self.engine.watch = None

    def _watchers_changed(self) -> None:
        self.engine.counters.log_watchers = len(self.watchers)
        # The store snapshots an evicted item only while someone watches evictions.
        wanted = any(w.flags & EVICTIONS for w in self.watchers)
        self.engine.store.on_evict = self.eviction if wanted else None


def start_watch(conn: Connection, tokens: list[bytes]) -> bytes:
    """``watch [types...]``: turn ``conn`` into a log stream; returns ``OK``."""
    engine = conn.engine
    if engine.settings.disable_watch:
        raise ClientError(b"watch commands not allowed")
    flags = 0
    for tok in tokens[1:]:
        kind = _TYPES.get(tok)
        if kind is None:
            raise CommandError()
        flags |= kind
    if len(tokens) == 1:
        flags = FETCHERS
    if conn.has_pending_output:
        raise CommandError(b"cannot pipeline other commands before watch")
    hub = engine.watch
    if hub is None:
        hub = engine.watch = WatchHub(engine)
    watcher = Watcher(conn, flags, max(engine.settings.watcher_logbuf_size, 4096))
    hub.add(watcher)
    conn.start_watching(watcher)
    return b"OK\r\n"


def stop_watch(conn: Connection) -> None:
    """Forget ``conn``'s watcher (connection closed)."""
    hub = conn.engine.watch
    if conn.watcher is not None and hub is not None:
        hub.remove(conn.watcher)
    conn.watcher = None
