"""CachedClock: the store sees time move only when the owner refreshes it."""

from __future__ import annotations

from slab import CachedClock, SlabConfig, Store


class Source:
    def __init__(self) -> None:
        self.now = 1_700_000_000
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return self.now


def test_now_moves_only_on_refresh() -> None:
    source = Source()
    clock = CachedClock(source)
    source.now += 5
    assert clock() == clock.now == 1_700_000_000
    assert clock.refresh() == 1_700_000_005
    assert clock() == 1_700_000_005


def test_store_reads_the_cached_time_without_calling_the_source() -> None:
    source = Source()
    clock = CachedClock(source)
    store = Store(SlabConfig(), clock)
    store.set(b"k", b"v", 0, clock.now + 2)
    reads = source.reads
    for _ in range(10):
        assert store.get_value(b"k") is not None
    assert source.reads == reads
    source.now += 3  # past the expiry, but not yet refreshed: same batch, same second
    assert store.get_value(b"k") is not None
    clock.refresh()
    assert store.get_value(b"k") is None
