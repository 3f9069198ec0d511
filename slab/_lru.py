"""Per-class segmented LRU lists (HOT / WARM / COLD / TEMP), linked in chunks.

Each item header carries ``prev``/``next`` refs and its lru id
(``class << 2 | segment``); this module keeps only the heads, tails and
lengths per lru id, so the LRU costs no per-item Python objects.

Invariants: following ``next`` from ``heads[l]`` visits exactly
``counts[l]`` items, each with lru id ``l``, ending at ``tails[l]``;
``prev`` links mirror ``next`` links.  The head is the most recently
linked item; the tail is the next candidate to move or evict.
"""

from __future__ import annotations

import mmap
from typing import Final

from slab._layout import OFF_LRU, OFF_NEXT, OFF_PREV, SEGMENTS

#: A chunk's offset in its page -> its first 64-bit word (chunks are 8-byte aligned).
WORD_SHIFT: Final = 3
#: The links' words within a chunk.
PREV_WORD: Final = OFF_PREV >> WORD_SHIFT
NEXT_WORD: Final = OFF_NEXT >> WORD_SHIFT


class SegmentedLru:
    """Doubly linked lists threaded through item headers.

    Links are read and written through ``words`` (each page as a ``q``
    memoryview, kept by the allocator): in compiled code an indexed store
    costs a fraction of a ``struct.pack_into`` call, which parses its
    arguments and exports the page's buffer every time (measured with
    valgrind on the daemon: a ``set`` request, which links one item and
    unlinks another, fell from 48,679 to 46,795 instructions).
    """

    __slots__ = ("counts", "heads", "offset_mask", "page_shift", "pages", "tails", "words")

    def __init__(
        self,
        pages: list[mmap.mmap | None],
        words: list[memoryview | None],
        page_shift: int,
        n_classes: int,
    ) -> None:
        self.pages = pages
        self.words = words
        self.page_shift = page_shift
        self.offset_mask = (1 << page_shift) - 1
        n = (n_classes + 1) * SEGMENTS
        self.heads: list[int] = [0] * n
        self.tails: list[int] = [0] * n
        self.counts: list[int] = [0] * n

    def link_head(self, ref: int, lru: int) -> None:
        """Insert ``ref`` at the head of list ``lru``."""
        shift = self.page_shift
        mask = self.offset_mask
        pid = ref >> shift
        words = self.words[pid]
        page = self.pages[pid]
        assert words is not None and page is not None
        off = ref & mask
        w = off >> WORD_SHIFT
        head = self.heads[lru]
        words[w + PREV_WORD] = 0
        words[w + NEXT_WORD] = head
        page[off + OFF_LRU] = lru
        if head:
            hwords = self.words[head >> shift]
            assert hwords is not None
            hwords[((head & mask) >> WORD_SHIFT) + PREV_WORD] = ref
        else:
            self.tails[lru] = ref
        self.heads[lru] = ref
        self.counts[lru] += 1

    def unlink(self, ref: int) -> int:
        """Remove ``ref`` from its list; returns its lru id."""
        lru = self._repoint_neighbours(ref, None)
        self.counts[lru] -= 1
        return lru

    def move_to_head(self, ref: int, lru: int) -> None:
        """Unlink ``ref`` and link it at the head of ``lru``."""
        self.unlink(ref)
        self.link_head(ref, lru)

    def replace(self, old: int, new: int) -> None:
        """Chunk ``old`` was copied to ``new``: point its neighbours at ``new``."""
        self._repoint_neighbours(new, new)

    def _repoint_neighbours(self, ref: int, target: int | None) -> int:
        """Point the list neighbours of ``ref`` at ``target``, or at each other
        when ``target`` is None (unlinking); returns ``ref``'s lru id."""
        all_words = self.words
        shift = self.page_shift
        mask = self.offset_mask
        pid = ref >> shift
        words = all_words[pid]
        page = self.pages[pid]
        assert words is not None and page is not None
        off = ref & mask
        w = off >> WORD_SHIFT
        prev: int = words[w + PREV_WORD]
        nxt: int = words[w + NEXT_WORD]
        lru: int = page[off + OFF_LRU]
        if prev:
            pwords = all_words[prev >> shift]
            assert pwords is not None
            pwords[((prev & mask) >> WORD_SHIFT) + NEXT_WORD] = nxt if target is None else target
        else:
            self.heads[lru] = nxt if target is None else target
        if nxt:
            nwords = all_words[nxt >> shift]
            assert nwords is not None
            nwords[((nxt & mask) >> WORD_SHIFT) + PREV_WORD] = prev if target is None else target
        else:
            self.tails[lru] = prev if target is None else target
        return lru

    def links(self, ref: int) -> tuple[int, int]:
        """``(prev, next)`` of ``ref``."""
        words = self.words[ref >> self.page_shift]
        assert words is not None
        w = (ref & self.offset_mask) >> WORD_SHIFT
        return words[w + PREV_WORD], words[w + NEXT_WORD]

    def walk(self, lru: int) -> list[int]:
        """Refs of list ``lru`` from head to tail (debugging)."""
        out: list[int] = []
        ref = self.heads[lru]
        while ref:
            out.append(ref)
            ref = self.links(ref)[1]
            if len(out) > self.counts[lru] + 1:
                raise AssertionError(f"lru {lru} has a cycle")
        return out

    def check(self) -> None:
        """Assert the invariants in the module docstring."""
        for lru in range(len(self.heads)):
            refs = self.walk(lru)
            assert len(refs) == self.counts[lru], f"lru {lru} count"
            assert (refs[-1] if refs else 0) == self.tails[lru], f"lru {lru} tail"
            prev = 0
            for ref in refs:
                page = self.pages[ref >> self.page_shift]
                assert page is not None
                off = ref & self.offset_mask
                assert page[off + OFF_LRU] == lru, "lru id"
                assert self.links(ref)[0] == prev, "prev link"
                prev = ref
