"""Control values inside signal nodes: read on a fixed grid, glided to avoid zipper noise.

A signal node's message inlet (a gain, a crossfade position) hands each value, with
its source timestamp, to a :class:`SmoothedControl` on the control thread; ``render``
turns them into one value per sample:

- **When a value applies.** The control is read at every multiple of
  :data:`CONTROL_PERIOD` frames of the stream and at the start of every block. Live,
  every value that has arrived applies there. Offline, blocks are longer (2048
  frames), so the node first brings the control graph up to that frame
  (``ctx.catch_up``) and applies only the values stamped up to the frame's time
  (``ctx.frame_time``; a decoder earlier in the chain may have run the control graph
  further into the block): an offline render reads the control at the frames a live
  run with the default 256-frame block reads it, whatever else the patch holds.
- **How it changes.** A new value does not jump: the control glides to it linearly
  over ``ramp_ms`` (:class:`Glide`), starting from wherever it is, so a gain stepping
  from 0 to 1 adds at most ``1 / ramp_samples`` per sample. A jump would be a step in
  the waveform, heard as a click, and a control stepping every block is heard as
  "zipper noise".

The values wait in a deque (appended by the control thread, popped by the audio
thread; both are atomic in CPython, so neither thread ever waits), bounded so that a
node that is not rendered (in no chain) keeps only the newest :data:`MAX_WAITING`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nodegraph.api import DEFAULT_BLOCK

if TYPE_CHECKING:
    from nodegraph.api import Context

#: Frames between two reads of a control inlet (the live default block).
CONTROL_PERIOD = DEFAULT_BLOCK
#: Values kept waiting for the audio thread, at most (the oldest go first).
MAX_WAITING = 4096


def control_segments(position: int, frames: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` offsets splitting a block of ``frames`` frames that starts at
    stream frame ``position`` at every multiple of :data:`CONTROL_PERIOD`."""
    start = 0
    while start < frames:
        end = min(frames, start + CONTROL_PERIOD - (position + start) % CONTROL_PERIOD)
        yield start, end
        start = end


def ramp_samples(ramp_ms: float, sr: int) -> int:
    """Samples a glide of ``ramp_ms`` takes at rate ``sr``."""
    return round(ramp_ms * sr / 1000.0)


class Glide:
    """A vector of ``k`` values that glides linearly to each new target.

    ``retarget`` starts a glide of ``samples`` samples from the current values (0
    jumps); ``fill`` writes the next values, one row per sample. One thread.
    """

    def __init__(self, values: np.ndarray) -> None:
        self.value = np.array(values, np.float64)
        self.target = self.value.copy()
        self._step = np.zeros_like(self.value)
        self._left = 0
        self._counts = np.arange(1, CONTROL_PERIOD + 1, dtype=np.float64)[:, None]

    @property
    def left(self) -> int:
        """Samples until the glide in progress arrives (0: not gliding)."""
        return self._left

    def retarget(self, target: np.ndarray, samples: int) -> None:
        """Glide to ``target`` over ``samples`` samples (at once if 0). The same
        target again changes nothing."""
        if np.array_equal(target, self.target):
            return
        self.target = np.array(target, np.float64)
        if samples <= 0:
            self.value, self._left = self.target.copy(), 0
            return
        self._step = (self.target - self.value) / samples
        self._left = samples

    def fill(self, out: np.ndarray) -> None:
        """Write the next ``len(out)`` values into ``out`` (n, k), n ≤ CONTROL_PERIOD."""
        n = min(self._left, len(out))
        if n:
            np.multiply(self._counts[:n], self._step, out=out[:n])
            out[:n] += self.value
            self._left -= n
            self.value = self.target.copy() if self._left == 0 \
                else self.value + n * self._step
        out[n:] = self.value


class SmoothedControl:
    """A message inlet of a signal node, as a per-sample control; see the module
    docstring. ``set`` on any thread; ``prepare`` and ``render`` on the audio thread."""

    def __init__(self, initial: Sequence[float]) -> None:
        self._waiting: deque[tuple[float, np.ndarray]] = deque(maxlen=MAX_WAITING)
        self._glide = Glide(np.asarray(initial, np.float64))
        #: the newest value set (what the control is gliding to, or soon will)
        self.target = self._glide.target.copy()
        self._sr = 0
        self._samples = 0
        self._position = 0
        self._out = np.zeros((0, len(initial)), np.float32)

    def set(self, values: np.ndarray, t: float) -> None:
        """Hand over a new value (``k`` values, as given at creation) stamped with its
        source time ``t``."""
        values = np.asarray(values, np.float64)
        self._waiting.append((t, values))
        self.target = values

    def prepare(self, sr: int, block: int, ramp_ms: float) -> None:
        self._sr = sr
        self._samples = ramp_samples(ramp_ms, sr)
        self._out = np.zeros((block, self._out.shape[1]), np.float32)

    def set_ramp(self, ramp_ms: float) -> None:
        """A new glide time, from the next new value on (any thread)."""
        self._samples = ramp_samples(ramp_ms, self._sr)

    def render(self, ctx: Context, frames: int) -> np.ndarray:
        """The control for the next ``frames`` samples, (frames, k) float32; the array
        is reused by the next call."""
        out = self._out[:frames]
        glide, waiting = self._glide, self._waiting
        for start, end in control_segments(self._position, frames):
            ctx.catch_up(start)
            due = ctx.frame_time(start)
            newest = None
            while waiting and (due is None or waiting[0][0] <= due):
                newest = waiting.popleft()[1]
            if newest is not None:
                glide.retarget(newest, self._samples)
            glide.fill(out[start:end])
        self._position += frames
        return out
