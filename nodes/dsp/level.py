"""Signal level in dBFS: RMS and peak over a sliding window, at a steady rate.

:class:`LevelMeter` measures, every ``hop`` frames of the stream (``rate_hz`` times a
second of audio), the last ``window_ms`` rounded to whole hops:

- **RMS** per channel, then the loudest channel (so a mono signal reads the same
  whether or not it is broadcast to stereo); a full-scale sine reads -3 dBFS.
- **Peak**: the largest absolute sample in the window, any channel.

Each sample is touched once: the meter keeps the sum of squares and the peak of each
hop-long segment, and a measurement combines the segments of the window, so its cost
does not grow with the window (it runs on the audio worker).

Levels are ``20 log10(value)`` in dB relative to full scale (1.0), floored at
:data:`FLOOR_DB` so silence is a finite number that math nodes downstream accept.
Until the window has filled once, the frames not yet seen count as silence.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

FLOOR_DB = -120.0
#: defaults: the window a measurement covers, and measurements per second of audio
WINDOW_MS = 300.0
RATE_HZ = 20.0
_FLOOR = 10.0 ** (FLOOR_DB / 20.0)


def to_db(value: float) -> float:
    """Amplitude → dBFS, floored at FLOOR_DB."""
    return 20.0 * math.log10(max(value, _FLOOR))


class Level(NamedTuple):
    """One measurement: where it fell due (frames into the block fed), the levels,
    and whether the window held only finite samples (levels are held otherwise)."""

    offset: int
    level_db: float
    peak_db: float
    finite: bool


class LevelMeter:
    """Windowed RMS/peak of one stream; see the module docstring. One thread feeds it
    (the audio worker); ``level_db``/``peak_db``/``finite`` may be read anywhere."""

    def __init__(self, sr: int, window_ms: float = WINDOW_MS, rate_hz: float = RATE_HZ) -> None:
        #: frames between measurements, and frames a measurement covers (whole hops)
        self.hop = max(1, round(sr / rate_hz))
        self.segments = max(1, round(window_ms * sr / 1000.0 / self.hop))
        self.window = self.segments * self.hop
        self.level_db = FLOOR_DB
        self.peak_db = FLOOR_DB
        #: False when the last measured window held NaN or infinite samples
        self.finite = True
        self._start(channels=1)

    def _start(self, channels: int) -> None:
        self._power = np.zeros((self.segments, channels))  # sum of squares per segment
        self._peaks = np.zeros(self.segments)
        self._segment = 0                                  # the segment being filled
        self._since = 0                                    # frames in it so far

    def feed(self, block: np.ndarray) -> list[Level]:
        """Add ``block`` (frames, channels); returns the measurements that fell due in
        it, in order. ``level_db`` and ``peak_db`` hold the last finite one."""
        if block.shape[1] != self._power.shape[1]:  # channels changed (an edit): start over
            self._start(block.shape[1])
        due: list[Level] = []
        start, frames = 0, len(block)
        while start < frames:
            n = min(frames - start, self.hop - self._since)
            part = block[start:start + n]
            if self._since == 0:
                self._power[self._segment] = 0.0
                self._peaks[self._segment] = 0.0
            self._power[self._segment] += np.einsum("ij,ij->j", part, part, dtype=np.float64)
            self._peaks[self._segment] = np.maximum(self._peaks[self._segment],
                                                    np.abs(part).max())
            start += n
            self._since += n
            if self._since == self.hop:
                self._since = 0
                self._segment = (self._segment + 1) % self.segments
                self._measure()
                due.append(Level(start, self.level_db, self.peak_db, self.finite))
        return due

    def _measure(self) -> None:
        peak = float(self._peaks.max())
        power = self._power.sum(axis=0) / self.window
        self.finite = bool(np.isfinite(peak)) and bool(np.isfinite(power).all())
        if self.finite:
            self.level_db = to_db(math.sqrt(float(power.max())))
            self.peak_db = to_db(peak)
