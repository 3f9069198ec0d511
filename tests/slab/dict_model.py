"""A plain-dict model of ``slab.Store`` semantics (no memory limit, no LRU).

Used by the stateful property test: with a budget large enough that nothing
is evicted, the store must answer exactly like this model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from slab import Item, TooLarge, item_total_size, slab_class_sizes
from slab._config import ClassTable
from slab._types import SlabConfig


@dataclass
class ModelItem:
    value: bytes
    flags: int
    exptime: int
    cas: int
    seq: int
    time_set: int
    last_access: int
    fetched: bool = False
    #: segmented LRU: fetch times the store's last_access may also hold (see _fetch)
    access_times: set[int] = field(default_factory=set)
    stale: bool = False
    win_token_sent: bool = False
    key_is_binary: bool = False


class DictModel:
    """The reference semantics of slab/API.md over a dict."""

    def __init__(self, config: SlabConfig, clock: Callable[[], int]) -> None:
        self.config = config
        self.clock = clock
        self.items: dict[bytes, ModelItem] = {}
        self.cas_counter = 0
        self.seq = 0
        self.flush_seq = 0
        self.flush_time = -1
        self.flush_at = 0
        self.classes = ClassTable(config)
        self.sizes = slab_class_sizes(config)

    # --- liveness ---------------------------------------------------------
    def _dead(self, it: ModelItem) -> bool:
        now = self.clock()
        if it.exptime and it.exptime <= now:
            return True
        if it.seq <= self.flush_seq or it.time_set <= self.flush_time:
            return True
        return bool(self.flush_at) and self.flush_at <= now and it.time_set <= self.flush_at

    def _live(self, key: bytes) -> ModelItem | None:
        it = self.items.get(key)
        if it is None:
            return None
        if self._dead(it):
            del self.items[key]
            return None
        return it

    def _total(self, key: bytes, it: ModelItem) -> int:
        return item_total_size(len(key), len(it.value), self.config.cas_enabled, it.flags)

    def _class_of(self, key: bytes, it: ModelItem) -> int:
        total = self._total(key, it)
        if total > self.config.slab_chunk_max:
            return self.classes.largest
        return self.classes.class_for(total)

    def _snapshot(self, key: bytes, it: ModelItem) -> Item:
        return Item(
            key=key,
            value=it.value,
            flags=it.flags,
            cas=it.cas,
            exptime=it.exptime,
            last_access=it.last_access,
            time_set=it.time_set,
            fetched=it.fetched,
            stale=it.stale,
            win_token_sent=it.win_token_sent,
            key_is_binary=it.key_is_binary,
            slab_class=self._class_of(key, it),
            total_size=self._total(key, it),
        )

    def _fetch(self, it: ModelItem) -> None:
        """memcached's do_item_bump. Segmented: the first fetch marks the item
        fetched, the second makes it active and (outside COLD) moves its time;
        later fetches change nothing until the LRU clears ACTIVE again. Flat
        LRU: every fetch moves it."""
        if not self.config.lru_segmented:
            it.fetched = True
            it.last_access = self.clock()
            return
        # Segmented: whether this fetch moves the time depends on the ACTIVE
        # bit and the LRU segment, which the store's juggling changes and the
        # model does not track; it only records the times that are possible.
        if it.fetched:
            it.access_times.add(self.clock())
        it.fetched = True

    def access_time_ok(self, item: Item) -> bool:
        """Is ``item.last_access`` (from the store) a time the model allows?"""
        it = self.items.get(item.key)
        if it is None:
            return False
        return item.last_access == it.last_access or item.last_access in it.access_times

    # --- API ---------------------------------------------------------------
    def get(self, key: bytes, *, bump: bool = True, count_hit: bool = False) -> Item | None:
        it = self._live(key)
        if it is None:
            return None
        snap = self._snapshot(key, it)
        if bump:
            self._fetch(it)
        return snap

    def get_value(self, key: bytes) -> tuple[int, bytes, int] | None:
        item = self.get(key)
        return None if item is None else (item.flags, item.value, item.cas)

    def contains(self, key: bytes) -> bool:
        it = self.items.get(key)
        return it is not None and not self._dead(it)

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
        if item_total_size(len(key), len(value), self.config.cas_enabled, flags) > (
            self.config.item_size_max
        ):
            if not keep_old_on_error:
                self.items.pop(key, None)
            raise TooLarge(key)
        self.items.pop(key, None)
        if not self.config.cas_enabled:
            cas = 0
        elif cas is None:
            self.cas_counter += 1
            cas = self.cas_counter
        self.seq += 1
        now = self.clock()
        self.items[key] = ModelItem(
            value=value,
            flags=flags,
            exptime=exptime,
            cas=cas,
            seq=self.seq,
            time_set=now,
            last_access=now,
            fetched=fetched,
            stale=stale,
            win_token_sent=win_token_sent,
            key_is_binary=key_is_binary,
        )
        return cas

    def delete(self, key: bytes) -> bool:
        if self._live(key) is None:
            return False
        del self.items[key]
        return True

    def touch(self, key: bytes, exptime: int) -> Item | None:
        it = self._live(key)
        if it is None:
            return None
        snap = self._snapshot(key, it)
        it.exptime = exptime
        self._fetch(it)
        return snap

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
        it = self._live(key)
        if it is None:
            return False
        if exptime is not None:
            it.exptime = exptime
        if self.config.cas_enabled and (new_cas or cas is not None):
            if cas is None:
                self.cas_counter += 1
                cas = self.cas_counter
            it.cas = cas
            it.time_set = self.clock()
        if stale is not None:
            it.stale = stale
        if win_token_sent is not None:
            it.win_token_sent = win_token_sent
        return True

    def next_cas(self) -> int:
        if not self.config.cas_enabled:
            return 0
        self.cas_counter += 1
        return self.cas_counter

    def flush_all(self, at: int | None = None) -> None:
        now = self.clock()
        if self.flush_at and self.flush_at <= now:
            self.flush_time = max(self.flush_time, self.flush_at)
            self.flush_at = 0
        if at is None or at <= now:
            self.flush_seq = self.seq
            self.flush_at = 0
        else:
            self.flush_at = at

    def live_items(self) -> dict[bytes, Item]:
        return {k: self._snapshot(k, it) for k, it in self.items.items() if not self._dead(it)}
