"""Meta command line parsing: tokens, flags, numbers, base64 keys (pure functions).

This is memcached's ``_meta_flag_preparse`` and the per-command checks around
it, with upstream HEAD's error rules (reference §4, §12):

- tokens are separated by runs of ASCII spaces only;
- a key token longer than 250 bytes -> ``bad command line format``;
- more than 20 tokens in the whole line -> ``options flags are too long``;
- every flag is one character; the first byte of a token decides, the rest is
  its argument. A byte >= 127 or a repeated flag -> ``duplicate flag``; an
  unknown character -> ``invalid flag`` (both stop the scan at once);
- bad numbers keep scanning and report the *last* numeric error message
  (``bad token in command line format``, ``invalid numeric initial value`` /
  ``... delta value``); a bad ``F`` keeps the message chosen so far (by default
  ``bad command line format``); a bad base64 key -> ``error decoding key``.
- Every command accepts every known flag; the ones it does not use are ignored.

Per-command wrappers turn a refused line into a :class:`ClientError` carrying
the wire line: ``md`` reports the specific message, ``ma`` always
``invalid or duplicate flag``, ``ms`` swallows its data block (except when the
data length itself is bad). The ``O`` (opaque, at most 32 bytes including the
``O``) limit is checked by the executors while they build the reply, as
memcached does, so it is not a parse error here.
"""

from __future__ import annotations

from typing import Final

from .errors import ClientError

#: memcached's KEY_MAX_LENGTH (applies to the key token as sent, before base64).
KEY_MAX_LENGTH: Final = 250
#: Most tokens a meta line may have (command + key + [datalen] + flags).
MAX_TOKENS: Final = 20
#: Longest opaque token, including its leading ``O``.
MAX_OPAQUE_LENGTH: Final = 32

U64_MASK: Final = (1 << 64) - 1
U32_MASK: Final = (1 << 32) - 1
INT32_MAX: Final = (1 << 31) - 1
INT32_MIN: Final = -(1 << 31)
INT_MAX: Final = INT32_MAX

# flag bytes (ints, for fast comparisons on ``token[0]``)
F_b, F_c, F_f, F_h, F_k, F_l, F_q, F_s, F_t, F_u, F_v, F_x = b"bcfhklqstuvx"
F_C, F_D, F_E, F_F, F_I, F_J, F_L, F_M, F_N, F_O, F_P, F_R, F_T = b"CDEFIJLMNOPRT"

#: Flags that take no argument and only steer the reply or the fetch.
_PLAIN_FLAGS: Final = frozenset(b"cfhklqstuvOPLx")

MSG_BAD_FORMAT: Final = b"bad command line format"
MSG_BAD_TOKEN: Final = b"bad token in command line format"
MSG_DUPLICATE: Final = b"duplicate flag"
MSG_INVALID: Final = b"invalid flag"
MSG_DECODE_KEY: Final = b"error decoding key"
MSG_TOO_LONG: Final = b"options flags are too long"
MSG_OPAQUE: Final = b"opaque token too long"
MSG_BAD_INITIAL: Final = b"invalid numeric initial value"
MSG_BAD_DELTA: Final = b"invalid numeric delta value"
MSG_MS_MODE: Final = b"invalid mode for ms M token"
MSG_MA_MODE: Final = b"invalid mode for ma M token"
MSG_MA_PREPARSE: Final = b"invalid or duplicate flag"

_SPACE: Final = frozenset(b" \t\n\v\f\r")  # C isspace()


# --------------------------------------------------------------------------
# numbers: memcached's safe_strto* (strtol family, then "ends at a space")


def _digits(s: bytes) -> tuple[bool, bytes, int] | None:
    """Split a strtol-style number: (negative, digits, end) or None if no digits."""
    n = len(s)
    i = 0
    while i < n and s[i] in _SPACE:
        i += 1
    neg = False
    if i < n and s[i] in b"+-":
        neg = s[i] == 0x2D
        i += 1
    j = i
    while j < n and 0x30 <= s[j] <= 0x39:
        j += 1
    if j == i:
        return None
    if j < n and s[j] not in _SPACE:
        return None
    return neg, s[i:j], j


def strtol32(s: bytes) -> int | None:
    """``safe_strtol``: a signed 32-bit decimal (TTL-like tokens); None if invalid."""
    parts = _digits(s)
    if parts is None:
        return None
    neg, digits, _ = parts
    value = -int(digits) if neg else int(digits)
    if value < INT32_MIN or value > INT32_MAX:
        return None
    return value


def strtoull(s: bytes) -> int | None:
    """``safe_strtoull``: u64; ``-n`` only when it stays below 2**63 (C semantics)."""
    parts = _digits(s)
    if parts is None:
        return None
    neg, digits, end = parts
    value = int(digits)
    if value > U64_MASK:
        return None  # ERANGE
    if neg:
        value = -value & U64_MASK
    if value > INT64_MAX_AS_U and b"-" in s[:end]:
        return None
    return value


INT64_MAX_AS_U: Final = (1 << 63) - 1


def strtoul_flags(s: bytes) -> int | None:
    """``safe_strtoflags`` with 32-bit client flags: strtoul, then truncated to u32."""
    value = strtoull(s)
    return None if value is None else value & U32_MASK


def parse_datalen(token: bytes) -> int | None:
    """ms ``<datalen>`` (HEAD's strict ``mcmc_tokto32``): 0..INT_MAX-2, else None."""
    if not token or len(token) > 11:
        return None
    body = token[1:] if token[0] == 0x2D else token
    if not body or not body.isdigit():
        return None
    value = int(token)
    if value < 0 or value > INT_MAX - 2:
        return None
    return value


# --------------------------------------------------------------------------
# base64 (memcached's base64.c rules: unknown bytes are skipped, '=' counts)

_B64_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE: Final = [-1] * 256
for _i, _ch in enumerate(_B64_ALPHABET):
    _B64_VALUE[_ch] = _i
_B64_VALUE[ord("=")] = 0
del _i, _ch


def b64_decode_key(src: bytes) -> bytes | None:
    """Decode a base64 key the way memcached does; None when memcached fails (returns 0).

    Bytes outside the alphabet are ignored; the count of the remaining ones
    must be a positive multiple of 4; decoding stops after the first block
    holding padding, and a block with more than two ``=`` is invalid.
    """
    table = _B64_VALUE
    count = 0
    for ch in src:
        if table[ch] >= 0:
            count += 1
    if count == 0 or count % 4:
        return None
    out = bytearray()
    block = [0, 0, 0, 0]
    n = 0
    pad = 0
    for ch in src:
        v = table[ch]
        if v < 0:
            continue
        if ch == 0x3D:
            pad += 1
        block[n] = v
        n += 1
        if n == 4:
            out.append(((block[0] << 2) | (block[1] >> 4)) & 0xFF)
            out.append(((block[1] << 4) | (block[2] >> 2)) & 0xFF)
            out.append(((block[2] << 6) | block[3]) & 0xFF)
            n = 0
            if pad:
                if pad == 1:
                    del out[-1:]
                elif pad == 2:
                    del out[-2:]
                else:
                    return None
                break
    if not out:
        return None
    return bytes(out)


def b64_encode_key(key: bytes) -> bytes:
    """Standard padded base64 (what memcached prints for binary keys)."""
    import binascii

    return binascii.b2a_base64(key, newline=False)


# --------------------------------------------------------------------------
# the parsed request


class MetaRequest:
    """One parsed meta command line. TTL fields are client values (not absolute)."""

    __slots__ = (
        "client_flags",
        "compare_cas",
        "datalen",
        "delta",
        "flags",
        "initial",
        "key",
        "key_binary",
        "mode",
        "new_cas",
        "no_reply",
        "no_update",
        "recache_ttl",
        "remove_value",
        "set_stale",
        "ttl",
        "value",
        "vivify_ttl",
    )

    def __init__(self, key: bytes, flags: list[bytes]) -> None:
        self.key = key  # decoded key (raw bytes when ``b`` was given)
        self.flags = flags  # flag tokens as sent, in order (for the reply)
        self.key_binary = False
        self.value = False  # v
        self.no_update = False  # u
        self.no_reply = False  # q
        self.set_stale = False  # I
        self.remove_value = False  # x
        self.ttl: int | None = None  # T
        self.vivify_ttl: int | None = None  # N
        self.recache_ttl: int | None = None  # R
        self.client_flags = 0  # F
        self.compare_cas: int | None = None  # C
        self.new_cas: int | None = None  # E
        self.mode = 0  # M: the mode byte, 0 = none given
        self.delta = 1  # D
        self.initial = 0  # J
        self.datalen = 0  # ms only


def tokenize(line: bytes) -> list[bytes]:
    """Split a command line (without its line end) on runs of spaces."""
    return [t for t in line.split(b" ") if t]


def _preparse(tokens: list[bytes], start: int) -> tuple[MetaRequest, bytes | None]:
    """memcached's ``_meta_flag_preparse``: (request, error message or None).

    ``tokens[1]`` is the key, flags start at ``tokens[start]``. The key length
    and token count checks come first, as in HEAD.
    """
    raw_key = tokens[1]
    flags = tokens[start:]
    req = MetaRequest(raw_key, flags)
    if len(raw_key) > KEY_MAX_LENGTH:
        return req, MSG_BAD_FORMAT
    if len(tokens) > MAX_TOKENS:
        return req, MSG_TOO_LONG
    seen = 0  # bitmask over flag bytes 0..126
    error: bytes | None = None
    errstr = MSG_BAD_FORMAT
    for tok in flags:
        o = tok[0]
        bit = 1 << o
        if o >= 127 or seen & bit:
            return req, MSG_DUPLICATE
        seen |= bit
        if o in _PLAIN_FLAGS:
            if o == F_v:
                req.value = True
            elif o == F_q:
                req.no_reply = True
            elif o == F_u:
                req.no_update = True
            elif o == F_x:
                req.remove_value = True
            continue
        arg = tok[1:]
        if o in (F_T, F_N, F_R):
            num = strtol32(arg)
            if num is None:
                errstr = MSG_BAD_TOKEN
                error = errstr
            elif o == F_T:
                req.ttl = num
            elif o == F_N:
                req.vivify_ttl = num
            else:
                req.recache_ttl = num
        elif o in (F_C, F_E):
            num = strtoull(arg)
            if num is None:
                errstr = MSG_BAD_TOKEN
                error = errstr
            elif o == F_C:
                req.compare_cas = num
            else:
                req.new_cas = num
        elif o == F_b:
            decoded = b64_decode_key(raw_key)
            req.key_binary = True
            if decoded is None:
                errstr = MSG_DECODE_KEY
                error = errstr
            else:
                req.key = decoded
        elif o == F_F:
            num = strtoul_flags(arg)
            if num is None:
                error = errstr
            else:
                req.client_flags = num
        elif o == F_M:
            # HEAD takes the byte after M; a bare "M" sees the line's next byte
            # (a space or the line end): an invalid mode either way.
            req.mode = arg[0] if arg else 0x20
        elif o == F_J:
            num = strtoull(arg)
            if num is None:
                errstr = MSG_BAD_INITIAL
                error = errstr
            else:
                req.initial = num
        elif o == F_D:
            num = strtoull(arg)
            if num is None:
                errstr = MSG_BAD_DELTA
                error = errstr
            else:
                req.delta = num
        elif o == F_I:
            req.set_stale = True
        else:
            return req, MSG_INVALID
    if error is not None:
        # the message is the last one chosen, as memcached's errstr
        return req, errstr
    return req, None


def parse_mg(tokens: list[bytes]) -> MetaRequest:
    """``mg <key> <flags>*`` (also used for ``md``: same error rules)."""
    if len(tokens) < 2:
        raise ClientError(MSG_BAD_FORMAT)
    req, error = _preparse(tokens, 2)
    if error is not None:
        raise ClientError(error)
    return req


parse_md = parse_mg


def parse_ma(tokens: list[bytes]) -> MetaRequest:
    """``ma <key> <flags>*``: any preparse error is ``invalid or duplicate flag``.

    In HEAD the key length and token count checks are part of the preparse, so
    they too answer ``invalid or duplicate flag`` (1.6.18: ``bad command line
    format`` / ``options flags too long``).
    """
    if len(tokens) < 2:
        raise ClientError(MSG_BAD_FORMAT)
    req, error = _preparse(tokens, 2)
    if error is not None:
        raise ClientError(MSG_MA_PREPARSE)
    mode = req.mode
    if mode and mode not in b"I+D-":
        raise ClientError(MSG_MA_MODE)
    return req


#: ms ``M`` mode bytes accepted by memcached.
MS_MODES: Final = frozenset(b"SERAP")


def parse_ms(tokens: list[bytes]) -> MetaRequest:
    """``ms <key> <datalen> <flags>*``.

    A missing or bad datalen is refused without swallowing (the data block is
    then parsed as commands); any later refusal swallows ``datalen + 2`` bytes.
    """
    if len(tokens) < 3:
        raise ClientError(MSG_BAD_FORMAT)
    datalen = parse_datalen(tokens[2])
    if datalen is None:
        raise ClientError(MSG_BAD_FORMAT)
    swallow = datalen + 2
    req, error = _preparse(tokens, 3)
    if error is not None:
        raise ClientError(error, swallow=swallow)
    if req.mode and req.mode not in MS_MODES:
        raise ClientError(MSG_MS_MODE, swallow=swallow)
    req.datalen = datalen
    return req


def parse_me(tokens: list[bytes]) -> tuple[bytes, bool]:
    """``me <key> [b ...]``: (key, key_binary). Extra tokens are ignored.

    HEAD's tokenizer quirk: ``b`` is only honoured when a fourth token follows
    (``me <b64> b x``); ``me <b64> b`` looks the base64 text up as the key.
    1.6.18 honoured ``me <b64> b``.
    """
    if len(tokens) < 2 or len(tokens[1]) > KEY_MAX_LENGTH:
        raise ClientError(MSG_BAD_FORMAT)
    key = tokens[1]
    if len(tokens) >= 4 and tokens[2] == b"b":
        decoded = b64_decode_key(key)
        if decoded is None:
            raise ClientError(MSG_BAD_FORMAT)
        return decoded, True
    return key, False
