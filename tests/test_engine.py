"""Engine semantics independent of the wire format."""

from __future__ import annotations

import pytest

from memcached_py.engine import Mode, Result, parse_u64_value
from tests.protocol.helpers import START, make_env


def test_realtime() -> None:
    env = make_env()
    e = env.engine
    assert e.realtime(0) == 0
    assert e.realtime(-1) == -1
    assert e.realtime(-100000) == -1
    assert e.realtime(10) == START + 10
    assert e.realtime(2592000) == START + 2592000
    assert e.realtime(START + 50) == START + 50  # absolute
    assert e.realtime(2592001) == -1  # absolute, before server start
    assert e.realtime(START) == -1


@pytest.mark.parametrize(
    ("data", "value"),
    [
        (b"0", 0),
        (b"12", 12),
        (b" 12", 12),
        (b"+12", 12),
        (b"12 ", 12),
        (b"12\r", 12),
        (b"12 abc", 12),
        (b"18446744073709551615", 2**64 - 1),
        (b"00000000000000000001", 1),
        (b"000000000000000000001", None),  # HEAD: more than 20 digits
        (b"", None),
        (b"-1", None),
        (b"12abc", None),
        (b"abc", None),
        (b"18446744073709551616", None),
        (b" ", None),
    ],
)
def test_parse_u64_value(data: bytes, value: int | None) -> None:
    assert parse_u64_value(data) == value


def test_arithmetic() -> None:
    env = make_env()
    e = env.engine
    e.store.set(b"n", b"100", 5, START + 50)
    res, value, _ = e.arithmetic(b"n", False, 1)
    assert (res, value) == (Result.STORED, 99)
    item = e.store.get(b"n")
    assert item is not None
    assert (item.value, item.flags, item.exptime) == (b"99 ", 5, START + 50)
    res, value, _ = e.arithmetic(b"n", True, 2**64 - 99)
    assert (res, value) == (Result.STORED, 0)
    res, value, _ = e.arithmetic(b"n", False, 5)
    assert value == 0
    res, value, _ = e.arithmetic(b"n", True, 12345)
    item = e.store.get(b"n")
    assert item is not None and item.value == b"12345"
    assert e.arithmetic(b"missing", True, 1)[0] == Result.NOT_FOUND
    e.store.set(b"s", b"x", 0, 0)
    assert e.arithmetic(b"s", True, 1)[0] == Result.NON_NUMERIC
    c = e.counters
    assert (c.incr_hits, c.decr_hits, c.incr_misses) == (2, 2, 1)


def test_arithmetic_new_cas() -> None:
    env = make_env()
    e = env.engine
    cas1 = e.store.set(b"n", b"1", 0, 0)
    e.arithmetic(b"n", True, 1)
    item = e.store.get(b"n")
    assert item is not None and item.cas > cas1
    assert e.arithmetic(b"n", True, 1, compare_cas=cas1)[0] == Result.EXISTS


def test_append_keeps_flags_and_ttl() -> None:
    env = make_env()
    e = env.engine
    e.store_item(Mode.SET, b"k", 7, START + 100, b"ab")
    res, cas = e.store_item(Mode.APPEND, b"k", 1, 0, b"cd")
    assert res == Result.STORED and cas > 0
    item = e.store.get(b"k")
    assert item is not None
    assert (item.value, item.flags, item.exptime) == (b"abcd", 7, START + 100)
    e.store_item(Mode.PREPEND, b"k", 1, 0, b"__")
    item = e.store.get(b"k")
    assert item is not None and item.value == b"__abcd"


def test_meta_style_compare_cas_with_any_mode() -> None:
    env = make_env()
    e = env.engine
    assert e.store_item(Mode.SET, b"k", 0, 0, b"v", compare_cas=5)[0] == Result.NOT_FOUND
    assert e.store_item(Mode.APPEND, b"k", 0, 0, b"v", compare_cas=5)[0] == Result.NOT_STORED
    _, cas = e.store_item(Mode.SET, b"k", 0, 0, b"v")
    assert e.store_item(Mode.APPEND, b"k", 0, 0, b"w", compare_cas=cas + 1)[0] == Result.EXISTS
    res, new = e.store_item(Mode.APPEND, b"k", 0, 0, b"w", compare_cas=cas, new_cas=1000)
    assert (res, new) == (Result.STORED, 1000)


def test_too_large_precheck() -> None:
    env = make_env()
    e = env.engine
    assert not e.too_large(b"k", 1024 * 1024 - 200)
    assert e.too_large(b"k", 1024 * 1024)


def test_flush_delayed() -> None:
    env = make_env()
    e = env.engine
    e.store.set(b"a", b"1", 0, 0)
    e.flush_all(10)
    assert e.store.get(b"a") is not None
    env.clock.now += 10
    assert e.store.get(b"a") is None


def test_memlimit_updates_settings() -> None:
    env = make_env()
    assert env.engine.set_memory_limit(128)
    assert env.engine.settings.memory_limit == 128 * 1024 * 1024
