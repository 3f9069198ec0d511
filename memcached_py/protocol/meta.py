"""Meta commands: mg, ms, md, ma, mn, me (reference §4), over the engine's store.

Sans-IO and synchronous. Two layers:

- engine-level functions ``mg(engine, tokens)``, ``md``, ``ma``, ``mn``,
  ``me`` return the complete reply bytes (``b""`` when ``q`` suppresses it)
  and raise :class:`~memcached_py.protocol.errors.ProtocolError` subclasses
  carrying their wire line. ``ms`` is two-step because its data block follows
  the line: :func:`ms_begin` validates the line (size check included; refusals
  carry ``swallow=datalen+2`` except for a bad datalen) and returns a
  :class:`PendingSet`; :func:`ms_complete` stores the block.
- connection handlers ``cmd_mg(conn, tokens)`` ... registered into
  ``text.COMMANDS`` when this module is imported (``connection`` imports it).
  They never set ``conn.noreply``: meta errors are never suppressed, ``q``
  only elides the nominal reply (the functions above return ``b""``).

Counters follow memcached: mg counts cmd_get/get_hits/get_misses, or the touch
counters when ``T`` is given on a hit; ms counts cmd_set and the cas_*
counters; md delete_hits/delete_misses; ma incr_*/decr_* (hits only when the
item existed); me counts cmd_meta.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, MutableMapping
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Final

from memcached_py.engine import Engine, parse_u64_value
from slab import item_total_size, slab_class_sizes
from slab._types import Item, OutOfMemory, SlabConfig, TooLarge

from . import text
from .errors import ClientError, ServerError
from .meta_flags import (
    F_N,
    F_O,
    F_R,
    F_T,
    MAX_OPAQUE_LENGTH,
    MSG_OPAQUE,
    U32_MASK,
    U64_MASK,
    F_c,
    F_f,
    F_h,
    F_k,
    F_l,
    F_s,
    F_t,
    MetaRequest,
    b64_encode_key,
    parse_ma,
    parse_md,
    parse_me,
    parse_mg,
    parse_ms,
)

if TYPE_CHECKING:
    from .connection import Connection

CRLF: Final = b"\r\n"

MetaEngine = Engine
EngineHandler = Callable[[Engine, list[bytes]], bytes]


# --------------------------------------------------------------------------
# reply pieces


def _key_token(key: bytes, binary: bool) -> bytes:
    """The ``k`` return flag: the key, or its base64 followed by `` b``."""
    if binary:
        return b"k" + b64_encode_key(key) + b" b"
    return b"k" + key


def _u32(n: int) -> int:
    """memcached prints relative times with itoa_u32 (negative values wrap)."""
    return n & U32_MASK


def _ttl_token(exptime: int, now: int) -> bytes:
    if exptime == 0:
        return b"t-1"
    return b"t%d" % _u32(exptime - now)


def _opaque(tok: bytes) -> bytes:
    if len(tok) > MAX_OPAQUE_LENGTH:
        raise ClientError(MSG_OPAQUE)
    return tok


def _echo_flags(req: MetaRequest, key: bytes, binary: bool) -> Iterator[bytes]:
    """O and k return flags, in request order (for EN/NF/NS/EX and misses)."""
    for tok in req.flags:
        f = tok[0]
        if f == F_O:
            yield _opaque(tok)
        elif f == F_k:
            yield _key_token(key, binary)


def _status(code: bytes, parts: list[bytes]) -> bytes:
    if parts:
        return code + b" " + b" ".join(parts) + CRLF
    return code + CRLF


# --------------------------------------------------------------------------
# mg


def mg(engine: MetaEngine, tokens: list[bytes]) -> bytes:
    """``mg <key> <flags>*``: meta get (with touch, vivify, recache, stale handling)."""
    req = parse_mg(tokens)
    if not engine.cas_enabled:
        req.new_cas = None  # -C: E<cas> is ignored, items carry CAS 0
    store = engine.store
    counters = engine.counters
    key = req.key
    # memcached counts a hit per class as get_hits, or as touch_hits with T
    count_hit = req.ttl is None
    item = store.get(key, bump=not req.no_update, count_hit=count_hit)
    if engine.watch is not None:
        engine.watch.fetch(key, item, store)
    created = False
    if item is None and req.vivify_ttl is not None:
        # N<ttl>: create an empty placeholder; this client wins the recache.
        try:
            # (memcached does not mark a vivified item's key binary: k shows it raw)
            store.set(key, b"", 0, 0, cas=req.new_cas, count_set=False)
        except (TooLarge, OutOfMemory):
            pass  # memcached: the allocation failed, so this stays a miss
        else:
            item = store.get(key, bump=False, count_hit=count_hit)
            if item is not None:
                created = True
                if not req.no_update:
                    store.get(key)  # the delayed bump: fetched, last access
    if item is None:
        counters.cmd_get += 1
        counters.get_misses += 1
        echoed = list(_echo_flags(req, key, req.key_binary))  # may raise (opaque)
        if req.no_reply:
            return b""
        return _status(b"EN", echoed)

    exptime = item.exptime
    exptime_changed = False
    won = False
    ttl_set = False
    parts: list[bytes] = []
    error: ClientError | None = None
    for tok in req.flags:
        f = tok[0]
        if f == F_T:
            assert req.ttl is not None
            ttl_set = True
            exptime = engine.realtime(req.ttl)
            exptime_changed = True
        elif f == F_N:
            if created:
                assert req.vivify_ttl is not None
                exptime = engine.realtime(req.vivify_ttl)
                exptime_changed = True
                won = True
        elif f == F_R:
            assert req.recache_ttl is not None
            if (
                not item.win_token_sent
                and not created
                and exptime != 0
                and exptime < _recache_time(engine, req.recache_ttl)
            ):
                won = True
        elif f == F_s:
            parts.append(b"s%d" % len(item.value))
        elif f == F_t:
            parts.append(_ttl_token(exptime, engine.clock()))
        elif f == F_c:
            parts.append(b"c%d" % item.cas)
        elif f == F_f:
            parts.append(b"f%d" % item.flags)
        elif f == F_l:
            parts.append(b"l%d" % _u32(engine.clock() - item.last_access))
        elif f == F_h:
            parts.append(b"h1" if item.fetched else b"h0")
        elif f == F_O:
            if len(tok) > MAX_OPAQUE_LENGTH:
                error = ClientError(MSG_OPAQUE)
                break
            parts.append(tok)
        elif f == F_k:
            parts.append(_key_token(item.key, item.key_is_binary))

    token_sent = item.win_token_sent
    if error is None:
        if token_sent:
            parts.append(b"Z")
        if item.stale:
            parts.append(b"X")
            if not token_sent:
                won = True
        if won:
            parts.append(b"W")
            token_sent = True

    # persist what this request changed
    if exptime_changed or token_sent != item.win_token_sent:
        store.update(
            key,
            exptime=exptime if exptime_changed else None,
            win_token_sent=True if token_sent != item.win_token_sent else None,
        )

    if ttl_set:
        counters.cmd_touch += 1
        counters.touch_hits += 1
        if item.slab_class:
            store.count(item.slab_class, "touch_hits")
    else:
        counters.cmd_get += 1
        counters.get_hits += 1

    if error is not None:
        raise error
    send_value = req.value and not (req.compare_cas is not None and req.compare_cas == item.cas)
    if send_value:
        head = b"VA %d" % len(item.value)
        if parts:
            head += b" " + b" ".join(parts)
        return head + CRLF + item.value + CRLF
    return _status(b"HD", parts)


def _recache_time(engine: MetaEngine, ttl: int) -> int:
    """memcached's realtime() for R: 0 stays 0 (never triggers), negative is the past."""
    if ttl == 0:
        return 0
    return engine.realtime(ttl)


# --------------------------------------------------------------------------
# ms


# store modes, as memcached's NREAD_* after the M switch
_SET, _ADD, _REPLACE, _APPEND, _PREPEND, _CAS = range(6)
_MODE_OF: Final = {0: _SET, 0x53: _SET, 0x45: _ADD, 0x52: _REPLACE, 0x41: _APPEND, 0x50: _PREPEND}


class PendingSet:
    """An ``ms`` line accepted by :func:`ms_begin`, waiting for its data block."""

    __slots__ = ("datalen", "mode", "req")

    def __init__(self, req: MetaRequest, mode: int) -> None:
        self.req = req
        self.mode = mode
        self.datalen = req.datalen  # bytes of data (the connection also reads \r\n)


def ms_begin(engine: MetaEngine, tokens: list[bytes]) -> PendingSet:
    """Parse an ``ms`` line; raise (with ``swallow`` set) when it is refused."""
    req = parse_ms(tokens)
    if not engine.cas_enabled:
        req.new_cas = None
    mode = _MODE_OF[req.mode]
    if req.compare_cas is not None and mode in (_SET, _REPLACE):
        mode = _CAS
    if engine.too_large(req.key, req.datalen, req.client_flags):
        # memcached could not allocate the item: count it, drop the old value.
        engine.counters.store_too_large += 1
        engine.store.delete(req.key)
        raise ServerError(b"object too large for cache", swallow=req.datalen + 2)
    for tok in req.flags:
        if tok[0] == F_O and len(tok) > MAX_OPAQUE_LENGTH:
            # HEAD checks the opaque once the item is allocated, before the data
            # is read: counted as a set, nothing stored, the block swallowed.
            engine.counters.cmd_set += 1
            _count_allocation(engine, req)
            raise ClientError(MSG_OPAQUE, swallow=req.datalen + 2)
    return PendingSet(req, mode)


def ms_complete(engine: MetaEngine, pending: PendingSet, data: bytes) -> bytes:
    """Store the data block of an accepted ``ms``; return the reply."""
    req = pending.req
    if engine.watch is not None:  # memcached logs the lookup every store does
        engine.watch.fetch(req.key, engine.store.get(req.key, bump=False), engine.store)
    code, cas, size = _store(engine, pending, data)
    if engine.watch is not None:
        _watch_store(engine, pending, code, size)
    parts: list[bytes] = []
    for tok in req.flags:
        f = tok[0]
        if f == F_O:
            parts.append(tok)  # length checked by ms_begin
        elif f == F_k:
            parts.append(_key_token(req.key, req.key_binary))
        elif f == F_c:
            parts.append(b"c%d" % cas)
        elif f == F_s:
            parts.append(b"s%d" % size)
    if code == b"HD" and req.no_reply:
        return b""
    return _status(code, parts)


_MODE_NAMES: Final = ("set", "add", "replace", "append", "prepend", "cas")
_WATCH_STATUS: Final = {b"HD": "stored", b"NS": "not_stored", b"EX": "exists", b"NF": "not_found"}


def _watch_store(engine: MetaEngine, pending: PendingSet, code: bytes, size: int) -> None:
    """``watch mutations`` line for an ms (TTL relative, as memcached prints it)."""
    assert engine.watch is not None
    req = pending.req
    stored = engine.store.get(req.key, bump=False) if code == b"HD" else None
    ttl = 0
    clsid = 0
    if stored is not None:
        clsid = stored.slab_class
        if stored.exptime > 0:
            ttl = stored.exptime - engine.clock()
    status = _WATCH_STATUS[code]
    engine.watch.store(req.key, _MODE_NAMES[pending.mode], status, ttl, size, clsid)


@lru_cache(maxsize=8)
def _class_sizes(config: SlabConfig) -> list[int]:
    return slab_class_sizes(config)


def _count_allocation(engine: MetaEngine, req: MetaRequest) -> None:
    """memcached counts a slab class cmd_set for every ms whose item it allocated,
    stored or not; the store counts only the items it stores."""
    store = engine.store
    sizes = _class_sizes(store.config)
    total = item_total_size(len(req.key), req.datalen, engine.cas_enabled, req.client_flags)
    cls = min(bisect_left(sizes, total), len(sizes) - 1) + 1
    store.count(cls, "cmd_set")


def _store(engine: MetaEngine, pending: PendingSet, value: bytes) -> tuple[bytes, int, int]:
    """memcached's do_store_item for ms: (status code, new CAS or 0, final size)."""
    code, cas, size = _store_item(engine, pending, value)
    if code != b"HD":
        _count_allocation(engine, pending.req)
    return code, cas, size


def _store_item(engine: MetaEngine, pending: PendingSet, value: bytes) -> tuple[bytes, int, int]:
    req = pending.req
    mode = pending.mode
    store = engine.store
    counters = engine.counters
    key = req.key
    counters.cmd_set += 1
    flags = req.client_flags
    exptime = engine.realtime(req.ttl) if req.ttl is not None else 0
    stale = False
    token_sent = False
    key_binary = req.key_binary
    old = store.get(key, bump=False) if mode != _SET else None
    if mode == _SET:
        pass  # unconditional: no need to look at the old item
    elif mode == _ADD:
        if old is not None:
            return b"NS", 0, len(value)
    elif mode == _CAS:
        if old is None:
            counters.cas_misses += 1
            return b"NF", 0, len(value)
        assert req.compare_cas is not None
        if old.cas == req.compare_cas and req.compare_cas != 0:
            counters.cas_hits += 1
            store.count(old.slab_class, "cas_hits")
        elif req.set_stale and 0 < req.compare_cas < old.cas:
            # I: an older writer may still store, but the value stays stale
            # and keeps the current TTL and win-token state.
            counters.cas_hits += 1
            store.count(old.slab_class, "cas_hits")
            exptime = old.exptime
            stale = True
            token_sent = old.win_token_sent
        else:
            counters.cas_badval += 1
            store.count(old.slab_class, "cas_badval")
            return b"EX", 0, len(value)
    elif mode == _REPLACE:
        if old is None:
            return b"NS", 0, len(value)
    elif mode in (_APPEND, _PREPEND):
        if old is None:
            if req.vivify_ttl is None:
                return b"NS", 0, len(value)
            exptime = engine.realtime(req.vivify_ttl)  # autovivify from this data
        else:
            if req.compare_cas and req.compare_cas != old.cas:
                return b"EX", 0, len(value)
            if engine.too_large(key, len(old.value) + len(value)):
                return b"NS", 0, len(value)  # memcached: the combined item is not allocated
            value = old.value + value if mode == _APPEND else value + old.value
            flags = old.flags
            exptime = old.exptime
            key_binary = False  # memcached allocates a new item without the binary mark
    try:
        cas = store.set(
            key,
            value,
            flags,
            exptime,
            cas=req.new_cas,
            key_is_binary=key_binary,
            stale=stale,
            win_token_sent=token_sent,
        )
    except TooLarge:
        if mode in (_APPEND, _PREPEND):
            return b"NS", 0, len(value) - (len(old.value) if old is not None else 0)
        counters.store_too_large += 1
        raise ServerError(b"object too large for cache") from None
    except OutOfMemory:
        counters.store_no_memory += 1
        raise ServerError(b"out of memory storing object") from None
    return b"HD", cas, len(value)


# --------------------------------------------------------------------------
# md


def md(engine: MetaEngine, tokens: list[bytes]) -> bytes:
    """``md <key> <flags>*``: delete, invalidate (I) or tombstone (x)."""
    req = parse_md(tokens)
    if not engine.cas_enabled:
        req.new_cas = None  # -C: E<cas> is ignored, items carry CAS 0
    parts = list(_echo_flags(req, req.key, req.key_binary))
    store = engine.store
    counters = engine.counters
    key = req.key
    item = store.get(key, bump=False)
    if engine.watch is not None:
        engine.watch.fetch(key, item, store)
    if item is None:
        counters.delete_misses += 1
        return _status(b"NF", parts)
    if req.compare_cas is not None and item.cas != req.compare_cas:
        counters.delete_misses += 1
        return _status(b"EX", parts)
    exptime = engine.realtime(req.ttl) if req.ttl is not None else 0
    if req.remove_value:
        # replace the value with an empty one, keeping the CAS unless E
        try:
            store.set(
                key,
                b"",
                req.client_flags,
                exptime,
                cas=req.new_cas if req.new_cas is not None else item.cas,
                count_set=False,  # memcached counts only clients' stores per class
            )
        except TooLarge:
            return _status(b"NS", parts)
        except OutOfMemory:
            raise ServerError(b"out of memory") from None
    if req.set_stale:
        store.update(
            key,
            exptime=exptime if req.ttl is not None else None,
            cas=req.new_cas,
            new_cas=req.new_cas is None,
            stale=True,
            win_token_sent=False,
        )
    else:
        counters.delete_hits += 1
        store.count(item.slab_class, "delete_hits")
        if not req.remove_value:
            store.delete(key)
        if engine.watch is not None:
            engine.watch.deleted(key, "md", item)
    if req.no_reply:
        return b""
    return _status(b"HD", parts)


# --------------------------------------------------------------------------
# ma


def _u64_value(engine: MetaEngine, item: Item) -> int | None:
    """An item's data as memcached's do_add_delta sees it (None = non-numeric).

    Chunked items (larger than slab_chunk_max) are never numbers.
    """
    total = 48 + len(item.key) + 1 + len(item.value) + 2 + (8 if engine.cas_enabled else 0)
    if total > engine.settings.slab_chunk_max:
        return None
    return parse_u64_value(item.value)


def ma(engine: MetaEngine, tokens: list[bytes]) -> bytes:
    """``ma <key> <flags>*``: meta arithmetic (incr/decr, autovivify)."""
    req = parse_ma(tokens)
    if not engine.cas_enabled:
        req.new_cas = None  # -C: E<cas> is ignored, items carry CAS 0
    store = engine.store
    counters = engine.counters
    key = req.key
    incr = req.mode not in (0x44, 0x2D)  # 'D' / '-'
    item = store.get(key, bump=False)
    if engine.watch is not None:
        engine.watch.fetch(key, item, store)
    created = False
    if item is None:
        if req.vivify_ttl is None:
            if incr:
                counters.incr_misses += 1
            else:
                counters.decr_misses += 1
            return _status(b"NF", list(_echo_flags(req, key, req.key_binary)))
        digits = b"%d" % req.initial
        stored_value = digits
        flags = 0
        exptime = 0
        stale = False
        token_sent = False
        fetched = False
        key_binary = False  # memcached does not mark the new item's key binary
        created = True
    else:
        # memcached's do_add_delta order: empty value, then CAS, then the number
        if not item.value:
            raise ClientError(b"cannot increment or decrement non-numeric value")
        if req.compare_cas and item.cas != req.compare_cas:
            return _status(b"EX", list(_echo_flags(req, key, req.key_binary)))
        number = _u64_value(engine, item)
        if number is None:
            raise ClientError(b"cannot increment or decrement non-numeric value")
        if incr:
            number = (number + req.delta) & U64_MASK
            counters.incr_hits += 1
            store.count(item.slab_class, "incr_hits")
        else:
            number = number - req.delta if req.delta < number else 0
            counters.decr_hits += 1
            store.count(item.slab_class, "decr_hits")
        digits = b"%d" % number
        flags = item.flags
        exptime = item.exptime
        fetched = item.fetched
        if len(digits) <= len(item.value):
            # rewritten in place: padded with spaces, item state kept
            stored_value = digits.ljust(len(item.value))
            stale = item.stale
            token_sent = item.win_token_sent
            key_binary = item.key_is_binary
        else:
            # a new, longer item replaces the old one: fresh item state
            stored_value = digits
            stale = False
            token_sent = False
            fetched = False
            key_binary = False

    parts: list[bytes] = []
    cas_index: list[int] = []  # positions of c flags, filled after the store
    error: ClientError | None = None
    for tok in req.flags:
        f = tok[0]
        if f == F_c:
            cas_index.append(len(parts))
            parts.append(b"")
        elif f == F_t:
            parts.append(_ttl_token(exptime, engine.clock()))
        elif f == F_T:
            assert req.ttl is not None
            exptime = engine.realtime(req.ttl)
        elif f == F_N:
            if created:
                assert req.vivify_ttl is not None
                exptime = engine.realtime(req.vivify_ttl)
        elif f == F_O:
            if len(tok) > MAX_OPAQUE_LENGTH:
                error = ClientError(MSG_OPAQUE)
                break
            parts.append(tok)
        elif f == F_k:
            parts.append(_key_token(key, req.key_binary))

    try:
        cas = store.set(
            key,
            stored_value,
            flags,
            exptime,
            cas=req.new_cas,
            key_is_binary=key_binary,
            stale=stale,
            win_token_sent=token_sent,
            fetched=fetched,
            count_set=False,  # an arithmetic rewrite, not a client store
        )
    except (TooLarge, OutOfMemory):
        if created:
            raise ServerError(b"Out of memory allocating new item") from None
        raise ServerError(b"out of memory") from None
    if error is not None:
        raise error
    if req.no_reply:
        return b""
    for i in cas_index:
        parts[i] = b"c%d" % cas
    if req.value:
        head = b"VA %d" % len(digits)
        if parts:
            head += b" " + b" ".join(parts)
        return head + CRLF + digits + CRLF
    return _status(b"HD", parts)


# --------------------------------------------------------------------------
# mn, me


def mn(engine: MetaEngine, tokens: list[bytes]) -> bytes:
    """``mn``: no-op; extra tokens are ignored."""
    return b"MN\r\n"


def me(engine: MetaEngine, tokens: list[bytes]) -> bytes:
    """``me <key> [b]``: item debug line (no LRU bump); counts cmd_meta."""
    key, _binary = parse_me(tokens)
    item = engine.store.get(key, bump=False)
    engine.counters.cmd_meta += 1
    if item is None:
        return b"EN\r\n"
    now = engine.clock()
    shown = b64_encode_key(item.key) if item.key_is_binary else item.key
    # remaining seconds (HEAD; 1.6.18 printed the negated value)
    exp = -1 if item.exptime == 0 else item.exptime - now
    return b"ME %s exp=%d la=%d cas=%d fetch=%s cls=%d size=%d\r\n" % (
        shown,
        exp,
        now - item.last_access,
        item.cas,
        b"yes" if item.fetched else b"no",
        item.slab_class,
        item.total_size,
    )


# --------------------------------------------------------------------------
# connection handlers and registration


def cmd_ms(conn: Connection, tokens: list[bytes]) -> bytes:
    """``ms``: validate the line, then read the data block into :func:`ms_complete`."""
    engine = conn.engine
    pending = ms_begin(engine, tokens)
    conn.read_data(pending.datalen, partial(ms_complete, engine, pending))
    return b""


def _bind(fn: EngineHandler) -> text.Handler:
    def handler(conn: Connection, tokens: list[bytes]) -> bytes:
        return fn(conn.engine, tokens)

    handler.__name__ = "cmd_" + fn.__name__
    handler.__doc__ = fn.__doc__
    return handler


cmd_mg = _bind(mg)
cmd_md = _bind(md)
cmd_ma = _bind(ma)
cmd_mn = _bind(mn)
cmd_me = _bind(me)

#: The meta commands, as connection handlers (``text.Handler``).
META_COMMANDS: Final[dict[bytes, text.Handler]] = {
    b"mg": cmd_mg,
    b"ms": cmd_ms,
    b"md": cmd_md,
    b"ma": cmd_ma,
    b"mn": cmd_mn,
    b"me": cmd_me,
}


def register(commands: MutableMapping[bytes, text.Handler] | None = None) -> None:
    """Add the meta handlers to a dispatch table (default: ``text.COMMANDS``)."""
    if commands is None:
        for name, handler in META_COMMANDS.items():
            text.register(name, handler)
    else:
        commands.update(META_COMMANDS)


register()

__all__ = [
    "META_COMMANDS",
    "PendingSet",
    "cmd_ma",
    "cmd_md",
    "cmd_me",
    "cmd_mg",
    "cmd_mn",
    "cmd_ms",
    "ma",
    "md",
    "me",
    "mg",
    "mn",
    "ms_begin",
    "ms_complete",
    "register",
]
