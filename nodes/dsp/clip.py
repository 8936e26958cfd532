"""Audio files as clips in memory (soundfile: WAV, FLAC, OGG, MP3, AIFF...).

The same library and formats as latent-explorer's points from sound
(``nodes/iml/sound.py``), so any file one of them reads the other reads too. A clip
is read whole, on the thread that asks (a node's ``open``, or a loader thread), never
on the audio worker: 1 minute of 48 kHz stereo is 23 MB of float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nodegraph.api import regular_file

#: Larger audio files are refused unread (an hour of 48 kHz stereo WAV is 1.3 GiB).
MAX_AUDIO_BYTES = 2 * 2**30


@dataclass(frozen=True, eq=False)
class Clip:
    """A whole audio file: ``data`` (frames, channels) float32 at ``sr`` Hz."""

    path: Path
    data: np.ndarray
    sr: int

    @property
    def frames(self) -> int:
        return len(self.data)

    @property
    def channels(self) -> int:
        return self.data.shape[1]

    @property
    def seconds(self) -> float:
        return self.frames / self.sr


def check_audio_file(path: Path) -> None:
    """Raise ValueError saying what is wrong unless ``path`` is an audio file with
    audio in it (reads the header only)."""
    import soundfile

    regular_file(path, "audio", MAX_AUDIO_BYTES)
    try:
        info = soundfile.info(str(path))
    except RuntimeError as exc:  # soundfile.LibsndfileError
        raise ValueError(f"{path} is not an audio file soundfile can read (WAV, FLAC, OGG, "
                         f"MP3, AIFF...): {exc}") from None
    if info.frames == 0:
        raise ValueError(f"{path} holds no audio (0 frames)")


def load_clip(path: Path) -> Clip:
    """Read a whole file; ValueError (as :func:`check_audio_file`) if it cannot be."""
    import soundfile

    check_audio_file(path)
    data, sr = soundfile.read(str(path), dtype="float32", always_2d=True)
    if not np.isfinite(data).all():
        raise ValueError(f"{path} holds NaN or infinite samples")
    return Clip(path, np.ascontiguousarray(data), int(sr))
