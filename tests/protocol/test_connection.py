"""Framing, pipelining, limits and robustness of the Connection state machine."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import slab
from memcached_py.engine import Engine
from memcached_py.protocol import connection as connmod
from memcached_py.protocol.connection import OUTPUT_CAP, Connection
from memcached_py.protocol.text import COMMANDS, GET_PIECE
from memcached_py.stats import general_stats
from slab._types import OutOfMemory
from tests.protocol.helpers import (
    Env,
    check,
    drive,
    make_env,
    send,
    session,
    splits,
    transcript,
)

BAD = b"CLIENT_ERROR bad command line format\r\n"


class FaultyStore:
    """A real store whose ``set`` raises ``error``.

    The store and engine may be compiled (mypyc), and compiled objects cannot
    be monkeypatched, so a failing store is a wrapper the engine is built on.
    """

    def __init__(self, store: slab.Store, error: Exception) -> None:
        self._store = store
        self._error = error

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def set(self, *args: object, **kwargs: object) -> int:
        raise self._error


def faulty_session(env: Env, error: Exception) -> Connection:
    """A connection to a new engine over ``env``'s store, whose sets raise ``error``."""
    store = FaultyStore(env.store, error)
    engine = Engine(env.engine.settings, store, env.clock)  # type: ignore[arg-type]
    return Connection(engine, peer="test", fd=8)


def test_no_trio_import() -> None:
    code = (
        "import sys\n"
        "import memcached_py.protocol.connection, memcached_py.protocol.text\n"
        "import memcached_py.engine, memcached_py.stats, memcached_py.auth, memcached_py.watch\n"
        "assert 'trio' not in sys.modules, 'trio imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_over_long_line_closes() -> None:
    check(b"set " + b"k" * 3000 + b" 0 0 1\r\nx\r\n", b"", closed=True)
    check(b"version\r\n" + b"x" * 2100, b"VERSION 1.6.45\r\n", closed=True)


def test_line_length_boundary() -> None:
    # memcached closes once more than 2048 bytes are buffered without a newline
    # (the \r counts); we apply the same limit to complete lines.
    line = b"foo " + b"x" * 2043
    check(line + b"\r\nversion\r\n", b"ERROR\r\nVERSION 1.6.45\r\n", closed=False)
    check(line + b"x\nversion\r\n", b"ERROR\r\nVERSION 1.6.45\r\n", closed=False)
    check(line + b"x\r\nversion\r\n", b"", closed=True)


def test_long_get_lines_are_fine() -> None:
    keys = b" ".join(b"key%05d" % i for i in range(2000))
    r = transcript(b"get " + keys + b"\r\nversion\r\n")
    assert r.output == b"END\r\nVERSION 1.6.45\r\n"
    r = transcript(b"   gets " + keys + b"\r\n")
    assert r.output == b"END\r\n"
    # more than 100 leading spaces: not treated as a get
    r = transcript(b" " * 101 + b"get " + keys + b"\r\n")
    assert r.closed and r.output == b""


def test_http_probe_closes_silently() -> None:
    check(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"", closed=True)
    check(b"version\r\nPOST /foo HTTP/1.0\r\nversion\r\n", b"VERSION 1.6.45\r\n", closed=True)
    check(b"foo HTTPS\r\n", b"ERROR\r\n", closed=False)
    check(b"HTTP/1.1\r\n", b"ERROR\r\n", closed=False)  # needs a command before it


def test_binary_protocol_closes() -> None:
    check(b"\x80\x00\x00\x05" + b"\x00" * 20, b"", closed=True)
    # 0x80 later in a connection is just an unknown command
    check(b"version\r\n\x80ab\r\n", b"VERSION 1.6.45\r\nERROR\r\n", closed=False)


def test_pipelining_in_order() -> None:
    data = b"".join(b"set k%d 0 0 1\r\n%d\r\nget k%d\r\n" % (i, i % 10, i) for i in range(200))
    want = b"".join(b"STORED\r\nVALUE k%d 0 1\r\n%d\r\nEND\r\n" % (i, i % 10) for i in range(200))
    check(data, want)


def test_max_requests_yields() -> None:
    env, conn = session()
    conn.receive_data(b"version\r\n" * 10)
    out = conn.process(3)
    assert out == b"VERSION 1.6.45\r\n" * 3
    assert conn.more_work
    assert env.engine.counters.conn_yields == 1
    rest = b""
    while conn.more_work:
        rest += conn.process(3)
    assert rest == b"VERSION 1.6.45\r\n" * 7
    assert env.engine.counters.conn_yields == 3


def test_value_is_part_of_its_request() -> None:
    # a data block does not count as a separate request for -R
    _env, conn = session()
    conn.receive_data(b"set a 0 0 1\r\n1\r\nget a\r\n")
    assert conn.process(1) == b"STORED\r\n"
    assert conn.process(1) == b"VALUE a 0 1\r\n1\r\nEND\r\n"


def test_bounded_output_for_huge_multiget() -> None:
    env, conn = session()
    value = b"v" * 1000
    for i in range(10_000):
        env.engine.store.set(b"key%d" % i, value, 0, 0)
    keys = b" ".join(b"key%d" % i for i in range(10_000))
    conn.receive_data(b"get " + keys + b"\r\nversion\r\n")
    pieces = []
    while conn.more_work:
        out = conn.process(20)
        assert len(out) <= OUTPUT_CAP + GET_PIECE + 2000
        pieces.append(out)
    assert len(pieces) > 20
    whole = b"".join(pieces)
    assert whole.endswith(b"END\r\nVERSION 1.6.45\r\n")
    assert whole.count(b"VALUE ") == 10_000


def test_input_buffered_excludes_pending_value() -> None:
    _env, conn = session(max_item_size=8 * 1024 * 1024)
    conn.receive_data(b"set big 0 0 6000000\r\n")
    conn.process(20)
    conn.receive_data(b"x" * 5_000_000)
    assert conn.input_buffered == 0
    assert conn.process(20) == b""
    conn.receive_data(b"x" * 1_000_000 + b"\r\nget nope\r\n")
    assert conn.input_buffered == len(b"get nope\r\n")
    assert conn.process(20) == b"STORED\r\nEND\r\n"


def test_swallow_of_huge_too_large_value() -> None:
    _env, conn = session()
    conn.receive_data(b"set k 0 0 5000000\r\n")
    assert conn.process(20) == b"SERVER_ERROR object too large for cache\r\n"
    for _ in range(50):
        conn.receive_data(b"get x\r\n" * 14285)  # 99995 bytes
        assert conn.process(20) == b""
        assert conn.input_buffered == 0
    conn.receive_data(b"x" * (5_000_000 - 50 * 99995) + b"\r\nversion\r\n")
    out = drive(conn, []).output
    assert out.endswith(b"VERSION 1.6.45\r\n")


def test_too_large_set_deletes_old_item() -> None:
    env, conn = session()
    big = 2 * 1024 * 1024
    data = b"y" * big + b"\r\nget k\r\n"
    assert send(conn, b"set k 0 0 1\r\nx\r\nset k 0 0 %d\r\n" % big + data) == (
        b"STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n"
    )
    assert env.engine.counters.store_too_large == 1
    # add/append do not delete
    assert send(conn, b"set k 0 0 1\r\nx\r\nappend k 0 0 %d\r\n" % big + data) == (
        b"STORED\r\nSERVER_ERROR object too large for cache\r\nVALUE k 0 1\r\nx\r\nEND\r\n"
    )


def test_store_level_too_large_and_oom() -> None:
    env, conn = session()
    # passes the pre-check (value fits -I) but the store refuses: 1 MiB - 10 bytes
    n = 1024 * 1024 - 10
    out = send(conn, b"set k 0 0 %d\r\n" % n + b"y" * n + b"\r\n")
    assert out == b"SERVER_ERROR object too large for cache\r\n"
    assert dict(general_stats(env.engine))["store_too_large"] == "1"  # counted once

    conn = faulty_session(env, OutOfMemory())
    assert send(conn, b"set k 0 0 1\r\nx\r\n") == b"SERVER_ERROR out of memory storing object\r\n"


def test_eof_closes_after_running_complete_commands() -> None:
    _env, conn = session()
    conn.receive_data(b"version\r\nget")
    conn.receive_data(b"")
    assert conn.process(20) == b"VERSION 1.6.45\r\n"
    assert conn.wants_close and not conn.more_work


def test_begin_drain_finishes_current_reply() -> None:
    env, conn = session()
    for i in range(2000):
        env.engine.store.set(b"k%d" % i, b"v" * 500, 0, 0)
    conn.receive_data(b"get " + b" ".join(b"k%d" % i for i in range(2000)) + b"\r\nversion\r\n")
    first = conn.process(20)
    assert conn.more_work
    conn.begin_drain()
    rest = b""
    while conn.more_work:
        rest += conn.process(20)
    assert (first + rest).endswith(b"END\r\n")
    assert conn.wants_close


def test_begin_drain_idle() -> None:
    _env, conn = session()
    conn.begin_drain()
    assert conn.wants_close
    conn.receive_data(b"version\r\n")
    assert conn.process(20) == b""


def test_internal_error_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(conn: Connection, tokens: list[bytes]) -> bytes:
        raise RuntimeError("bug")

    monkeypatch.setitem(COMMANDS, b"boom", boom)
    _env, conn = session()
    conn.receive_data(b"version\r\nboom\r\nversion\r\n")
    out = conn.process(20)
    assert out == b"VERSION 1.6.45\r\nSERVER_ERROR internal error\r\n"
    assert conn.wants_close and not conn.more_work
    assert conn.process(20) == b""


def test_internal_error_in_data_handler() -> None:
    env, _ = session()
    conn = faulty_session(env, KeyError("bug"))
    assert send(conn, b"set k 0 0 1\r\nx\r\nversion\r\n") == b"SERVER_ERROR internal error\r\n"
    assert conn.wants_close


def test_dispatch_table_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism meta ``ms`` uses: read N bytes, then call a handler."""

    def cmd_echo(conn: Connection, tokens: list[bytes]) -> bytes:
        n = int(tokens[1])
        if tokens[-1] == b"q":
            conn.noreply = True

        def on_data(data: bytes) -> bytes:
            return b"" if conn.noreply else b"EC " + data + b"\r\n"

        conn.read_data(n, on_data)
        return b""

    monkeypatch.setitem(COMMANDS, b"echo", cmd_echo)
    check(
        b"echo 3\r\nabc\r\necho 2 q\r\nxy\r\necho 1\r\nzz\r\n",
        b"EC abc\r\nCLIENT_ERROR bad data chunk\r\n" + BAD,
    )


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.randoms(use_true_random=False))
def test_random_bytes_never_raise(data: bytes, rng: random.Random) -> None:
    env = make_env()
    conn = Connection(env.engine)
    drive(conn, splits(data, rng), max_requests=rng.randint(1, 30))


_TOKENS = [
    b"get",
    b"gets",
    b"set",
    b"add",
    b"cas",
    b"incr",
    b"decr",
    b"delete",
    b"touch",
    b"gat",
    b"append",
    b"flush_all",
    b"version",
    b"verbosity",
    b"k",
    b"a",
    b"0",
    b"1",
    b"2",
    b"-1",
    b"noreply",
    b"abc",
    b"18446744073709551616",
    b"4294967296",
    b"lru_crawler",
    b"metadump",
    b"all",
    b"slabs",
    b"automove",
    b"lru",
    b"tune",
    b"cache_memlimit",
    b"10",
]


@st.composite
def command_streams(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 12))):
        toks = draw(st.lists(st.sampled_from(_TOKENS), min_size=1, max_size=7))
        ending = draw(st.sampled_from([b"\r\n", b"\n", b"\r\n", b"\r\n"]))
        lines.append(b" ".join(toks) + ending)
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from([b"xy\r\n", b"1\r\n", b"12\r\n", b"\r\n"])))
    return b"".join(lines)


@settings(max_examples=200, deadline=None)
@given(command_streams(), st.randoms(use_true_random=False))
def test_chunking_invariance_property(data: bytes, rng: random.Random) -> None:
    def run(chunks: list[bytes]) -> tuple[bytes, bool]:
        env = make_env()
        conn = Connection(env.engine)
        r = drive(conn, chunks, max_requests=1000)
        return r.output, r.closed

    whole = run([data])
    if b"metadump" in data:
        return  # "cannot pipeline before metadump" depends on batching, like memcached
    assert run([data[i : i + 1] for i in range(len(data))]) == whole
    assert run(splits(data, rng)) == whole


def test_constants() -> None:
    assert connmod.MAX_LINE == 2048
