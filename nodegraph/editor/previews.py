"""Frame previews: one fixed-size texture per frame outlet, shared by canvas and panel.

A frame outlet's latest value (``RuntimeNode.last_out``, RGB uint8 H×W×3) is fitted
into a :data:`PREVIEW_W`×:data:`PREVIEW_H` texture by nearest-neighbour indexing,
keeping its aspect ratio (letterboxed). The texture size never changes, so images
and plots that show it never need rebuilding. A frame is converted only when a new
one arrived (compared by identity: a sent frame is never modified).
"""

from __future__ import annotations

from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from .readouts import is_frame

PREVIEW_W = 160
PREVIEW_H = 120


def fit_frame(frame: np.ndarray, width: int = PREVIEW_W, height: int = PREVIEW_H) -> np.ndarray:
    """``frame`` scaled into (height, width, 3) uint8, aspect kept, black borders."""
    h, w = frame.shape[:2]
    scale = min(width / w, height / h)
    fit_w, fit_h = max(1, round(w * scale)), max(1, round(h * scale))
    rows = np.minimum((np.arange(fit_h) * (h / fit_h)).astype(np.intp), h - 1)
    cols = np.minimum((np.arange(fit_w) * (w / fit_w)).astype(np.intp), w - 1)
    out = np.zeros((height, width, 3), np.uint8)
    y0, x0 = (height - fit_h) // 2, (width - fit_w) // 2
    out[y0:y0 + fit_h, x0:x0 + fit_w] = frame[rows[:, None], cols[None, :], :3]
    return out


def fitted_box(frame_shape: tuple[int, ...], width: int = PREVIEW_W,
               height: int = PREVIEW_H) -> tuple[float, float, float, float]:
    """Where a frame of ``frame_shape`` lands in the preview: (x0, y0, x1, y1) as
    fractions of the preview's width and height (for overlaying landmarks)."""
    h, w = frame_shape[:2]
    scale = min(width / w, height / h)
    fw, fh = w * scale / width, h * scale / height
    return (1 - fw) / 2, (1 - fh) / 2, (1 + fw) / 2, (1 + fh) / 2


class FramePreviews:
    """Textures for frame outlets, created on first use."""

    def __init__(self) -> None:
        self._registry = dpg.add_texture_registry()
        self._textures: dict[tuple[str, str], int | str] = {}
        self._shown: dict[tuple[str, str], np.ndarray] = {}
        self.shapes: dict[tuple[str, str], tuple[int, ...]] = {}

    def texture(self, node_id: str, outlet: str) -> int | str:
        key = (node_id, outlet)
        tex = self._textures.get(key)
        if tex is None:
            blank = np.zeros(PREVIEW_W * PREVIEW_H * 3, np.float32)
            tex = dpg.add_raw_texture(PREVIEW_W, PREVIEW_H, blank, format=dpg.mvFormat_Float_rgb,
                                      parent=self._registry)
            self._textures[key] = tex
        return tex

    def show(self, node_id: str, outlet: str, value: Any) -> None:
        """Put ``value`` into the outlet's texture if it is a new frame."""
        key = (node_id, outlet)
        if not is_frame(value) or self._shown.get(key) is value:
            return
        self._shown[key] = value
        self.shapes[key] = value.shape
        rgb = np.multiply(fit_frame(value), 1.0 / 255.0, dtype=np.float32)
        dpg.set_value(self.texture(node_id, outlet), rgb.ravel())
