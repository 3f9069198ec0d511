"""Pages, per-class free chunks and the memory budget.

Memory is a set of fixed-size *pages*, each an anonymous ``mmap`` (so RSS
grows only as pages are handed out and shrinks when one is released).  A
page belongs to at most one slab class and is cut into that class's chunks.

Invariants (checked by ``check``):

* ``len(assigned pages) <= max_pages``: bytes held in pages never exceed
  the budget (``memory_limit // page_size`` pages).
* For every class: ``used_chunks + free_chunks == total_chunks`` where
  ``total_chunks = pages * chunks_per_page``.
* A free chunk's ref is on its class's free stack exactly once and its
  kind byte is 0; a used chunk is never on a free stack.
* ``page_used[pid]`` counts the used chunks of page ``pid``.

The allocator knows nothing about items; the store decides what to evict
when ``alloc`` returns 0 and ``grant_page`` fails.
"""

from __future__ import annotations

import mmap
from array import array
from collections.abc import Iterator
from typing import Final

from slab._config import ClassTable
from slab._layout import OFF_BITS

#: Highest page id (refs keep 16 bits for the page id): 64 GiB with 1 MiB pages.
MAX_PAGES: Final = (1 << 16) - 1


class Allocator:
    """Owns the pages and the free chunks of every class."""

    __slots__ = (
        "_free_page_ids",
        "class_pages",
        "classes",
        "empty_count",
        "empty_pages",
        "free",
        "max_pages",
        "offset_mask",
        "page_class",
        "page_shift",
        "page_size",
        "page_used",
        "pages",
        "used_chunks",
        "words",
    )

    def __init__(self, classes: ClassTable, page_size: int, memory_limit: int) -> None:
        self.classes = classes
        self.page_size = page_size
        self.page_shift = max(1, (page_size - 1).bit_length())
        self.offset_mask = (1 << self.page_shift) - 1
        self.max_pages = budget_pages(memory_limit, page_size)
        n = classes.largest + 1
        #: page id -> mmap (None for an unused id); index 0 is never used.
        self.pages: list[mmap.mmap | None] = [None]
        #: page id -> the same page as 64-bit words (None alongside a None
        #: page): the LRU links are read and written through it, an indexed
        #: store with no argument parsing or buffer export per access.
        self.words: list[memoryview | None] = [None]
        self.page_class: list[int] = [0]
        self.page_used: list[int] = [0]
        self._free_page_ids: list[int] = []
        self.class_pages: list[list[int]] = [[] for _ in range(n)]
        self.free: list[array[int]] = [array("q") for _ in range(n)]
        self.used_chunks: list[int] = [0] * n
        #: pages with no used chunk, per class (cheap to move or release).
        self.empty_pages: list[set[int]] = [set() for _ in range(n)]
        #: total of the empty_pages sets
        self.empty_count = 0

    # --- budget -------------------------------------------------------------
    @property
    def pages_in_use(self) -> int:
        return len(self.pages) - 1 - len(self._free_page_ids)

    @property
    def total_malloced(self) -> int:
        return self.pages_in_use * self.page_size

    def can_grow(self) -> bool:
        return self.pages_in_use < self.max_pages

    # --- chunks -------------------------------------------------------------
    def alloc(self, cls: int) -> int:
        """Pop a free chunk of class ``cls`` (0 if none)."""
        free = self.free[cls]
        if not free:
            return 0
        ref = free.pop()
        pid = ref >> self.page_shift
        used = self.page_used[pid]
        if not used:
            self.empty_pages[cls].discard(pid)
            self.empty_count -= 1
        self.page_used[pid] = used + 1
        self.used_chunks[cls] += 1
        return ref

    def release_chunk(self, ref: int) -> None:
        """Return a used chunk to its class's free stack."""
        pid = ref >> self.page_shift
        page = self.pages[pid]
        assert page is not None
        page[(ref & self.offset_mask) + OFF_BITS] = 0
        cls = self.page_class[pid]
        self.free[cls].append(ref)
        self.used_chunks[cls] -= 1
        used = self.page_used[pid] - 1
        self.page_used[pid] = used
        if not used:
            self.empty_pages[cls].add(pid)
            self.empty_count += 1

    # --- pages --------------------------------------------------------------
    def grant_page(self, cls: int) -> int:
        """Map a new page from the budget for ``cls``; its page id, or 0."""
        if not self.can_grow():
            return 0
        if not self._free_page_ids and len(self.pages) > MAX_PAGES:
            return 0
        page = mmap.mmap(-1, self.page_size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        words = memoryview(page)[: self.page_size & ~7].cast("q")
        if self._free_page_ids:
            pid = self._free_page_ids.pop()
            self.pages[pid] = page
            self.words[pid] = words
        else:
            pid = len(self.pages)
            self.pages.append(page)
            self.words.append(words)
            self.page_class.append(0)
            self.page_used.append(0)
        self._attach(pid, cls)
        return pid

    def _attach(self, pid: int, cls: int) -> None:
        """Give the (all-zero) page ``pid`` to ``cls`` and free all its chunks."""
        size = self.classes.sizes[cls]
        count = self.classes.chunks_per_page[cls]
        base = pid << self.page_shift
        self.page_class[pid] = cls
        self.page_used[pid] = 0
        self.class_pages[cls].append(pid)
        self.empty_pages[cls].add(pid)
        self.empty_count += 1
        # Highest offset first, so pops hand out ascending offsets.
        self.free[cls].extend(range(base + (count - 1) * size, base - 1, -size))

    def detach_page(self, pid: int) -> None:
        """Take an empty page away from its class (its chunks must all be free)."""
        cls = self.page_class[pid]
        assert self.page_used[pid] == 0, "detach_page needs an empty page"
        shift = self.page_shift
        free = self.free[cls]
        self.free[cls] = array("q", [r for r in free if r >> shift != pid])
        self.class_pages[cls].remove(pid)
        self.empty_pages[cls].remove(pid)
        self.empty_count -= 1
        self.page_class[pid] = 0
        page = self.pages[pid]
        assert page is not None
        # Zero it (and give the memory back to the OS until it is touched).
        page.madvise(mmap.MADV_DONTNEED)

    def move_page(self, pid: int, dst: int) -> None:
        """Reassign the empty page ``pid`` to class ``dst``."""
        self.detach_page(pid)
        self._attach(pid, dst)

    def release_page(self, pid: int) -> None:
        """Unmap the empty page ``pid`` and return it to the budget."""
        self.detach_page(pid)
        page = self.pages[pid]
        words = self.words[pid]
        assert page is not None and words is not None
        words.release()  # else the mmap refuses to close (an exported buffer)
        page.close()
        self.pages[pid] = None
        self.words[pid] = None
        self._free_page_ids.append(pid)

    def chunk_refs(self, pid: int) -> Iterator[int]:
        """Refs of every chunk of page ``pid`` (used or free)."""
        cls = self.page_class[pid]
        size = self.classes.sizes[cls]
        base = pid << self.page_shift
        return iter(range(base, base + self.classes.chunks_per_page[cls] * size, size))

    def is_free(self, ref: int) -> bool:
        page = self.pages[ref >> self.page_shift]
        assert page is not None
        return page[(ref & self.offset_mask) + OFF_BITS] == 0

    # --- debugging ----------------------------------------------------------
    def check(self) -> None:
        """Assert the invariants in the module docstring."""
        assert self.pages_in_use <= self.max_pages or self.max_pages == 0, "over budget"
        seen: set[int] = set()
        shift = self.page_shift
        for cls in range(1, self.classes.largest + 1):
            total = len(self.class_pages[cls]) * self.classes.chunks_per_page[cls]
            free = self.free[cls]
            assert self.used_chunks[cls] + len(free) == total, (
                f"class {cls}: used {self.used_chunks[cls]} + free {len(free)} != {total}"
            )
            for ref in free:
                assert ref not in seen, f"chunk {ref:#x} free twice"
                seen.add(ref)
                pid = ref >> shift
                assert self.page_class[pid] == cls, "free chunk on a foreign page"
                assert self.is_free(ref), "free chunk marked used"
            for pid in self.class_pages[cls]:
                assert self.page_class[pid] == cls
                used = sum(1 for r in self.chunk_refs(pid) if not self.is_free(r))
                assert used == self.page_used[pid], f"page {pid} used count"
                assert (pid in self.empty_pages[cls]) == (used == 0), "empty page set"
        assert self.empty_count == sum(len(e) for e in self.empty_pages), "empty count"


def budget_pages(memory_limit: int, page_size: int) -> int:
    """Pages the budget allows (at least 1, at most ``MAX_PAGES``)."""
    return max(1, min(MAX_PAGES, memory_limit // page_size))
