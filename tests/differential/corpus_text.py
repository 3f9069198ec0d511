"""Classic text protocol corpus (reference §1-3, §5, §12)."""

from __future__ import annotations

from .cases import Case

CASES: list[Case] = [
    Case("set_get", b"set k 0 0 2\r\nhi\r\nget k\r\n"),
    Case("gets_cas", b"set k 0 0 2\r\nhi\r\ngets k\r\nset k 0 0 1\r\nx\r\ngets k k\r\n"),
    Case("version", b"version\r\n"),
    Case("quit", b"get k\r\nquit\r\nget k\r\n", sentinel=False),
    Case("flush", b"set k 0 0 1\r\n1\r\nflush_all\r\nget k\r\n"),
    Case("gat_nokey", b"gat 10\r\n", upstream=b"CLIENT_ERROR bad command line format\r\n"),
]
