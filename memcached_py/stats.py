"""Counters and the rendering of ``stats`` and its subcommands.

``ServerCounters`` is one mutable slotted object shared by the engine, the
connections and the server (which updates the connection/byte counters).
The render functions produce memcached's field names in HEAD order; values
owned by the store come from ``Store.stats()``.
"""

from __future__ import annotations

import os
import resource
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from memcached_py.engine import Engine

#: Counters reset by ``stats reset`` (memcached resets the thread stats and a
#: few globals, never the gauges such as curr_connections).
_RESETTABLE: Final = (
    "total_connections",
    "rejected_connections",
    "conn_yields",
    "bytes_read",
    "bytes_written",
    "listen_disabled_num",
    "cmd_get",
    "cmd_set",
    "cmd_flush",
    "cmd_touch",
    "cmd_meta",
    "get_hits",
    "get_misses",
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
    "idle_kicks",
    "malloc_fails",
    "log_worker_dropped",
    "log_worker_written",
    "log_watcher_skipped",
    "log_watcher_sent",
)

_GAUGES: Final = (
    "curr_connections",
    "connection_structures",
    "accepting_conns",
    "log_watchers",
    "lru_crawler_starts",
)


class ServerCounters:
    """Every general counter not owned by the store (all ints)."""

    __slots__ = _RESETTABLE + _GAUGES

    def __init__(self) -> None:
        for name in _RESETTABLE + _GAUGES:
            setattr(self, name, 0)
        self.accepting_conns = 1

    # mypy needs the attribute types spelled out.
    total_connections: int
    rejected_connections: int
    conn_yields: int
    bytes_read: int
    bytes_written: int
    listen_disabled_num: int
    cmd_get: int
    cmd_set: int
    cmd_flush: int
    cmd_touch: int
    cmd_meta: int
    get_hits: int
    get_misses: int
    delete_misses: int
    delete_hits: int
    incr_misses: int
    incr_hits: int
    decr_misses: int
    decr_hits: int
    cas_misses: int
    cas_hits: int
    cas_badval: int
    touch_hits: int
    touch_misses: int
    store_too_large: int
    store_no_memory: int
    auth_cmds: int
    auth_errors: int
    idle_kicks: int
    malloc_fails: int
    log_worker_dropped: int
    log_worker_written: int
    log_watcher_skipped: int
    log_watcher_sent: int
    curr_connections: int
    connection_structures: int
    accepting_conns: int
    log_watchers: int
    lru_crawler_starts: int

    def reset(self) -> None:
        for name in _RESETTABLE:
            setattr(self, name, 0)

    def get(self, name: str) -> int:
        value: int = getattr(self, name)
        return value


Lines = list[tuple[str, str]]


def render(lines: Lines) -> bytes:
    """``STAT name value`` lines followed by ``END``."""
    parts = [f"STAT {k} {v}\r\n" for k, v in lines]
    parts.append("END\r\n")
    return "".join(parts).encode("utf-8", "surrogateescape")


def _rusage(sec: float) -> str:
    whole = int(sec)
    return f"{whole}.{round((sec - whole) * 1_000_000):06d}"


def general_stats(engine: Engine) -> Lines:
    """``stats`` (no argument), HEAD field order and conditions."""
    from memcached_py import PROTOCOL_VERSION

    s = engine.settings
    c = engine.counters
    st = engine.store.stats()
    now = engine.clock()

    def cnt(name: str) -> str:
        return str(getattr(c, name))

    def sto(name: str, default: object = 0) -> str:
        return str(st.get(name, default))

    ru = resource.getrusage(resource.RUSAGE_SELF)
    out: Lines = [
        ("pid", str(os.getpid())),
        ("uptime", str(max(0, now - engine.started))),
        ("time", str(now)),
        ("version", PROTOCOL_VERSION),
        ("libevent", "trio"),
        ("pointer_size", "64"),
        ("rusage_user", _rusage(ru.ru_utime)),
        ("rusage_system", _rusage(ru.ru_stime)),
        ("max_connections", str(s.conn_limit)),
        ("curr_connections", cnt("curr_connections")),
        ("total_connections", cnt("total_connections")),
    ]
    if s.maxconns_fast:
        out.append(("rejected_connections", cnt("rejected_connections")))
    out += [
        ("connection_structures", cnt("connection_structures")),
        ("response_obj_oom", "0"),
        ("response_obj_count", "0"),
        ("response_obj_bytes", "0"),
        ("read_buf_count", "0"),
        ("read_buf_bytes", "0"),
        ("read_buf_bytes_free", "0"),
        ("read_buf_oom", "0"),
        ("reserved_fds", "20"),
    ]
    for name in (
        "cmd_get",
        "cmd_set",
        "cmd_flush",
        "cmd_touch",
        "cmd_meta",
        "get_hits",
        "get_misses",
    ):
        out.append((name, cnt(name)))
    out.append(("get_expired", sto("get_expired")))
    out.append(("get_flushed", sto("get_flushed")))
    for name in (
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
    ):
        out.append((name, cnt(name)))
    out.append(("store_too_large", str(c.store_too_large + int(st.get("store_too_large", 0)))))
    out.append(("store_no_memory", str(c.store_no_memory + int(st.get("store_no_memory", 0)))))
    out.append(("auth_cmds", cnt("auth_cmds")))
    out.append(("auth_errors", cnt("auth_errors")))
    if s.idle_timeout > 0:
        out.append(("idle_kicks", cnt("idle_kicks")))
    out += [
        ("bytes_read", cnt("bytes_read")),
        ("bytes_written", cnt("bytes_written")),
        ("limit_maxbytes", str(s.memory_limit)),
        ("accepting_conns", cnt("accepting_conns")),
        ("listen_disabled_num", cnt("listen_disabled_num")),
        ("time_in_listen_disabled_us", "0"),
        ("threads", str(s.threads)),
        ("conn_yields", cnt("conn_yields")),
        ("hash_power_level", sto("hash_power_level", 16)),
        ("hash_bytes", sto("hash_bytes", 524288)),
        ("hash_is_expanding", sto("hash_is_expanding", 0)),
    ]
    if s.slab_reassign:
        for name in (
            "slab_reassign_rescues",
            "slab_reassign_chunk_rescues",
            "slab_reassign_inline_reclaim",
            "slab_reassign_busy_items",
            "slab_reassign_busy_deletes",
            "slab_reassign_busy_nomem",
        ):
            out.append((name, sto(name)))
        out.append(
            ("slab_reassign_last_busy_status", sto("slab_reassign_last_busy_status", "none"))
        )
        out.append(("slab_reassign_running", sto("slab_reassign_running")))
        out.append(("slabs_moved", sto("slabs_moved")))
    if s.lru_crawler:
        out.append(("lru_crawler_running", "0"))
        out.append(("lru_crawler_starts", cnt("lru_crawler_starts")))
    if s.lru_maintainer:
        out.append(("lru_maintainer_juggles", sto("lru_maintainer_juggles")))
    out += [
        ("malloc_fails", cnt("malloc_fails")),
        ("log_worker_dropped", cnt("log_worker_dropped")),
        ("log_worker_written", cnt("log_worker_written")),
        ("log_watcher_skipped", cnt("log_watcher_skipped")),
        ("log_watcher_sent", cnt("log_watcher_sent")),
        ("log_watchers", cnt("log_watchers")),
    ]
    if engine.control is not None and s.enable_ssl:
        out += engine.control.tls_stats()
    out += [
        ("unexpected_napi_ids", "0"),
        ("round_robin_fallback", "0"),
        ("bytes", sto("bytes")),
        ("curr_items", str(len(engine.store))),
        ("total_items", sto("total_items")),
        ("slab_global_page_pool", sto("slab_global_page_pool")),
        ("expired_unfetched", sto("expired_unfetched")),
        ("evicted_unfetched", sto("evicted_unfetched")),
    ]
    if s.lru_maintainer:
        out.append(("evicted_active", sto("evicted_active")))
    for name in (
        "evictions",
        "reclaimed",
        "crawler_reclaimed",
        "crawler_items_checked",
        "lrutail_reflocked",
    ):
        out.append((name, sto(name)))
    if s.lru_maintainer:
        for name in (
            "moves_to_cold",
            "moves_to_warm",
            "moves_within_lru",
            "direct_reclaims",
            "lru_bumps_dropped",
        ):
            out.append((name, sto(name)))
    return out


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"


def _null(value: str | None, null: str = "NULL") -> str:
    return null if value is None else value


_TLS_VERSIONS: Final = ("tlsv1.0", "tlsv1.1", "tlsv1.2", "tlsv1.3")


def settings_stats(engine: Engine) -> Lines:
    """``stats settings``: HEAD names and order, 1.6.18 value formats."""
    s = engine.settings
    port = s.port if s.unix_socket is None else 0
    binding = {"auto": "auto-negotiate", "ascii": "ascii", "binary": "binary"}.get(
        "ascii" if s.auth_file else s.protocol, s.protocol
    )
    ssl_min = (
        _TLS_VERSIONS[s.ssl_min_version]
        if 0 <= s.ssl_min_version < len(_TLS_VERSIONS)
        else str(s.ssl_min_version)
    )
    return [
        ("maxbytes", str(s.memory_limit)),
        ("maxconns", str(s.conn_limit)),
        ("tcpport", str(port)),
        ("udpport", str(s.udp_port)),
        ("inter", ",".join(s.listen) if s.listen else "NULL"),
        ("verbosity", str(s.verbose)),
        ("oldest", str(engine.oldest_live_age())),
        ("evictions", "off" if s.disable_evictions else "on"),
        ("domain_socket", _null(s.unix_socket)),
        ("umask", f"{s.unix_mask:o}"),
        ("shutdown_command", _yn(s.enable_shutdown)),
        ("growth_factor", f"{s.slab_growth_factor:.2f}"),
        ("chunk_size", str(s.slab_min_size)),
        ("num_threads", str(s.threads)),
        ("num_threads_per_udp", str(s.threads)),
        ("stat_key_prefix", s.stats_prefix_delimiter),
        ("detail_enabled", _yn(engine.detail_enabled)),
        ("reqs_per_event", str(s.max_reqs_per_event)),
        ("cas_enabled", _yn(not s.disable_cas)),
        ("tcp_backlog", str(s.listen_backlog)),
        ("binding_protocol", binding),
        ("auth_enabled_sasl", "no"),
        ("auth_enabled_ascii", s.auth_file if s.auth_file else "no"),
        ("item_size_max", str(s.max_item_size)),
        ("maxconns_fast", _yn(s.maxconns_fast)),
        ("hashpower_init", str(s.hashpower)),
        ("slab_reassign", _yn(s.slab_reassign)),
        ("slab_automove", str(engine.store.automove)),
        ("slab_automove_ratio", f"{s.slab_automove_ratio:.2f}"),
        ("slab_automove_window", str(s.slab_automove_window)),
        ("slab_chunk_max", str(s.slab_chunk_max)),
        ("lru_crawler", _yn(s.lru_crawler)),
        ("lru_crawler_sleep", str(s.lru_crawler_sleep)),
        ("lru_crawler_tocrawl", str(s.lru_crawler_tocrawl)),
        ("tail_repair_time", str(s.tail_repair_time)),
        ("flush_enabled", _yn(not s.disable_flush_all)),
        ("dump_enabled", _yn(not s.disable_dumping)),
        ("hash_algorithm", s.hash_algorithm),
        ("lru_maintainer_thread", _yn(s.lru_maintainer)),
        ("lru_segmented", _yn(s.lru_segmented)),
        ("hot_lru_pct", str(s.hot_lru_pct)),
        ("warm_lru_pct", str(s.warm_lru_pct)),
        ("hot_max_factor", f"{s.hot_max_factor:.2f}"),
        ("warm_max_factor", f"{s.warm_max_factor:.2f}"),
        ("temp_lru", _yn(s.temp_lru)),
        ("temporary_ttl", str(s.temporary_ttl)),
        ("idle_timeout", str(s.idle_timeout)),
        ("watcher_logbuf_size", str(s.watcher_logbuf_size)),
        ("worker_logbuf_size", str(s.worker_logbuf_size)),
        ("read_buf_mem_limit", str(s.read_buf_mem_limit)),
        ("track_sizes", _yn(s.track_sizes)),
        ("inline_ascii_response", "no"),
        ("ssl_enabled", _yn(s.enable_ssl)),
        ("ssl_chain_cert", _null(s.ssl_chain_cert, "(null)")),
        ("ssl_key", _null(s.ssl_key, "(null)")),
        ("ssl_verify_mode", str(s.ssl_verify_mode)),
        ("ssl_keyformat", str(s.ssl_keyformat)),
        ("ssl_ciphers", _null(s.ssl_ciphers)),
        ("ssl_ca_cert", _null(s.ssl_ca_cert)),
        ("ssl_wbuf_size", str(s.ssl_wbuf_size)),
        ("ssl_session_cache", _yn(s.ssl_session_cache)),
        ("ssl_kernel_tls", _yn(s.ssl_kernel_tls)),
        ("ssl_min_version", ssl_min),
        ("num_napi_ids", "(null)"),
        ("memory_file", _null(s.memory_file, "(null)")),
        ("client_flags_size", "4"),
    ]


#: ``stats items`` fields memcached prints only with the LRU maintainer thread.
_MAINTAINER_ITEM_FIELDS: Final = frozenset(
    (
        "number_hot",
        "number_warm",
        "number_cold",
        "number_temp",
        "age_hot",
        "age_warm",
        "evicted_active",
        "moves_to_cold",
        "moves_to_warm",
        "moves_within_lru",
        "direct_reclaims",
        "hits_to_hot",
        "hits_to_warm",
        "hits_to_cold",
        "hits_to_temp",
    )
)


def items_stats(engine: Engine) -> Lines:
    """``stats items`` from the store, with memcached's lru_maintainer / temp_lru conditions."""
    s = engine.settings
    out: Lines = []
    for name, value in engine.store.item_stats():
        field = name.rsplit(":", 1)[-1]
        if field in _MAINTAINER_ITEM_FIELDS and (
            not s.lru_maintainer or (field == "number_temp" and not s.temp_lru)
        ):
            continue
        out.append((name, str(value)))
    return out


def detail_dump(engine: Engine) -> bytes:
    """``stats detail dump``: ``PREFIX <p> get <n> hit <n> set <n> del <n>`` lines + END."""
    parts = [
        b"PREFIX %s get %d hit %d set %d del %d\r\n" % (p, v[0], v[1], v[2], v[3])
        for p, v in engine.detail.items()
    ]
    parts.append(b"END\r\n")
    return b"".join(parts)
