"""memcached semantics over ``slab.Store``: storage rules, TTLs, CAS, counters.

The engine is synchronous and I/O-free (no trio): one call is one atomic
operation. It does not know the wire format; ``protocol.text`` and
``protocol.meta`` parse requests, call these methods, and encode results.

Times: ``clock()`` gives whole seconds (unix time in the daemon). Client TTLs
go through :meth:`Engine.realtime` (memcached's ``realtime()``): 0 = never,
``<= 30 days`` relative, above that absolute unix time, negative = expired at
once (-1 is given to the store, which treats any past time as expired).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Final, Protocol

from memcached_py.settings import Settings
from memcached_py.stats import ServerCounters
from slab import Store, item_total_size
from slab._types import (
    Item,
    OutOfMemory,
    ReassignResult,
    SlabConfig,
    TooLarge,
)

if TYPE_CHECKING:
    from memcached_py.auth import AuthTable
    from memcached_py.protocol.connection import Connection
    from memcached_py.watch import WatchHub

#: 30 days: TTLs up to this are relative, above it absolute unix times.
REALTIME_MAXDELTA: Final = 60 * 60 * 24 * 30
U64_MASK: Final = (1 << 64) - 1


def wall_clock() -> int:
    """The store's and engine's clock: whole unix seconds.

    Defined here rather than in daemon.py so it is compiled with the request
    path: it runs several times per request.
    """
    return int(time.time())


def slab_config(settings: Settings) -> SlabConfig:
    """The store's configuration, taken from the daemon's settings."""
    return SlabConfig(
        memory_limit=settings.memory_limit,
        item_size_max=settings.max_item_size,
        chunk_min_size=settings.slab_min_size,
        growth_factor=settings.slab_growth_factor,
        slab_chunk_max=settings.slab_chunk_max,
        cas_enabled=not settings.disable_cas,
        evictions_enabled=not settings.disable_evictions,
        slab_reassign=settings.slab_reassign,
        slab_automove=settings.slab_automove,
        slab_automove_ratio=settings.slab_automove_ratio,
        slab_automove_window=settings.slab_automove_window,
        lru_segmented=settings.lru_segmented,
        hot_lru_pct=settings.hot_lru_pct,
        warm_lru_pct=settings.warm_lru_pct,
        hot_max_factor=settings.hot_max_factor,
        warm_max_factor=settings.warm_max_factor,
        temp_lru=settings.temp_lru,
        temporary_ttl=settings.temporary_ttl,
        track_sizes=settings.track_sizes,
    )


class ServerControl(Protocol):
    """What the engine needs from the server (implemented by ``server.Server``)."""

    def request_shutdown(self, graceful: bool) -> None: ...

    def refresh_certs(self) -> str | None: ...

    def connection_stats(self) -> list[tuple[str, str]]: ...

    def tls_stats(self) -> list[tuple[str, str]]: ...


class StoreAPI(Protocol):
    """The subset of ``slab.Store`` (slab/API.md) the engine uses."""

    automove: int
    config: SlabConfig

    on_evict: Callable[[Item, int], None] | None

    def get(self, key: bytes, *, bump: bool = True, count_hit: bool = False) -> Item | None: ...
    def get_value(self, key: bytes) -> tuple[int, bytes, int] | None: ...
    def contains(self, key: bytes) -> bool: ...
    def set(
        self,
        key: bytes,
        value: bytes,
        flags: int,
        exptime: int,
        *,
        cas: int | None = None,
        key_is_binary: bool = False,
        stale: bool = False,
        win_token_sent: bool = False,
        fetched: bool = False,
        keep_old_on_error: bool = False,
        count_set: bool = True,
    ) -> int: ...
    def delete(self, key: bytes) -> bool: ...
    def touch(self, key: bytes, exptime: int) -> Item | None: ...
    def update(
        self,
        key: bytes,
        *,
        exptime: int | None = None,
        cas: int | None = None,
        new_cas: bool = False,
        stale: bool | None = None,
        win_token_sent: bool | None = None,
    ) -> bool: ...
    def next_cas(self) -> int: ...
    def count(self, slab_class: int, stat: str) -> None: ...
    def flush_all(self, at: int | None = None) -> None: ...
    def crawl_step(self, budget: int = 1000) -> int: ...
    def maintain(self) -> None: ...
    def set_memory_limit(self, limit_bytes: int) -> bool: ...
    def reassign(self, src: int, dst: int) -> ReassignResult: ...
    def __len__(self) -> int: ...
    def items(self, slab_class: int | None = None) -> Iterator[Item]: ...
    def stats(self) -> dict[str, int]: ...
    def slab_stats(self) -> list[tuple[str, int]]: ...
    def item_stats(self) -> list[tuple[str, int]]: ...
    def size_stats(self) -> list[tuple[str, int]] | None: ...
    def reset_stats(self) -> None: ...


class Result(enum.IntEnum):
    """Outcome of a storage / delete / arithmetic / touch operation."""

    STORED = 0
    NOT_STORED = 1
    EXISTS = 2
    NOT_FOUND = 3
    TOO_LARGE = 4
    NO_MEMORY = 5
    DELETED = 6
    TOUCHED = 7
    NON_NUMERIC = 8


class Mode(enum.IntEnum):
    """Storage modes (classic command / meta ``M`` flag)."""

    SET = 0
    ADD = 1
    REPLACE = 2
    APPEND = 3
    PREPEND = 4
    CAS = 5


_CONCAT: Final = frozenset((Mode.APPEND, Mode.PREPEND))
_MODE_NAMES: Final = ("set", "add", "replace", "append", "prepend", "cas")
_STORE_STATUS: Final = {
    Result.STORED: "stored",
    Result.NOT_STORED: "not_stored",
    Result.EXISTS: "exists",
    Result.NOT_FOUND: "not_found",
    Result.TOO_LARGE: "too_large",
    Result.NO_MEMORY: "no_memory",
}


def parse_u64_value(value: bytes) -> int | None:
    """memcached ``safe_strtoull`` on an item's data; None = non-numeric."""
    n = len(value)
    i = 0
    while i < n and value[i] in b" \t\n\v\f\r":
        i += 1
    if i < n and value[i] == 0x2B:  # '+'
        i += 1
    j = i
    while j < n and 0x30 <= value[j] <= 0x39:
        j += 1
    if j == i:
        return None
    if j < n and value[j] not in b" \t\n\v\f\r":
        return None
    if j - i > 20:  # HEAD: more than 20 digits is non-numeric
        return None
    v = int(value[i:j])
    if v > U64_MASK:
        return None
    return v


class Engine:
    """memcached command semantics; see module docstring."""

    def __init__(
        self,
        settings: Settings,
        store: StoreAPI,
        clock: Callable[[], int],
        control: ServerControl | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        #: The same store when it is a ``slab.Store`` (always, but in tests
        #: that wrap one): compiled, calls through this typed attribute are
        #: native calls into the slab module, where calls through the
        #: ``StoreAPI`` protocol are Python calls (valgrind: ~150 instructions
        #: per key read, ~700 per set).
        self._slab: Store | None = store if isinstance(store, Store) else None
        self.clock = clock
        self.control = control
        self.counters = ServerCounters()
        self.auth: AuthTable | None = None
        self.started = clock()
        self.cas_enabled = not settings.disable_cas
        self.detail_enabled = settings.detail_enabled
        self.detail_delim = settings.stats_prefix_delimiter.encode() or b":"
        #: prefix -> [gets, hits, sets, deletes] for ``stats detail``
        self.detail: dict[bytes, list[int]] = {}
        self.oldest_live = 0
        self.watch: WatchHub | None = None  # set by watch.py when a watcher exists
        #: set by the server: called with a watching Connection that has new lines
        self.on_watch_data: Callable[[Connection], None] | None = None
        self.lru_crawler_enabled = settings.lru_crawler

    # ------------------------------------------------------------------ time
    def realtime(self, exptime: int) -> int:
        """Client TTL -> absolute store time (0 never, -1 already expired)."""
        if exptime == 0:
            return 0
        if exptime < 0:
            return -1
        if exptime > REALTIME_MAXDELTA:
            if exptime <= self.started:
                return -1
            return exptime
        return self.clock() + exptime

    def oldest_live_age(self) -> int:
        return 0 if not self.oldest_live else max(0, self.clock() - self.oldest_live)

    # ----------------------------------------------------------- detail stats
    def _detail(self, key: bytes, slot: int, hit: bool = False) -> None:
        i = key.find(self.detail_delim)
        if i < 0:
            return
        rec = self.detail.get(key[:i])
        if rec is None:
            rec = self.detail[key[:i]] = [0, 0, 0, 0]
        rec[slot] += 1
        if hit:
            rec[1] += 1

    def _watch_peek(self, key: bytes) -> None:
        """memcached logs an item_get for the lookup every mutation does."""
        if self.watch is not None:
            self.watch.fetch(key, self.store.get(key, bump=False), self.store)

    # ---------------------------------------------------------------- reads
    def get_value(self, key: bytes) -> tuple[int, bytes, int] | None:
        """The request-path read for get/gets: ``(flags, value, cas)`` or None.

        Same counting as :meth:`get`, without building an ``Item``.
        """
        if self.watch is not None or self.detail_enabled:
            item = self.get(key)
            return None if item is None else (item.flags, item.value, item.cas)
        slab_store = self._slab
        res = slab_store.get_value(key) if slab_store is not None else self.store.get_value(key)
        c = self.counters
        c.cmd_get += 1
        if res is None:
            c.get_misses += 1
        else:
            c.get_hits += 1
        return res

    def get(self, key: bytes) -> Item | None:
        """``get``/``gets`` for one key: counts cmd_get, get_hits/get_misses."""
        item = self.store.get(key, count_hit=True)
        c = self.counters
        c.cmd_get += 1
        if item is None:
            c.get_misses += 1
        else:
            c.get_hits += 1
        if self.detail_enabled:
            self._detail(key, 0, item is not None)
        if self.watch is not None:
            self.watch.fetch(key, item, self.store)
        return item

    def get_and_touch(self, key: bytes, exptime: int) -> Item | None:
        """``gat``/``gats`` for one key (``exptime`` already absolute): touch stats."""
        item = self.store.touch(key, exptime)
        c = self.counters
        c.cmd_touch += 1
        if item is None:
            c.touch_misses += 1
        else:
            c.touch_hits += 1
            self.store.count(item.slab_class, "touch_hits")
        if self.detail_enabled:
            self._detail(key, 0, item is not None)
        if self.watch is not None:
            self.watch.fetch(key, item, self.store)
        return item

    def touch(self, key: bytes, exptime: int) -> Result:
        """``touch`` (``exptime`` already absolute)."""
        self._watch_peek(key)
        item = self.store.touch(key, exptime)
        c = self.counters
        c.cmd_touch += 1
        if item is None:
            c.touch_misses += 1
            return Result.NOT_FOUND
        c.touch_hits += 1
        self.store.count(item.slab_class, "touch_hits")
        return Result.TOUCHED

    # --------------------------------------------------------------- writes
    def too_large(self, key: bytes, nbytes: int, flags: int = 0) -> bool:
        """Whether a value of ``nbytes`` can never fit (checked before reading data)."""
        total = item_total_size(len(key), nbytes, self.cas_enabled, flags)
        return total > self.settings.max_item_size

    def refuse_too_large(self, mode: Mode, key: bytes) -> None:
        """Count a too-large store refused before its data; ``set`` drops the old item."""
        self.counters.store_too_large += 1
        self.counters.cmd_set += 1
        if mode == Mode.SET:
            self.store.delete(key)
        if self.watch is not None:
            self.watch.store(key, _MODE_NAMES[mode], "too_large", 0, 0, 0)

    def store_item(
        self,
        mode: Mode,
        key: bytes,
        flags: int,
        exptime: int,
        value: bytes,
        compare_cas: int | None = None,
        *,
        new_cas: int | None = None,
        key_is_binary: bool = False,
    ) -> tuple[Result, int]:
        """Run one storage command (``exptime`` already absolute).

        ``compare_cas``: the ``cas`` command's unique (mode CAS), or meta's C
        flag with any mode. Returns (result, cas of the stored item or 0).
        """
        store = self.store
        c = self.counters
        c.cmd_set += 1
        if self.detail_enabled:
            self._detail(key, 2)
        if self.watch is not None:
            self._watch_peek(key)
        result = Result.STORED
        cas = 0
        try:
            if mode == Mode.SET and compare_cas is None:
                slab_store = self._slab
                if slab_store is not None:
                    cas = slab_store.set(
                        key, value, flags, exptime, cas=new_cas, key_is_binary=key_is_binary
                    )
                else:
                    cas = store.set(
                        key, value, flags, exptime, cas=new_cas, key_is_binary=key_is_binary
                    )
            elif mode == Mode.ADD:
                if store.contains(key):
                    result = Result.NOT_STORED
                else:
                    cas = store.set(
                        key, value, flags, exptime, cas=new_cas, key_is_binary=key_is_binary
                    )
            else:
                old = store.get(key, bump=False)
                if old is None:
                    if mode == Mode.CAS or (compare_cas is not None and mode == Mode.SET):
                        c.cas_misses += 1
                        result = Result.NOT_FOUND
                    else:
                        result = Result.NOT_STORED
                elif compare_cas is not None and (
                    compare_cas == 0 or not self.cas_enabled or old.cas != compare_cas
                ):
                    c.cas_badval += 1
                    store.count(old.slab_class, "cas_badval")
                    result = Result.EXISTS
                else:
                    if compare_cas is not None:
                        c.cas_hits += 1
                        store.count(old.slab_class, "cas_hits")
                    if mode == Mode.APPEND:
                        value = old.value + value
                        flags = old.flags
                        exptime = old.exptime
                    elif mode == Mode.PREPEND:
                        value = value + old.value
                        flags = old.flags
                        exptime = old.exptime
                    cas = store.set(
                        key,
                        value,
                        flags,
                        exptime,
                        cas=new_cas,
                        # memcached builds a new item from the command's own
                        # flags: a classic append drops the old binary-key mark
                        key_is_binary=key_is_binary,
                        # a failed append/prepend leaves the old item in place
                        keep_old_on_error=mode in _CONCAT,
                    )
        except TooLarge:
            # memcached: append/prepend whose combined item cannot be
            # allocated answer NOT_STORED (do_store_item's failed_alloc).
            # The store has counted store_too_large / store_no_memory.
            result = Result.NOT_STORED if mode in _CONCAT else Result.TOO_LARGE
        except OutOfMemory:
            result = Result.NOT_STORED if mode in _CONCAT else Result.NO_MEMORY
        if self.watch is not None:
            stored = store.get(key, bump=False) if result == Result.STORED else None
            self.watch.store(
                key,
                _MODE_NAMES[mode],
                _STORE_STATUS[result],
                exptime - self.clock() if exptime > 0 else 0,
                len(value),
                stored.slab_class if stored is not None else 0,
            )
        return result, cas

    def delete(self, key: bytes) -> Result:
        store = self.store
        item = store.get(key, bump=False)
        if self.watch is not None:
            self.watch.fetch(key, item, store)
        c = self.counters
        if self.detail_enabled:
            self._detail(key, 3)
        if item is None or not store.delete(key):
            c.delete_misses += 1
            return Result.NOT_FOUND
        c.delete_hits += 1
        store.count(item.slab_class, "delete_hits")
        if self.watch is not None:
            self.watch.deleted(key, "delete", item)
        return Result.DELETED

    def arithmetic(
        self,
        key: bytes,
        incr: bool,
        delta: int,
        compare_cas: int | None = None,
        *,
        new_cas: int | None = None,
    ) -> tuple[Result, int, Item | None]:
        """incr/decr: (result, new value, old item). u64 wrap on incr, floor 0 on decr.

        The new value is written in place (padded with spaces to the old length)
        when it is not longer than the old data, as memcached does.
        """
        store = self.store
        c = self.counters
        item = store.get(key, bump=False)
        if self.watch is not None:
            self.watch.fetch(key, item, store)
        if item is None:
            if incr:
                c.incr_misses += 1
            else:
                c.decr_misses += 1
            return Result.NOT_FOUND, 0, None
        if compare_cas is not None and compare_cas != item.cas:
            return Result.EXISTS, 0, item
        old = parse_u64_value(item.value)
        if old is None:
            return Result.NON_NUMERIC, 0, item
        if incr:
            new = (old + delta) & U64_MASK
            c.incr_hits += 1
            store.count(item.slab_class, "incr_hits")
        else:
            new = old - delta if delta < old else 0
            c.decr_hits += 1
            store.count(item.slab_class, "decr_hits")
        digits = b"%d" % new
        data = digits
        # memcached rewrites the number in place (padded with spaces) when it
        # fits; the item keeps its binary-key mark and fetched bit only then,
        # since a longer number goes into a freshly allocated item.
        in_place = len(digits) <= len(item.value)
        if len(digits) < len(item.value):
            data = digits.ljust(len(item.value))
        try:
            store.set(
                key,
                data,
                item.flags,
                item.exptime,
                cas=new_cas,
                key_is_binary=item.key_is_binary and in_place,
                fetched=item.fetched and in_place,
                count_set=False,  # memcached counts only clients' stores per class
            )
        except TooLarge:
            return Result.TOO_LARGE, 0, item
        except OutOfMemory:
            return Result.NO_MEMORY, 0, item
        return Result.STORED, new, item

    def flush_all(self, delay: int) -> None:
        """``flush_all [delay]``: delay <= 0 = now; caller checks -F and counts."""
        if delay > 0:
            at = self.realtime(delay)
            self.store.flush_all(at)
            self.oldest_live = at
        else:
            self.store.flush_all(None)
            self.oldest_live = self.clock()

    # ------------------------------------------------------------- settings
    def update_settings(self, **changes: object) -> None:
        self.settings = self.settings.replace(**changes)

    def set_memory_limit(self, megabytes: int) -> bool:
        if not self.store.set_memory_limit(megabytes * 1024 * 1024):
            return False
        self.update_settings(memory_limit=megabytes * 1024 * 1024)
        return True

    def reset_stats(self) -> None:
        self.counters.reset()
        self.store.reset_stats()
        self.detail.clear()
