"""Property test: random interleavings of classic commands, ours vs the reference.

Hypothesis draws a sequence of commands on a few keys; each command runs on a
persistent connection to each server (shared servers, flush_all reset per
example). ``cas`` uses the CAS that the same server last returned for that key
(or a stale/zero one), so CAS matches and mismatches both happen. The whole
transcript is normalized at once, so CAS identities hold across steps.

Bounded: ``DIFF_PROPERTY_EXAMPLES`` examples (default 100, ~10 s against ours).
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.servers import ServerPool

from .harness import Session, assert_same_step_replies

KEYS = [b"a", b"b", b"c"]
VALUES = [b"", b"0", b"1", b"42", b"99", b"100", b"abc", b"18446744073709551615", b" 7"]
EXPTIMES = [b"0", b"-1", b"1000"]
DELTAS = [b"0", b"1", b"5", b"100", b"18446744073709551615", b"x"]
CAS_CURRENT = b"{cas}"
CAS_STALE = b"{stale}"
NEVER_CAS = b"18446744073709551000"

keys = st.sampled_from(KEYS)
noreply = st.sampled_from([b"", b" noreply"])


@st.composite
def storage(draw: st.DrawFn) -> bytes:
    cmd = draw(st.sampled_from([b"set", b"add", b"replace", b"append", b"prepend", b"cas"]))
    key = draw(keys)
    flags = draw(st.sampled_from([b"0", b"1", b"4294967295"]))
    exp = draw(st.sampled_from(EXPTIMES))
    value = draw(st.sampled_from(VALUES))
    unique = b""
    if cmd == b"cas":
        unique = b" " + draw(st.sampled_from([CAS_CURRENT, CAS_STALE, b"0", b"999999999"]))
    tail = draw(noreply)
    return b"%s %s %s %s %d%s%s\r\n%s\r\n" % (cmd, key, flags, exp, len(value), unique, tail, value)


@st.composite
def retrieval(draw: st.DrawFn) -> bytes:
    cmd = draw(st.sampled_from([b"get", b"gets", b"gat", b"gats"]))
    ks = draw(st.lists(keys, min_size=1, max_size=4))
    if cmd in (b"gat", b"gats"):
        return b"%s %s %s\r\n" % (cmd, draw(st.sampled_from(EXPTIMES)), b" ".join(ks))
    return b"%s %s\r\n" % (cmd, b" ".join(ks))


@st.composite
def other(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from([b"delete", b"incr", b"decr", b"touch"]))
    key = draw(keys)
    tail = draw(noreply)
    if kind == b"delete":
        return b"delete %s%s\r\n" % (key, tail)
    if kind == b"touch":
        return b"touch %s %s%s\r\n" % (key, draw(st.sampled_from(EXPTIMES)), tail)
    return b"%s %s %s%s\r\n" % (kind, key, draw(st.sampled_from(DELTAS)), tail)


commands = st.lists(st.one_of(storage(), retrieval(), other()), min_size=1, max_size=30)

_VALUE_CAS = re.compile(rb"^VALUE (\S+) \d+ \d+ (\d+)\r$", re.M)


class Runner:
    """Runs commands on one server, substituting CAS placeholders per server."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cas: dict[bytes, bytes] = {}
        self.stale: dict[bytes, bytes] = {}

    def run(self, command: bytes) -> bytes:
        key = command.split(b" ", 2)[1] if command.startswith(b"cas ") else b""
        # unknown -> a number no server reaches, so both answer alike
        command = command.replace(CAS_CURRENT, self.cas.get(key, NEVER_CAS))
        command = command.replace(CAS_STALE, self.stale.get(key, NEVER_CAS))
        reply = self.session.call(command)
        for m in _VALUE_CAS.finditer(reply):
            k, cas = m.group(1), m.group(2)
            if k in self.cas and self.cas[k] != cas:
                self.stale[k] = self.cas[k]
            self.cas[k] = cas
        return reply


@settings(
    max_examples=int(os.environ.get("DIFF_PROPERTY_EXAMPLES", "100")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cmds=commands)
def test_random_command_sequences(server_pool: ServerPool, cmds: list[bytes]) -> None:
    assert_same_step_replies(server_pool, Runner, cmds)
