"""Public value types of the slab store: configuration, item snapshots, errors.

These are the contract between ``slab`` and its users (``memcached_py.engine``
and the tests). Times are whole seconds of the store's injected clock;
``exptime`` 0 means "never expires".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

MEGABYTE: Final = 1024 * 1024

#: memcached's fixed per-item header size (``sizeof(item)`` on 64-bit).
ITEM_HEADER_SIZE: Final = 48
#: Extra bytes accounted per item when CAS is enabled.
CAS_SIZE: Final = 8
#: Longest key memcached accepts.
KEY_MAX_LENGTH: Final = 250
#: Highest slab class id memcached allows (class ids start at 1).
MAX_SLAB_CLASSES: Final = 63


@dataclass(frozen=True, slots=True)
class SlabConfig:
    """Store configuration; the daemon fills it from ``Settings``."""

    memory_limit: int = 64 * MEGABYTE  # -m, bytes
    item_size_max: int = 1 * MEGABYTE  # -I, bytes
    chunk_min_size: int = 48  # -n
    growth_factor: float = 1.25  # -f
    slab_chunk_max: int = 512 * 1024
    page_size: int = 1 * MEGABYTE
    cas_enabled: bool = True  # -C turns it off
    evictions_enabled: bool = True  # -M turns it off
    slab_reassign: bool = True
    #: 0 off, 1 memcached's cautious default, 2 aggressive, 3 this store's
    #: default: move a page at once to a class that must evict when another
    #: class's next eviction candidate is much older (see slab/API.md,
    #: "Page moves"); follows a value-size shift much better than level 1.
    slab_automove: int = 3
    slab_automove_ratio: float = 0.8
    slab_automove_window: int = 30
    lru_segmented: bool = True
    hot_lru_pct: int = 20
    warm_lru_pct: int = 40
    hot_max_factor: float = 0.2
    warm_max_factor: float = 2.0
    temp_lru: bool = False
    temporary_ttl: int = 61
    track_sizes: bool = False


@dataclass(slots=True)
class Item:
    """A snapshot of one item, copied out of slab memory.

    Mutating it changes nothing in the store.
    """

    key: bytes  # raw key bytes (decoded when the client sent it base64)
    value: bytes
    flags: int  # client flags, u32
    cas: int  # 0 when CAS is disabled
    exptime: int  # absolute clock seconds; 0 = never
    last_access: int  # clock seconds of the access *before* this one
    time_set: int  # clock seconds when stored or last modified
    fetched: bool  # fetched before this access
    stale: bool  # marked stale by meta invalidation (X)
    win_token_sent: bool  # a recache win token (W) was already handed out
    key_is_binary: bool  # client sent the key base64 (meta ``b``)
    slab_class: int  # slab class id (1-based), as in ``stats items``
    total_size: int  # memcached's accounted item size in bytes


class ReassignResult(enum.Enum):
    """Outcome of ``Store.reassign``; values are memcached's reply lines."""

    OK = "OK"
    BUSY = "BUSY currently processing reassign request"
    BADCLASS = "BADCLASS invalid src or dst class id"
    NOSPARE = "NOSPARE source class has no spare pages"
    SAME = "SAME src and dst class are identical"


class StoreError(Exception):
    """Base of the store's refusals."""


class TooLarge(StoreError):
    """The item would exceed ``item_size_max`` (or no class can hold it)."""


class OutOfMemory(StoreError):
    """No memory for the item and evictions are disabled or impossible."""
