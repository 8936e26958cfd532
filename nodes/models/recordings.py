"""A performer's recordings as training material: find, read, trim, cut and split.

:func:`gather` turns files and folders into :class:`Material`:

* every file under the given paths whose suffix soundfile can read (WAV, FLAC, OGG, MP3, AIFF,
  ...), in sorted order; a file that cannot be read, is empty, or holds no sound is *skipped*
  and listed with the reason, never fatal;
* each file is mixed to mono (mean of its channels), resampled to ``SR`` with soxr (mixed
  rates and channel counts are fine), and its silence trimmed: leading and trailing frames, and
  inner stretches longer than ``MAX_GAP_SECONDS``, below ``SILENCE_DB`` under the file's
  loudest frame (never above -70 dBFS absolute);
* the sound is cut into clips of at most ``CLIP_SECONDS``;
* the held-out split is made per file and seeded: a long file (``LONG_FILE_CLIPS`` clips or
  more) gives about ``HELD_OUT`` of its clips, each shorter file goes wholly to the held-out
  set with probability ``HELD_OUT``; at least one clip is held out when there are two or more.

Audio is float32 in [-1, 1] at ``SR`` Hz; nothing here keeps state or starts threads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
import soxr

from nodes.models.dsp import HOP, SR

CLIP_SECONDS = 3.0
SILENCE_DB = 50.0
SILENCE_FLOOR_DBFS = -70.0
MAX_GAP_SECONDS = 0.5
HELD_OUT = 0.1
LONG_FILE_CLIPS = 8
MIN_TRAIN_SECONDS = 4.0
RECOMMENDED_MINUTES = 10
AUDIO_SUFFIXES = frozenset("." + f.lower() for f in soundfile.available_formats()) | {".aif"}


class MaterialError(ValueError):
    """Recordings that cannot make a training set; the message says why and what to do."""


@dataclass
class Clip:
    """A piece of one recording: ``audio (N,)`` float32 at ``SR``, ``source`` the file it came
    from and ``start`` its position there in seconds (after trimming)."""

    source: Path
    start: float
    audio: np.ndarray

    @property
    def seconds(self) -> float:
        return len(self.audio) / SR


@dataclass
class Material:
    """Training and held-out clips, the files used (with their trimmed durations in seconds) and
    the files skipped (with the reason)."""

    train: list[Clip]
    held_out: list[Clip]
    files: dict[Path, float] = field(default_factory=dict)
    skipped: dict[Path, str] = field(default_factory=dict)

    @property
    def train_seconds(self) -> float:
        return sum(c.seconds for c in self.train)


def find_audio_files(paths: list[Path]) -> tuple[list[Path], dict[Path, str]]:
    """Audio files under ``paths`` (files or folders, searched recursively), sorted, and the
    other files met, each with the reason it is not used. A path that does not exist is an
    error."""
    files, skipped = [], {}
    for path in paths:
        if not path.exists():
            raise MaterialError(f"{path}: no such file or folder")
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for p in found:
            if p.suffix.lower() in AUDIO_SUFFIXES:
                files.append(p)
            else:
                skipped[p] = f"not an audio file (suffix {p.suffix or 'none'})"
    return files, skipped


def read_mono(path: Path) -> np.ndarray:
    """The file mixed to mono and resampled to ``SR``: float32 ``(N,)``. Raises
    ``soundfile.LibsndfileError``/``RuntimeError``/``ValueError`` for what cannot be read."""
    if not path.is_file():
        raise ValueError("not a regular file")
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1)
    if rate != SR:
        mono = soxr.resample(mono, rate, SR).astype(np.float32)
    if not np.isfinite(mono).all():
        raise ValueError("holds samples that are not finite numbers")
    return np.clip(mono, -1.0, 1.0)


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """``audio`` without its silent frames at either end and without inner silent stretches
    longer than ``MAX_GAP_SECONDS`` (shortened to that length). Empty if all of it is silent."""
    n = len(audio) // HOP
    if n == 0:
        return audio[:0]
    frames = audio[: n * HOP].reshape(n, HOP).astype(np.float64)
    level = 10.0 * np.log10((frames ** 2).mean(axis=1) + 1e-20)
    loud = level > max(level.max() - SILENCE_DB, SILENCE_FLOOR_DBFS)
    if not loud.any():
        return audio[:0]
    keep = loud.copy()
    gap = int(MAX_GAP_SECONDS * SR / HOP)
    run = 0
    for i in range(n):   # keep the first `gap` frames of every silent stretch
        run = 0 if loud[i] else run + 1
        keep[i] = loud[i] or run <= gap
    first, last = np.flatnonzero(loud)[[0, -1]]
    keep[:first] = False
    keep[last + 1:] = False
    return frames[keep].reshape(-1).astype(np.float32)


def cut(audio: np.ndarray, source: Path) -> list[Clip]:
    """``audio`` in clips of at most ``CLIP_SECONDS``; a last piece under half that joins the
    clip before it."""
    size = int(CLIP_SECONDS * SR)
    starts = list(range(0, len(audio), size))
    if len(starts) > 1 and len(audio) - starts[-1] < size // 2:
        starts.pop()
    ends = starts[1:] + [len(audio)]
    return [Clip(source, s / SR, audio[s:e]) for s, e in zip(starts, ends)]


def gather(paths: list[Path | str], seed: int = 0, min_seconds: float = MIN_TRAIN_SECONDS) -> Material:
    """Read every recording under ``paths`` and split it (see the module doc).

    Raises :class:`MaterialError` when no usable recording is found or the training part is
    shorter than ``min_seconds``; the message lists the skipped files and says how much sound
    is needed.
    """
    files, skipped = find_audio_files([Path(p) for p in paths])
    rng = np.random.default_rng(seed)
    material = Material(train=[], held_out=[], skipped=skipped)
    for path in files:
        try:
            audio = trim_silence(read_mono(path))
        except (soundfile.LibsndfileError, RuntimeError, ValueError, OSError) as exc:
            material.skipped[path] = f"cannot be read: {exc}"
            continue
        if len(audio) == 0:
            material.skipped[path] = "no sound in it (silent or shorter than one frame)"
            continue
        material.files[path] = round(len(audio) / SR, 3)
        clips = cut(audio, path)
        if len(clips) >= LONG_FILE_CLIPS:
            held = set(rng.choice(len(clips), max(1, round(HELD_OUT * len(clips))), replace=False))
        else:
            held = set(range(len(clips))) if rng.random() < HELD_OUT else set()
        material.held_out += [c for i, c in enumerate(clips) if i in held]
        material.train += [c for i, c in enumerate(clips) if i not in held]
    if not material.held_out and len(material.train) >= 2:
        material.held_out.append(material.train.pop(int(rng.integers(len(material.train)))))
    listed = "".join(f"\n  skipped {p}: {why}" for p, why in sorted(material.skipped.items()))
    if not material.files:
        raise MaterialError(f"no usable recording in {', '.join(map(str, paths))}{listed}\n"
                            f"give WAV, FLAC, OGG, MP3 or AIFF files or folders holding them")
    if material.train_seconds < min_seconds:
        raise MaterialError(
            f"too little sound: {material.train_seconds:.1f} s to train on after trimming silence "
            f"and holding out {sum(c.seconds for c in material.held_out):.1f} s; at least "
            f"{min_seconds:.0f} s is needed and about {RECOMMENDED_MINUTES} minutes gives a good "
            f"model{listed}")
    return material


def describe(material: Material) -> str:
    """One paragraph for the terminal: files used and skipped, minutes to train on, held out."""
    held = sum(c.seconds for c in material.held_out)
    lines = [f"{len(material.files)} recordings, {material.train_seconds / 60:.1f} min to train on, "
             f"{held:.1f} s held out ({len(material.held_out)} clips)"]
    lines += [f"  skipped {os.fspath(p)}: {why}" for p, why in sorted(material.skipped.items())]
    return "\n".join(lines)
