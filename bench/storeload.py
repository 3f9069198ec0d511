"""Daemon-level store workloads: fill, size shift, hit ratio.

Each function takes the port of a running server (started by the caller with
the ``-m`` the workload needs) and returns a dict of figures.  The client is a
raw pipelining socket client (rawclient.RawClient), so the figures are the
store's, not the client's.  Run one alone with e.g.
``python bench/storeload.py fill --port 11211``.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import time
from collections.abc import Sequence

from rawclient import RawClient

FILL_VALUE = b"v" * 100


def key16(prefix: bytes, i: int) -> bytes:
    """A 16-byte key: ``prefix`` (2 bytes) + 14 digits."""
    return prefix + b"%014d" % i


def fill(port: int, items: int = 1_000_000, batch: int = 1000) -> dict[str, float]:
    """``items`` sets of 16-byte keys and 100-byte values; the caller reads curr_items/RSS."""
    t0 = time.perf_counter()
    with RawClient(port) as c:
        for start in range(0, items, batch):
            keys = [key16(b"f:", i) for i in range(start, min(items, start + batch))]
            c.set_many(keys, FILL_VALUE)
        errors = c.unexpected
    return {"seconds": time.perf_counter() - t0, "errors": errors}


def size_shift(
    port: int,
    small: int = 600_000,
    large: int = 60_000,
    tail: int = 20_000,
    spread_seconds: float = 12.0,
    large_size: int = 2000,
) -> dict[str, float]:
    """``small`` sets of 100-byte values, then ``large`` sets of ``large_size``-byte
    values paced evenly over ``spread_seconds``; count how many of the last
    ``tail`` large keys are still readable."""
    big = b"L" * large_size
    with RawClient(port) as c:
        for start in range(0, small, 1000):
            keys = [key16(b"s:", i) for i in range(start, min(small, start + 1000))]
            c.set_many(keys, FILL_VALUE)
        step = 0.05  # one paced batch every 50 ms
        per_batch = max(1, round(large * step / spread_seconds))
        t0 = time.perf_counter()
        sent = 0
        n = 0
        while sent < large:
            due = t0 + n * step
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            hi = min(large, sent + per_batch)
            c.set_many([key16(b"L:", i) for i in range(sent, hi)], big)
            sent = hi
            n += 1
        took = time.perf_counter() - t0
        readable = 0
        tail = min(tail, large)
        for start in range(large - tail, large, 100):
            keys = [key16(b"L:", i) for i in range(start, min(large, start + 100))]
            readable += len(c.get_many(keys))
        errors = c.unexpected
    return {"readable": readable, "of": tail, "large_phase_seconds": took, "errors": errors}


class Zipf:
    """Seeded Zipf(s) sampler over ranks 0..n-1 via a precomputed CDF and bisect."""

    def __init__(self, n: int, s: float, seed: int) -> None:
        self.cdf = list(itertools.accumulate(1.0 / (k**s) for k in range(1, n + 1)))
        self.total = self.cdf[-1]
        self.rng = random.Random(seed)

    def sample(self, count: int) -> list[int]:
        cdf, total, rnd = self.cdf, self.total, self.rng.random
        bl = bisect.bisect_left
        return [bl(cdf, rnd() * total) for _ in range(count)]


def zipf_trace(
    requests: int, keys: int, s: float = 0.99, seed: int = 42, scan: int = 300_000
) -> list[int]:
    """Key ranks for ``requests`` Zipf requests, with ``scan`` cold keys (encoded as
    negative numbers -1..-scan) inserted once at the middle."""
    z = Zipf(keys, s, seed)
    half = requests // 2
    first = z.sample(half)
    second = z.sample(requests - half)
    return first + [-(i + 1) for i in range(scan)] + second


def hit_ratio(
    port: int, trace: Sequence[int], value_size: int = 400, batch: int = 100
) -> dict[str, float]:
    """Replay ``trace`` with get-then-set-on-miss semantics, pipelined.

    Requests are taken in order into a batch of distinct keys (a repeated key
    ends the batch, so every request sees the effect of all earlier ones); the
    batch is one multiget, and its misses are set (noreply) in the same send as
    the next batch's multiget.  Scan requests (negative ranks) are replayed the
    same way but not counted in the hit ratio.
    """
    value = b"z" * value_size
    zipf_reqs = zipf_hits = 0
    after_reqs = after_hits = 0  # the Zipf requests after the scan
    scan_seen = False
    pending_sets = b""
    t0 = time.perf_counter()
    with RawClient(port) as c:
        batch_keys: list[bytes] = []
        in_batch: set[bytes] = set()
        batch_scan: list[bool] = []

        def flush() -> None:
            nonlocal pending_sets, zipf_reqs, zipf_hits, after_reqs, after_hits
            hits = c.get_many(batch_keys, prefix=pending_sets)
            misses = [k for k in batch_keys if k not in hits]
            pending_sets = c.set_commands(misses, value) if misses else b""
            for k, is_scan in zip(batch_keys, batch_scan, strict=True):
                if is_scan:
                    continue
                hit = k in hits
                zipf_reqs += 1
                zipf_hits += hit
                if scan_seen:
                    after_reqs += 1
                    after_hits += hit
            batch_keys.clear()
            in_batch.clear()
            batch_scan.clear()

        for rank in trace:
            is_scan = rank < 0
            k = key16(b"c:", -rank) if is_scan else key16(b"z:", rank)
            if k in in_batch or len(batch_keys) >= batch or (is_scan and not scan_seen):
                if batch_keys:
                    flush()
                if is_scan:
                    scan_seen = True
            batch_keys.append(k)
            in_batch.add(k)
            batch_scan.append(is_scan)
        if batch_keys:
            flush()
        if pending_sets:
            c.sock.sendall(pending_sets)
        c.sync()
        errors = c.unexpected
    return {
        "hit_ratio": zipf_hits / max(1, zipf_reqs),
        "hit_ratio_after_scan": after_hits / max(1, after_reqs),
        "requests": zipf_reqs,
        "seconds": time.perf_counter() - t0,
        "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("workload", choices=["fill", "size_shift", "hit_ratio"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=2_000_000)
    args = ap.parse_args()
    if args.workload == "fill":
        out = fill(args.port, args.items)
    elif args.workload == "size_shift":
        out = size_shift(args.port)
    else:
        out = hit_ratio(args.port, zipf_trace(args.requests, 1_000_000))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
