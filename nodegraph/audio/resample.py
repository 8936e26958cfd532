"""Streaming sample-rate conversion (soxr), model rate → graph rate.

soxr's stream resampler keeps its output aligned in time with its input (an impulse
at input time ``t`` comes out at output time ``t``) but holds back the newest few
output samples until more input arrives. That hold-back is latency for a
just-in-time decoder, which decodes its next latent frame when the audio it already
has runs out. Measured here at 44.1 → 48 kHz with 2048-frame chunks:

=======  ==========  ======================================
quality  holds back  response
=======  ==========  ======================================
``LQ``   22 frames   flat (±0.1 dB) to 15 kHz, -3.5 dB at 18 kHz
``MQ``   368 frames  flat to 20 kHz
``HQ``   448 frames  flat to 20 kHz
=======  ==========  ======================================

We use ``LQ``: 0.5 ms instead of 8-9 ms of latency, for a top octave that neural
decoders at 44.1/48 kHz rarely fill. When the rates are equal nothing is resampled.
"""

from __future__ import annotations

import numpy as np

QUALITY = "LQ"
#: output frames ``QUALITY`` holds back (the table above)
HOLD_BACK_FRAMES = 22


class Resampler:
    """Converts a stream of ``(frames, channels)`` float32 blocks from ``in_rate`` to
    ``out_rate``. Each ``process`` call returns what is ready (its length varies
    around ``len(block) * out_rate / in_rate``). One thread at a time."""

    def __init__(self, in_rate: float, out_rate: float, channels: int) -> None:
        self.in_rate = float(in_rate)
        self.out_rate = float(out_rate)
        self.channels = channels
        self._stream = None
        if self.in_rate != self.out_rate:
            import soxr

            self._stream = soxr.ResampleStream(self.in_rate, self.out_rate, channels,
                                               dtype="float32", quality=QUALITY)

    @property
    def ratio(self) -> float:
        """Output frames per input frame."""
        return self.out_rate / self.in_rate

    def process(self, block: np.ndarray) -> np.ndarray:
        """Resample the next ``block``; returns the output frames now ready."""
        if self._stream is None:
            return block
        return self._stream.resample_chunk(np.ascontiguousarray(block, np.float32))
