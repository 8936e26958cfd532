"""A preallocated ring of audio frames for one writer thread and one reader thread.

The device callback reads from it and the audio worker writes to it, so it takes no
lock (docs/architecture.md, "Real time in Python": the callback takes no locks and allocates
nothing large). Two monotonically growing counters, ``written`` and ``read``, carry
the hand-off: the writer copies frames in and only then advances ``written``; the
reader copies frames out and only then advances ``read``. Each counter has one
writer, and an int attribute store is atomic under the GIL, so each side always
sees a consistent (possibly slightly old) view of the other.

The counters double as stream positions: frame ``p`` of the stream written into the
ring is the ``p``-th frame ever written, which is how latency is accounted
(:mod:`nodegraph.audio.latency`).
"""

from __future__ import annotations

import numpy as np


class AudioRing:
    """``capacity`` frames of ``channels`` float32 samples; see the module docstring."""

    __slots__ = ("capacity", "channels", "_buf", "written", "read")

    def __init__(self, capacity: int, channels: int) -> None:
        if capacity < 1 or channels < 1:
            raise ValueError("a ring needs at least one frame and one channel")
        self.capacity = capacity
        self.channels = channels
        self._buf = np.zeros((capacity, channels), np.float32)
        #: frames ever written (writer thread only)
        self.written = 0
        #: frames ever read (reader thread only)
        self.read = 0

    @property
    def fill(self) -> int:
        """Frames written and not yet read."""
        return self.written - self.read

    @property
    def space(self) -> int:
        """Frames that can be written without overwriting unread ones."""
        return self.capacity - (self.written - self.read)

    def write(self, block: np.ndarray) -> int:
        """Append ``block`` (frames, channels); returns the frames written, fewer than
        given only when the ring is full (the rest is dropped). Writer thread."""
        n = min(len(block), self.capacity - (self.written - self.read))
        if n <= 0:
            return 0
        start = self.written % self.capacity
        first = min(n, self.capacity - start)
        self._buf[start:start + first] = block[:first]
        if n > first:
            self._buf[:n - first] = block[first:n]
        self.written += n
        return n

    def read_into(self, out: np.ndarray) -> int:
        """Copy up to ``len(out)`` frames into ``out``; returns how many. Frames of
        ``out`` past that are left untouched. Reader thread."""
        n = min(len(out), self.written - self.read)
        if n <= 0:
            return 0
        start = self.read % self.capacity
        first = min(n, self.capacity - start)
        out[:first] = self._buf[start:start + first]
        if n > first:
            out[first:n] = self._buf[:n - first]
        self.read += n
        return n
