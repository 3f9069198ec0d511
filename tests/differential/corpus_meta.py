"""Meta command corpus (reference §4, §5, §12): mg ms md ma mn me, every flag and error.

Each case was checked against Debian's memcached 1.6.18. Where upstream HEAD
answers differently (reference §12, and HEAD's proto_text/proto_parser code),
``upstream`` holds HEAD's exact reply, which is what we implement.

Cases whose replies contain literal CAS numbers run on fresh servers
(``isolated=True``: the CAS counter starts at 1). Replies that depend on the
wall clock (``t`` of a finite TTL, ``l``, ``me la=``) are left to the unit
tests, which use a fake clock.
"""

from __future__ import annotations

from .cases import Case

K251 = b"k" * 251
K250 = b"k" * 250
O32 = b"O" + b"o" * 31
O33 = b"O" + b"o" * 32
MB = 1024 * 1024

CASES: list[Case] = [
    # ------------------------------------------------------------------ mn
    Case("meta_mn", b"mn\r\n"),
    Case("meta_mn_extra_tokens", b"mn foo bar\r\n"),
    # ------------------------------------------------------------------ mg
    Case("meta_mg_miss", b"mg k v\r\nmg k\r\n"),
    Case(
        "meta_mg_miss_echo_k_o",
        b"mg missing k Oabc v s\r\nmg missing Oabc k\r\n",
        note="O and k are echoed on EN, in request order",
    ),
    Case("meta_mg_miss_quiet", b"mg k q v\r\nmg k q k Oa\r\nmg k v\r\n"),
    Case("meta_mg_hit_plain", b"ms k 2\r\nhi\r\nmg k\r\nmg k v\r\n"),
    Case(
        "meta_mg_hit_flag_order",
        b"ms k 2 F5\r\nhi\r\nmg k s v f c k Oab\r\nmg k Oab k c f v s\r\nmg k f f\r\n",
    ),
    Case("meta_mg_hit_quiet_still_replies", b"ms k 2\r\nhi\r\nmg k q v k\r\nmg k q\r\n"),
    Case(
        "meta_mg_h_fetched",
        b"ms k 1\r\nx\r\nmg k h\r\nmg k h\r\nms k 1\r\ny\r\nmg k h v\r\n",
    ),
    Case(
        "meta_mg_u_no_bump",
        b"ms k 1\r\nx\r\nmg k u h\r\nmg k u h\r\nmg k h\r\nmg k h\r\n",
        note="u: the fetch does not mark the item fetched",
    ),
    Case("meta_mg_binary_value", b"ms k 4\r\n\x00\r\n\xff\r\nmg k v s\r\n"),
    Case("meta_mg_empty_value", b"ms k 0\r\n\r\nmg k v s f\r\n"),
    Case("meta_mg_ttl_never", b"ms k 1\r\nx\r\nmg k t v\r\nmg k T0 t\r\n"),
    Case(
        "meta_mg_touch_zero_then_never",
        b"ms k 1 T100\r\nx\r\nmg k T0\r\nmg k t\r\n",
        note="T0 clears the TTL (t-1 afterwards)",
    ),
    Case("meta_mg_touch_negative_expires", b"ms k 1\r\nx\r\nmg k T-1\r\nmg k v\r\n"),
    Case(
        "meta_mg_proxy_hints",
        b"ms k 1\r\nx\r\nmg k Pfoo Lbar v\r\nmg zz Pfoo Lbar k\r\n",
    ),
    Case("meta_mg_opaque_32", b"mg k " + O32 + b"\r\nms k 1\r\nx\r\nmg k " + O32 + b"\r\n"),
    Case("meta_mg_opaque_33_miss", b"mg k " + O33 + b"\r\n"),
    Case("meta_mg_opaque_33_hit", b"ms k 1\r\nx\r\nmg k v " + O33 + b"\r\n"),
    Case("meta_mg_opaque_33_quiet_miss", b"mg k q " + O33 + b"\r\n"),
    Case("meta_mg_opaque_empty", b"mg k O k\r\n"),
    Case("meta_mg_key_250", b"ms " + K250 + b" 1\r\nx\r\nmg " + K250 + b" v k\r\n"),
    Case("meta_mg_key_251", b"mg " + K251 + b" v\r\n"),
    Case("meta_mg_key_tab", b"ms a\tb 1\r\nx\r\nmg a\tb k v\r\nget a\tb\r\n"),
    Case("meta_mg_err_duplicate", b"mg k v v\r\nmg k O1 O2\r\n"),
    Case("meta_mg_err_invalid", b"mg k a\r\nmg k 1\r\nmg k S5\r\nmg k W\r\nmg k Z\r\n"),
    Case("meta_mg_err_high_byte", b"mg k \xc3\xa9\r\n"),
    Case(
        "meta_mg_err_bad_token",
        b"mg k T\r\nmg k Tx\r\nmg k T5x\r\nmg k N\r\nmg k Rx\r\nmg k C-1\r\nmg k Cx\r\n",
    ),
    Case(
        "meta_mg_err_precedence",
        b"mg k Tx a\r\nmg k Tx T1\r\nmg k Tx JX\r\nmg k JX Tx\r\nmg k Tx Fx\r\nmg k Fx\r\n"
        b"mg k DX\r\n",
        note="numeric errors keep scanning (last message wins); invalid/duplicate stop",
    ),
    Case(
        "meta_mg_numbers_c_style",
        b"ms k 1\r\nx\r\nmg k T+0 t\r\nmg k C-0 v\r\n",
        note="strtol/strtoull accept a sign",
    ),
    Case(
        "meta_mg_19_tokens",
        b"mg k s c f h k v u O1 P2 L3 q T5 R5 D1 J1 MS F1\r\n",
        note="19 tokens are accepted by every version",
    ),
    Case(
        "meta_mg_20_tokens",
        b"mg k s c f h k v u O1 P2 L3 q T5 R5 D1 J1 MS F1 I\r\n",
        upstream=b"",
        note="HEAD allows 20 tokens (the miss is then elided by q); 1.6.18 stops at 19",
    ),
    Case(
        "meta_mg_21_tokens",
        b"mg k s c f h k v u O1 P2 L3 q T5 R5 D1 J1 MS F1 I C1\r\n",
    ),
    Case(
        "meta_mg_bare",
        b"mg\r\n",
        upstream=b"CLIENT_ERROR bad command line format\r\n",
        note="reference §12",
    ),
    Case(
        "meta_mg_x_flag",
        b"mg k x\r\n",
        upstream=b"EN\r\n",
        note="x (md tombstone) is a known flag in HEAD, ignored by mg",
    ),
    # base64 keys
    Case(
        "meta_b64_roundtrip",
        b"ms bWs= 2 b k c\r\nhi\r\nmg bWs= b k v s\r\nmg mk k v\r\nget mk\r\n",
        isolated=True,
        note="the item remembers its key is binary: k returns base64 plus ' b'",
    ),
    Case("meta_b64_miss_echo", b"mg bWlzc2luZw== b k O1\r\n"),
    Case(
        "meta_b64_decode_errors",
        b"mg bWlzc2luZw= b k\r\nmg !!!! b\r\nmg bWs b\r\nmg ==== b\r\nmg !!!! b Tx\r\n",
    ),
    Case(
        "meta_b64_lenient_decode",
        b"ms Zm9v 2 b\r\nhi\r\nmg Zm-9v b v k\r\nmg Zm9vZm9v b v\r\nmg Zg== b v\r\n",
        note="memcached skips non-alphabet bytes; '=' ends the decode",
    ),
    Case("meta_b64_classic_get", b"ms Zm9v 2 b\r\nhi\r\nget foo\r\ndelete foo\r\nmg Zm9v b v\r\n"),
    # vivify / recache / stale-while-revalidate
    Case(
        "meta_mg_vivify_dogpile",
        b"mg k s c v N30\r\nmg k s c v N30\r\nms k 3 C1\r\nnew\r\nmg k s c v\r\n",
        isolated=True,
        note="§4 recipe 6: the first miss wins (W), the next sees Z; C<cas> recaches",
    ),
    Case("meta_mg_vivify_quiet", b"mg k N30 q k\r\nmg k N30 q k\r\n"),
    Case("meta_mg_vivify_flags", b"mg k N30 f h v\r\nmg k h f\r\n"),
    Case(
        "meta_mg_recache",
        b"ms k 1 T10\r\nx\r\nmg k R30 v\r\nmg k R30 v\r\nmg k R5\r\n",
        note="R: remaining TTL below the token wins once, then Z",
    ),
    Case(
        "meta_mg_recache_no_ttl",
        b"ms k 1\r\nx\r\nmg k R30\r\nms k 1 T100\r\nx\r\nmg k R30\r\nmg k R0\r\n",
    ),
    Case(
        "meta_swr_recipe",
        b"ms k 1\r\nA\r\n"
        b"md k I T30\r\n"
        b"mg k c v\r\n"
        b"mg k c v\r\n"
        b"ms k 1 C2 T90\r\nB\r\n"
        b"mg k c v\r\n"
        b"md k I\r\n"
        b"ms k 1 I C3\r\nC\r\n"
        b"mg k c v\r\n"
        b"mg k c\r\n"
        b"ms k 1 C0\r\nD\r\n"
        b"ms k 1 I C9\r\nD\r\n"
        b"mg k c v\r\n",
        isolated=True,
        note="§4 stale-while-revalidate: X W once, then Z X; I stores an older CAS as stale",
    ),
    Case(
        "meta_swr_stale_c0",
        b"ms k 1\r\na\r\nms k 1\r\nb\r\nms k 1 I C0\r\nc\r\nms k 1 I C1\r\nd\r\nmg k v\r\n",
        isolated=True,
        note="ms I stores an older CAS as stale, but C0 never matches",
    ),
    Case(
        "meta_vivify_key_not_binary",
        b"mg YQ== b s k N0\r\nmg a k\r\nma Yg== b N0 k\r\nmg b k\r\n"
        b"ms Yw== 1 b\r\n1\r\nms Yw== 1 b MA k\r\n2\r\nmg c k v\r\n",
        note="memcached does not mark vivified or appended items binary: k shows them raw",
    ),
    Case(
        "meta_swr_md_i_quiet",
        b"ms k 1\r\nA\r\nmd k I q\r\nmd nope I q\r\nmg k v\r\n",
    ),
    # ------------------------------------------------------------------ ms
    Case("meta_ms_basic", b"ms k 2\r\nhi\r\nmg k v\r\n"),
    Case("meta_ms_quiet", b"ms k 2 q\r\nhi\r\nms k 2 q ME\r\nhi\r\nmg k v\r\n"),
    Case(
        "meta_ms_return_flags",
        b"ms k 2 k c Oxyz\r\nhi\r\nms k 2 ME Oxyz k c\r\nhi\r\n",
        isolated=True,
        note="c is c0 when not stored; O and k echo on NS too",
    ),
    Case(
        "meta_ms_s_flag",
        b"ms k 2 s\r\nhi\r\nms k 3 MA s\r\nabc\r\n",
        upstream=b"HD s2\r\nHD s5\r\n",
        note="HEAD returns the final size (after append); 1.6.18 ignores s on ms",
    ),
    Case("meta_ms_flags_and_ttl", b"ms k 2 F123 T0\r\nhi\r\nmg k f t v\r\n"),
    Case("meta_ms_flags_truncate", b"ms k 2 F4294967297\r\nhi\r\nmg k f\r\n"),
    Case("meta_ms_negative_ttl", b"ms k 2 T-1\r\nhi\r\nmg k v\r\n"),
    Case("meta_ms_zero_len", b"ms k 0\r\n\r\nmg k v s\r\n"),
    Case("meta_ms_datalen_leading_zero", b"ms k 02\r\nhi\r\nmg k v\r\n"),
    Case(
        "meta_ms_modes_add",
        b"ms k 1 ME\r\na\r\nms k 1 ME\r\nb\r\nmg k v\r\nms k 1 ME C5\r\nc\r\n",
    ),
    Case("meta_ms_modes_replace", b"ms k 1 MR\r\na\r\nms k 1\r\nb\r\nms k 1 MR\r\nc\r\nmg k v\r\n"),
    Case(
        "meta_ms_modes_append_prepend",
        b"ms k 1 MA\r\na\r\nms k 1 MP\r\na\r\nms k 2 F7 T0\r\nmm\r\nms k 1 MA F9\r\na\r\n"
        b"ms k 1 MP\r\np\r\nmg k v f\r\n",
        note="append/prepend keep the old flags",
    ),
    Case("meta_ms_modes_set", b"ms k 1 MS\r\na\r\nmg k v\r\n"),
    Case(
        "meta_ms_append_cas",
        b"ms k 1\r\nx\r\nms k 1 MA C0\r\ny\r\nms k 1 MA C99999\r\nz\r\nms k2 1 MA C1\r\nz\r\n"
        b"mg k v\r\n",
        note="append with C0 skips the CAS check; a mismatch is EX; a miss NS",
    ),
    Case(
        "meta_ms_append_vivify",
        b"ms k 2 MA N30\r\nhi\r\nmg k v\r\n",
        upstream=b"HD\r\nVA 2\r\nhi\r\n",
        note="reference §12: N autovivifies an append on a miss in HEAD",
    ),
    Case(
        "meta_ms_cas",
        b"ms k 1\r\na\r\nms k 1 C1 c\r\nb\r\nms k 1 C1\r\nc\r\nms k 1 C0\r\nd\r\n"
        b"ms nope 1 C1\r\ne\r\nms k 1 MR C2\r\nf\r\nmg k v c\r\n",
        isolated=True,
    ),
    Case(
        "meta_ms_cas_quiet",
        b"ms k 1\r\na\r\nms k 1 C1 q\r\nb\r\nms k 1 C1 q\r\nc\r\nms n 1 C1 q\r\nd\r\n",
        isolated=True,
    ),
    Case(
        "meta_ms_bad_chunk",
        b"ms k 2\r\nhiXY\r\nmg k v\r\n",
        upstream=b"CLIENT_ERROR bad data chunk\r\nCLIENT_ERROR bad command line format\r\nEN\r\n",
        note="the leftover empty line is an error in HEAD (ERROR in 1.6.18)",
    ),
    Case(
        "meta_ms_bad_chunk_quiet",
        b"ms k 2 q\r\nhiXY\r\nmg k v\r\n",
        upstream=b"CLIENT_ERROR bad data chunk\r\nCLIENT_ERROR bad command line format\r\nEN\r\n",
        note="q never hides an error",
    ),
    Case(
        "meta_ms_bad_datalen_no_swallow",
        b"ms k abc\r\nhi\r\nms k -1\r\nhi\r\nms k 2x\r\nhi\r\nms k 2147483646\r\n",
        note="a bad datalen is refused without reading the data block",
    ),
    Case(
        "meta_ms_missing_datalen",
        b"ms k\r\nmg k\r\n",
    ),
    Case(
        "meta_ms_bare",
        b"ms\r\n",
        upstream=b"CLIENT_ERROR bad command line format\r\n",
    ),
    Case(
        "meta_ms_flag_errors_swallow",
        b"ms k 2 a\r\nhi\r\nms k 2 T1 T1\r\nhi\r\nms k 2 Tx\r\nhi\r\nms k 2 Fx\r\nhi\r\n"
        b"ms k 2 F-1\r\nhi\r\nms !!!! 2 b\r\nhi\r\nms k 2 MX\r\nhi\r\nmg k v\r\n",
        note="every refusal after a valid datalen swallows the data block",
    ),
    Case(
        "meta_ms_mode_token_length",
        b"ms k 2 Mabc\r\nhi\r\nmg k v\r\n",
        upstream=b"CLIENT_ERROR invalid mode for ms M token\r\nEN\r\n",
        note="reference §12",
    ),
    Case(
        "meta_ms_key_251",
        b"ms " + K251 + b" 2\r\nhi\r\n",
        upstream=b"CLIENT_ERROR bad command line format\r\n",
        note="HEAD knows the datalen before the key check, so it swallows the block",
    ),
    Case(
        "meta_ms_21_tokens",
        b"ms k 2 c k O1 P2 L3 q T5 D1 J1 MS F1 I s t f h v u\r\nhi\r\n",
        upstream=b"CLIENT_ERROR options flags are too long\r\n",
        note="HEAD: preparse error text, block swallowed; 1.6.18: no 'are', no swallow",
    ),
    Case(
        "meta_ms_opaque_too_long",
        b"ms k 2 " + O33 + b"\r\nhi\r\nmg k v\r\nms k 2 q Oa " + O33 + b"\r\nhi\r\n",
        note="refused before the data is read: the block is swallowed, nothing stored",
    ),
    Case(
        "meta_ms_new_cas",
        b"ms k 2 E12345 c\r\nhi\r\nmg k c\r\n",
        upstream=b"HD c12345\r\nHD c12345\r\n",
        note="E<cas> (HEAD) sets the stored item's CAS",
    ),
    Case(
        "meta_ms_too_large",
        b"ms k 2\r\nhi\r\nms k " + str(MB).encode() + b"\r\n" + b"a" * MB + b"\r\nmg k v\r\n",
        note="too large: data swallowed, the old item is deleted",
    ),
    Case(
        "meta_ms_too_large_append",
        b"ms k 2\r\nhi\r\nms k " + str(MB).encode() + b" MA\r\n" + b"a" * MB + b"\r\nmg k v\r\n",
        note="the old item is deleted in every mode",
    ),
    # ------------------------------------------------------------------ md
    Case("meta_md_basic", b"ms k 1\r\nx\r\nmd k\r\nmd k\r\nmg k v\r\n"),
    Case("meta_md_echo", b"ms k 1\r\nx\r\nmd k k Oab\r\nmd k Oab k\r\n"),
    Case("meta_md_quiet", b"ms k 1\r\nx\r\nmd k q\r\nmd k q\r\nmd k q k\r\n"),
    Case(
        "meta_md_cas",
        b"ms k 1\r\nx\r\nmd k C2 k\r\nmd k C0\r\nmd k C1 q\r\nmg k v\r\n",
        isolated=True,
    ),
    Case("meta_md_b64", b"ms bWs= 1 b\r\nx\r\nmd bWs= b k\r\nmg mk v\r\n"),
    Case(
        "meta_md_invalidate",
        b"ms k 1 T0\r\nx\r\nmd k I T0\r\nmg k v t\r\nmg k v\r\nmd k\r\nmg k\r\n",
    ),
    Case("meta_md_opaque_too_long", b"ms k 1\r\nx\r\nmd k " + O33 + b"\r\nmg k v\r\n"),
    Case(
        "meta_md_flag_errors",
        b"md k a\r\nmd k v v\r\nmd k Cx\r\n",
        upstream=(
            b"CLIENT_ERROR invalid flag\r\nCLIENT_ERROR duplicate flag\r\n"
            b"CLIENT_ERROR bad token in command line format\r\n"
        ),
        note="reference §12: HEAD reports the specific preparse message",
    ),
    Case("meta_md_key_251", b"md " + K251 + b"\r\n"),
    Case(
        "meta_md_21_tokens",
        b"md k c k O1 P2 L3 q T5 D1 J1 MI F1 I s t f h v u N0\r\n",
        upstream=b"CLIENT_ERROR options flags are too long\r\n",
        note="1.6.18 says 'options flags too long' for md",
    ),
    Case(
        "meta_md_bare",
        b"md\r\n",
        upstream=b"CLIENT_ERROR bad command line format\r\n",
    ),
    Case(
        "meta_md_tombstone",
        b"ms k 2 F5\r\nhi\r\nmd k x\r\nmg k v f\r\nmd k x F3 q\r\nmg k f s\r\n",
        upstream=b"HD\r\nHD\r\nVA 0 f0\r\n\r\nHD f3 s0\r\n",
        note="reference §12: md x (>= 1.6.27) empties the value and keeps the item",
    ),
    Case(
        "meta_md_tombstone_keeps_cas",
        b"ms k 1\r\nx\r\nmd k x\r\nmg k c\r\nmd k x I\r\nmg k c v\r\n",
        isolated=True,
        upstream=b"HD\r\nHD\r\nHD c1\r\nHD\r\nVA 0 c2 X W\r\n\r\n",
        note="x keeps the CAS unless E; with I the item is stale with a new CAS",
    ),
    Case(
        "meta_md_new_cas",
        b"ms k 1\r\nx\r\nmd k I E99\r\nmg k c\r\n",
        upstream=b"HD\r\nHD\r\nHD c99 X W\r\n",
        note="E<cas> (HEAD) on md I",
    ),
    # ------------------------------------------------------------------ ma
    Case("meta_ma_miss", b"ma k\r\nma k MD k Oo\r\nma k q\r\n"),
    Case("meta_ma_vivify", b"ma k N0\r\nmg k v\r\nma k N0 J5 v\r\nma n2 N0 J5 v\r\n"),
    Case(
        "meta_ma_vivify_quiet",
        b"ma k q N0\r\n",
        upstream=b"",
        note="HEAD elides the HD of an autovivify under q; 1.6.18 sends it",
    ),
    Case(
        "meta_ma_incr_decr",
        b"ms k 1\r\n5\r\nma k\r\nma k v\r\nma k v D10\r\nma k v MD D3\r\nma k v M-\r\n"
        b"ma k v M+\r\nma k v MI\r\nma k v MD D100\r\nmg k v\r\n",
    ),
    Case(
        "meta_ma_pad_in_place",
        b"ms k 3\r\n100\r\nma k MD v\r\nmg k v\r\nma k v\r\nma k v D1000\r\nmg k v s\r\n",
        note="a shorter result is written in place, padded with spaces",
    ),
    Case(
        "meta_ma_wrap",
        b"ms k 20\r\n18446744073709551615\r\nma k v\r\nmg k v\r\nma k v D18446744073709551615\r\n",
    ),
    Case(
        "meta_ma_number_formats",
        b"ms k 40\r\n5" + b" " * 39 + b"\r\nma k v\r\nmg k s\r\nms k 3\r\n+5 \r\nma k v\r\n"
        b"ms k 21\r\n" + b"9" * 21 + b"\r\nma k\r\n",
        note="strtoull rules: trailing spaces and '+' are fine; overflow is not",
    ),
    Case(
        "meta_ma_over_20_digits",
        b"ms k 25\r\n" + b"0" * 24 + b"7\r\nma k v\r\n",
        upstream=b"HD\r\nCLIENT_ERROR cannot increment or decrement non-numeric value\r\n",
        note="reference §3a: more than 20 digits is non-numeric in HEAD, even with leading zeros",
    ),
    Case("meta_ma_non_numeric", b"ms k 2\r\nhi\r\nma k\r\nma k q\r\nms k 0\r\n\r\nma k\r\n"),
    Case(
        "meta_ma_empty_before_cas",
        b"ms k 0\r\n\r\nma k C99999\r\nms k 1\r\n1\r\nma k C99999\r\n",
        note="do_add_delta: an empty value is non-numeric before the CAS check",
    ),
    Case("meta_ma_quiet", b"ms k 1\r\n1\r\nma k q\r\nma k q v\r\nma nope q\r\nmg k v\r\n"),
    Case(
        "meta_ma_cas",
        b"ms k 1\r\n1\r\nma k C5 k\r\nma k C1 c v\r\nma k C0 c\r\nma k c t\r\n",
        isolated=True,
        note="C0 means no check for ma",
    ),
    Case("meta_ma_b64", b"ma bWs= b N0 k v\r\nma bWs= b k v\r\nmg mk v\r\n"),
    Case("meta_ma_ttl_never", b"ma k N0 t v\r\nma k T0 t\r\n"),
    Case("meta_ma_opaque_too_long", b"ms k 1\r\n1\r\nma k " + O33 + b"\r\nmg k v\r\n"),
    Case(
        "meta_ma_errors",
        b"ma k a\r\nma k v v\r\nma k JX\r\nma k DX\r\nma k D-1\r\nma !!!! b\r\nma k MX\r\n"
        b"ma k Mx O1\r\n",
        note="ma reports any preparse error as 'invalid or duplicate flag'",
    ),
    Case(
        "meta_ma_key_251",
        b"ma " + K251 + b"\r\n",
        upstream=b"CLIENT_ERROR invalid or duplicate flag\r\n",
        note="HEAD checks the key length inside the preparse, which ma reports this way",
    ),
    Case(
        "meta_ma_21_tokens",
        b"ma k c k O1 P2 L3 q T5 D1 J1 MI F1 I s t f h v u N0\r\n",
        upstream=b"CLIENT_ERROR invalid or duplicate flag\r\n",
        note="HEAD: token count checked in the preparse; 1.6.18: 'options flags too long'",
    ),
    Case(
        "meta_ma_new_cas",
        b"ma k N0 E500 c\r\nma k E600 c v\r\n",
        upstream=b"HD c500\r\nVA 1 c600\r\n1\r\n",
        note="E<cas> (HEAD)",
    ),
    Case(
        "meta_ma_bare",
        b"ma\r\n",
        upstream=b"CLIENT_ERROR bad command line format\r\n",
    ),
    # ------------------------------------------------------------------ me
    Case("meta_me_miss", b"me nope\r\nme bm9wZQ== b\r\n"),
    Case("meta_me_errors", b"me\r\nme " + K251 + b"\r\n"),
    Case("meta_me_bad_b64", b"me !!!! b x\r\n"),
    Case(
        "meta_me_b_needs_fourth_token",
        b"ms bWs= 2 b\r\nhi\r\nme bWs= b\r\n",
        upstream=b"HD\r\nEN\r\n",
        note="HEAD honours b only with a 4th token (tokenizer quirk); 1.6.18 finds the item",
    ),
    # ------------------------------------------------------------------ -C
    Case(
        "meta_cas_disabled",
        b"ms k 1 c\r\na\r\nmg k c v\r\nms k 1 C0\r\nb\r\nms k 1 C1\r\nb\r\nma n N0 c\r\n"
        b"md k I\r\nmg k c\r\nmd k C0\r\n",
        args=("-C",),
        note="-C: every CAS is 0",
    ),
    # ------------------------------------------------------------------ mixing
    Case(
        "meta_mix_classic",
        b"set k 5 0 2\r\nhi\r\nmg k v f\r\nms k 3 F6\r\nabc\r\nget k\r\nappend k 0 0 1\r\nd\r\n"
        b"mg k v s\r\nincr n 1\r\nma n N0 J10\r\nincr n 5\r\nma n v\r\ndelete k\r\nmd k\r\n"
        b"touch n 0\r\nmg n t v\r\n",
    ),
    Case(
        "meta_mix_cas_shared",
        b"set k 0 0 1\r\na\r\ngets k\r\nmg k c\r\nms k 1 C1\r\nb\r\ngets k\r\n"
        b"cas k 0 0 1 2\r\nc\r\nmg k c v\r\n",
        isolated=True,
        note="meta and classic commands share items and the CAS counter",
    ),
    Case(
        "meta_mix_pipeline_quiet",
        b"ms a 1 q\r\n1\r\nms b 1 q\r\n2\r\nmg a q v k\r\nmg zz q v k\r\nmg b q v k\r\n"
        b"md a q\r\nmd zz q\r\nmn\r\nget a b\r\n",
        note="quiet mode pipeline ended by mn",
    ),
]
