"""A clock read once per batch of work instead of once per item access.

``Store`` takes any ``Callable[[], int]`` as its clock (tests pass a fake
one). Calling a Python callable costs about a thousand machine instructions
in compiled code, a fifth of a whole ``Store.get_value``; memcached itself
reads the time once per second into ``current_time``. A ``CachedClock``
gives the store the same trade: compiled code reads ``now`` as a plain
attribute, and the owner calls :meth:`refresh` before each batch of requests
(the daemon: every event-loop round and every housekeeping tick).

Invariant: ``now`` only moves when ``refresh`` is called, so within one
batch every access sees the same second, as in memcached.
"""

from __future__ import annotations

from collections.abc import Callable


class CachedClock:
    """Whole seconds from ``source``, re-read only by :meth:`refresh`."""

    def __init__(self, source: Callable[[], int]) -> None:
        self.source = source
        self.now: int = source()

    def refresh(self) -> int:
        """Read the source again; return the new time."""
        self.now = now = self.source()
        return now

    def __call__(self) -> int:
        return self.now
