"""A small in-memory implementation of the slab.Store API (slab/API.md) for
protocol/engine tests, used until/unless the real store is importable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from slab._types import (
    CAS_SIZE,
    ITEM_HEADER_SIZE,
    Item,
    OutOfMemory,
    ReassignResult,
    SlabConfig,
    TooLarge,
)


def item_total_size(key_len: int, value_len: int, cas_enabled: bool) -> int:
    return ITEM_HEADER_SIZE + key_len + 1 + value_len + 2 + (CAS_SIZE if cas_enabled else 0)


class FakeStore:
    def __init__(self, config: SlabConfig, clock: Callable[[], int]) -> None:
        self.config = config
        self.clock = clock
        self.automove = config.slab_automove
        self._items: dict[bytes, Item] = {}
        self._seq: dict[bytes, int] = {}  # store sequence for flush ordering
        self._cas = 0
        self._tick = 0
        self._flush_seq = 0  # items with seq <= this are flushed
        self._flush_at: int | None = None
        self.counts: dict[tuple[int, str], int] = {}
        self.st = {"get_expired": 0, "get_flushed": 0, "total_items": 0}
        self.memory_limit = config.memory_limit
        self.fail_oom = False

    # helpers
    def _live(self, key: bytes) -> Item | None:
        it = self._items.get(key)
        if it is None:
            return None
        now = self.clock()
        at = self._flush_at
        if self._seq[key] <= self._flush_seq or (
            at is not None and now >= at and it.time_set <= at
        ):
            del self._items[key]
            self.st["get_flushed"] += 1
            return None
        if it.exptime != 0 and it.exptime <= now:
            del self._items[key]
            self.st["get_expired"] += 1
            return None
        return it

    def _next_cas(self) -> int:
        if not self.config.cas_enabled:
            return 0
        self._cas += 1
        return self._cas

    # reads
    def get(self, key: bytes, *, bump: bool = True) -> Item | None:
        it = self._live(key)
        if it is None:
            return None
        snap = replace(it)
        if bump:
            it.fetched = True
            it.last_access = self.clock()
            self.count(it.slab_class, "get_hits")
        return snap

    def get_value(self, key: bytes) -> tuple[int, bytes, int] | None:
        it = self.get(key)
        return None if it is None else (it.flags, it.value, it.cas)

    def contains(self, key: bytes) -> bool:
        return self._live(key) is not None

    # writes
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
    ) -> int:
        total = item_total_size(len(key), len(value), self.config.cas_enabled)
        if total > self.config.item_size_max:
            self._items.pop(key, None)
            raise TooLarge()
        if self.fail_oom:
            self._items.pop(key, None)
            raise OutOfMemory()
        new_cas = cas if cas is not None else self._next_cas()
        now = self.clock()
        self._tick += 1
        self._items[key] = Item(
            key=key,
            value=bytes(value),
            flags=flags,
            cas=new_cas,
            exptime=exptime,
            last_access=now,
            time_set=now,
            fetched=fetched,
            stale=stale,
            win_token_sent=win_token_sent,
            key_is_binary=key_is_binary,
            slab_class=1 + min(total // 100, 38),
            total_size=total,
        )
        self._seq[key] = self._tick
        self.st["total_items"] += 1
        self.count(1, "cmd_set")
        return new_cas

    def delete(self, key: bytes) -> bool:
        if self._live(key) is None:
            return False
        del self._items[key]
        return True

    def touch(self, key: bytes, exptime: int) -> Item | None:
        it = self._live(key)
        if it is None:
            return None
        snap = replace(it)
        it.exptime = exptime
        it.fetched = True
        it.last_access = self.clock()
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
        if cas is not None:
            it.cas = cas
        elif new_cas:
            it.cas = self._next_cas()
        if stale is not None:
            it.stale = stale
        if win_token_sent is not None:
            it.win_token_sent = win_token_sent
        return True

    def next_cas(self) -> int:
        return self._next_cas()

    def count(self, slab_class: int, stat: str) -> None:
        k = (slab_class, stat)
        self.counts[k] = self.counts.get(k, 0) + 1

    def flush_all(self, at: int | None = None) -> None:
        now = self.clock()
        if at is None or at <= now:
            self._flush_seq = self._tick
            self._flush_at = None
        else:
            self._flush_at = at

    def crawl_step(self, budget: int = 1000) -> int:
        n = 0
        for k in list(self._items)[:budget]:
            if self._live(k) is None:
                n += 1
        return n

    def maintain(self) -> None:
        pass

    def set_memory_limit(self, limit_bytes: int) -> bool:
        self.memory_limit = limit_bytes
        return True

    def reassign(self, src: int, dst: int) -> ReassignResult:
        if src == dst:
            return ReassignResult.SAME
        if dst < 1 or dst > 39 or src > 39:
            return ReassignResult.BADCLASS
        return ReassignResult.NOSPARE

    def __len__(self) -> int:
        return len(self._items)

    def items(self, slab_class: int | None = None) -> Iterator[Item]:
        for k in list(self._items):
            it = self._items.get(k)
            if it is None:
                continue
            if slab_class is not None and it.slab_class != slab_class:
                continue
            yield replace(it)

    def stats(self) -> dict[str, int]:
        return {
            "bytes": sum(i.total_size for i in self._items.values()),
            "curr_items": len(self._items),
            **self.st,
        }

    def slab_stats(self) -> list[tuple[str, int]]:
        return [("1:chunk_size", 96), ("active_slabs", 1), ("total_malloced", 1048576)]

    def item_stats(self) -> list[tuple[str, int]]:
        if not self._items:
            return []
        return [("items:1:number", len(self._items))]

    def size_stats(self) -> list[tuple[str, int]] | None:
        return None

    def reset_stats(self) -> None:
        self.counts.clear()
