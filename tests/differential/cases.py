"""The ``Case`` type of the differential tests (shared by every corpus module).

A case is raw bytes sent on ONE fresh connection to the reference memcached and
to ours, both started with ``args``; the replies must be identical after
normalization (CAS values by identity, version number masked; see
``harness.normalize_reply``).

Corpus modules (``corpus_text.py``, ``corpus_meta.py``, ...) export
``CASES: list[Case]``; ``test_differential.py`` collects every ``corpus_*.py``
module in this directory. Use ``from .cases import Case`` in a corpus module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Requests that read or change server-global state; such cases get dedicated
# servers instead of a shared one reset with flush_all (see ``Case.dedicated``).
_GLOBAL_STATE_MARKERS = (
    b"flush_all",
    b"stats",
    b"shutdown",
    b"cache_memlimit",
    b"slabs ",
    b"lru ",
    b"lru_crawler",
    b"watch",
)
# Server flags under which a flush_all reset is impossible (-F) or not exact
# (-C: flush_all hides items stored in the same second; -M: flushed items still
# hold memory), or where the case may stop the server (-A).
_DEDICATED_FLAGS = frozenset({"-F", "-C", "-M", "-A", "-Y", "--disable-flush-all", "--disable-cas"})


@dataclass(frozen=True)
class Case:
    """One differential request.

    name:     unique test id (``[a-z0-9_.-]``), shown by pytest.
    request:  bytes sent as-is on one fresh connection.
    args:     extra server flags for both servers (e.g. ``("-I", "2k")``).
    upstream: when Debian's 1.6.18 differs from upstream HEAD (reference §12),
              HEAD's exact expected reply (without the sentinel's ``MN``). Then
              the test asserts ours == upstream AND 1.6.18 != upstream.
    note:     why the case exists / what it pins down.
    sentinel: append ``mn\\r\\n`` and read until its ``MN\\r\\n``. Set False when
              the request leaves the server waiting for data, or when the
              connection is expected to close: then read until close (or a
              short idle timeout, compared like any other outcome).
    isolated: force dedicated servers (see ``dedicated``).
    """

    name: str
    request: bytes
    args: tuple[str, ...] = ()
    upstream: bytes | None = None
    note: str = ""
    sentinel: bool = True
    isolated: bool = False

    @property
    def dedicated(self) -> bool:
        """Needs its own fresh servers (global state), not a shared reset one."""
        if self.isolated or _DEDICATED_FLAGS.intersection(self.args):
            return True
        return any(marker in self.request for marker in _GLOBAL_STATE_MARKERS)


def check_unique(cases: Iterable[Case]) -> list[Case]:
    """Return the cases as a list; raise on a duplicate name."""
    seen: set[str] = set()
    out: list[Case] = []
    for case in cases:
        if case.name in seen:
            raise ValueError(f"duplicate differential case name: {case.name}")
        seen.add(case.name)
        out.append(case)
    return out
