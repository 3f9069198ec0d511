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
from collections.abc import Callable
from typing import Final

from slab._layout import INT64, LINKS, OFF_LRU, OFF_NEXT, OFF_PREV, SEGMENTS

# The struct methods bound once: a call through ``LINKS.pack_into`` looks the
# method up by name every time (a third of a link update, measured with
# valgrind), a call through these does not.
_pack_links: Final[Callable[[mmap.mmap, int, int, int], None]] = LINKS.pack_into
_unpack_links: Final[Callable[[mmap.mmap, int], tuple[int, int]]] = LINKS.unpack_from
_pack_int64: Final[Callable[[mmap.mmap, int, int], None]] = INT64.pack_into


class SegmentedLru:
    """Doubly linked lists threaded through item headers."""

    __slots__ = ("counts", "heads", "offset_mask", "page_shift", "pages", "tails")

    def __init__(self, pages: list[mmap.mmap | None], page_shift: int, n_classes: int) -> None:
        self.pages = pages
        self.page_shift = page_shift
        self.offset_mask = (1 << page_shift) - 1
        n = (n_classes + 1) * SEGMENTS
        self.heads: list[int] = [0] * n
        self.tails: list[int] = [0] * n
        self.counts: list[int] = [0] * n

    def link_head(self, ref: int, lru: int) -> None:
        """Insert ``ref`` at the head of list ``lru``."""
        pages = self.pages
        shift = self.page_shift
        mask = self.offset_mask
        page = pages[ref >> shift]
        assert page is not None
        off = ref & mask
        head = self.heads[lru]
        _pack_links(page, off, 0, head)
        page[off + OFF_LRU] = lru
        if head:
            hpage = pages[head >> shift]
            assert hpage is not None
            _pack_int64(hpage, (head & mask) + OFF_PREV, ref)
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
        pages = self.pages
        shift = self.page_shift
        mask = self.offset_mask
        page = pages[ref >> shift]
        assert page is not None
        off = ref & mask
        prev, nxt = _unpack_links(page, off)
        lru: int = page[off + OFF_LRU]
        if prev:
            ppage = pages[prev >> shift]
            assert ppage is not None
            _pack_int64(ppage, (prev & mask) + OFF_NEXT, nxt if target is None else target)
        else:
            self.heads[lru] = nxt if target is None else target
        if nxt:
            npage = pages[nxt >> shift]
            assert npage is not None
            _pack_int64(npage, (nxt & mask) + OFF_PREV, prev if target is None else target)
        else:
            self.tails[lru] = prev if target is None else target
        return lru

    def walk(self, lru: int) -> list[int]:
        """Refs of list ``lru`` from head to tail (debugging)."""
        out: list[int] = []
        ref = self.heads[lru]
        while ref:
            out.append(ref)
            page = self.pages[ref >> self.page_shift]
            assert page is not None
            ref = LINKS.unpack_from(page, ref & self.offset_mask)[1]
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
                assert LINKS.unpack_from(page, off)[0] == prev, "prev link"
                prev = ref
