"""The soft limiter in front of every output: no device hears NaN or a full-scale
overshoot.

Audio within ±``THRESHOLD`` (-1 dBFS) passes untouched, bit for bit; the checks cost
one max and one min per block. Beyond it, samples bend smoothly (a tanh knee) toward
±1 (at most reaching it), and NaN or infinite samples become silence. It is stateless
(a soft clip, no attack or release), so it adds no latency.
"""

from __future__ import annotations

import numpy as np

THRESHOLD = 0.891  # -1 dBFS
_KNEE = 1.0 - THRESHOLD


def soft_limit(block: np.ndarray) -> np.ndarray:
    """``block`` itself when every sample is within ±THRESHOLD; otherwise a limited
    copy (frames, channels) float32, every sample within [-1, 1]."""
    if not block.size:
        return block
    if block.max() <= THRESHOLD and block.min() >= -THRESHOLD:  # False for NaN
        return block
    out = np.nan_to_num(np.asarray(block, np.float32), nan=0.0, posinf=1e6, neginf=-1e6)
    over = np.abs(out) > THRESHOLD
    if over.any():
        x = out[over]
        out[over] = np.sign(x) * (THRESHOLD + _KNEE * np.tanh((np.abs(x) - THRESHOLD) / _KNEE))
    return out
