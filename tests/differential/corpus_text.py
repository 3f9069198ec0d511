"""Classic text protocol corpus (reference §1-3, §5, §7, §10, §12).

Cases whose ``upstream`` is set are HEAD-vs-1.6.18 differences: the listed §12
rows, plus a few marked "inferred" in their note, which follow from rules the
reference states for HEAD (§1 minimum line, §5 "missing tokens (HEAD)", §12
"CLIENT_ERROR + data swallowed") but which §12 does not spell out one by one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from .cases import Case, check_unique

CE = b"CLIENT_ERROR bad command line format\r\n"
K250 = b"k" * 250
K251 = b"k" * 251


def st(
    key: bytes = b"k",
    value: bytes = b"v",
    flags: bytes = b"0",
    exp: bytes = b"0",
    cmd: bytes = b"set",
    tail: bytes = b"",
) -> bytes:
    """One storage command with its data block (``tail``: e.g. b" noreply")."""
    return b"%s %s %s %s %d%s\r\n%s\r\n" % (cmd, key, flags, exp, len(value), tail, value)


def C(name: str, request: bytes, **kw: object) -> Case:
    return Case(name, request, **kw)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# authfiles for -Y cases (created once per test process)

_AUTH_DIR = tempfile.mkdtemp(prefix="mcpy-diff-auth-")
atexit.register(shutil.rmtree, _AUTH_DIR, True)
AUTHFILE = os.path.join(_AUTH_DIR, "auth")
AUTHFILE_NO_NL = os.path.join(_AUTH_DIR, "auth-no-newline")
with open(AUTHFILE, "wb") as f:
    f.write(b"user:pass\r\nother:secret word\n")
with open(AUTHFILE_NO_NL, "wb") as f:
    f.write(b"user:pass")
AUTH = st(b"auth", b"user pass")

# --------------------------------------------------------------------------

framing = [
    C("frame.crlf", st() + b"get k\r\n"),
    C("frame.bare_lf", b"set k 0 0 1\na\r\nget k\nget k\r\n"),
    C("frame.data_lf_only", b"set k 0 0 1\na\nget k\r\n", note="data must end in CRLF"),
    C("frame.space_runs", b"set  k   0  0   1  \r\na\r\nget   k    k  \r\n"),
    C("frame.leading_spaces", st() + b"    get k\r\n"),
    C("frame.tab_in_key", st(b"t\tab") + b"get t\tab\r\nget t\r\nget ab\r\n"),
    C("frame.ctrl_in_key", st(b"k\x01\x7f") + b"get k\x01\x7f\r\n"),
    C("frame.high_bytes_key", st(b"\xc3\xa9t\xc3\xa9") + b"get \xc3\xa9t\xc3\xa9\r\n"),
    C("frame.upper_get", st() + b"GET k\r\n"),
    C("frame.upper_set", b"SET k 0 0 4\r\nabcd\r\n", note="data line then is a command"),
    C("frame.mixed_case", b"Get k\r\ngeT k\r\nVersion\r\n"),
    C("frame.unknown", b"foo bar\r\n"),
    C("frame.unknown_one", b"bogus\r\n"),
    C("frame.four_bytes", b"ab\r\n"),
    C("frame.empty_crlf", b"\r\n", upstream=CE),
    C("frame.space_lf", b" \n", upstream=CE),
    C("frame.lf", b"\n", upstream=CE, note="§1 min line (HEAD)"),
    C("frame.three_bytes", b"a\r\n", upstream=CE, note="inferred: §1 min line is 4 bytes"),
    C("frame.mn_lf", b"mn\n", upstream=CE, note="§1 min line applies to known commands too"),
    C("frame.binary_junk", b"\x01\x02\x03\x04\r\n"),
    C("frame.pipeline", st(b"a", b"1") + st(b"b", b"2") + b"get a b\r\ndelete a\r\nget a b\r\n"),
    C("frame.pipeline_errors", b"bogus\r\n" + st() + b"GET k\r\nget k\r\n"),
    C("frame.overlong_no_newline", b"x" * 3000, sentinel=False),
    C("frame.overlong_set_no_newline", b"set " + b"k" * 3000, sentinel=False),
    C("frame.overlong_101_spaces_get", b" " * 101 + b"get " + b"k " * 1500, sentinel=False),
    C(
        "frame.overlong_get_ok",
        st(b"k7", b"seven") + b"get " + b" ".join(b"key%04d" % i for i in range(600)) + b" k7\r\n",
        note="multigets may exceed 2048 bytes",
    ),
    C(
        "frame.overlong_gets_50_spaces",
        b" " * 50 + b"gets " + b" ".join(b"key%04d" % i for i in range(600)) + b"\r\n",
    ),
    C("frame.http_probe", b"GET / HTTP/1.0\r\n\r\n", sentinel=False),
    C("frame.http_probe_11", b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", sentinel=False),
    C("frame.http_probe_post", b"POST /x HTTP/1.1\r\n", sentinel=False),
    C("frame.http_not_last", b"GET HTTP/1.0 x\r\n"),
    C("frame.quit", b"quit\r\n", sentinel=False),
    C("frame.quit_pipeline", st() + b"get k\r\nquit\r\nget k\r\n"),
    C("frame.quit_args", b"quit now\r\nversion\r\n"),
    C(
        "frame.many_keys",
        st(b"k3") + st(b"k17") + b"get " + b" ".join(b"k%d" % i for i in range(40)) + b"\r\n",
    ),
    C("frame.mn_extra", b"mn foo bar\r\n"),
    C("frame.version_args", b"version foo bar\r\n"),
]

get_family = [
    C("get.miss", b"get nope\r\n"),
    C("get.hit", st(value=b"hello") + b"get k\r\n"),
    C("get.multi_mixed", st(b"a", b"1") + st(b"c", b"3") + b"get a b c d\r\n"),
    C("get.duplicate", st() + b"get k k k\r\n"),
    C("get.empty_value", st(value=b"") + b"get k\r\n"),
    C("get.binary_value", st(value=b"a\r\nb\x00c\nEND\r\n") + b"get k\r\n"),
    C("get.flags", st(flags=b"123") + b"get k\r\n"),
    C("get.flags_max", st(flags=b"4294967295") + b"get k\r\n"),
    C("get.key_250", st(K250) + b"get " + K250 + b"\r\n"),
    C("get.key_251", b"get " + K251 + b"\r\n"),
    C(
        "get.key_251_after_hit",
        st() + b"mn\r\nget k " + K251 + b" k\r\n",
        note="VALUEs already produced are dropped; mn flushes STORED first (1.6.18 also "
        "drops unflushed replies of earlier commands, which is timing-dependent)",
    ),
    C("get.nokey", b"get\r\n", upstream=CE),
    C("get.nokey_space", b"get \r\n", upstream=CE, note="inferred: same as get with no key"),
    C("gets.nokey", b"gets\r\n", upstream=CE, note="inferred: same rule as get"),
    C("gets.hit", st() + b"gets k\r\n"),
    C("gets.multi", st(b"a") + st(b"b") + b"gets a b a x\r\n"),
    C("gets.cas_changes_on_set", st() + b"gets k\r\n" + st(value=b"w") + b"gets k\r\n"),
    C("gets.cas_changes_on_append", st() + b"gets k\r\n" + st(cmd=b"append") + b"gets k\r\n"),
    C("gets.cas_kept_on_touch", st() + b"gets k\r\ntouch k 100\r\ngets k\r\n"),
    C("gets.cas_kept_on_gat", st() + b"gets k\r\ngat 100 k\r\ngets k\r\n"),
    C("gat.hit", st() + b"gat 100 k\r\n"),
    C("gat.miss", b"gat 100 nope\r\n"),
    C("gat.multi", st(b"a") + st(b"b") + b"gat 0 a x b a\r\n"),
    C("gat.zero", st(exp=b"100") + b"gat 0 k\r\nget k\r\n"),
    C("gat.negative_expires", st() + b"gat -1 k\r\nget k\r\n"),
    C("gat.bad_exptime", st() + b"gat abc k\r\n"),
    C(
        "gat.exptime_overflow",
        st() + b"gat 99999999999 k\r\n",
        note="exptime is strtol truncated to int32 as in 1.6.18 (not a listed §12 difference)",
    ),
    C("gat.key_251", b"gat 10 " + K251 + b"\r\n"),
    C("gat.nokey", b"gat 10\r\n", upstream=CE),
    C("gats.hit", st() + b"gats 100 k\r\n"),
    C("gats.nokey", b"gats 10\r\n", upstream=CE, note="inferred: same rule as gat"),
    C("gats.multi", st(b"a") + st(b"b") + b"gets a b\r\ngats 100 b a\r\n"),
]

storage = [
    C("set.stored", st()),
    C("set.overwrite", st() + st(value=b"second", flags=b"9") + b"get k\r\n"),
    C("set.noreply", st(tail=b" noreply") + b"get k\r\n"),
    C("set.extra_token", b"set k 0 0 1 garbage\r\na\r\nget k\r\n"),
    C(
        "set.noreply_not_last",
        b"set k 0 0 1 noreply extra\r\na\r\n",
        upstream=b"STORED\r\n",
        note="§12: noreply not detected when not last",
    ),
    C("set.key_250", st(K250)),
    C(
        "set.key_251",
        st(K251, b"hi"),
        upstream=CE,
        note="§12: HEAD swallows the data block",
    ),
    C("set.short_line", b"set k 0 0\r\n", upstream=CE, note="inferred: §5 missing tokens"),
    C("set.flags_negative", st(flags=b"-1", value=b"hi"), upstream=CE, note="§12"),
    C(
        "set.flags_garbage",
        st(flags=b"abc", value=b"hi"),
        upstream=CE,
        note="inferred: same rule as negative flags",
    ),
    C("set.flags_wrap_2_32", st(flags=b"4294967296") + b"get k\r\n", note="strtoul, mod 2^32"),
    C("set.flags_wrap_2_32_plus_1", st(flags=b"4294967297") + b"get k\r\n"),
    C("set.flags_u64_max", st(flags=b"18446744073709551615") + b"get k\r\n"),
    C("set.exptime_negative", st(exp=b"-1") + b"get k\r\n"),
    C("set.exptime_relative", st(exp=b"1000") + b"get k\r\n"),
    C("set.exptime_absolute_past", st(exp=b"2592001") + b"get k\r\n"),
    C("set.exptime_absolute_2033", st(exp=b"2000000000") + b"get k\r\n"),
    C(
        "set.exptime_garbage",
        st(exp=b"abc", value=b"hi"),
        upstream=CE,
        note="inferred: same rule as negative flags",
    ),
    C("set.length_negative", b"set k 0 0 -1\r\n"),
    C("set.length_garbage", b"set k 0 0 abc\r\nhi\r\n"),
    C(
        "set.bad_data_chunk",
        b"set k 0 0 2\r\nhiX\r\nget k\r\n",
        upstream=b"CLIENT_ERROR bad data chunk\r\n" + CE + b"END\r\n",
        note="§1: the leftover \\n is a too-short line",
    ),
    C("set.bad_data_chunk_lf", b"set k 0 0 2\r\nhi\nget k\r\n"),
    C(
        "set.bad_data_chunk_keeps_old",
        st() + b"set k 0 0 1\r\nab\r\nget k\r\n",
        upstream=b"STORED\r\nCLIENT_ERROR bad data chunk\r\n" + CE + b"VALUE k 0 1\r\nv\r\nEND\r\n",
        note="§1: the leftover \\n is a too-short line; the old item stays",
    ),
    C("set.binary_data", st(value=bytes(range(256))) + b"get k\r\n"),
    C("add.new", st(cmd=b"add") + b"get k\r\n"),
    C("add.exists", st() + st(cmd=b"add", value=b"x") + b"get k\r\n"),
    C("add.noreply_exists", st() + st(cmd=b"add", value=b"x", tail=b" noreply") + b"get k\r\n"),
    C("add.after_expired", st(exp=b"-1") + st(cmd=b"add", value=b"x") + b"get k\r\n"),
    C("replace.missing", st(cmd=b"replace") + b"get k\r\n"),
    C("replace.exists", st() + st(cmd=b"replace", value=b"new", flags=b"5") + b"get k\r\n"),
    C("replace.noreply", st() + st(cmd=b"replace", value=b"x", tail=b" noreply") + b"get k\r\n"),
    C("append.missing", st(cmd=b"append") + b"get k\r\n"),
    C(
        "append.exists",
        st(value=b"ab", flags=b"5") + st(cmd=b"append", value=b"cd", flags=b"9") + b"gets k\r\n",
    ),
    C("append.ignores_exptime", st() + st(cmd=b"append", value=b"x", exp=b"-1") + b"get k\r\n"),
    C("append.empty", st() + st(cmd=b"append", value=b"") + b"get k\r\n"),
    C("prepend.missing", st(cmd=b"prepend") + b"get k\r\n"),
    C(
        "prepend.exists",
        st(value=b"ab", flags=b"5") + st(cmd=b"prepend", value=b"cd") + b"get k\r\n",
    ),
    C(
        "prepend.noreply",
        st(value=b"ab") + st(cmd=b"prepend", value=b"x", tail=b" noreply") + b"get k\r\n",
    ),
    C("append.key_251", st(K251, cmd=b"append"), upstream=CE, note="inferred: as set key > 250"),
    C("cas.missing", b"cas k 0 0 1 1\r\na\r\n"),
    C("cas.zero", st() + b"cas k 0 0 1 0\r\nb\r\nget k\r\n"),
    C("cas.mismatch", st() + b"cas k 0 0 1 18446744073709551615\r\nb\r\nget k\r\n"),
    C("cas.noreply_exists", st() + b"cas k 0 0 1 0 noreply\r\nb\r\nget k\r\n"),
    C("cas.noreply_missing", b"cas k 0 0 1 5 noreply\r\nb\r\n"),
    C("cas.unique_missing", b"cas k 0 0 1\r\n1\r\n", upstream=CE, note="§12"),
    C("cas.unique_garbage", b"cas k 0 0 1 abc\r\n1\r\n", upstream=CE, note="inferred: swallow"),
    # CAS numbers are deterministic on a fresh server: the counter starts at 1.
    C("cas.match_fresh", st() + b"cas k 7 0 1 1\r\nb\r\ngets k\r\n", isolated=True),
    C(
        "cas.match_twice",
        st() + b"cas k 0 0 1 1\r\nb\r\ncas k 0 0 1 1\r\nc\r\ngets k\r\n",
        isolated=True,
    ),
    C(
        "cas.counter_increments",
        st(b"a", b"1") + st(b"b") + b"incr a 1\r\ngets a b\r\n" + b"cas b 0 0 1 2\r\nx\r\n",
        isolated=True,
    ),
    C(
        "cas.counter_add_fail_no_bump",
        st(b"a") + st(b"a", cmd=b"add") + st(b"b") + b"cas b 0 0 1 2\r\nx\r\n",
        isolated=True,
    ),
    C("cas.match_noreply", st() + b"cas k 0 0 1 1 noreply\r\nb\r\nget k\r\n", isolated=True),
]

too_large = []
for _size, _args, _flags in (
    (524228, ("-I", "512k"), b"0"),
    (524229, ("-I", "512k"), b"0"),
    (524224, ("-I", "512k"), b"1"),
    (524225, ("-I", "512k"), b"1"),
    (1048516, (), b"0"),
    (1048517, (), b"0"),
):
    too_large.append(
        C(
            f"large.set_{_size}_flags{_flags.decode()}{'_I512k' if _args else ''}",
            st(value=b"x" * _size, flags=_flags) + b"get nothing\r\n",
            args=_args,
        )
    )
too_large += [
    C("large.set_deletes_old", st() + st(value=b"x" * 600000) + b"get k\r\n", args=("-I", "512k")),
    C(
        "large.add_keeps_old",
        st() + st(cmd=b"add", value=b"x" * 600000) + b"get k\r\n",
        args=("-I", "512k"),
    ),
    C(
        "large.replace_keeps_old",
        st() + st(cmd=b"replace", value=b"x" * 600000) + b"get k\r\n",
        args=("-I", "512k"),
    ),
    C(
        "large.append_over_limit",
        st(value=b"x" * 400000) + st(cmd=b"append", value=b"y" * 200000) + b"get nothing\r\n",
        args=("-I", "512k"),
    ),
    C(
        "large.noreply",
        st(value=b"x" * 600000, tail=b" noreply") + b"get k\r\n",
        args=("-I", "512k"),
    ),
    C("large.chunked_roundtrip", st(value=bytes(range(256)) * 2500) + b"get k\r\n"),
    C("large.chunked_incr", st(value=b"1" * 600000) + b"incr k 1\r\n"),
    C(
        "large.multiget",
        b"".join(st(b"k%d" % i, b"%d" % i * 5000) for i in range(20))
        + b"get "
        + b" ".join(b"k%d" % i for i in range(20))
        + b"\r\n",
    ),
]

delete = [
    C("delete.hit", st() + b"delete k\r\nget k\r\n"),
    C("delete.miss", b"delete k\r\n"),
    C("delete.noreply", st() + b"delete k noreply\r\nget k\r\n"),
    C("delete.noreply_miss", b"delete k noreply\r\n"),
    C("delete.legacy_zero", st() + b"delete k 0\r\nget k\r\n"),
    C("delete.legacy_zero_noreply", st() + b"delete k 0 noreply\r\nget k\r\n"),
    C("delete.legacy_zero_miss", b"delete k 0\r\n"),
    C("delete.time_5", st() + b"delete k 5\r\n", upstream=b"STORED\r\nDELETED\r\n", note="§12"),
    C("delete.time_5_miss", b"delete k 5\r\n", upstream=b"NOT_FOUND\r\n", note="§12"),
    C(
        "delete.extra_tokens",
        st() + b"delete k a b\r\n",
        upstream=b"STORED\r\nDELETED\r\n",
        note="§12",
    ),
    C("delete.key_251", b"delete " + K251 + b"\r\n"),
    C("delete.nokey", b"delete\r\n", upstream=CE, note="inferred: §5 missing tokens"),
    C("delete.expired", st(exp=b"-1") + b"delete k\r\n"),
]

arith = [
    C("incr.miss", b"incr k 1\r\n"),
    C("decr.miss", b"decr k 1\r\n"),
    C("incr.hit", st(value=b"5") + b"incr k 3\r\nget k\r\n"),
    C("decr.hit", st(value=b"5") + b"decr k 3\r\nget k\r\n"),
    C("incr.wrap", st(value=b"18446744073709551615") + b"incr k 1\r\nget k\r\n"),
    C("incr.wrap_big", st(value=b"18446744073709551610") + b"incr k 18446744073709551615\r\n"),
    C("incr.grows", st(value=b"99") + b"incr k 1\r\nget k\r\n"),
    C("incr.zero_delta", st(value=b"7") + b"incr k 0\r\ngets k\r\n"),
    C("decr.floor", st(value=b"5") + b"decr k 10\r\nget k\r\n"),
    C("decr.zero", st(value=b"0") + b"decr k 1\r\n"),
    C("decr.padding", st(value=b"100") + b"decr k 1\r\nget k\r\n", note="§3a in-place, padded"),
    C(
        "decr.padding_big",
        st(value=b"1000000") + b"decr k 999999\r\nget k\r\nincr k 5\r\nget k\r\n",
    ),
    C("incr.from_padded", st(value=b"99 ") + b"incr k 1\r\nget k\r\n"),
    C("incr.leading_space", st(value=b" 5") + b"incr k 1\r\n"),
    C("incr.trailing_space", st(value=b"5 ") + b"incr k 1\r\n"),
    C("incr.trailing_cr", st(value=b"5\r") + b"incr k 1\r\n"),
    C("incr.negative_value", st(value=b"-5") + b"incr k 1\r\n"),
    C("incr.alpha_suffix", st(value=b"12abc") + b"incr k 1\r\n"),
    C("incr.empty_value", st(value=b"") + b"incr k 1\r\n"),
    C(
        "incr.21_digits",
        st(value=b"000000000000000000001") + b"incr k 1\r\n",
        upstream=b"STORED\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
        note="inferred from §3a (HEAD: more than 20 digits is non-numeric); 1.6.18 accepts",
    ),
    C("incr.20_digits", st(value=b"00000000000000000001") + b"incr k 1\r\n"),
    C("incr.value_2_64", st(value=b"18446744073709551616") + b"incr k 1\r\n"),
    C("incr.bad_delta", st(value=b"1") + b"incr k abc\r\n"),
    C("incr.negative_delta", st(value=b"1") + b"incr k -1\r\n"),
    C("incr.delta_2_64", st(value=b"1") + b"incr k 18446744073709551616\r\n"),
    C("incr.delta_u64_max", st(value=b"1") + b"incr k 18446744073709551615\r\n"),
    C("decr.bad_delta", st(value=b"1") + b"decr k 1x\r\n"),
    C("incr.noreply", st(value=b"1") + b"incr k 1 noreply\r\nget k\r\n"),
    C("incr.noreply_miss", b"incr k 1 noreply\r\n"),
    C("incr.noreply_non_numeric", st(value=b"x") + b"incr k 1 noreply\r\n"),
    C("incr.noreply_bad_delta", st(value=b"1") + b"incr k x noreply\r\n"),
    C("decr.noreply", st(value=b"9") + b"decr k 1 noreply\r\nget k\r\n"),
    C("incr.keeps_flags", st(value=b"1", flags=b"77", exp=b"1000") + b"incr k 1\r\nget k\r\n"),
    C("incr.changes_cas", st(value=b"1") + b"gets k\r\nincr k 1\r\ngets k\r\n"),
    C("incr.key_251", b"incr " + K251 + b" 1\r\n"),
    C("incr.nodelta", b"incr k\r\n", upstream=CE, note="inferred: §5 missing tokens"),
    C("incr.expired", st(value=b"1", exp=b"-1") + b"incr k 1\r\n"),
]

touch = [
    C("touch.hit", st() + b"touch k 100\r\nget k\r\n"),
    C("touch.miss", b"touch k 100\r\n"),
    C("touch.bad_exptime", st() + b"touch k abc\r\n"),
    C("touch.noreply", st() + b"touch k 100 noreply\r\nget k\r\n"),
    C("touch.noreply_miss", b"touch k 100 noreply\r\n"),
    C("touch.negative", st() + b"touch k -1\r\nget k\r\n"),
    C("touch.zero", st(exp=b"100") + b"touch k 0\r\nget k\r\n"),
    C("touch.key_251", b"touch " + K251 + b" 10\r\n"),
    C("touch.short", b"touch k\r\n", upstream=CE, note="inferred: §5 missing tokens"),
]

flush = [
    C(
        "flush.immediate",
        st(b"a") + st(b"b") + b"flush_all\r\nget a b\r\n" + st(b"c") + b"get c\r\n",
    ),
    C("flush.zero", st() + b"flush_all 0\r\nget k\r\n"),
    C("flush.negative", st() + b"flush_all -1\r\nget k\r\n"),
    C("flush.noreply", st() + b"flush_all noreply\r\nget k\r\n"),
    C("flush.zero_noreply", st() + b"flush_all 0 noreply\r\nget k\r\n"),
    C("flush.delayed_pending", st() + b"flush_all 100\r\nget k\r\n"),
    C("flush.delayed_then_now", st() + b"flush_all 100\r\nflush_all\r\nget k\r\n"),
    C("flush.bad_delay", st() + b"flush_all abc\r\nget k\r\n"),
    C("flush.bad_delay_noreply", b"flush_all abc noreply\r\n"),
    C("flush.set_after", b"flush_all\r\n" + st() + b"add k 0 0 1\r\nx\r\nget k\r\n"),
    C("flush.disabled", st() + b"flush_all\r\nget k\r\n", args=("-F",)),
    C("flush.disabled_noreply", b"flush_all noreply\r\n", args=("-F",)),
    C("flush.disabled_delay", b"flush_all 10\r\n", args=("-F",)),
    C("flush.no_cas", st() + b"flush_all\r\nget k\r\n", args=("-C",)),
]

admin = [
    C("version", b"version\r\n"),
    C("verbosity.one", b"verbosity 1\r\n"),
    C("verbosity.big", b"verbosity 5\r\n"),
    C("verbosity.zero", b"verbosity 0\r\n"),
    C("verbosity.noreply", b"verbosity 1 noreply\r\n"),
    C("verbosity.garbage", b"verbosity abc\r\n"),
    C("verbosity.missing", b"verbosity\r\n", upstream=CE, note="§12"),
    C("verbosity.extra", b"verbosity 1 2 3\r\n"),
    C(
        "shutdown.not_enabled",
        b"shutdown\r\n",
        upstream=b"SERVER_ERROR: shutdown not enabled\r\n",
        note="§12",
    ),
    C(
        "shutdown.graceful_not_enabled",
        b"shutdown graceful\r\n",
        upstream=b"SERVER_ERROR: shutdown not enabled\r\n",
        note="§12",
    ),
    C("shutdown.bad_mode", b"shutdown foo\r\n", args=("-A",)),
    C("shutdown.enabled", b"shutdown\r\n", args=("-A",), sentinel=False),
    C("shutdown.graceful", b"shutdown graceful\r\n", args=("-A",), sentinel=False),
    C("memlimit.ok", b"cache_memlimit 100\r\n"),
    C("memlimit.eight", b"cache_memlimit 8\r\n"),
    C("memlimit.too_small", b"cache_memlimit 7\r\n"),
    C("memlimit.zero", b"cache_memlimit 0\r\n"),
    C("memlimit.bytes", b"cache_memlimit 2000000000\r\n"),
    C("memlimit.missing", b"cache_memlimit\r\n"),
    C("memlimit.garbage", b"cache_memlimit abc\r\n"),
    C("memlimit.noreply", b"cache_memlimit 100 noreply\r\n"),
    C("slabs.reassign_nospare", b"slabs reassign 1 2\r\n"),
    C("slabs.reassign_any", b"slabs reassign -1 2\r\n"),
    C("slabs.reassign_same", b"slabs reassign 3 3\r\n"),
    C("slabs.reassign_badclass", b"slabs reassign 0 1\r\n"),
    C("slabs.reassign_badclass_high", b"slabs reassign 1 100\r\n"),
    C("slabs.reassign_garbage", b"slabs reassign a b\r\n"),
    C("slabs.reassign_short", b"slabs reassign 1\r\n"),
    C("slabs.reassign_disabled", b"slabs reassign 1 2\r\n", args=("-o", "no_slab_reassign")),
    C("slabs.automove_0", b"slabs automove 0\r\n"),
    C("slabs.automove_1", b"slabs automove 1\r\n"),
    C("slabs.automove_2", b"slabs automove 2\r\n"),
    C("slabs.automove_3", b"slabs automove 3\r\n"),
    C("slabs.automove_garbage", b"slabs automove x\r\n"),
    C("slabs.automove_missing", b"slabs automove\r\n"),
    C("slabs.unknown", b"slabs foo\r\n"),
    C("slabs.bare", b"slabs\r\n"),
    C("lru.tune_ok", b"lru tune 10 20 0.1 2\r\n"),
    C("lru.tune_pcts", b"lru tune 50 50 0.1 2\r\n"),
    C("lru.tune_factor", b"lru tune 10 10 0 2\r\n"),
    C("lru.tune_short", b"lru tune 10 10\r\n"),
    C("lru.mode_flat", b"lru mode flat\r\n"),
    C("lru.mode_segmented", b"lru mode segmented\r\n"),
    C("lru.mode_bad", b"lru mode foo\r\n"),
    C("lru.temp_ttl", b"lru temp_ttl 30\r\n"),
    C("lru.unknown", b"lru foo\r\n"),
    C("lru.bare", b"lru\r\n"),
    C("crawler.crawl_all", b"lru_crawler crawl all\r\n"),
    C("crawler.crawl_badclass", b"lru_crawler crawl 100\r\n"),
    C("crawler.sleep_ok", b"lru_crawler sleep 100\r\n"),
    C("crawler.sleep_too_big", b"lru_crawler sleep 2000000\r\n"),
    C("crawler.tocrawl", b"lru_crawler tocrawl 10\r\n"),
    C("crawler.disable", b"lru_crawler disable\r\n"),
    C("crawler.enable_running", b"lru_crawler enable\r\n"),
    C("crawler.unknown", b"lru_crawler foo\r\n"),
    C("crawler.bare", b"lru_crawler\r\n"),
    C("crawler.disabled", b"lru_crawler crawl all\r\n", args=("-o", "no_lru_crawler")),
    C(
        "crawler.metadump_empty",
        b"lru_crawler metadump all\r\n",
        upstream=b"OK\r\nEND\r\n",
        sentinel=False,
        note="§12: HEAD leads with OK",
    ),
    C(
        "crawler.mgdump_empty",
        b"lru_crawler mgdump all\r\n",
        upstream=b"OK\r\nEND\r\n",
        sentinel=False,
        note="§12: mgdump is >= 1.6.19",
    ),
    C("crawler.metadump_disabled", b"lru_crawler metadump all\r\n", args=("-X",)),
    C("stats.unknown", b"stats foo\r\n"),
    C("stats.reset", b"stats reset\r\n"),
    C("stats.detail_on_off", b"stats detail on\r\nstats detail off\r\n"),
    C("stats.detail_bad", b"stats detail foo\r\n"),
    C(
        "stats.detail_dump",
        b"stats detail on\r\n" + st(b"a:1") + b"get a:1 a:2 nocolon\r\ndelete a:1\r\n"
        b"stats detail dump\r\n",
    ),
    C("stats.detail_dump_empty", b"stats detail dump\r\n"),
    C(
        "stats.detail_on_X",
        b"stats detail on\r\n",
        args=("-X",),
        upstream=b"CLIENT_ERROR stats detail not allowed\r\n",
        note="§12: -X refuses stats detail in HEAD",
    ),
    C("stats.cachedump_short", b"stats cachedump\r\n"),
    C("stats.cachedump_empty", b"stats cachedump 1 0\r\n"),
    C("stats.cachedump_illegal", b"stats cachedump 100 0\r\n"),
    C("stats.cachedump_disabled", b"stats cachedump 1 0\r\n", args=("-X",)),
    C("stats.sizes", b"stats sizes\r\n"),
    C("watch.default", b"watch\r\n", sentinel=False),
    C("watch.bad", b"watch foo\r\n"),
    C("watch.disabled", b"watch\r\n", args=("-W",)),
    C(
        "watch.deletions",
        b"watch deletions\r\n",
        upstream=b"OK\r\n",
        sentinel=False,
        note="§12: watch deletions is >= 1.6.20",
    ),
]

# In the unauthenticated state 1.6.18 handles one command per read and can drop
# replies of pipelined attempts, so each case makes at most one attempt, without
# the sentinel (it would be read as another auth attempt).
_Y = ("-Y", AUTHFILE)
auth = [
    C("auth.ok", AUTH + st() + b"get k\r\n", args=_Y),
    C("auth.failure", st(b"a", b"user wrong"), args=_Y, sentinel=False),
    C("auth.unauthenticated", b"get foo\r\n", args=_Y, sentinel=False),
    C("auth.no_space", st(b"foo", b"hi"), args=_Y, sentinel=False),
    C("auth.bad_termination", b"set a 0 0 9\r\nuser passXY", args=_Y, sentinel=False),
    C("auth.bad_length", b"set a 0 0 x\r\n", args=_Y, sentinel=False),
    C("auth.no_newline", b"x" * 3000, args=_Y, sentinel=False),
    C(
        "auth.token_too_long",
        b"set a 0 0 20000\r\n",
        args=_Y,
        sentinel=False,
        upstream=b"CLIENT_ERROR auth token too long\r\n",
        note="inferred from §10 (HEAD); 1.6.18 waits for the 20000 bytes",
    ),
    C(
        "auth.file_without_newline",
        AUTH,
        args=("-Y", AUTHFILE_NO_NL),
        sentinel=False,
        upstream=b"STORED\r\n",
        note="§12: 1.6.18 loses the last password char",
    ),
    C(
        "auth.file_without_newline_chopped",
        st(b"auth", b"user pas"),
        args=("-Y", AUTHFILE_NO_NL),
        sentinel=False,
        upstream=b"CLIENT_ERROR authentication failure\r\n",
        note="§12: the chopped password must not work",
    ),
]

more = [
    C(
        "noreply.bad_flags_suppressed",
        b"set k abc 0 1 noreply\r\na\r\n",
        upstream=b"",
        note="inferred: error suppressed by noreply, data swallowed (HEAD)",
    ),
    C(
        "noreply.bad_data_chunk_suppressed",
        b"set k 0 0 1 noreply\r\nabcdefg\r\nget k\r\n",
        note="bad data chunk suppressed; the leftover 'defg' line is a command",
    ),
    C("noreply.append_missing", st(cmd=b"append", tail=b" noreply") + b"get k\r\n"),
    C("noreply.cas_bad_chunk", st() + b"cas k 0 0 1 0 noreply\r\nxyzabcd\r\nget k\r\n"),
    C("noreply.version", b"version noreply\r\n"),
    C("noreply.verbosity_only", b"verbosity noreply\r\n"),
    C("noreply.get_ignored", st() + b"get k noreply\r\n"),
    C("key250.incr", st(K250, b"1") + b"incr " + K250 + b" 1\r\n"),
    C("key250.touch_delete", st(K250) + b"touch " + K250 + b" 100\r\ndelete " + K250 + b"\r\n"),
    C("key250.gat", st(K250) + b"gats 100 " + K250 + b"\r\n"),
    C("no_cas.gets_zero", st() + b"gets k\r\n", args=("-C",)),
    C("no_cas.cas_exists", st() + b"cas k 0 0 1 0\r\nx\r\ncas k 0 0 1 1\r\ny\r\n", args=("-C",)),
    C("no_cas.cas_missing", b"cas k 0 0 1 1\r\nx\r\n", args=("-C",)),
    C(
        "frame.pipeline_500",
        b"".join(st(b"k%d" % i, b"%d" % i) for i in range(500))
        + b"get "
        + b" ".join(b"k%d" % i for i in range(0, 500, 7))
        + b"\r\n",
    ),
    C(
        "frame.pipeline_reqs_per_event_1",
        b"".join(st(b"k%d" % i) + b"get k%d\r\n" % i for i in range(30)),
        args=("-R", "1"),
    ),
    C("frame.protocol_ascii", st() + b"get k\r\n", args=("-B", "ascii")),
    C("large.I2m_ok", st(value=b"z" * 1_500_000) + b"get nothing\r\n", args=("-I", "2m")),
    C(
        "large.I2m_too_large",
        st(value=b"z" * 2_100_000) + b"get nothing\r\n",
        args=("-I", "2m"),
    ),
    C("slabs.automove_ratio", b"slabs automove ratio 0.5\r\n"),
    C(
        "slabs.automove_window",
        b"slabs automove window 30\r\n",
        upstream=b"OK\r\n",
        note="inferred from §3 (HEAD has automove window; 1.6.18 does not)",
    ),
    C(
        "slabs.automove_window_bad",
        b"slabs automove window 2\r\n",
        upstream=b"CLIENT_ERROR automove window too low or too high\r\n",
        note="inferred from §3 (HEAD has automove window; 1.6.18 does not)",
    ),
    C("crawler.crawl_one", b"lru_crawler crawl 1\r\n"),
    C("crawler.crawl_list", b"lru_crawler crawl 1,2,3\r\n"),
    C("crawler.tocrawl_garbage", b"lru_crawler tocrawl x\r\n"),
    C("crawler.sleep_garbage", b"lru_crawler sleep x\r\n"),
    C("misbehave", b"misbehave\r\n"),
    C(
        "stats.detail_dump_X",
        b"stats detail dump\r\n",
        args=("-X",),
        upstream=b"CLIENT_ERROR stats detail not allowed\r\n",
        note="§12: -X refuses stats detail in HEAD",
    ),
    C("stats.reset_noreply", b"stats reset noreply\r\n"),
    C("stats.items_empty", b"stats items\r\n"),
    C("stats.slabs_empty_tail", b"stats cachedump 1\r\n"),
]

CASES: list[Case] = check_unique(
    framing
    + get_family
    + storage
    + too_large
    + delete
    + arith
    + touch
    + flush
    + admin
    + auth
    + more
)
