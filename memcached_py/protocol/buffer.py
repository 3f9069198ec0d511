"""Receive buffer for the sans-IO connection.

Bytes are appended by :meth:`ReceiveBuffer.feed` and consumed from a read
offset; the storage is compacted only when the consumed prefix is large
compared with what is left, so the total work is O(n) in the bytes received
whatever the chunking. The search for ``\\n`` remembers how far it has looked,
so a long line arriving one byte at a time is scanned once.

When everything was consumed, the next ``feed`` keeps the incoming ``bytes``
object as it is (no copy): the common case of whole requests per read then
slices ``bytes`` directly.
"""

from __future__ import annotations

from typing import Final

_COMPACT_MIN: Final = 64 * 1024


class ReceiveBuffer:
    __slots__ = ("_buf", "_pos", "_scan", "last_raw")

    def __init__(self) -> None:
        self._buf: bytes | bytearray = b""
        self._pos = 0  # read offset
        self._scan = 0  # no b"\n" in _buf[_pos:_scan]
        #: raw length (line end included) of the line last returned by next_line;
        #: after next_line returned None: the length of the incomplete line
        self.last_raw = 0

    def __len__(self) -> int:
        return len(self._buf) - self._pos

    def feed(self, data: bytes) -> None:
        """Append received bytes."""
        if not data:
            return
        buf = self._buf
        pos = self._pos
        if pos >= len(buf):
            self._buf = data
            self._pos = 0
            self._scan = 0
            return
        if type(buf) is bytes:
            nbuf = bytearray(buf[pos:])
            nbuf += data
            self._buf = nbuf
            self._scan -= pos
            self._pos = 0
            return
        assert isinstance(buf, bytearray)
        if pos >= _COMPACT_MIN and pos * 2 >= len(buf):
            del buf[:pos]
            self._scan -= pos
            self._pos = 0
        buf += data

    def _consumed(self, newpos: int) -> None:
        if newpos >= len(self._buf):
            self._buf = b""
            self._pos = 0
            self._scan = 0
        else:
            self._pos = newpos
            if self._scan < newpos:
                self._scan = newpos

    def find_line(self) -> int:
        """Index of the next ``\\n`` in the internal buffer, or -1."""
        buf = self._buf
        scan = self._scan
        if scan >= len(buf):
            return -1  # everything buffered was searched already (the common idle case)
        i = buf.find(b"\n", scan)
        if i < 0:
            self._scan = len(buf)
        return i

    def next_line(self) -> bytes | None:
        """Consume and return the next complete line (without ``\n`` or
        ``\r\n``), or None. Sets ``last_raw`` to the line's length with its
        line end, or (after None) to the bytes buffered without a newline."""
        nl = self.find_line()
        buf = self._buf
        pos = self._pos
        if nl < 0:
            self.last_raw = len(buf) - pos
            return None
        end = nl
        if end > pos and buf[end - 1] == 13:
            end -= 1
        # isinstance, not type(): compiled, the narrowed slice is a native call
        line = buf[pos:end] if isinstance(buf, bytes) else bytes(buf[pos:end])
        self.last_raw = nl + 1 - pos
        nl += 1
        if nl >= len(buf):
            self._buf = b""
            self._pos = 0
            self._scan = 0
        else:
            self._pos = nl
            self._scan = nl
        return line

    def has_line(self) -> bool:
        return self.find_line() >= 0

    def unscanned_line_length(self) -> int:
        """Bytes buffered without a newline (valid after ``find_line`` returned -1)."""
        return len(self._buf) - self._pos

    def peek(self, n: int) -> bytes:
        """Up to the first ``n`` buffered bytes, not consumed."""
        return bytes(self._buf[self._pos : self._pos + n])

    def take_line(self, nl: int) -> tuple[bytes, int]:
        """Consume through index ``nl`` (a ``\\n`` found by ``find_line``).

        Returns the line without ``\\n`` / ``\\r\\n`` and its raw length
        (including the line end).
        """
        buf = self._buf
        pos = self._pos
        end = nl
        if end > pos and buf[end - 1] == 13:
            end -= 1
        line = bytes(buf[pos:end])
        self._consumed(nl + 1)
        return line, nl + 1 - pos

    def take(self, n: int) -> bytes:
        """Consume exactly ``n`` bytes (caller checked ``len(self) >= n``)."""
        pos = self._pos
        buf = self._buf
        end = pos + n
        data = buf[pos:end] if isinstance(buf, bytes) else bytes(buf[pos:end])
        self._consumed(end)
        return data

    def discard(self, n: int) -> int:
        """Drop up to ``n`` bytes; return how many were dropped."""
        avail = len(self._buf) - self._pos
        if n > avail:
            n = avail
        self._consumed(self._pos + n)
        return n
