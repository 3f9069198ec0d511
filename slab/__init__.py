"""slab: a memory-bounded, I/O-free item store with memcached's slab classes,
segmented LRU, lazy expiry, flush, eviction and page rebalancing.

Public API (see slab/API.md): ``Store``, ``SlabConfig``, ``Item``,
``ReassignResult``, ``CachedClock``, the errors, ``slab_class_sizes`` and ``item_total_size``.
This package imports neither trio nor ``memcached_py``.
"""

from slab._clock import CachedClock
from slab._config import item_total_size, slab_class_sizes
from slab._store import AUTOMOVE_FOLLOW_SHIFTS, Store
from slab._types import (
    CAS_SIZE,
    ITEM_HEADER_SIZE,
    KEY_MAX_LENGTH,
    MAX_SLAB_CLASSES,
    MEGABYTE,
    Item,
    OutOfMemory,
    ReassignResult,
    SlabConfig,
    StoreError,
    TooLarge,
)

__all__ = [
    "AUTOMOVE_FOLLOW_SHIFTS",
    "CAS_SIZE",
    "ITEM_HEADER_SIZE",
    "KEY_MAX_LENGTH",
    "MAX_SLAB_CLASSES",
    "MEGABYTE",
    "CachedClock",
    "Item",
    "OutOfMemory",
    "ReassignResult",
    "SlabConfig",
    "Store",
    "StoreError",
    "TooLarge",
    "item_total_size",
    "slab_class_sizes",
]
