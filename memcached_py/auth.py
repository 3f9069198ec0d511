"""ASCII authentication (``-Y <authfile>``), memcached's ``authfile.c``.

The file holds ``user:password`` lines (at most 8 entries are used, like
memcached; a line without ``:`` is an error). The user is the text before the
first ``:``; the password runs to ``\\r``, ``\\n`` or the end of the file (like
memcached HEAD: a missing final newline is fine).

``load_auth_file`` raises ``AuthFileError`` (a ``ValueError``) or ``OSError``;
the daemon calls it at startup and on SIGHUP and swaps ``engine.auth`` only on
success, so a broken reload keeps the old table.
"""

from __future__ import annotations

import hmac
from typing import Final

MAX_ENTRIES: Final = 8
MAX_ENTRY_LEN: Final = 256
#: Longest ``user password`` payload accepted by the handshake.
MAX_TOKEN_LEN: Final = 16384


class AuthFileError(ValueError):
    """The authfile is malformed; the message is memcached's."""


class AuthTable:
    """The loaded credentials; ``check`` compares in constant time."""

    __slots__ = ("entries", "path")

    def __init__(self, entries: list[tuple[bytes, bytes]], path: str = "") -> None:
        self.entries = entries
        self.path = path

    def check(self, user: bytes, password: bytes) -> bool:
        ok = False
        for u, p in self.entries:
            # Evaluate both comparisons for every entry: no early exit.
            user_ok = hmac.compare_digest(user, u)
            pass_ok = hmac.compare_digest(password, p)
            ok |= user_ok & pass_ok
        return ok


def parse_auth_data(data: bytes, path: str = "") -> AuthTable:
    """Parse authfile contents (see module docstring)."""
    entries: list[tuple[bytes, bytes]] = []
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for raw in lines:
        line = raw[: MAX_ENTRY_LEN - 1]
        colon = line.find(b":")
        if colon < 0 or b"\x00" in line[:colon]:
            raise AuthFileError(
                f"Authfile [{path}] has a malformed entry. Should be 'user:password'"
            )
        password = line[colon + 1 :]
        cr = password.find(b"\r")
        if cr >= 0:
            password = password[:cr]
        nul = password.find(b"\x00")
        if nul >= 0:
            password = password[:nul]
        entries.append((line[:colon], password))
        if len(entries) == MAX_ENTRIES:
            break
    return AuthTable(entries, path)


def load_auth_file(path: str) -> AuthTable:
    """Read and parse ``path``; ``OSError`` if unreadable, ``AuthFileError`` if malformed."""
    if not path:
        raise AuthFileError("Could not open authfile [] for reading")
    with open(path, "rb") as f:
        data = f.read()
    return parse_auth_data(data, path)
