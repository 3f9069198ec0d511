"""Give freed C heap memory back to the OS (glibc ``malloc_trim``).

glibc raises its mmap threshold to the size of each large mmapped block that
is freed, and its trim threshold to twice that.  The store's index tables are
such blocks (a table being replaced during growth, 2 MiB at 2**18 slots), so
after the index grows, buffers of up to that size come from the heap and up
to twice that stays mapped once freed.  Measured on the fill benchmark (-m 64,
1,000,000 sets of 100 B): 2.2 MB of the 7 MB heap was free and resident after
the fill; ``malloc_trim(0)`` returned it (8 us per call on a 5 MB heap).

The daemon calls ``trim()`` once a second (``trim_forever``): off the request
path, and cheap enough to run whether or not anything was freed.  A libc
without ``malloc_trim`` (musl) makes it a no-op.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Final

import trio

#: Seconds between trims.
TRIM_INTERVAL: Final = 1.0


def _find_malloc_trim() -> Callable[[int], int] | None:
    try:
        fn = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


_malloc_trim = _find_malloc_trim()


def available() -> bool:
    return _malloc_trim is not None


def trim() -> bool:
    """Release free heap pages to the OS; True if any memory was released."""
    return _malloc_trim is not None and _malloc_trim(0) == 1


async def trim_forever(interval: float = TRIM_INTERVAL, trim: Callable[[], object] = trim) -> None:
    """Call ``trim`` every ``interval`` seconds until cancelled."""
    if not available():
        return
    while True:
        await trio.sleep(interval)
        trim()
