"""Classic commands: bytes in -> replies out (every transcript is checked for
chunking invariance by ``check``)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from memcached_py.protocol.text import value_line_end
from tests.protocol.helpers import Env, check, send, session

BAD = b"CLIENT_ERROR bad command line format\r\n"


def test_set_get_delete() -> None:
    check(
        b"set k 5 0 2\r\nhi\r\nget k\r\ngets k\r\ndelete k\r\nget k\r\ndelete k\r\n",
        b"STORED\r\nVALUE k 5 2\r\nhi\r\nEND\r\nVALUE k 5 2 1\r\nhi\r\nEND\r\n"
        b"DELETED\r\nEND\r\nNOT_FOUND\r\n",
    )


def test_bare_newlines() -> None:
    check(b"set k 0 0 2\nhi\r\nget k\n", b"STORED\r\nVALUE k 0 2\r\nhi\r\nEND\r\n")


def test_empty_value_and_binary_value() -> None:
    check(
        b"set k 0 0 0\r\n\r\nget k\r\nset b 0 0 4\r\n\r\n\x00\xff\r\nget b\r\n",
        b"STORED\r\nVALUE k 0 0\r\n\r\nEND\r\nSTORED\r\nVALUE b 0 4\r\n\r\n\x00\xff\r\nEND\r\n",
    )


def test_multiget_duplicates_and_misses() -> None:
    check(
        b"set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nget a x b a\r\n",
        b"STORED\r\nSTORED\r\nVALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nVALUE a 0 1\r\n1\r\nEND\r\n",
    )


def test_extra_spaces_and_tab_in_key() -> None:
    check(
        b"set  t\tab   0 0 1  \r\nx\r\nget   t\tab  \r\nget tab\r\n",
        b"STORED\r\nVALUE t\tab 0 1\r\nx\r\nEND\r\nEND\r\n",
    )


def test_key_length_limit() -> None:
    k250 = b"k" * 250
    k251 = b"k" * 251
    check(
        b"set " + k250 + b" 0 0 1\r\nx\r\nget " + k250 + b"\r\n",
        b"STORED\r\nVALUE " + k250 + b" 0 1\r\nx\r\nEND\r\n",
    )
    # HEAD: error + data swallowed (never parsed as a command)
    check(b"set " + k251 + b" 0 0 1\r\nx\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")
    check(b"get a " + k251 + b"\r\n", BAD)
    check(b"set a 0 0 1\r\n1\r\nget a " + k251 + b"\r\n", b"STORED\r\n" + BAD)
    for cmd in (b"delete ", b"incr ", b"decr ", b"touch "):
        check(cmd + k251 + b" 1\r\n", BAD)


def test_case_sensitive_and_unknown() -> None:
    check(b"GET k\r\nfoo\r\nget k\r\n", b"ERROR\r\nERROR\r\nEND\r\n")


def test_short_lines_head() -> None:
    check(b"\r\n \na\r\nget\r\nab\r\n", BAD * 4 + b"ERROR\r\n")


def test_bad_data_chunk() -> None:
    check(
        b"set k 0 0 2\r\nhiX\r\nget k\r\n",
        b"CLIENT_ERROR bad data chunk\r\n" + BAD + b"END\r\n",
    )
    check(b"set k 0 0 2 noreply\r\nhiXY\r\nget k\r\n", BAD + b"END\r\n")


def test_refused_storage_swallows_data() -> None:
    check(b"set k -1 0 2\r\nhi\r\nget k\r\n", BAD + b"END\r\n")
    check(b"set k 0 x 2\r\nhi\r\nget k\r\n", BAD + b"END\r\n")
    # the data looks like commands but must never be parsed as such
    check(b"set k abc 0 9\r\nflush_all\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")
    check(b"cas k 0 0 1\r\n1\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")
    check(b"cas k 0 0 1 x\r\n1\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")


def test_bad_length_is_not_swallowed() -> None:
    check(b"set k 0 0 abc\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")
    check(b"set k 0 0 -1\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")
    check(b"set k 0 0\r\nversion\r\n", BAD + b"VERSION 1.6.45\r\n")


def test_flags() -> None:
    check(
        b"set k 4294967295 0 1\r\nx\r\nget k\r\nset k 4294967296 0 1\r\nx\r\nget k\r\n"
        b"set k -1 0 1\r\nx\r\nset k 1x 0 1\r\nx\r\nget k\r\n",
        b"STORED\r\nVALUE k 4294967295 1\r\nx\r\nEND\r\nSTORED\r\nVALUE k 0 1\r\nx\r\nEND\r\n"
        + BAD
        + BAD
        + b"VALUE k 0 1\r\nx\r\nEND\r\n",
    )


def test_noreply_suppresses_replies_and_errors() -> None:
    check(
        b"set k 0 0 1 noreply\r\nx\r\nadd k 0 0 1 noreply\r\ny\r\n"
        b"set k abc 0 1 noreply\r\nz\r\ndelete nope noreply\r\nincr k 1 noreply\r\n"
        b"incr k x noreply\r\ntouch k 1 noreply\r\ntouch k x noreply\r\n"
        b"flush_all x noreply\r\nverbosity 1 noreply\r\nget k\r\n",
        b"VALUE k 0 1\r\nx\r\nEND\r\n",
    )


def test_noreply_token_is_taken_from_the_end_first() -> None:
    # as memcached: the last token is checked before parsing, so errors caused
    # by "noreply" standing in for an argument are silent too
    check(
        b"set k 0 0 noreply\r\nincr k noreply\r\ntouch k noreply\r\n"
        b"cas k 0 0 1 noreply\r\nx\r\ndelete noreply\r\ngat 10 noreply\r\nversion\r\n",
        b"NOT_FOUND\r\nEND\r\nVERSION 1.6.45\r\n",
    )


def test_noreply_must_be_last_token() -> None:
    check(b"set k 0 0 1 noreply extra\r\nx\r\n", b"STORED\r\n")


def test_add_replace_append_prepend() -> None:
    check(
        b"add k 1 0 1\r\na\r\nadd k 0 0 1\r\nb\r\nreplace k 2 0 1\r\nc\r\n"
        b"replace nope 0 0 1\r\nd\r\nappend k 9 0 2\r\nde\r\nprepend k 9 0 2\r\nab\r\n"
        b"append nope 0 0 1\r\nx\r\nprepend nope 0 0 1\r\nx\r\nget k\r\n",
        b"STORED\r\nNOT_STORED\r\nSTORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\n"
        b"NOT_STORED\r\nNOT_STORED\r\nVALUE k 2 5\r\nabcde\r\nEND\r\n",
    )


def test_cas() -> None:
    check(
        b"cas k 0 0 1 1\r\na\r\nset k 0 0 1\r\na\r\ngets k\r\ncas k 0 0 1 99\r\nb\r\n"
        b"cas k 0 0 1 0\r\nb\r\ncas k 0 0 1 1\r\nc\r\ngets k\r\n",
        b"NOT_FOUND\r\nSTORED\r\nVALUE k 0 1 1\r\na\r\nEND\r\nEXISTS\r\nEXISTS\r\nSTORED\r\n"
        b"VALUE k 0 1 2\r\nc\r\nEND\r\n",
    )


def test_cas_disabled() -> None:
    check(
        b"set k 0 0 1\r\na\r\ngets k\r\ncas k 0 0 1 0\r\nb\r\ncas k 0 0 1 1\r\nb\r\n",
        b"STORED\r\nVALUE k 0 1 0\r\na\r\nEND\r\nEXISTS\r\nEXISTS\r\n",
        disable_cas=True,
    )


def test_incr_decr() -> None:
    check(
        b"incr k 1\r\nset k 3 0 3\r\n100\r\ndecr k 1\r\nget k\r\nincr k 1000\r\nget k\r\n"
        b"decr k 5000\r\nset n 0 0 20\r\n18446744073709551615\r\nincr n 2\r\n"
        b"incr n x\r\nincr n -1\r\nincr n 18446744073709551616\r\ndecr nope 1\r\n",
        b"NOT_FOUND\r\nSTORED\r\n99\r\nVALUE k 3 3\r\n99 \r\nEND\r\n1099\r\n"
        b"VALUE k 3 4\r\n1099\r\nEND\r\n0\r\nSTORED\r\n1\r\n"
        b"CLIENT_ERROR invalid numeric delta argument\r\n"
        b"CLIENT_ERROR invalid numeric delta argument\r\n"
        b"CLIENT_ERROR invalid numeric delta argument\r\nNOT_FOUND\r\n",
    )


def test_incr_non_numeric() -> None:
    nn = b"CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
    check(
        b"set a 0 0 2\r\nab\r\nincr a 1\r\nset b 0 0 0\r\n\r\nincr b 1\r\n"
        b"set c 0 0 3\r\n-12\r\nincr c 1\r\nset d 0 0 4\r\n12ab\r\nincr d 1\r\n"
        b"set e 0 0 3\r\n 12\r\nincr e 1\r\nset f 0 0 4\r\n12 x\r\nincr f 1\r\n"
        b"set g 0 0 21\r\n184467440737095516160\r\nincr g 1\r\n",
        b"STORED\r\n"
        + nn
        + b"STORED\r\n"
        + nn
        + b"STORED\r\n"
        + nn
        + b"STORED\r\n"
        + nn
        + b"STORED\r\n13\r\nSTORED\r\n13\r\nSTORED\r\n"
        + nn,
    )


def test_exptime_is_truncated_to_int32_like_strtol() -> None:
    # 99999999999 -> 1215752191 (an absolute time in the past): stored, invisible
    check(
        b"set k 0 99999999999 1\r\nx\r\nget k\r\nset k 0 -99999999999 1\r\nx\r\n"
        b"set k 0 99999999999999999999 1\r\nx\r\nversion\r\n",
        b"STORED\r\nEND\r\nSTORED\r\n" + BAD + b"VERSION 1.6.45\r\n",
    )


def test_append_too_large_combined_is_not_stored() -> None:
    n = 400_000
    check(
        b"set k 0 0 %d\r\n" % n
        + b"x" * n
        + b"\r\nappend k 0 0 %d\r\n" % (2 * n)
        + b"y" * 2 * n
        + b"\r\nget nope\r\n",
        b"STORED\r\nNOT_STORED\r\nEND\r\n",
    )


def test_touch_gat() -> None:
    def setup(env: Env) -> None:
        env.engine.store.set(b"k", b"v", 7, 0)

    check(
        b"touch k 10\r\ntouch nope 10\r\ntouch k x\r\ngat 100 k nope\r\ngats 0 k\r\n"
        b"gat x k\r\ngat 10\r\n",
        b"TOUCHED\r\nNOT_FOUND\r\nCLIENT_ERROR invalid exptime argument\r\n"
        b"VALUE k 7 1\r\nv\r\nEND\r\nVALUE k 7 1 1\r\nv\r\nEND\r\n"
        b"CLIENT_ERROR invalid exptime argument\r\n" + BAD,
        setup=setup,
    )


def test_ttl_rules() -> None:
    env, conn = session()
    now = env.clock.now
    assert send(conn, b"set a 0 10 1\r\n1\r\nset b 0 -1 1\r\n1\r\n") == b"STORED\r\nSTORED\r\n"
    assert send(conn, b"set c 0 %d 1\r\n1\r\n" % (now + 100)) == b"STORED\r\n"
    assert send(conn, b"set d 0 %d 1\r\n1\r\n" % (now - 100)) == b"STORED\r\n"
    assert send(conn, b"set e 0 2592000 1\r\n1\r\n") == b"STORED\r\n"
    assert send(conn, b"get a b c d e\r\n") == (
        b"VALUE a 0 1\r\n1\r\nVALUE c 0 1\r\n1\r\nVALUE e 0 1\r\n1\r\nEND\r\n"
    )
    env.clock.now += 10
    assert send(conn, b"get a c\r\n") == b"VALUE c 0 1\r\n1\r\nEND\r\n"
    env.clock.now += 90
    assert send(conn, b"get c e\r\n") == b"VALUE e 0 1\r\n1\r\nEND\r\n"


def test_flush_all() -> None:
    env, conn = session()
    assert send(conn, b"set a 0 0 1\r\n1\r\nflush_all\r\nget a\r\n") == (b"STORED\r\nOK\r\nEND\r\n")
    assert send(conn, b"set a 0 0 1\r\n1\r\nget a\r\n") == b"STORED\r\nVALUE a 0 1\r\n1\r\nEND\r\n"
    assert send(conn, b"flush_all 10\r\nget a\r\n") == b"OK\r\nVALUE a 0 1\r\n1\r\nEND\r\n"
    env.clock.now += 10
    assert send(conn, b"get a\r\n") == b"END\r\n"
    assert send(conn, b"flush_all x\r\nflush_all -1\r\nflush_all 0 noreply\r\n") == (
        b"CLIENT_ERROR invalid exptime argument\r\nOK\r\n"
    )
    assert env.engine.counters.cmd_flush == 5


def test_flush_all_disabled() -> None:
    check(b"flush_all\r\n", b"CLIENT_ERROR flush_all not allowed\r\n", disable_flush_all=True)


def test_version_verbosity() -> None:
    check(
        b"version\r\nversion extra\r\nverbosity 1\r\nverbosity\r\nverbosity x\r\n"
        b"verbosity noreply\r\nverbosity 1 2\r\nverbosity 1 2 3\r\n",
        b"VERSION 1.6.45\r\nVERSION 1.6.45\r\nOK\r\n" + BAD + BAD + b"OK\r\nERROR\r\n",
    )


def test_quit_stops_pipeline() -> None:
    r = check(b"version\r\nquit\r\nversion\r\n", b"VERSION 1.6.45\r\n", closed=True)
    assert r.closed


def test_shutdown() -> None:
    check(b"shutdown\r\n", b"SERVER_ERROR: shutdown not enabled\r\n", closed=False)
    check(b"shutdown foo\r\n", b"CLIENT_ERROR invalid shutdown mode\r\n", enable_shutdown=True)
    env, conn = session(enable_shutdown=True)
    assert send(conn, b"shutdown graceful\r\nversion\r\n") == b""
    assert conn.wants_close
    assert env.control is not None and env.control.shutdowns == [True]


def test_cache_memlimit() -> None:
    check(
        b"cache_memlimit\r\ncache_memlimit 5\r\ncache_memlimit 100\r\ncache_memlimit abc\r\n"
        b"cache_memlimit 2000000000\r\ncache_memlimit 100 noreply\r\n",
        b"ERROR\r\nMEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\nOK\r\nERROR\r\n"
        b"MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n",
    )
    env, conn = session()
    send(conn, b"cache_memlimit 100\r\n")
    assert env.engine.settings.memory_limit == 100 * 1024 * 1024
    assert b"STAT maxbytes 104857600\r\n" in send(conn, b"stats settings\r\n")


def test_slabs() -> None:
    check(
        b"slabs\r\nslabs foo\r\nslabs reassign 1 1\r\nslabs reassign a b\r\n"
        b"slabs automove 1\r\nslabs automove 5\r\nslabs automove x\r\n"
        b"slabs automove ratio 0.5\r\nslabs automove ratio x\r\n"
        b"slabs automove window 1\r\nslabs automove window 30\r\nslabs automove 3\r\n",
        b"ERROR\r\nERROR\r\nSAME src and dst class are identical\r\n"
        + BAD
        + b"OK\r\nERROR\r\n"
        + BAD
        + b"OK\r\nERROR\r\n"
        b"CLIENT_ERROR automove window too low or too high\r\nOK\r\nERROR\r\n",
    )
    check(
        b"slabs reassign 1 2\r\n",
        b"CLIENT_ERROR slab reassignment disabled\r\n",
        slab_reassign=False,
    )


def test_lru() -> None:
    check(
        b"lru\r\nlru tune 10 10 0.1 2\r\nlru tune 50 50 0.1 2\r\nlru tune 10 10 0 2\r\n"
        b"lru mode flat\r\nlru mode x\r\nlru temp_ttl 10\r\nlru temp_ttl x\r\nlru foo\r\n",
        b"ERROR\r\nOK\r\nERROR hot and warm pcts must not exceed 80\r\n"
        b"ERROR hot/warm age factors must be greater than 0\r\nOK\r\nERROR\r\nOK\r\n"
        b"ERROR\r\nERROR\r\n",
    )


def test_lru_crawler() -> None:
    check(
        b"lru_crawler\r\nlru_crawler foo\r\nlru_crawler sleep 10\r\n"
        b"lru_crawler sleep 10000000\r\nlru_crawler tocrawl 5\r\nlru_crawler crawl all\r\n"
        b"lru_crawler crawl 100\r\nlru_crawler crawl 1,2\r\nlru_crawler disable\r\n"
        b"lru_crawler crawl all\r\nlru_crawler disable\r\nlru_crawler enable\r\n"
        b"lru_crawler enable\r\n",
        b"ERROR\r\nERROR\r\nOK\r\nCLIENT_ERROR sleep must be one second or less\r\nOK\r\nOK\r\n"
        b"BADCLASS invalid class id\r\nOK\r\nOK\r\nCLIENT_ERROR lru crawler disabled\r\nOK\r\n"
        b"OK\r\nERROR failed to start lru crawler thread\r\n",
    )


def test_metadump_and_mgdump() -> None:
    env, conn = session()
    send(conn, b"set a%20b 3 0 1\r\nx\r\n")
    env.engine.store.set(b"bin", b"v", 0, 0, key_is_binary=True)
    out = send(conn, b"lru_crawler metadump all\r\n")
    assert out.startswith(b"OK\r\nkey=a%2520b exp=-1 la=")
    assert b" cas=1 fetch=no cls=" in out and b" flags=3\n" in out
    assert out.endswith(b"\nEND\r\n")
    assert send(conn, b"lru_crawler mgdump all\r\n") == b"OK\r\nmg a%20b\r\nmg Ymlu b\r\nEND\r\n"
    check(b"lru_crawler metadump all\r\n", b"ERROR metadump not allowed\r\n", disable_dumping=True)


def test_metadump_pipelined_is_refused() -> None:
    _env, conn = session()
    assert send(conn, b"version\r\nlru_crawler metadump all\r\n") == (
        b"VERSION 1.6.45\r\nERROR cannot pipeline other commands before metadump\r\n"
    )


def test_refresh_certs_without_tls() -> None:
    check(b"refresh_certs\r\n", b"Error TLS not enabled\r\n")


def test_get_hot_path_counts() -> None:
    env, conn = session()
    send(conn, b"set a 0 0 1\r\n1\r\nget a\r\nget b\r\nget a b c\r\n")
    c = env.engine.counters
    assert (c.cmd_get, c.get_hits, c.get_misses) == (5, 2, 3)


def test_metadump_streams_in_pieces_and_keeps_order() -> None:
    env, conn = session()
    for i in range(10_000):
        env.engine.store.set(b"key%05d" % i, b"v" * 10, 0, 0)
    conn.receive_data(b"lru_crawler metadump all\r\nversion\r\n")
    pieces = []
    while conn.more_work:
        pieces.append(conn.process(20))
    out = b"".join(pieces)
    assert len(pieces) > 1
    assert out.startswith(b"OK\r\n") and out.endswith(b"END\r\nVERSION 1.6.45\r\n")
    assert out.count(b"key=key") == 10_000


@given(st.integers(0, 2**32 - 1) | st.just(0), st.integers(0, 4096))
def test_value_line_end_matches_formatting(flags: int, size: int) -> None:
    """The prebuilt line ends (flags 0, small sizes) equal the formatted ones."""
    assert value_line_end(flags, size) == b" %d %d\r\n" % (flags, size)
