"""Property test: random mixes of meta and classic commands, ours vs memcached.

Hypothesis draws a sequence of meta (mg ms md ma mn) and classic (set add
replace append prepend cas get gets delete incr decr touch) commands on a few
keys, including base64 (``b``) spellings of the same keys, quiet mode,
invalidation (``md I``, ``ms I``), vivify (``N``), recache (``R``) and CAS
compares. Each command runs on a persistent connection to each server (shared
servers, flush_all reset per example); ``{cas}``/``{stale}`` placeholders are
replaced by the CAS that server last returned for the key, so compares both
match and miss. Replies are normalized together (CAS numbers by identity).

Only behaviour that 1.6.18 and upstream HEAD share is drawn (no E, x, ms s,
append-vivify), and nothing whose reply depends on the wall clock (no ``t``
or ``l``; TTLs are 0, -1 or far away).

Bounded: ``META_PROPERTY_EXAMPLES`` examples (default 60, a few seconds).
"""

from __future__ import annotations

import os
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.differential.harness import Session, assert_same_step_replies
from tests.servers import ServerPool

#: plain keys and their base64 spellings (used with the ``b`` flag)
KEYS = {b"a": b"YQ==", b"b": b"Yg==", b"c": b"Yw=="}
VALUES = [b"", b"0", b"1", b"9", b"99", b"100", b"abc", b"18446744073709551615", b" 7"]
TTLS = [b"0", b"-1", b"1000"]
CAS_CURRENT = b"{cas}"
CAS_STALE = b"{stale}"
NEVER_CAS = b"18446744073709551000"

keys = st.sampled_from(sorted(KEYS))
cas_token = st.sampled_from([CAS_CURRENT, CAS_STALE, b"0", b"999999999"])


def meta_key(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    """A key token and the flags it needs (``b`` when drawn base64)."""
    key = draw(keys)
    if draw(st.booleans()):
        return KEYS[key], [b"b"]
    return key, []


def flag_subset(draw: st.DrawFn, choices: list[bytes], max_size: int = 5) -> list[bytes]:
    picked = draw(st.lists(st.sampled_from(choices), max_size=max_size, unique=True))
    # one token per flag letter (memcached rejects duplicates; tested elsewhere)
    seen: set[int] = set()
    out = []
    for tok in picked:
        if tok[0] not in seen:
            seen.add(tok[0])
            out.append(tok)
    return out


@st.composite
def mg(draw: st.DrawFn) -> bytes:
    key, flags = meta_key(draw)
    flags += flag_subset(
        draw,
        [
            b"s",
            b"v",
            b"f",
            b"c",
            b"k",
            b"h",
            b"q",
            b"u",
            b"Oop",
            b"T0",
            b"T-1",
            b"T1000",
            b"N0",
            b"N1000",
            b"R1000",
            b"R5",
        ],
        max_size=7,
    )
    return b"mg %s %s\r\n" % (key, b" ".join(flags))


@st.composite
def ms(draw: st.DrawFn) -> bytes:
    key, flags = meta_key(draw)
    value = draw(st.sampled_from(VALUES))
    flags += flag_subset(
        draw,
        [
            b"q",
            b"k",
            b"c",
            b"Oop",
            b"I",
            b"F0",
            b"F7",
            b"T0",
            b"T-1",
            b"T1000",
            b"MS",
            b"ME",
            b"MR",
            b"MA",
            b"MP",
        ],
    )
    if draw(st.booleans()):
        flags.append(b"C" + draw(cas_token))
    return b"ms %s %d %s\r\n%s\r\n" % (key, len(value), b" ".join(flags), value)


@st.composite
def md(draw: st.DrawFn) -> bytes:
    key, flags = meta_key(draw)
    flags += flag_subset(draw, [b"q", b"k", b"Oop", b"I", b"T0", b"T1000"])
    if draw(st.booleans()):
        flags.append(b"C" + draw(cas_token))
    return b"md %s %s\r\n" % (key, b" ".join(flags))


@st.composite
def ma(draw: st.DrawFn) -> bytes:
    key, flags = meta_key(draw)
    flags += flag_subset(
        draw,
        [
            b"v",
            b"c",
            b"k",
            b"Oop",
            b"N0",
            b"N1000",
            b"J5",
            b"J18446744073709551615",
            b"D0",
            b"D3",
            b"D18446744073709551615",
            b"MI",
            b"MD",
            b"M+",
            b"M-",
            b"T0",
        ],
    )
    if b"N0" not in flags and b"N1000" not in flags and draw(st.booleans()):
        flags.append(b"q")  # (q with N on a miss differs between 1.6.18 and HEAD)
    if draw(st.booleans()):
        flags.append(b"C" + draw(cas_token))
    return b"ma %s %s\r\n" % (key, b" ".join(flags))


@st.composite
def classic(draw: st.DrawFn) -> bytes:
    cmd = draw(
        st.sampled_from(
            [
                b"set",
                b"add",
                b"replace",
                b"append",
                b"prepend",
                b"cas",
                b"get",
                b"gets",
                b"delete",
                b"incr",
                b"decr",
                b"touch",
            ]
        )
    )
    key = draw(keys)
    if cmd in (b"get", b"gets"):
        more = draw(st.lists(keys, max_size=2))
        return b"%s %s\r\n" % (cmd, b" ".join([key, *more]))
    if cmd == b"delete":
        return b"delete %s\r\n" % key
    if cmd == b"touch":
        return b"touch %s %s\r\n" % (key, draw(st.sampled_from(TTLS)))
    if cmd in (b"incr", b"decr"):
        return b"%s %s %s\r\n" % (cmd, key, draw(st.sampled_from([b"1", b"7", b"100"])))
    value = draw(st.sampled_from(VALUES))
    unique = b" " + draw(cas_token) if cmd == b"cas" else b""
    flags = draw(st.sampled_from([b"0", b"3"]))
    exp = draw(st.sampled_from(TTLS))
    return b"%s %s %s %s %d%s\r\n%s\r\n" % (cmd, key, flags, exp, len(value), unique, value)


commands = st.lists(st.one_of(mg(), ms(), md(), ma(), classic()), min_size=1, max_size=25)

_VALUE_CAS = re.compile(rb"^VALUE (\S+) \d+ \d+ (\d+)\r$", re.M)
_META_CAS = re.compile(rb"^(?:HD|VA \d+)(?: \S+)*? c(\d+)(?: |\r$)", re.M)
_B64_TO_KEY = {v: k for k, v in KEYS.items()}


class Runner:
    """Runs commands on one server, substituting CAS placeholders per server."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cas: dict[bytes, bytes] = {}
        self.stale: dict[bytes, bytes] = {}

    def learn(self, key: bytes, cas: bytes) -> None:
        if key in self.cas and self.cas[key] != cas:
            self.stale[key] = self.cas[key]
        self.cas[key] = cas

    def run(self, command: bytes) -> bytes:
        parts = command.split(b" ", 2)
        key = parts[1].rstrip(b"\r\n") if len(parts) > 1 else b""
        key = _B64_TO_KEY.get(key, key)
        command = command.replace(CAS_CURRENT, self.cas.get(key, NEVER_CAS))
        command = command.replace(CAS_STALE, self.stale.get(key, NEVER_CAS))
        reply = self.session.call(command)
        for m in _VALUE_CAS.finditer(reply):
            self.learn(m.group(1), m.group(2))
        if command[:1] == b"m":
            m = _META_CAS.search(reply)
            if m is not None and m.group(1) != b"0":
                self.learn(key, m.group(1))
        return reply


@settings(
    max_examples=int(os.environ.get("META_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cmds=commands)
def test_meta_and_classic_mixed(server_pool: ServerPool, cmds: list[bytes]) -> None:
    assert_same_step_replies(server_pool, Runner, cmds)
