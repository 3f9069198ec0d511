"""A paced latency client: the ``get`` workload (90% get / 10% set, 100-byte
values) at a fixed request rate spread over N connections, one request in
flight per connection, per-request latency from ``time.perf_counter_ns``.

Requests are scheduled at ``rate`` per second round-robin over the
connections; a request's latency runs from the moment it is written to the
moment its full reply has been read.  If a connection still waits for its
previous reply when its next slot comes, the new request goes out as soon as
that reply arrives (the achieved rate is reported, so a server that cannot
keep up shows).

    python bench/latency.py --port 11211 --rate 5000 --conns 16 --seconds 5
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import selectors
import socket
import time
from dataclasses import dataclass

HOST = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class LatencyResult:
    p50_us: float
    p99_us: float
    p999_us: float
    max_us: float
    requests: int
    achieved_rate: float
    errors: int


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return float(sorted_values[i])


def key(i: int) -> bytes:
    return b"l:%014d" % i


class _Conn:
    __slots__ = ("buf", "busy", "expect_get", "sent_ns", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.busy = False
        self.expect_get = True
        self.sent_ns = 0


def run(
    port: int,
    rate: float = 5000.0,
    conns: int = 16,
    seconds: float = 5.0,
    keys: int = 10_000,
    value_size: int = 100,
    set_ratio: float = 0.1,
    warmup: float = 0.5,
    seed: int = 7,
) -> LatencyResult:
    rng = random.Random(seed)
    value = b"x" * value_size
    set_head = b" 0 0 %d\r\n" % value_size
    set_tail = value + b"\r\n"
    # preload so that gets hit
    with socket.create_connection((HOST, port), timeout=30) as s:
        for start in range(0, keys, 500):
            payload = b"".join(
                b"set " + key(i) + set_head.replace(b"\r\n", b" noreply\r\n") + set_tail
                for i in range(start, min(keys, start + 500))
            )
            s.sendall(payload + b"version\r\n")
            buf = b""
            while b"VERSION " not in buf:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("server closed the connection during preload")
                buf += chunk
    sel = selectors.DefaultSelector()
    cs: list[_Conn] = []
    for _ in range(conns):
        sock = socket.create_connection((HOST, port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        c = _Conn(sock)
        cs.append(c)
        sel.register(sock, selectors.EVENT_READ, c)

    lat: list[int] = []
    errors = 0
    interval_ns = int(1e9 / rate)
    t0 = time.perf_counter_ns()
    measure_from = t0 + int(warmup * 1e9)
    end = measure_from + int(seconds * 1e9)
    next_ns = t0
    slot = 0
    backlog: list[_Conn] = []  # connections whose slot came while they were busy
    sent_in_window = 0

    def issue(c: _Conn) -> None:
        nonlocal sent_in_window
        k = key(rng.randrange(keys))
        if rng.random() < set_ratio:
            c.expect_get = False
            req = b"set " + k + set_head + set_tail
        else:
            c.expect_get = True
            req = b"get " + k + b"\r\n"
        c.busy = True
        c.sent_ns = time.perf_counter_ns()
        if measure_from <= c.sent_ns < end:
            sent_in_window += 1
        c.sock.sendall(req)

    now = t0
    while now < end or any(c.busy for c in cs):
        # issue every request whose time has come
        while next_ns <= now and next_ns < end:
            c = cs[slot % conns]
            slot += 1
            next_ns += interval_ns
            if c.busy:
                backlog.append(c)
            else:
                issue(c)
        wait_ns = max(0, next_ns - now) if next_ns < end else max(0, end - now)
        # Block in epoll until a reply or the next slot (epoll rounds the timeout
        # up to 1 ms, so at 5,000 req/s sends go out in small bunches).  A busy
        # poll would be more even, but on this 2-vCPU VM spinning made the
        # server's wake-ups slow (p99 of milliseconds even for memcached).
        busy = any(c.busy for c in cs)
        events = sel.select(timeout=wait_ns / 1e9 if busy else 0)
        if not events and not any(c.busy for c in cs):
            # nothing in flight: sleep precisely until the next slot
            delay = (next_ns - time.perf_counter_ns()) / 1e9
            if delay > 0 and next_ns < end:
                time.sleep(delay)
        for skey, _ev in events:
            c = skey.data
            chunk = c.sock.recv(65536)
            done_ns = time.perf_counter_ns()
            if not chunk:
                raise RuntimeError("server closed a latency connection")
            c.buf += chunk
            if c.expect_get:
                if not c.buf.endswith(b"END\r\n"):
                    continue
            elif not c.buf.endswith(b"\r\n"):
                continue
            elif c.buf != b"STORED\r\n":
                errors += 1
            c.buf = b""
            c.busy = False
            if c.sent_ns >= measure_from and c.sent_ns < end:
                lat.append(done_ns - c.sent_ns)
            if c in backlog:
                backlog.remove(c)
                issue(c)
        now = time.perf_counter_ns()
        if now >= end and not any(c.busy for c in cs):
            break
        if now > end + 10_000_000_000:
            raise RuntimeError("server stopped answering latency requests")
    for c in cs:
        c.sock.close()
    lat.sort()
    return LatencyResult(
        p50_us=percentile(lat, 0.50) / 1000,
        p99_us=percentile(lat, 0.99) / 1000,
        p999_us=percentile(lat, 0.999) / 1000,
        max_us=(lat[-1] / 1000) if lat else 0.0,
        requests=len(lat),
        achieved_rate=sent_in_window / seconds,
        errors=errors,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rate", type=float, default=5000.0)
    ap.add_argument("--conns", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    r = run(args.port, args.rate, args.conns, args.seconds)
    print(json.dumps(dataclasses.asdict(r)))


if __name__ == "__main__":
    main()
