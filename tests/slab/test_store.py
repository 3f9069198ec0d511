"""Unit tests of slab.Store: classes, accounting, limits, large items, expiry,
flush, eviction order, page moves, memory limit, statistics."""

from __future__ import annotations

import subprocess
import sys

import pytest

from slab import (
    Item,
    OutOfMemory,
    ReassignResult,
    SlabConfig,
    Store,
    TooLarge,
    item_total_size,
    slab_class_sizes,
)
from tests.slab.small_index import use_small_index

MB = 1024 * 1024
KB = 1024
START = 1_000_000

MEMCACHED_SIZES = [
    96, 120, 152, 192, 240, 304, 384, 480, 600, 752, 944, 1184, 1480, 1856, 2320, 2904,
    3632, 4544, 5680, 7104, 8880, 11104, 13880, 17352, 21696, 27120, 33904, 42384, 52984,
    66232, 82792, 103496, 129376, 161720, 202152, 252696, 315872, 394840, 524288,
]  # fmt: skip


class Clock:
    def __init__(self, now: int = START) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def make(**kwargs: object) -> tuple[Store, Clock]:
    clock = Clock()
    return Store(SlabConfig(**kwargs), clock), clock  # type: ignore[arg-type]


# --- classes and accounting --------------------------------------------------
def test_default_class_sizes_match_memcached() -> None:
    assert slab_class_sizes(SlabConfig()) == MEMCACHED_SIZES


def test_class_sizes_follow_n_and_f() -> None:
    sizes = slab_class_sizes(SlabConfig(chunk_min_size=48, growth_factor=2.0))
    assert sizes[0] == 96 and sizes[1] == 192 and sizes[-1] == 512 * KB
    assert all(s % 8 == 0 for s in sizes)
    sizes = slab_class_sizes(SlabConfig(chunk_min_size=100, growth_factor=1.1))
    assert sizes[0] == 152 and sizes[-1] == 512 * KB


def test_item_total_size() -> None:
    assert item_total_size(16, 100, True) == 48 + 17 + 102 + 8
    assert item_total_size(16, 100, False) == 48 + 17 + 102
    assert item_total_size(1, 3, True, flags=5) == 67  # memcached: non-zero flags add 4


def test_items_land_in_memcached_classes() -> None:
    store, _ = make()
    store.set(b"k" * 16, b"v" * 100, 0, 0)  # 175 bytes -> class 4 (192)
    store.set(b"e", b"", 0, 0)  # class 1
    store.set(b"x", b"v" * 66560, 0, 0)  # t/ tests: items:31 for 66560-byte values
    assert store.get(b"k" * 16, bump=False).slab_class == 4  # type: ignore[union-attr]
    assert store.get(b"e", bump=False).slab_class == 1  # type: ignore[union-attr]
    assert store.get(b"x", bump=False).slab_class == 31  # type: ignore[union-attr]
    stats = dict(store.slab_stats())
    assert stats["1:used_chunks"] == 1 and stats["4:chunk_size"] == 192


def test_cas_counter_starts_at_one_and_can_be_disabled() -> None:
    store, _ = make()
    assert store.set(b"a", b"1", 0, 0) == 1
    assert store.set(b"b", b"1", 0, 0) == 2
    assert store.next_cas() == 3
    assert store.set(b"c", b"1", 0, 0, cas=77) == 77
    assert store.get_value(b"c") == (0, b"1", 77)
    store, _ = make(cas_enabled=False)
    assert store.set(b"a", b"1", 0, 0) == 0 and store.next_cas() == 0
    assert store.get(b"a").cas == 0  # type: ignore[union-attr]


# --- limits and large items --------------------------------------------------
def test_item_size_max_limits() -> None:
    store, _ = make()
    store.set(b"foo", b"x" * (MB - KB), 0, 0)
    assert store.get_value(b"foo") == (0, b"x" * (MB - KB), 1)
    with pytest.raises(TooLarge):
        store.set(b"foo", b"x" * (MB + KB), 0, 0)
    assert not store.contains(b"foo"), "a too large set deletes the old item"
    assert store.stats()["store_too_large"] == 1
    store._check_invariants()


def test_item_size_max_2m_allows_bigger_items() -> None:
    store, _ = make(item_size_max=2 * MB)
    store.set(b"big", b"y" * (2 * MB - KB), 3, 0)
    assert store.get_value(b"big") == (3, b"y" * (2 * MB - KB), 1)
    store._check_invariants()


def test_chunked_items_round_trip_and_account() -> None:
    store, _ = make()
    value = bytes(range(256)) * 3000  # 768000 bytes > slab_chunk_max
    store.set(b"large", value, 9, 0)
    item = store.get(b"large")
    assert item is not None and item.value == value and item.flags == 9
    assert item.slab_class == 39
    assert item.total_size == item_total_size(5, len(value), True, 9)
    assert store.stats()["bytes"] == item.total_size
    items = dict(store.item_stats())
    assert items["items:39:number"] == 1
    slabs = dict(store.slab_stats())
    assert slabs["39:used_chunks"] == 1  # first 512 KiB; the rest in a smaller class
    store._check_invariants()
    assert store.delete(b"large")
    slabs = dict(store.slab_stats())
    assert all(v == 0 for k, v in slabs.items() if k.endswith(":used_chunks"))
    store._check_invariants()


# --- expiry and flush ---------------------------------------------------------
def test_lazy_expiry_and_crawler() -> None:
    store, clock = make()
    store.set(b"a", b"1", 0, clock.now + 2)
    store.set(b"b", b"1", 0, clock.now + 2)
    store.set(b"never", b"1", 0, -1)
    assert store.get(b"never") is None, "negative exptime: stored, never visible"
    assert store.get_value(b"a") is not None
    clock.now += 2
    assert store.get_value(b"a") is None
    assert store.stats()["get_expired"] == 2  # never + a
    assert len(store) == 1
    assert store.crawl_step(100) == 1
    stats = store.stats()
    assert stats["crawler_reclaimed"] == 1 and stats["expired_unfetched"] == 1
    assert len(store) == 0
    store._check_invariants()


def test_touch_changes_exptime_not_cas() -> None:
    store, clock = make()
    cas = store.set(b"a", b"1", 0, clock.now + 2)
    before = store.touch(b"a", clock.now + 100)
    assert before is not None and before.exptime == clock.now + 2 and not before.fetched
    clock.now += 10
    item = store.get(b"a")
    assert item is not None and item.cas == cas and item.fetched


def test_immediate_flush_hides_earlier_items_only() -> None:
    store, _clock = make()
    store.set(b"old", b"1", 0, 0)
    store.flush_all()
    store.set(b"new", b"2", 0, 0)  # same second, after the flush: visible
    assert store.get_value(b"old") is None
    assert store.get_value(b"new") == (0, b"2", 2)
    assert store.stats()["get_flushed"] == 1


def test_immediate_flush_with_cas_disabled() -> None:
    store, _ = make(cas_enabled=False)
    store.set(b"old", b"1", 0, 0)
    store.flush_all(None)
    store.set(b"new", b"2", 0, 0)
    assert store.get_value(b"old") is None and store.get_value(b"new") == (0, b"2", 0)


def test_delayed_flush() -> None:
    store, clock = make()
    store.set(b"a", b"1", 0, 0)
    store.flush_all(clock.now + 2)
    clock.now += 1
    assert store.get_value(b"a") is not None, "nothing changes before the flush time"
    store.set(b"b", b"1", 0, 0)
    clock.now += 1
    assert store.get_value(b"a") is None and store.get_value(b"b") is None
    clock.now += 1
    store.set(b"c", b"1", 0, 0)
    assert store.get_value(b"c") is not None, "items stored after the flush time stay"
    store.flush_all(clock.now + 10)  # a new pending flush must not resurrect a or b
    store.set(b"a", b"again", 0, 0)
    assert store.get_value(b"a") == (0, b"again", 4)


def test_later_flush_overrides_pending_one() -> None:
    store, clock = make()
    store.set(b"a", b"1", 0, 0)
    store.flush_all(clock.now + 5)
    store.flush_all(clock.now + 50)
    clock.now += 10
    assert store.get_value(b"a") is not None
    store.flush_all(None)
    assert store.get_value(b"a") is None


# --- eviction -----------------------------------------------------------------
def fill(store: Store, prefix: bytes, n: int, size: int = 100) -> None:
    for i in range(n):
        store.set(prefix + b"%08d" % i, b"v" * size, 0, 0)


def test_fill_holds_as_many_items_as_memcached() -> None:
    # memcached -m 8: 8 pages of 5461 chunks of 192 bytes = 43688 items.
    store, _ = make(memory_limit=8 * MB)
    fill(store, b"key:", 150_000)
    assert len(store) == 8 * (MB // 192)
    stats = store.stats()
    assert stats["evictions"] == 150_000 - len(store)
    assert stats["evicted_unfetched"] == stats["evictions"]
    assert stats["total_malloced"] == 8 * MB
    # The newest items survive, the oldest are gone.
    assert store.get_value(b"key:%08d" % 149_999) is not None
    assert store.get_value(b"key:%08d" % 0) is None
    store._check_invariants()


def test_segmented_lru_keeps_hot_items_over_a_scan() -> None:
    store, clock = make(memory_limit=4 * MB)
    fill(store, b"hot:", 2000)
    for _ in range(2):
        for i in range(2000):
            assert store.get_value(b"hot:%08d" % i) is not None
    clock.now += 1
    fill(store, b"scan:", 100_000)  # one pass, several times the memory
    kept = sum(store.get_value(b"hot:%08d" % i) is not None for i in range(2000))
    assert kept == 2000
    stats = store.stats()
    assert stats["moves_to_warm"] > 0 and stats["moves_to_cold"] > 0
    store._check_invariants()


def test_flat_lru_evicts_in_order() -> None:
    store, _ = make(memory_limit=2 * MB, lru_segmented=False)
    fill(store, b"k:", 30_000)
    assert store.get_value(b"k:%08d" % 0) is None
    assert store.get_value(b"k:%08d" % 29_999) is not None
    store._check_invariants()


def test_evictions_disabled_raise_out_of_memory() -> None:
    store, _ = make(memory_limit=2 * MB, evictions_enabled=False)
    with pytest.raises(OutOfMemory):
        fill(store, b"k:", 30_000)
    n = len(store)
    assert n == 2 * (MB // 192)
    store.set(b"k:%08d" % 0, b"w" * 100, 0, 0)  # replacing frees its chunk first
    with pytest.raises(OutOfMemory):
        store.set(b"k:%08d" % 1, b"w" * 1000, 0, 0)
    assert not store.contains(b"k:%08d" % 1), "the old item is deleted on OOM"
    stats = store.stats()
    assert stats["evictions"] == 0 and stats["store_no_memory"] == 2
    store._check_invariants()


# --- page moves -----------------------------------------------------------------
def test_reassign_results() -> None:
    store, _ = make(memory_limit=8 * MB, slab_automove=0)
    assert store.reassign(1, 1) is ReassignResult.SAME
    assert store.reassign(0, 99) is ReassignResult.BADCLASS
    assert store.reassign(4, 5) is ReassignResult.NOSPARE
    fill(store, b"k:", 20_000)  # 4 pages of class 4
    assert store.reassign(4, 99) is ReassignResult.BADCLASS
    assert store.reassign(4, 10) is ReassignResult.OK
    slabs = dict(store.slab_stats())
    assert slabs["4:total_pages"] == 3 and slabs["10:total_pages"] == 1
    assert store.stats()["slabs_moved"] == 1
    assert len(store) == 20_000 - (MB // 192) + (4 * (MB // 192) - 20_000)
    assert store.reassign(-1, 12) is ReassignResult.OK  # any class with 2+ pages
    store._check_invariants()


def test_reassign_rescues_into_free_chunks() -> None:
    store, _ = make(memory_limit=8 * MB, slab_automove=0)
    fill(store, b"k:", 3 * (MB // 192) + 100)
    for i in range(0, 3 * (MB // 192), 2):
        store.delete(b"k:%08d" % i)
    n = len(store)
    assert store.reassign(4, 10) is ReassignResult.OK
    assert len(store) == n, "live items were copied into free chunks"
    stats = store.stats()
    assert stats["slab_reassign_rescues"] > 0 and stats["slab_reassign_evictions_nomem"] == 0
    for i in range(1, 3 * (MB // 192), 2):
        assert store.get_value(b"k:%08d" % i) == (0, b"v" * 100, i + 1)
    store._check_invariants()


def test_automove_follows_a_value_size_shift() -> None:
    # Scaled version of the -m 64 benchmark (bench/store_micro.py runs the full one).
    store, clock = make(memory_limit=16 * MB)
    fill(store, b"small:", 150_000)
    clock.now += 5
    large = 15_000
    for i in range(large):
        store.set(b"large:%08d" % i, b"L" * 2000, 0, 0)
        if i % (large // 12) == 0:
            clock.now += 1
    readable = sum(
        store.get_value(b"large:%08d" % i) is not None for i in range(large - 5000, large)
    )
    assert readable >= 4500
    store._check_invariants()


def test_automove_level_one_moves_slowly() -> None:
    store, clock = make(memory_limit=16 * MB, slab_automove=1, slab_automove_window=4)
    fill(store, b"small:", 100_000)
    moved = store.stats()["slabs_moved"]
    clock.now += 10
    for step in range(8):
        for i in range(400):
            store.set(b"large:%d:%d" % (step, i), b"L" * 2000, 0, 0)
        clock.now += 1
        store.maintain()
    assert store.stats()["slabs_moved"] > moved
    store._check_invariants()


def test_new_class_gets_a_page_when_memory_is_full() -> None:
    store, _ = make(memory_limit=2 * MB)
    fill(store, b"k:", 20_000)
    store.set(b"big", b"B" * 5000, 0, 0)
    assert store.get_value(b"big") == (0, b"B" * 5000, 20_001)
    assert store.stats()["total_malloced"] <= 2 * MB
    store._check_invariants()


# --- memory limit ---------------------------------------------------------------
def test_memory_limit_shrinks_and_grows() -> None:
    store, _ = make(memory_limit=8 * MB)
    fill(store, b"k:", 50_000)
    assert store.stats()["total_malloced"] == 8 * MB
    assert store.set_memory_limit(3 * MB)
    stats = store.stats()
    assert stats["total_malloced"] == 3 * MB and stats["limit_maxbytes"] == 3 * MB
    assert len(store) == 3 * (MB // 192)
    store._check_invariants()
    assert store.set_memory_limit(6 * MB)
    fill(store, b"j:", 50_000)
    assert store.stats()["total_malloced"] == 6 * MB
    assert not store.set_memory_limit(0)
    store._check_invariants()


# --- stats ----------------------------------------------------------------------
SLAB_FIELDS = [
    "chunk_size", "chunks_per_page", "total_pages", "total_chunks", "used_chunks",
    "free_chunks", "free_chunks_end", "get_hits", "cmd_set", "delete_hits", "incr_hits",
    "decr_hits", "cas_hits", "cas_badval", "touch_hits",
]  # fmt: skip
ITEM_FIELDS = [
    "number", "number_hot", "number_warm", "number_cold", "age_hot", "age_warm", "age",
    "mem_requested", "evicted", "evicted_nonzero", "evicted_time", "outofmemory",
    "tailrepairs", "reclaimed", "expired_unfetched", "evicted_unfetched", "evicted_active",
    "crawler_reclaimed", "crawler_items_checked", "lrutail_reflocked", "moves_to_cold",
    "moves_to_warm", "moves_within_lru", "direct_reclaims", "hits_to_hot", "hits_to_warm",
    "hits_to_cold", "hits_to_temp",
]  # fmt: skip


def test_stats_names_and_values_match_memcached() -> None:
    store, _ = make(track_sizes=True)
    store.set(b"a", b"abc", 0, 0)
    store.set(b"b", b"abc", 5, 0)
    store.get_value(b"a")
    store.get(b"a", count_hit=True)
    store.count(1, "touch_hits")
    slabs = store.slab_stats()
    assert [k for k, _ in slabs] == [f"1:{f}" for f in SLAB_FIELDS] + [
        "active_slabs",
        "total_malloced",
    ]
    s = dict(slabs)
    assert (s["1:used_chunks"], s["1:free_chunks"], s["1:get_hits"], s["1:cmd_set"]) == (
        2,
        10920,
        2,
        2,
    )
    assert s["1:touch_hits"] == 1 and s["total_malloced"] == MB
    items = store.item_stats()
    assert [k for k, _ in items] == [f"items:1:{f}" for f in ITEM_FIELDS]
    assert dict(items)["items:1:mem_requested"] == 130
    assert dict(items)["items:1:hits_to_hot"] == 2
    assert store.size_stats() == [("64", 1), ("96", 1)]  # as memcached -o track_sizes
    general = store.stats()
    for name in [
        "bytes",
        "curr_items",
        "total_items",
        "evictions",
        "evicted_unfetched",
        "evicted_active",
        "expired_unfetched",
        "reclaimed",
        "crawler_reclaimed",
        "crawler_items_checked",
        "get_expired",
        "get_flushed",
        "slab_global_page_pool",
        "total_malloced",
        "slabs_moved",
        "moves_to_cold",
        "moves_to_warm",
        "moves_within_lru",
        "lru_maintainer_juggles",
        "hash_power_level",
        "hash_bytes",
        "store_too_large",
        "store_no_memory",
    ]:
        assert name in general, name
    assert general["bytes"] == 130 and general["curr_items"] == 2
    # memcached reports 8 bytes a bucket (524288 at power 16); hash_bytes is
    # what our table holds: 4 bytes a slot with narrow entries.
    assert general["hash_power_level"] == 16 and general["hash_bytes"] == 262144
    store.reset_stats()
    assert store.stats()["total_items"] == 0 and store.stats()["curr_items"] == 2
    assert dict(store.slab_stats())["1:cmd_set"] == 0


def test_size_stats_off_by_default() -> None:
    store, _ = make()
    assert store.size_stats() is None


def test_temp_lru_items() -> None:
    store, clock = make(temp_lru=True, temporary_ttl=61)
    store.set(b"short", b"1", 0, clock.now + 30)
    store.set(b"long", b"1", 0, clock.now + 3600)
    items = dict(store.item_stats())
    assert items["items:1:number_temp"] == 1 and items["items:1:number_hot"] == 1
    clock.now += 31
    store.maintain()
    assert dict(store.item_stats())["items:1:number"] == 1


def test_items_and_get_snapshot_before_access() -> None:
    store, clock = make()
    store.set(b"a", b"1", 7, 0, key_is_binary=True, stale=True)
    clock.now += 5
    first = store.get(b"a")
    second = store.get(b"a")
    # memcached's do_item_bump: the first fetch only marks the item fetched;
    # the second makes it active, which (outside COLD) moves its time.
    assert isinstance(first, Item) and first.last_access == START and not first.fetched
    assert second is not None and second.last_access == START and second.fetched
    assert second.key_is_binary and second.stale and not second.win_token_sent
    clock.now += 5
    third = store.get(b"a")
    assert third is not None and third.last_access == START + 5
    fourth = store.get(b"a")  # already active: no write, the time stays
    assert fourth is not None and fourth.last_access == START + 5
    assert store.update(b"a", stale=False, win_token_sent=True, new_cas=True)
    item = store.get(b"a", bump=False)
    assert item is not None and item.cas == 2 and not item.stale and item.win_token_sent
    assert [i.key for i in store.items()] == [b"a"]
    assert list(store.items(2)) == []


def test_slab_imports_neither_trio_nor_memcached_py() -> None:
    code = (
        "import sys, slab; s = slab.Store(slab.SlabConfig(), lambda: 0); s.set(b'a', b'b', 0, 0);"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('trio', 'memcached_py')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_keep_old_on_error_keeps_the_item_when_a_set_fails() -> None:
    store, _ = make()
    store.set(b"k", b"old", 0, 0)
    with pytest.raises(TooLarge):
        store.set(b"k", b"x" * (2 * MB), 0, 0, keep_old_on_error=True)
    assert store.get_value(b"k") == (0, b"old", 1)
    store.set(b"k", b"new", 0, 0, keep_old_on_error=True)
    assert store.get_value(b"k") == (0, b"new", 2)
    store._check_invariants()
    store, _ = make(memory_limit=MB, evictions_enabled=False)
    fill(store, b"f:", MB // 192)
    with pytest.raises(OutOfMemory):
        store.set(b"f:%08d" % 0, b"y" * 5000, 0, 0, keep_old_on_error=True)
    assert store.get_value(b"f:%08d" % 0) is not None
    store._check_invariants()


def test_automove_level_two_moves_toward_older_classes() -> None:
    store, clock = make(memory_limit=8 * MB, slab_automove=2)
    fill(store, b"small:", 60_000)
    clock.now += 10
    for i in range(3000):
        store.set(b"large:%d" % i, b"L" * 2000, 0, 0)
    assert store.stats()["slabs_moved"] >= 3
    assert dict(store.slab_stats())["15:total_pages"] >= 3
    store._check_invariants()


def test_reassign_to_global_pool_releases_the_page() -> None:
    store, _ = make(memory_limit=4 * MB, slab_automove=0)
    fill(store, b"k:", 2 * (MB // 192) + 10)
    assert store.stats()["total_malloced"] == 3 * MB
    assert store.reassign(4, 0) is ReassignResult.OK
    assert store.stats()["total_malloced"] == 2 * MB
    store._check_invariants()


def test_crawl_step_respects_its_budget() -> None:
    store, clock = make()
    for i in range(50):
        store.set(b"t:%d" % i, b"v", 0, clock.now + 1)
    clock.now += 5
    assert store.crawl_step(10) == 10
    assert store.stats()["crawler_items_checked"] == 10
    total = 10
    for _ in range(10):
        total += store.crawl_step(10)
    assert total == 50 and len(store) == 0
    store._check_invariants()


def test_index_grows_incrementally() -> None:
    store, _ = make(memory_limit=64 * MB)
    n = 0
    growing_seen = False
    while n < 120_000:
        store.set(b"i:%d" % n, b"", 0, 0)
        n += 1
        if store.stats()["hash_is_expanding"] if n % 997 == 0 else False:
            growing_seen = True
            store._check_invariants()  # consistent in the middle of a growth
            assert store.get_value(b"i:%d" % 5) == (0, b"", 6)
            assert store.delete(b"i:%d" % (n - 1))
            store.set(b"i:%d" % (n - 1), b"x", 0, 0)
    assert growing_seen
    assert store.stats()["hash_power_level"] == 18
    store.maintain()
    assert not store.stats()["hash_is_expanding"]
    for i in range(0, n, 7):
        assert store.get_value(b"i:%d" % i) is not None
    store._check_invariants()


def test_tiny_index_never_fills_while_growing() -> None:
    store, _ = make()
    use_small_index(store, initial_power=2)
    for i in range(300):
        store.set(b"key%d" % i, b"", 0, 0)
        if i % 3 == 0:
            assert store.delete(b"key%d" % (i // 2))
            store.set(b"key%d" % (i // 2), b"v", 0, 0)
    for i in range(300):
        assert store.contains(b"key%d" % i)
    store._check_invariants()


def test_flags_are_u32_and_accounted() -> None:
    store, _ = make()
    store.set(b"a", b"x", 2**32 + 5, 0)
    item = store.get(b"a")
    assert item is not None and item.flags == 5 and item.total_size == 48 + 2 + 3 + 8 + 4
    store.set(b"b", b"x", 2**32, 0)
    assert store.get_value(b"b") == (0, b"x", 2)
    assert store.stats()["bytes"] == item.total_size + 48 + 2 + 3 + 8
    store._check_invariants()
