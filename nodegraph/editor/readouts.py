"""Turning live values into something small to draw (no DearPyGui here).

Everything in this module is pure and cheap: it runs on the GUI thread several times
a second for every node on screen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..types import describe_value

#: Longest text readout under an outlet, in characters.
READOUT_CHARS = 28
#: Audio meters show levels from this many dB up to 0 dBFS.
METER_FLOOR_DB = -60.0


def short_value(value: Any, limit: int = READOUT_CHARS) -> str:
    """A one-line description of a message value, cut to ``limit`` characters."""
    if isinstance(value, np.ndarray) and value.ndim == 1 and value.size > 8:
        text = f"[{value.size}] " + " ".join(f"{v:.2g}" for v in value[:6].tolist()) + " ..."
    else:
        text = describe_value(value)
    return clip_text(text, limit)


def clip_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, marked with "..." when cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_sparkline_vector(value: Any) -> bool:
    """Vectors of more than one value are drawn as a bar sparkline."""
    return isinstance(value, np.ndarray) and value.ndim == 1 and value.size > 1 \
        and np.issubdtype(value.dtype, np.number)


def is_frame(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim == 3 and value.shape[2] >= 3 \
        and value.dtype == np.uint8


def meter_fraction(level_db: float) -> float:
    """0..1 position of a level in dBFS on a meter from METER_FLOOR_DB to 0."""
    if not np.isfinite(level_db):
        return 0.0
    return float(np.clip((level_db - METER_FLOOR_DB) / -METER_FLOOR_DB, 0.0, 1.0))


def per_call_ms(time_s: float, calls: int) -> float:
    return 1000.0 * time_s / calls if calls else 0.0


#: Anchor colours of the continuous colour map (dark blue → teal → yellow).
_MAP_ANCHORS = np.array([[0.16, 0.05, 0.33], [0.19, 0.40, 0.56], [0.13, 0.66, 0.52],
                         [0.55, 0.82, 0.27], [0.99, 0.91, 0.15]], dtype=np.float32)

#: Distinct colours for categories (bookmarks), cycled.
CATEGORY_COLOURS = np.array([[0.90, 0.30, 0.25], [0.25, 0.60, 0.90], [0.35, 0.80, 0.40],
                             [0.95, 0.75, 0.20], [0.70, 0.40, 0.90], [0.20, 0.85, 0.85],
                             [0.95, 0.50, 0.70], [0.60, 0.60, 0.60]], dtype=np.float32)


def colour_map(values: np.ndarray) -> np.ndarray:
    """Values → RGB float32 (n, 3), scaled so the smallest is dark and the largest
    bright (a constant field maps to the middle colour)."""
    values = np.asarray(values, dtype=np.float32)
    lo, hi = float(np.min(values)), float(np.max(values))
    unit = (values - lo) / (hi - lo) if hi > lo else np.full_like(values, 0.5)
    position = unit * (len(_MAP_ANCHORS) - 1)
    i = np.clip(position.astype(np.int64), 0, len(_MAP_ANCHORS) - 2)
    frac = (position - i)[:, None]
    return (_MAP_ANCHORS[i] * (1 - frac) + _MAP_ANCHORS[i + 1] * frac).astype(np.float32)


def category_colours(index: np.ndarray) -> np.ndarray:
    """Category numbers → RGB float32 (n, 3)."""
    return CATEGORY_COLOURS[np.asarray(index) % len(CATEGORY_COLOURS)]
