"""Compact hash index: key -> item ref, open addressing over one ``array('q')``.

Each slot is 0 (empty) or ``tag << ref_bits | ref`` where ``tag`` is the
low ``tag_bits`` bits of ``hash(key)`` and ``ref`` the item's header chunk.
The key itself is not stored here: a candidate is confirmed by comparing
against the key bytes in the chunk.  8 bytes per slot, no Python object per
item.

Linear probing from ``hash & mask``; deletion shifts later entries back
(no tombstones), using the tag to recompute an entry's home slot, which is
exact because ``mask <= tag_mask``.  The table doubles when it is 3/4 full.

Invariant: every indexed entry is reachable from its home slot without
crossing an empty slot, and each live item's ref appears exactly once.
"""

from __future__ import annotations

import mmap
from array import array

from slab._layout import OFF_KEYLEN

#: Slots of a new table (memcached's default hashpower is 16).
INITIAL_HASH_POWER = 16
#: Grow when count * LOAD_DEN > capacity * LOAD_NUM (3/4 full).
LOAD_NUM = 3
LOAD_DEN = 4


class ItemIndex:
    """Open-addressing hash table of item refs."""

    __slots__ = (
        "count",
        "key_offset",
        "mask",
        "offset_mask",
        "page_shift",
        "pages",
        "ref_bits",
        "ref_mask",
        "slots",
        "tag_mask",
    )

    def __init__(
        self, pages: list[mmap.mmap | None], page_shift: int, ref_bits: int, key_offset: int
    ) -> None:
        self.pages = pages
        self.page_shift = page_shift
        self.offset_mask = (1 << page_shift) - 1
        self.ref_bits = ref_bits
        self.ref_mask = (1 << ref_bits) - 1
        self.tag_mask = (1 << (63 - ref_bits)) - 1
        self.key_offset = key_offset
        self.count = 0
        self.slots: array[int] = array("q", bytes(8 << INITIAL_HASH_POWER))
        self.mask = (1 << INITIAL_HASH_POWER) - 1

    @property
    def hash_power(self) -> int:
        return (self.mask + 1).bit_length() - 1

    @property
    def hash_bytes(self) -> int:
        return (self.mask + 1) * 8

    def find(self, key: bytes, h: int) -> int:
        """Slot number holding ``key`` (hash ``h``), or -1."""
        slots = self.slots
        mask = self.mask
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
        return self.slots[slot] & self.ref_mask

    def find_ref(self, h: int, ref: int) -> int:
        """Slot holding ``ref`` (whose key hashes to ``h``), or -1."""
        slots = self.slots
        mask = self.mask
        rmask = self.ref_mask
        i = h & mask
        while True:
            e = slots[i]
            if not e:
                return -1
            if e & rmask == ref:
                return i
            i = (i + 1) & mask

    def insert(self, h: int, ref: int) -> None:
        """Add ``ref`` for a key (hash ``h``) that is not in the table."""
        if (self.count + 1) * LOAD_DEN > (self.mask + 1) * LOAD_NUM:
            self._grow()
        slots = self.slots
        mask = self.mask
        i = h & mask
        while slots[i]:
            i = (i + 1) & mask
        slots[i] = ((h & self.tag_mask) << self.ref_bits) | ref
        self.count += 1

    def replace_at(self, slot: int, ref: int) -> None:
        """Point an existing entry at a new ref (item moved to another chunk)."""
        e = self.slots[slot]
        self.slots[slot] = (e & ~self.ref_mask) | ref

    def remove_at(self, slot: int) -> None:
        """Delete the entry in ``slot``, shifting its cluster back."""
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
        self.count -= 1

    def _grow(self) -> None:
        if self.mask >= self.tag_mask:
            return  # cannot exceed the tag width; keeps working, just fuller
        old = self.slots
        cap = (self.mask + 1) * 2
        mask = cap - 1
        rbits = self.ref_bits
        slots: array[int] = array("q", bytes(8 * cap))
        for e in old:
            if e:
                i = (e >> rbits) & mask
                while slots[i]:
                    i = (i + 1) & mask
                slots[i] = e
        self.slots = slots
        self.mask = mask

    def refs(self) -> list[int]:
        """Every indexed ref (debugging)."""
        rmask = self.ref_mask
        return [e & rmask for e in self.slots if e]

    def check(self, hash_of_ref: dict[int, int]) -> None:
        """Assert the invariants, given ``ref -> hash(key)`` for every live item."""
        seen = 0
        for slot, e in enumerate(self.slots):
            if not e:
                continue
            seen += 1
            ref = e & self.ref_mask
            assert ref in hash_of_ref, f"index holds unknown ref {ref:#x}"
            h = hash_of_ref[ref]
            assert e >> self.ref_bits == h & self.tag_mask, "tag"
            assert self.find_ref(h, ref) == slot, "entry unreachable from its home slot"
        assert seen == self.count == len(hash_of_ref), "index count"
