"""Sans-IO text protocol: bytes in -> commands -> replies -> bytes out.

No trio here (a test checks it). Modules:

- ``buffer``: the receive buffer (find a line, take exactly n bytes);
- ``connection``: the per-connection state machine the server drives
  (``receive_data`` / ``process`` / ``more_work`` / ``wants_close`` ...);
- ``text``: the classic commands and the dispatch table ``COMMANDS``;
- ``replies``: prebuilt reply constants;
- ``errors``: typed protocol errors carrying their wire line.

How to add a command
--------------------
Write a handler ``def cmd_foo(conn: Connection, tokens: list[bytes]) -> bytes``
(``tokens[0]`` is the command name, tokens are split on spaces only) and
register it: ``text.register(b"foo", cmd_foo)`` (``protocol/meta.py`` does
this at import; ``connection`` imports ``meta`` if it exists). The handler:

- returns the reply bytes, complete with ``\\r\\n`` (``b""`` for none);
- raises ``errors.ClientError(b"msg")`` / ``ServerError`` / ``CommandError`` /
  ``StatusError(b"WHOLE LINE")`` to refuse; the connection writes the line in
  one place and honours ``swallow=`` (drop a data block of that many bytes,
  ``\\r\\n`` included) and ``close=True``;
- sets ``conn.noreply = True`` to suppress the reply, error lines included;
- for a data block, calls ``conn.read_data(nbytes, on_data)`` and returns
  ``b""``; ``on_data(data) -> bytes`` runs once the ``nbytes`` bytes and their
  ``\\r\\n`` arrived (a bad terminator is answered by the connection with
  ``CLIENT_ERROR bad data chunk``), with ``conn.noreply`` restored;
- for a long reply, returns the first piece and calls
  ``conn.continue_with(fn)``; ``fn() -> bytes`` produces the next piece on the
  next ``process`` round (and may call ``continue_with`` again).

Semantics (stores, counters, TTLs) belong in ``memcached_py.engine``.
"""
