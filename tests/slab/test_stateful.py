"""Hypothesis state machines: the store against the dict model (big budget),
and the store alone under memory pressure (invariants after every step)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import slab._index
from slab import Item, OutOfMemory, SlabConfig, Store, TooLarge
from slab._index import ItemIndex
from tests.slab.dict_model import DictModel

MB = 1024 * 1024
PAGE = 64 * 1024
START = 1_000_000

keys = st.sampled_from([b"a", b"b", b"key", b"k" * 200, b"\x00bin", b"x" * 17])
small_values = st.binary(max_size=300)
values = st.one_of(
    small_values,
    st.builds(lambda n, c: bytes([c]) * n, st.integers(0, 3 * MB // 2), st.integers(0, 255)),
)
flags = st.sampled_from([0, 1, 2**32 - 1])
ttls = st.sampled_from([0, 0, -1, 1, 2, 5, 100])


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> int:
        return self.now


class StoreMatchesModel(RuleBasedStateMachine):
    """With no memory pressure the store behaves exactly like a dict."""

    @initialize(cas_enabled=st.booleans(), segmented=st.booleans())
    def setup(self, cas_enabled: bool, segmented: bool) -> None:
        self.clock = Clock()
        config = SlabConfig(memory_limit=256 * MB, cas_enabled=cas_enabled, lru_segmented=segmented)
        self.store = Store(config, self.clock)
        self.model = DictModel(config, self.clock)

    def _exptime(self, ttl: int) -> int:
        return 0 if ttl == 0 else self.clock.now + ttl

    @rule(
        key=keys,
        value=values,
        flags=flags,
        ttl=ttls,
        explicit_cas=st.none() | st.integers(1, 99),
        keep=st.booleans(),
    )
    def set(
        self, key: bytes, value: bytes, flags: int, ttl: int, explicit_cas: int | None, keep: bool
    ) -> None:
        exptime = self._exptime(ttl)
        results: list[object] = []
        for target in (self.store, self.model):
            try:
                results.append(
                    target.set(key, value, flags, exptime, cas=explicit_cas, keep_old_on_error=keep)
                )
            except TooLarge:
                results.append("too large")
        assert results[0] == results[1]

    @rule(key=keys, bump=st.booleans())
    def get(self, key: bytes, bump: bool) -> None:
        self._same(self.store.get(key, bump=bump), self.model.get(key, bump=bump))

    @rule(key=keys)
    def get_value(self, key: bytes) -> None:
        assert self.store.get_value(key) == self.model.get_value(key)

    @rule(key=keys)
    def contains(self, key: bytes) -> None:
        assert self.store.contains(key) == self.model.contains(key)

    @rule(key=keys)
    def delete(self, key: bytes) -> None:
        assert self.store.delete(key) == self.model.delete(key)

    @rule(key=keys, ttl=ttls)
    def touch(self, key: bytes, ttl: int) -> None:
        exptime = self._exptime(ttl)
        self._same(self.store.touch(key, exptime), self.model.touch(key, exptime))

    @rule(
        key=keys,
        ttl=st.none() | ttls,
        cas=st.none() | st.integers(1, 99),
        new_cas=st.booleans(),
        stale=st.none() | st.booleans(),
        win=st.none() | st.booleans(),
    )
    def update(
        self,
        key: bytes,
        ttl: int | None,
        cas: int | None,
        new_cas: bool,
        stale: bool | None,
        win: bool | None,
    ) -> None:
        exptime = None if ttl is None else self._exptime(ttl)
        kwargs = dict(exptime=exptime, cas=cas, new_cas=new_cas, stale=stale, win_token_sent=win)
        assert self.store.update(key, **kwargs) == self.model.update(key, **kwargs)  # type: ignore[arg-type]

    @rule()
    def next_cas(self) -> None:
        assert self.store.next_cas() == self.model.next_cas()

    @rule(delay=st.sampled_from([None, 0, -5, 1, 3]))
    def flush_all(self, delay: int | None) -> None:
        at = None if delay is None else self.clock.now + delay
        self.store.flush_all(at)
        self.model.flush_all(at)

    @rule(seconds=st.integers(0, 4))
    def advance(self, seconds: int) -> None:
        self.clock.now += seconds

    @rule(budget=st.sampled_from([1, 3, 1000]))
    def crawl(self, budget: int) -> None:
        self.store.crawl_step(budget)

    @rule()
    def maintain(self) -> None:
        self.store.maintain()

    @invariant()
    def same_live_items(self) -> None:
        if not hasattr(self, "store"):
            return
        live = {item.key: item for item in self.store.items()}
        expected = self.model.live_items()
        assert live.keys() == expected.keys()
        for key, item in live.items():
            self._same(item, expected[key])

    def _same(self, got: Item | None, want: Item | None) -> None:
        """Equal items; last_access per ``DictModel.access_time_ok`` (with the
        segmented LRU the model knows the possible times, not the exact one)."""
        if got is None or want is None or not self.model.config.lru_segmented:
            assert got == want
            return
        assert self.model.access_time_ok(got), (got, want)
        assert replace(got, last_access=want.last_access) == want

    @invariant()
    def consistent(self) -> None:
        if hasattr(self, "store"):
            self.store._check_invariants()


class StoreUnderPressure(RuleBasedStateMachine):
    """A tiny budget: evictions and page moves happen all the time, but every
    invariant holds and whatever is readable is the last value written."""

    @initialize(
        evictions=st.booleans(),
        automove=st.sampled_from([0, 1, 2, 3]),
        segmented=st.booleans(),
        temp_lru=st.booleans(),
    )
    def setup(self, evictions: bool, automove: int, segmented: bool, temp_lru: bool) -> None:
        self.clock = Clock()
        # Small pages keep the per-step invariant check cheap.
        config = SlabConfig(
            memory_limit=8 * PAGE,
            page_size=PAGE,
            slab_chunk_max=PAGE // 2,
            item_size_max=4 * PAGE,
            evictions_enabled=evictions,
            slab_automove=automove,
            lru_segmented=segmented,
            temp_lru=temp_lru,
        )
        self.store = Store(config, self.clock)
        # A tiny index draining one slot per insert, so that lookups, deletes
        # and moves meet an index in the middle of its incremental growth.
        store = self.store
        bits = store._index.page_id_bits
        store._index = ItemIndex(store._pages, store._shift, bits, store._hdr, 2)
        self.saved_migrate = slab._index.MIGRATE_PER_INSERT
        slab._index.MIGRATE_PER_INSERT = 1
        self.written: dict[bytes, bytes] = {}

    def teardown(self) -> None:
        if hasattr(self, "saved_migrate"):
            slab._index.MIGRATE_PER_INSERT = self.saved_migrate

    @rule(
        key=st.integers(0, 400).map(lambda i: b"key%d" % i),
        size=st.sampled_from([0, 10, 100, 900, 5000, 20_000, 40_000, 200_000, 300_000]),
        ttl=st.sampled_from([0, 0, 0, 2, 60]),
    )
    def set(self, key: bytes, size: int, ttl: int) -> None:
        value = (key * (size // max(1, len(key)) + 1))[:size]
        self.written.pop(key, None)
        try:
            self.store.set(key, value, 0, ttl and self.clock.now + ttl)
        except (OutOfMemory, TooLarge):
            assert not self.store.contains(key)
            return
        self.written[key] = value

    @rule(key=st.integers(0, 400).map(lambda i: b"key%d" % i))
    def get(self, key: bytes) -> None:
        got = self.store.get_value(key)
        if got is not None:
            assert got[1] == self.written[key]

    @rule(key=st.integers(0, 400).map(lambda i: b"key%d" % i), ttl=st.sampled_from([0, 1, 30]))
    def touch(self, key: bytes, ttl: int) -> None:
        item = self.store.touch(key, ttl and self.clock.now + ttl)
        if item is not None:
            assert item.value == self.written[item.key]

    @rule(key=st.integers(0, 400).map(lambda i: b"key%d" % i))
    def delete(self, key: bytes) -> None:
        self.store.delete(key)
        self.written.pop(key, None)

    @rule(seconds=st.integers(0, 3))
    def advance(self, seconds: int) -> None:
        self.clock.now += seconds

    @rule()
    def maintain(self) -> None:
        self.store.maintain()

    @rule(budget=st.sampled_from([5, 1000]))
    def crawl(self, budget: int) -> None:
        self.store.crawl_step(budget)

    @rule(src=st.integers(-1, 40), dst=st.integers(0, 40))
    def reassign(self, src: int, dst: int) -> None:
        self.store.reassign(src, dst)

    @precondition(lambda self: hasattr(self, "store"))
    @rule(pages=st.sampled_from([3, 5, 8, 12]))
    def memory_limit(self, pages: int) -> None:
        assert self.store.set_memory_limit(pages * PAGE)

    @invariant()
    def consistent(self) -> None:
        if not hasattr(self, "store"):
            return
        store = self.store
        store._check_invariants()
        assert store._alloc.total_malloced <= store._alloc.max_pages * store.config.page_size
        for item in store.items():
            assert item.value == self.written[item.key]


TestStoreMatchesModel = StoreMatchesModel.TestCase
TestStoreMatchesModel.settings = settings(max_examples=30, stateful_step_count=40, deadline=None)
TestStoreUnderPressure = StoreUnderPressure.TestCase
TestStoreUnderPressure.settings = settings(max_examples=25, stateful_step_count=60, deadline=None)
