"""Outputs: where sink nodes put audio, and what drains it.

An :class:`Output` is a preallocated ring between the audio worker (the writer, one
block per chain render) and a consumer that drains it one block at a time:

- a sound card: :class:`~nodegraph.audio.device.DeviceOutput`, drained by the
  PortAudio callback;
- :class:`ClockOutput`, when there is no device: a thread drains the ring on the
  wall clock, so the patch runs in real time, silently (``--out`` still records);
- :class:`OfflineOutput`, for offline renders: nothing drains; written audio only
  goes to the taps (recorders).

Whatever drains the ring does only what a device callback may do: copy out of the
ring, zero-fill and count an underrun when it is short, and note three numbers about
the block (ring position, frames, DAC time) in a preallocated table that the worker
reads to compute latency and to pace itself (:mod:`nodegraph.audio.engine`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from .chain import fit_channels
from .limiter import soft_limit
from .ring import AudioRing

#: Ring capacity in frames: far more than the worker ever keeps ahead (a few blocks).
RING_FRAMES = 1 << 16
#: Rows in the table of drained blocks (2.7 s of 256-frame blocks at 48 kHz).
TIMING_ROWS = 512

Tap = Callable[[np.ndarray], None]


class Output:
    """A ring drained block by block; see the module docstring.

    ``sr`` may be 0 until the audio engine picks the graph rate (outputs without a
    device take it). ``safety_s`` is how long before the consumer needs a block the
    worker renders it, on top of its measured render time (audio-out's
    ``safety_ms``). Counters are written by the consumer thread and read anywhere.
    """

    kind = "output"

    def __init__(self, sr: int, block: int, channels: int, safety_s: float,
                 device: str | None = None) -> None:
        self.sr = sr
        self.block = block
        self.channels = channels
        self.safety_s = safety_s
        self.device = device
        self.ring = AudioRing(RING_FRAMES, channels)
        #: per drained block: ring position before the read, frames read, DAC time
        #: (engine clock seconds); row ``k % TIMING_ROWS`` for the k-th block
        self.timing = np.zeros((TIMING_ROWS, 3), np.float64)
        self.drained = 0
        self.last_drain = 0.0
        self.underruns = 0
        #: underflows the device itself reported (a late callback), not ring shortfalls
        self.xruns = 0
        self.ring_min: int | None = None
        #: whether shortfalls count as underruns (off while the engine starts/stops)
        self.counting = False
        #: chain position (frames) of the first frame written here
        self.origin = 0
        self.frames_written = 0
        self.taps: tuple[Tap, ...] = ()
        self._closed_callbacks: list[Callable[[Output], None]] = []

    # -- writer side (audio worker) ----------------------------------------------------

    def write(self, block: np.ndarray) -> None:
        """Queue ``block`` (frames, any channels) for the consumer, adapted to the
        output's channels (:func:`~nodegraph.audio.chain.fit_channels`; mono is
        simply broadcast into the ring); taps get the adapted block too. Everything
        passes the soft limiter first (:mod:`~nodegraph.audio.limiter`)."""
        block = soft_limit(block)
        if self.taps:
            block = fit_channels(block, self.channels)
            for tap in self.taps:
                tap(block)
        elif block.shape[1] not in (1, self.channels):
            block = fit_channels(block, self.channels)
        self.ring.write(block)
        self.frames_written += len(block)

    # -- consumer side ---------------------------------------------------------------------

    def _drain(self, out: np.ndarray, now: float, dac: float) -> None:
        """Fill ``out`` from the ring (zeros when short) and note the block. Runs on
        the consumer thread: no buffer allocated, no locks, no I/O."""
        ring = self.ring
        fill = ring.written - ring.read
        if self.counting and (self.ring_min is None or fill < self.ring_min):
            self.ring_min = fill
        position = ring.read
        n = ring.read_into(out)
        if n < len(out):
            out[n:] = 0.0
            if self.counting:
                self.underruns += 1
        row, timing = self.drained % TIMING_ROWS, self.timing
        timing[row, 0] = position
        timing[row, 1] = n
        timing[row, 2] = dac
        self.last_drain = now
        self.drained += 1

    # -- life cycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start draining (the engine calls this once the ring holds a few blocks)."""

    def stop(self) -> None:
        """Stop draining; the output can be started again."""

    def close(self) -> None:
        """Release the device; tell the engine this output is gone."""
        self.stop()
        for callback in self._closed_callbacks:
            callback(self)
        self._closed_callbacks.clear()

    def on_close(self, callback: Callable[[Output], None]) -> None:
        self._closed_callbacks.append(callback)

    @property
    def cpu_load(self) -> float | None:
        """The device's own load estimate (PortAudio), None without a device."""
        return None

    def report(self) -> dict[str, Any]:
        return {"device": self.device, "output": self.kind, "sr": self.sr,
                "block": self.block, "channels": self.channels,
                "underruns": self.underruns, "xruns": self.xruns, "ring_min": self.ring_min,
                "cpu_load": None if self.cpu_load is None else round(self.cpu_load, 4)}


class ClockOutput(Output):
    """No device: a thread drains one block every ``block / sr`` seconds of wall
    clock, and the block's scheduled time stands in for its DAC time."""

    kind = "clock"

    def __init__(self, sr: int, block: int, channels: int, safety_s: float) -> None:
        super().__init__(sr, block, channels, safety_s, device=None)
        self._thread: threading.Thread | None = None
        self._running = False

    def start(self) -> None:
        if self._thread is not None:
            return
        self._running = True
        self._thread = threading.Thread(target=self._run, name="nodegraph-clock-output",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._running = False
        thread.join()
        self._thread = None

    def _run(self) -> None:
        scratch = np.zeros((self.block, self.channels), np.float32)
        period = self.block / self.sr
        due = time.perf_counter()
        while self._running:
            now = time.perf_counter()
            if now < due:
                time.sleep(min(due - now, 0.005))
                continue
            if now - due > 0.5:  # the process was suspended: do not catch up in a burst
                due = now
            self._drain(scratch, now, due)
            due += period


class OfflineOutput(Output):
    """Offline renders: written audio goes to the taps only; nothing drains."""

    kind = "offline"

    def write(self, block: np.ndarray) -> None:
        block = soft_limit(block)  # the recording is what a device would have played
        if self.taps:
            block = fit_channels(block, self.channels)
            for tap in self.taps:
                tap(block)
        self.frames_written += len(block)
