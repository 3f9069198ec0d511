"""Classic text commands: parsing, the dispatch table, reply encoding.

``COMMANDS`` maps a command name (bytes, case-sensitive) to a ``Handler``::

    Handler = Callable[[Connection, list[bytes]], bytes]

``tokens`` is the request line split on spaces (runs of spaces collapsed),
``tokens[0]`` is the command name. A handler returns its reply bytes (``b""``
for none) or raises a ``ProtocolError`` (see ``errors.py``); it may also:

- ``conn.noreply = True``: suppress this command's reply, error lines
  included (the connection resets it before each command);
- ``conn.read_data(nbytes, on_data)``: the request has a data block of
  ``nbytes`` bytes (plus ``\\r\\n``); ``on_data(data) -> bytes`` is called with
  the block once it has arrived (``CLIENT_ERROR bad data chunk`` is handled by
  the connection). Used by set/add/.../cas and meta ``ms``;
- raise with ``swallow=nbytes + 2`` to refuse a request whose data block
  must be read and dropped (never parsed as commands);
- ``conn.continue_with(fn)``: the reply is unfinished; ``fn() -> bytes`` is
  called for the next piece on the next round (big multigets, dumps);
- ``conn.wants_close = True``: close after flushing (quit).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Final

from memcached_py import PROTOCOL_VERSION
from memcached_py import stats as _stats
from memcached_py.engine import Mode, Result
from memcached_py.protocol import replies as R
from memcached_py.protocol.errors import (
    ClientError,
    CloseConnection,
    CommandError,
    ProtocolError,
    ServerError,
    StatusError,
    bad_format,
)
from slab._types import KEY_MAX_LENGTH

if TYPE_CHECKING:
    from memcached_py.protocol.connection import Connection

Handler = Callable[["Connection", list[bytes]], bytes]
DataHandler = Callable[[bytes], bytes]

#: A multiget reply is cut into pieces of about this size (see Connection).
GET_PIECE: Final = 64 * 1024
#: Items examined synchronously by ``lru_crawler crawl``.
CRAWL_STEP: Final = 10_000

INT32_MAX: Final = (1 << 31) - 1
INT64_MAX: Final = (1 << 63) - 1
U32_MOD: Final = 1 << 32
U64_MAX: Final = (1 << 64) - 1
_WS: Final = b" \t\n\v\f\r"


# --------------------------------------------------------------------- numbers
#: Longest all-digit token ``plain_decimal`` converts (below 2**63).
PLAIN_DECIMAL_DIGITS: Final = 18


def plain_decimal(tok: bytes) -> int:
    """The value of a token of 1 to ``PLAIN_DECIMAL_DIGITS`` ASCII digits, else -1.

    The common case of every number on the request path (flags, exptime,
    value length); the parsers below fall back to their full rules on -1.
    Compiled, this loop costs a fraction of ``tok.isdigit()`` plus
    ``int(tok)`` (valgrind: a ``set`` request through ``Connection.process``
    fell from 37,288 to 34,562 instructions).
    """
    if len(tok) > PLAIN_DECIMAL_DIGITS:
        return -1
    value = 0
    for byte in tok:
        digit = byte - 48  # b"0"
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value if tok else -1


def parse_i32(tok: bytes) -> int | None:
    """memcached ``safe_strtol``: a C ``long`` (64-bit; out of range = error),
    stored into an int32 by truncation, as memcached does (``99999999999``
    becomes ``1215752191``). Optional sign and leading whitespace."""
    v = plain_decimal(tok)
    if 0 <= v <= INT32_MAX:
        return v
    t = tok.lstrip(_WS)
    body = t[1:] if t[:1] in (b"-", b"+") else t
    if not body.isdigit():
        return None
    v = int(t)
    if v > INT64_MAX or v < -INT64_MAX - 1:
        return None
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v > INT32_MAX else v


def parse_u32(tok: bytes) -> int | None:
    """Strict unsigned 32-bit decimal."""
    if not tok.isdigit() or len(tok) > 11:
        return None
    v = int(tok)
    return v if v < U32_MOD else None


def parse_u64(tok: bytes) -> int | None:
    """Strict unsigned 64-bit decimal (``mcmc_toktou64``)."""
    if not tok.isdigit() or len(tok) > 22:
        return None
    v = int(tok)
    return v if v <= U64_MAX else None


def parse_flags(tok: bytes) -> int | None:
    """Classic client flags: ``strtoul`` semantics, truncated mod 2**32."""
    v = plain_decimal(tok)
    if v >= 0:
        return v % U32_MOD
    if tok.isdigit():
        if len(tok) > 20:
            stripped = tok.lstrip(b"0")
            if len(stripped) > 20:
                return None
            tok = stripped or b"0"
        v = int(tok)
        return v % U32_MOD if v <= U64_MAX else None
    t = tok.lstrip(_WS)
    neg = False
    if t[:1] in (b"+", b"-"):
        neg = t[:1] == b"-"
        t = t[1:]
    if not t.isdigit():
        return None
    v = int(t)
    if v > U64_MAX or (neg and v != 0):
        return None
    return v % U32_MOD


# ------------------------------------------------------------------------ gets
#: Value sizes whose VALUE line end with flags 0 is prebuilt (~45 KB in all).
PREBUILT_LINE_ENDS: Final = 1024
_ZERO_FLAGS_LINE_ENDS: Final = [b" 0 %d\r\n" % size for size in range(PREBUILT_LINE_ENDS)]


def value_line_end(flags: int, size: int) -> bytes:
    """``b" <flags> <size>\\r\\n"``, the end of a ``VALUE`` line.

    Prebuilt for flags 0 and small values, most replies: compiled, turning
    two ints into digits costs a third of a multiget's per-key formatting.
    """
    if flags == 0 and size < PREBUILT_LINE_ENDS:
        return _ZERO_FLAGS_LINE_ENDS[size]
    return b" %d %d\r\n" % (flags, size)


def cmd_get(conn: Connection, tokens: list[bytes]) -> bytes:
    if len(tokens) == 2:
        key = tokens[1]
        if len(key) > KEY_MAX_LENGTH:
            raise bad_format()
        res = conn.engine.get_value(key)
        if res is None:
            return R.END
        value = res[1]
        return b"VALUE %b%b%b\r\nEND\r\n" % (key, value_line_end(res[0], len(value)), value)
    if len(tokens) < 2:
        raise bad_format()
    return _multiget(conn, tokens, 1, False, 0)


def cmd_gets(conn: Connection, tokens: list[bytes]) -> bytes:
    if len(tokens) < 2:
        raise bad_format()
    return _multiget(conn, tokens, 1, True, 0)


def _parse_gat(tokens: list[bytes]) -> int:
    if len(tokens) < 3:
        raise bad_format()
    exptime = parse_i32(tokens[1])
    if exptime is None:
        raise ClientError(b"invalid exptime argument")
    return exptime


def cmd_gat(conn: Connection, tokens: list[bytes]) -> bytes:
    exptime = _parse_gat(tokens)
    return _multiget(conn, tokens, 2, False, conn.engine.realtime(exptime), touch=True)


def cmd_gats(conn: Connection, tokens: list[bytes]) -> bytes:
    exptime = _parse_gat(tokens)
    return _multiget(conn, tokens, 2, True, conn.engine.realtime(exptime), touch=True)


def _multiget(
    conn: Connection,
    tokens: list[bytes],
    first: int,
    with_cas: bool,
    exptime: int,
    touch: bool = False,
) -> bytes:
    for i in range(first, len(tokens)):
        if len(tokens[i]) > KEY_MAX_LENGTH:
            raise bad_format()
    return _multiget_piece(conn, tokens, first, with_cas, exptime, touch)


def _multiget_piece(
    conn: Connection,
    tokens: list[bytes],
    start: int,
    with_cas: bool,
    exptime: int,
    touch: bool,
) -> bytes:
    engine = conn.engine
    parts: list[bytes] = []
    size = 0
    n = len(tokens)
    i = start
    if touch:
        while i < n:
            key = tokens[i]
            i += 1
            item = engine.get_and_touch(key, exptime)
            if item is None:
                continue
            value = item.value
            if with_cas:
                parts.append(b"VALUE %b %d %d %d\r\n" % (key, item.flags, len(value), item.cas))
            else:
                parts.append(b"VALUE %b %d %d\r\n" % (key, item.flags, len(value)))
            parts.append(value)
            parts.append(b"\r\n")
            size += len(value) + len(key) + 24
            if size >= GET_PIECE and i < n:
                conn.continue_with(
                    partial(_multiget_piece, conn, tokens, i, with_cas, exptime, touch)
                )
                return b"".join(parts)
    else:
        while i < n:
            key = tokens[i]
            i += 1
            res = engine.get_value(key)
            if res is None:
                continue
            value = res[1]
            # One formatted piece per hit: fewer list entries for the final
            # join than header, value and line end separately (measured).
            if with_cas:
                parts.append(
                    b"VALUE %b %d %d %d\r\n%b\r\n" % (key, res[0], len(value), res[2], value)
                )
            else:
                parts.append(b"VALUE %b%b%b\r\n" % (key, value_line_end(res[0], len(value)), value))
            size += len(value) + len(key) + 24
            if size >= GET_PIECE and i < n:
                conn.continue_with(
                    partial(_multiget_piece, conn, tokens, i, with_cas, exptime, touch)
                )
                return b"".join(parts)
    parts.append(R.END)
    return b"".join(parts)


# --------------------------------------------------------------------- storage
def _storage(conn: Connection, tokens: list[bytes], mode: Mode) -> bytes:
    ntok = len(tokens)
    if ntok < 5:
        raise bad_format()
    if tokens[-1] == b"noreply":  # memcached checks the last token first
        conn.noreply = True
    vtok = tokens[4]
    vlen = plain_decimal(vtok) if len(vtok) <= 10 else -1
    if vlen < 0 or vlen > INT32_MAX - 2:
        raise bad_format()
    swallow = vlen + 2
    need = 6 if mode == Mode.CAS else 5
    if ntok < need:  # cas without its unique: HEAD swallows the data
        raise bad_format(swallow)
    key = tokens[1]
    if len(key) > KEY_MAX_LENGTH:
        raise bad_format(swallow)
    flags = parse_flags(tokens[2])
    exptime = parse_i32(tokens[3])
    if flags is None or exptime is None:
        raise bad_format(swallow)
    compare: int | None = None
    if mode == Mode.CAS:
        compare = parse_u64(tokens[5])
        if compare is None:
            raise bad_format(swallow)
    engine = conn.engine
    if engine.too_large(key, vlen, flags):
        engine.refuse_too_large(mode, key)
        raise ServerError(b"object too large for cache", swallow=swallow)
    exp = engine.realtime(exptime)
    store_item = engine.store_item

    def on_data(data: bytes) -> bytes:
        result, _cas = store_item(mode, key, flags, exp, data, compare)
        if conn.noreply:
            return R.EMPTY
        return R.CLASSIC[result]

    conn.read_data(vlen, on_data)
    return R.EMPTY


def cmd_set(conn: Connection, tokens: list[bytes]) -> bytes:
    return _storage(conn, tokens, Mode.SET)


def cmd_add(conn: Connection, tokens: list[bytes]) -> bytes:
    return _storage(conn, tokens, Mode.ADD)


def cmd_replace(conn: Connection, tokens: list[bytes]) -> bytes:
    return _storage(conn, tokens, Mode.REPLACE)


def cmd_append(conn: Connection, tokens: list[bytes]) -> bytes:
    return _storage(conn, tokens, Mode.APPEND)


def cmd_prepend(conn: Connection, tokens: list[bytes]) -> bytes:
    return _storage(conn, tokens, Mode.PREPEND)


def cmd_cas(conn: Connection, tokens: list[bytes]) -> bytes:
    return _storage(conn, tokens, Mode.CAS)


# ------------------------------------------------------- delete / incr / touch
def _noreply(conn: Connection, tokens: list[bytes], min_tokens: int) -> bool:
    if len(tokens) > min_tokens and tokens[-1] == b"noreply":
        conn.noreply = True
        return True
    return False


def cmd_delete(conn: Connection, tokens: list[bytes]) -> bytes:
    if len(tokens) < 2:
        raise bad_format()
    noreply = _noreply(conn, tokens, 2)
    key = tokens[1]
    if len(key) > KEY_MAX_LENGTH:
        raise bad_format()
    result = conn.engine.delete(key)
    return R.EMPTY if noreply else R.CLASSIC[result]


def _arith(conn: Connection, tokens: list[bytes], incr: bool) -> bytes:
    if len(tokens) < 3:
        raise bad_format()
    noreply = _noreply(conn, tokens, 2)
    key = tokens[1]
    if len(key) > KEY_MAX_LENGTH:
        raise bad_format()
    delta = parse_u64(tokens[2])
    if delta is None:
        raise ClientError(b"invalid numeric delta argument")
    result, value, _item = conn.engine.arithmetic(key, incr, delta)
    if result == Result.STORED:
        return R.EMPTY if noreply else b"%d\r\n" % value
    if result == Result.NO_MEMORY or result == Result.TOO_LARGE:
        raise ServerError(b"out of memory")
    if result == Result.NON_NUMERIC:
        raise ClientError(b"cannot increment or decrement non-numeric value")
    return R.EMPTY if noreply else R.CLASSIC[result]


def cmd_incr(conn: Connection, tokens: list[bytes]) -> bytes:
    return _arith(conn, tokens, True)


def cmd_decr(conn: Connection, tokens: list[bytes]) -> bytes:
    return _arith(conn, tokens, False)


def cmd_touch(conn: Connection, tokens: list[bytes]) -> bytes:
    if len(tokens) < 3:
        raise bad_format()
    noreply = _noreply(conn, tokens, 2)
    key = tokens[1]
    if len(key) > KEY_MAX_LENGTH:
        raise bad_format()
    exptime = parse_i32(tokens[2])
    if exptime is None:
        raise ClientError(b"invalid exptime argument")
    engine = conn.engine
    result = engine.touch(key, engine.realtime(exptime))
    return R.EMPTY if noreply else R.CLASSIC[result]


# ---------------------------------------------------------------------- admin
def cmd_flush_all(conn: Connection, tokens: list[bytes]) -> bytes:
    noreply = _noreply(conn, tokens, 1)
    engine = conn.engine
    engine.counters.cmd_flush += 1
    if engine.settings.disable_flush_all:
        raise ClientError(b"flush_all not allowed")
    delay = 0
    if len(tokens) > (2 if noreply else 1):
        d = parse_i32(tokens[1])
        if d is None:
            raise ClientError(b"invalid exptime argument")
        delay = d
    engine.flush_all(delay)
    return R.EMPTY if noreply else R.OK


def cmd_version(conn: Connection, tokens: list[bytes]) -> bytes:
    return _VERSION


_VERSION: Final = b"VERSION " + PROTOCOL_VERSION.encode() + b"\r\n"


def cmd_verbosity(conn: Connection, tokens: list[bytes]) -> bytes:
    if len(tokens) > 3:
        raise CommandError()
    noreply = _noreply(conn, tokens, 1)
    if len(tokens) < 2:
        raise bad_format()
    level = parse_flags(tokens[1])
    if level is None:
        raise bad_format()
    conn.engine.update_settings(verbose=min(level, 2))
    return R.EMPTY if noreply else R.OK


def cmd_quit(conn: Connection, tokens: list[bytes]) -> bytes:
    conn.wants_close = True
    return R.EMPTY


def cmd_shutdown(conn: Connection, tokens: list[bytes]) -> bytes:
    engine = conn.engine
    if not engine.settings.enable_shutdown:
        raise StatusError(b"SERVER_ERROR: shutdown not enabled")
    if len(tokens) == 1:
        graceful = False
    elif len(tokens) == 2 and tokens[1] == b"graceful":
        graceful = True
    else:
        raise ClientError(b"invalid shutdown mode")
    if engine.control is not None:
        engine.control.request_shutdown(graceful)
    raise CloseConnection()


def cmd_cache_memlimit(conn: Connection, tokens: list[bytes]) -> bytes:
    if len(tokens) not in (2, 3):
        raise CommandError()
    noreply = _noreply(conn, tokens, 2)
    mb = parse_flags(tokens[1])
    if mb is None:
        raise CommandError()
    if mb < 8:
        raise StatusError(b"MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m")
    if mb > 1_000_000_000:
        raise StatusError(b"MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes")
    if not conn.engine.set_memory_limit(mb):
        raise StatusError(b"MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust")
    return R.EMPTY if noreply else R.OK


def _parse_float(tok: bytes) -> float | None:
    try:
        return float(tok)
    except ValueError:
        return None


def cmd_slabs(conn: Connection, tokens: list[bytes]) -> bytes:
    engine = conn.engine
    ntok = len(tokens)
    if ntok == 4 and tokens[1] == b"reassign":
        if not engine.settings.slab_reassign:
            raise ClientError(b"slab reassignment disabled")
        src = parse_i32(tokens[2])
        dst = parse_i32(tokens[3])
        if src is None or dst is None:
            raise bad_format()
        res = engine.store.reassign(src, dst)
        return res.value.encode() + b"\r\n"
    if ntok >= 3 and tokens[1] == b"automove":
        sub = tokens[2]
        if sub in (b"ratio", b"freeratio"):
            f = _parse_float(tokens[3]) if ntok >= 4 else None
            if f is None:
                raise CommandError()
            if sub == b"ratio":
                engine.update_settings(slab_automove_ratio=f)
            else:
                engine.update_settings(slab_automove_freeratio=f)
        elif sub == b"window":
            w = parse_u32(tokens[3]) if ntok >= 4 else None
            if w is None:
                raise CommandError()
            if w < 3 or w > 1800:
                raise ClientError(b"automove window too low or too high")
            engine.update_settings(slab_automove_window=w)
        else:
            level = parse_flags(sub)
            if level is None:
                raise bad_format()
            if level > 2:  # like memcached; our level 3 is only a startup option
                raise CommandError()
            engine.store.automove = level
            engine.update_settings(slab_automove=level)
        return R.OK
    raise CommandError()


def cmd_lru(conn: Connection, tokens: list[bytes]) -> bytes:
    engine = conn.engine
    ntok = len(tokens)
    if ntok < 2:
        raise CommandError()
    sub = tokens[1]
    if sub == b"tune" and ntok >= 6:
        hot = parse_u32(tokens[2])
        warm = parse_u32(tokens[3])
        hot_f = _parse_float(tokens[4])
        warm_f = _parse_float(tokens[5])
        if hot is None or warm is None or hot_f is None or warm_f is None:
            raise CommandError()
        if hot + warm > 80:
            raise CommandError(b"hot and warm pcts must not exceed 80")
        if hot_f <= 0 or warm_f <= 0:
            raise CommandError(b"hot/warm age factors must be greater than 0")
        engine.update_settings(
            hot_lru_pct=hot, warm_lru_pct=warm, hot_max_factor=hot_f, warm_max_factor=warm_f
        )
        return R.OK
    if sub == b"mode" and ntok >= 3 and engine.settings.lru_maintainer:
        if tokens[2] == b"flat":
            engine.update_settings(lru_segmented=False)
        elif tokens[2] == b"segmented":
            engine.update_settings(lru_segmented=True)
        else:
            raise CommandError()
        return R.OK
    if sub == b"temp_ttl" and ntok >= 3 and engine.settings.lru_maintainer:
        ttl = parse_i32(tokens[2])
        if ttl is None:
            raise CommandError()
        if ttl < 0:
            engine.update_settings(temp_lru=False)
        else:
            engine.update_settings(temp_lru=True, temporary_ttl=ttl)
        return R.OK
    raise CommandError()


def _crawl_classes(conn: Connection, spec: bytes) -> list[int] | None:
    """``all``/``hash`` -> [] (every class); ``1,2,3`` -> ids; None = BADCLASS."""
    if spec in (b"all", b"hash"):
        return []
    ids: list[int] = []
    for part in spec.split(b","):
        v = parse_u32(part)
        if v is None or v < 1 or v >= 64:
            return None
        ids.append(v)
    return ids


def _dump(conn: Connection, classes: list[int], mg: bool) -> bytes:
    """metadump / mgdump: stream the items in pieces through continue_with."""
    import base64

    from memcached_py.watch import uri_encode

    store = conn.engine.store
    iters = [store.items(c) for c in classes] if classes else [store.items(None)]

    def gen() -> bytes:
        parts: list[bytes] = []
        size = 0
        while iters:
            it = iters[0]
            for item in it:
                if mg:
                    if item.key_is_binary:
                        line = b"mg " + base64.b64encode(item.key) + b" b\r\n"
                    else:
                        line = b"mg " + item.key + b"\r\n"
                else:
                    line = b"key=%b exp=%d la=%d cas=%d fetch=%b cls=%d size=%d flags=%d\n" % (
                        uri_encode(item.key),
                        item.exptime if item.exptime > 0 else -1,
                        item.last_access,
                        item.cas,
                        b"yes" if item.fetched else b"no",
                        item.slab_class,
                        item.total_size,
                        item.flags,
                    )
                parts.append(line)
                size += len(line)
                if size >= GET_PIECE:
                    conn.continue_with(gen)
                    return b"".join(parts)
            iters.pop(0)
        parts.append(R.END)
        return b"".join(parts)

    return b"OK\r\n" + gen()


def cmd_lru_crawler(conn: Connection, tokens: list[bytes]) -> bytes:
    engine = conn.engine
    ntok = len(tokens)
    sub = tokens[1] if ntok >= 2 else b""
    if ntok == 3 and sub == b"crawl":
        if not engine.lru_crawler_enabled:
            raise ClientError(b"lru crawler disabled")
        classes = _crawl_classes(conn, tokens[2])
        if classes is None:
            raise StatusError(b"BADCLASS invalid class id")
        engine.counters.lru_crawler_starts += 1
        # One bounded step now (never stall the loop on a big store); the
        # daemon's periodic crawl_step does the rest.
        engine.store.crawl_step(CRAWL_STEP)
        return R.OK
    if ntok == 3 and sub in (b"metadump", b"mgdump"):
        if not engine.lru_crawler_enabled:
            raise ClientError(b"lru crawler disabled")
        if engine.settings.disable_dumping:
            raise CommandError(
                b"metadump not allowed" if sub == b"metadump" else b"key dump not allowed"
            )
        if conn.has_pending_output:
            raise CommandError(b"cannot pipeline other commands before " + sub)
        classes = _crawl_classes(conn, tokens[2])
        if classes is None:
            raise StatusError(b"BADCLASS invalid class id")
        engine.counters.lru_crawler_starts += 1
        return _dump(conn, classes, sub == b"mgdump")
    if ntok == 3 and sub == b"tocrawl":
        n = parse_flags(tokens[2])
        if n is None:
            raise bad_format()
        engine.update_settings(lru_crawler_tocrawl=n)
        return R.OK
    if ntok == 3 and sub == b"sleep":
        n = parse_flags(tokens[2])
        if n is None:
            raise bad_format()
        if n > 1_000_000:
            raise ClientError(b"sleep must be one second or less")
        engine.update_settings(lru_crawler_sleep=n)
        return R.OK
    if ntok == 2 and sub == b"enable":
        if engine.lru_crawler_enabled:
            raise CommandError(b"failed to start lru crawler thread")
        engine.lru_crawler_enabled = True
        return R.OK
    if ntok == 2 and sub == b"disable":
        engine.lru_crawler_enabled = False
        return R.OK
    raise CommandError()


def cmd_refresh_certs(conn: Connection, tokens: list[bytes]) -> bytes:
    control = conn.engine.control
    if control is None or not conn.engine.settings.enable_ssl:
        return b"Error TLS not enabled\r\n"
    err = control.refresh_certs()
    if err is None:
        return R.OK
    return err.encode("utf-8", "replace") + b"\r\n"


# ---------------------------------------------------------------------- stats
def cmd_stats(conn: Connection, tokens: list[bytes]) -> bytes:
    engine = conn.engine
    ntok = len(tokens)
    if ntok == 1:
        return _stats.render(_stats.general_stats(engine))
    sub = tokens[1]
    if sub == b"settings":
        return _stats.render(_stats.settings_stats(engine))
    if sub == b"items":
        return _stats.render(_stats.items_stats(engine))
    if sub == b"slabs":
        return _stats.render([(k, str(v)) for k, v in engine.store.slab_stats()])
    if sub == b"sizes":
        sizes = engine.store.size_stats()
        if sizes is None:
            return _stats.render([("sizes_status", "disabled")])
        return _stats.render([(k, str(v)) for k, v in sizes])
    if sub == b"conns":
        lines = engine.control.connection_stats() if engine.control is not None else []
        return _stats.render(lines)
    if sub == b"reset":
        engine.reset_stats()
        return R.RESET
    if sub == b"detail":
        if engine.settings.disable_dumping:
            raise ClientError(b"stats detail not allowed")
        arg = tokens[2] if ntok >= 3 else b""
        if arg == b"on":
            engine.detail_enabled = True
            return R.OK
        if arg == b"off":
            engine.detail_enabled = False
            return R.OK
        if arg == b"dump":
            return _stats.detail_dump(engine)
        raise ClientError(b"usage: stats detail on|off|dump")
    if sub == b"cachedump":
        if engine.settings.disable_dumping:
            raise ClientError(b"stats cachedump not allowed")
        if ntok < 4:
            raise ClientError(b"bad command line")
        cls = parse_flags(tokens[2])
        limit = parse_flags(tokens[3])
        if cls is None or limit is None:
            raise bad_format()
        if cls >= 64:
            raise ClientError(b"Illegal slab id")
        return _cachedump(conn, cls, limit)
    raise CommandError()


def _cachedump(conn: Connection, cls: int, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    for item in conn.engine.store.items(cls):
        line = b"ITEM %b [%d b; %d s]\r\n" % (
            item.key,
            len(item.value),
            item.exptime if item.exptime > 0 else 0,
        )
        if size + len(line) > 2 * 1024 * 1024 - 6:
            break
        parts.append(line)
        size += len(line)
        if limit and len(parts) >= limit:
            break
    parts.append(R.END)
    return b"".join(parts)


def cmd_watch(conn: Connection, tokens: list[bytes]) -> bytes:
    from memcached_py import watch

    return watch.start_watch(conn, tokens)


# ------------------------------------------------------------- dispatch table
COMMANDS: Final[dict[bytes, Handler]] = {
    b"get": cmd_get,
    b"gets": cmd_gets,
    b"gat": cmd_gat,
    b"gats": cmd_gats,
    b"set": cmd_set,
    b"add": cmd_add,
    b"replace": cmd_replace,
    b"append": cmd_append,
    b"prepend": cmd_prepend,
    b"cas": cmd_cas,
    b"delete": cmd_delete,
    b"incr": cmd_incr,
    b"decr": cmd_decr,
    b"touch": cmd_touch,
    b"flush_all": cmd_flush_all,
    b"version": cmd_version,
    b"verbosity": cmd_verbosity,
    b"quit": cmd_quit,
    b"shutdown": cmd_shutdown,
    b"cache_memlimit": cmd_cache_memlimit,
    b"slabs": cmd_slabs,
    b"lru": cmd_lru,
    b"lru_crawler": cmd_lru_crawler,
    b"refresh_certs": cmd_refresh_certs,
    b"stats": cmd_stats,
    b"watch": cmd_watch,
}


def register(name: bytes, handler: Handler) -> None:
    """Add or replace a command (used by ``protocol.meta``)."""
    COMMANDS[name] = handler


__all__ = [
    "COMMANDS",
    "DataHandler",
    "Handler",
    "ProtocolError",
    "register",
]
