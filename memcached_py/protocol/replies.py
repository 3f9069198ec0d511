"""Prebuilt reply lines (bytes constants) and small encoders."""

from __future__ import annotations

from memcached_py.engine import Result

CRLF = b"\r\n"
END = b"END\r\n"
STORED = b"STORED\r\n"
NOT_STORED = b"NOT_STORED\r\n"
EXISTS = b"EXISTS\r\n"
NOT_FOUND = b"NOT_FOUND\r\n"
DELETED = b"DELETED\r\n"
TOUCHED = b"TOUCHED\r\n"
OK = b"OK\r\n"
ERROR = b"ERROR\r\n"
RESET = b"RESET\r\n"
EMPTY = b""

#: Classic reply line per engine ``Result`` (index = result value).
CLASSIC: tuple[bytes, ...] = (
    STORED,  # STORED
    NOT_STORED,  # NOT_STORED
    EXISTS,  # EXISTS
    NOT_FOUND,  # NOT_FOUND
    b"SERVER_ERROR object too large for cache\r\n",  # TOO_LARGE
    b"SERVER_ERROR out of memory storing object\r\n",  # NO_MEMORY
    DELETED,  # DELETED
    TOUCHED,  # TOUCHED
    b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n",  # NON_NUMERIC
)
assert len(CLASSIC) == len(Result)


def line(text: bytes) -> bytes:
    """A reply line with its ``\\r\\n``."""
    return text + CRLF
