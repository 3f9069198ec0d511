"""memcached-compatible command line -> one frozen ``Settings``.

``build_settings(argv, environ)`` merges defaults < conf file (``--config``)
< flags in one dict expression of *raw strings* (conf values are written like
the flags, in the flag's units), converts every value with one converter per
setting, then validates the combination with memcached's rules, messages and
exit codes. It raises ``UsageError`` (message, exit code; never starts
anything) or ``InfoRequest`` (``-h``, ``-V``, ``-i``: text for stdout, exit 0).

``main()`` prints those and otherwise hands the settings to
``memcached_py.daemon.run``. Importing this module imports no trio, and no
``ssl`` or ``hmac`` (OpenSSL), which ``main`` defers when -Z or -Y is off.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pwd
import re
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import NoReturn

from memcached_py import PROTOCOL_VERSION, __version__, lazymod
from memcached_py.conffile import ConfFileError, read_conf
from memcached_py.listen import lookup_name, parse_listen_entry
from memcached_py.settings import KILOBYTE, MEGABYTE, SLAB_PAGE_SIZE, Settings, field_names

PROG = "memcached-py"

#: Exit codes. memcached returns 1 for most per-flag errors found while it
#: parses the flags, EX_USAGE for the checks it makes afterwards.
EX_FAIL = 1
EX_USAGE = 64
EX_NOUSER = 67
EX_OSERR = 71

#: Conf file used when ``--config`` is absent.
CONFIG_ENV = "MEMCACHED_PY_CONFIG"

ITEM_SIZE_MIN = 1024
ITEM_SIZE_MAX = 1024 * MEGABYTE


class UsageError(Exception):
    """Bad options: print ``message`` on stderr and exit with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EX_USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


class InfoRequest(Exception):
    """``-h`` / ``-V`` / ``-i``: print ``text`` on stdout and exit 0."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


# --------------------------------------------------------------------------
# help, version, license

HELP = f"""\
{PROG} {__version__} (memcached {PROTOCOL_VERSION} protocol)
A memcached-compatible cache: text and meta protocol over TCP, UNIX sockets
and TLS. Not served: UDP, the binary protocol, SASL, extstore, the proxy.

--config=<file>           read settings from <file> (key = value lines; keys are
                          the long option names with '-' -> '_'); flags given
                          here override it (default: ${CONFIG_ENV},
                          else no file)
-p, --port=<num>          TCP port to listen on (default: 11211, 0: off,
                          -1: an ephemeral port)
-U, --udp-port=<num>      accepted for compatibility; UDP is not served
-s, --unix-socket=<file>  UNIX socket to listen on (disables TCP)
-a, --unix-mask=<mask>    access mask for UNIX socket, in octal (default: 700)
-A, --enable-shutdown     enable ascii "shutdown" command
-l, --listen=<addr>       interface to listen on (default: 127.0.0.1, NOT all
                          interfaces as memcached does). Repeatable and
                          comma/semicolon separated: <ip>, <ip>:<port>,
                          [<ipv6>]:<port>, * (all interfaces). With TLS the
                          'notls:' prefix disables it for one listener
                          (-l notls:<ip>:<port>)
-d, --daemon              run as a daemon
-r, --enable-coredumps    maximize core file limit
-u, --user=<user>         assume identity of <username> (only when run as root;
                          required when run as root)
-m, --memory-limit=<num>  item memory in megabytes (default: 64; also 64m, 2g)
-M, --disable-evictions   return error on memory exhausted instead of evicting
-c, --conn-limit=<num>    max simultaneous connections (default: 1024)
-k, --lock-memory         lock down all paged memory
-v, --verbose             verbose (print errors/warnings while in event loop)
-vv                       very verbose (also print client commands/responses)
-vvv                      extremely verbose (internal state transitions)
-h, --help                print this help and exit
-i, --license             print the license and exit
-V, --version             print version and exit
-P, --pidfile=<file>      save PID in <file>, only used with -d option
-f, --slab-growth-factor=<num> chunk size growth factor (default: 1.25)
-n, --slab-min-size=<bytes> min space used for key+value+flags (default: 48)
-L, --enable-largepages   accepted for compatibility; no effect
-D <char>                 use <char> as the delimiter between key prefixes and
                          IDs for per-prefix stats; also turns "stats detail" on
                          (default: ":")
-t, --threads=<num>       accepted for compatibility and validated (> 0); the
                          server is a single-threaded event loop, so this does
                          not change the number of threads (default: 4)
-R, --max-reqs-per-event=<num> maximum number of requests per event, limits the
                          requests processed per connection to prevent
                          starvation (default: 20)
-C, --disable-cas         disable use of CAS
-b, --listen-backlog=<num> set the backlog queue limit (default: 1024)
-B, --protocol=<name>     protocol - ascii or auto (default: auto). Both mean
                          the text and meta protocol; binary is not supported
-I, --max-item-size=<num> adjusts max item size
                          (default: 1m, min: 1k, max: 1024m)
-F, --disable-flush-all   disable flush_all command
-X, --disable-dumping     disable stats cachedump and lru_crawler metadump
-W, --disable-watch       disable watch commands (live logging)
-Y, --auth-file=<file>    enable ASCII protocol authentication. format:
                          user:pass\\nuser2:pass2\\n
-e, --memory-file=<file>  accepted; the restartable cache is not implemented
-Z, --enable-ssl          enable TLS/SSL (needs ssl_chain_cert and ssl_key)
-N, --napi-ids=<num>      accepted for compatibility; no effect
-o, --extended            comma separated list of extended options, may be
                          given several times. Most options have a 'no_'
                          prefix to disable
   - maxconns_fast:       immediately close new connections after limit
                          (default: enabled)
   - hashpower:           initial hash table size as a power of 2 (12..32)
   - hash_algorithm:      jenkins, murmur3 or xxh3 (default: murmur3)
   - slab_reassign:       allow moving memory between slab classes
                          (default: enabled)
   - slab_automove:       0 off, 1 cautious, 2 aggressive, 3 follow shifts
                          (default: 3; memcached's default is 1)
   - slab_automove_ratio: ratio limit between young/old slab classes
                          (default: 0.8)
   - slab_automove_window: window for the automover, 3..1800 (default: 30)
   - slab_automove_freeratio: ratio of memory to hold free as buffer.
                          (default: 0.010)
   - slab_chunk_max:      maximum slab chunk size in kilobytes. (default: 512)
   - tail_repair_time:    time in seconds for how long to wait before
                          forcefully killing LRU tail item (>= 10).
                          disabled by default; very dangerous option.
   - no_lru_crawler:      disable the LRU crawler background task.
   - lru_crawler_sleep:   microseconds to sleep between items (default: 100)
   - lru_crawler_tocrawl: max items to crawl per slab per run
                          (default: 0, unlimited)
   - read_buf_mem_limit:  limit in megabytes for connection read/response
                          buffers. 0 means unlimited (default: 0)
   - no_lru_maintainer:   disable the segmented LRU + background task.
   - hot_lru_pct:         pct of slab memory to reserve for hot lru.
                          (requires lru_maintainer, default pct: 20)
   - warm_lru_pct:        pct of slab memory to reserve for warm lru.
                          (requires lru_maintainer, default pct: 40)
   - hot_max_factor:      items idle > cold lru age * drop from hot lru.
                          (default: 0.20)
   - warm_max_factor:     items idle > cold lru age * this drop from warm.
                          (default: 2.00)
   - temporary_ttl:       TTL's below get separate LRU, can't be evicted.
                          (requires lru_maintainer, default: 61)
   - idle_timeout:        timeout for idle connections. (default: 0, no timeout)
   - watcher_logbuf_size: size in kilobytes of per-watcher write buffer.
                          (default: 256)
   - worker_logbuf_size:  size in kilobytes of the log buffer. (default: 64)
   - track_sizes:         enable dynamic reports for 'stats sizes' command.
   - modern:              enables options which will be default in future.
   - no_modern:           uses defaults of previous major version (1.4.x)
   - drop_privileges:     accepted (default: enabled)
   - ssl_chain_cert:      certificate chain file in PEM format
   - ssl_key:             private key, if not part of the ssl_chain_cert
   - ssl_keyformat:       private key format (only 1, PEM) (default: 1)
   - ssl_verify_mode:     peer certificate verification mode, default is
                          0(None). valid values are 0(None), 1(Request),
                          2(Require) or 3(Once, same as Require here)
   - ssl_ciphers:         specify cipher list to be used
   - ssl_ca_cert:         PEM format file of acceptable client CA's
   - ssl_wbuf_size:       size in kilobytes of per-connection SSL output
                          buffer (default: 16)
   - ssl_session_cache:   enable server-side SSL session cache, to support
                          session resumption
   - ssl_kernel_tls:      accepted; no effect
   - ssl_min_version:     minimum protocol version to accept (default: tlsv1.2)
                          valid values are 0(tlsv1.0), 1(tlsv1.1), 2(tlsv1.2),
                          or 3(tlsv1.3).
   - ssl_handshake_timeout: seconds a TLS handshake may take (default: 10)
   Also accepted and ignored, for compatibility: no_hashexpand, slab_sizes,
   no_chunked_items, inline_ascii_resp, no_inline_ascii_resp,
   relaxed_privileges, resp_obj_mem_limit, sock_cookie_id, ext_* (extstore)
   and proxy_* options.
"""

VERSION = f"{PROG} {__version__} (memcached {PROTOCOL_VERSION} protocol)\n"

LICENSE = f"""\
{PROG} {__version__}

Licensed under the BSD 3-Clause License. It implements the protocol of
memcached (Copyright (c) 2003, Danga Interactive, Inc.), whose behaviour and
messages it follows; it contains no memcached code.
"""


# --------------------------------------------------------------------------
# argparse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # memcached: "memcached: invalid option -- 'x'" + 'Illegal argument "?"', exit 1.
        raise UsageError(f"{PROG}: {message}\nTry '{PROG} -h' for more information.", EX_FAIL)


class _InfoAction(argparse.Action):
    """-h / -V / -i: stop at once, like memcached's getopt loop does."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, text: str, default: object = None
    ) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS)
        self.text = text

    def __call__(self, *args: object, **kwargs: object) -> None:
        raise InfoRequest(self.text)


class _SaslAction(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, default: object = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS)

    def __call__(self, *args: object, **kwargs: object) -> None:
        # What a memcached built without SASL says.
        raise UsageError("This server is not built with SASL support.", EX_USAGE)


def _make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, add_help=False, argument_default=argparse.SUPPRESS)
    info = p.add_argument
    info("-h", "--help", action=_InfoAction, text=HELP)
    info("-V", "--version", action=_InfoAction, text=VERSION)
    info("-i", "--license", action=_InfoAction, text=LICENSE)
    p.add_argument("-S", "--enable-sasl", action=_SaslAction)
    p.add_argument("--config", dest="config")

    def value(short: str, long: str | None, dest: str) -> None:
        names = [n for n in (short, long) if n]
        p.add_argument(*names, dest=dest)

    def flag(short: str | None, long: str | None, dest: str) -> None:
        names = [n for n in (short, long) if n]
        p.add_argument(*names, dest=dest, action="store_const", const="true")

    value("-p", "--port", "port")
    value("-U", "--udp-port", "udp_port")
    value("-s", "--unix-socket", "unix_socket")
    value("-a", "--unix-mask", "unix_mask")
    flag("-A", "--enable-shutdown", "enable_shutdown")
    p.add_argument("-l", "--listen", dest="listen", action="append")
    flag("-d", "--daemon", "daemon")
    flag("-r", "--enable-coredumps", "enable_coredumps")
    value("-u", "--user", "user")
    value("-m", "--memory-limit", "memory_limit")
    flag("-M", "--disable-evictions", "disable_evictions")
    value("-c", "--conn-limit", "conn_limit")
    flag("-k", "--lock-memory", "lock_memory")
    p.add_argument("-v", "--verbose", dest="verbose", action="count")
    value("-P", "--pidfile", "pidfile")
    value("-f", "--slab-growth-factor", "slab_growth_factor")
    value("-n", "--slab-min-size", "slab_min_size")
    flag("-L", "--enable-largepages", "enable_largepages")
    value("-D", None, "stats_prefix_delimiter")
    value("-t", "--threads", "threads")
    value("-R", "--max-reqs-per-event", "max_reqs_per_event")
    flag("-C", "--disable-cas", "disable_cas")
    value("-b", "--listen-backlog", "listen_backlog")
    value("-B", "--protocol", "protocol")
    value("-I", "--max-item-size", "max_item_size")
    flag("-F", "--disable-flush-all", "disable_flush_all")
    flag("-X", "--disable-dumping", "disable_dumping")
    flag("-W", "--disable-watch", "disable_watch")
    value("-Y", "--auth-file", "auth_file")
    value("-e", "--memory-file", "memory_file")
    flag("-Z", "--enable-ssl", "enable_ssl")
    p.add_argument("-N", "--napi-ids", "--napi_ids", dest="napi_ids")
    p.add_argument("-o", "--extended", dest="extended", action="append")
    return p


# --------------------------------------------------------------------------
# -o sub-options -> raw settings

#: Sub-options that are plain booleans: name -> (field, value).
_EXT_FLAGS: dict[str, tuple[tuple[str, str], ...]] = {
    "maxconns_fast": (("maxconns_fast", "true"),),
    "no_maxconns_fast": (("maxconns_fast", "false"),),
    "slab_reassign": (("slab_reassign", "true"),),
    "no_slab_reassign": (("slab_reassign", "false"),),
    "no_slab_automove": (("slab_automove", "0"),),
    "lru_crawler": (("lru_crawler", "true"),),
    "no_lru_crawler": (("lru_crawler", "false"),),
    "lru_maintainer": (("lru_maintainer", "true"), ("lru_segmented", "true")),
    "no_lru_maintainer": (("lru_maintainer", "false"), ("lru_segmented", "false")),
    "track_sizes": (("track_sizes", "true"),),
    "drop_privileges": (("drop_privileges", "true"),),
    "no_drop_privileges": (("drop_privileges", "false"),),
    "relaxed_privileges": (("relaxed_privileges", "true"),),
    "ssl_session_cache": (("ssl_session_cache", "true"),),
    "ssl_kernel_tls": (("ssl_kernel_tls", "true"),),
    "modern": (),
    "inline_ascii_resp": (),
    "no_inline_ascii_resp": (),
    "no_hashexpand": (),
    "no_chunked_items": (("_no_chunked_items", "true"),),
    # memcached's 1.4-style defaults (slab_chunk_max only if not given).
    "no_modern": (
        ("_no_chunked_items", "true"),
        ("slab_reassign", "false"),
        ("slab_automove", "0"),
        ("maxconns_fast", "false"),
        ("lru_segmented", "false"),
        ("hash_algorithm", "jenkins"),
        ("lru_crawler", "false"),
        ("lru_maintainer", "false"),
    ),
}

#: Sub-options that take a value: name -> message when the value is missing.
_EXT_VALUES: dict[str, str] = {
    "hashpower": "Missing numeric argument for hashpower",
    "hash_algorithm": "Missing hash_algorithm argument",
    "slab_automove_ratio": "Missing slab_automove_ratio argument",
    "slab_automove_window": "Missing slab_automove_window argument",
    "slab_automove_freeratio": "Missing slab_automove_freeratio argument",
    "slab_chunk_max": "Missing slab_chunk_max argument",
    "lru_crawler_sleep": "Missing lru_crawler_sleep value",
    "lru_crawler_tocrawl": "Missing lru_crawler_tocrawl value",
    "hot_lru_pct": "Missing hot_lru_pct argument",
    "warm_lru_pct": "Missing warm_lru_pct argument",
    "hot_max_factor": "Missing hot_max_factor argument",
    "warm_max_factor": "Missing warm_max_factor argument",
    "temporary_ttl": "Missing temporary_ttl argument",
    "idle_timeout": "Missing numeric argument for idle_timeout",
    "tail_repair_time": "Missing numeric argument for tail_repair_time",
    "watcher_logbuf_size": "Missing watcher_logbuf_size argument",
    "worker_logbuf_size": "Missing worker_logbuf_size argument",
    "read_buf_mem_limit": "Missing read_buf_mem_limit argument",
    "sock_cookie_id": "Missing sock_cookie_id argument",
    "ssl_chain_cert": "Missing ssl_chain_cert argument",
    "ssl_key": "Missing ssl_key argument",
    "ssl_keyformat": "Missing ssl_keyformat argument",
    "ssl_verify_mode": "Missing ssl_verify_mode argument",
    "ssl_ciphers": "Missing ssl_ciphers argument",
    "ssl_ca_cert": "Missing ssl_ca_cert argument",
    "ssl_wbuf_size": "Missing ssl_wbuf_size argument",
    "ssl_min_version": "Missing ssl_min_version argument",
    "ssl_handshake_timeout": "Missing ssl_handshake_timeout argument",
}

#: Accepted and ignored (extstore, proxy, slab_sizes, deprecated).
_EXT_IGNORED = frozenset(
    {
        "ext_path",
        "ext_page_size",
        "ext_wbuf_size",
        "ext_threads",
        "ext_io_threadcount",
        "ext_io_depth",
        "ext_item_size",
        "ext_item_age",
        "ext_low_ttl",
        "ext_drop_unread",
        "ext_recache_rate",
        "ext_compact_under",
        "ext_drop_under",
        "ext_max_frag",
        "ext_max_sleep",
        "ext_direct",
        "proxy_config",
        "proxy_arg",
        "proxy_uring",
        "proxy_memprofile",
        "slab_sizes",
        "resp_obj_mem_limit",
    }
)


def parse_extended(text: str, raw: dict[str, str], warn: Callable[[str], None]) -> None:
    """Apply one ``-o a,b=c`` argument to ``raw``, in order, like getsubopt."""
    if text.endswith(","):
        text = text[:-1]
    if not text:
        return
    warned: set[str] = set()
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if name in _EXT_FLAGS:
            for field, setting in _EXT_FLAGS[name]:
                if name == "no_modern" and field == "_no_chunked_items" and "slab_chunk_max" in raw:
                    continue
                raw[field] = setting
        elif name == "slab_automove":
            raw["slab_automove"] = value if sep else "1"
        elif name in _EXT_VALUES:
            if not sep:
                raise UsageError(_EXT_VALUES[name], EX_FAIL)
            raw[name] = value
            if name == "temporary_ttl":
                raw["temp_lru"] = "true"
        elif name in _EXT_IGNORED:
            if name == "resp_obj_mem_limit":
                warn(
                    "DEPRECATED: resp_obj_mem_limit no longer used. See read_buf_mem_limit,\n"
                    "which replaces resp_obj_mem_limit and read_obj_mem_limit"
                )
            elif name.startswith(("ext_", "proxy_")) and name[:3] not in warned:
                warned.add(name[:3])
                what = "extstore" if name.startswith("ext_") else "the proxy"
                warn(f"WARNING: {name}: {what} is not supported; option ignored")
        else:
            raise UsageError(f'Illegal suboption "{item}"', EX_FAIL)


# --------------------------------------------------------------------------
# raw string -> typed value, one converter per setting

Converter = Callable[[str], object]

_INT_RE = re.compile(r"[+-]?[0-9]+")


def _as_int(text: str) -> int | None:
    text = text.strip()
    return int(text) if _INT_RE.fullmatch(text) else None


def _as_float(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _int(
    bad: str,
    *,
    lo: int | None = None,
    hi: int | None = None,
    code: int = EX_FAIL,
    unparsable: str | None = None,
    scale: int = 1,
) -> Converter:
    """An integer in [lo, hi]; messages may use ``{text}``."""

    def convert(text: str) -> int:
        value = _as_int(text)
        if value is None:
            raise UsageError((unparsable or bad).format(text=text), code)
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise UsageError(bad.format(text=text), code)
        return value * scale

    return convert


def _float(bad: str, *, lo: float, hi: float | None = None, code: int = EX_FAIL) -> Converter:
    """A float with lo < value (< hi)."""

    def convert(text: str) -> float:
        value = _as_float(text)
        if value is None or value <= lo or (hi is not None and value >= hi):
            raise UsageError(bad.format(text=text), code)
        return value

    return convert


_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def _bool(name: str) -> Converter:
    def convert(text: str) -> bool:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise UsageError(f"Invalid value for {name}: {text!r} (use true or false)", EX_USAGE)

    return convert


def _path(name: str) -> Converter:
    def convert(text: str) -> str:
        if not text:
            raise UsageError(f"Missing {name} argument", EX_FAIL)
        return text

    return convert


def _optional_text(text: str) -> str | None:
    return text or None


def _port(text: str) -> int:
    value = _as_int(text)
    if value is None or not -1 <= value <= 65535:
        raise UsageError(f"ERROR: Invalid port number {text}.", EX_USAGE)
    return value


def _unix_mask(text: str) -> int:
    if re.fullmatch(r"[0-7]{1,4}", text.strip()) is None:
        raise UsageError(f"Invalid unix socket mask (octal expected): {text}", EX_USAGE)
    return int(text, 8)


def _listen(text: str) -> tuple[str, ...]:
    entries = tuple(e.strip() for e in re.split(r"[,;]", text) if e.strip())
    if not entries:
        raise UsageError(f"Invalid listen address: {text!r}", EX_USAGE)
    return entries


def _memory_limit(text: str) -> int:
    # memcached takes atoi(optarg) megabytes, so "64m" is 64 MB too; we also
    # take "g". Anything else is refused instead of silently becoming 0.
    match = re.fullmatch(r"([0-9]+)([mMgG]?)", text.strip())
    if match is None:
        raise UsageError(f"Invalid memory limit: {text} (megabytes, e.g. 64, 64m, 2g)", EX_USAGE)
    value = int(match.group(1)) * MEGABYTE
    return value * 1024 if match.group(2) in ("g", "G") else value


def _item_size(text: str) -> int:
    # memcached: <n>[k|m]; we also take g (1g = the 1024m maximum).
    match = re.fullmatch(r"([0-9]+)([kKmMgG]?)", text.strip())
    if match is None:
        raise UsageError(f"Invalid max item size: {text} (e.g. 1024k, 1m)", EX_USAGE)
    unit = {"": 1, "k": KILOBYTE, "m": MEGABYTE, "g": 1024 * MEGABYTE}[match.group(2).lower()]
    return int(match.group(1)) * unit


def _protocol(text: str) -> str:
    if text == "binary":
        raise UsageError(
            "The binary protocol is not supported by memcached-py: use -B ascii or -B auto",
            EX_USAGE,
        )
    if text not in ("auto", "ascii"):
        raise UsageError(
            f"Invalid value for binding protocol: {text}\n"
            " -- should be one of auto or ascii (binary is not supported)",
            EX_USAGE,
        )
    return text


def _delimiter(text: str) -> str:
    if not text:
        raise UsageError("No delimiter specified", EX_FAIL)
    return text[0]


def _hashpower(text: str) -> int:
    value = _as_int(text)
    if value is None:
        raise UsageError(f"Unable to parse hashpower argument: {text}", EX_FAIL)
    if value == 0:
        return 0  # the default: start small and grow (memcached refuses an explicit 0)
    if value < 12:
        raise UsageError(f"Initial hashtable multiplier of {value} is too low", EX_FAIL)
    if value > 32:
        raise UsageError(
            f"Initial hashtable multiplier of {value} is too high\n"
            'Choose a value based on "STAT hash_power_level" from a running instance',
            EX_FAIL,
        )
    return value


def _hash_algorithm(text: str) -> str:
    if text not in ("jenkins", "murmur3", "xxh3"):
        raise UsageError("Unknown hash_algorithm option (jenkins, murmur3, xxh3)", EX_FAIL)
    return text


def _slab_automove_window(text: str) -> int:
    value = _as_int(text)
    if value is None:
        raise UsageError("could not parse argument to slab_automove_window", EX_FAIL)
    if value < 3:
        raise UsageError("slab_automove_window must be > 2", EX_FAIL)
    if value > 1800:
        raise UsageError("slab_automove_window must be <= 1800", EX_FAIL)
    return value


def _freeratio(text: str) -> float:
    value = _as_float(text)
    if value is None:
        raise UsageError("could not parse argument to slab_automove_freeratio", EX_FAIL)
    if not 0.0 <= value < 1.0:
        raise UsageError("slab_automove_freeratio must be >= 0 and < 1", EX_FAIL)
    return value


def _tail_repair_time(text: str) -> int:
    value = _as_int(text)
    # 0 is the default (disabled); memcached refuses it when given explicitly.
    if value is None or (value != 0 and value < 10):
        raise UsageError("Cannot set tail_repair_time to less than 10 seconds", EX_FAIL)
    return value


def _keyformat(text: str) -> int:
    value = _as_int(text)
    if value is None:
        raise UsageError("could not parse argument to ssl_keyformat", EX_FAIL)
    if value != 1:
        # memcached fails later, loading the key: "bad ssl filetype" (EX_USAGE).
        raise UsageError(f"Only ssl_keyformat=1 (PEM) is supported, not {value}", EX_USAGE)
    return value


def _parse_error(name: str) -> str:
    return f"could not parse argument to {name}"


def _converters() -> dict[str, Converter]:
    c: dict[str, Converter] = {
        "port": _port,
        "udp_port": _port,
        "listen": _listen,
        "unix_socket": _path("unix_socket"),
        "unix_mask": _unix_mask,
        "listen_backlog": _int(
            "Listen backlog must not be negative", lo=0, unparsable=_parse_error("-b")
        ),
        "conn_limit": _int("Maximum connections must be greater than 0", lo=1),
        "idle_timeout": _int(
            "idle_timeout must not be negative", lo=0, unparsable=_parse_error("idle_timeout")
        ),
        "max_reqs_per_event": _int("Number of requests per event must be greater than 0", lo=1),
        "threads": _int("Number of threads must be greater than 0", lo=1),
        "pidfile": _path("pidfile"),
        "user": _optional_text,
        "verbose": _int("verbose must not be negative", lo=0, code=EX_USAGE),
        "protocol": _protocol,
        "auth_file": _path("auth_file"),
        "stats_prefix_delimiter": _delimiter,
        "memory_limit": _memory_limit,
        "max_item_size": _item_size,
        "slab_growth_factor": _float("Factor must be greater than 1", lo=1.0),
        "slab_min_size": _int("Chunk size must be greater than 0", lo=1),
        "slab_chunk_max": _int(
            "slab_chunk_max must be greater than 0",
            lo=1,
            unparsable=_parse_error("slab_chunk_max"),
            scale=KILOBYTE,
        ),
        "slab_automove": _int(
            "slab_automove must be between 0 and 3",
            lo=0,
            hi=3,
            unparsable=_parse_error("slab_automove"),
        ),
        "slab_automove_ratio": _float("slab_automove_ratio must be > 0 and < 1", lo=0.0, hi=1.0),
        "slab_automove_window": _slab_automove_window,
        "slab_automove_freeratio": _freeratio,
        "hashpower": _hashpower,
        "hash_algorithm": _hash_algorithm,
        "lru_crawler_sleep": _int(
            "LRU crawler sleep must be between 0 and 1 second", lo=0, hi=1_000_000
        ),
        "lru_crawler_tocrawl": _int(
            "lru_crawler_tocrawl takes a numeric 32bit value", lo=0, hi=2**32 - 1
        ),
        "hot_lru_pct": _int("hot_lru_pct must be > 1 and < 80", lo=1, hi=79),
        "warm_lru_pct": _int("warm_lru_pct must be > 1 and < 80", lo=1, hi=79),
        "hot_max_factor": _float("hot_max_factor must be > 0", lo=0.0),
        "warm_max_factor": _float("warm_max_factor must be > 0", lo=0.0),
        "temporary_ttl": _int(
            "temporary_ttl must not be negative", lo=0, unparsable=_parse_error("temporary_ttl")
        ),
        "tail_repair_time": _tail_repair_time,
        "read_buf_mem_limit": _int(
            "read_buf_mem_limit must not be negative",
            lo=0,
            unparsable=_parse_error("read_buf_mem_limit"),
            scale=MEGABYTE,
        ),
        "watcher_logbuf_size": _int(
            "watcher_logbuf_size must be greater than 0",
            lo=1,
            unparsable=_parse_error("watcher_logbuf_size"),
            scale=KILOBYTE,
        ),
        "worker_logbuf_size": _int(
            "worker_logbuf_size must be greater than 0",
            lo=1,
            unparsable=_parse_error("worker_logbuf_size"),
            scale=KILOBYTE,
        ),
        "memory_file": _path("memory_file"),
        "ssl_chain_cert": _path("ssl_chain_cert"),
        "ssl_key": _path("ssl_key"),
        "ssl_keyformat": _keyformat,
        "ssl_verify_mode": _int(
            "Invalid ssl_verify_mode. Use help to see valid options.",
            lo=0,
            hi=3,
            unparsable=_parse_error("ssl_verify_mode"),
        ),
        "ssl_ciphers": _path("ssl_ciphers"),
        "ssl_ca_cert": _path("ssl_ca_cert"),
        "ssl_wbuf_size": _int(
            "ssl_wbuf_size must be greater than 0",
            lo=1,
            unparsable=_parse_error("ssl_wbuf_size"),
            scale=KILOBYTE,
        ),
        "ssl_min_version": _int(
            "Invalid ssl_min_version. Use help to see valid options.",
            lo=0,
            hi=3,
            unparsable=_parse_error("ssl_min_version"),
        ),
        "ssl_handshake_timeout": _float("ssl_handshake_timeout must be > 0", lo=0.0),
        "napi_ids": _int("Maximum number of NAPI IDs must be greater than 0", lo=1),
        "sock_cookie_id": _int(_parse_error("sock_cookie_id"), lo=0, hi=2**32 - 1),
    }
    for name in field_names() - c.keys():
        # The remaining fields are booleans.
        c[name] = _bool(name)
    return c


CONVERTERS: dict[str, Converter] = _converters()


# --------------------------------------------------------------------------
# the one entry point


def _running_as_root() -> bool:
    return os.getuid() == 0 or os.geteuid() == 0


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def build_settings(argv: list[str], environ: Mapping[str, str] | None = None) -> Settings:
    """Flags (and the conf file they name) -> validated ``Settings``.

    Raises ``UsageError`` for bad options and ``InfoRequest`` for -h/-V/-i.
    Warnings (``-U``, ``-e``, ignored sub-options) go to stderr.
    """
    env = os.environ if environ is None else environ
    ns = vars(_make_parser().parse_args(argv))

    cli: dict[str, str] = {}
    config_path = ns.pop("config", None) or env.get(CONFIG_ENV) or None
    for key, val in ns.items():
        if key == "listen":
            cli["listen"] = ",".join(val)
        elif key == "extended":
            for text in val:
                parse_extended(text, cli, _warn)
        else:
            cli[key] = str(val)
    if "stats_prefix_delimiter" in cli:
        cli["detail_enabled"] = "true"

    origins: dict[str, str] = {}
    conf: dict[str, str] = {}
    if config_path:
        try:
            for key, item in read_conf(config_path, field_names()).items():
                conf[key] = item.value
                origins[key] = item.origin
        except ConfFileError as exc:
            raise UsageError(exc.message, exc.exit_code) from exc

    # defaults (the dataclass) < conf file < command line
    raw = {**conf, **cli}
    for key in cli:
        origins.pop(key, None)

    no_chunked_items = raw.pop("_no_chunked_items", None) == "true"
    chunk_max_given = "slab_chunk_max" in raw
    if "udp_port" in raw and "port" not in raw and raw["udp_port"] != "0":
        raw["port"] = raw["udp_port"]  # memcached: -U alone moves TCP too

    values: dict[str, object] = {}
    for key, text in raw.items():
        try:
            values[key] = CONVERTERS[key](text)
        except UsageError as exc:
            if key in origins:
                exc.message = f"{origins[key]}: {key}: {exc.message}"
            raise
    settings = Settings().replace(**values)
    if not chunk_max_given:
        chunk = SLAB_PAGE_SIZE if no_chunked_items else settings.slab_chunk_max
        if settings.max_item_size > MEGABYTE:
            chunk = SLAB_PAGE_SIZE // 2
        settings = settings.replace(slab_chunk_max=chunk)
    return validate(settings)


def validate(settings: Settings) -> Settings:
    """memcached's checks on the combination, in memcached's order.

    Returns the settings to run with (``udp_port`` forced to 0, ``protocol``
    forced to ascii by ``-Y``).
    """
    s = settings
    if s.hot_lru_pct + s.warm_lru_pct > 80:
        raise UsageError("hot_lru_pct + warm_lru_pct cannot be more than 80% combined")
    if s.auth_file:
        if s.udp_port:
            raise UsageError("Cannot use UDP with ascii authentication enabled (-U 0 to disable)")
        s = s.replace(protocol="ascii")
    if s.napi_ids and s.napi_ids > s.threads:
        raise UsageError(
            f"Number of napi_ids({s.napi_ids}) cannot be greater than number of threads"
            f"({s.threads})"
        )
    _validate_sizes(s)
    if s.enable_ssl and not s.serves_tcp:
        raise UsageError("ERROR: You cannot enable SSL without a TCP port.")
    if _running_as_root():
        if not s.user:
            raise UsageError("can't run as root without the -u switch")
        try:
            pwd.getpwnam(s.user)
        except KeyError:
            raise UsageError(f"can't find the user {s.user} to switch to", EX_NOUSER) from None
    if s.auth_file:
        _check_auth_file(s.auth_file)
    if s.enable_ssl:
        _check_tls(s)
    _check_listen(s)
    if s.udp_port:
        _warn(f"WARNING: UDP is not served by {PROG}; ignoring -U {s.udp_port}")
        s = s.replace(udp_port=0)
    if s.memory_file:
        _warn(f"WARNING: -e {s.memory_file}: the restartable cache is not implemented; ignored")
    return s


def _validate_sizes(s: Settings) -> None:
    item, chunk = s.max_item_size, s.slab_chunk_max
    if item < ITEM_SIZE_MIN:
        raise UsageError("Item max size cannot be less than 1024 bytes.")
    if item > s.memory_limit // 2:
        raise UsageError("Cannot set item size limit higher than 1/2 of memory max.")
    if item > ITEM_SIZE_MAX:
        raise UsageError("Cannot set item size limit higher than a gigabyte.")
    if chunk > item:
        raise UsageError(
            f"slab_chunk_max (bytes: {chunk}) cannot be larger than -I (item_size_max {item})"
        )
    if item % chunk:
        raise UsageError(
            f"-I (item_size_max: {item}) must be evenly divisible by"
            f" slab_chunk_max (bytes: {chunk})"
        )
    if SLAB_PAGE_SIZE % chunk:
        raise UsageError(
            f"slab_chunk_max (bytes: {chunk}) must divide evenly into {SLAB_PAGE_SIZE}"
            " (slab_page_size)"
        )


def _check_auth_file(path: str) -> None:
    # auth imports hmac, tls imports ssl: only when used (see defer_unused_modules).
    from memcached_py.auth import load_auth_file

    try:
        load_auth_file(path)
    except OSError as exc:
        raise UsageError(
            f"Could not open authfile [{path}] for reading, error {exc.strerror}", EX_FAIL
        ) from exc
    except ValueError as exc:
        raise UsageError(str(exc), EX_FAIL) from exc


def _check_readable(what: str, path: str | None) -> None:
    if not path:
        raise UsageError(f"Error loading the {what}: (null) : no file given with -Z")
    try:
        with open(path, "rb") as f:
            f.read(1)
    except OSError as exc:
        raise UsageError(f"Error loading the {what}: {path} : {exc.strerror}") from exc


def _check_tls(s: Settings) -> None:
    from memcached_py.tls import TLSConfigError, build_context

    _check_readable("certificate chain", s.ssl_chain_cert)
    _check_readable("key", s.ssl_key)
    if s.ssl_ca_cert:
        _check_readable("CA certificate", s.ssl_ca_cert)
    try:
        build_context(s)
    except TLSConfigError as exc:
        raise UsageError(f"Error loading the TLS configuration: {exc}") from exc


def _check_listen(s: Settings) -> None:
    """Resolve every -l entry that will be bound, as memcached does (exit 71).

    memcached binds nothing for -l under ``-p 0`` or ``-s``; our server also
    binds ``-p 0 -l host:port`` entries with an explicit port, so those are
    checked too.
    """
    if s.unix_socket is not None:
        return
    for entry in s.listen:
        tail = f"\nfailed to listen on one of interface(s) {entry}"
        if entry.startswith("notls:") and not s.enable_ssl:
            raise UsageError("'notls' option is valid only when SSL is enabled" + tail, EX_OSERR)
        try:
            address = parse_listen_entry(entry, s.port)
            if s.port == 0 and address.port == 0:
                continue  # not bound
            socket.getaddrinfo(
                lookup_name(address.host),
                address.port,
                socket.AF_UNSPEC,
                socket.SOCK_STREAM,
                0,
                socket.AI_PASSIVE,
            )
        except socket.gaierror as exc:
            raise UsageError(f"getaddrinfo(): {exc.strerror}{tail}", EX_OSERR) from exc
        except ValueError as exc:
            raise UsageError(f"{exc}{tail}", EX_OSERR) from exc


def defer_unused_modules(settings: Settings) -> list[str]:
    """Defer importing modules for features that are off (see ``lazymod``).

    OpenSSL's without ``-Z`` (``ssl``) and ``-Y`` (``hmac``), measured: 5 MB
    less RSS; ``idna``, which trio imports to encode host names it resolves
    (the daemon resolves with ``socket``): 0.5 MB. Returns the names deferred.
    """
    names = ["idna"]
    if not settings.enable_ssl:
        names.append("ssl")
    if not settings.auth_file:
        names.append("hmac")
    return [name for name in names if lazymod.defer(name)]


def main(argv: list[str] | None = None) -> int:
    """The ``memcached-py`` console script."""
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = build_settings(args)
    except InfoRequest as info:
        sys.stdout.write(info.text)
        sys.stdout.flush()
        return 0
    except UsageError as exc:
        print(exc.message, file=sys.stderr)
        return exc.exit_code
    defer_unused_modules(settings)
    # Imported here so that the command line (and -h, and every refusal)
    # never imports trio.
    daemon = importlib.import_module("memcached_py.daemon")
    run: Callable[[Settings], int] = daemon.run
    return run(settings)
