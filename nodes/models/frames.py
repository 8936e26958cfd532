"""Training frames: encoder features and analysis targets of every clip, and random segments.

For each clip (audio at ``SR``, see :mod:`nodes.models.recordings`), frame t gets:

* the raw encoder features (:meth:`Features.raw` of the window ending at the frame's end);
* analysis targets at the position its latent describes, sample ``(t + 1) * HOP - DELAY`` (the
  decoder's anchor t is heard there, ``DELAY`` samples late): YIN f0 and aperiodicity over a
  ``PITCH_WINDOW`` centred on it, and a voicing flag — aperiodicity below ``VOICED_APERIODICITY``
  and level within ``VOICED_RANGE_DB`` of the clip's loudest frame.

Clips shorter than a training segment are padded with silence (one-shot sounds end in it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from nodes.models import dsp
from nodes.models.model import DELAY, PITCH_WINDOW, Features, analysis_windows
from nodes.models.recordings import Clip

VOICED_APERIODICITY = 0.2
VOICED_RANGE_DB = 40.0
CHUNK_FRAMES = 4096


@dataclass
class Frames:
    """Every frame of a set of clips, concatenated: raw features ``(N, F)``, targets ``f0`` Hz,
    ``aperiodicity`` and ``voiced`` ``(N,)``, the clips' audio ``(N * HOP,)`` and each clip's
    first frame and length in frames."""

    features: np.ndarray
    f0: np.ndarray
    aperiodicity: np.ndarray
    voiced: np.ndarray
    audio: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray


def _in_chunks(fn, windows: Tensor) -> list[Tensor]:
    return [fn(windows[:, i: i + CHUNK_FRAMES]) for i in range(0, windows.shape[1], CHUNK_FRAMES)]


def analyse(clips: list[Clip], features: Features, min_frames: int) -> Frames:
    """Frame every clip (padded with silence to at least ``min_frames`` frames of
    ``features.hop`` samples)."""
    hop = features.hop
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("features", "f0", "aperiodicity",
                                                          "voiced", "audio")}
    lengths = []
    with torch.no_grad():
        for clip in clips:
            n = max(len(clip.audio) // hop, min_frames)
            audio = np.zeros(n * hop, dtype=np.float32)
            audio[: min(len(clip.audio), n * hop)] = clip.audio[: n * hop]
            x = torch.from_numpy(audio)[None]
            raw = torch.cat(_in_chunks(features.raw, analysis_windows(x, hop)), dim=1)[0]
            # Windows centred on (t + 1) * HOP - DELAY end half a window later.
            shifted = torch.nn.functional.pad(x, (0, PITCH_WINDOW // 2 - DELAY))[:, PITCH_WINDOW // 2 - DELAY:]
            centred = analysis_windows(shifted, hop)
            pitch = [dsp.yin(w) for w in torch.split(centred, CHUNK_FRAMES, dim=1)]
            f0 = torch.cat([p[0] for p in pitch], dim=1)[0].numpy()
            aper = torch.cat([p[1] for p in pitch], dim=1)[0].numpy()
            level = 10 * np.log10((centred[0, :, -PITCH_WINDOW // 2 - 512: -PITCH_WINDOW // 2 + 512]
                                   .double() ** 2).mean(-1).numpy() + 1e-20)
            voiced = (aper < VOICED_APERIODICITY) & (level > level.max() - VOICED_RANGE_DB)
            for key, value in (("features", raw.numpy()), ("f0", f0), ("aperiodicity", aper),
                               ("voiced", voiced), ("audio", audio)):
                parts[key].append(value)
            lengths.append(n)
    lengths_arr = np.array(lengths)
    return Frames(**{k: np.concatenate(v) for k, v in parts.items()},
                  starts=np.concatenate([[0], np.cumsum(lengths_arr)[:-1]]), lengths=lengths_arr)


class Segments:
    """Random training segments of ``n`` frames, drawn by a seeded generator.

    A segment starting at clip frame ``s`` (``s >= 1``) feeds the latents of frames ``s .. s +
    n - 1`` to the decoder; decoded frame 0 only primes the synthesiser, and frames 1 .. n-1 are
    compared with the clip's samples ``(s + 1) * HOP - DELAY .. (s + n) * HOP - DELAY``.
    """

    def __init__(self, frames: Frames, n: int, hop: int, seed: int) -> None:
        self.frames = frames
        self.n = n
        self.hop = hop
        self.rng = np.random.default_rng(seed)
        self.valid = np.concatenate([frames.starts[i] + np.arange(1, frames.lengths[i] - n + 1)
                                     for i in range(len(frames.starts))])

    def sample(self, batch: int) -> dict[str, Tensor]:
        s = self.rng.choice(self.valid, batch)
        frame_idx = s[:, None] + np.arange(self.n)
        first = (s + 1) * self.hop - DELAY
        audio_idx = first[:, None] + np.arange((self.n - 1) * self.hop)
        f = self.frames
        return {
            "features": torch.from_numpy(f.features[frame_idx]),
            "f0": torch.from_numpy(f.f0[frame_idx]),
            "voiced": torch.from_numpy(f.voiced[frame_idx]),
            "audio": torch.from_numpy(f.audio[audio_idx]),
            "phase": torch.from_numpy(self.rng.random(batch).astype(np.float32)),
            "grain": torch.from_numpy(self.rng.integers(0, 2 ** 24, batch)),
        }

    def state(self) -> dict:
        return self.rng.bit_generator.state

    def restore(self, state: dict) -> None:
        self.rng.bit_generator.state = state
