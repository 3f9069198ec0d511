"""Differential tests: every corpus case against memcached (the oracle) and ours.

For each ``Case`` of every ``corpus_*.py`` module in this directory:

- ``test_reference[name]``: the reply of ours (request sent whole) equals the
  reference's, after ``normalize_reply``. With ``case.upstream`` set: ours must
  equal ``upstream`` and the reference (1.6.18) must differ from it.
- ``test_chunking[name-bytewise|random]``: ours answers the same bytes when the
  request arrives one byte at a time / in seeded random splits.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.servers import Kind, Server, ServerPool, start_many, target_is_reference

from .cases import Case, check_unique
from .harness import (
    CHUNK_PLANS,
    SENTINEL,
    Reply,
    chunk_pause,
    chunk_sizes,
    exchange,
    normalize_reply,
    normalized,
    reset,
)


def _load_cases() -> list[Case]:
    cases: list[Case] = []
    here = Path(__file__).parent
    for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda i: i.name):
        if info.name.startswith("corpus_"):
            module = importlib.import_module(f".{info.name}", __package__)
            cases.extend(getattr(module, "CASES", []))
    return check_unique(cases)


CASES = _load_cases()


@contextmanager
def servers_for(pool: ServerPool, case: Case, kinds: list[Kind]) -> Iterator[list[Server]]:
    """Servers for one case: dedicated fresh ones, or shared ones reset before use."""
    if case.dedicated:
        servers = start_many([(kind, case.args) for kind in kinds])
        try:
            yield servers
        finally:
            for server in servers:
                server.stop()
    else:
        yield [pool.shared(kind, case.args) for kind in kinds]


def run(
    server: Server,
    case: Case,
    *,
    chunks: list[int] | None = None,
    pause: float = 0.0,
) -> Reply:
    if not case.dedicated:  # shared server: start from an empty cache
        reset(server)
    return exchange(server, case.request, sentinel=case.sentinel, chunks=chunks, pause=pause)


def show(label: str, reply: Reply | tuple[str, bytes]) -> str:
    if isinstance(reply, Reply):
        return f"{label:>9} [{reply.end}] {reply.data!r}"
    return f"{label:>9} [{reply[0]}] {reply[1]!r}"


def check_reference_answered(case: Case, ref: Reply) -> None:
    if case.sentinel and ref.end == "timeout":
        pytest.fail(
            f"case {case.name} is broken: the reference never answered the sentinel\n"
            + show("reference", ref)
        )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference(case: Case, server_pool: ServerPool) -> None:
    with servers_for(server_pool, case, ["memcached", "ours"]) as (ref_server, our_server):
        ref = run(ref_server, case)
        ours = run(our_server, case)
    check_reference_answered(case, ref)
    header = f"request {case.request[:600]!r}" + (f"\nnote: {case.note}" if case.note else "")
    if case.upstream is None:
        want = normalized(ref)
        got = normalized(ours)
        assert got == want, f"{header}\n{show('expected', want)}\n{show('got', got)}"
        return
    upstream = (ref.end, normalize_reply(case.upstream))
    assert normalized(ref) != upstream, (
        f"{header}\nthe listed 1.6.18-vs-HEAD difference is gone: 1.6.18 now answers "
        f"the upstream reply\n{show('upstream', upstream)}"
    )
    # harness self-check mode: "ours" is memcached 1.6.18 itself
    want = normalized(ref) if target_is_reference() else upstream
    got = normalized(ours)
    assert got == want, (
        f"{header}\n{show('expected', want)} (upstream HEAD)\n"
        f"{show('1.6.18', ref)}\n{show('got', got)}"
    )


CHUNK_PARAMS = [
    pytest.param(case, plan, id=f"{case.name}-{plan}") for case in CASES for plan in CHUNK_PLANS
]


@pytest.mark.parametrize(("case", "plan"), CHUNK_PARAMS)
def test_chunking(case: Case, plan: str, server_pool: ServerPool) -> None:
    payload_len = len(case.request) + (len(SENTINEL) if case.sentinel else 0)
    kinds: list[Kind] = ["ours", "ours"] if case.dedicated else ["ours"]
    with servers_for(server_pool, case, kinds) as servers:
        whole = run(servers[0], case)
        split = run(
            servers[-1],
            case,
            chunks=chunk_sizes(plan, payload_len, seed=case.name),
            pause=chunk_pause(plan, payload_len),
        )
    assert normalized(split) == normalized(whole), (
        f"request {case.request[:600]!r} sent {plan}\n{show('whole', whole)}\n{show(plan, split)}"
    )
