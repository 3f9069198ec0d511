"""Compact hash index: key -> item ref, open addressing over one ``vec[i64]``.

Each entry is 0 (empty) or ``tag << cref_bits | cref``: ``cref`` is the
item's header chunk ref shifted right by the chunk alignment (chunk offsets
are multiples of 8), ``tag`` a few bits of ``hash(key)``.  The key itself is
not stored here: a candidate is confirmed by comparing against the key bytes
in the chunk.  No Python object per item.  The table is a
``librt.vecs.vec[i64]`` (mypyc's runtime library): compiled code reads and
writes its words as machine integers, where an ``array('q')`` slot costs a
Python int allocation per read (measured: 4 ns against 45 ns per probe).

Two entry widths, chosen from the highest page id the budget allows:

* **narrow** (budgets below 2 GiB of 1 MiB pages): entries below 2**30,
  two per 64-bit word, so 4 bytes a slot, half of a pointer-per-bucket
  table such as memcached's.  The tag is taken from hash bits above the
  slot number (``TAG_SHIFT``), and an entry's home slot, needed when
  deleting and when growing, is recomputed by hashing the key read from
  its chunk.
* **wide** (larger budgets): one entry per word (8 bytes a slot); the tag
  is the low hash bits, which also give the home slot (``mask <= tag_mask``).

Raising the budget at run time past what the narrow entries can name
re-encodes the table once (``widen``).

Linear probing from ``hash & mask``; deletion shifts later entries back
(no tombstones).

Growth is incremental (no stop-the-world rehash): at 3/4 load a table twice
the size becomes current and the old one is drained a few slots per insert
(and in bigger batches from ``Store.maintain``).  While draining, lookups try
the new table, then the old one; a moved or deleted old entry becomes a
tombstone so the old probe chains stay intact.  A slot number < -1 names
slot ``-slot - 2`` of the old table.

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
#: Width of a wide entry (tag + cref), below mypyc's 63-bit unboxed int range.
WIDE_ENTRY_BITS: Final = 62
#: Width of a narrow entry: two per word keep the word below 2**62 as well.
NARROW_ENTRY_BITS: Final = 30
#: Bits of a word given to each of its two narrow entries.
NARROW_LANE_BITS: Final = 32
#: Fewest tag bits worth a narrow table; with fewer the table is wide.
MIN_NARROW_TAG_BITS: Final = 2
#: Narrow tags come from hash bits above any slot number (tables stay < 2**32).
NARROW_TAG_SHIFT: Final = 32
#: Chunk refs are multiples of 2**REF_ALIGN_BITS (memcached aligns chunks to 8).
REF_ALIGN_BITS: Final = 3


def zeroed_slots(n: int) -> vec[i64]:
    """A table of ``n`` zero words (``n`` a power of two), by doubling.

    Allocated once at its final capacity: a vec grown by ``extend`` reserves
    twice its length (measured: 8 MiB held for a 4 MiB table of 2**19 words),
    and doubling in place is faster too (3.3 against 9.0 ms for 2**19 words).
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
    """Open-addressing hash table of item refs (see the module docstring)."""

    __slots__ = (
        "count",
        "cref_bits",
        "cref_mask",
        "entry_mask",
        "home_from_tag",
        "key_offset",
        "lane_mask",
        "mask",
        "migrate_per_insert",
        "migrate_pos",
        "offset_mask",
        "old_mask",
        "old_slots",
        "page_id_bits",
        "page_shift",
        "pages",
        "slots",
        "tag_mask",
        "tag_shift",
        "tombstone",
        "word_shift",
    )

    def __init__(
        self,
        pages: list[mmap.mmap | None],
        page_shift: int,
        page_id_bits: int,
        key_offset: int,
        initial_power: int = INITIAL_HASH_POWER,
        migrate_per_insert: int = MIGRATE_PER_INSERT,
    ) -> None:
        self.pages = pages
        self.page_shift = page_shift
        self.offset_mask = (1 << page_shift) - 1
        self.key_offset = key_offset
        self.count = 0
        self.mask = (1 << initial_power) - 1
        #: the table being drained while growing, else None
        self.old_slots: vec[i64] | None = None
        self.old_mask = 0
        self.migrate_pos = 0
        self.migrate_per_insert = migrate_per_insert
        self._configure(page_id_bits)
        self.slots: vec[i64] = zeroed_slots(self._words(self.mask))

    def _configure(self, page_id_bits: int) -> None:
        """Choose the entry encoding for refs with page ids below 2**page_id_bits."""
        self.page_id_bits = page_id_bits
        cref_bits = self.page_shift - REF_ALIGN_BITS + page_id_bits
        narrow = cref_bits + MIN_NARROW_TAG_BITS <= NARROW_ENTRY_BITS
        entry_bits = NARROW_ENTRY_BITS if narrow else WIDE_ENTRY_BITS
        self.cref_bits = cref_bits
        self.cref_mask = (1 << cref_bits) - 1
        self.tag_mask = (1 << (entry_bits - cref_bits)) - 1
        self.tombstone = (1 << entry_bits) - 1  # never a live entry: no chunk starts there
        self.home_from_tag = not narrow
        self.tag_shift = NARROW_TAG_SHIFT if narrow else 0
        self.word_shift = 1 if narrow else 0
        self.lane_mask = 1 if narrow else 0
        self.entry_mask = (1 << NARROW_LANE_BITS) - 1 if narrow else HASH_MASK

    def _words(self, mask: int) -> int:
        return ((mask + 1) >> self.word_shift) or 1

    @property
    def narrow(self) -> bool:
        return not self.home_from_tag

    @property
    def hash_power(self) -> int:
        return (self.mask + 1).bit_length() - 1

    @property
    def hash_bytes(self) -> int:
        return len(self.slots) * 8

    # ------------------------------------------------------------ entries
    def entry(self, slots: vec[i64], i: int) -> int:
        """Entry ``i`` of ``slots`` (0 empty, ``tombstone`` drained)."""
        return (slots[i >> self.word_shift] >> ((i & self.lane_mask) * NARROW_LANE_BITS)) & (
            self.entry_mask
        )

    def _put(self, slots: vec[i64], i: int, e: int) -> None:
        w = i >> self.word_shift
        sh = (i & self.lane_mask) * NARROW_LANE_BITS
        word: int = slots[w]
        # XOR the lane from its old entry to ``e``: every intermediate stays
        # below 2**62 (a mask such as ~(lane << 32) would not fit an i64).
        slots[w] = word ^ ((((word >> sh) & self.entry_mask) ^ e) << sh)

    def _encode(self, h: int, ref: int) -> int:
        cref = ref >> REF_ALIGN_BITS
        assert cref <= self.cref_mask and cref << REF_ALIGN_BITS == ref, "ref out of range"
        return (((h >> self.tag_shift) & self.tag_mask) << self.cref_bits) | cref

    def _ref_of(self, e: int) -> int:
        return (e & self.cref_mask) << REF_ALIGN_BITS

    def _home(self, e: int) -> int:
        """Hash bits of entry ``e``'s key that give its home slot (``& mask``)."""
        if self.home_from_tag:
            return e >> self.cref_bits
        return self._hash_at((e & self.cref_mask) << REF_ALIGN_BITS)

    def _hash_at(self, ref: int) -> int:
        """``key_hash`` of the key stored in chunk ``ref``."""
        page = self.pages[ref >> self.page_shift]
        assert page is not None
        off = ref & self.offset_mask
        ko = off + self.key_offset
        return key_hash(page[ko : ko + page[off + OFF_KEYLEN]])

    # ------------------------------------------------------------ lookups
    def find(self, key: bytes, h: int) -> int:
        """Slot number holding ``key`` (hash ``h``), or -1."""
        slot = self.first_match(h)
        while slot != -1 and not self._holds(slot, key):
            slot = self.next_match(h, slot)
        return slot

    def first_match(self, h: int) -> int:
        """The first slot on ``h``'s probe path whose entry carries ``h``'s tag,
        or -1: a candidate whose key the caller compares (``next_match`` goes
        on). Slot numbers as ``find`` returns them."""
        slot = self._scan(self.slots, self.mask, h, h & self.mask)
        if slot == -1 and self.old_slots is not None:
            return self._first_old_match(h)
        return slot

    def next_match(self, h: int, slot: int) -> int:
        """The candidate after ``slot`` (see ``first_match``), or -1."""
        if slot >= 0:
            nxt = self._scan(self.slots, self.mask, h, (slot + 1) & self.mask)
            if nxt == -1 and self.old_slots is not None:
                return self._first_old_match(h)
            return nxt
        old_slots = self.old_slots
        assert old_slots is not None
        old = self._scan(old_slots, self.old_mask, h, (-slot - 1) & self.old_mask)
        return -old - 2 if old >= 0 else -1

    def _first_old_match(self, h: int) -> int:
        old_slots = self.old_slots
        assert old_slots is not None
        old = self._scan(old_slots, self.old_mask, h, h & self.old_mask)
        return -old - 2 if old >= 0 else -1

    def _scan(self, slots: vec[i64], mask: int, h: int, i: int) -> int:
        # The hot loop of every lookup: entry extraction written out inline.
        cbits = self.cref_bits
        wshift = self.word_shift
        lmask = self.lane_mask
        emask = self.entry_mask
        tomb = self.tombstone
        tag = (h >> self.tag_shift) & self.tag_mask
        while True:
            e = (slots[i >> wshift] >> ((i & lmask) * NARROW_LANE_BITS)) & emask
            if not e:
                return -1
            if e >> cbits == tag and e != tomb:
                return i
            i = (i + 1) & mask

    def _holds(self, slot: int, key: bytes) -> bool:
        """Whether the item of candidate ``slot`` has key ``key``."""
        ref = self.ref_at(slot)
        page = self.pages[ref >> self.page_shift]
        assert page is not None
        off = ref & self.offset_mask
        ko = off + self.key_offset
        klen = len(key)
        return page[off + OFF_KEYLEN] == klen and page[ko : ko + klen] == key

    def ref_at(self, slot: int) -> int:
        if slot < -1:
            assert self.old_slots is not None
            return self._ref_of(self.entry(self.old_slots, -slot - 2))
        return self._ref_of(self.entry(self.slots, slot))

    def find_ref(self, h: int, ref: int) -> int:
        """Slot holding ``ref`` (whose key hashes to ``h``), or -1."""
        slot = self._probe_ref(self.slots, self.mask, h, ref)
        if slot < 0 and self.old_slots is not None:
            old = self._probe_ref(self.old_slots, self.old_mask, h, ref)
            if old >= 0:
                return -old - 2
        return slot

    def _probe_ref(self, slots: vec[i64], mask: int, h: int, ref: int) -> int:
        cref = ref >> REF_ALIGN_BITS
        cmask = self.cref_mask
        tomb = self.tombstone
        i = h & mask
        while True:
            e = self.entry(slots, i)
            if not e:
                return -1
            if e & cmask == cref and e != tomb:
                return i
            i = (i + 1) & mask

    # ------------------------------------------------------------ updates
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
        self._place(self._encode(h, ref), h)
        self.count += 1

    def _place(self, entry: int, h: int) -> None:
        slots = self.slots
        mask = self.mask
        i = h & mask
        while self.entry(slots, i):
            i = (i + 1) & mask
        self._put(slots, i, entry)

    def replace_at(self, slot: int, ref: int) -> None:
        """Point an existing entry at a new ref (item moved to another chunk)."""
        slots = self.slots
        if slot < -1:
            assert self.old_slots is not None
            slots, slot = self.old_slots, -slot - 2
        e = self.entry(slots, slot)
        self._put(slots, slot, (e & ~self.cref_mask) | (ref >> REF_ALIGN_BITS))

    def remove_at(self, slot: int) -> None:
        """Delete the entry in ``slot``, shifting its cluster back."""
        self.count -= 1
        if slot < -1:
            assert self.old_slots is not None
            self._put(self.old_slots, -slot - 2, self.tombstone)
            return
        slots = self.slots
        mask = self.mask
        i = slot
        j = slot
        while True:
            j = (j + 1) & mask
            e = self.entry(slots, j)
            if not e:
                break
            home = self._home(e) & mask
            if ((j - home) & mask) >= ((j - i) & mask):
                self._put(slots, i, e)
                i = j
        self._put(slots, i, 0)

    def _start_growing(self) -> None:
        if self.home_from_tag and self.mask >= self.tag_mask:
            return  # cannot exceed the tag width; keeps working, just fuller
        self.old_slots = self.slots
        self.old_mask = self.mask
        self.migrate_pos = 0
        self.mask = (self.mask + 1) * 2 - 1
        self.slots = zeroed_slots(self._words(self.mask))

    def migrate(self, n: int) -> None:
        """Move up to ``n`` slots of the old table into the current one."""
        old = self.old_slots
        if old is None:
            return
        start = self.migrate_pos
        end = min(start + n, self.old_mask + 1)
        tomb = self.tombstone
        for i in range(start, end):
            e = self.entry(old, i)
            if e and e != tomb:
                self._place(e, self._home(e))
                self._put(old, i, tomb)
        self.migrate_pos = end
        if end > self.old_mask:
            self.old_slots = None
            self.old_mask = 0

    @property
    def growing(self) -> bool:
        return self.old_slots is not None

    def widen(self, page_id_bits: int) -> None:
        """Make room for page ids below 2**page_id_bits (the budget grew):
        re-encode every entry once, hashing each key again."""
        if page_id_bits <= self.page_id_bits:
            return
        if self.old_slots is not None:
            self.migrate(self.old_mask + 1)
        live = [(ref, self._hash_at(ref)) for ref in self.refs()]
        self._configure(page_id_bits)
        self.slots = zeroed_slots(self._words(self.mask))
        for ref, h in live:
            self._place(self._encode(h, ref), h)

    def refs(self) -> list[int]:
        """Every indexed ref (debugging, re-encoding)."""
        out: list[int] = []
        tables = [(self.slots, self.mask)]
        if self.old_slots is not None:
            tables.append((self.old_slots, self.old_mask))
        tomb = self.tombstone
        for slots, mask in tables:
            for i in range(mask + 1):
                e = self.entry(slots, i)
                if e and e != tomb:
                    out.append(self._ref_of(e))
        return out

    def check(self, hash_of_ref: dict[int, int]) -> None:
        """Assert the invariants, given ``ref -> hash(key)`` for every live item."""
        seen = 0
        tables = [(self.slots, self.mask, 1)]
        if self.old_slots is not None:
            tables.append((self.old_slots, self.old_mask, -1))
        for slots, mask, sign in tables:
            assert len(slots) == self._words(mask), "table size"
            for slot in range(mask + 1):
                e = self.entry(slots, slot)
                if not e or e == self.tombstone:
                    assert not e or sign < 0, "tombstone outside the old table"
                    continue
                seen += 1
                ref = self._ref_of(e)
                assert ref in hash_of_ref, f"index holds unknown ref {ref:#x}"
                h = hash_of_ref[ref]
                assert e >> self.cref_bits == (h >> self.tag_shift) & self.tag_mask, "tag"
                assert self._probe_ref(slots, mask, h, ref) == slot, "entry unreachable"
                if sign < 0:
                    assert slot >= self.migrate_pos, "entry left behind the drain cursor"
        assert seen == self.count == len(hash_of_ref), "index count"
