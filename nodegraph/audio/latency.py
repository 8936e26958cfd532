"""Source event → DAC latency.

Two kinds of fact meet here, both in engine-clock seconds (``time.perf_counter``,
the scheduler's RealClock):

- **marks**, left by signal sources through ``ctx.signal_event``: "chain frame ``p``
  is the first audio that reflects a source event stamped ``t``" (``rave-decode``
  marks the first frame of each latent frame decoded from a new latent message);
- **drained blocks**, noted by the output's consumer: "ring frames ``[r, r + n)``
  reach the DAC from time ``d``" (PortAudio's ``outputBufferDacTime``).

Frame ``p`` then reaches the DAC at ``d + (p - r) / sr`` and its latency is that minus
``t``. Events stamped before the output's first block reached the DAC are not
counted: their wait is the stream starting (a patch's first values are sent while
models load), not latency. The model's own delay (impulse in → first output change)
comes on top and is reported apart (``model_delay_samples``). Matching runs on the
audio worker after each block, never on the callback.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from .outputs import TIMING_ROWS, Output

#: Latencies kept for the percentiles (the newest ones).
KEEP = 8192
#: Marks waiting for their block (more only pile up when nothing drains).
PENDING = 1024


class LatencyMeter:
    """Marks in, latencies out; see the module docstring. Audio worker only, except
    :meth:`summary` (any thread)."""

    def __init__(self) -> None:
        self._marks: deque[tuple[int, float]] = deque(maxlen=PENDING)
        self._values = np.zeros(KEEP, np.float64)
        self.count = 0
        self._output: Output | None = None
        self._seen = 0
        #: when the output's first block reached the DAC (engine clock), once known
        self._first_dac: float | None = None

    def mark(self, position: int, t: float) -> None:
        """Chain frame ``position`` is the first to reflect the event stamped ``t``."""
        self._marks.append((position, t))

    def update(self, output: Output) -> None:
        """Resolve marks against the blocks ``output`` has drained since last time
        (when the output changes, marks not yet resolved are dropped)."""
        drained = output.drained
        if output is not self._output:
            if self._output is not None:  # another output paces now: start afresh
                self._seen = drained
                self._marks.clear()
            self._output = output
            self._first_dac = None
        first = max(self._seen, drained - TIMING_ROWS + 1)
        marks, timing, sr, origin = self._marks, output.timing, output.sr, output.origin
        for k in range(first, drained):
            start, n, dac = timing[k % TIMING_ROWS]
            start += origin
            if self._first_dac is None:
                self._first_dac = dac
            while marks and marks[0][0] < start + n:
                position, t = marks.popleft()
                # a block that left the table unseen, or an event from before the stream
                if position >= start and t >= self._first_dac:
                    self._values[self.count % KEEP] = dac + (position - start) / sr - t
                    self.count += 1
        self._seen = drained

    def summary(self) -> dict[str, Any] | None:
        """``{"p50", "p95", "max"}`` in ms plus ``count``, or None before any."""
        n = min(self.count, KEEP)
        if n == 0:
            return None
        ms = 1000.0 * self._values[:n]
        return {"p50": round(float(np.percentile(ms, 50)), 2),
                "p95": round(float(np.percentile(ms, 95)), 2),
                "max": round(float(ms.max()), 2), "count": self.count}
