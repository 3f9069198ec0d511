"""``stats`` name sets: ours vs the reference, with the deliberate differences listed.

Values differ by nature (pid, uptime, timings), so only the NAMES and their
ORDER are compared, for ``stats``, ``stats settings``, ``stats slabs`` and
``stats items``, after the same few sets on both servers.

Deliberate differences (reference = Debian's 1.6.18, built with extstore and
TLS; ours follows upstream HEAD without extstore or proxy, reference §6):
"""

from __future__ import annotations

import pytest

from tests.servers import start_many, target_is_reference

from .harness import compare_stats_names, exchange, stats_names

#: 1.6.18-only general stats and the HEAD names that replaced them.
GENERAL_ONLY_REFERENCE = ("slab_reassign_evictions_nomem",)
GENERAL_ONLY_OURS = ("slab_reassign_busy_nomem", "slab_reassign_last_busy_status")

#: Settings printed only by extstore builds (1.6.18 prints slab_automove_freeratio
#: inside its extstore block), and the HEAD-only client_flags_size.
SETTINGS_ONLY_REFERENCE = (
    "ext_item_size",
    "ext_item_age",
    "ext_low_ttl",
    "ext_recache_rate",
    "ext_wbuf_size",
    "ext_compact_under",
    "ext_drop_under",
    "ext_max_sleep",
    "ext_max_frag",
    "slab_automove_freeratio",
    "ext_drop_unread",
)
SETTINGS_ONLY_OURS = ("client_flags_size",)


#: One tiny item (class 1) and one 2000-byte item (class 15 with -f 1.25).
SETUP = b"set a 0 0 1\r\n1\r\nset b 0 0 2000\r\n" + b"x" * 2000 + b"\r\nget a b\r\n"


def expected_differences(sub: str, ref_names: list[str]) -> tuple[list[str], list[str]]:
    if target_is_reference():
        return [], []
    if sub == "":
        # (all three exist only while slab_reassign is on)
        only_ref = [n for n in GENERAL_ONLY_REFERENCE if n in ref_names]
        return only_ref, list(GENERAL_ONLY_OURS) if only_ref else []
    if sub == "settings":
        return [n for n in SETTINGS_ONLY_REFERENCE if n in ref_names], list(SETTINGS_ONLY_OURS)
    return [], []


def place_only_ours(sub: str, ours: list[str]) -> list[str]:
    """Problems with where the ours-only names sit (they must be in HEAD's position)."""
    problems: list[str] = []
    if sub == "settings" and "client_flags_size" in ours and ours[-1] != "client_flags_size":
        problems.append("client_flags_size must be the last settings line")
    return problems


ARGS = [
    pytest.param((), id="default"),
    pytest.param(("-o", "no_lru_crawler,no_lru_maintainer"), id="no_crawler_no_maintainer"),
    pytest.param(("-o", "idle_timeout=30"), id="idle_timeout"),
    pytest.param(("-o", "no_maxconns_fast"), id="no_maxconns_fast"),
    # temp_lru on: items:<cls>:number_temp appears (both versions)
    pytest.param(("-o", "temporary_ttl=61"), id="temp_lru"),
]


@pytest.mark.parametrize("sub", ["", "settings", "slabs", "items"], ids=lambda s: s or "general")
@pytest.mark.parametrize("args", ARGS)
def test_stats_names(sub: str, args: tuple[str, ...]) -> None:
    ref_server, our_server = start_many([("memcached", args), ("ours", args)])
    try:
        names = []
        for server in (ref_server, our_server):
            exchange(server, SETUP)
            names.append(stats_names(server, sub))
    finally:
        ref_server.stop()
        our_server.stop()
    ref, ours = names
    only_ref, only_ours = expected_differences(sub, ref)
    problems = compare_stats_names(ref, ours, only_reference=only_ref, only_ours=only_ours)
    problems += place_only_ours(sub, ours)
    assert not problems, f"stats {sub} names ({' '.join(args)}):\n" + "\n".join(problems)


def test_stats_general_has_84_names_for_t_stats() -> None:
    """t/stats.t counts exactly 84 names with -o no_lru_crawler,no_lru_maintainer."""
    (server,) = start_many([("ours", ("-o", "no_lru_crawler,no_lru_maintainer"))])
    try:
        names = stats_names(server)
    finally:
        server.stop()
    if target_is_reference():  # 1.6.18 has 83 names there (see GENERAL_ONLY_*)
        assert len(names) == 84 - len(GENERAL_ONLY_OURS) + len(GENERAL_ONLY_REFERENCE)
    else:
        assert len(names) == 84, names
