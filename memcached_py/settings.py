"""The one frozen ``Settings`` object of a running daemon.

Built exactly once (``memcached_py.cli.build_settings``) from defaults < conf
file < command line flags, validated there with memcached's rules, then handed
to components, which take the fields they need as arguments. Nothing reads
settings from globals.

Field names are memcached's long option names (and ``-o`` sub-option names)
with ``-`` replaced by ``_``; conf file keys are the same names. Sizes are in
bytes here even where the flag takes megabytes or kilobytes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

MEGABYTE = 1024 * 1024
KILOBYTE = 1024

DEFAULT_PORT = 11211
#: Deliberately safer than memcached's default of every interface.
DEFAULT_LISTEN = "127.0.0.1"
DEFAULT_MEMORY_LIMIT = 64 * MEGABYTE
DEFAULT_CONN_LIMIT = 1024
DEFAULT_ITEM_SIZE_MAX = 1 * MEGABYTE
DEFAULT_SLAB_CHUNK_MAX = 512 * KILOBYTE
SLAB_PAGE_SIZE = 1 * MEGABYTE


@dataclass(frozen=True, slots=True)
class Settings:
    # -- listeners ---------------------------------------------------------
    port: int = DEFAULT_PORT  # -p; 0 = no TCP, -1 = ephemeral
    udp_port: int = 0  # -U; accepted, UDP is not served
    #: -l entries as given, already split on ',' / ';' (e.g. "notls:127.0.0.1:11212").
    listen: tuple[str, ...] = (DEFAULT_LISTEN,)
    unix_socket: str | None = None  # -s
    unix_mask: int = 0o700  # -a
    listen_backlog: int = 1024  # -b
    conn_limit: int = DEFAULT_CONN_LIMIT  # -c
    maxconns_fast: bool = True
    idle_timeout: int = 0  # seconds, 0 = off
    max_reqs_per_event: int = 20  # -R
    threads: int = 4  # -t; validated, see cli help for meaning here
    # -- process -------------------------------------------------------------
    daemon: bool = False  # -d
    pidfile: str | None = None  # -P
    user: str | None = None  # -u
    verbose: int = 0  # -v / -vv / -vvv
    enable_shutdown: bool = False  # -A
    enable_coredumps: bool = False  # -r
    lock_memory: bool = False  # -k
    drop_privileges: bool = True
    # -- protocol --------------------------------------------------------------
    protocol: str = "auto"  # -B auto|ascii (binary is refused)
    disable_cas: bool = False  # -C
    disable_flush_all: bool = False  # -F
    disable_dumping: bool = False  # -X
    disable_watch: bool = False  # -W
    auth_file: str | None = None  # -Y
    stats_prefix_delimiter: str = ":"  # -D
    detail_enabled: bool = False  # turned on by -D
    # -- store -------------------------------------------------------------
    memory_limit: int = DEFAULT_MEMORY_LIMIT  # -m, bytes
    disable_evictions: bool = False  # -M
    max_item_size: int = DEFAULT_ITEM_SIZE_MAX  # -I, bytes
    slab_growth_factor: float = 1.25  # -f
    slab_min_size: int = 48  # -n
    slab_chunk_max: int = DEFAULT_SLAB_CHUNK_MAX  # bytes
    slab_reassign: bool = True
    #: 0 off, 1 memcached's cautious mover, 2 aggressive; 3 ours (follows shifts,
    #: the default: memcached's default 1 keeps ~2% of new large items after a
    #: value-size shift, 3 keeps them all; see slab/README.md).
    slab_automove: int = 3
    slab_automove_ratio: float = 0.8
    slab_automove_window: int = 30
    slab_automove_freeratio: float = 0.01
    hashpower: int = 0
    hash_algorithm: str = "murmur3"
    lru_crawler: bool = True
    lru_crawler_sleep: int = 100
    lru_crawler_tocrawl: int = 0
    lru_maintainer: bool = True
    lru_segmented: bool = True
    hot_lru_pct: int = 20
    warm_lru_pct: int = 40
    hot_max_factor: float = 0.2
    warm_max_factor: float = 2.0
    temp_lru: bool = False
    temporary_ttl: int = 61
    tail_repair_time: int = 0
    track_sizes: bool = False
    read_buf_mem_limit: int = 0  # bytes, 0 = unlimited
    watcher_logbuf_size: int = 256 * KILOBYTE
    worker_logbuf_size: int = 64 * KILOBYTE
    memory_file: str | None = None  # -e; accepted for later
    # -- TLS ---------------------------------------------------------------
    enable_ssl: bool = False  # -Z
    ssl_chain_cert: str | None = None
    ssl_key: str | None = None
    ssl_keyformat: int = 1
    ssl_verify_mode: int = 0  # 0 none, 1 request, 2 require, 3 once (= require here)
    ssl_ciphers: str | None = None
    ssl_ca_cert: str | None = None
    ssl_wbuf_size: int = 16 * KILOBYTE
    ssl_session_cache: bool = False
    ssl_kernel_tls: bool = False
    ssl_min_version: int = 2  # 0 tls1.0, 1 tls1.1, 2 tls1.2, 3 tls1.3
    ssl_handshake_timeout: float = 10.0  # seconds; ours (memcached has none)
    # -- accepted for compatibility, no effect here ----------------------------
    enable_largepages: bool = False  # -L
    napi_ids: int = 0  # -N
    sock_cookie_id: int = 0  # -o sock_cookie_id
    relaxed_privileges: bool = False  # -o relaxed_privileges

    @property
    def serves_tcp(self) -> bool:
        """memcached semantics: ``-s`` disables TCP, and so does ``-p 0``."""
        return self.unix_socket is None and self.port != 0

    def replace(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests, runtime memlimit)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


def field_names() -> frozenset[str]:
    """Every settings name: the keys a conf file may use."""
    return frozenset(f.name for f in dataclasses.fields(Settings))
