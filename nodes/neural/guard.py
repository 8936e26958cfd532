"""What a model's decode returned, checked before anyone hears it.

A model file is someone else's code: its ``decode`` may return NaN, samples of 1e30,
fewer samples than its ratio promises, none at all, or take longer than real time.
:func:`checked_audio` is called on every decode's audio (on the audio thread, so it
only reads the block: a max, a min and a shape) and raises :class:`BadDecode`, whose
message is the status the run report and the editor show ("NaN from decode"); the
audio chain mutes the node on it, so the bad audio never reaches a device.
:class:`DecodeBudget` bounds the decodes one render may need, so a model whose audio
makes no progress (or a resampler starved by an absurd rate) cannot loop forever.
:class:`RateWatch` tells, once, when decoding runs slower than real time.
"""

from __future__ import annotations

import math

import numpy as np

#: Larger samples are a broken model, not a loud one (full scale is 1; the output
#: limiter soft-clips anything above it that gets this far).
MAX_SAMPLE = 100.0
#: Decodes a render may make beyond the ones its frames need (resampler hold-back).
SLACK_DECODES = 16
#: The decode rate is judged once this much audio is decoded, or this much time
#: spent decoding it (seconds), whichever comes first.
RATE_AFTER_S = 2.0


class BadDecode(RuntimeError):
    """Decode output that must not be played; the message says what was wrong."""


def checked_audio(audio: np.ndarray, frames: int, ratio: int, channels: int) -> np.ndarray:
    """``audio`` when it is ``(frames * ratio, channels)`` finite samples within
    ±``MAX_SAMPLE``; else BadDecode naming the fault."""
    expected = (frames * ratio, channels)
    if audio.shape != expected:
        got = " × ".join(str(n) for n in audio.shape) or "a scalar"
        raise BadDecode(f"decode returned {got} samples for {frames} frame"
                        f"{'s' if frames > 1 else ''}, expected {expected[0]} × {expected[1]} "
                        f"(ratio {ratio}, {channels} channel{'s' if channels > 1 else ''})")
    high, low = float(audio.max()), float(audio.min())
    if not (math.isfinite(high) and math.isfinite(low)):
        raise BadDecode("NaN from decode" if np.isnan(audio).any()
                        else "infinite samples from decode")
    peak = max(high, -low)
    if peak > MAX_SAMPLE:
        raise BadDecode(f"samples of {peak:.3g} from decode (full scale is 1; more than "
                        f"{MAX_SAMPLE:g} is a broken model)")
    return audio


class DecodeBudget:
    """How many decodes a render of ``frames`` graph frames may take: what they need
    at ``frame_length`` graph frames per decoded latent frame, plus slack."""

    def __init__(self, frames: int, frames_per_call: int, frame_length: float) -> None:
        self.left = math.ceil(frames / (frames_per_call * frame_length)) + SLACK_DECODES

    def spend(self) -> None:
        """Count one decode; BadDecode when the budget is spent (no progress)."""
        if self.left <= 0:
            raise BadDecode("decode makes no progress: its audio does not fill the "
                            "frames it promises")
        self.left -= 1


class RateWatch:
    """Seconds of audio decoded per second spent decoding; :meth:`too_slow` answers a
    message once, when after ``RATE_AFTER_S`` of audio or of decoding the rate is
    below real time."""

    def __init__(self) -> None:
        self.audio_s = 0.0
        self.decode_s = 0.0
        self.told = False

    def add(self, audio_s: float, decode_s: float) -> None:
        self.audio_s += audio_s
        self.decode_s += decode_s

    def too_slow(self) -> str | None:
        if self.told or max(self.audio_s, self.decode_s) < RATE_AFTER_S \
                or self.audio_s >= self.decode_s:
            return None
        self.told = True
        return (f"too slow for real time: decode runs at {self.audio_s / self.decode_s:.2f}x "
                "real time, so the audio breaks up; raise frames_per_call or threads, or use "
                "a smaller model")
