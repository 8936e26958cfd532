"""Playing a clip at the graph rate: loop or one-shot, start, stop and seek without clicks.

:class:`ClipPlayer` runs on the audio worker. It streams the clip through a soxr
stream resampler (:mod:`nodegraph.audio.resample`) into a small queue and takes
each render's frames from there, so the resampler sees one continuous signal,
across the loop point too. Nothing here reads a file or waits.

Transport changes never cut the waveform: ``stop`` fades out over
:data:`FADE_MS` before the player goes quiet, ``start`` fades in, and a seek (or a
new clip) while sounding fades out, jumps, and fades back in.
"""

from __future__ import annotations

import math

import numpy as np

from nodegraph.api import AudioRing, Resampler

from .clip import Clip
from .control import CONTROL_PERIOD, Glide, ramp_samples

FADE_MS = 5.0
#: Clip frames fed to the resampler at least per pull.
MIN_CHUNK = 64
#: Zeros fed after a one-shot's last frame, so the resampler lets its tail out.
FLUSH_FRAMES = 64


class ClipPlayer:
    """Plays one clip at ``sr``; see the module docstring. Audio thread only, except
    the read-only attributes ``playing``, ``loops``."""

    def __init__(self, clip: Clip, sr: int, loop: bool) -> None:
        self.sr = sr
        self.loop = loop
        self.playing = False
        #: times the clip reached its end (loops wrapped, one-shots finished)
        self.loops = 0
        self._fade = ramp_samples(FADE_MS, sr)
        self._envelope = Glide(np.zeros(1))
        self._gain = np.zeros((CONTROL_PERIOD, 1), np.float32)
        self._pending: tuple[Clip, int] | None = None
        self._load(clip, 0)

    # -- transport (audio thread, between segments) ------------------------------------------

    @property
    def sounding(self) -> bool:
        return self._envelope.left > 0 or self._envelope.value[0] > 0.0

    @property
    def seconds(self) -> float:
        """Where playback is in the clip, in seconds (what is heard next)."""
        heard = self._fed - self._queue.fill * self.clip.sr / self.sr
        frames = self.clip.frames
        return (heard % frames if self.loop else min(max(heard, 0.0), frames)) / self.clip.sr

    def start(self) -> None:
        """Play from the current position (from the start after a one-shot ended)."""
        if self._position >= self.clip.frames and self._pending is None:
            self._jump(self.clip, 0)
        self.playing = True
        if self._pending is None:
            self._envelope.retarget(np.ones(1), self._fade)

    def stop(self) -> None:
        """Fade out and stay where playback was."""
        self.playing = False
        self._envelope.retarget(np.zeros(1), self._fade)

    def seek(self, seconds: float) -> None:
        """Go to ``seconds`` into the clip (clamped to it), fading if sounding."""
        self.replace(self.clip, seconds)

    def replace(self, clip: Clip, seconds: float = 0.0) -> None:
        """Play ``clip`` from ``seconds`` instead, fading if sounding."""
        frame = min(max(0, round(seconds * clip.sr)), clip.frames)
        if self.sounding:
            self._pending = (clip, frame)
            self._envelope.retarget(np.zeros(1), self._fade)
        else:
            self._jump(clip, frame)

    # -- rendering ------------------------------------------------------------------------------

    def render(self, out: np.ndarray) -> int:
        """Fill ``out`` (n ≤ CONTROL_PERIOD frames, the clip's channels); returns how
        many times the clip ended during these frames."""
        ends, done, envelope = self.loops, 0, self._envelope
        while done < len(out):
            if not self.sounding:
                out[done:] = 0.0
                break
            n = len(out) - done
            if envelope.target[0] == 0.0:  # fading out: up to the end of the fade
                n = min(n, envelope.left)
            self._play(out[done:done + n])
            done += n
            if not self.sounding:  # faded out: jump, and come back if still playing
                if self._pending is not None:
                    self._jump(*self._pending)
                if self.playing:
                    envelope.retarget(np.ones(1), self._fade)
        return self.loops - ends

    def _play(self, out: np.ndarray) -> None:
        got = self._pull(len(out))
        self._queue.read_into(out[:got])
        out[got:] = 0.0
        gain = self._gain[:len(out)]
        self._envelope.fill(gain)
        out *= gain
        if got < len(out) and self._position >= self.clip.frames and not self.loop:
            self.playing = False  # a one-shot played out
            self._envelope.retarget(np.zeros(1), 0)

    def _pull(self, n: int) -> int:
        """Fill the queue to ``n`` frames if the clip has them; returns the frames ready."""
        queue = self._queue
        while queue.fill < n:
            want = max(MIN_CHUNK, math.ceil((n - queue.fill) * self.clip.sr / self.sr) + 1)
            chunk = self._read(min(want, len(self._scratch)))
            if chunk is None:
                break
            queue.write(self._resampler.process(chunk))
        return min(n, queue.fill)

    def _read(self, count: int) -> np.ndarray | None:
        """The next ``count`` clip frames (wrapping when looping; a one-shot's last
        read ends with FLUSH_FRAMES zeros); None once a one-shot is used up."""
        data, frames = self.clip.data, self.clip.frames
        if self._position >= frames and not self.loop:
            if self._flushed:
                return None
            self._flushed = True
            self.loops += 1
            self._scratch[:FLUSH_FRAMES] = 0.0
            return self._scratch[:FLUSH_FRAMES]
        filled = 0
        while filled < count:
            if self._position >= frames:
                if not self.loop:
                    break
                self._position = 0
                self.loops += 1
            n = min(count - filled, frames - self._position)
            self._scratch[filled:filled + n] = data[self._position:self._position + n]
            self._position += n
            filled += n
        self._fed += filled
        return self._scratch[:filled]

    def _jump(self, clip: Clip, frame: int) -> None:
        self._pending = None
        if clip is not self.clip:
            self._load(clip, frame)
            return
        self._position = self._fed = frame
        self._flushed = False
        self._queue.read = self._queue.written  # this thread is its only reader and writer
        self._resampler = Resampler(clip.sr, self.sr, clip.channels)

    def _load(self, clip: Clip, frame: int) -> None:
        self.clip = clip
        ratio = clip.sr / self.sr
        chunk = max(MIN_CHUNK, math.ceil(CONTROL_PERIOD * ratio) + 1, FLUSH_FRAMES)
        self._scratch = np.zeros((chunk, clip.channels), np.float32)
        # a pull leaves at most CONTROL_PERIOD frames plus one chunk's worth queued
        self._queue = AudioRing(CONTROL_PERIOD + math.ceil(chunk / ratio) + 4096,
                                clip.channels)
        self._position = self._fed = frame
        self._flushed = False
        self._resampler = Resampler(clip.sr, self.sr, clip.channels)
