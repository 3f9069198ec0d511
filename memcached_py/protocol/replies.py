"""Prebuilt reply lines (bytes constants) and small encoders."""

from __future__ import annotations

from typing import Final

from memcached_py.engine import Result

CRLF: Final = b"\r\n"
END: Final = b"END\r\n"
STORED: Final = b"STORED\r\n"
NOT_STORED: Final = b"NOT_STORED\r\n"
EXISTS: Final = b"EXISTS\r\n"
NOT_FOUND: Final = b"NOT_FOUND\r\n"
DELETED: Final = b"DELETED\r\n"
TOUCHED: Final = b"TOUCHED\r\n"
OK: Final = b"OK\r\n"
ERROR: Final = b"ERROR\r\n"
RESET: Final = b"RESET\r\n"
EMPTY: Final = b""

#: Classic reply line per engine ``Result`` (index = result value).
CLASSIC: Final[tuple[bytes, ...]] = (
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
