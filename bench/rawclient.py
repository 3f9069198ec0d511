"""A minimal pipelining memcached text-protocol client over a raw socket.

Built so that the client is not the bottleneck of daemon-level store
workloads: ``set ... noreply`` batches go out in one ``sendall`` and a single
``version`` round trip per batch gives flow control and a sync point.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable, Sequence

HOST = "127.0.0.1"


class ProtocolError(RuntimeError):
    pass


class RawClient:
    def __init__(
        self, port: int, *, timeout: float = 60.0, tls: ssl.SSLContext | None = None
    ) -> None:
        raw = socket.create_connection((HOST, port), timeout=timeout)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock: socket.socket = raw if tls is None else tls.wrap_socket(raw)
        self.buf = bytearray()
        #: reply lines that were neither expected values nor sync replies (errors)
        self.unexpected = 0
        self.last_unexpected = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- low level -------------------------------------------------------------
    def _fill(self) -> None:
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ProtocolError("server closed the connection")
        self.buf += chunk

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[: i + 2]
                return line
            self._fill()

    def _exact(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    # -- commands --------------------------------------------------------------
    def sync(self) -> None:
        """Round trip a ``version``; counts any reply lines that come before it."""
        self.sock.sendall(b"version\r\n")
        self._wait_version()

    def _wait_version(self) -> None:
        while True:
            line = self._line()
            if line.startswith(b"VERSION "):
                return
            self.unexpected += 1
            self.last_unexpected = line

    @staticmethod
    def set_commands(keys: Iterable[bytes], value: bytes) -> bytes:
        head = b" 0 0 %d noreply\r\n" % len(value)
        tail = value + b"\r\n"
        return b"".join(b"set " + k + head + tail for k in keys)

    def set_many(self, keys: Sequence[bytes], value: bytes, *, sync: bool = True) -> None:
        """``set k 0 0 len noreply`` for every key, in one send; then a sync round trip."""
        payload = self.set_commands(keys, value)
        if sync:
            payload += b"version\r\n"
        self.sock.sendall(payload)
        if sync:
            self._wait_version()

    def get_many(self, keys: Sequence[bytes], prefix: bytes = b"") -> set[bytes]:
        """Multiget ``keys`` (``prefix`` bytes are sent first, e.g. pipelined sets);
        returns the keys that hit."""
        self.sock.sendall(prefix + b"get " + b" ".join(keys) + b"\r\n")
        return self._read_values()

    def _read_values(self) -> set[bytes]:
        hits: set[bytes] = set()
        while True:
            line = self._line()
            if line == b"END":
                return hits
            if line.startswith(b"VALUE "):
                parts = line.split()
                self._exact(int(parts[3]) + 2)
                hits.add(parts[1])
            else:
                self.unexpected += 1
                self.last_unexpected = line
