"""The request path's number parsers: the fast path agrees with the full rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from memcached_py.protocol.text import (
    INT32_MAX,
    PLAIN_DECIMAL_DIGITS,
    U32_MOD,
    parse_flags,
    parse_i32,
    plain_decimal,
)

#: Tokens as they come off the wire: digits, signs, spaces, letters, high bytes.
tokens = st.binary(min_size=0, max_size=24) | st.text("0123456789+- \tx", max_size=24).map(
    str.encode
)


@given(tokens)
def test_plain_decimal_is_int_of_short_digit_strings(tok: bytes) -> None:
    plain = tok.isdigit() and len(tok) <= PLAIN_DECIMAL_DIGITS  # bytes.isdigit: ASCII only
    assert plain_decimal(tok) == (int(tok) if plain else -1)


def test_plain_decimal_edges() -> None:
    assert plain_decimal(b"") == -1
    assert plain_decimal(b"0") == 0
    assert plain_decimal(b"9" * 18) == 10**18 - 1
    assert plain_decimal(b"9" * 19) == -1  # the full parsers take over
    assert plain_decimal(b"+5") == -1
    assert plain_decimal(b" 5") == -1
    assert plain_decimal(b"5\xb2") == -1  # a non-ASCII digit byte


@given(st.integers(min_value=0, max_value=10**22))
def test_digit_strings_parse_as_before(value: int) -> None:
    """Past the fast path's 18 digits both parsers still follow memcached."""
    tok = str(value).encode()
    assert parse_flags(tok) == (value % U32_MOD if value < 2**64 else None)
    if value < 2**63:
        truncated = value & 0xFFFFFFFF
        assert parse_i32(tok) == (truncated - 2**32 if truncated > INT32_MAX else truncated)
    else:
        assert parse_i32(tok) is None


def test_leading_zeros_and_signs_keep_the_full_rules() -> None:
    assert parse_flags(b"0" * 25 + b"7") == 7
    assert parse_flags(b"-0") == 0
    assert parse_flags(b"-1") is None
    assert parse_i32(b"-1") == -1
    assert parse_i32(b"  42") == 42
    assert parse_i32(b"0000000000005") == 5
