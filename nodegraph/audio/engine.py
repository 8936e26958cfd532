"""The audio engine: renders the DSP chain into the outputs, in real time or offline.

**Graph rate and block.** One sample rate for the whole chain: the first output
with a rate of its own (a device's rate, or an ``audio-out`` with an explicit
``sample_rate``), else the first source's native rate (``signal_rate()``: a
model's rate), else 48 kHz. Sources resample to it; sinks adapt channels. The block
is the first output's block size (256 frames unless set; offline, at least 2048).

**Real time.** One worker thread renders the chain one block at a time and writes
each sink's block to its output ring; the outputs' consumers (PortAudio callbacks)
only copy. The worker keeps each ring *just* ahead of its consumer: it renders the
next block when the ring would otherwise run dry within the *horizon*, which is the
output's ``safety_s`` plus the longest render of the last few seconds, with a
quarter more for headroom (a block that decodes a latent frame costs far more than
one that does not, and decode times wander). A render counts from when its block
fell due: a worker that wakes late (a busy CPU, the GIL held by another thread) adds
that delay, so the horizon covers late wake-ups as it covers slow renders. It then sleeps
until the next block falls due. So a latent is sampled about one horizon before the
callback that plays its first frame: the ring's look-ahead is latency, and here it
is only as long as rendering needs (docs/architecture.md: sources never wait on audio; the
callback never waits on anything). With no output at all, a silent
:class:`~nodegraph.audio.outputs.ClockOutput` paces the chain on the wall clock.

The worker asks for real-time scheduling (SCHED_FIFO, below JACK's own threads)
where the system allows it: on a busy machine a normal thread can wake several
milliseconds late, which a margin of one or two milliseconds cannot absorb. While it
runs it also holds ``sys.setswitchinterval`` at 1 ms: the callback needs the GIL every
block, and Python's default 5 ms slice would let any busy thread keep it from the
callback for a whole JACK period.

**Offline.** No worker and no devices: :meth:`AudioEngine.render_until` renders on
the calling thread (the control thread of ``Engine.run_offline``) until the chain
has rendered up to the virtual clock, block by block, so audio and control advance
in lockstep, deterministically and as fast as the CPU allows: before each block the
control graph runs up to the block's start, and a source that reads control input
in the middle of a block (a decoder at a latent frame boundary) first brings it up
to that frame's time (:meth:`AudioEngine.catch_up`), so the render is exact whatever
the block size. Offline blocks are at least ``OFFLINE_BLOCK`` frames: nothing waits
on them, and the per-block cost of the chain (microseconds of Python) would
otherwise rival a small model's decode.

**Edits.** A rebuilt chain is handed to the worker through a single-slot hand-off:
:meth:`install` (control thread) stores ``(chain, generation)`` in one attribute and
returns at once, never waiting on the worker (a stuck or dead worker included). The
worker looks at the slot before each block and adopts a chain newer than its own
between two blocks (preparing nodes it has not prepared yet); a chain replaced in the
slot before the worker looked is simply never played, as a slider's intermediate
positions are not. Adoption is confirmed asynchronously: the worker then records the
generation (:meth:`adopted` says whether a generation is in use or superseded) and
calls ``on_adopted``. A node removed from the chain may be rendered until then, so
whoever closes it waits for that (the engine closes it on a later control tick).
With no worker running (before ``start``, after ``stop``, a worker that died,
offline) a chain is current as soon as it is installed, so offline renders stay in
lockstep and deterministic.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .chain import SignalChain
from .device import DeviceError, DeviceOutput, NoDevice
from .latency import LatencyMeter
from .outputs import ClockOutput, OfflineOutput, Output
from .wav import WavWriter, check_writable

log = logging.getLogger("nodegraph.audio")

DEFAULT_RATE = 48000
DEFAULT_BLOCK = 256
#: how long before a device needs a block it is rendered, beyond the render time
DEFAULT_SAFETY_MS = 1.5
#: offline renders use blocks of at least this many frames
OFFLINE_BLOCK = 2048
#: safety margin of the silent clock output that paces a chain without outputs
CLOCK_SAFETY_S = 0.005
#: blocks in the ring before the consumers start, at least (and the horizon's worth)
PREFILL_BLOCKS = 2
#: renders whose longest duration sets the horizon (about 3 s of 256-frame blocks)
RENDER_WINDOW = 512
#: headroom on that longest render (decode times wander by a fifth or so)
RENDER_HEADROOM = 1.25
#: the worker never sleeps longer than this (it must notice new chains and stop)
MAX_SLEEP_S = 0.005
SWITCH_INTERVAL_S = 0.001
#: SCHED_FIFO priority of the audio worker, below JACK's own threads (10 and up)
WORKER_PRIORITY = 5


class AudioEngine:
    """Renders a :class:`SignalChain` into :class:`Output` s; see the module docstring."""

    def __init__(self, offline: bool) -> None:
        self.offline = offline
        self.chain = SignalChain((), lambda *_: None)
        self.outputs: tuple[Output, ...] = ()
        self.sr: int | None = None
        self.block = DEFAULT_BLOCK
        #: frames rendered so far (the chain's stream position)
        self.position = 0
        self.latency = LatencyMeter()
        self.recorder: WavWriter | None = None
        self._record_path: Path | None = None
        self._block_start = 0
        self._origin_t = 0.0
        #: offline: advances the control graph to a clock time (set by the engine)
        self.control_until: Callable[[float], None] | None = None
        self._prepared: weakref.WeakSet = weakref.WeakSet()
        self._stats: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._live = False
        self._pacer: Output | None = None
        self._render_times = [0.0] * RENDER_WINDOW
        self._renders = 0
        #: the hand-off slot: the newest installed (chain, generation); written by
        #: the control thread only, read by the worker (one attribute: atomic)
        self._pending: tuple[SignalChain, int] | None = None
        #: generation of the newest chain installed (control thread)
        self._installed = 0
        #: generation of the chain in use (written by whoever renders)
        self._adopted_gen = 0
        #: called on the audio worker right after it adopted a chain; must not block
        #: (the engine posts a call to the control thread)
        self.on_adopted: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._switch_interval: float | None = None
        #: whether the worker got real-time scheduling (None: not started)
        self.realtime_priority: bool | None = None

    # -- outputs ------------------------------------------------------------------------------

    def open_output(self, owner: str, device: str, sample_rate: int, block: int, channels: int,
                    safety_ms: float) -> Output:
        """An output for sink ``owner``: the device asked for, a silent clock output
        when there is no device (with a warning), or an offline one. While the
        engine runs, a new output takes the running graph rate."""
        sample_rate = self.sr or sample_rate
        safety_s = safety_ms / 1000.0
        if self.offline:
            output: Output = OfflineOutput(sample_rate, block, channels or 2, safety_s)
        else:
            try:
                output = DeviceOutput(device, sample_rate, block, channels, safety_s)
            except NoDevice as exc:
                log.warning("%s: %s; playing silently in real time (--out FILE.wav records). "
                            "Start a sound server (e.g. JACK) or connect a device to hear it.",
                            owner, exc)
                output = ClockOutput(sample_rate, block, channels or 2, safety_s)
            except DeviceError as exc:
                raise DeviceError(f"{owner}: {exc}") from None
        output.on_close(self._forget_output)
        self._add_output(output)
        return output

    def _add_output(self, output: Output) -> None:
        self.outputs = (*self.outputs, output)
        if self._thread is not None:  # joining a running engine
            output.sr = output.sr or self.sr
            output.origin = self.position
            output.counting = True
            output.start()

    def _forget_output(self, output: Output) -> None:
        self.outputs = tuple(o for o in self.outputs if o is not output)
        if self._thread is not None and not self.outputs:  # something must pace the chain
            self._add_output(ClockOutput(self.sr, self.block, 1, CLOCK_SAFETY_S))
        if self._pacer is output:
            self._pacer = self.outputs[0] if self.outputs else None

    def record(self, path: str | Path) -> None:
        """Also write what the first output plays to a WAV file (``--out``); call
        after the nodes opened, before starting. Raises ValueError or OSError."""
        if not self.outputs:
            raise ValueError("no audio output is open (the patch has no audio-out, or it "
                             "failed to open): nothing to record")
        self._record_path = Path(path)
        check_writable(self._record_path)

    # -- the chain -----------------------------------------------------------------------------

    def install(self, chain: SignalChain) -> int:
        """Make ``chain`` current; returns its generation (see :meth:`adopted`). Control
        thread (or before it starts); never waits on the worker: with the worker
        running the chain is left in the hand-off slot for it to adopt at its next
        block; otherwise it is current at once (a live patch that gets its first
        signal nodes starts the worker)."""
        self._keep_stats(chain)
        self._installed += 1
        generation = self._installed
        if self._worker_alive():
            self._pending = (chain, generation)  # one store: the worker sees all or none
            return generation
        self._pending = None
        self.chain = chain
        self._adopted_gen = generation
        if self._thread is None:
            if self._live:
                self.start()
            elif self.sr is not None:  # offline, already started
                self._prepare_new(chain)
        return generation

    def adopted(self, generation: int) -> bool:
        """Whether the chain of ``generation`` (or a newer one) is the one rendered, so
        a node left out of it is rendered no more: true once the worker adopted it,
        and at once when no worker runs (one that died included). Any thread."""
        return self._adopted_gen >= generation or not self._worker_alive()

    def _worker_alive(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def _keep_stats(self, chain: SignalChain) -> None:
        for step in chain.steps:
            step.stats = self._stats.setdefault(step.node, step.stats)

    def _prepare_new(self, chain: SignalChain) -> None:
        for step in chain.steps:
            if step.node not in self._prepared:
                self._prepared.add(step.node)
                chain.prepare(step, self.sr, self.block)

    def _choose_rate(self) -> None:
        fixed = next((o for o in self.outputs if o.sr), None)
        if fixed is not None:
            self.sr = fixed.sr
        else:
            native = (step.node.signal_rate() for step in self.chain.steps)
            self.sr = int(next((sr for sr in native if sr), DEFAULT_RATE))
        if self.outputs:
            self.block = self.outputs[0].block
        if self.offline:  # no latency to keep low: fewer, longer blocks render faster
            self.block = max(self.block, OFFLINE_BLOCK)
        for output in self.outputs:
            output.sr = output.sr or self.sr
            if output.sr != self.sr:
                log.warning("output on %s runs at %d Hz, the graph at %d Hz: it will drift",
                            output.device, output.sr, self.sr)
        if self._record_path is not None:
            self.recorder = WavWriter(self._record_path, self.sr)
            first = self.outputs[0]
            first.taps = (*first.taps, self.recorder.write)

    @property
    def active(self) -> bool:
        """True when there is anything to render."""
        return bool(self.chain.steps)

    # -- offline ---------------------------------------------------------------------------------

    def start_offline(self, now: float) -> None:
        """Offline: pick the rate and prepare the chain on the calling thread; the
        chain's frame 0 is clock time ``now`` (the first call's)."""
        if self.sr is None:
            self._origin_t = now
            self._choose_rate()
            self._prepare_new(self.chain)

    def render_until(self, t: float, final: bool = False) -> None:
        """Offline: render whole blocks up to clock time ``t``; with ``final``, a
        last shorter block too, so exactly ``round((t - start) * sr)`` frames exist."""
        if not self.active:
            return
        target = round((t - self._origin_t) * self.sr)
        while self.position + self.block <= target:
            self._render(self.block)
        if final and self.position < target:
            self._render(target - self.position)

    # -- real time -------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker (real time), now or once the chain gets signal nodes."""
        self._live = True
        if self._thread is not None or not self.active:
            return
        if self.sr is None:
            self._choose_rate()
        if not self.outputs:
            self.outputs = (ClockOutput(self.sr, self.block, 1, CLOCK_SAFETY_S),)
        self._pacer = self.outputs[0]
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL_S))
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="nodegraph-audio", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker and the outputs' consumers; figures are kept."""
        self._live = False
        thread = self._thread
        if thread is None:
            return
        for output in self.outputs:
            output.counting = False
        self._stopping = True
        thread.join()
        self._thread = None
        self._adopt_pending()  # what a worker that died never took is current now
        for output in self.outputs:
            output.stop()
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)
            self._switch_interval = None

    def close(self) -> None:
        """Stop, then finish the recording (the nodes close their own outputs)."""
        self.stop()
        if self.recorder is not None:
            self.recorder.close()

    def _run(self) -> None:
        try:
            self._play()
        except Exception:  # a bug here must not pass silently
            log.exception("the audio worker stopped")

    def _play(self) -> None:
        self.realtime_priority = _raise_priority()
        self._prepare_new(self.chain)
        # fill the rings as far as the horizon asks: a device may take several blocks
        # at once when it starts (PortAudio on a JACK period longer than the block)
        while any(o.ring.fill < PREFILL_BLOCKS * o.block for o in self.outputs) or (
                self._due() <= time.perf_counter()
                and all(o.ring.space >= self.block for o in self.outputs)):
            self._render(self.block)
        for output in self.outputs:
            output.counting = True
            output.start()
        sleep, clock = time.sleep, time.perf_counter
        slept = False
        while not self._stopping:
            pending = self._pending
            if pending is not None and pending[1] > self._adopted_gen:
                self._adopt(*pending)
            wait = self._due() - clock()
            if wait > 0:
                sleep(min(wait, MAX_SLEEP_S))
                slept = True
                continue
            # a worker that woke past due (a busy CPU, the GIL held elsewhere) counts
            # the delay as render time: the horizon then covers it too
            self._render(self.block, late=-wait if slept else 0.0)
            slept = False
            if self._pacer is not None:
                self.latency.update(self._pacer)
        pending = self._pending
        if pending is not None and pending[1] > self._adopted_gen:
            self._adopt(*pending)

    def _adopt(self, chain: SignalChain, generation: int) -> None:
        """Worker, between two blocks: render ``chain`` from the next block on."""
        self._prepare_new(chain)
        self.chain = chain
        self._adopted_gen = generation
        callback = self.on_adopted
        if callback is not None:
            try:
                callback()
            except Exception:
                log.exception("on_adopted failed")

    def _adopt_pending(self) -> None:
        """No worker runs: make the newest installed chain current (calling thread)."""
        pending, self._pending = self._pending, None
        if pending is not None and pending[1] > self._adopted_gen:
            self.chain, self._adopted_gen = pending

    def _due(self) -> float:
        """When the next block must be rendered: one horizon before the first
        output would find its ring short."""
        now = time.perf_counter()
        due = float("inf")
        for output in self.outputs:
            period = output.block / output.sr
            next_drain = max(output.last_drain + period, now) if output.drained else now
            starve = next_drain + (output.ring.fill // output.block) * period
            due = min(due, starve - output.safety_s)
        return due - RENDER_HEADROOM * max(self._render_times)

    def _render(self, frames: int, late: float = 0.0) -> None:
        """Render one block; ``late``: seconds the worker woke past the block's due
        time, counted with the render's own time for the horizon."""
        start = time.perf_counter()
        self._block_start = self.position
        self.chain.render(frames)
        self.position += frames
        for output in self.outputs:  # a sink that wrote nothing (muted) leaves silence
            missing = self.position - output.origin - output.frames_written
            if missing > 0:
                output.write(np.zeros((missing, output.channels), np.float32))
        self._render_times[self._renders % RENDER_WINDOW] = time.perf_counter() - start + late
        self._renders += 1

    def mark(self, offset: int, t: float, source: str = "") -> None:
        """A ``source`` node's event ``t`` first sounds ``offset`` frames into the
        current block."""
        if self._pacer is not None:
            self.latency.mark(self._block_start + offset, t, source)

    def catch_up(self, offset: int) -> None:
        """Offline: run the control graph up to the time of frame ``offset`` of the
        current block (never backwards). Live: nothing to do."""
        t = self.frame_time(offset)
        if t is not None:
            self.control_until(t)

    def frame_time(self, offset: int) -> float | None:
        """Offline: the clock time of frame ``offset`` of the current block. Live: None
        (frames are rendered ahead of their time; whatever has arrived is due)."""
        if self.control_until is None:
            return None
        return self._origin_t + (self._block_start + offset) / self.sr

    # -- figures ---------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """The run report's "audio" section (the decoder adds its own figures)."""
        if not self.active and not self.outputs:
            return {}
        pacer = self._pacer or (self.outputs[0] if self.outputs else None)
        outputs = [o for o in self.outputs if o.kind != "offline"]
        report: dict[str, Any] = {
            "sr": self.sr, "block": self.block,
            "seconds_out": round(self.position / self.sr, 3) if self.sr else 0.0,
            "underruns": sum(o.underruns for o in outputs),
            "xruns": sum(o.xruns for o in outputs),
            "ring_min": min((o.ring_min for o in outputs if o.ring_min is not None),
                            default=None),
            "ring_fill": pacer.ring.fill if pacer is not None and pacer.kind != "offline"
            else None,
            "latency_ms": self.latency.summary(),
            "device": pacer.device if pacer is not None else None,
            "output": pacer.kind if pacer is not None else None,
            "cpu_load": None if pacer is None or pacer.cpu_load is None
            else round(pacer.cpu_load, 4),
            "render_ms_max": round(1000 * max(self._render_times), 3),
            "realtime_priority": self.realtime_priority,
        }
        if self.recorder is not None:
            report["recorded"] = {"path": str(self.recorder.path), "frames": self.recorder.frames,
                                  "error": self.recorder.error}
        return report


def _raise_priority() -> bool:
    """Run the calling thread with real-time scheduling if the system allows it."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(WORKER_PRIORITY))
    except (AttributeError, OSError) as exc:  # not Linux, or no rtprio allowance
        log.info("the audio worker runs without real-time priority (%s); if the report "
                 "shows underruns, raise audio-out's safety_ms", exc)
        return False
    return True
