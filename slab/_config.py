"""Slab class arithmetic: chunk sizes per class and memcached's item accounting.

Everything here is pure arithmetic on a ``SlabConfig``:

* ``slab_class_sizes`` reproduces memcached's ``slabs_init`` loop exactly
  (-n, -f, slab_chunk_max, 8-byte alignment; the last class is
  ``slab_chunk_max``), so class ids and chunk sizes match ``stats slabs``.
* ``item_total_size`` is memcached's ``ITEM_ntotal``: the accounted size of
  an item, which decides its class and the -I limit.
* ``ClassTable`` maps an accounted size to its class id in O(1).

Invariant: ``ClassTable.class_for(total)`` is the smallest class whose chunk
size is ``>= total`` for every ``0 < total <= slab_chunk_max``.
"""

from __future__ import annotations

from typing import Final

from slab._types import CAS_SIZE, ITEM_HEADER_SIZE, MAX_SLAB_CLASSES, SlabConfig

#: memcached aligns every chunk size up to this many bytes.
CHUNK_ALIGN_BYTES: Final = 8
#: Bytes accounted for non-zero client flags (memcached stores them as a suffix).
FLAGS_SIZE: Final = 4
#: The key's trailing NUL that memcached accounts for.
KEY_TERMINATOR_SIZE: Final = 1
#: The value's trailing "\r\n" that memcached accounts for.
VALUE_TERMINATOR_SIZE: Final = 2


def slab_class_sizes(config: SlabConfig) -> list[int]:
    """Chunk size of each class id 1..N, in memcached's arithmetic.

    memcached (``slabs_init``): ``size = sizeof(item) + chunk_size``; per class,
    stop when ``size >= slab_chunk_max / factor``, align up to 8, record it,
    ``size *= factor`` (truncating); the last class is ``slab_chunk_max``.
    """
    factor = config.growth_factor
    chunk_max = config.slab_chunk_max
    sizes: list[int] = []
    size = ITEM_HEADER_SIZE + config.chunk_min_size
    while len(sizes) < MAX_SLAB_CLASSES - 1:
        if size >= chunk_max / factor:
            break
        if size % CHUNK_ALIGN_BYTES:
            size += CHUNK_ALIGN_BYTES - size % CHUNK_ALIGN_BYTES
        sizes.append(size)
        size = int(size * factor)
    sizes.append(chunk_max)
    return sizes


def item_total_size(key_len: int, value_len: int, cas_enabled: bool, flags: int = 0) -> int:
    """memcached's accounted item size (``ITEM_ntotal``).

    ``48 + key_len + 1 + value_len + 2`` plus 8 with CAS, plus 4 when the
    client flags are non-zero (memcached stores non-zero flags as a suffix;
    ``flags`` defaults to 0, which matches the documented 3-argument form).
    """
    total = ITEM_HEADER_SIZE + key_len + KEY_TERMINATOR_SIZE + value_len + VALUE_TERMINATOR_SIZE
    if cas_enabled:
        total += CAS_SIZE
    if flags:
        total += FLAGS_SIZE
    return total


class ClassTable:
    """Chunk sizes, chunks per page and the size -> class lookup.

    Index 0 of every list is unused so that class ids index directly.
    """

    __slots__ = ("chunks_per_page", "largest", "lookup", "sizes")

    def __init__(self, config: SlabConfig) -> None:
        sizes = slab_class_sizes(config)
        self.sizes: list[int] = [0, *sizes]
        self.largest: int = len(sizes)
        self.chunks_per_page: list[int] = [0] + [config.page_size // s for s in sizes]
        # lookup[(total + 7) >> 3] = class id, for total <= slab_chunk_max.
        table = bytearray((config.slab_chunk_max >> 3) + 2)
        cls = 1
        for slot in range(1, len(table)):
            while cls < self.largest and self.sizes[cls] < slot << 3:
                cls += 1
            table[slot] = cls
        table[0] = 1
        self.lookup: bytes = bytes(table)

    def class_for(self, total: int) -> int:
        """Smallest class id whose chunk holds ``total`` bytes (``<= slab_chunk_max``)."""
        return self.lookup[(total + 7) >> 3]
