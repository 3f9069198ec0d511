"""ASCII authentication (-Y): authfile parsing and the connection handshake."""

from __future__ import annotations

from pathlib import Path

import pytest

from memcached_py.auth import AuthFileError, load_auth_file, parse_auth_data
from memcached_py.protocol.connection import Connection
from tests.protocol.helpers import Env, drive, make_env, transcript

FILE = b"user:pass\nother:with:colon\r\n"


def auth_env() -> Env:
    env = make_env(auth_file="/etc/authfile")
    env.engine.auth = parse_auth_data(FILE, "/etc/authfile")
    return env


def run(data: bytes) -> tuple[bytes, bool]:
    r = transcript(data, env_factory=auth_env)
    return r.output, r.closed


def test_parse() -> None:
    t = parse_auth_data(FILE)
    assert t.entries == [(b"user", b"pass"), (b"other", b"with:colon")]
    assert t.check(b"user", b"pass")
    assert t.check(b"other", b"with:colon")
    assert not t.check(b"user", b"pas")
    assert not t.check(b"user", b"passs")
    assert not t.check(b"", b"")
    # no final newline: the last char is kept (HEAD behaviour)
    assert parse_auth_data(b"a:b").entries == [(b"a", b"b")]
    # empty password is allowed
    assert parse_auth_data(b"a:\n").entries == [(b"a", b"")]


def test_parse_errors(tmp_path: Path) -> None:
    with pytest.raises(AuthFileError, match="malformed entry"):
        parse_auth_data(b"user:pass\nnocolon\n", "f")
    with pytest.raises(AuthFileError):
        parse_auth_data(b"\n", "f")
    with pytest.raises(OSError):
        load_auth_file(str(tmp_path / "missing"))
    p = tmp_path / "auth"
    p.write_bytes(b"u:p\n")
    assert load_auth_file(str(p)).check(b"u", b"p")


def test_only_eight_entries() -> None:
    data = b"".join(b"u%d:p\n" % i for i in range(10))
    t = parse_auth_data(data)
    assert len(t.entries) == 8
    assert not t.check(b"u9", b"p")


def test_handshake_ok() -> None:
    out, closed = run(b"set x 0 0 9\r\nuser pass\r\nset k 0 0 1\r\nv\r\nget k\r\n")
    assert out == b"STORED\r\nSTORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n"
    assert not closed


def test_commands_before_auth() -> None:
    out, closed = run(b"get foo\r\nversion\r\n")
    assert out == b"CLIENT_ERROR unauthenticated\r\nCLIENT_ERROR unauthenticated\r\n"
    assert not closed


def test_bad_credentials_then_retry() -> None:
    out, _ = run(
        b"set x 0 0 9\r\nuser nope\r\nset a b c 9\r\nuser pass\r\nset x 0 0 9\r\nuser pass\r\n"
        b"version\r\n"
    )
    assert out == (b"CLIENT_ERROR authentication failure\r\nSTORED\r\nSTORED\r\nVERSION 1.6.45\r\n")
    env = auth_env()
    conn = Connection(env.engine)
    drive(conn, [b"set x 0 0 9\r\nuser nope\r\nset x 0 0 9\r\nuser pass\r\n"])
    assert env.engine.counters.auth_cmds == 2
    assert env.engine.counters.auth_errors == 1


def test_real_set_before_auth() -> None:
    out, _ = run(b"set foo 0 0 2\r\nhi\r\n")
    assert out == b"CLIENT_ERROR bad authentication token format\r\n"
    env = auth_env()
    drive(Connection(env.engine), [b"set foo 0 0 2\r\nhi\r\n"])
    assert env.engine.counters.auth_cmds == 0


def test_bad_size_token() -> None:
    out, _ = run(b"set x 0 0 abc\r\nset x 0 0\r\n")
    assert out == b"CLIENT_ERROR unauthenticated\r\n" * 2


def test_token_too_long() -> None:
    out, _ = run(b"set x 0 0 16385\r\nversion\r\n")
    assert out == b"CLIENT_ERROR auth token too long\r\nCLIENT_ERROR unauthenticated\r\n"


def test_bad_termination() -> None:
    out, _ = run(b"set x 0 0 9\r\nuser passXY")
    assert out == b"CLIENT_ERROR bad command line termination\r\n"


def test_short_lines_are_unauthenticated() -> None:
    # observed on 1.6.18 and in HEAD's source: no close for short lines
    out, closed = run(b"get\r\nx\r\n\r\n")
    assert out == b"CLIENT_ERROR unauthenticated\r\n" * 3 and not closed


def test_long_line_closes() -> None:
    out, closed = run(b"set " + b"x" * 3000)
    assert out == b"" and closed


def test_each_connection_authenticates() -> None:
    env = auth_env()
    c1 = Connection(env.engine)
    c2 = Connection(env.engine)
    assert drive(c1, [b"set x 0 0 9\r\nuser pass\r\n"]).output == b"STORED\r\n"
    assert drive(c2, [b"version\r\n"]).output == b"CLIENT_ERROR unauthenticated\r\n"
    assert drive(c1, [b"version\r\n"]).output == b"VERSION 1.6.45\r\n"
