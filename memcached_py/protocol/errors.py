"""Typed protocol errors.

A handler that refuses a request raises one of these; the connection turns it
into a reply in exactly one place (``Connection._error``). Each exception
carries its complete wire line (without ``\\r\\n``) plus what the connection must
do afterwards: swallow the request's data block (``swallow`` bytes, already
including the trailing ``\\r\\n``) and/or close the connection.

Normal outcomes (``NOT_STORED``, ``EXISTS``, ``NOT_FOUND`` ...) are values, not
exceptions.
"""

from __future__ import annotations


class ProtocolError(Exception):
    """Base class: a refused request with the reply line to send."""

    line: bytes
    swallow: int
    close: bool

    def __init__(self, line: bytes, *, swallow: int = 0, close: bool = False) -> None:
        super().__init__(line)
        self.line = line
        self.swallow = swallow
        self.close = close


class CommandError(ProtocolError):
    """``ERROR`` or ``ERROR <msg>``: unknown command, bad admin arguments."""

    def __init__(self, msg: bytes = b"", *, swallow: int = 0, close: bool = False) -> None:
        super().__init__(b"ERROR " + msg if msg else b"ERROR", swallow=swallow, close=close)


class ClientError(ProtocolError):
    """``CLIENT_ERROR <msg>``: the request is malformed."""

    def __init__(
        self, msg: bytes = b"bad command line format", *, swallow: int = 0, close: bool = False
    ) -> None:
        super().__init__(b"CLIENT_ERROR " + msg, swallow=swallow, close=close)


class ServerError(ProtocolError):
    """``SERVER_ERROR <msg>``: the server cannot serve the request."""

    def __init__(self, msg: bytes, *, swallow: int = 0, close: bool = False) -> None:
        super().__init__(b"SERVER_ERROR " + msg, swallow=swallow, close=close)


class StatusError(ProtocolError):
    """Any other status line (``MEMLIMIT_TOO_SMALL ...``, ``BADCLASS ...``)."""


class CloseConnection(ProtocolError):
    """Close the connection without a reply (HTTP probe, over-long line, quit)."""

    def __init__(self) -> None:
        super().__init__(b"", close=True)


def bad_format(swallow: int = 0) -> ClientError:
    """The most common refusal: ``CLIENT_ERROR bad command line format``."""
    return ClientError(b"bad command line format", swallow=swallow)
