"""Control values inside signal nodes: read on a fixed grid, glided to avoid zipper noise.

A signal node's message inlet (a gain, a crossfade position) stores the newest value
in a latest-value slot on the control thread; ``render`` turns it into one value per
sample (:class:`SmoothedControl`):

- **When it is read.** At every multiple of :data:`CONTROL_PERIOD` frames of the
  stream, and at the start of every block. Offline blocks are longer (2048 frames),
  so the node first brings the control graph up to that frame with
  ``ctx.catch_up`` (a no-op live): an offline render then reads the control at the
  same frames as a live run with the default 256-frame block. (``catch_up`` never
  goes back in time: if a node earlier in the chain already ran the control graph
  further into this block, the value read is that newer one.)
- **How it changes.** A new value does not jump: the control glides to it linearly
  over ``ramp_ms`` (:class:`Glide`), starting from wherever it is, so a gain stepping
  from 0 to 1 adds at most ``1 / ramp_samples`` per sample. A jump would be a step in
  the waveform, heard as a click, and a control stepping every block is heard as
  "zipper noise".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from nodegraph.audio.engine import DEFAULT_BLOCK
from nodegraph.audio.slot import LatestValue

if TYPE_CHECKING:
    from nodegraph.context import Context

#: Frames between two reads of a control inlet (the live default block).
CONTROL_PERIOD = DEFAULT_BLOCK


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
    docstring. ``set`` on the control thread; ``prepare`` and ``render`` on the
    audio thread."""

    def __init__(self, initial: Sequence[float]) -> None:
        self._slot = LatestValue()
        self._glide = Glide(np.asarray(initial, np.float64))
        self._sr = 0
        self._samples = 0
        self._position = 0
        self._out = np.zeros((0, len(initial)), np.float32)

    @property
    def target(self) -> np.ndarray:
        """The newest value stored (what the control is gliding to)."""
        item = self._slot.get()
        return self._glide.target if item is None else item[0]

    def set(self, values: np.ndarray, t: float = 0.0) -> None:
        """Store the newest value (any thread): ``k`` values, as given at creation."""
        self._slot.set(np.asarray(values, np.float64), t)

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
        glide = self._glide
        for start, end in control_segments(self._position, frames):
            ctx.catch_up(start)
            item = self._slot.get()
            if item is not None:
                glide.retarget(item[0], self._samples)
            glide.fill(out[start:end])
        self._position += frames
        return out
