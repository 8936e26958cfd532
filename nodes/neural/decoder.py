"""Latent frames → audio with a loaded model, one call at a time, on one thread.

Both decoders take ``frames`` latent vectors ``(n, latent_size)`` and return
``(n * ratio, channels)`` float32 audio at the model's rate, continuing the audio
of the previous call. They only ever call ``decode`` (never ``forward``, which
shares a streaming decoder's state, docs/architecture.md) with a batch of one.

The channels between ``latent_size`` and ``full_latent_size`` are filled here, so
the model never draws them itself: ``zeros`` for a deterministic decoder, ``noise``
(standard normal times a scale, from a seeded generator) for RAVE's own behaviour.

- :class:`StreamingDecoder`, for streaming exports (cached convolutions): each
  call continues from the last, so frames are decoded in order and that is all.
- :class:`ContextDecoder`, for non-streaming exports, which click at every chunk
  boundary when decoded chunk by chunk (docs/architecture.md): each call decodes the
  previous ``LEFT_CONTEXT`` frames again before the new ones, so the new audio
  starts from the right history, plus the newest latent held for ``RIGHT_CONTEXT``
  more frames. The audio decoded past the new frames (a guess: it assumes the latent
  holds) is kept and crossfaded, over ``ratio // 4`` samples with a raised cosine,
  into the start of the next call's audio, so whatever the model does at its edges
  no boundary is discontinuous. The price: ``LEFT_CONTEXT + RIGHT_CONTEXT`` more
  frames decoded per call.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .model import WARMUP_CALLS, LoadedModel, decode

LEFT_CONTEXT = 2
RIGHT_CONTEXT = 1
NOISE_SEED = 0


class FrameDecoder(ABC):
    """What both decoders share: the model, and filling the latent to full width."""

    def __init__(self, loaded: LoadedModel) -> None:
        self.info = loaded.info
        self.module = loaded.module
        self.width = self.info.full_latent_size if self.info.takes_full_latent \
            else self.info.latent_size
        self._rng = np.random.default_rng(NOISE_SEED)

    def latents(self, frames: np.ndarray, fill: str, noise_scale: float) -> np.ndarray:
        """``frames`` (n, latent_size) as the model's input (width, n), filled."""
        n, latent_size = len(frames), self.info.latent_size
        z = np.zeros((self.width, n), np.float32)
        z[:latent_size] = frames.T
        if fill == "noise" and self.width > latent_size:
            z[latent_size:] = noise_scale * self._rng.standard_normal((self.width - latent_size, n))
        return z

    @abstractmethod
    def decode(self, frames: np.ndarray, fill: str = "zeros",
               noise_scale: float = 1.0) -> np.ndarray:
        """Audio (n * ratio, channels) for ``frames`` (n, latent_size)."""

    def warm_up(self, n: int) -> None:
        """Decode zero latents ``n`` frames at a time, as often as TorchScript needs
        to optimize the call for that shape, so that the first calls that are heard
        run at full speed (the profiling executor specializes a method on its first
        calls; those take many times longer)."""
        zeros = np.zeros((n, self.info.latent_size), np.float32)
        for _ in range(WARMUP_CALLS):
            self.decode(zeros)


class StreamingDecoder(FrameDecoder):
    """Streaming exports: every call continues the model's own state."""

    def decode(self, frames: np.ndarray, fill: str = "zeros",
               noise_scale: float = 1.0) -> np.ndarray:
        return decode(self.module, self.latents(frames, fill, noise_scale)).T


class ContextDecoder(FrameDecoder):
    """Non-streaming exports: context before, a held frame after, crossfade between."""

    def __init__(self, loaded: LoadedModel) -> None:
        super().__init__(loaded)
        ratio = self.info.ratio
        self.crossfade = max(1, ratio // 4)
        ramp = (np.arange(self.crossfade, dtype=np.float32) + 0.5) / self.crossfade
        self._fade_in = (0.5 - 0.5 * np.cos(np.pi * ramp))[:, None].astype(np.float32)
        self._history = np.zeros((self.width, LEFT_CONTEXT), np.float32)
        self._tail: np.ndarray | None = None

    def decode(self, frames: np.ndarray, fill: str = "zeros",
               noise_scale: float = 1.0) -> np.ndarray:
        ratio, n = self.info.ratio, len(frames)
        z = self.latents(frames, fill, noise_scale)
        held = np.repeat(z[:, -1:], RIGHT_CONTEXT, axis=1)
        window = np.concatenate([self._history, z, held], axis=1)
        audio = decode(self.module, window).T
        start, end = LEFT_CONTEXT * ratio, (LEFT_CONTEXT + n) * ratio
        new = np.array(audio[start:end], np.float32)
        if self._tail is not None:
            head = new[:self.crossfade]
            head += (self._tail - head) * (1.0 - self._fade_in)
        self._tail = np.array(audio[end:end + self.crossfade], np.float32)
        self._history = window[:, n:n + LEFT_CONTEXT].copy()
        return new


def make_decoder(loaded: LoadedModel) -> FrameDecoder:
    """The decoder that suits the model: streaming or with context and crossfade."""
    return StreamingDecoder(loaded) if loaded.info.streaming else ContextDecoder(loaded)
