"""Unit tests of the meta flag parser (memcached_py.protocol.meta_flags).

Expected messages come from memcached's ``_meta_flag_preparse`` (HEAD) and were
checked against memcached 1.6.18 where the two agree (reference §4, §12).
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memcached_py.protocol.errors import ClientError
from memcached_py.protocol.meta_flags import (
    b64_decode_key,
    b64_encode_key,
    parse_datalen,
    parse_ma,
    parse_md,
    parse_me,
    parse_mg,
    parse_ms,
    strtol32,
    strtoul_flags,
    strtoull,
    tokenize,
)


def err(fn: object, line: bytes) -> ClientError:
    assert callable(fn)
    with pytest.raises(ClientError) as info:
        fn(tokenize(line))
    return info.value


# --------------------------------------------------------------------------
# tokenizer and numbers


def test_tokenize_spaces_only() -> None:
    assert tokenize(b"  mg   k\tx  v ") == [b"mg", b"k\tx", b"v"]
    assert tokenize(b"") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"30", 30),
        (b"+30", 30),
        (b"-1", -1),
        (b"0", 0),
        (b"2147483647", 2147483647),
        (b"-2147483648", -2147483648),
        (b"2147483648", None),
        (b"", None),
        (b"x", None),
        (b"30x", None),
        (b"-", None),
        (b"5\r", 5),  # strtol stops at a space character
        (b"\t5", 5),  # leading whitespace is skipped
    ],
)
def test_strtol32(text: bytes, value: int | None) -> None:
    assert strtol32(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"0", 0),
        (b"18446744073709551615", 2**64 - 1),
        (b"18446744073709551616", None),
        (b"-1", None),  # wraps above 2**63 and has a '-'
        (b"-0", 0),
        (b"+7", 7),
        (b"-18446744073709551615", 1),  # C strtoull negation, stays small
        (b"1a", None),
        (b"", None),
    ],
)
def test_strtoull(text: bytes, value: int | None) -> None:
    assert strtoull(text) == value


def test_flags_truncate_to_u32() -> None:
    assert strtoul_flags(b"4294967297") == 1
    assert strtoul_flags(b"-1") is None
    assert strtoul_flags(b"x") is None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"0", 0),
        (b"02", 2),
        (b"2147483645", 2147483645),
        (b"2147483646", None),  # > INT_MAX - 2
        (b"-1", None),
        (b"+2", None),  # HEAD's mcmc parser is strict decimal
        (b"2x", None),
        (b"-", None),
        (b"000000000001", None),  # longer than 11 characters
    ],
)
def test_datalen(text: bytes, value: int | None) -> None:
    assert parse_datalen(text) == value


# --------------------------------------------------------------------------
# base64


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"bWs=", b"mk"),
        (b"Zg==", b"f"),
        (b"Zm9v", b"foo"),
        (b"bWs", None),  # not a multiple of 4
        (b"====", None),  # more than two pad characters in a block
        (b"bW=s", b"m`"),  # a "=" counts as a zero digit and as padding
        (b"bWs=bWs=", b"mk"),  # decoding stops after the first padded block
        (b"Zm-9v", b"foo"),  # bytes outside the alphabet are skipped
        (b"", None),
    ],
)
def test_b64_decode_like_memcached(text: bytes, value: bytes | None) -> None:
    assert b64_decode_key(text) == value


@given(st.binary(min_size=1, max_size=187))
def test_b64_roundtrip(key: bytes) -> None:
    encoded = b64_encode_key(key)
    assert encoded == base64.b64encode(key)
    assert b64_decode_key(encoded) == key


# --------------------------------------------------------------------------
# mg / md preparse


def test_mg_flags_parsed() -> None:
    req = parse_mg(tokenize(b"mg key s v c T30 N-1 R5 q u k O123 E9 C7 P1 L2"))
    assert req.key == b"key"
    assert req.value and req.no_reply and req.no_update
    assert (req.ttl, req.vivify_ttl, req.recache_ttl) == (30, -1, 5)
    assert (req.new_cas, req.compare_cas) == (9, 7)
    assert req.flags[0] == b"s" and req.flags[-1] == b"L2"


def test_mg_base64_key() -> None:
    req = parse_mg(tokenize(b"mg bWs= b k"))
    assert req.key == b"mk" and req.key_binary


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"mg", b"CLIENT_ERROR bad command line format"),
        (b"mg " + b"k" * 251, b"CLIENT_ERROR bad command line format"),
        (b"mg k v v", b"CLIENT_ERROR duplicate flag"),
        (b"mg k a", b"CLIENT_ERROR invalid flag"),
        (b"mg k 1", b"CLIENT_ERROR invalid flag"),
        (b"mg k S5", b"CLIENT_ERROR invalid flag"),  # legacy ms size flag
        (b"mg k \xc3", b"CLIENT_ERROR duplicate flag"),  # bytes >= 127
        (b"mg k T", b"CLIENT_ERROR bad token in command line format"),
        (b"mg k Tx", b"CLIENT_ERROR bad token in command line format"),
        (b"mg k N R", b"CLIENT_ERROR bad token in command line format"),
        (b"mg k C-1", b"CLIENT_ERROR bad token in command line format"),
        (b"mg k E", b"CLIENT_ERROR bad token in command line format"),
        (b"mg !!!! b", b"CLIENT_ERROR error decoding key"),
        (b"mg k Fx", b"CLIENT_ERROR bad command line format"),
        (b"mg k JX", b"CLIENT_ERROR invalid numeric initial value"),
        (b"mg k DX", b"CLIENT_ERROR invalid numeric delta value"),
        # numeric errors keep scanning: the last message wins ...
        (b"mg k Tx JX", b"CLIENT_ERROR invalid numeric initial value"),
        (b"mg k Tx Fx", b"CLIENT_ERROR bad token in command line format"),
        # ... but an invalid or duplicate flag stops the scan at once
        (b"mg k Tx a", b"CLIENT_ERROR invalid flag"),
        (b"mg k Tx T5", b"CLIENT_ERROR duplicate flag"),
        (b"mg !!!! b Tx", b"CLIENT_ERROR bad token in command line format"),
        (b"mg k O1 O2", b"CLIENT_ERROR duplicate flag"),
    ],
)
def test_mg_errors(line: bytes, message: bytes) -> None:
    assert err(parse_mg, line).line == message


def test_token_limit_is_twenty() -> None:
    flags = b"s t c f h k l v u O1 P2 L3 q T5 R5 N5 E5 C1"  # 18 flags
    assert len(parse_mg(tokenize(b"mg k " + flags)).flags) == 18
    assert err(parse_mg, b"mg k " + flags + b" I").line == (
        b"CLIENT_ERROR options flags are too long"
    )
    # the key length check comes first
    assert err(parse_mg, b"mg " + b"k" * 251 + b" " + flags + b" I").line == (
        b"CLIENT_ERROR bad command line format"
    )


def test_every_known_flag_accepted_by_every_command() -> None:
    lines = [b"b c f h k l q s t u v x C1 D2", b"E3 F4 I J5 MI N6 O7 P8 R9 T1"]
    for line in lines:
        parse_mg(tokenize(b"mg bWs= " + line))
        parse_md(tokenize(b"md bWs= " + line))
        parse_ma(tokenize(b"ma bWs= " + line))
        parse_ms(tokenize(b"ms bWs= 1 " + line.replace(b"MI", b"MS")))


def test_md_specific_messages() -> None:
    assert err(parse_md, b"md k x x").line == b"CLIENT_ERROR duplicate flag"
    assert err(parse_md, b"md k Cx").line == b"CLIENT_ERROR bad token in command line format"
    req = parse_md(tokenize(b"md k x I T30 F5 E77 q"))
    assert req.remove_value and req.set_stale and req.ttl == 30
    assert (req.client_flags, req.new_cas, req.no_reply) == (5, 77, True)


# --------------------------------------------------------------------------
# ma


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"ma", b"CLIENT_ERROR bad command line format"),
        (b"ma " + b"k" * 251, b"CLIENT_ERROR invalid or duplicate flag"),
        (b"ma k v v", b"CLIENT_ERROR invalid or duplicate flag"),
        (b"ma k a", b"CLIENT_ERROR invalid or duplicate flag"),
        (b"ma k JX", b"CLIENT_ERROR invalid or duplicate flag"),
        (b"ma k D-1", b"CLIENT_ERROR invalid or duplicate flag"),
        (b"ma !!!! b", b"CLIENT_ERROR invalid or duplicate flag"),
        (b"ma k MX", b"CLIENT_ERROR invalid mode for ma M token"),
        (b"ma k M", b"CLIENT_ERROR invalid mode for ma M token"),
        (
            b"ma k " + b" ".join(b"%c" % c for c in b"bcfhklqstuvxI") + b" C1 D2 E3 F4 J5 MI N6",
            b"CLIENT_ERROR invalid or duplicate flag",
        ),
    ],
)
def test_ma_errors(line: bytes, message: bytes) -> None:
    assert err(parse_ma, line).line == message


def test_ma_modes_and_numbers() -> None:
    for mode in (b"MI", b"M+", b"MD", b"M-", b"MDecr"):
        parse_ma(tokenize(b"ma k " + mode))
    req = parse_ma(tokenize(b"ma k N0 J18446744073709551615 D5 MD"))
    assert (req.vivify_ttl, req.initial, req.delta, req.mode) == (0, 2**64 - 1, 5, ord("D"))
    assert parse_ma(tokenize(b"ma k")).delta == 1


# --------------------------------------------------------------------------
# ms


@pytest.mark.parametrize(
    ("line", "message", "swallow"),
    [
        (b"ms", b"CLIENT_ERROR bad command line format", 0),
        (b"ms k", b"CLIENT_ERROR bad command line format", 0),
        (b"ms k x", b"CLIENT_ERROR bad command line format", 0),
        (b"ms k -1", b"CLIENT_ERROR bad command line format", 0),
        (b"ms k 2x", b"CLIENT_ERROR bad command line format", 0),
        (b"ms k 2 a", b"CLIENT_ERROR invalid flag", 4),
        (b"ms k 2 T5 T5", b"CLIENT_ERROR duplicate flag", 4),
        (b"ms k 2 Tx", b"CLIENT_ERROR bad token in command line format", 4),
        (b"ms k 2 Fx", b"CLIENT_ERROR bad command line format", 4),
        (b"ms k 2 F-1", b"CLIENT_ERROR bad command line format", 4),
        (b"ms !!!! 2 b", b"CLIENT_ERROR error decoding key", 4),
        (b"ms k 2 MX", b"CLIENT_ERROR invalid mode for ms M token", 4),
        (b"ms k 2 Mabc", b"CLIENT_ERROR invalid mode for ms M token", 4),
        (b"ms k 2 M", b"CLIENT_ERROR invalid mode for ms M token", 4),
        (b"ms k 2 MI", b"CLIENT_ERROR invalid mode for ms M token", 4),
        (b"ms " + b"k" * 251 + b" 2", b"CLIENT_ERROR bad command line format", 4),
        (
            b"ms k 10 " + b" ".join(b"%c" % c for c in b"bcfhklqstuvxIT"[:-1]) + b" T1 C1 E1 F1 N1",
            b"CLIENT_ERROR options flags are too long",
            12,
        ),
    ],
)
def test_ms_errors(line: bytes, message: bytes, swallow: int) -> None:
    error = err(parse_ms, line)
    assert (error.line, error.swallow) == (message, swallow)


def test_ms_parsed() -> None:
    req = parse_ms(tokenize(b"ms bWs= 5 b T90 F4294967297 C3 E4 I MA N30 q k c s O1"))
    assert (req.key, req.key_binary, req.datalen) == (b"mk", True, 5)
    assert (req.ttl, req.client_flags, req.compare_cas, req.new_cas) == (90, 1, 3, 4)
    assert req.set_stale and req.mode == ord("A") and req.vivify_ttl == 30
    for mode in b"SERAP":
        assert parse_ms(tokenize(b"ms k 0 M%c" % mode)).mode == mode


# --------------------------------------------------------------------------
# me


def test_me() -> None:
    assert parse_me(tokenize(b"me key")) == (b"key", False)
    assert parse_me(tokenize(b"me bWs= b")) == (b"bWs=", False)  # HEAD quirk
    assert parse_me(tokenize(b"me bWs= b x")) == (b"mk", True)
    assert parse_me(tokenize(b"me key x y z")) == (b"key", False)
    assert err(parse_me, b"me").line == b"CLIENT_ERROR bad command line format"
    assert err(parse_me, b"me !!!! b x").line == b"CLIENT_ERROR bad command line format"
    assert parse_me(tokenize(b"me !!!! b")) == (b"!!!!", False)
    assert err(parse_me, b"me " + b"k" * 251).line == b"CLIENT_ERROR bad command line format"
