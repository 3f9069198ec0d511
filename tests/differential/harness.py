"""Differential harness: send raw bytes to a server, read the reply, normalize it.

Reusable pieces:

- ``exchange(server, request, ...)``: one fresh connection, send ``request`` (in
  the given chunk sizes), then the sentinel ``mn\\r\\n``; read until the reply
  ends with ``MN\\r\\n`` (stripped from the result), or the peer closes, or
  nothing moves for ``idle_timeout`` seconds. Returns a ``Reply``.
- ``normalize_reply(data)``: CAS numbers by identity, version masked.
- ``chunk_sizes(plan, n, seed)``: one byte at a time / seeded random splits.
- ``stats_names(server, sub)`` and ``compare_stats_names(...)``.
- ``reset(server)``: ``flush_all`` (used between sends on shared servers).
"""

from __future__ import annotations

import random
import re
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from tests.servers import Server, ServerPool

SENTINEL = b"mn\r\n"
SENTINEL_REPLY = b"MN\r\n"

End = Literal["sentinel", "close", "timeout"]

#: Requests up to this size are sent one byte at a time in full; longer ones
#: byte by byte for their first and last BYTEWISE_EDGE bytes, the middle whole.
BYTEWISE_LIMIT = 64 * 1024
BYTEWISE_EDGE = 4 * 1024
#: Pause between single-byte sends for short requests, so that the server
#: really sees many small reads instead of one coalesced one.
BYTEWISE_PAUSE = 0.0002
BYTEWISE_PAUSE_LIMIT = 512


@dataclass(frozen=True)
class Reply:
    data: bytes  # everything received, minus the sentinel's MN when end == "sentinel"
    end: End

    def describe(self) -> str:
        return f"{self.end}: {self.data!r}"


def _expected_sentinels(payload: bytes) -> int:
    """How many ``MN`` replies the payload asks for, counting ``mn`` lines (a guess)."""
    n = 0
    for line in payload.split(b"\n"):
        line = line.rstrip(b"\r")
        if line == b"mn" or line.startswith(b"mn "):
            n += 1
    return n


def exchange(
    server: Server,
    request: bytes,
    *,
    sentinel: bool = True,
    chunks: Sequence[int] | None = None,
    idle_timeout: float | None = None,
    pause: float = 0.0,
) -> Reply:
    """Send ``request`` (+ sentinel) on a fresh connection and collect the reply.

    ``chunks``: sizes of the successive sends covering the payload (request plus
    sentinel); ``None`` sends it whole. Sending runs in a thread while this one
    reads, so a large reply can never deadlock against a large request.
    """
    payload = request + SENTINEL if sentinel else request
    if idle_timeout is None:
        idle_timeout = 2.0 if sentinel else 0.5
    sizes = list(chunks) if chunks is not None else [len(payload)]
    if sum(sizes) != len(payload):
        raise ValueError("chunk sizes must cover the payload exactly")
    want_mn = _expected_sentinels(payload) if sentinel else 0

    sock = server.connect()
    last_activity = [time.monotonic()]
    send_done = threading.Event()

    def sender() -> None:
        try:
            pos = 0
            for size in sizes:
                if size:
                    sock.sendall(payload[pos : pos + size])
                    pos += size
                    last_activity[0] = time.monotonic()
                    if pause:
                        time.sleep(pause)
        except OSError:
            pass  # peer closed (quit, over-long line, ...): the reader sees it
        finally:
            send_done.set()

    thread = threading.Thread(target=sender, daemon=True)
    received = bytearray()
    end: End = "timeout"
    quiet_since: float | None = None
    sock.settimeout(0.02)
    thread.start()
    try:
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                chunk = None
            except OSError:  # ECONNRESET and friends count as a close
                end = "close"
                break
            now = time.monotonic()
            if chunk == b"":
                end = "close"
                break
            if chunk:
                received += chunk
                last_activity[0] = now
                quiet_since = None
            if sentinel and send_done.is_set() and received.endswith(SENTINEL_REPLY):
                # Done when every mn was answered, or nothing more came for a while
                # (the count is a guess: an "mn" line may have been a data block).
                if received.count(SENTINEL_REPLY) >= want_mn:
                    end = "sentinel"
                    break
                if quiet_since is None:
                    quiet_since = now
                elif now - quiet_since > 0.15:
                    end = "sentinel"
                    break
            if now - last_activity[0] > idle_timeout:
                end = "timeout"
                break
    finally:
        sock.close()
        thread.join(timeout=5)
    data = bytes(received)
    if end == "sentinel":
        data = data[: -len(SENTINEL_REPLY)]
    return Reply(data, end)


# --------------------------------------------------------------------------
# chunking plans


def bytewise(n: int) -> list[int]:
    if n <= BYTEWISE_LIMIT:
        return [1] * n
    return [1] * BYTEWISE_EDGE + [n - 2 * BYTEWISE_EDGE] + [1] * BYTEWISE_EDGE


def random_splits(n: int, seed: str) -> list[int]:
    """Seeded random split sizes (mostly small, sometimes large) covering n bytes."""
    rng = random.Random(zlib.crc32(seed.encode()))
    sizes: list[int] = []
    left = n
    while left > 0:
        size = rng.randint(1, 9) if rng.random() < 0.8 else rng.randint(10, 4096)
        size = min(size, left)
        sizes.append(size)
        left -= size
    return sizes


CHUNK_PLANS = ("bytewise", "random")


def chunk_sizes(plan: str, n: int, seed: str) -> list[int]:
    """Send sizes covering n bytes for a plan of CHUNK_PLANS (random: seeded)."""
    if plan == "bytewise":
        return bytewise(n)
    if plan == "random":
        return random_splits(n, seed)
    raise ValueError(f"unknown chunk plan {plan!r}")


def chunk_pause(plan: str, n: int) -> float:
    """Pause between sends: only for short requests sent one byte at a time."""
    return BYTEWISE_PAUSE if plan == "bytewise" and n <= BYTEWISE_PAUSE_LIMIT else 0.0


# --------------------------------------------------------------------------
# normalization

_VERSION_RE = re.compile(rb"VERSION \d+\.\d+\.\d+")
_META_CODES = frozenset({b"HD", b"EN", b"NF", b"NS", b"EX", b"VA"})
_CAS_EQ_RE = re.compile(rb"(?<![^ ])cas=(\d+)")


class _CasIds:
    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}

    def __call__(self, number: bytes) -> bytes:
        if number == b"0":  # "no CAS" (-C, ms c0 when not stored) stays visible
            return number
        n = self.ids.setdefault(number, len(self.ids) + 1)
        return b"<cas%d>" % n


def normalize_reply(data: bytes) -> bytes:
    """Normalize a reply stream for comparison, rewriting only what must differ.

    - The CAS number in ``VALUE <key> <flags> <bytes> <cas>`` (gets/gats), meta
      ``c<cas>`` return flags on HD/VA/EN/NF/NS/EX lines, and ``cas=<n>`` on
      ``ME`` and metadump (``key=...``) lines become ``<casN>``, numbered in
      order of first appearance (``0`` is kept). Equal numbers map to equal ids,
      so "same CAS" / "changed CAS" is still checked.
    - ``VERSION x.y.z`` becomes ``VERSION <x.y.z>`` (our version string differs).
    - Data blocks (after VALUE and VA lines) are copied verbatim and never
      rewritten; everything else is untouched.
    """
    cas = _CasIds()
    out: list[bytes] = []
    pos = 0
    n = len(data)
    while pos < n:
        nl = data.find(b"\n", pos)
        if nl < 0:
            out.append(data[pos:])
            break
        line = data[pos : nl + 1]
        pos = nl + 1
        body = line.rstrip(b"\r\n")
        ending = line[len(body) :]
        toks = body.split(b" ")
        head = toks[0]
        size: int | None = None
        if head == b"VALUE" and len(toks) in (4, 5):
            if len(toks) == 5 and toks[4].isdigit():
                toks[4] = cas(toks[4])
            if toks[3].isdigit():
                size = int(toks[3])
        elif head in _META_CODES:
            first_flag = 1
            if head == b"VA" and len(toks) >= 2:
                first_flag = 2
                if toks[1].isdigit():
                    size = int(toks[1])
            for i in range(first_flag, len(toks)):
                tok = toks[i]
                if len(tok) > 1 and tok[:1] == b"c" and tok[1:].isdigit():
                    toks[i] = b"c" + cas(tok[1:])
        elif head == b"ME" or head.startswith(b"key="):
            body = _CAS_EQ_RE.sub(lambda m: b"cas=" + cas(m.group(1)), body)
            toks = [body]
        elif _VERSION_RE.fullmatch(body):
            toks = [b"VERSION <x.y.z>"]
        out.append(b" ".join(toks) + ending)
        if size is not None:
            out.append(data[pos : pos + size + 2])
            pos += size + 2
    return b"".join(out)


def normalized(reply: Reply) -> tuple[End, bytes]:
    return (reply.end, normalize_reply(reply.data))


# --------------------------------------------------------------------------
# state reset and stats


def reset(server: Server) -> None:
    """Make every stored item invisible (shared servers, between sends)."""
    reply = exchange(server, b"flush_all\r\n")
    if reply != Reply(b"OK\r\n", "sentinel"):
        raise AssertionError(f"flush_all reset failed on {server!r}: {reply.describe()}")


def stats_lines(server: Server, sub: str = "") -> list[tuple[str, str]]:
    """``stats [sub]`` as (name, value) pairs, in order."""
    cmd = f"stats {sub}".rstrip().encode() + b"\r\n"
    reply = exchange(server, cmd)
    if reply.end != "sentinel" or not reply.data.endswith(b"END\r\n"):
        raise AssertionError(f"{cmd!r} on {server!r}: {reply.describe()}")
    pairs: list[tuple[str, str]] = []
    for line in reply.data.split(b"\r\n")[:-2]:
        parts = line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or parts[0] != "STAT":
            raise AssertionError(f"{cmd!r} on {server!r}: bad line {line!r}")
        pairs.append((parts[1], parts[2] if len(parts) > 2 else ""))
    return pairs


def stats_names(server: Server, sub: str = "") -> list[str]:
    return [name for name, _ in stats_lines(server, sub)]


def compare_stats_names(
    reference: Sequence[str],
    ours: Sequence[str],
    *,
    only_reference: Sequence[str] = (),
    only_ours: Sequence[str] = (),
) -> list[str]:
    """Problems (empty list = equal) between two ordered name lists.

    ``only_reference`` / ``only_ours``: the names we expect on one side only
    (deliberate, listed differences). They must really be missing on the other
    side (a stale expectation is a problem too), and once removed, the rest
    must be the same names in the same order.
    """
    problems: list[str] = []
    ref_set, ours_set = set(reference), set(ours)
    for name in only_reference:
        if name not in ref_set:
            problems.append(f"expected only in reference, but reference lacks it: {name}")
        if name in ours_set:
            problems.append(f"expected only in reference, but ours has it: {name}")
    for name in only_ours:
        if name not in ours_set:
            problems.append(f"expected only in ours, but ours lacks it: {name}")
        if name in ref_set:
            problems.append(f"expected only in ours, but reference has it: {name}")
    ref_rest = [n for n in reference if n not in only_reference]
    ours_rest = [n for n in ours if n not in only_ours]
    missing = [n for n in ref_rest if n not in ours_set]
    extra = [n for n in ours_rest if n not in ref_set]
    if missing:
        problems.append(f"missing in ours: {missing}")
    if extra:
        problems.append(f"unexpected in ours: {extra}")
    if not missing and not extra and ref_rest != ours_rest:
        for i, (a, b) in enumerate(zip(ref_rest, ours_rest, strict=False)):
            if a != b:
                problems.append(f"order differs at #{i}: reference {a!r}, ours {b!r}")
                break
    if len(ours) != len(ours_set):
        dup = sorted({n for n in ours if ours.count(n) > 1})
        problems.append(f"duplicate names in ours: {dup}")
    return problems


class Session:
    """A persistent connection for step-by-step exchanges (property tests).

    ``call(command)`` sends the command plus the sentinel and returns the reply
    without the sentinel's ``MN``; raises AssertionError on close or timeout.
    """

    def __init__(self, server: Server, timeout: float = 2.0) -> None:
        self.server = server
        self.sock = server.connect(timeout=timeout)
        self.buffer = b""

    def call(self, command: bytes) -> bytes:
        self.sock.sendall(command + SENTINEL)
        while not self.buffer.endswith(SENTINEL_REPLY):
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                chunk = b"<timeout>"
            if not chunk or chunk == b"<timeout>":
                raise AssertionError(
                    f"{self.server!r}: no sentinel reply to {command!r}; "
                    f"got {self.buffer!r} then {'close' if not chunk else 'timeout'}"
                )
            self.buffer += chunk
        reply, self.buffer = self.buffer[: -len(SENTINEL_REPLY)], b""
        return reply

    def close(self) -> None:
        self.sock.close()


class StepRunner(Protocol):
    """Runs one command on one server and returns its reply (property tests)."""

    def run(self, command: bytes) -> bytes: ...


def assert_same_step_replies(
    pool: ServerPool, make_runner: Callable[[Session], StepRunner], cmds: list[bytes]
) -> None:
    """Run ``cmds`` step by step on fresh-state shared servers of both kinds and
    assert every step's normalized reply is the same (CAS compared by identity)."""
    replies: list[list[bytes]] = []
    for kind in ("memcached", "ours"):
        server = pool.shared(kind, ())
        reset(server)
        session = Session(server)
        try:
            runner = make_runner(session)
            replies.append([runner.run(c) for c in cmds])
        finally:
            session.close()
    ref, ours = replies
    sep = b"\x00step\x00\r\n"  # a line of its own: normalize leaves it alone
    want = normalize_reply(sep.join(ref)).split(sep)
    got = normalize_reply(sep.join(ours)).split(sep)
    for i, cmd in enumerate(cmds):
        assert got[i] == want[i], (
            f"step {i}: {cmd!r}\nexpected {want[i]!r}\ngot      {got[i]!r}\nhistory: {cmds[:i]!r}"
        )
