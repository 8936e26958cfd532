"""Clocks: where message timestamps come from.

All timestamps in the engine are seconds on one clock. Live runs use
:class:`RealClock` (``time.perf_counter``, monotonic). Offline renders use
:class:`VirtualClock`, which only moves when the engine advances it, so a patch
paced by timers (test face, metro, line) renders faster than real time and
deterministically.
"""

from __future__ import annotations

import time


class RealClock:
    """Wall-clock time in seconds (``time.perf_counter``)."""

    virtual = False

    def now(self) -> float:
        return time.perf_counter()


class VirtualClock:
    """Time that stands still until :meth:`advance_to` moves it forward."""

    virtual = True

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, t: float) -> None:
        if t < self._now:
            raise ValueError(f"a clock never goes back ({t} < {self._now})")
        self._now = t


Clock = RealClock | VirtualClock
