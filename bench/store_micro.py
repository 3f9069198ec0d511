"""Micro-benchmark of ``slab.Store`` alone (no I/O): the request path's budget.

Prints:

* ns/op of ``get_value`` / ``get`` (hit and miss) and ``set`` (with and
  without evictions);
* the fill test: 1,000,000 sets of 16-byte keys / 100-byte values at -m 64:
  items held (memcached 1.6.18: 349,504 at 72.9 MB RSS), RSS delta and
  Python-heap (tracemalloc) size of the store;
* the value-size shift test: -m 64, 600,000 sets of 100-byte values, then
  60,000 sets of 2,000-byte values over 12 simulated seconds: how many of the
  last 20,000 large keys are readable (memcached default: ~450; goal >= 18,000).

Usage: ``python bench/store_micro.py [--quick] [--automove N]``
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import slab

MB = 1024 * 1024
KEY_FORMAT = b"key:%012d"  # 16 bytes


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000

    def __call__(self) -> int:
        return self.now


def per_op(label: str, fn: object, n: int) -> None:
    assert callable(fn)
    gc.collect()
    start = time.perf_counter_ns()
    fn()
    elapsed = time.perf_counter_ns() - start
    print(f"  {label:<40} {elapsed / n:8.0f} ns/op")


def micro(n: int) -> None:
    print(f"per-operation cost ({n} ops each, keys pre-built):")
    clock = Clock()
    store = slab.Store(slab.SlabConfig(memory_limit=256 * MB), clock)
    keys = [KEY_FORMAT % i for i in range(n)]
    misses = [b"miss:%011d" % i for i in range(n)]
    value = b"v" * 100

    def do_set() -> None:
        s = store.set
        for k in keys:
            s(k, value, 0, 0)

    def do_get_value() -> None:
        g = store.get_value
        for k in keys:
            g(k)

    def do_get() -> None:
        g = store.get
        for k in keys:
            g(k)

    def do_miss() -> None:
        g = store.get_value
        for k in misses:
            g(k)

    def do_loop() -> None:
        for _k in keys:
            pass

    per_op("empty loop (baseline)", do_loop, n)
    per_op("set (new keys, no eviction)", do_set, n)
    per_op("set (replace existing keys)", do_set, n)
    per_op("get_value (hit, first fetch)", do_get_value, n)
    per_op("get -> Item (hit)", do_get, n)
    # Fetched twice by now: ACTIVE, the steady state of a hot key (no write).
    per_op("get_value (hit, active item)", do_get_value, n)
    per_op("get_value (miss)", do_miss, n)

    full = slab.Store(slab.SlabConfig(memory_limit=8 * MB), clock)
    for i in range(100_000):
        full.set(b"pre:%012d" % i, value, 0, 0)

    def do_set_evicting() -> None:
        s = full.set
        for k in keys:
            s(k, value, 0, 0)

    per_op("set (memory full, evicting)", do_set_evicting, n)


def fill_test(automove: int) -> None:
    print("fill: 1,000,000 sets, 16-byte keys, 100-byte values, -m 64")
    gc.collect()
    rss_before = rss_mb()
    clock = Clock()
    store = slab.Store(slab.SlabConfig(memory_limit=64 * MB, slab_automove=automove), clock)
    value = b"v" * 100
    start = time.perf_counter()
    for i in range(1_000_000):
        store.set(KEY_FORMAT % i, value, 0, 0)
        if i % 100_000 == 0:
            clock.now += 1
    elapsed = time.perf_counter() - start
    gc.collect()
    rss_after = rss_mb()
    stats = store.stats()
    print(f"  items held            {len(store):>10,}   (memcached: 349,504)")
    print(f"  evictions             {stats['evictions']:>10,}")
    print(f"  set rate              {1_000_000 / elapsed:>10,.0f} /s  ({elapsed:.1f} s)")
    print(f"  pages (total_malloced){stats['total_malloced'] / MB:>10.1f} MB")
    print(f"  index (hash_bytes)    {stats['hash_bytes'] / MB:>10.1f} MB")
    print(f"  RSS before/after      {rss_before:>10.1f} / {rss_after:.1f} MB")
    print(f"  RSS delta             {rss_after - rss_before:>10.1f} MB")
    del store
    python_heap_test()


def python_heap_test() -> None:
    """Python-heap bytes per item, via tracemalloc (too slow for the 1M run)."""
    clock = Clock()
    tracemalloc.start()
    store = slab.Store(slab.SlabConfig(memory_limit=16 * MB), clock)
    value = b"v" * 100
    for i in range(200_000):
        store.set(KEY_FORMAT % i, value, 0, 0)
    traced, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"  python heap (tracemalloc, -m 16, {len(store):,} items): {traced / MB:.2f} MB"
        f" = {traced / len(store):.1f} B/item (slab pages are mmap, not traced)"
    )


def shift_test(automove: int) -> None:
    print(f"value-size shift, -m 64, automove {automove}:")
    clock = Clock()
    store = slab.Store(slab.SlabConfig(memory_limit=64 * MB, slab_automove=automove), clock)
    small = b"s" * 100
    large = b"L" * 2000
    for i in range(600_000):
        store.set(b"small:%010d" % i, small, 0, 0)
        if i % 50_000 == 0:  # the small fill itself takes ~12 s at 50k sets/s
            clock.now += 1
            store.maintain()
    n_large = 60_000
    per_second = n_large // 12
    for i in range(n_large):
        store.set(b"large:%010d" % i, large, 0, 0)
        if i % per_second == per_second - 1:
            clock.now += 1
            store.maintain()
            store.crawl_step(1000)
    readable = sum(
        store.get_value(b"large:%010d" % i) is not None for i in range(n_large - 20_000, n_large)
    )
    stats = store.stats()
    print(f"  last 20,000 large keys readable: {readable:,}  (memcached default ~450)")
    print(f"  slabs_moved {stats['slabs_moved']}, curr_items {stats['curr_items']:,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="micro-benchmarks only")
    parser.add_argument("--automove", type=int, default=slab.SlabConfig().slab_automove)
    args = parser.parse_args()
    micro(200_000)
    if not args.quick:
        fill_test(args.automove)
        shift_test(args.automove)


if __name__ == "__main__":
    main()
