"""The per-connection sans-IO state machine (docs/INTERFACES.md).

States: READ_LINE (waiting for a command line), READ_VALUE (waiting for a
data block of known size), SWALLOW (dropping the data block of a refused
request), CLOSED. Bytes go in through :meth:`Connection.receive_data`;
:meth:`Connection.process` runs complete commands and returns their replies
as one ``bytes``.

Framing rules (memcached HEAD):

- lines end in ``\\n``; a ``\\r`` before it is dropped;
- only the space separates tokens (tabs and control bytes belong to keys);
- a line longer than 2048 bytes closes the connection unless it starts with
  ``get `` or ``gets `` (after at most 100 spaces). We apply the rule to every
  line, complete or not, so the outcome does not depend on how the bytes were
  chunked (memcached only checks while no newline has arrived);
- an unknown command whose last token starts with ``HTTP/`` closes silently;
- the first byte 0x80 (binary protocol) closes the connection: we only speak
  the text protocol;
- a data block not followed by ``\\r\\n`` gives ``CLIENT_ERROR bad data chunk``
  (the N+2 bytes are consumed, parsing resumes after them);
- an unexpected exception in a handler becomes ``SERVER_ERROR`` + close and is
  logged; nothing raises out of ``process``.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from memcached_py.auth import MAX_TOKEN_LEN
from memcached_py.engine import Engine
from memcached_py.protocol.buffer import ReceiveBuffer
from memcached_py.protocol.errors import ProtocolError
from memcached_py.protocol.text import COMMANDS, DataHandler

if TYPE_CHECKING:
    from memcached_py.watch import Watcher

log = logging.getLogger(__name__)

#: process() stops adding replies once its output reaches this size.
OUTPUT_CAP: Final = 256 * 1024
#: Longest command line (other than get/gets) before the connection is closed.
MAX_LINE: Final = 2048

READ_LINE: Final = 0
READ_VALUE: Final = 1
SWALLOW: Final = 2
CLOSED: Final = 3
WATCHING: Final = 4  # `watch`: the connection only streams log lines

_BAD_FORMAT: Final = b"CLIENT_ERROR bad command line format\r\n"
_BAD_CHUNK: Final = b"CLIENT_ERROR bad data chunk\r\n"
_ERROR: Final = b"ERROR\r\n"
_CRLF: Final = b"\r\n"

Continuation = Callable[[], bytes]


def _load_extensions() -> None:
    """Import optional command modules that register themselves (meta)."""
    try:
        importlib.import_module("memcached_py.protocol.meta")
    except ModuleNotFoundError as exc:
        if exc.name != "memcached_py.protocol.meta":
            raise


_load_extensions()


def _has_empty(tokens: list[bytes]) -> bool:
    """Whether any token is empty. Compiled (a loop), a length test per token
    costs a fraction of ``b"" in tokens``, a rich comparison per token
    (valgrind: ~1,300 instructions for a 10-key ``get``)."""
    return any(not token for token in tokens)


def _long_line_allowed(data: bytes) -> bool:
    """memcached's exception for over-long lines: multigets may be unbounded."""
    head = data[:110]
    stripped = head.lstrip(b" ")
    if len(head) - len(stripped) > 100:
        return False
    return stripped.startswith((b"get ", b"gets "))


class Connection:
    """One client connection's protocol state; see module docstring."""

    __slots__ = (
        "_buf",
        "_cont",
        "_draining",
        "_eof",
        "_need",
        "_on_data",
        "_out",
        "_started",
        "_state",
        "_unauth",
        "_value_noreply",
        "engine",
        "fd",
        "noreply",
        "peer",
        "transport",
        "wants_close",
        "watcher",
    )

    def __init__(
        self, engine: Engine, *, transport: str = "tcp", peer: str = "", fd: int = -1
    ) -> None:
        self.engine = engine
        self.transport = transport
        self.peer = peer
        self.fd = fd
        self._buf = ReceiveBuffer()
        self._state = READ_LINE
        self._need = 0
        self._on_data: DataHandler | None = None
        self._value_noreply = False
        self._cont: Continuation | None = None
        self._draining = False
        self._eof = False
        self._started = False
        self._unauth = engine.auth is not None
        self._out: list[bytes] = []
        #: set by handlers: suppress this command's reply (and its error lines)
        self.noreply = False
        #: flush the output, then close (quit, fatal framing error, auth rule)
        self.wants_close = False
        self.watcher: Watcher | None = None

    # ------------------------------------------------------------ interface
    def receive_data(self, data: bytes) -> None:
        """Bytes from the peer; ``b""`` means the peer closed its side."""
        if not data:
            self._eof = True
            if self.watcher is not None:
                from memcached_py.watch import stop_watch

                stop_watch(self)
            if not self.more_work:
                self.wants_close = True
            return
        if self._state == CLOSED:
            return
        if not self._started:
            self._started = True
            if data[0] == 0x80:
                log.debug("binary protocol request from %s: closing", self.peer)
                self._close()
                return
        self._buf.feed(data)

    @property
    def input_buffered(self) -> int:
        """Buffered bytes not yet claimed by a pending data block."""
        n = len(self._buf)
        if self._state == READ_VALUE:
            return n - self._need if n > self._need else 0
        return n

    @property
    def more_work(self) -> bool:
        state = self._state
        if state == CLOSED:
            return False
        if self._cont is not None:
            return True
        if self.wants_close or self._draining:
            return False
        if state == READ_LINE:
            return self._buf.find_line() >= 0
        if state == READ_VALUE:
            return len(self._buf) >= self._need
        if state == WATCHING:
            return self.watcher is not None and self.watcher.pending()
        return len(self._buf) > 0

    @property
    def has_pending_output(self) -> bool:
        """Replies produced earlier in this ``process`` call (not yet sent)."""
        return any(self._out)

    def begin_drain(self) -> None:
        """Graceful shutdown: finish the current reply, run nothing more, then close."""
        self._draining = True
        if self._cont is None:
            self.wants_close = True

    # ------------------------------------------------------- handler helpers
    def read_data(self, nbytes: int, on_data: DataHandler) -> None:
        """The current request has a data block of ``nbytes`` (+ ``\\r\\n``)."""
        self._state = READ_VALUE
        self._need = nbytes + 2
        self._on_data = on_data
        self._value_noreply = self.noreply

    def start_watching(self, watcher: Watcher) -> None:
        """Turn this connection into a log stream (``watch``)."""
        self.watcher = watcher
        self._state = WATCHING

    def continue_with(self, fn: Continuation) -> None:
        """The reply is unfinished: call ``fn`` for the next piece next round."""
        self._cont = fn

    # --------------------------------------------------------------- engine
    def process(self, max_requests: int) -> bytes:
        """Run complete commands (at most ``max_requests``); return the replies."""
        if self._state == CLOSED:
            return b""
        out: list[bytes] = []
        self._out = out
        try:
            self._run(out, max_requests)
        except Exception:  # never let a bug escape into the server loop
            log.exception("internal error on connection %s", self.peer)
            out.append(b"SERVER_ERROR internal error\r\n")
            self._close()
        if self._eof and not self.more_work:
            self.wants_close = True
        if len(out) == 1:
            return out[0]
        return b"".join(out)

    def _take_continuation(self) -> Continuation | None:
        # A call rather than inline code so that type narrowing does not
        # assume ``self._cont`` stays None while the continuation runs (it
        # may install the next piece); mypyc compiles that assumption in.
        cont = self._cont
        self._cont = None
        return cont

    def _run(self, out: list[bytes], max_requests: int) -> None:
        buf = self._buf
        commands = COMMANDS
        engine = self.engine
        size = 0
        reqs = 0
        while True:
            cont = self._take_continuation()
            if cont is not None:
                self.noreply = False
                try:
                    piece = cont()
                except ProtocolError as e:
                    piece = self._error(e)
                except Exception:
                    piece = self._internal_error()
                out.append(piece)
                size += len(piece)
                if self._cont is None and self._draining:
                    self.wants_close = True
                if size >= OUTPUT_CAP:
                    return
                continue
            if self.wants_close or self._draining:
                return
            state = self._state
            if state == READ_LINE:
                if reqs >= max_requests:
                    if buf.has_line():
                        engine.counters.conn_yields += 1
                    return
                line = buf.next_line()
                if line is None:
                    if buf.last_raw > MAX_LINE and (
                        self._unauth or not _long_line_allowed(buf.peek(MAX_LINE))
                    ):
                        self._close()
                    return
                reqs += 1
                if (
                    len(line) >= MAX_LINE - 1
                    and buf.last_raw > MAX_LINE + 1
                    and (self._unauth or not _long_line_allowed(line))
                ):
                    self._close()
                    return
                if self._unauth:
                    reply = self._auth_line(line, buf.last_raw)
                else:
                    tokens = line.split(b" ")
                    if _has_empty(tokens):  # doubled, leading or trailing spaces
                        tokens = [t for t in tokens if t]
                    # HEAD refuses any line shorter than 4 bytes (``mn\n`` too)
                    handler = commands.get(tokens[0]) if tokens and buf.last_raw >= 4 else None
                    if handler is None:
                        reply = self._unknown(tokens, buf.last_raw)
                    else:
                        self.noreply = False
                        if engine.watch is not None:
                            engine.watch.cfd = self.fd
                        try:
                            reply = handler(self, tokens)
                        except ProtocolError as e:
                            reply = self._error(e)
                        except Exception:
                            reply = self._internal_error()
                if reply:
                    out.append(reply)
                    size += len(reply)
            elif state == READ_VALUE:
                need = self._need
                if len(buf) < need:
                    return
                data = buf.take(need - 2)
                tail = buf.take(2)
                self._state = READ_LINE
                on_data = self._on_data
                self._on_data = None
                self.noreply = self._value_noreply
                if tail != _CRLF:
                    if self._unauth:
                        reply = b"CLIENT_ERROR bad command line termination\r\n"
                    else:
                        reply = b"" if self.noreply else _BAD_CHUNK
                else:
                    assert on_data is not None
                    try:
                        reply = on_data(data)
                    except ProtocolError as e:
                        reply = self._error(e)
                    except Exception:
                        reply = self._internal_error()
                if reply:
                    out.append(reply)
                    size += len(reply)
            elif state == WATCHING:
                buf.discard(len(buf))  # a watching connection ignores input
                if self.watcher is not None:
                    piece = self.watcher.drain(OUTPUT_CAP)
                    if piece:
                        out.append(piece)
                return
            elif state == SWALLOW:
                self._need -= buf.discard(self._need)
                if self._need > 0:
                    return
                self._state = READ_LINE
            else:
                return
            if size >= OUTPUT_CAP:
                return

    # ------------------------------------------------------------- helpers
    def _close(self) -> None:
        self._state = CLOSED
        self._cont = None
        self.wants_close = True

    def _error(self, e: ProtocolError) -> bytes:
        """The one place where a protocol error becomes a reply."""
        if e.swallow > 0:
            self._state = SWALLOW
            self._need = e.swallow
        if e.close:
            self.wants_close = True
            if not e.line:
                self._close()
        if self.noreply or not e.line:
            return b""
        return e.line + _CRLF

    def _internal_error(self) -> bytes:
        log.exception("internal error on connection %s", self.peer)
        self._close()
        return b"SERVER_ERROR internal error\r\n"

    def _unknown(self, tokens: list[bytes], raw: int) -> bytes:
        if not tokens or raw < 4:
            return _BAD_FORMAT
        if len(tokens) > 1 and tokens[-1].startswith(b"HTTP/"):
            self._close()
            return b""
        return _ERROR

    # ---------------------------------------------------------------- auth
    def _auth_line(self, line: bytes, raw: int) -> bytes:
        """memcached's ``try_read_command_asciiauth`` (HEAD; 1.6.18 answers
        short lines the same way: no close, ``CLIENT_ERROR unauthenticated``)."""
        tokens = [t for t in line.split(b" ") if t]
        if len(tokens) < 5 or tokens[0] != b"set":
            return b"CLIENT_ERROR unauthenticated\r\n"
        size_tok = tokens[4]
        if not size_tok.isdigit() or len(size_tok) > 10 or int(size_tok) >= 1 << 32:
            return b"CLIENT_ERROR unauthenticated\r\n"
        size = int(size_tok)
        if size > MAX_TOKEN_LEN:
            return b"CLIENT_ERROR auth token too long\r\n"
        self.noreply = False
        self.read_data(size, self._auth_payload)
        return b""

    def _auth_payload(self, data: bytes) -> bytes:
        # Reached only when the block ended in \r\n (the connection checked
        # it and answered "bad data chunk" otherwise; see _run).
        engine = self.engine
        sp = data.find(b" ")
        if sp < 0:  # not counted (HEAD counts only credential checks)
            return b"CLIENT_ERROR bad authentication token format\r\n"
        engine.counters.auth_cmds += 1
        table = engine.auth
        if table is not None and table.check(data[:sp], data[sp + 1 :]):
            self._unauth = False
            return b"STORED\r\n"
        engine.counters.auth_errors += 1
        return b"CLIENT_ERROR authentication failure\r\n"
