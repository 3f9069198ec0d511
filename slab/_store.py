"""The store: items in slab chunks, the key index, segmented LRU, expiry, flush,
eviction, page moves (slab automove / ``slabs reassign``) and statistics.

Memory model: every byte of an item (metadata, key, value) lives in a chunk
of a slab page (see ``_layout``); the index (``_index``) maps keys to chunk
refs with 8 bytes per slot; LRU links live in the chunk headers (``_lru``).
No Python object is kept per item.

Invariants (``_check_invariants`` asserts all of them):

* pages in use never exceed ``memory_limit // page_size``;
* per class ``used_chunks + free_chunks == total_chunks``; no chunk is both
  free and used, and no chunk belongs to two items;
* every indexed item reads back with the key it is indexed under, is on
  exactly one LRU list of its class, and ``bytes`` / ``mem_requested`` are
  the sums of the accounted sizes of the linked items.

Liveness: an item is *dead* when ``exptime != 0 and exptime <= now``
(expired) or when a flush covers it (flushed): ``seq <= flush_seq``
(immediate flush: everything stored before that call), or
``time_set <= flush_time`` (a delayed flush whose time has come).  Dead
items are removed lazily on access, by the crawler, or at the LRU tail.

Page moves, default policy (``automove`` level 3, this store's own): when a
class must evict and the budget has no page left, a page moves to it at once
if another class's next eviction candidate is much older
(``donor_age >= own_age * AUTOMOVE_AGE_RATIO + AUTOMOVE_AGE_SLACK``) -- an
approximation of one global LRU -- or if another class holds a page with no
used chunk, or if the class has no page at all.  Levels 0 (manual only),
1 (memcached's windowed decision in ``maintain()``) and 2 (move on every
eviction toward the oldest class) are available too.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Callable, Iterator
from struct import Struct
from typing import Final, cast

from librt.vecs import vec
from mypy_extensions import i64

from slab._allocator import MAX_PAGES, Allocator, budget_pages
from slab._clock import CachedClock
from slab._config import (
    FLAGS_SIZE,
    KEY_TERMINATOR_SIZE,
    VALUE_TERMINATOR_SIZE,
    ClassTable,
)
from slab._index import ItemIndex, key_hash
from slab._layout import (
    ACTIVE,
    BINARY_KEY,
    BODY,
    BODY_WITH_CAS,
    CHUNKED,
    COLD,
    DATA_HEADER_SIZE,
    F_ATIME,
    F_BITS,
    F_CAS,
    F_EXPTIME,
    F_FLAGS,
    F_KEYLEN,
    F_LRU,
    F_NBYTES,
    F_SEQ,
    F_TIME_SET,
    FETCHED,
    HEADER,
    HEADER_SIZE,
    HEADER_SIZE_WITH_CAS,
    HEADER_WITH_CAS,
    HOT,
    INT32,
    INT64,
    KIND_DATA,
    KIND_ITEM,
    OFF_ATIME,
    OFF_BITS,
    OFF_CAS,
    OFF_EXPTIME,
    OFF_OWNER,
    OFF_TIME_SET,
    SEGMENTS,
    STALE,
    TEMP,
    UINT32,
    UINT32_MAX,
    WARM,
    WIN_SENT,
    clamp_exptime,
)
from slab._lru import SegmentedLru
from slab._types import (
    CAS_SIZE,
    ITEM_HEADER_SIZE,
    KEY_MAX_LENGTH,
    Item,
    OutOfMemory,
    ReassignResult,
    SlabConfig,
    TooLarge,
)

#: Automove level of this store's own policy (the default).
AUTOMOVE_FOLLOW_SHIFTS: Final = 3
#: Highest automove level.
AUTOMOVE_MAX_LEVEL: Final = 3
#: Level 3: move a page when the donor's eviction candidate is this much older...
AUTOMOVE_AGE_RATIO: Final = 1.5
#: ... plus this many seconds (hysteresis against ping-pong on a 1 s clock).
AUTOMOVE_AGE_SLACK: Final = 2
#: Level 3: re-examine donors every this many evictions of a class.
AUTOMOVE_CHECK_EVERY: Final = 16
#: Level 1 (memcached's): a donor keeps at least this many pages.
AUTOMOVE_MIN_DONOR_PAGES: Final = 2
#: ACTIVE items rescued from the COLD tail (to WARM) per eviction at most.
#: Hits only set a bit; the move happens here (and in ``maintain``), amortized
#: O(1) per hit since each rescue consumes one ACTIVE bit; the bound caps the
#: stall of one set at a few milliseconds.
EVICT_TRIES: Final = 1000
#: LRU steps one eviction may take (rescues, HOT/WARM -> COLD moves) at most.
EVICT_SEARCH_LIMIT: Final = EVICT_TRIES + 64
# Outcomes of one LRU tail step.
NOTHING: Final = 0
MOVED: Final = 1
RECLAIMED: Final = 2
#: Attempts at finding memory for one chunk before giving up with OutOfMemory.
ALLOC_ATTEMPTS: Final = 64
#: LRU tail steps per class per ``maintain()`` call.
MAINTAIN_STEPS_PER_CLASS: Final = 200
#: Old index slots moved per ``maintain()`` call while the index grows.
MIGRATE_PER_MAINTAIN: Final = 1 << 16
#: memcached's ``stats sizes`` bucket width.
SIZES_BUCKET: Final = 32

_ITEM_STATS: Final = (
    "evicted",
    "evicted_nonzero",
    "evicted_time",
    "outofmemory",
    "tailrepairs",
    "reclaimed",
    "expired_unfetched",
    "evicted_unfetched",
    "evicted_active",
    "crawler_reclaimed",
    "crawler_items_checked",
    "lrutail_reflocked",
    "moves_to_cold",
    "moves_to_warm",
    "moves_within_lru",
    "direct_reclaims",
)
_SLAB_COUNTS: Final = (
    "cmd_set",
    "delete_hits",
    "incr_hits",
    "decr_hits",
    "cas_hits",
    "cas_badval",
    "touch_hits",
)
_GLOBAL_COUNTS: Final = (
    "total_items",
    "get_expired",
    "get_flushed",
    "slabs_moved",
    "lru_maintainer_juggles",
    "store_too_large",
    "store_no_memory",
    "slab_reassign_rescues",
    "slab_reassign_chunk_rescues",
    "slab_reassign_evictions_nomem",
    "slab_reassign_inline_reclaim",
    "slab_reassign_busy_items",
    "slab_reassign_busy_deletes",
    "direct_reclaims",
    "lru_bumps_dropped",
)


class Store:
    """Memory-bounded item store; see slab/API.md for the contract."""

    def __init__(self, config: SlabConfig, clock: Callable[[], int]) -> None:
        self.config = config
        self._clock = clock
        #: set when the clock is a CachedClock: read as an attribute (see _now)
        self._cached_clock: CachedClock | None = clock if isinstance(clock, CachedClock) else None
        self.automove: int = config.slab_automove
        self._classes = classes = ClassTable(config)
        self._largest = classes.largest
        self._class_lookup = classes.lookup
        self._chunk_max = config.slab_chunk_max
        self._item_size_max = config.item_size_max
        self._alloc = alloc = Allocator(classes, config.page_size, config.memory_limit)
        self._pages = alloc.pages
        self._shift = alloc.page_shift
        self._omask = alloc.offset_mask
        self._cas_enabled = config.cas_enabled
        self._cas_size = CAS_SIZE if config.cas_enabled else 0
        #: accounted bytes of an item besides its key, value and flags suffix
        self._fixed_size = (
            ITEM_HEADER_SIZE + KEY_TERMINATOR_SIZE + VALUE_TERMINATOR_SIZE + self._cas_size
        )
        self._hdr = HEADER_SIZE_WITH_CAS if config.cas_enabled else HEADER_SIZE
        self._header = HEADER_WITH_CAS if config.cas_enabled else HEADER
        self._body = BODY_WITH_CAS if config.cas_enabled else BODY
        # Bound once: a compiled call through an attribute skips the method
        # lookup that ``self._header.unpack_from(...)`` pays on every read.
        # Typed as ints so compiled code keeps the fields unboxed (Any would
        # make every comparison and bit test a generic Python operation).
        self._unpack_header: Callable[[mmap.mmap, int], tuple[int, ...]] = self._header.unpack_from
        #: per key length: unpack_from of the header followed by the key (get_value)
        self._keyed_unpack: list[Callable[[mmap.mmap, int], tuple[object, ...]] | None] = [None] * (
            KEY_MAX_LENGTH + 1
        )
        self._key_field = len(self._header.unpack(bytes(self._header.size)))
        self._page_size = config.page_size
        self._lru = SegmentedLru(alloc.pages, alloc.words, alloc.page_shift, classes.largest)
        self._index = ItemIndex(
            alloc.pages, alloc.page_shift, alloc.max_pages.bit_length(), self._hdr
        )
        self._segmented = config.lru_segmented
        self._temp_lru = config.temp_lru
        #: chunks per page * hot_lru_pct, per class (HOT's share is per 100 chunks)
        self._hot_share = [n * config.hot_lru_pct for n in classes.chunks_per_page]
        self._full_data = config.slab_chunk_max - DATA_HEADER_SIZE
        self._cas_counter = 0
        #: Called with a snapshot of every evicted item and the clock (the
        #: daemon's ``watch evictions``); None costs nothing per eviction.
        self.on_evict: Callable[[Item, int], None] | None = None
        self._seq = 0
        self._flush_seq = 0  # items with seq <= this are flushed
        self._flush_time = -1  # items with time_set <= this are flushed
        self._flush_at = 0  # pending delayed flush (0 = none)
        self._bytes = 0
        self._pinned: set[int] = set()
        self._crawl_page = 1
        self._crawl_chunk = 0
        self._reassign_cursor = 0
        self._automove_countdown = [0] * (classes.largest + 1)
        self._window: list[list[tuple[int, bool]]] = [[] for _ in range(classes.largest + 1)]
        self._window_evicted = [0] * (classes.largest + 1)
        n = classes.largest + 1
        self._mem_requested = [0] * n
        self._item_stats = {name: [0] * n for name in _ITEM_STATS}
        self._slab_counts = {name: [0] * n for name in _SLAB_COUNTS}
        self._counts = dict.fromkeys(_GLOBAL_COUNTS, 0)
        #: hits per lru id; a vec: compiled, ``+= 1`` on a list element is a
        #: generic Python add, on a vec[i64] a machine add (one per key read)
        self._hits = vec[i64]([0] * (n * SEGMENTS))
        self._cmd_set = self._slab_counts["cmd_set"]
        self._sizes: dict[int, int] | None = {} if config.track_sizes else None

    # =====================================================================
    # reads
    # =====================================================================
    def _now(self) -> int:
        cached = self._cached_clock
        return cached.now if cached is not None else self._clock()

    def get_value(self, key: bytes) -> tuple[int, bytes, int] | None:
        """``(flags, value, cas)`` of a live item, with the side effects of
        ``get(key, bump=True)``; the request path's fast read.

        One ``struct`` call reads a candidate's header and key together (the
        index keeps only a few hash bits per entry, so the key decides),
        where ``ItemIndex.find`` would slice the key out first (valgrind:
        ~1,000 instructions less per hit).
        """
        klen = len(key)
        if klen > KEY_MAX_LENGTH:  # no unpacker prebuilt for it: the general path
            item = self.get(key, count_hit=True)
            return None if item is None else (item.flags, item.value, item.cas)
        unpack = self._keyed_unpack[klen]
        if unpack is None:
            unpack = Struct(f"{self._header.format}{klen}s").unpack_from
            self._keyed_unpack[klen] = unpack
        index = self._index
        h = key_hash(key)
        last_off = self._page_size - self._hdr - klen  # a key of klen bytes fits
        key_field = self._key_field
        slot = index.first_match(h)
        while True:
            if slot == -1:
                return None
            ref = index.ref_at(slot)
            off = ref & self._omask
            if off <= last_off:
                page = self._pages[ref >> self._shift]
                assert page is not None
                hdr = unpack(page, off)
                if cast(bytes, hdr[key_field]) == key and cast(int, hdr[F_KEYLEN]) == klen:
                    break
            slot = index.next_match(h, slot)
        now = self._now()
        exptime = cast(int, hdr[F_EXPTIME])
        if (
            (exptime and exptime <= now)
            or cast(int, hdr[F_SEQ]) <= self._flush_seq
            or cast(int, hdr[F_TIME_SET]) <= self._flush_time
            or (
                self._flush_at
                and self._is_flushed(cast(int, hdr[F_SEQ]), cast(int, hdr[F_TIME_SET]), now)
            )
        ):
            self._lazy_remove(slot, ref, exptime, now)
            return None
        bits = cast(int, hdr[F_BITS])
        lru = cast(int, hdr[F_LRU])
        if bits & CHUNKED:
            value = self._read_chunked(page, off, self._unpack_header(page, off))
        else:
            vs = off + self._hdr + klen
            value = page[vs : vs + cast(int, hdr[F_NBYTES])]
        if not bits & ACTIVE or not self._segmented:  # else _bump writes nothing: skip the call
            self._bump(page, off, bits, lru, cast(int, hdr[F_ATIME]), now)
        self._hits[lru] += 1
        return cast(int, hdr[F_FLAGS]), value, cast(int, hdr[F_CAS]) if self._cas_enabled else 0

    def get(self, key: bytes, *, bump: bool = True, count_hit: bool = False) -> Item | None:
        found = self._find_live(key)
        if found is None:
            return None
        _slot, _ref, page, off, hdr, now = found
        item = self._snapshot(page, off, hdr, key)
        if bump:
            self._bump(page, off, hdr[F_BITS], hdr[F_LRU], hdr[F_ATIME], now)
        if count_hit:
            self._hits[hdr[F_LRU]] += 1
        return item

    def contains(self, key: bytes) -> bool:
        slot = self._index.find(key, key_hash(key))
        if slot == -1:
            return False
        ref = self._index.ref_at(slot)
        page = self._pages[ref >> self._shift]
        assert page is not None
        off = ref & self._omask
        return not self._is_dead(self._unpack_header(page, off), self._now())

    # =====================================================================
    # writes
    # =====================================================================
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
    ) -> int:
        flags &= UINT32_MAX  # client flags are u32 (memcached truncates mod 2**32)
        klen = len(key)
        vlen = len(value)
        total = (
            ITEM_HEADER_SIZE
            + klen
            + KEY_TERMINATOR_SIZE
            + vlen
            + VALUE_TERMINATOR_SIZE
            + self._cas_size
            + (FLAGS_SIZE if flags else 0)
        )
        h = key_hash(key)
        index = self._index
        if not keep_old_on_error:
            # Free the old item first: its chunk can take the new one.
            slot = index.find(key, h)
            if slot != -1:
                self._remove(slot, index.ref_at(slot))
        if total > self._item_size_max:
            self._counts["store_too_large"] += 1
            raise TooLarge(f"item of {total} bytes exceeds item_size_max")
        now = self._now()
        if self._cas_enabled:
            if cas is None:
                self._cas_counter += 1
                cas = self._cas_counter
        else:
            cas = 0
        self._seq += 1
        bits = KIND_ITEM
        if key_is_binary:
            bits |= BINARY_KEY
        if stale:
            bits |= STALE
        if win_token_sent:
            bits |= WIN_SENT
        if fetched:
            bits |= FETCHED
        ko = self._hdr
        try:
            if total <= self._chunk_max:
                cls = self._class_lookup[(total + 7) >> 3]
                ref = self._alloc.alloc(cls) or self._alloc_slow(cls)
                page = self._pages[ref >> self._shift]
                assert page is not None
                off = ref & self._omask
                vs = off + ko + klen
                page[off + ko : vs] = key
                page[vs : vs + vlen] = value
            else:
                cls = self._largest
                ref = self._store_chunked(key, value)
                page = self._pages[ref >> self._shift]
                assert page is not None
                off = ref & self._omask
                bits |= CHUNKED
        except OutOfMemory:
            self._counts["store_no_memory"] += 1
            self._item_stats["outofmemory"][
                self._classes.class_for(min(total, self._chunk_max))
            ] += 1
            raise
        if self._temp_lru and exptime and exptime - now <= self.config.temporary_ttl:
            seg = TEMP
        else:
            seg = HOT if self._segmented else COLD
        lru = cls << 2 | seg
        t = now & UINT32_MAX
        if self._cas_enabled:
            self._body.pack_into(
                page, off + 16, self._seq, clamp_exptime(exptime), t, t, flags,
                vlen, klen, bits, lru, 0, cas,
            )  # fmt: skip
        else:
            self._body.pack_into(
                page, off + 16, self._seq, clamp_exptime(exptime), t, t, flags,
                vlen, klen, bits, lru, 0,
            )  # fmt: skip
        if keep_old_on_error:
            slot = index.find(key, h)
            if slot != -1:
                self._remove(slot, index.ref_at(slot))
        self._lru.link_head(ref, lru)
        index.insert(h, ref)
        self._bytes += total
        self._mem_requested[cls] += total
        if count_set:
            self._cmd_set[cls] += 1
        self._counts["total_items"] += 1
        if self._sizes is not None:
            bucket = (total + SIZES_BUCKET - 1) // SIZES_BUCKET * SIZES_BUCKET
            self._sizes[bucket] = self._sizes.get(bucket, 0) + 1
        if seg == HOT and self._lru.counts[cls << 2] * 100 > (
            len(self._alloc.class_pages[cls]) * self._hot_share[cls]
        ):
            self._pull_hot(cls, now, force=False)
        return cas

    def delete(self, key: bytes) -> bool:
        found = self._find_live(key)
        if found is None:
            return False
        self._remove(found[0], found[1])
        return True

    def touch(self, key: bytes, exptime: int) -> Item | None:
        found = self._find_live(key)
        if found is None:
            return None
        _slot, _ref, page, off, hdr, now = found
        item = self._snapshot(page, off, hdr)
        INT32.pack_into(page, off + OFF_EXPTIME, clamp_exptime(exptime))
        self._bump(page, off, hdr[F_BITS], hdr[F_LRU], hdr[F_ATIME], now)
        return item

    def update(
        self,
        key: bytes,
        *,
        exptime: int | None = None,
        cas: int | None = None,
        new_cas: bool = False,
        stale: bool | None = None,
        win_token_sent: bool | None = None,
    ) -> bool:
        found = self._find_live(key)
        if found is None:
            return False
        _slot, _ref, page, off, _hdr, now = found
        if exptime is not None:
            INT32.pack_into(page, off + OFF_EXPTIME, clamp_exptime(exptime))
        if self._cas_enabled and (new_cas or cas is not None):
            if cas is None:
                self._cas_counter += 1
                cas = self._cas_counter
            INT64.pack_into(page, off + OFF_CAS, cas)
            UINT32.pack_into(page, off + OFF_TIME_SET, now & UINT32_MAX)
        bits = page[off + OFF_BITS]
        if stale is not None:
            bits = bits | STALE if stale else bits & ~STALE
        if win_token_sent is not None:
            bits = bits | WIN_SENT if win_token_sent else bits & ~WIN_SENT
        page[off + OFF_BITS] = bits
        return True

    def next_cas(self) -> int:
        if not self._cas_enabled:
            return 0
        self._cas_counter += 1
        return self._cas_counter

    def count(self, slab_class: int, stat: str) -> None:
        counter = self._slab_counts.get(stat)
        if counter is not None and 0 < slab_class < len(counter):
            counter[slab_class] += 1

    # =====================================================================
    # flush / expiry
    # =====================================================================
    def flush_all(self, at: int | None = None) -> None:
        now = self._now()
        self._promote_flush(now)
        if at is None or at <= now:
            self._flush_seq = self._seq
            self._flush_at = 0
        else:
            self._flush_at = at

    def crawl_step(self, budget: int = 1000) -> int:
        """Examine up to ``budget`` items in page order; reclaim the dead ones."""
        now = self._now()
        self._promote_flush(now)
        alloc = self._alloc
        pages = self._pages
        checked_stat = self._item_stats["crawler_items_checked"]
        reclaimed_stat = self._item_stats["crawler_reclaimed"]
        unfetched_stat = self._item_stats["expired_unfetched"]
        reclaimed = 0
        checked = 0
        visits = 0
        max_visits = max(budget, 1) * 8
        n_ids = len(pages)
        while checked < budget and visits < max_visits:
            pid = self._crawl_page
            if pid >= n_ids:
                self._crawl_page = 1
                self._crawl_chunk = 0
                if n_ids <= 1:
                    break
                visits += 1
                continue
            page = pages[pid]
            cls = alloc.page_class[pid]
            if page is None or not cls or not alloc.page_used[pid]:
                self._crawl_page += 1
                self._crawl_chunk = 0
                visits += 1
                continue
            size = self._classes.sizes[cls]
            per_page = self._classes.chunks_per_page[cls]
            chunk = self._crawl_chunk
            while chunk < per_page and checked < budget and visits < max_visits:
                off = chunk * size
                chunk += 1
                visits += 1
                if page[off + OFF_BITS] & KIND_ITEM:
                    hdr = self._unpack_header(page, off)
                    lcls = hdr[F_LRU] >> 2
                    checked += 1
                    checked_stat[lcls] += 1
                    if self._is_dead(hdr, now):
                        if not hdr[F_BITS] & FETCHED:
                            unfetched_stat[lcls] += 1
                        reclaimed_stat[lcls] += 1
                        reclaimed += 1
                        self._remove_ref((pid << self._shift) | off, page, off, hdr)
            if chunk >= per_page:
                self._crawl_page += 1
                self._crawl_chunk = 0
            else:
                self._crawl_chunk = chunk
        return reclaimed

    def maintain(self) -> None:
        """Index growth steps, LRU juggling for every class, then the level-1
        automove decision."""
        now = self._now()
        self._promote_flush(now)
        self._index.migrate(MIGRATE_PER_MAINTAIN)
        if self._segmented:
            for cls in range(1, self._largest + 1):
                if self._alloc.class_pages[cls] or self._class_items(cls):
                    self._juggle(cls, now)
        if self.automove == 1 and self.config.slab_reassign:
            self._automove_windowed(now)

    # =====================================================================
    # memory
    # =====================================================================
    def set_memory_limit(self, limit_bytes: int) -> bool:
        page_size = self.config.page_size
        if limit_bytes < page_size or limit_bytes // page_size > MAX_PAGES:
            return False
        alloc = self._alloc
        alloc.max_pages = budget_pages(limit_bytes, page_size)
        self._index.widen(alloc.max_pages.bit_length())  # page ids stay <= max_pages
        now = self._now()
        while alloc.pages_in_use > alloc.max_pages:
            pid = self._page_to_release(now)
            if not pid:
                return False
            self._evacuate(pid, now, rescue=True)
            alloc.release_page(pid)
        return True

    def reassign(self, src: int, dst: int) -> ReassignResult:
        if src == dst:
            return ReassignResult.SAME
        largest = self._largest
        if src == -1:
            src = self._pick_any(dst)
        if not (0 <= src <= largest and 0 <= dst <= largest):
            return ReassignResult.BADCLASS
        if src == 0 or len(self._alloc.class_pages[src]) < 2:
            return ReassignResult.NOSPARE
        pid = self._cheapest_page(src)
        if not pid:
            return ReassignResult.BUSY
        self._move_page(pid, dst, self._now())
        return ReassignResult.OK

    # =====================================================================
    # introspection
    # =====================================================================
    def __len__(self) -> int:
        return self._index.count

    def items(self, slab_class: int | None = None) -> Iterator[Item]:
        now = self._now()
        alloc = self._alloc
        for pid in range(1, len(self._pages)):
            page = self._pages[pid]
            cls = alloc.page_class[pid]
            if page is None or not cls:
                continue
            for ref in list(alloc.chunk_refs(pid)):
                off = ref & self._omask
                if page.closed or not page[off + OFF_BITS] & KIND_ITEM:
                    continue
                hdr = self._unpack_header(page, off)
                if slab_class is not None and hdr[F_LRU] >> 2 != slab_class:
                    continue
                if self._is_dead(hdr, now):
                    continue
                yield self._snapshot(page, off, hdr)

    def stats(self) -> dict[str, int]:
        st = self._item_stats
        alloc = self._alloc
        out = dict(self._counts)
        out.update(
            bytes=self._bytes,
            curr_items=self._index.count,
            evictions=sum(st["evicted"]),
            evicted_unfetched=sum(st["evicted_unfetched"]),
            evicted_active=sum(st["evicted_active"]),
            expired_unfetched=sum(st["expired_unfetched"]),
            reclaimed=sum(st["reclaimed"]),
            crawler_reclaimed=sum(st["crawler_reclaimed"]),
            crawler_items_checked=sum(st["crawler_items_checked"]),
            moves_to_cold=sum(st["moves_to_cold"]),
            moves_to_warm=sum(st["moves_to_warm"]),
            moves_within_lru=sum(st["moves_within_lru"]),
            lrutail_reflocked=0,
            slab_global_page_pool=0,
            total_malloced=alloc.total_malloced,
            limit_maxbytes=alloc.max_pages * self.config.page_size,
            hash_power_level=self._index.hash_power,
            hash_bytes=self._index.hash_bytes,
            hash_is_expanding=int(self._index.growing),
            slab_reassign_running=0,
            malloc_fails=0,
            active_slabs=sum(1 for pages in alloc.class_pages if pages),
        )
        return out

    def slab_stats(self) -> list[tuple[str, int]]:
        alloc = self._alloc
        classes = self._classes
        counts = self._slab_counts
        out: list[tuple[str, int]] = []
        active = 0
        for cls in range(1, self._largest + 1):
            n_pages = len(alloc.class_pages[cls])
            if not n_pages:
                continue
            active += 1
            per_page = classes.chunks_per_page[cls]
            total = n_pages * per_page
            used = alloc.used_chunks[cls]
            hits = 0
            for lru_id in range(cls << 2, (cls << 2) + SEGMENTS):
                hits += self._hits[lru_id]
            out += [
                (f"{cls}:chunk_size", classes.sizes[cls]),
                (f"{cls}:chunks_per_page", per_page),
                (f"{cls}:total_pages", n_pages),
                (f"{cls}:total_chunks", total),
                (f"{cls}:used_chunks", used),
                (f"{cls}:free_chunks", total - used),
                (f"{cls}:free_chunks_end", 0),
                (f"{cls}:get_hits", hits),
            ]
            out += [(f"{cls}:{name}", counts[name][cls]) for name in _SLAB_COUNTS]
        out.append(("active_slabs", active))
        out.append(("total_malloced", alloc.total_malloced))
        return out

    def item_stats(self) -> list[tuple[str, int]]:
        now = self._now()
        counts = self._lru.counts
        st = self._item_stats
        out: list[tuple[str, int]] = []
        for cls in range(1, self._largest + 1):
            b = cls << 2
            number = counts[b] + counts[b | WARM] + counts[b | COLD] + counts[b | TEMP]
            if not number:
                continue
            p = f"items:{cls}:"
            out.append((p + "number", number))
            if self._segmented:
                out += [
                    (p + "number_hot", counts[b]),
                    (p + "number_warm", counts[b | WARM]),
                    (p + "number_cold", counts[b | COLD]),
                ]
                if self.config.temp_lru:
                    out.append((p + "number_temp", counts[b | TEMP]))
                out += [
                    (p + "age_hot", self._tail_age(b | HOT, now)),
                    (p + "age_warm", self._tail_age(b | WARM, now)),
                ]
            out.append((p + "age", self._tail_age(b | COLD, now)))
            out.append((p + "mem_requested", self._mem_requested[cls]))
            out += [(p + name, st[name][cls]) for name in _ITEM_STATS]
            out += [
                (p + "hits_to_hot", self._hits[b]),
                (p + "hits_to_warm", self._hits[b | WARM]),
                (p + "hits_to_cold", self._hits[b | COLD]),
                (p + "hits_to_temp", self._hits[b | TEMP]),
            ]
        return out

    def size_stats(self) -> list[tuple[str, int]] | None:
        if self._sizes is None:
            return None
        return [(str(size), n) for size, n in sorted(self._sizes.items()) if n]

    def reset_stats(self) -> None:
        for table in (self._item_stats, self._slab_counts):
            for counter in table.values():
                counter[:] = [0] * len(counter)
        for name in self._counts:
            self._counts[name] = 0
        self._hits = vec[i64]([0] * len(self._hits))

    # =====================================================================
    # debugging
    # =====================================================================
    def _check_invariants(self) -> None:
        """Assert every invariant of the module docstring (slow; for tests)."""
        alloc = self._alloc
        alloc.check()
        self._lru.check()
        hash_of_ref: dict[int, int] = {}
        owner_of_chunk: dict[int, int] = {}  # data chunk -> owner, as the chunk says
        listed_by: dict[int, int] = {}  # data chunk -> item whose chunk list has it
        total_bytes = 0
        requested = [0] * (self._largest + 1)
        ko = self._hdr
        for pid in range(1, len(self._pages)):
            page = self._pages[pid]
            if page is None or not alloc.page_class[pid]:
                continue
            assert pid not in self._pinned, "page left pinned"
            for ref in alloc.chunk_refs(pid):
                off = ref & self._omask
                bits = page[off + OFF_BITS]
                if bits & KIND_DATA:
                    owner_of_chunk[ref] = INT64.unpack_from(page, off + OFF_OWNER)[0]
                if not bits & KIND_ITEM:
                    continue
                hdr = self._unpack_header(page, off)
                klen = hdr[F_KEYLEN]
                key = page[off + ko : off + ko + klen]
                hash_of_ref[ref] = key_hash(key)
                slot = self._index.find(key, key_hash(key))
                assert slot != -1 and self._index.ref_at(slot) == ref, "item not indexed"
                total = self._accounted(hdr)
                total_bytes += total
                requested[hdr[F_LRU] >> 2] += total
                if hdr[F_BITS] & CHUNKED:
                    assert hdr[F_LRU] >> 2 == self._largest
                    for data_ref in self._data_refs(page, off, hdr):
                        dpage = self._pages[data_ref >> self._shift]
                        assert dpage is not None
                        doff = data_ref & self._omask
                        assert dpage[doff + OFF_BITS] & KIND_DATA, "data chunk not marked"
                        assert data_ref not in listed_by, "chunk owned twice"
                        listed_by[data_ref] = ref
                else:
                    cls = self._classes.class_for(total)
                    assert alloc.page_class[pid] == cls, "item in the wrong class"
                    value = page[off + ko + klen : off + ko + klen + hdr[F_NBYTES]]
                    assert len(value) == hdr[F_NBYTES], "value truncated"
        assert owner_of_chunk == listed_by, "data chunks and item chunk lists disagree"
        self._index.check(hash_of_ref)
        assert sum(self._lru.counts) == self._index.count, "lru vs index count"
        assert total_bytes == self._bytes, f"bytes {self._bytes} != {total_bytes}"
        assert requested == self._mem_requested, "mem_requested"
        assert alloc.pages_in_use <= alloc.max_pages, "over budget"

    # =====================================================================
    # internals: lookup, snapshot, bump
    # =====================================================================
    def _find_live(
        self, key: bytes
    ) -> tuple[int, int, mmap.mmap, int, tuple[int, ...], int] | None:
        """Where ``key``'s live item is: (slot, ref, page, offset, header, now);
        an expired or flushed item is removed on the way (lazy expiry)."""
        index = self._index
        slot = index.find(key, key_hash(key))
        if slot == -1:
            return None
        ref = index.ref_at(slot)
        page = self._pages[ref >> self._shift]
        assert page is not None
        off = ref & self._omask
        hdr = self._unpack_header(page, off)
        now = self._now()
        exptime = hdr[F_EXPTIME]
        if (exptime and exptime <= now) or self._is_flushed(hdr[F_SEQ], hdr[F_TIME_SET], now):
            self._lazy_remove(slot, ref, exptime, now)
            return None
        return slot, ref, page, off, hdr, now

    def _lazy_remove(self, slot: int, ref: int, exptime: int, now: int) -> None:
        """Remove an item a read found dead, counting why (expired or flushed)."""
        if exptime and exptime <= now:
            self._counts["get_expired"] += 1
        else:
            self._counts["get_flushed"] += 1
        self._remove(slot, ref)

    def _is_flushed(self, seq: int, time_set: int, now: int) -> bool:
        """Whether an item (its ``seq`` and ``time_set`` header fields) is flushed."""
        if seq <= self._flush_seq or time_set <= self._flush_time:
            return True
        at = self._flush_at
        return bool(at) and at <= now and time_set <= at

    def _is_dead(self, hdr: tuple[int, ...], now: int) -> bool:
        exptime = hdr[F_EXPTIME]
        if exptime and exptime <= now:
            return True
        return self._is_flushed(hdr[F_SEQ], hdr[F_TIME_SET], now)

    def _promote_flush(self, now: int) -> None:
        """A delayed flush whose time has come becomes permanent."""
        at = self._flush_at
        if at and at <= now:
            self._flush_time = max(self._flush_time, at)
            self._flush_at = 0

    def _snapshot(
        self, page: mmap.mmap, off: int, hdr: tuple[int, ...], key: bytes | None = None
    ) -> Item:
        klen = hdr[F_KEYLEN]
        ko = off + self._hdr
        bits = hdr[F_BITS]
        if bits & CHUNKED:
            value = self._read_chunked(page, off, hdr)
        else:
            value = page[ko + klen : ko + klen + hdr[F_NBYTES]]
        flags = hdr[F_FLAGS]
        # Positional arguments: Item's field order (keywords cost ~1 us here).
        return Item(
            page[ko : ko + klen] if key is None else key,
            value,
            flags,
            hdr[F_CAS] if self._cas_enabled else 0,
            hdr[F_EXPTIME],
            hdr[F_ATIME],
            hdr[F_TIME_SET],
            bits & FETCHED != 0,
            bits & STALE != 0,
            bits & WIN_SENT != 0,
            bits & BINARY_KEY != 0,
            hdr[F_LRU] >> 2,
            self._fixed_size + klen + hdr[F_NBYTES] + (FLAGS_SIZE if flags else 0),
        )

    def _bump(self, page: mmap.mmap, off: int, bits: int, lru: int, atime: int, now: int) -> None:
        """A fetch, as memcached's ``do_item_bump``: the first sets FETCHED, the
        second ACTIVE. With the segmented LRU the access time moves only when
        an item outside COLD becomes ACTIVE (an already active item costs no
        write at all); without it, on every fetch."""
        segmented = self._segmented
        if not bits & FETCHED:
            page[off + OFF_BITS] = bits | FETCHED
            if segmented:
                return
        elif not bits & ACTIVE:
            page[off + OFF_BITS] = bits | ACTIVE
            if segmented and lru & (SEGMENTS - 1) == COLD:
                return
        elif segmented:
            return
        if atime != now:
            UINT32.pack_into(page, off + OFF_ATIME, now & UINT32_MAX)

    def _accounted(self, hdr: tuple[int, ...]) -> int:
        return (
            ITEM_HEADER_SIZE
            + hdr[F_KEYLEN]
            + KEY_TERMINATOR_SIZE
            + hdr[F_NBYTES]
            + VALUE_TERMINATOR_SIZE
            + self._cas_size
            + (FLAGS_SIZE if hdr[F_FLAGS] else 0)
        )

    def _class_capacity(self, cls: int) -> int:
        """Chunks the class holds (the base of the HOT / WARM shares).

        memcached sizes HOT and WARM against the bytes in the class's LRUs; we
        use the class's chunk capacity, the same once the class is full, so a
        class that is not under pressure keeps new items in HOT.
        """
        return len(self._alloc.class_pages[cls]) * self._classes.chunks_per_page[cls]

    def _class_items(self, cls: int) -> int:
        b = cls << 2
        c = self._lru.counts
        return c[b] + c[b | WARM] + c[b | COLD] + c[b | TEMP]

    def _tail_age(self, lru: int, now: int) -> int:
        ref = self._lru.tails[lru]
        if not ref:
            return 0
        page = self._pages[ref >> self._shift]
        assert page is not None
        atime: int = UINT32.unpack_from(page, (ref & self._omask) + OFF_ATIME)[0]
        return max(0, now - atime)

    # =====================================================================
    # internals: chunked (large) items
    # =====================================================================
    def _n_data_chunks(self, vlen: int) -> int:
        return max(1, -(-vlen // self._full_data))

    def _data_refs(self, page: mmap.mmap, off: int, hdr: tuple[int, ...]) -> list[int]:
        start = off + self._hdr + hdr[F_KEYLEN]
        n = self._n_data_chunks(hdr[F_NBYTES])
        return list(array("q", page[start : start + 8 * n]))

    def _read_chunked(self, page: mmap.mmap, off: int, hdr: tuple[int, ...]) -> bytes:
        remaining = hdr[F_NBYTES]
        parts: list[bytes] = []
        full = self._full_data
        for ref in self._data_refs(page, off, hdr):
            dpage = self._pages[ref >> self._shift]
            assert dpage is not None
            start = (ref & self._omask) + DATA_HEADER_SIZE
            n = min(full, remaining)
            parts.append(dpage[start : start + n])
            remaining -= n
        return b"".join(parts)

    def _store_chunked(self, key: bytes, value: bytes) -> int:
        """Allocate and fill the chunks of a large item; returns its header ref.

        Header fields other than the key and chunk list are written by ``set``.
        """
        vlen = len(value)
        klen = len(key)
        full = self._full_data
        n = self._n_data_chunks(vlen)
        classes = self._classes
        shift = self._shift
        omask = self._omask
        data_refs: list[int] = []
        header_ref = 0
        try:
            for i in range(n):
                chunk_len = min(full, vlen - i * full)
                cls = classes.class_for(chunk_len + DATA_HEADER_SIZE)
                ref = self._alloc.alloc(cls) or self._alloc_slow(cls)
                dpage = self._pages[ref >> shift]
                assert dpage is not None
                doff = ref & omask
                # Mark it used at once so page moves skip or respect it.
                dpage[doff + OFF_BITS] = KIND_DATA
                INT64.pack_into(dpage, doff + OFF_OWNER, 0)
                self._pinned.add(ref >> shift)
                data_refs.append(ref)
            header_size = self._hdr + klen + 8 * n
            header_cls = classes.class_for(header_size + KEY_TERMINATOR_SIZE)
            header_ref = self._alloc.alloc(header_cls) or self._alloc_slow(header_cls)
        except OutOfMemory:
            for ref in data_refs:
                self._alloc.release_chunk(ref)
            raise
        finally:
            self._pinned.clear()
        page = self._pages[header_ref >> shift]
        assert page is not None
        off = header_ref & omask
        ko = off + self._hdr
        page[ko : ko + klen] = key
        page[ko + klen : ko + klen + 8 * n] = array("q", data_refs).tobytes()
        page[off + OFF_BITS] = KIND_ITEM | CHUNKED
        for i, ref in enumerate(data_refs):
            dpage = self._pages[ref >> shift]
            assert dpage is not None
            doff = ref & omask
            INT64.pack_into(dpage, doff + OFF_OWNER, header_ref)
            part = value[i * full : (i + 1) * full]
            dpage[doff + DATA_HEADER_SIZE : doff + DATA_HEADER_SIZE + len(part)] = part
        return header_ref

    # =====================================================================
    # internals: removal
    # =====================================================================
    def _remove(self, slot: int, ref: int) -> None:
        """Unlink the item at index ``slot`` (ref ``ref``) and free its chunks."""
        page = self._pages[ref >> self._shift]
        assert page is not None
        off = ref & self._omask
        hdr = self._unpack_header(page, off)
        self._index.remove_at(slot)
        self._unlink_and_free(ref, page, off, hdr)

    def _remove_ref(self, ref: int, page: mmap.mmap, off: int, hdr: tuple[int, ...]) -> None:
        """Like ``_remove`` when only the ref is known (LRU tail, crawler, page move)."""
        ko = off + self._hdr
        key = page[ko : ko + hdr[F_KEYLEN]]
        slot = self._index.find_ref(key_hash(key), ref)
        assert slot != -1, "item missing from the index"
        self._index.remove_at(slot)
        self._unlink_and_free(ref, page, off, hdr)

    def _unlink_and_free(self, ref: int, page: mmap.mmap, off: int, hdr: tuple[int, ...]) -> None:
        self._lru.unlink(ref)
        total = self._accounted(hdr)
        self._bytes -= total
        self._mem_requested[hdr[F_LRU] >> 2] -= total
        if self._sizes is not None:
            bucket = (total + SIZES_BUCKET - 1) // SIZES_BUCKET * SIZES_BUCKET
            self._sizes[bucket] -= 1
        if hdr[F_BITS] & CHUNKED:
            for data_ref in self._data_refs(page, off, hdr):
                self._alloc.release_chunk(data_ref)
        self._alloc.release_chunk(ref)

    # =====================================================================
    # internals: LRU maintenance and eviction
    # =====================================================================
    def _live_tail(
        self, cls: int, segment: int, now: int
    ) -> tuple[int, mmap.mmap, int, tuple[int, ...]] | int:
        """The tail item of ``cls``'s ``segment`` list as (ref, page, offset,
        header); NOTHING if the list is empty, RECLAIMED if the tail was dead
        (it has been reclaimed)."""
        ref = self._lru.tails[cls << 2 | segment]
        if not ref:
            return NOTHING
        page = self._pages[ref >> self._shift]
        assert page is not None
        off = ref & self._omask
        hdr = self._unpack_header(page, off)
        if self._is_dead(hdr, now):
            self._reclaim(cls, ref, page, off, hdr)
            return RECLAIMED
        return ref, page, off, hdr

    def _pull_hot(self, cls: int, now: int, *, force: bool) -> int:
        """One step at the HOT tail: dead -> reclaim, active -> WARM, else -> COLD
        when HOT is over its share or too old (or ``force``)."""
        tail = self._live_tail(cls, HOT, now)
        if isinstance(tail, int):
            return tail
        ref, page, off, hdr = tail
        lru = self._lru
        b = cls << 2
        bits = hdr[F_BITS]
        if bits & ACTIVE:
            page[off + OFF_BITS] = bits & ~ACTIVE
            lru.move_to_head(ref, b | WARM)
            self._item_stats["moves_to_warm"][cls] += 1
            self._limit_warm(cls, now)
            return MOVED
        counts = lru.counts
        if (
            force
            or counts[b] * 100 > self._class_capacity(cls) * self.config.hot_lru_pct
            or self._too_old(page, off, now, self.config.hot_max_factor, cls)
        ):
            lru.move_to_head(ref, b | COLD)
            self._item_stats["moves_to_cold"][cls] += 1
            return MOVED
        return NOTHING

    def _limit_warm(self, cls: int, now: int) -> None:
        if self._lru.counts[cls << 2 | WARM] * 100 > (
            self._class_capacity(cls) * self.config.warm_lru_pct
        ):
            self._pull_warm(cls, now, force=True)

    def _pull_warm(self, cls: int, now: int, *, force: bool) -> int:
        """One step at the WARM tail: dead -> reclaim; when WARM is over its share
        or too old (or ``force``): active -> WARM head (once), else -> COLD."""
        tail = self._live_tail(cls, WARM, now)
        if isinstance(tail, int):
            return tail
        ref, page, off, hdr = tail
        lru = self._lru
        b = cls << 2
        counts = lru.counts
        if not (
            force
            or counts[b | WARM] * 100 > self._class_capacity(cls) * self.config.warm_lru_pct
            or self._too_old(page, off, now, self.config.warm_max_factor, cls)
        ):
            return NOTHING
        bits = hdr[F_BITS]
        if bits & ACTIVE and counts[b | WARM] > 1:
            page[off + OFF_BITS] = bits & ~ACTIVE
            lru.move_to_head(ref, b | WARM)
            self._item_stats["moves_within_lru"][cls] += 1
            return MOVED
        page[off + OFF_BITS] = bits & ~ACTIVE
        lru.move_to_head(ref, b | COLD)
        self._item_stats["moves_to_cold"][cls] += 1
        return MOVED

    def _too_old(self, page: mmap.mmap, off: int, now: int, factor: float, cls: int) -> bool:
        """Is the item older than ``factor`` times the age of the COLD tail?"""
        cold_tail = self._lru.tails[cls << 2 | COLD]
        if not cold_tail:
            return False
        cold_age = self._tail_age(cls << 2 | COLD, now)
        atime: int = UINT32.unpack_from(page, off + OFF_ATIME)[0]
        return now - atime > cold_age * factor

    def _juggle(self, cls: int, now: int) -> None:
        """memcached's LRU maintainer pass for one class (bounded)."""
        self._counts["lru_maintainer_juggles"] += 1
        for _ in range(MAINTAIN_STEPS_PER_CLASS):
            moved = self._pull_hot(cls, now, force=False) != NOTHING
            moved = self._pull_warm(cls, now, force=False) != NOTHING or moved
            moved = self._rescue_cold_tail(cls, now) or moved
            if not moved:
                break
        if self.config.temp_lru:
            for _ in range(MAINTAIN_STEPS_PER_CLASS):
                ref = self._lru.tails[cls << 2 | TEMP]
                if not ref:
                    break
                page = self._pages[ref >> self._shift]
                assert page is not None
                off = ref & self._omask
                hdr = self._unpack_header(page, off)
                if not self._is_dead(hdr, now):
                    break
                self._reclaim(cls, ref, page, off, hdr)

    def _rescue_cold_tail(self, cls: int, now: int) -> bool:
        """An ACTIVE item at the COLD tail moves to WARM (memcached's async bump)."""
        ref = self._lru.tails[cls << 2 | COLD]
        if not ref:
            return False
        page = self._pages[ref >> self._shift]
        assert page is not None
        off = ref & self._omask
        bits = page[off + OFF_BITS]
        if not bits & ACTIVE:
            return False
        page[off + OFF_BITS] = bits & ~ACTIVE
        self._lru.move_to_head(ref, cls << 2 | WARM)
        self._item_stats["moves_to_warm"][cls] += 1
        self._limit_warm(cls, now)
        return True

    def _reclaim(self, cls: int, ref: int, page: mmap.mmap, off: int, hdr: tuple[int, ...]) -> None:
        self._item_stats["reclaimed"][cls] += 1
        if not hdr[F_BITS] & FETCHED:
            self._item_stats["expired_unfetched"][cls] += 1
        self._remove_ref(ref, page, off, hdr)

    def _evict_one(self, cls: int, now: int) -> bool:
        """Free one item of LRU class ``cls``: reclaim a dead tail or evict COLD's tail.

        An ACTIVE item met at the COLD tail is rescued to WARM instead (up to
        ``EVICT_TRIES`` times), which is what keeps hot items over a scan.
        """
        lru = self._lru
        b = cls << 2
        tails = lru.tails
        if self.config.temp_lru:
            ref = tails[b | TEMP]
            if ref:
                page = self._pages[ref >> self._shift]
                assert page is not None
                off = ref & self._omask
                hdr = self._unpack_header(page, off)
                if self._is_dead(hdr, now):
                    self._reclaim(cls, ref, page, off, hdr)
                    return True
        rescues = 0
        for _ in range(EVICT_SEARCH_LIMIT):
            ref = tails[b | COLD]
            if not ref:
                if tails[b | HOT]:
                    if self._pull_hot(cls, now, force=True) == RECLAIMED:
                        return True
                    continue
                if tails[b | WARM]:
                    if self._pull_warm(cls, now, force=True) == RECLAIMED:
                        return True
                    continue
                ref = tails[b | TEMP]
                if not ref:
                    return False
            page = self._pages[ref >> self._shift]
            assert page is not None
            off = ref & self._omask
            hdr = self._unpack_header(page, off)
            if self._is_dead(hdr, now):
                self._reclaim(cls, ref, page, off, hdr)
                return True
            bits = hdr[F_BITS]
            if bits & ACTIVE and rescues < EVICT_TRIES and hdr[F_LRU] & 3 == COLD:
                rescues += 1
                page[off + OFF_BITS] = bits & ~ACTIVE
                if self._segmented:
                    lru.move_to_head(ref, b | WARM)
                    self._item_stats["moves_to_warm"][cls] += 1
                    self._limit_warm(cls, now)
                else:
                    lru.move_to_head(ref, b | COLD)
                    self._item_stats["moves_within_lru"][cls] += 1
                continue
            st = self._item_stats
            st["evicted"][cls] += 1
            st["evicted_time"][cls] = max(0, now - hdr[F_ATIME])
            if hdr[F_EXPTIME]:
                st["evicted_nonzero"][cls] += 1
            if not bits & FETCHED:
                st["evicted_unfetched"][cls] += 1
            if bits & ACTIVE:
                st["evicted_active"][cls] += 1
            if self.on_evict is not None:
                self.on_evict(self._snapshot(page, off, hdr), now)
            self._remove_ref(ref, page, off, hdr)
            self._window_evicted[cls] += 1
            return True
        return False

    # =====================================================================
    # internals: allocation under pressure and page moves
    # =====================================================================
    def _alloc_slow(self, cls: int) -> int:
        """A chunk of ``cls`` when its free stack is empty: new page, page move or eviction."""
        alloc = self._alloc
        now = self._now()
        self._promote_flush(now)
        for _ in range(ALLOC_ATTEMPTS):
            if alloc.grant_page(cls):
                return alloc.alloc(cls)
            if self._take_empty_page(cls):
                return alloc.alloc(cls)
            evictions = self.config.evictions_enabled
            if not alloc.class_pages[cls] and evictions:
                # memcached gives every class its first page even over the limit;
                # we stay inside the budget and take a page from another class.
                donor = self._oldest_donor(cls, now, min_pages=1)
                if donor and self._move_page_from(donor, cls, now):
                    return alloc.alloc(cls)
            if not evictions:
                raise OutOfMemory("out of memory storing object")
            if self._automove_wants_page(cls, now):
                donor = self._oldest_donor(cls, now, min_pages=2)
                if donor and self._move_page_from(donor, cls, now):
                    return alloc.alloc(cls)
            if not self._evict_one(cls, now) and not self._evict_one_elsewhere(cls, now):
                raise OutOfMemory("out of memory storing object")
            ref = alloc.alloc(cls)
            if ref:
                return ref
        raise OutOfMemory("out of memory storing object")

    def _evict_one_elsewhere(self, cls: int, now: int) -> bool:
        """``cls`` holds no evictable item of its own (its chunks belong to large
        items): evict a large item, or move a page from the oldest class."""
        donor = self._oldest_donor(cls, now, min_pages=2)
        if donor and self._move_page_from(donor, cls, now):
            return True
        return cls != self._largest and self._evict_one(self._largest, now)

    def _automove_wants_page(self, cls: int, now: int) -> bool:
        level = self.automove
        if level < 2 or not self.config.slab_reassign:
            return False
        if level == 2:
            donor = self._oldest_donor(cls, now, min_pages=2)
            return bool(donor) and self._eviction_age(donor, now) > self._eviction_age(cls, now)
        countdown = self._automove_countdown[cls] - 1
        if countdown > 0:
            self._automove_countdown[cls] = countdown
            return False
        self._automove_countdown[cls] = AUTOMOVE_CHECK_EVERY
        own_age = self._eviction_age(cls, now)
        donor = self._oldest_donor(cls, now, min_pages=2)
        if not donor:
            return False
        donor_age = self._eviction_age(donor, now)
        return donor_age >= max(own_age, 0) * AUTOMOVE_AGE_RATIO + AUTOMOVE_AGE_SLACK

    def _eviction_age(self, cls: int, now: int) -> int:
        """Age of the class's next eviction candidate (-1 if it has no items)."""
        tails = self._lru.tails
        b = cls << 2
        ref = tails[b | COLD] or tails[b | HOT] or tails[b | WARM] or tails[b | TEMP]
        if not ref:
            return -1
        page = self._pages[ref >> self._shift]
        assert page is not None
        atime: int = UINT32.unpack_from(page, (ref & self._omask) + OFF_ATIME)[0]
        return now - atime

    def _oldest_donor(self, cls: int, now: int, *, min_pages: int) -> int:
        """The class (not ``cls``) with the oldest eviction candidate and enough pages."""
        best = 0
        best_age = -2
        class_pages = self._alloc.class_pages
        for other in range(1, self._largest + 1):
            if other == cls or len(class_pages[other]) < min_pages:
                continue
            age = self._eviction_age(other, now)
            if age > best_age:
                best, best_age = other, age
        return best

    def _take_empty_page(self, cls: int) -> bool:
        """Move a page with no used chunk from another class, if there is one."""
        if not (self.config.slab_reassign and self.automove) and self._alloc.class_pages[cls]:
            return False
        if self._alloc.empty_count <= len(self._alloc.empty_pages[cls]):
            return False
        for other in range(1, self._largest + 1):
            if other == cls:
                continue
            empties = self._alloc.empty_pages[other]
            for pid in empties:
                if pid not in self._pinned:
                    self._alloc.move_page(pid, cls)
                    self._counts["slabs_moved"] += 1
                    return True
        return False

    def _move_page_from(self, src: int, dst: int, now: int) -> bool:
        pid = self._cheapest_page(src)
        if not pid:
            return False
        self._move_page(pid, dst, now)
        return True

    def _cheapest_page(self, cls: int) -> int:
        """A page of ``cls`` to give away: an empty one, else the page holding the
        class's next eviction candidate, else the least used; never a pinned one."""
        alloc = self._alloc
        for pid in alloc.empty_pages[cls]:
            if pid not in self._pinned:
                return pid
        tails = self._lru.tails
        b = cls << 2
        tail = tails[b | COLD] or tails[b | HOT] or tails[b | WARM]
        if tail and alloc.page_class[tail >> self._shift] == cls:
            pid = tail >> self._shift
            if pid not in self._pinned:
                return pid
        candidates = [p for p in alloc.class_pages[cls] if p not in self._pinned]
        if not candidates:
            return 0
        return min(candidates, key=alloc.page_used.__getitem__)

    def _move_page(self, pid: int, dst: int, now: int) -> None:
        """Empty page ``pid`` (rescuing items into free chunks of its class when
        possible) and give it to ``dst`` (0 = back to the budget)."""
        self._evacuate(pid, now, rescue=True)
        if dst:
            self._alloc.move_page(pid, dst)
        else:
            self._alloc.release_page(pid)
        self._counts["slabs_moved"] += 1

    def _evacuate(self, pid: int, now: int, *, rescue: bool) -> None:
        """Free every chunk of page ``pid``: dead items are reclaimed, live ones
        copied to a free chunk of the same class elsewhere or evicted."""
        alloc = self._alloc
        page = self._pages[pid]
        assert page is not None
        cls = alloc.page_class[pid]
        omask = self._omask
        aside: list[int] = []
        for ref in list(alloc.chunk_refs(pid)):
            off = ref & omask
            bits = page[off + OFF_BITS]
            if not bits:
                continue
            if bits & KIND_DATA:
                owner = INT64.unpack_from(page, off + OFF_OWNER)[0]
                opage = self._pages[owner >> self._shift]
                assert opage is not None
                ooff = owner & omask
                self._counts["slab_reassign_evictions_nomem"] += 1
                self._remove_ref(owner, opage, ooff, self._unpack_header(opage, ooff))
                continue
            hdr = self._unpack_header(page, off)
            if self._is_dead(hdr, now):
                self._counts["slab_reassign_inline_reclaim"] += 1
                self._remove_ref(ref, page, off, hdr)
                continue
            if rescue and not bits & CHUNKED:
                new_ref = self._free_chunk_outside(cls, pid, aside)
                if new_ref:
                    self._relocate(ref, new_ref, page, off, hdr)
                    self._counts["slab_reassign_rescues"] += 1
                    continue
            self._counts["slab_reassign_evictions_nomem"] += 1
            self._remove_ref(ref, page, off, hdr)
        for ref in aside:
            alloc.release_chunk(ref)

    def _free_chunk_outside(self, cls: int, pid: int, aside: list[int]) -> int:
        alloc = self._alloc
        while True:
            ref = alloc.alloc(cls)
            if not ref:
                return 0
            if ref >> self._shift != pid:
                return ref
            aside.append(ref)

    def _relocate(
        self, old: int, new: int, page: mmap.mmap, off: int, hdr: tuple[int, ...]
    ) -> None:
        """Copy the (unchunked) item at ``old`` into chunk ``new`` and repoint links."""
        length = self._hdr + hdr[F_KEYLEN] + hdr[F_NBYTES]
        npage = self._pages[new >> self._shift]
        assert npage is not None
        noff = new & self._omask
        npage[noff : noff + length] = page[off : off + length]
        self._lru.replace(old, new)
        key = page[off + self._hdr : off + self._hdr + hdr[F_KEYLEN]]
        slot = self._index.find_ref(key_hash(key), old)
        self._index.replace_at(slot, new)
        self._alloc.release_chunk(old)

    def _pick_any(self, dst: int) -> int:
        """memcached's ``slabs_reassign_pick_any``: next class (round robin) with 2+ pages."""
        largest = self._largest
        for _ in range(largest):
            self._reassign_cursor = self._reassign_cursor % largest + 1
            cls = self._reassign_cursor
            if cls != dst and len(self._alloc.class_pages[cls]) > 1:
                return cls
        return -1

    def _page_to_release(self, now: int) -> int:
        alloc = self._alloc
        for cls in range(1, self._largest + 1):
            for pid in alloc.empty_pages[cls]:
                return pid
        donor = self._oldest_donor(0, now, min_pages=2) or self._oldest_donor(0, now, min_pages=1)
        if not donor:
            return 0
        return self._cheapest_page(donor)

    def _automove_windowed(self, now: int) -> None:
        """Level 1, memcached's ``slab_automove=1``: once per call (about 1/s), move a
        page from the class with the oldest items (2+ pages) to the youngest class
        that evicted in more than half of the last ``window`` calls, if its age is
        below ``ratio`` times the oldest's."""
        window = self.config.slab_automove_window
        oldest = youngest = 0
        oldest_age = -1
        youngest_age = 2**62
        youngest_evicting = False
        for cls in range(1, self._largest + 1):
            samples = self._window[cls]
            evicted = self._window_evicted[cls] > 0
            self._window_evicted[cls] = 0
            age = self._eviction_age(cls, now)
            samples.append((age, evicted))
            if len(samples) > window:
                del samples[0]
            n_evicting = sum(1 for _, e in samples if e)
            if age > oldest_age and len(self._alloc.class_pages[cls]) >= AUTOMOVE_MIN_DONOR_PAGES:
                oldest, oldest_age = cls, age
            if 0 <= age < youngest_age and n_evicting > window // 2:
                youngest, youngest_age, youngest_evicting = cls, age, evicted
        if (
            youngest
            and oldest
            and youngest != oldest
            and youngest_evicting
            and youngest_age < oldest_age * self.config.slab_automove_ratio
        ):
            self._move_page_from(oldest, youngest, now)
            self._window[youngest].clear()
            self._window[oldest].clear()
