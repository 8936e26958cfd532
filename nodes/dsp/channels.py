"""Combining signals of different channel counts, as the DSP chain does."""

from __future__ import annotations

import numpy as np


def common_channels(signals: dict[str, np.ndarray]) -> int:
    """The channel count signals combine to: mono broadcasts against a wider signal
    (as at a signal inlet); otherwise the counts must agree (ValueError naming the
    inlets)."""
    wide = {name: s.shape[1] for name, s in signals.items() if s.shape[1] > 1}
    counts = set(wide.values())
    if len(counts) > 1:
        listing = ", ".join(f"{name} {n}" for name, n in wide.items())
        raise ValueError(f"signals with different channel counts cannot be combined "
                         f"({listing}); mono combines with anything")
    return counts.pop() if counts else 1
