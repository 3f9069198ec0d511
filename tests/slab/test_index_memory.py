"""Memory held by the index's tables."""

from __future__ import annotations

import tracemalloc

from slab._index import zeroed_slots


def test_zeroed_slots_holds_no_spare_capacity() -> None:
    n = 1 << 16
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        slots = zeroed_slots(n)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(slots) == n and not any(slots)
    # 8 bytes a slot; a vec grown by extend alone would reserve 16.
    assert n * 8 <= held < n * 8 * 1.05
