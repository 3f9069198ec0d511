from __future__ import annotations

import random

from memcached_py.protocol.buffer import ReceiveBuffer


def test_lines_and_blocks() -> None:
    b = ReceiveBuffer()
    b.feed(b"get a\r\nset b 0 0 2\r\nhi\r\nx")
    nl = b.find_line()
    assert b.take_line(nl) == (b"get a", 7)
    nl = b.find_line()
    assert b.take_line(nl) == (b"set b 0 0 2", 13)
    assert b.take(4) == b"hi\r\n"
    assert b.find_line() == -1
    assert len(b) == 1
    b.feed(b"y\n")
    nl = b.find_line()
    assert b.take_line(nl) == (b"xy", 3)
    assert len(b) == 0


def test_bare_newline_and_cr_only_before_newline() -> None:
    b = ReceiveBuffer()
    b.feed(b"a\rb\n\r\n")
    assert b.take_line(b.find_line()) == (b"a\rb", 4)
    assert b.take_line(b.find_line()) == (b"", 2)


def test_discard() -> None:
    b = ReceiveBuffer()
    b.feed(b"abcdef")
    assert b.discard(4) == 4
    assert b.discard(10) == 2
    assert len(b) == 0


def test_byte_at_a_time_long_line_is_linear() -> None:
    b = ReceiveBuffer()
    line = b"get " + b"k" * 200_000
    for i in range(len(line)):
        b.feed(line[i : i + 1])
        assert b.find_line() == -1
    b.feed(b"\r\n")
    nl = b.find_line()
    assert b.take_line(nl)[0] == line


def test_random_chunking_roundtrip() -> None:
    rng = random.Random(1)
    data = b"".join(b"line%d\r\n" % i for i in range(5000))
    b = ReceiveBuffer()
    got = []
    i = 0
    while i < len(data):
        n = rng.randint(1, 100)
        b.feed(data[i : i + n])
        i += n
        while (nl := b.find_line()) >= 0:
            got.append(b.take_line(nl)[0])
    assert got == [b"line%d" % i for i in range(5000)]
    assert len(b) == 0


def test_compaction_keeps_data() -> None:
    b = ReceiveBuffer()
    b.feed(b"x" * 10)  # keep a partial line so the buffer becomes a bytearray
    b.feed(b"\n" + b"y" * 200_000)
    assert b.take_line(b.find_line())[0] == b"x" * 10
    for _ in range(150):
        assert b.take(1000) == b"y" * 1000
        b.feed(b"z")
    assert len(b) == 50_000 + 150
    assert b.take(50_000) == b"y" * 50_000
    assert b.take(150) == b"z" * 150


def test_next_line() -> None:
    b = ReceiveBuffer()
    b.feed(b"ab\r\ncd\nef")
    assert b.next_line() == b"ab" and b.last_raw == 4
    assert b.next_line() == b"cd" and b.last_raw == 3
    assert b.next_line() is None and b.last_raw == 2
    b.feed(b"g\r")
    assert b.next_line() is None and b.last_raw == 4
    b.feed(b"\n")
    assert b.next_line() == b"efg" and b.last_raw == 5
    assert len(b) == 0
