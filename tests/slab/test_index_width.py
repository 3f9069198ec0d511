"""The index's two entry widths and the re-encoding when the budget grows."""

from __future__ import annotations

import tracemalloc

import pytest

from slab import SlabConfig, Store
from slab._index import ItemIndex
from tests.slab.small_index import use_small_index

MB = 1024 * 1024
GB = 1024 * MB


class Clock:
    def __init__(self) -> None:
        self.now = 1000

    def __call__(self) -> int:
        return self.now


def make(memory_limit: int) -> Store:
    return Store(SlabConfig(memory_limit=memory_limit), Clock())


def fill(store: Store, n: int, value: bytes = b"v") -> None:
    for i in range(n):
        store.set(b"key:%d" % i, value + b"%d" % i, i, 0)


def assert_all_readable(store: Store, n: int, value: bytes = b"v") -> None:
    for i in range(n):
        got = store.get_value(b"key:%d" % i)
        assert got is not None and got[:2] == (i, value + b"%d" % i), i


@pytest.mark.parametrize(
    ("memory_limit", "narrow"),
    [(64 * MB, True), (2 * GB - MB, True), (2 * GB, False), (64 * GB - MB, False)],
)
def test_width_follows_the_largest_page_id_the_budget_allows(
    memory_limit: int, narrow: bool
) -> None:
    store = make(memory_limit)
    index = store._index
    assert index.narrow is narrow
    assert index.hash_bytes == (1 << index.hash_power) * (4 if narrow else 8)
    fill(store, 3000)
    # deletes shift clusters back, which needs each entry's home slot
    for i in range(0, 3000, 3):
        assert store.delete(b"key:%d" % i)
    for i in range(0, 3000, 3):
        assert store.get_value(b"key:%d" % i) is None
        store.set(b"key:%d" % i, b"v%d" % i, i, 0)
    assert_all_readable(store, 3000)
    store._check_invariants()


@pytest.mark.parametrize("memory_limit", [64 * MB, 16 * GB])
def test_growth_and_deletes_while_growing(memory_limit: int) -> None:
    store = make(memory_limit)
    use_small_index(store, initial_power=3)
    for i in range(2000):
        store.set(b"key:%d" % i, b"v%d" % i, i, 0)
        if i % 5 == 0:
            assert store.delete(b"key:%d" % (i // 2))
            store.set(b"key:%d" % (i // 2), b"v%d" % (i // 2), i // 2, 0)
        if i % 97 == 0:
            store._check_invariants()
    assert_all_readable(store, 2000)
    store._check_invariants()


def test_raising_the_budget_past_the_narrow_page_ids_re_encodes() -> None:
    store = make(64 * MB)
    fill(store, 5000)
    assert store._index.page_id_bits == 7 and store._index.narrow
    assert store.set_memory_limit(1 * GB)
    assert store._index.page_id_bits == 11 and store._index.narrow
    assert_all_readable(store, 5000)
    store._check_invariants()
    assert store.set_memory_limit(32 * GB)
    assert not store._index.narrow
    assert_all_readable(store, 5000)
    store._check_invariants()
    # Shrinking keeps the wider encoding (page ids already handed out stay valid).
    assert store.set_memory_limit(64 * MB)
    assert not store._index.narrow
    fill(store, 6000, b"w")
    assert_all_readable(store, 6000, b"w")
    store._check_invariants()


def test_narrow_table_of_2_19_slots_holds_2_mib() -> None:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        index = ItemIndex([None], 20, 7, 48, initial_power=19)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert index.narrow and index.hash_bytes == 2 * MB
    assert 2 * MB <= held < 2 * MB * 1.05


def test_candidates_with_shared_tags_and_prefixes_during_growth() -> None:
    """get_value walks the index's tag candidates (first_match / next_match)
    and lets the stored key decide: keys that are prefixes of each other, in
    a table still draining its old half, all read back as themselves."""
    store = make(64 * MB)
    index = store._index
    keys = [b"k%d" % i for i in range(60_000)]  # k1 is a prefix of k10, k100, ...
    grew_while_reading = False
    for n, key in enumerate(keys):
        store.set(key, key[::-1], n, 0)
        if index.growing:
            grew_while_reading = True
            for probe in (keys[0], keys[n // 2], key):
                got = store.get_value(probe)
                assert got is not None and got[1] == probe[::-1]
    assert grew_while_reading
    tag_bits = index.tag_mask.bit_length()
    assert tag_bits <= 8  # few tag bits: most lookups meet other keys' entries first
    for n, key in enumerate(keys):
        got = store.get_value(key)
        assert got is not None and got[:2] == (n, key[::-1]), key
        assert index.find(key, hash(key) & ((1 << 62) - 1)) >= -1
    for missing in (b"k", b"k60000", b"k" + b"9" * 249, b"x" * 251):
        assert store.get_value(missing) is None
    store._check_invariants()
