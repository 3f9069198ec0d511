"""A TLS load generator for memcached's text protocol (memcaslap speaks no TLS).

Several worker processes, each driving several TLS connections through one
selector, one request in flight per connection, 90% ``get`` / 10% ``set`` of
100-byte values over a preloaded key space; ops/s counted over a fixed window
that starts after every connection has finished its handshake.

    python bench/tlsload.py --port 11211 --seconds 5 --procs 2 --conns 8
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import selectors
import socket
import ssl
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe

HOST = "127.0.0.1"


def client_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def key(i: int) -> bytes:
    return b"t:%014d" % i


@dataclass(frozen=True, slots=True)
class Result:
    ops: int
    seconds: float
    client_cpu: float
    errors: int

    @property
    def ops_per_sec(self) -> float:
        return self.ops / self.seconds if self.seconds > 0 else 0.0


def preload(port: int, keys: int, value: bytes) -> None:
    raw = socket.create_connection((HOST, port), timeout=30)
    with client_context().wrap_socket(raw) as s:
        for start in range(0, keys, 500):
            payload = b"".join(
                b"set %s 0 0 %d noreply\r\n%s\r\n" % (key(i), len(value), value)
                for i in range(start, min(keys, start + 500))
            )
            s.sendall(payload + b"version\r\n")
            buf = b""
            while b"VERSION " not in buf or not buf.endswith(b"\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("server closed the connection during preload")
                buf += chunk


class _Conn:
    __slots__ = ("buf", "expect_get", "sock")

    def __init__(self, sock: ssl.SSLSocket) -> None:
        self.sock = sock
        self.buf = b""
        self.expect_get = True


def _worker(
    port: int,
    conns: int,
    keys: int,
    value_size: int,
    set_ratio: float,
    seed: int,
    pipe: Pipe,
) -> None:
    rng = random.Random(seed)
    value = b"x" * value_size
    set_head = b" 0 0 %d\r\n" % value_size
    set_tail = value + b"\r\n"
    ctx = client_context()
    sel = selectors.DefaultSelector()
    cs: list[_Conn] = []
    for _ in range(conns):
        raw = socket.create_connection((HOST, port), timeout=30)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Blocking sockets; the selector only says which one has a reply coming.
        # A recv that wakes on a non-application record (a TLS 1.3 session
        # ticket) just waits for the reply that is always outstanding.
        s = ctx.wrap_socket(raw)
        c = _Conn(s)
        cs.append(c)
        sel.register(s, selectors.EVENT_READ, c)
    pipe.send("ready")
    start, end = pipe.recv()
    while time.time() < start:
        time.sleep(min(0.01, max(0.0, start - time.time())))
    cpu0 = time.process_time()
    ops = errors = 0

    def issue(c: _Conn) -> None:
        k = key(rng.randrange(keys))
        if rng.random() < set_ratio:
            c.expect_get = False
            c.sock.sendall(b"set " + k + set_head + set_tail)
        else:
            c.expect_get = True
            c.sock.sendall(b"get " + k + b"\r\n")

    for c in cs:
        issue(c)
    now = time.time()
    while now < end:
        for skey, _ev in sel.select(timeout=max(0.0, end - now)):
            c = skey.data
            chunk = c.sock.recv(65536)
            while c.sock.pending():
                chunk += c.sock.recv(65536)
            if not chunk:
                errors += 1
                sel.unregister(c.sock)
                continue
            c.buf += chunk
            if c.expect_get:
                if not c.buf.endswith(b"END\r\n"):
                    continue
            elif not c.buf.endswith(b"\r\n"):
                continue
            elif c.buf != b"STORED\r\n":
                errors += 1
            c.buf = b""
            ops += 1
            issue(c)
        now = time.time()
    cpu = time.process_time() - cpu0
    for c in cs:
        c.sock.close()
    pipe.send((ops, cpu, errors))


def run(
    port: int,
    seconds: float = 5.0,
    procs: int = 2,
    conns: int = 8,
    keys: int = 10_000,
    value_size: int = 100,
    set_ratio: float = 0.1,
) -> Result:
    """Preload ``keys`` keys, then drive the server for ``seconds`` from ``procs``
    processes x ``conns`` TLS connections; returns total ops over the window."""
    preload(port, keys, b"x" * value_size)
    mpctx = mp.get_context("fork")
    workers: list[tuple[mp.context.ForkProcess, Pipe]] = []
    try:
        for i in range(procs):
            parent, child = mpctx.Pipe()
            p = mpctx.Process(
                target=_worker,
                args=(port, conns, keys, value_size, set_ratio, 1000 + i, child),
                daemon=True,
            )
            p.start()
            workers.append((p, parent))
        for _p, pipe in workers:
            if not pipe.poll(30) or pipe.recv() != "ready":
                raise RuntimeError("tlsload worker did not connect")
        start = time.time() + 0.2
        end = start + seconds
        for _p, pipe in workers:
            pipe.send((start, end))
        ops = errors = 0
        cpu = 0.0
        for _p, pipe in workers:
            if not pipe.poll(seconds + 30):
                raise RuntimeError("tlsload worker did not report")
            o, c, e = pipe.recv()
            ops += o
            cpu += c
            errors += e
        return Result(ops, seconds, cpu, errors)
    finally:
        for p, _pipe in workers:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--procs", type=int, default=max(1, (os.cpu_count() or 2)))
    ap.add_argument("--conns", type=int, default=8)
    args = ap.parse_args()
    r = run(args.port, args.seconds, args.procs, args.conns)
    print(
        json.dumps(
            {
                "ops_per_sec": r.ops_per_sec,
                "ops": r.ops,
                "client_cpu": r.client_cpu,
                "errors": r.errors,
            }
        )
    )


if __name__ == "__main__":
    main()
