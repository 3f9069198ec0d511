"""Byte layout of a chunk inside a slab page, and item references.

A *reference* (``ref``) names a chunk: ``page_id << page_shift | offset``.
Page ids start at 1, so a valid ref is never 0 and 0 means "none" in LRU
links and index slots.

Every chunk starts with a 48-byte header; byte ``OFF_BITS`` says what the
chunk holds (0 = free, ``KIND_ITEM`` = an item header, ``KIND_DATA`` = a
continuation chunk of a large item).  A freshly assigned page is all zeros,
so all its chunks read as free.

Item chunk (little-endian)::

    0  prev      q   LRU link (ref, 0 = none)
    8  next      q   LRU link
    16 seq       q   store sequence number (for immediate flush_all)
    24 exptime   i   absolute clock seconds, 0 = never (clamped to int32)
    28 atime     I   last access (clock seconds)
    32 time_set  I   stored / last modified (clock seconds)
    36 flags     I   client flags
    40 nbytes    I   value length
    44 keylen    B
    45 bits      B   FETCHED ACTIVE STALE WIN_SENT BINARY_KEY CHUNKED + kind
    46 lru       B   lru id = class << 2 | segment
    47 (spare)   B
    48 cas       q   only when CAS is enabled
    then the key, then the value (or, for a CHUNKED item, one q ref per
    continuation chunk).

The physical size ``header + key + value`` never exceeds memcached's
accounted size (which adds 1 for the key's NUL, 2 for "\\r\\n" and 8 for the
CAS only when CAS is enabled), so an item always fits its class's chunk.

Continuation chunk: ``0 owner q`` (ref of the item header chunk), byte
``OFF_BITS`` = ``KIND_DATA``, payload from ``DATA_HEADER_SIZE``.
"""

from __future__ import annotations

import struct
from typing import Final

HEADER_SIZE: Final = 48
HEADER_SIZE_WITH_CAS: Final = 56
DATA_HEADER_SIZE: Final = 48

OFF_PREV: Final = 0
OFF_NEXT: Final = 8
OFF_SEQ: Final = 16
OFF_EXPTIME: Final = 24
OFF_ATIME: Final = 28
OFF_TIME_SET: Final = 32
OFF_FLAGS: Final = 36
OFF_NBYTES: Final = 40
OFF_KEYLEN: Final = 44
OFF_BITS: Final = 45
OFF_LRU: Final = 46
OFF_CAS: Final = 48
OFF_OWNER: Final = 0

# Field positions in the unpacked header tuple.  The LRU links and the spare
# byte are skipped (pad bytes): every read of a header would otherwise build
# two large ints it never uses (measured: 199 -> 166 ns per unpack).
F_SEQ: Final = 0
F_EXPTIME: Final = 1
F_ATIME: Final = 2
F_TIME_SET: Final = 3
F_FLAGS: Final = 4
F_NBYTES: Final = 5
F_KEYLEN: Final = 6
F_BITS: Final = 7
F_LRU: Final = 8
F_CAS: Final = 9

HEADER: Final = struct.Struct("<16xqiIIIIBBBx")
HEADER_WITH_CAS: Final = struct.Struct("<16xqiIIIIBBBxq")
#: Header fields written when an item is stored (everything but the links).
BODY: Final = struct.Struct("<qiIIIIBBBB")
BODY_WITH_CAS: Final = struct.Struct("<qiIIIIBBBBq")
INT64: Final = struct.Struct("<q")
INT32: Final = struct.Struct("<i")
UINT32: Final = struct.Struct("<I")

# Bits of OFF_BITS.
FETCHED: Final = 0x01
ACTIVE: Final = 0x02
STALE: Final = 0x04
WIN_SENT: Final = 0x08
BINARY_KEY: Final = 0x10
CHUNKED: Final = 0x20
KIND_ITEM: Final = 0x40
KIND_DATA: Final = 0x80

# LRU segments (low two bits of the lru id).
HOT: Final = 0
WARM: Final = 1
COLD: Final = 2
TEMP: Final = 3
SEGMENTS: Final = 4
SEGMENT_NAMES: Final = ("hot", "warm", "cold", "temp")

INT32_MAX: Final = 2**31 - 1
INT32_MIN: Final = -(2**31)
UINT32_MAX: Final = 2**32 - 1


def clamp_exptime(exptime: int) -> int:
    """Fit an exptime into the header's int32 (0 stays "never")."""
    if exptime > INT32_MAX:
        return INT32_MAX
    if exptime < INT32_MIN:
        return INT32_MIN
    return exptime


def clamp_time(t: int) -> int:
    """Fit a clock reading into the header's uint32."""
    if t < 0:
        return 0
    if t > UINT32_MAX:
        return UINT32_MAX
    return t
