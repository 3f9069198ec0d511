"""Meta commands through the sans-IO Connection (no sockets), with a fake clock.

``check`` runs each transcript whole, byte by byte and in random splits and
requires identical output (chunking invariance). The stateful tests advance
the clock to pin what the differential corpus cannot: relative TTLs (``t``),
last access (``l``), ``R`` recache timing, ``me`` fields and expiry.
"""

from __future__ import annotations

from memcached_py.protocol import meta
from memcached_py.protocol.text import COMMANDS
from tests.protocol.helpers import check, send, session


def test_registered_in_dispatch_table() -> None:
    for name in (b"mg", b"ms", b"md", b"ma", b"mn", b"me"):
        assert COMMANDS[name] is meta.META_COMMANDS[name]


def test_basic_pipeline() -> None:
    check(
        b"ms k 2 F3 T0\r\nhi\r\nmg k v f s k c\r\nmd k q\r\nmg k v\r\nmn\r\n",
        b"HD\r\nVA 2 f3 s2 kk c1\r\nhi\r\nEN\r\nMN\r\n",
    )


def test_quiet_mode_per_command() -> None:
    # mg: only EN is elided; ms/md: only HD; ma: HD and VA
    check(
        b"mg a q\r\nms a 1 q\r\n1\r\nmg a q v\r\nms a 1 ME q\r\n2\r\nma a q\r\nma a q v\r\n"
        b"ma zz q\r\nms a 1 C999 q\r\n3\r\nmd zz q\r\nmd a q\r\nmn\r\n",
        b"VA 1\r\n1\r\nNS\r\nNF\r\nEX\r\nNF\r\nMN\r\n",
    )


def test_errors_are_never_quiet() -> None:
    check(
        b"mg k q a\r\nms k 2 q\r\nhiXY\r\nma k q Mx\r\nmd k q v v\r\nmn\r\n",
        b"CLIENT_ERROR invalid flag\r\nCLIENT_ERROR bad data chunk\r\n"
        b"CLIENT_ERROR bad command line format\r\n"
        b"CLIENT_ERROR invalid mode for ma M token\r\nCLIENT_ERROR duplicate flag\r\nMN\r\n",
    )


def test_ms_swallow_rules() -> None:
    # bad datalen: the block is parsed as commands; other refusals swallow it
    check(
        b"ms k x\r\nmn\r\nms k 4 a\r\nmn\r\n\r\nmn\r\n",
        b"CLIENT_ERROR bad command line format\r\nMN\r\nCLIENT_ERROR invalid flag\r\nMN\r\n",
    )


def test_opaque_limits_everywhere() -> None:
    o32 = b"O" + b"x" * 31
    o33 = o32 + b"x"
    check(
        b"ms k 1 " + o32 + b"\r\n1\r\nma k " + o32 + b"\r\nmd k " + o32 + b" I\r\n"
        b"ma k " + o33 + b"\r\nmd k " + o33 + b"\r\nmg k v\r\n",
        b"HD " + o32 + b"\r\nHD " + o32 + b"\r\nHD " + o32 + b"\r\n"
        b"CLIENT_ERROR opaque token too long\r\nCLIENT_ERROR opaque token too long\r\n"
        b"VA 1 X W\r\n3\r\n",
    )


def test_mg_compare_cas_drops_value() -> None:
    # reference §4 (HEAD): mg C<cas> equal to the item's CAS -> HD instead of VA
    check(
        b"ms k 2\r\nhi\r\nmg k v c C1\r\nmg k v c C2\r\n",
        b"HD\r\nHD c1\r\nVA 2 c1\r\nhi\r\n",
    )


def test_ms_invalidate_needs_compare() -> None:
    check(
        b"ms k 1\r\na\r\nms k 1 I\r\nb\r\nmg k v c\r\n",
        b"HD\r\nHD\r\nVA 1 c2\r\nb\r\n",
    )


def test_ms_append_vivify_and_size() -> None:
    check(
        b"ms k 2 MA N0 s\r\nab\r\nms k 2 MP s F9\r\nxy\r\nmg k v f\r\nms k 1 MA N0 T1\r\nz\r\n"
        b"mg k v\r\n",
        b"HD s2\r\nHD s4\r\nVA 4 f0\r\nxyab\r\nHD\r\nVA 5\r\nxyabz\r\n",
    )


def test_md_tombstone_and_invalidate() -> None:
    check(
        b"ms k 2 F5\r\nhi\r\nmd k x F2 T0 q\r\nmg k v f c\r\nmd k x I E50\r\nmg k c v\r\n"
        b"mg k c\r\n",
        b"HD\r\nVA 0 f2 c1\r\n\r\nHD\r\nVA 0 c50 X W\r\n\r\nHD c50 Z X\r\n",
    )


def test_ma_modes_and_padding() -> None:
    check(
        b"ms n 3\r\n100\r\nma n MD v\r\nmg n v\r\nma n M+ D901 v\r\nmg n v s\r\n"
        b"ma n M- D2000 v\r\nma m N0 J18446744073709551615 v\r\nma m v\r\n",
        b"HD\r\nVA 2\r\n99\r\nVA 3\r\n99 \r\nVA 4\r\n1000\r\nVA 4 s4\r\n1000\r\n"
        b"VA 1\r\n0\r\nVA 20\r\n18446744073709551615\r\nVA 1\r\n0\r\n",
    )


def test_binary_keys() -> None:
    r = check(
        b"ms AAEC/w== 2 b k\r\nhi\r\nmg AAEC/w== b k v\r\nmd AAEC/w== b k q\r\n"
        b"mg AAEC/w== b k\r\nma AAEC/w== b k N0\r\nmn\r\n",
        b"HD kAAEC/w== b\r\nVA 2 kAAEC/w== b\r\nhi\r\nEN kAAEC/w== b\r\nHD kAAEC/w== b\r\nMN\r\n",
    )
    assert r.closed is False
    _env, conn = session()
    send(conn, b"ms AAEC/w== 2 b\r\nhi\r\n")
    line = send(conn, b"me AAEC/w== b x\r\n")
    assert line.startswith(b"ME AAEC/w== exp=-1 la=0 cas=1 fetch=no cls=1 size=")
    assert send(conn, b"me \x00\x01\x02\xff\r\n") == line  # the raw key finds it too


def test_cas_disabled() -> None:
    check(
        b"ms k 1 c\r\na\r\nmg k c\r\nms k 1 C0\r\nb\r\nms k 1 C1\r\nb\r\nma n N0 c\r\n",
        b"HD c0\r\nHD c0\r\nEX\r\nEX\r\nHD c0\r\n",
        disable_cas=True,
    )
    check(
        b"ms k 1 E5 c\r\na\r\nmg n N0 E7 c\r\nma m N0 E9 c\r\nmd k I E3\r\nmg k c\r\n",
        b"HD c0\r\nHD c0 W\r\nHD c0\r\nHD\r\nHD c0 X W\r\n",
        disable_cas=True,
    )


def test_too_large() -> None:
    big = b"a" * 2000
    check(
        b"ms k 1\r\nx\r\nms k 2000 MA\r\n" + big + b"\r\nmg k v\r\n"
        b"ms k 1000\r\n" + big[:1000] + b"\r\nms k 1000 MA s\r\n" + big[:1000] + b"\r\nmg k s\r\n",
        b"HD\r\nSERVER_ERROR object too large for cache\r\nEN\r\nHD\r\nNS s1000\r\nHD s1000\r\n",
        max_item_size=1200,
    )


# --------------------------------------------------------------------------
# time-dependent flags (fake clock)


def test_ttl_and_touch_order() -> None:
    env, conn = session()
    assert send(conn, b"ms k 1 T100\r\nx\r\n") == b"HD\r\n"
    env.clock.now += 10
    assert send(conn, b"mg k t\r\n") == b"HD t90\r\n"
    # t before T reports the old TTL, after T the new one
    assert send(conn, b"mg k t T30\r\n") == b"HD t90\r\n"
    assert send(conn, b"mg k T40 t\r\n") == b"HD t40\r\n"
    assert send(conn, b"mg k t\r\n") == b"HD t40\r\n"
    assert env.engine.counters.cmd_touch == 2
    env.clock.now += 40
    assert send(conn, b"mg k t\r\n") == b"EN\r\n"


def test_last_access_and_fetched() -> None:
    env, conn = session()
    send(conn, b"ms k 1\r\nx\r\n")
    env.clock.now += 7
    # memcached (segmented LRU): the first fetch only marks the item fetched;
    # the second makes it active and moves its access time.
    assert send(conn, b"mg k l h\r\n") == b"HD l7 h0\r\n"
    env.clock.now += 3
    assert send(conn, b"mg k l h u\r\n") == b"HD l10 h1\r\n"
    env.clock.now += 2
    assert send(conn, b"mg k l\r\n") == b"HD l12\r\n"  # u did not count as a fetch
    env.clock.now += 1
    assert send(conn, b"mg k l\r\n") == b"HD l1\r\n"


def test_recache_timing() -> None:
    env, conn = session()
    send(conn, b"ms k 1 T100\r\nx\r\n")
    assert send(conn, b"mg k R30\r\n") == b"HD\r\n"  # 100 left: no win
    env.clock.now += 80
    assert send(conn, b"mg k R30 t\r\n") == b"HD t20 W\r\n"
    assert send(conn, b"mg k R30 t\r\n") == b"HD t20 Z\r\n"
    # a new value resets the token
    send(conn, b"ms k 1 T10\r\ny\r\n")
    assert send(conn, b"mg k R30 v\r\n") == b"VA 1 W\r\ny\r\n"


def test_vivify_ttl() -> None:
    env, conn = session()
    assert send(conn, b"mg k N30 t s v\r\n") == b"VA 0 t30 s0 W\r\n\r\n"
    env.clock.now += 5
    assert send(conn, b"mg k N30 t\r\n") == b"HD t25 Z\r\n"
    env.clock.now += 25
    assert send(conn, b"mg k\r\n") == b"EN\r\n"


def test_md_invalidate_ttl() -> None:
    env, conn = session()
    send(conn, b"ms k 1\r\nx\r\n")
    assert send(conn, b"md k I T30\r\nmg k t v\r\n") == b"HD\r\nVA 1 t30 X W\r\nx\r\n"
    env.clock.now += 30
    assert send(conn, b"mg k\r\n") == b"EN\r\n"


def test_ms_stale_keeps_ttl() -> None:
    env, conn = session()
    send(conn, b"ms k 1 T100\r\na\r\nmd k I\r\n")  # CAS 1 -> 2
    env.clock.now += 10
    assert send(conn, b"ms k 1 I C1 T5\r\nb\r\nmg k t v c\r\n") == b"HD\r\nVA 1 t90 c3 X W\r\nb\r\n"


def test_ma_ttl_flags() -> None:
    env, conn = session()
    assert send(conn, b"ma k t N50\r\n") == b"HD t-1\r\n"  # t before N: not yet set
    assert send(conn, b"ma k t\r\n") == b"HD t50\r\n"
    env.clock.now += 10
    assert send(conn, b"ma k t T100 v\r\n") == b"VA 1 t40\r\n2\r\n"
    assert send(conn, b"ma k T100 t v\r\n") == b"VA 1 t100\r\n3\r\n"


def test_me_fields() -> None:
    env, conn = session()
    send(conn, b"ms k 2 T100 F1\r\nhi\r\n")
    env.clock.now += 4
    line = send(conn, b"me k\r\n")
    assert line.startswith(b"ME k exp=96 la=4 cas=1 fetch=no cls=1 size=")
    send(conn, b"mg k\r\n")  # first fetch: marks it fetched, time unchanged
    assert b" la=4 cas=1 fetch=yes " in send(conn, b"me k\r\n")
    send(conn, b"mg k\r\n")  # second fetch: active, access time moves
    assert b" la=0 cas=1 fetch=yes " in send(conn, b"me k\r\n")
    assert env.engine.counters.cmd_meta == 3
    assert send(conn, b"me nope\r\n") == b"EN\r\n"


def test_negative_and_absolute_ttls() -> None:
    env, conn = session()
    now = env.clock.now
    assert send(conn, b"ms a 1 T-1\r\nx\r\nmg a\r\n") == b"HD\r\nEN\r\n"
    assert send(conn, b"ms b 1 T%d\r\nx\r\nmg b t\r\n" % (now + 50)) == b"HD\r\nHD t50\r\n"
    assert send(conn, b"ms c 1 T%d\r\nx\r\nmg c\r\n" % (now - 50)) == b"HD\r\nEN\r\n"


def test_counters() -> None:
    env, conn = session()
    c = env.engine.counters
    send(conn, b"mg k\r\nmg k N0\r\nmg k T0\r\nmg zz T0\r\n")
    assert (c.cmd_get, c.get_hits, c.get_misses) == (3, 1, 2)
    assert (c.cmd_touch, c.touch_hits) == (1, 1)
    send(conn, b"ms k 1 C99\r\nx\r\nms zz 1 C1\r\nx\r\nms k 1 C1\r\nx\r\n")
    assert (c.cmd_set, c.cas_badval, c.cas_misses, c.cas_hits) == (3, 1, 1, 1)
    send(conn, b"md zz\r\nmd k I\r\nmd k C1\r\nmd k\r\n")
    assert (c.delete_misses, c.delete_hits) == (2, 1)
    send(conn, b"ma n\r\nma n N0\r\nma n\r\nma n MD\r\nma n MD C99\r\n")
    assert (c.incr_misses, c.incr_hits, c.decr_hits, c.decr_misses) == (1, 1, 1, 0)


def test_watch_lines() -> None:
    from memcached_py.protocol.connection import Connection

    env, conn = session()
    watcher = Connection(env.engine, peer="watcher", fd=9)
    assert send(watcher, b"watch fetchers mutations deletions\r\n") == b"OK\r\n"
    send(conn, b"ms wk 2 T100\r\nhi\r\nmg wk v\r\nms wk 2 ME\r\nhi\r\nmd wk\r\nmg nope\r\n")
    out = b""
    while watcher.more_work:
        out += watcher.process(100)
    events = []
    for line in out.decode().splitlines():
        fields = dict(f.split("=", 1) for f in line.split(" ") if "=" in f)
        events.append(tuple(fields.get(n, "") for n in ("type", "key", "status", "cmd", "ttl")))
    # the format of the lines is watch.py's; this pins which events meta commands log
    assert events == [
        ("item_get", "wk", "not_found", "", ""),
        ("item_store", "wk", "stored", "set", "100"),
        ("item_get", "wk", "found", "", ""),
        ("item_get", "wk", "found", "", ""),
        ("item_store", "wk", "not_stored", "add", "0"),
        ("item_get", "wk", "found", "", ""),
        ("deleted", "wk", "", "md", ""),
        ("item_get", "nope", "not_found", "", ""),
    ]
