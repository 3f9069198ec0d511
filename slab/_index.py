"""Compact hash index: key -> item ref, open addressing over one ``vec[i64]``.

Each slot is 0 (empty) or ``tag << ref_bits | ref`` where ``tag`` is the
low ``tag_bits`` bits of ``hash(key)`` and ``ref`` the item's header chunk.
The key itself is not stored here: a candidate is confirmed by comparing
against the key bytes in the chunk.  8 bytes per slot, no Python object per
item.  The table is a ``librt.vecs.vec[i64]`` (mypyc's runtime library):
compiled code reads and writes its slots as machine integers, where an
``array('q')`` slot costs a Python int allocation per read (measured: 4 ns
against 45 ns per probe); uncompiled code uses the same type through librt.

Linear probing from ``hash & mask``; deletion shifts later entries back
(no tombstones), using the tag to recompute an entry's home slot, which is
exact because ``mask <= tag_mask``.

Growth is incremental (no stop-the-world rehash): at 3/4 load a table twice
the size becomes current and the old one is drained a few slots per insert
(and in bigger batches from ``Store.maintain``).  While draining, lookups try
the new table, then the old one; a moved or deleted old entry becomes a
tombstone (-1) so the old probe chains stay intact.  A slot number < -1
names slot ``-slot - 2`` of the old table.

Invariant: every indexed entry is in exactly one table and reachable from its
home slot there without crossing an empty slot; each live item's ref appears
exactly once.
"""

from __future__ import annotations

import mmap
from typing import Final

from librt.vecs import extend, vec
from mypy_extensions import i64

from slab._layout import OFF_KEYLEN

#: Slots of a new table (memcached's default hashpower is 16).
INITIAL_HASH_POWER: Final = 16
#: Grow when count * LOAD_DEN > capacity * LOAD_NUM (3/4 full).
LOAD_NUM: Final = 3
LOAD_DEN: Final = 4
#: Old-table slots moved per insert while growing (drains before the new table fills).
MIGRATE_PER_INSERT: Final = 16
#: Keys are indexed by ``hash(key) & HASH_MASK`` (see key_hash).
HASH_MASK: Final = (1 << 62) - 1
#: Width of an entry (tag + ref), below mypyc's 63-bit unboxed int range.
ENTRY_BITS: Final = 62
#: A moved or deleted entry of the old table while it drains.
TOMBSTONE: Final = -1


def zeroed_slots(n: int) -> vec[i64]:
    """A table of ``n`` empty slots (``n`` a power of two), by doubling.

    Allocated once at its final capacity: a vec grown by ``extend`` reserves
    twice its length (measured: 8 MiB held for a 4 MiB table of 2**19 slots),
    and doubling in place is faster too (3.3 against 9.0 ms for 2**19 slots).
    """
    slots = vec[i64]([0], capacity=n)
    while len(slots) < n:
        slots = extend(slots, slots)
    return slots


def key_hash(key: bytes) -> int:
    """The hash the index uses for ``key``.

    Only its low bits matter (home slot and tag); masking once keeps every
    later operation on it an unboxed int in compiled code, where a full
    64-bit hash would be a heap-allocated int half the time.
    """
    return hash(key) & HASH_MASK


class ItemIndex:
    """Open-addressing hash table of item refs."""

    __slots__ = (
        "count",
        "key_offset",
        "mask",
        "migrate_per_insert",
        "migrate_pos",
        "offset_mask",
        "old_mask",
        "old_slots",
        "page_shift",
        "pages",
        "ref_bits",
        "ref_mask",
        "slots",
        "tag_mask",
    )

    def __init__(
        self,
        pages: list[mmap.mmap | None],
        page_shift: int,
        ref_bits: int,
        key_offset: int,
        initial_power: int = INITIAL_HASH_POWER,
        migrate_per_insert: int = MIGRATE_PER_INSERT,
    ) -> None:
        self.pages = pages
        self.page_shift = page_shift
        self.offset_mask = (1 << page_shift) - 1
        self.ref_bits = ref_bits
        self.ref_mask = (1 << ref_bits) - 1
        # Entries stay below 2**62 so compiled code keeps them as unboxed
        # (tagged) ints; a 63-bit entry would take the big-int path per probe.
        self.tag_mask = (1 << (ENTRY_BITS - ref_bits)) - 1
        self.key_offset = key_offset
        self.count = 0
        self.slots: vec[i64] = zeroed_slots(1 << initial_power)
        self.mask = (1 << initial_power) - 1
        #: the table being drained while growing, else None
        self.old_slots: vec[i64] | None = None
        self.old_mask = 0
        self.migrate_pos = 0
        self.migrate_per_insert = migrate_per_insert

    @property
    def hash_power(self) -> int:
        return (self.mask + 1).bit_length() - 1

    @property
    def hash_bytes(self) -> int:
        return (self.mask + 1) * 8

    def find(self, key: bytes, h: int) -> int:
        """Slot number holding ``key`` (hash ``h``), or -1."""
        slot = self._probe(self.slots, self.mask, key, h)
        if slot < 0 and self.old_slots is not None:
            old = self._probe(self.old_slots, self.old_mask, key, h)
            if old >= 0:
                return -old - 2
        return slot

    def _probe(self, slots: vec[i64], mask: int, key: bytes, h: int) -> int:
        pages = self.pages
        shift = self.page_shift
        omask = self.offset_mask
        rbits = self.ref_bits
        rmask = self.ref_mask
        ko = self.key_offset
        klen = len(key)
        tag = h & self.tag_mask
        i = h & mask
        while True:
            e = slots[i]
            if not e:
                return -1
            if e >> rbits == tag:
                ref = e & rmask
                page = pages[ref >> shift]
                assert page is not None
                off = ref & omask
                if page[off + OFF_KEYLEN] == klen and page[off + ko : off + ko + klen] == key:
                    return i
            i = (i + 1) & mask

    def ref_at(self, slot: int) -> int:
        if slot < -1:
            assert self.old_slots is not None
            return self.old_slots[-slot - 2] & self.ref_mask
        return self.slots[slot] & self.ref_mask

    def find_ref(self, h: int, ref: int) -> int:
        """Slot holding ``ref`` (whose key hashes to ``h``), or -1."""
        slot = self._probe_ref(self.slots, self.mask, h, ref)
        if slot < 0 and self.old_slots is not None:
            old = self._probe_ref(self.old_slots, self.old_mask, h, ref)
            if old >= 0:
                return -old - 2
        return slot

    def _probe_ref(self, slots: vec[i64], mask: int, h: int, ref: int) -> int:
        rmask = self.ref_mask
        i = h & mask
        while True:
            e = slots[i]
            if not e:
                return -1
            if e & rmask == ref and e != TOMBSTONE:
                return i
            i = (i + 1) & mask

    def insert(self, h: int, ref: int) -> None:
        """Add ``ref`` for a key (hash ``h``) that is not in the table."""
        if self.old_slots is not None:
            self.migrate(self.migrate_per_insert)
            # ``growing`` (a call) re-reads the attribute: ``migrate`` may have
            # finished, and mypy keeps an ``is not None`` narrowing across the
            # call, which compiled code would trust.
            if self.growing and (self.count + 1) * 8 > (self.mask + 1) * 7:
                self.migrate(self.mask + 1)  # never let the new table fill up
        if self.old_slots is None and (self.count + 1) * LOAD_DEN > (self.mask + 1) * LOAD_NUM:
            self._start_growing()
        self._place(((h & self.tag_mask) << self.ref_bits) | ref)
        self.count += 1

    def _place(self, entry: int) -> None:
        slots = self.slots
        mask = self.mask
        i = (entry >> self.ref_bits) & mask
        while slots[i]:
            i = (i + 1) & mask
        slots[i] = entry

    def replace_at(self, slot: int, ref: int) -> None:
        """Point an existing entry at a new ref (item moved to another chunk)."""
        slots = self.slots
        if slot < -1:
            assert self.old_slots is not None
            slots, slot = self.old_slots, -slot - 2
        slots[slot] = (slots[slot] & ~self.ref_mask) | ref

    def remove_at(self, slot: int) -> None:
        """Delete the entry in ``slot``, shifting its cluster back."""
        self.count -= 1
        if slot < -1:
            assert self.old_slots is not None
            self.old_slots[-slot - 2] = TOMBSTONE
            return
        slots = self.slots
        mask = self.mask
        rbits = self.ref_bits
        i = slot
        j = slot
        while True:
            j = (j + 1) & mask
            e = slots[j]
            if not e:
                break
            home = (e >> rbits) & mask
            if ((j - home) & mask) >= ((j - i) & mask):
                slots[i] = e
                i = j
        slots[i] = 0

    def _start_growing(self) -> None:
        if self.mask >= self.tag_mask:
            return  # cannot exceed the tag width; keeps working, just fuller
        self.old_slots = self.slots
        self.old_mask = self.mask
        self.migrate_pos = 0
        cap = (self.mask + 1) * 2
        self.slots = zeroed_slots(cap)
        self.mask = cap - 1

    def migrate(self, n: int) -> None:
        """Move up to ``n`` slots of the old table into the current one."""
        old = self.old_slots
        if old is None:
            return
        start = self.migrate_pos
        end = min(start + n, len(old))
        for i in range(start, end):
            e = old[i]
            if e > 0:
                self._place(e)
                old[i] = TOMBSTONE
        self.migrate_pos = end
        if end >= len(old):
            self.old_slots = None
            self.old_mask = 0

    @property
    def growing(self) -> bool:
        return self.old_slots is not None

    def refs(self) -> list[int]:
        """Every indexed ref (debugging)."""
        rmask = self.ref_mask
        tables = [self.slots] if self.old_slots is None else [self.slots, self.old_slots]
        return [e & rmask for slots in tables for e in slots if e > 0]

    def check(self, hash_of_ref: dict[int, int]) -> None:
        """Assert the invariants, given ``ref -> hash(key)`` for every live item."""
        seen = 0
        tables = [(self.slots, self.mask, 1)]
        if self.old_slots is not None:
            tables.append((self.old_slots, self.old_mask, -1))
        for slots, mask, sign in tables:
            for slot, e in enumerate(slots):
                if e <= 0:
                    assert e == 0 or sign < 0, "tombstone outside the old table"
                    continue
                seen += 1
                ref = e & self.ref_mask
                assert ref in hash_of_ref, f"index holds unknown ref {ref:#x}"
                h = hash_of_ref[ref]
                assert e >> self.ref_bits == h & self.tag_mask, "tag"
                assert self._probe_ref(slots, mask, h, ref) == slot, "entry unreachable"
                if sign < 0:
                    assert slot >= self.migrate_pos, "entry left behind the drain cursor"
        assert seen == self.count == len(hash_of_ref), "index count"
