"""Transcript helpers: feed bytes to a Connection, collect replies, and check
that the output does not depend on how the input was chunked."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import slab
from memcached_py.engine import Engine, slab_config
from memcached_py.protocol.connection import Connection
from memcached_py.settings import Settings

START = 1_700_000_000


@dataclass
class Clock:
    now: int = START

    def __call__(self) -> int:
        return self.now


@dataclass
class Env:
    engine: Engine
    store: slab.Store
    clock: Clock
    control: FakeControl | None = None


@dataclass
class FakeControl:
    shutdowns: list[bool] = field(default_factory=list)

    def request_shutdown(self, graceful: bool) -> None:
        self.shutdowns.append(graceful)

    def refresh_certs(self) -> str | None:
        return None

    def connection_stats(self) -> list[tuple[str, str]]:
        return [("5:addr", "tcp:127.0.0.1:5555"), ("5:state", "conn_parse_cmd")]

    def tls_stats(self) -> list[tuple[str, str]]:
        return []


def make_env(**settings: object) -> Env:
    s = Settings().replace(**settings) if settings else Settings()
    clock = Clock()
    store = slab.Store(slab_config(s), clock)
    control = FakeControl()
    engine = Engine(s, store, clock, control=control)
    return Env(engine, store, clock, control)


@dataclass
class Result:
    output: bytes
    closed: bool


def drive(conn: Connection, chunks: Iterable[bytes], max_requests: int = 20) -> Result:
    """Feed chunks one by one, running process() until idle after each."""
    out: list[bytes] = []
    for chunk in chunks:
        if conn.wants_close:
            break
        conn.receive_data(chunk)
        out.append(conn.process(max_requests))
        while conn.more_work:
            out.append(conn.process(max_requests))
    while conn.more_work:
        out.append(conn.process(max_requests))
    return Result(b"".join(out), conn.wants_close)


def splits(data: bytes, rng: random.Random) -> list[bytes]:
    chunks = []
    i = 0
    while i < len(data):
        n = rng.randint(1, max(1, min(len(data) - i, rng.choice((1, 3, 7, 50, 500)))))
        chunks.append(data[i : i + n])
        i += n
    return chunks


def transcript(
    data: bytes,
    setup: Callable[[Env], None] | None = None,
    *,
    env_factory: Callable[[], Env] = make_env,
    rounds: int = 3,
    max_requests: int = 20,
) -> Result:
    """Run ``data`` whole, one byte at a time and in random splits (fresh env each);
    assert identical output and close status; return the result."""

    def run(chunks: list[bytes]) -> Result:
        env = env_factory()
        if setup is not None:
            setup(env)
        return drive(Connection(env.engine, peer="test"), chunks, max_requests)

    whole = run([data])
    variants = [[data[i : i + 1] for i in range(len(data))]] if len(data) < 20000 else []
    rng = random.Random(len(data))
    variants += [splits(data, rng) for _ in range(rounds)]
    for chunks in variants:
        r = run(chunks)
        assert r.output == whole.output, (chunks[:5], r.output, whole.output)
        assert r.closed == whole.closed
    return whole


def check(
    data: bytes,
    expected: bytes,
    closed: bool | None = None,
    setup: Callable[[Env], None] | None = None,
    **settings: object,
) -> Result:
    """Assert the replies to ``data`` (chunking-invariant) equal ``expected``."""

    def factory() -> Env:
        return make_env(**settings)

    r = transcript(data, setup, env_factory=factory)
    assert r.output == expected, f"\n got: {r.output!r}\nwant: {expected!r}"
    if closed is not None:
        assert r.closed == closed
    return r


def session(**settings: object) -> tuple[Env, Connection]:
    """A single env + connection for stateful step-by-step tests."""
    env = make_env(**settings)
    return env, Connection(env.engine, peer="test", fd=7)


def send(conn: Connection, data: bytes, max_requests: int = 1000) -> bytes:
    return drive(conn, [data], max_requests).output
