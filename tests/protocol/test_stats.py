"""`stats` and its subcommands: names, order, conditions, counters."""

from __future__ import annotations

from tests.protocol.helpers import check, send, session

GENERAL_HEAD = [
    "pid",
    "uptime",
    "time",
    "version",
    "libevent",
    "pointer_size",
    "rusage_user",
    "rusage_system",
    "max_connections",
    "curr_connections",
    "total_connections",
    "rejected_connections",
    "connection_structures",
    "response_obj_oom",
    "response_obj_count",
    "response_obj_bytes",
    "read_buf_count",
    "read_buf_bytes",
    "read_buf_bytes_free",
    "read_buf_oom",
    "reserved_fds",
    "cmd_get",
    "cmd_set",
    "cmd_flush",
    "cmd_touch",
    "cmd_meta",
    "get_hits",
    "get_misses",
    "get_expired",
    "get_flushed",
    "delete_misses",
    "delete_hits",
    "incr_misses",
    "incr_hits",
    "decr_misses",
    "decr_hits",
    "cas_misses",
    "cas_hits",
    "cas_badval",
    "touch_hits",
    "touch_misses",
    "store_too_large",
    "store_no_memory",
    "auth_cmds",
    "auth_errors",
    "bytes_read",
    "bytes_written",
    "limit_maxbytes",
    "accepting_conns",
    "listen_disabled_num",
    "time_in_listen_disabled_us",
    "threads",
    "conn_yields",
    "hash_power_level",
    "hash_bytes",
    "hash_is_expanding",
    "slab_reassign_rescues",
    "slab_reassign_chunk_rescues",
    "slab_reassign_inline_reclaim",
    "slab_reassign_busy_items",
    "slab_reassign_busy_deletes",
    "slab_reassign_busy_nomem",
    "slab_reassign_last_busy_status",
    "slab_reassign_running",
    "slabs_moved",
    "lru_crawler_running",
    "lru_crawler_starts",
    "lru_maintainer_juggles",
    "malloc_fails",
    "log_worker_dropped",
    "log_worker_written",
    "log_watcher_skipped",
    "log_watcher_sent",
    "log_watchers",
    "unexpected_napi_ids",
    "round_robin_fallback",
    "bytes",
    "curr_items",
    "total_items",
    "slab_global_page_pool",
    "expired_unfetched",
    "evicted_unfetched",
    "evicted_active",
    "evictions",
    "reclaimed",
    "crawler_reclaimed",
    "crawler_items_checked",
    "lrutail_reflocked",
    "moves_to_cold",
    "moves_to_warm",
    "moves_within_lru",
    "direct_reclaims",
    "lru_bumps_dropped",
]


def stat_lines(out: bytes) -> list[tuple[str, str]]:
    assert out.endswith(b"END\r\n")
    lines = out.decode().split("\r\n")[:-2]
    result = []
    for line in lines:
        stat, name, value = line.split(" ", 2)
        assert stat == "STAT"
        result.append((name, value))
    return result


def test_general_names_and_order() -> None:
    _env, conn = session()
    names = [n for n, _ in stat_lines(send(conn, b"stats\r\n"))]
    assert names == GENERAL_HEAD


def test_general_conditional_fields() -> None:
    _env, conn = session(lru_crawler=False, lru_maintainer=False)
    names = [n for n, _ in stat_lines(send(conn, b"stats\r\n"))]
    assert len(names) == 84  # t/stats.t with -o no_lru_crawler,no_lru_maintainer
    _env, conn = session(idle_timeout=5, maxconns_fast=False)
    names = [n for n, _ in stat_lines(send(conn, b"stats\r\n"))]
    assert "idle_kicks" in names and "rejected_connections" not in names


def test_general_values() -> None:
    env, conn = session()
    send(conn, b"set a 0 0 1\r\n1\r\nget a b\r\nincr a 1\r\ndecr x 1\r\ntouch a 1\r\n")
    env.clock.now += 5
    stats = dict(stat_lines(send(conn, b"stats\r\n")))
    assert stats["version"] == "1.6.45"
    assert stats["uptime"] == "5"
    assert stats["time"] == str(env.clock.now)
    assert stats["cmd_get"] == "2" and stats["get_hits"] == "1" and stats["get_misses"] == "1"
    assert stats["cmd_set"] == "1" and stats["incr_hits"] == "1" and stats["decr_misses"] == "1"
    assert stats["cmd_touch"] == "1" and stats["touch_hits"] == "1"
    assert stats["curr_items"] == "1"
    assert stats["limit_maxbytes"] == str(64 * 1024 * 1024)
    assert stats["threads"] == "4"
    assert "." in stats["rusage_user"] and len(stats["rusage_user"].split(".")[1]) == 6


def test_gat_counts_touch_not_get() -> None:
    env, conn = session()
    send(conn, b"set a 0 0 1\r\n1\r\ngat 0 a b\r\n")
    c = env.engine.counters
    assert (c.cmd_get, c.get_hits, c.get_misses) == (0, 0, 0)
    assert (c.cmd_touch, c.touch_hits, c.touch_misses) == (2, 1, 1)


def test_cas_and_delete_counters() -> None:
    env, conn = session()
    send(
        conn,
        b"cas a 0 0 1 1\r\n1\r\nset a 0 0 1\r\n1\r\ncas a 0 0 1 5\r\n2\r\ncas a 0 0 1 1\r\n3\r\n"
        b"delete a\r\ndelete a\r\n",
    )
    c = env.engine.counters
    assert (c.cas_misses, c.cas_badval, c.cas_hits) == (1, 1, 1)
    assert (c.delete_hits, c.delete_misses) == (1, 1)


def test_settings_names() -> None:
    _env, conn = session()
    stats = stat_lines(send(conn, b"stats settings\r\n"))
    names = [n for n, _ in stats]
    assert names[:6] == ["maxbytes", "maxconns", "tcpport", "udpport", "inter", "verbosity"]
    assert names[-3:] == ["num_napi_ids", "memory_file", "client_flags_size"]
    d = dict(stats)
    assert d["binding_protocol"] == "auto-negotiate"
    assert d["cas_enabled"] == "yes"
    assert d["item_size_max"] == "1048576"
    assert d["domain_socket"] == "NULL"
    assert d["evictions"] == "on"
    assert d["auth_enabled_ascii"] == "no"
    assert d["growth_factor"] == "1.25"
    assert d["slab_automove_ratio"] == "0.80"
    assert d["ssl_min_version"] == "tlsv1.2"
    assert d["client_flags_size"] == "4"
    assert d["umask"] == "700"


def test_settings_reflect_flags() -> None:
    _env, conn = session(
        disable_cas=True, auth_file="/x", unix_socket="/tmp/s", disable_evictions=True
    )
    d = dict(stat_lines(send(conn, b"stats settings\r\n")))
    assert d["cas_enabled"] == "no"
    assert d["auth_enabled_ascii"] == "/x"
    assert d["binding_protocol"] == "ascii"
    assert d["domain_socket"] == "/tmp/s"
    assert d["evictions"] == "off"
    assert d["tcpport"] == "0"


def test_subcommands() -> None:
    check(b"stats foo\r\n", b"ERROR\r\n")
    check(b"stats sizes\r\n", b"STAT sizes_status disabled\r\nEND\r\n")
    check(b"stats items\r\n", b"END\r\n")
    check(
        b"stats conns\r\n",
        b"STAT 5:addr tcp:127.0.0.1:5555\r\nSTAT 5:state conn_parse_cmd\r\nEND\r\n",
    )
    env, conn = session()
    send(conn, b"set a 0 0 1\r\n1\r\n")
    want = b"".join(b"STAT %s %d\r\n" % (k.encode(), v) for k, v in env.store.slab_stats())
    assert send(conn, b"stats slabs\r\n") == want + b"END\r\n"
    assert b"STAT 1:chunk_size 96\r\n" in want
    want = b"".join(b"STAT %s %d\r\n" % (k.encode(), v) for k, v in env.store.item_stats())
    assert send(conn, b"stats items\r\n") == want + b"END\r\n"
    assert b"STAT items:1:number 1\r\n" in want


def test_reset() -> None:
    env, conn = session()
    send(conn, b"set a 0 0 1\r\n1\r\nget a\r\n")
    assert send(conn, b"stats reset\r\n") == b"RESET\r\n"
    c = env.engine.counters
    assert c.cmd_get == 0 and c.get_hits == 0 and c.cmd_set == 0
    assert len(env.store) == 1


def test_detail() -> None:
    check(
        b"stats detail\r\nstats detail x\r\nstats detail on\r\nset a:b 0 0 1\r\nx\r\n"
        b"get a:b\r\nget a:c\r\nget nodelim\r\ndelete a:b\r\nstats detail dump\r\n"
        b"stats detail off\r\nget a:b\r\nstats detail dump\r\n",
        b"CLIENT_ERROR usage: stats detail on|off|dump\r\n"
        * 2
        + b"OK\r\nSTORED\r\nVALUE a:b 0 1\r\nx\r\nEND\r\nEND\r\nEND\r\nDELETED\r\n"
        b"PREFIX a get 2 hit 1 set 1 del 1\r\nEND\r\nOK\r\nEND\r\n"
        b"PREFIX a get 2 hit 1 set 1 del 1\r\nEND\r\n",
    )
    check(
        b"stats detail on\r\n", b"CLIENT_ERROR stats detail not allowed\r\n", disable_dumping=True
    )


def test_cachedump() -> None:
    env, conn = session()
    env.store.set(b"a", b"xyz", 0, 0)
    env.store.set(b"b", b"xyz", 0, env.clock.now + 100)
    cls = env.store.get(b"a", bump=False)
    assert cls is not None
    out = send(conn, b"stats cachedump %d 0\r\n" % cls.slab_class)
    assert out == b"ITEM a [3 b; 0 s]\r\nITEM b [3 b; %d s]\r\nEND\r\n" % (env.clock.now + 100)
    out = send(conn, b"stats cachedump %d 1\r\n" % cls.slab_class)
    assert out == b"ITEM a [3 b; 0 s]\r\nEND\r\n"
    check(
        b"stats cachedump\r\nstats cachedump 1\r\nstats cachedump x 0\r\nstats cachedump 64 0\r\n",
        b"CLIENT_ERROR bad command line\r\n" * 2
        + b"CLIENT_ERROR bad command line format\r\nCLIENT_ERROR Illegal slab id\r\n",
    )
    check(
        b"stats cachedump 1 0\r\n",
        b"CLIENT_ERROR stats cachedump not allowed\r\n",
        disable_dumping=True,
    )
