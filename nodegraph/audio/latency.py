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

Each mark also names its source: the node type of the source event (``midi-in``,
``osc-in``, ``xy-pad``, ``camera``..., carried with every message by the
scheduler). The summary gives the percentiles and the **jitter** (p95 − p5: how far
the answer wanders from one event to the next) of all events and of each source.
A camera stamps a frame with its capture time, so its figures are capture → sound.

**The floor** (:func:`latency_floor`): what no engine can beat for a model and a
device. An event waits for the next latent frame (0 to ``ratio / sr``: the latent
is read once per frame) and for the next block render (0 to ``block / sr``: the
latent is read when the block holding the frame's start is rendered), then a fixed
time: the device's buffering (JACK: two periods), the render margin, the
resampler's hold-back and the model's own delay. The two waits are independent and
uniform, so the spread of their sum is the least jitter.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from .outputs import TIMING_ROWS, Output

#: Latencies kept for the percentiles, in all and per source (the newest ones).
KEEP = 8192
#: Marks waiting for their block (more only pile up when nothing drains).
PENDING = 1024
#: The percentiles reported; jitter is the spread between the outer two.
PERCENTILES = (5, 50, 95, 99)
#: Periods of output a device buffers before the DAC (JACK's default, most drivers).
DEVICE_PERIODS = 2


class Latencies:
    """The newest :data:`KEEP` latencies (seconds) and how many there were."""

    def __init__(self) -> None:
        self._values = np.zeros(KEEP, np.float64)
        self.count = 0

    def add(self, seconds: float) -> None:
        self._values[self.count % KEEP] = seconds
        self.count += 1

    def summary(self) -> dict[str, Any] | None:
        """``{"p5", "p50", "p95", "p99", "max", "jitter"}`` in ms (jitter = p95 − p5)
        plus ``count``, or None before any."""
        n = min(self.count, KEEP)
        if n == 0:
            return None
        ms = 1000.0 * self._values[:n]
        p5, p50, p95, p99 = (float(v) for v in np.percentile(ms, PERCENTILES))
        return {"p5": round(p5, 2), "p50": round(p50, 2), "p95": round(p95, 2),
                "p99": round(p99, 2), "max": round(float(ms.max()), 2),
                "jitter": round(p95 - p5, 2), "count": self.count}


class LatencyMeter:
    """Marks in, latencies out; see the module docstring. Audio worker only, except
    :meth:`summary` (any thread)."""

    def __init__(self) -> None:
        self._marks: deque[tuple[int, float, str]] = deque(maxlen=PENDING)
        self._all = Latencies()
        self._sources: dict[str, Latencies] = {}
        self._output: Output | None = None
        self._seen = 0
        #: when the output's first block reached the DAC (engine clock), once known
        self._first_dac: float | None = None

    @property
    def count(self) -> int:
        """Events measured so far."""
        return self._all.count

    def mark(self, position: int, t: float, source: str = "") -> None:
        """Chain frame ``position`` is the first to reflect the event stamped ``t``
        that came from a node of type ``source``."""
        self._marks.append((position, t, source))

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
        timing, sr, origin = output.timing, output.sr, output.origin
        for k in range(first, drained):
            start, n, dac = timing[k % TIMING_ROWS]
            self.resolve(int(start) + origin, int(n), dac, sr)
        self._seen = drained

    def resolve(self, start: int, frames: int, dac: float, sr: int) -> None:
        """Chain frames ``[start, start + frames)`` reached the DAC from clock time
        ``dac`` (seconds) at ``sr`` frames per second: measure the marks they hold.
        Marks before ``start`` belong to a block that left the timing table unseen."""
        marks = self._marks
        if self._first_dac is None:
            self._first_dac = dac
        while marks and marks[0][0] < start + frames:
            position, t, source = marks.popleft()
            # a block that left the table unseen, or an event from before the stream
            if position >= start and t >= self._first_dac:
                latency = dac + (position - start) / sr - t
                self._all.add(latency)
                kind = self._sources.get(source)
                if kind is None:
                    kind = self._sources[source] = Latencies()
                kind.add(latency)

    def summary(self) -> dict[str, Any] | None:
        """All events' figures (see :meth:`Latencies.summary`) plus ``sources``: the
        same per source node type; None before any event."""
        summary = self._all.summary()
        if summary is not None:
            sources = dict(self._sources)  # one C-level copy: the worker may add a source
            summary["sources"] = {source: sources[source].summary() for source in sorted(sources)}
        return summary


def uniform_sum_quantile(q: float, a: float, b: float) -> float:
    """The ``q`` quantile (0..1) of the sum of two independent uniform waits, on
    ``[0, a]`` and ``[0, b]``."""
    a, b = max(a, b), min(a, b)
    if b == 0.0:
        return q * a
    corner = b / (2.0 * a)  # probability below b (and above a)
    if q <= corner:
        return math.sqrt(2.0 * a * b * q)
    if q >= 1.0 - corner:
        return a + b - math.sqrt(2.0 * a * b * (1.0 - q))
    return q * a + b / 2.0


def latency_floor(frame_s: float, block: int, sr: int, fixed_s: float = 0.0,
                  periods: int = DEVICE_PERIODS) -> dict[str, float]:
    """The least event → DAC latency (see the module docstring) for latent frames of
    ``frame_s`` seconds, blocks of ``block`` frames at ``sr`` Hz, a device that buffers
    ``periods`` blocks, and ``fixed_s`` more seconds (render margin, resampler, model
    delay). Milliseconds: ``p5``, ``p50``, ``p95``, ``jitter`` (p95 − p5), and the
    parts: ``frame_ms`` and ``block_ms`` (the two waits' longest), ``device_ms``,
    ``fixed_ms``."""
    block_s = block / sr
    constant = periods * block_s + fixed_s
    p5, p50, p95 = (uniform_sum_quantile(q, frame_s, block_s) + constant
                    for q in (0.05, 0.5, 0.95))
    return {"p5": round(1000 * p5, 2), "p50": round(1000 * p50, 2), "p95": round(1000 * p95, 2),
            "jitter": round(1000 * (p95 - p5), 2), "frame_ms": round(1000 * frame_s, 2),
            "block_ms": round(1000 * block_s, 2), "device_ms": round(1000 * periods * block_s, 2),
            "fixed_ms": round(1000 * fixed_s, 2)}
