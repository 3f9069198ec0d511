"""The trio layer: listeners and connections; it only moves bytes.

Connection model (see ../shared/design/architecture.md for the measurements
behind it): every plain TCP and UNIX connection is served by ONE trio task,
the event loop, which owns a level-triggered ``select.epoll`` and waits on
its file descriptor with ``trio.lowlevel.wait_readable``. Each wake-up reads
every ready socket (until EAGAIN, at most ``RECVS_PER_WAKEUP`` reads), runs
all complete pipelined commands through the sans-IO ``Connection`` and
answers them with one ``send``. While epoll keeps reporting work the loop
polls it again directly, handing control to trio only every
``BUSY_ROUNDS_PER_YIELD`` rounds. No task switch happens per request, which
is what makes trio fast enough here.

TLS connections live in the same loop: the standard library's
``ssl.SSLObject`` over two ``ssl.MemoryBIO`` buffers encrypts and decrypts
in memory, so a TLS request costs no task switch either.

Invariants:
- Memory is bounded per connection: we stop reading from a peer while its
  unsent output is non-empty (EPOLLOUT only) or its unparsed input exceeds
  ``INPUT_HIGH_WATER``; the ``Connection`` caps each reply batch.
- ``-R`` fairness: ``Connection.process`` runs at most ``max_reqs_per_event``
  commands; a connection with work left is revisited after the others.
- Shutdown closes listeners first, so new clients get "connection refused"
  at once (clients such as pymemcache fail over on that).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import select
import socket
import ssl
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import trio

from memcached_py.engine import Engine
from memcached_py.listen import ListenAddress, parse_listen_entry, resolve
from memcached_py.protocol.connection import Connection
from memcached_py.settings import Settings
from memcached_py.tls import TLSState
from slab import CachedClock

log = logging.getLogger("memcached_py.server")

#: Bytes asked of the kernel per ``recv``.
RECV_SIZE: Final = 64 * 1024  # below glibc's mmap threshold: no mmap per recv
#: Stop reading a peer while this much of its input is not yet parsed.
INPUT_HIGH_WATER: Final = 4 * 1024 * 1024
#: ``recv`` calls per connection per wake-up before others get a turn.
RECVS_PER_WAKEUP: Final = 4
#: Event-loop rounds served back to back before trio gets a turn.
BUSY_ROUNDS_PER_YIELD: Final = 16
#: After a round with work, how long the loop waits for more in epoll itself
#: (seconds) before handing the wait to trio.
DIRECT_WAIT: Final = 0.001
#: Reply sent (then the socket closed) when ``-c`` is reached.
TOO_MANY_CONNECTIONS: Final = b"ERROR Too many open connections\r\n"
#: How often the housekeeping task runs (idle timeout, store upkeep).
HOUSEKEEPING_INTERVAL: Final = 1.0
#: Items the background expiry crawl examines per housekeeping tick.
CRAWL_BUDGET: Final = 5000
#: Upper bound on a graceful drain, for peers that never read their replies.
GRACEFUL_DRAIN_LIMIT: Final = 60.0

EPOLL_IN: Final = select.EPOLLIN | select.EPOLLRDHUP
EPOLL_OUT: Final = select.EPOLLOUT


@dataclass(eq=False, slots=True)
class _Client:
    """One accepted connection: its socket, protocol state and unsent bytes."""

    sock: socket.socket
    conn: Connection
    addr: str
    listen_addr: str
    last_active: float
    #: ``sock.recv`` / ``sock.send``, bound once: looking a method up on a
    #: ``socket.socket`` costs ~300 instructions, and the hot path calls
    #: each once per request
    recv: Callable[[int], bytes]
    send: Callable[[bytes | memoryview], int]
    unsent: bytes | memoryview | None = None
    peer_ip: str = ""
    peer_port: int = 0
    transport: str = "tcp"
    events: int = EPOLL_IN
    closed: bool = False
    #: TLS state (None for plain connections); see ``_TLS``.
    tls: _TLS | None = None


class _TLS:
    """A TLS session driven in memory: raw bytes in and out go through the BIOs.

    A plain class, not a dataclass: compiled, a dataclass looks up its field
    types at import, and ``ssl.SSLObject`` would load OpenSSL without -Z.
    """

    __slots__ = ("accepted_at", "handshaken", "incoming", "obj", "outgoing")

    def __init__(
        self,
        obj: ssl.SSLObject,
        incoming: ssl.MemoryBIO,
        outgoing: ssl.MemoryBIO,
        accepted_at: float,
    ) -> None:
        self.obj = obj
        self.incoming = incoming
        self.outgoing = outgoing
        self.accepted_at = accepted_at
        self.handshaken = False


@dataclass(slots=True)
class _Listener:
    sock: socket.socket
    name: str  # "tcp:127.0.0.1:11211" / "unix:/path"
    tls: bool
    transport: str  # "tcp" or "local"


@dataclass
class BoundAddresses:
    """What the server bound, for MEMCACHED_PORT_FILENAME and tests."""

    tcp: list[tuple[int, int]] = field(default_factory=list)  # (family, port)
    unix: str | None = None


def format_peer(family: int, sockaddr: object) -> str:
    if family == socket.AF_UNIX:
        return f"unix:{sockaddr}"
    host, port = sockaddr[0], sockaddr[1]  # type: ignore[index]
    if family == socket.AF_INET6:
        return f"tcp6:[{host}]:{port}"
    return f"tcp:{host}:{port}"


class Server:
    """Listeners + connections for one ``Engine``; implements ``ServerControl``."""

    def __init__(self, settings: Settings, engine_factory: Callable[[Server], Engine]) -> None:
        self.settings = settings
        self.tls: TLSState | None = (
            TLSState.from_settings(settings) if settings.enable_ssl else None
        )
        self.engine = engine_factory(self)
        self.engine.on_watch_data = self._on_watch_data
        self.counters = self.engine.counters
        self._listeners: dict[int, _Listener] = {}
        self._clients: dict[int, _Client] = {}
        self._epoll = select.epoll()
        self._runnable: list[_Client] = []
        self._round_started = time.monotonic()  # "now" for the current loop round
        clock = self.engine.clock
        #: refreshes the store's and engine's clock once per round (slab/_clock.py)
        self._refresh_clock: Callable[[], int] | None = (
            clock.refresh if isinstance(clock, CachedClock) else None
        )
        self.max_reqs_per_event = settings.max_reqs_per_event
        self._shutdown: trio.Event = trio.Event()
        self._graceful = False
        self._draining = False
        self.bound = BoundAddresses()
        self.auth_reloader: Callable[[], str | None] | None = None

    # ------------------------------------------------------------------ binding
    def bind(self) -> BoundAddresses:
        """Open every listener; raises OSError (or ListenError) like memcached's startup."""
        s = self.settings
        backlog = s.listen_backlog
        if s.unix_socket:
            self._bind_unix(s.unix_socket, s.unix_mask, backlog)
        elif s.port != 0 or any(":" in e.removeprefix("notls:") for e in s.listen):
            for entry in s.listen:
                address = parse_listen_entry(entry, s.port)
                if address.port == 0 and s.port == 0:
                    continue
                for family, sockaddr in resolve(address):
                    self._bind_tcp(family, sockaddr, address, backlog)
        for listener in self._listeners.values():
            self._epoll.register(listener.sock.fileno(), select.EPOLLIN)
        return self.bound

    def _bind_tcp(
        self, family: int, sockaddr: object, address: ListenAddress, backlog: int
    ) -> None:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind(sockaddr)  # type: ignore[arg-type]
            sock.listen(backlog)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        bound = sock.getsockname()
        self.bound.tcp.append((family, bound[1]))
        tls = self.tls is not None and address.tls
        self._listeners[sock.fileno()] = _Listener(sock, format_peer(family, bound), tls, "tcp")

    def _bind_unix(self, path: str, mask: int, backlog: int) -> None:
        try:
            if stat.S_ISSOCK(os.lstat(path).st_mode):
                os.unlink(path)  # a stale socket from an earlier run, as memcached does
        except FileNotFoundError:
            pass
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(~mask & 0o777)
        try:
            sock.bind(path)
            sock.listen(backlog)
        except OSError:
            sock.close()
            raise
        finally:
            os.umask(old_umask)
        sock.setblocking(False)
        self.bound.unix = path
        self._listeners[sock.fileno()] = _Listener(sock, f"unix:{path}", False, "local")

    def _on_watch_data(self, conn: Connection) -> None:
        """A watcher has log lines: send them on the next loop turn."""
        client = self._clients.get(conn.fd)
        if client is not None and client.conn is conn and client not in self._runnable:
            self._runnable.append(client)

    # ------------------------------------------------------------- ServerControl
    def request_shutdown(self, graceful: bool) -> None:
        self._graceful = self._graceful or graceful
        self._shutdown.set()

    def refresh_certs(self) -> str | None:
        if self.tls is None:
            return "TLS not enabled"
        return self.tls.reload()

    def tls_stats(self) -> list[tuple[str, str]]:
        return self.tls.stats() if self.tls is not None else []

    def connection_stats(self) -> list[tuple[str, str]]:
        now = time.monotonic()
        lines: list[tuple[str, str]] = []
        for fd, listener in self._listeners.items():
            lines.append((f"{fd}:addr", listener.name))
            lines.append((f"{fd}:state", "conn_listening"))
        for client in self._clients.values():
            fd = client.sock.fileno()
            lines.append((f"{fd}:addr", client.addr))
            lines.append((f"{fd}:listen_addr", client.listen_addr))
            lines.append((f"{fd}:state", "conn_parse_cmd"))
            lines.append((f"{fd}:secs_since_last_cmd", str(int(now - client.last_active))))
        return lines

    # --------------------------------------------------------------------- run
    async def serve(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Serve until shutdown is requested; then stop as asked (see module doc)."""
        self.counters.accepting_conns = 1
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._event_loop)
            nursery.start_soon(self._housekeeping)
            task_status.started()
            await self._shutdown.wait()
            self._close_listeners()
            if self._graceful:
                await self._drain()
            nursery.cancel_scope.cancel()
        self._close_all()

    def _close_listeners(self) -> None:
        self.counters.accepting_conns = 0
        for fd, listener in list(self._listeners.items()):
            self._epoll.unregister(fd)
            listener.sock.close()
            if listener.transport == "local" and self.bound.unix:
                with contextlib.suppress(OSError):
                    os.unlink(self.bound.unix)
        self._listeners.clear()

    async def _drain(self) -> None:
        """Graceful stop: finish every reply being written, run nothing new."""
        self._draining = True
        for client in list(self._clients.values()):
            client.conn.begin_drain()
            self._pump(client)
        with trio.move_on_after(GRACEFUL_DRAIN_LIMIT):
            while self._clients:
                await trio.sleep(0.01)

    def _close_all(self) -> None:
        for client in list(self._clients.values()):
            self._close(client, "shutdown")
        self._epoll.close()

    async def _housekeeping(self) -> None:
        idle_timeout = self.settings.idle_timeout
        while True:
            await trio.sleep(HOUSEKEEPING_INTERVAL)
            if self._refresh_clock is not None:
                self._refresh_clock()
            store = self.engine.store
            store.maintain()
            if self.engine.lru_crawler_enabled:
                store.crawl_step(CRAWL_BUDGET)
            if self.tls is not None:
                self._expire_handshakes()
            if idle_timeout > 0:
                deadline = time.monotonic() - idle_timeout
                for client in list(self._clients.values()):
                    if client.last_active < deadline and client.unsent is None:
                        self.counters.idle_kicks += 1
                        self._close(client, "idle_timeout")

    # -------------------------------------------------------------- event loop
    async def _event_loop(self) -> None:
        """Serve every plain connection; see the module docstring.

        While our epoll keeps reporting work, we poll it again directly
        (a ~0.3 us syscall) instead of going through trio's scheduler (~5 us
        per round trip); we still yield to trio every ``BUSY_ROUNDS_PER_YIELD``
        rounds so timers, signals and housekeeping keep running.
        """
        epoll = self._epoll
        epoll_fd = epoll.fileno()
        busy_rounds = 0
        while True:
            # Busy a moment ago: the next request is likely close, so wait for
            # it in epoll ourselves rather than through trio's scheduler (a
            # wake-up through trio costs tens of microseconds of latency);
            # bounded, so trio's timers and signals are late by DIRECT_WAIT
            # at most.
            events = epoll.poll(DIRECT_WAIT if busy_rounds and not self._runnable else 0)
            if events or self._runnable:
                busy_rounds += 1
                if busy_rounds >= BUSY_ROUNDS_PER_YIELD:
                    busy_rounds = 1
                    await trio.lowlevel.checkpoint()
            else:
                busy_rounds = 0
                await trio.lowlevel.wait_readable(epoll_fd)
                continue
            self._round_started = time.monotonic()
            if self._refresh_clock is not None:
                self._refresh_clock()
            runnable, self._runnable = self._runnable, []
            for fd, mask in events:
                client = self._clients.get(fd)
                if client is None:
                    listener = self._listeners.get(fd)
                    if listener is not None:
                        self._accept(listener)
                    continue
                if mask & EPOLL_OUT:
                    self._flush(client)
                    if client.unsent is None and not client.closed:
                        self._pump(client)
                else:
                    self._on_readable(client)
            for client in runnable:
                if not client.closed and client.unsent is None:
                    self._pump(client)

    def _accept(self, listener: _Listener) -> None:
        while True:
            try:
                sock, peer = listener.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE):
                    self.counters.listen_disabled_num += 1
                    return
                raise
            self.counters.total_connections += 1
            if self.counters.curr_connections >= self.settings.conn_limit:
                self.counters.rejected_connections += 1
                try:
                    sock.setblocking(False)
                    sock.send(TOO_MANY_CONNECTIONS)
                except OSError:
                    pass
                sock.close()
                continue
            sock.setblocking(False)
            if listener.transport == "tcp":
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            addr = format_peer(sock.family, peer if peer else listener.name.split(":", 1)[1])
            conn = Connection(
                self.engine, transport=listener.transport, peer=addr, fd=sock.fileno()
            )
            client = _Client(
                sock, conn, addr, listener.name, time.monotonic(), sock.recv, sock.send
            )
            if isinstance(peer, tuple):
                client.peer_ip, client.peer_port = peer[0], peer[1]
            client.transport = listener.transport
            self.counters.curr_connections += 1
            self._log_conn_event(client, new=True)
            if listener.tls and self.tls is not None:
                incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
                obj = self.tls.context.wrap_bio(incoming, outgoing, server_side=True)
                client.tls = _TLS(obj, incoming, outgoing, client.last_active)
            self._clients[sock.fileno()] = client
            self._epoll.register(sock.fileno(), EPOLL_IN)

    def _on_readable(self, client: _Client) -> None:
        """Read what the peer sent, answer it (the hot path: one recv, one send)."""
        conn = client.conn
        recv = client.recv
        for _ in range(RECVS_PER_WAKEUP):
            try:
                data = recv(RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(client, "error")
                return
            self.counters.bytes_read += len(data)
            if client.tls is not None:
                if not self._tls_receive(client, data):
                    return
            else:
                conn.receive_data(data)
            if len(data) < RECV_SIZE or conn.input_buffered > INPUT_HIGH_WATER:
                break
        client.last_active = self._round_started
        self._pump(client)

    def _pump(self, client: _Client) -> None:
        """Run ready commands and send their replies; arrange the next wake-up."""
        if client.unsent is not None:
            return  # the peer has not taken the last batch yet; EPOLLOUT resumes us
        conn = client.conn
        out = conn.process(self.max_reqs_per_event)
        if client.tls is not None:
            out = self._tls_send_data(client, out)
        if out:
            try:
                sent = client.send(out)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._close(client, "error")
                return
            self.counters.bytes_written += sent
            if sent < len(out):
                client.unsent = memoryview(out)[sent:]
                self._want(client, EPOLL_OUT)  # stop reading until the peer reads
                return
        if conn.wants_close:
            self._close(client)
            return
        if conn.more_work:
            self._runnable.append(client)
        if client.events != EPOLL_IN or conn.input_buffered > INPUT_HIGH_WATER:
            # back to reading (after EPOLLOUT), or pause reading a flooding peer
            self._want(client, 0 if conn.input_buffered > INPUT_HIGH_WATER else EPOLL_IN)

    def _flush(self, client: _Client) -> None:
        """Send what an earlier ``_pump`` could not (the peer is reading again)."""
        data = client.unsent
        if data is None:
            return
        try:
            sent = client.send(data)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(client, "error")
            return
        self.counters.bytes_written += sent
        if sent == len(data):
            client.unsent = None
            if client.conn.wants_close and not client.conn.more_work:
                self._close(client)
        else:
            client.unsent = data[sent:]

    def _log_conn_event(self, client: _Client, new: bool, reason: str = "normal") -> None:
        hub = self.engine.watch
        if hub is not None:
            fd = client.sock.fileno()
            hub.conn_event(new, client.peer_ip, client.peer_port, client.transport, fd, reason)

    def _want(self, client: _Client, events: int) -> None:
        if client.events != events:
            client.events = events
            self._epoll.modify(client.sock.fileno(), events)

    def _close(self, client: _Client, reason: str = "normal") -> None:
        if client.closed:
            return
        client.closed = True
        self._log_conn_event(client, new=False, reason=reason)
        fd = client.sock.fileno()
        self._clients.pop(fd, None)
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(fd)
        client.conn.receive_data(b"")
        self.counters.curr_connections -= 1
        client.sock.close()

    # ------------------------------------------------------------------- TLS
    def _tls_receive(self, client: _Client, data: bytes) -> bool:
        """Feed raw bytes to the TLS session; False if the connection was closed."""
        tls = client.tls
        assert tls is not None and self.tls is not None
        if not data:
            client.conn.receive_data(b"")
            return True
        tls.incoming.write(data)
        if not tls.handshaken:
            try:
                tls.obj.do_handshake()
            except ssl.SSLWantReadError:
                self._tls_flush_handshake(client)
                return not client.closed
            except (ssl.SSLError, OSError):
                self.tls.handshake_errors += 1
                self._tls_flush_handshake(client)  # the alert, if any
                self._close(client, "error")
                return False
            tls.handshaken = True
            self.tls.new_sessions += 1
            self._tls_flush_handshake(client)
            if client.closed:
                return False
        while True:
            try:
                plain = tls.obj.read(RECV_SIZE)
            except ssl.SSLWantReadError:
                return True
            except ssl.SSLZeroReturnError:
                client.conn.receive_data(b"")
                return True
            except (ssl.SSLError, OSError):
                self.tls.proto_errors += 1
                self._close(client, "error")
                return False
            if not plain:
                return True
            client.conn.receive_data(plain)

    def _tls_send_data(self, client: _Client, out: bytes) -> bytes:
        """Encrypt replies; the raw bytes to send (may carry TLS records only)."""
        tls = client.tls
        assert tls is not None
        if out:
            tls.obj.write(out)
        return tls.outgoing.read()

    def _tls_flush_handshake(self, client: _Client) -> None:
        """Send handshake records now (the peer is waiting for them)."""
        assert client.tls is not None
        raw = client.tls.outgoing.read()
        if raw:
            if client.unsent is not None:
                client.unsent = memoryview(bytes(client.unsent) + raw)
            else:
                client.unsent = memoryview(raw)
            self._flush(client)
            if client.unsent is not None and not client.closed:
                self._want(client, EPOLL_OUT)

    def _expire_handshakes(self) -> None:
        """Close TLS connections whose handshake takes too long."""
        assert self.tls is not None
        deadline = time.monotonic() - self.settings.ssl_handshake_timeout
        for client in list(self._clients.values()):
            tls = client.tls
            if tls is not None and not tls.handshaken and tls.accepted_at < deadline:
                self.tls.handshake_errors += 1
                self._close(client, "error")
