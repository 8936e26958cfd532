"""The built-in ``test-face`` camera: a real face photo, animated.

The photo is ``skimage.data.astronaut()`` (public domain; it ships with
scikit-image, so nothing is downloaded). Each frame is a pure function of a
:class:`Pose` — the same pose always gives the same pixels — so a source that picks
poses from clock time is deterministic on a virtual clock.

How a pose is drawn, in two warps:

1. Around the head only (a window of the photo), one ``cv2.remap``: yaw and pitch
   shift the face over a rounded depth profile with the nose standing out
   (vertical axis for yaw, horizontal for pitch), so the nose moves more than the
   cheeks and the displacement fades to nothing beyond the head, keeping hair and
   background continuous. The mouth opens by moving the lower lip and chin down (a
   tear along the lips, stretching the neck) and shading the gap like a mouth.
2. The whole image, one ``cv2.warpAffine``: roll, zoom and the face's position in
   the output frame.

Sign conventions follow the face-features node (performer's point of view, camera
image not mirrored): yaw > 0 turns to the performer's left (the nose moves to image
right), pitch > 0 lifts the chin, roll > 0 tilts toward the performer's left
shoulder (clockwise on screen).

Cost: about 2 ms per 640×480 frame on one core (measured by ``bench/vision.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

# Geometry of the photo, in its pixels (512×512), measured once with MediaPipe
# Face Mesh (refine_landmarks) on the unmodified photo; landmark indices in brackets.
HEAD_CENTRE = (224.0, 122.0)   # between face edges [234, 454], forehead [10], chin [152]
HEAD_HALF_WIDTH = 46.0         # half the distance [234]–[454]
FACE_HEIGHT_SPAN = 240.0       # photo pixels shown over the output frame's height at zoom 1
MOUTH_CENTRE_X = 223.5         # [13]/[14]
MOUTH_HALF_WIDTH = 21.5        # corners [61]–[291]
LIP_SPLIT_Y = 149.5            # just above the lower inner lip [14]: where the mouth opens
CHIN_Y = 177.4                 # [152]
NOSE_TIP = (223.4, 130.0)      # [1]
NOSE_DEPTH = 14.0              # how far the nose stands out of the rounded head, photo pixels
NOSE_SIZE = 15.0               # its extent (Gaussian sigma), photo pixels
MAX_JAW_DROP = 13.0            # photo pixels the lower lip moves at mouth = 1
JAW_REACH = 46.0               # the jaw moves nothing further than this from mouth / chin
MOUTH_SHADOW_RGB = (38.0, 14.0, 18.0)    # mouth interior under the upper teeth ...
MOUTH_TONGUE_RGB = (150.0, 62.0, 70.0)   # ... shading to the tongue above the lower lip

WINDOW = 256                   # side of the square window around the head warped by step 1
PAD = 192                      # reflected border around the photo for zoom-out and roll


@dataclass(frozen=True)
class Pose:
    """Where the test face looks and how it moves (angles in degrees)."""

    yaw: float = 0.0     # > 0: turned to the performer's left (nose to image right)
    pitch: float = 0.0   # > 0: chin up
    roll: float = 0.0    # > 0: tilted to the performer's left shoulder (clockwise)
    mouth: float = 0.0   # 0 closed .. 1 wide open
    zoom: float = 1.0    # face size relative to the default framing
    x: float = 0.0       # face centre offset from the frame centre, fraction of width
    y: float = 0.0       # ... fraction of height, > 0 down


def choreography(t: float) -> Pose:
    """The built-in performance at ``t`` seconds from the start.

    Slow sinusoids with unrelated periods, so every feature moves, alone and in
    combination, and the whole never repeats exactly within a session.
    """
    def wave(period: float, phase: float = 0.0) -> float:
        return math.sin(2.0 * math.pi * t / period + phase)

    return Pose(
        yaw=28.0 * wave(6.0),
        pitch=16.0 * wave(7.7, 1.0),
        roll=12.0 * wave(11.3, 2.0),
        mouth=0.5 - 0.5 * math.cos(2.0 * math.pi * t / 3.7),
        zoom=1.0 + 0.15 * wave(13.1, 0.5),
        x=0.07 * wave(17.3, 1.5),
        y=0.04 * wave(19.1, 2.5),
    )


def parse_pose(text: str) -> Pose | None:
    """A pose written ``"yaw=25, mouth=0.8"`` (:class:`Pose` field names, unnamed
    fields at their neutral values); None for empty text. ValueError says what is wrong."""
    if not text.strip():
        return None
    names = [f.name for f in fields(Pose)]
    values: dict[str, float] = {}
    for item in text.split(","):
        name, sep, number = (part.strip() for part in item.partition("="))
        if not sep or name not in names:
            raise ValueError(f"{item.strip()!r}: write name=number, comma-separated, with "
                             f"names from {', '.join(names)}")
        try:
            values[name] = float(number)
        except ValueError:
            raise ValueError(f"{item.strip()!r}: {number!r} is not a number") from None
    return Pose(**values)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def _turn_offset(t: np.ndarray, radius: float, angle: float) -> np.ndarray:
    """Inverse-map displacement for a rounded head turned by ``angle`` (radians)
    about an axis through the centre: output coordinate ``t`` (pixels from the
    axis) shows the photo at ``t + offset``.

    The surface's depth profile is ``radius·(1 − (t/w)²)²`` with ``w = 1.8·radius``,
    so the nose (depth ≈ radius) moves by ``radius·sin(angle)``, the displacement
    fades to exactly 0 at ``|t| = w``, and the map stays monotonic for
    ``|angle|`` up to about 50°.
    """
    bump = np.clip(1.0 - (t / (1.8 * radius)) ** 2, 0.0, 1.0) ** 2
    return -(radius * bump * math.sin(angle) + t * (1.0 - math.cos(angle)) * bump)


class FaceRenderer:
    """Renders poses (:class:`Pose`) of the photo into RGB frames of one size.

    Construction precomputes everything that does not depend on the pose (the
    padded photo, window grids, fades); :meth:`render` then costs two warps.
    """

    def __init__(self, width: int = 640, height: int = 480) -> None:
        import cv2
        from skimage import data

        self.width, self.height = width, height
        self._cv2 = cv2
        photo = np.ascontiguousarray(data.astronaut())
        self._base = cv2.copyMakeBorder(photo, PAD, PAD, PAD, PAD, cv2.BORDER_REFLECT_101)
        cx, cy = HEAD_CENTRE[0] + PAD, HEAD_CENTRE[1] + PAD
        self._x0 = int(round(cx)) - WINDOW // 2
        self._y0 = int(round(cy)) - WINDOW // 2
        self._window = self._base[self._y0:self._y0 + WINDOW, self._x0:self._x0 + WINDOW].copy()
        # Window coordinates relative to the head centre, one row / one column.
        self._u = (np.arange(WINDOW, dtype=np.float32) + self._x0 - cx)[None, :]
        self._v = (np.arange(WINDOW, dtype=np.float32) + self._y0 - cy)[:, None]
        # Yaw moves columns within rows near the head only (and vice versa for pitch).
        self._radius = HEAD_HALF_WIDTH * 1.25
        self._yaw_rows = 1.0 - _smoothstep((np.abs(self._v) / self._radius - 1.3) / 0.6)
        self._pitch_cols = 1.0 - _smoothstep((np.abs(self._u) / self._radius - 1.0) / 0.6)
        # The nose stands out of the head, so it moves further when the head turns.
        nose_u = self._u - (NOSE_TIP[0] - HEAD_CENTRE[0])
        nose_v = self._v - (NOSE_TIP[1] - HEAD_CENTRE[1])
        self._nose = (NOSE_DEPTH * np.exp(-(nose_u ** 2 + nose_v ** 2) / (2.0 * NOSE_SIZE ** 2))
                      ).astype(np.float32)
        # Mouth and jaw, in window coordinates.
        self._mouth_x = MOUTH_CENTRE_X + PAD - self._x0
        self._split_y = LIP_SPLIT_Y + PAD - self._y0
        self._chin_y = CHIN_Y + PAD - self._y0
        self._shadow = np.array(MOUTH_SHADOW_RGB, np.float32)
        self._tongue = np.array(MOUTH_TONGUE_RGB, np.float32)

    def render(self, pose: Pose) -> np.ndarray:
        """The frame for ``pose``: uint8 (height, width, 3), RGB."""
        cv2 = self._cv2
        base = self._base.copy()
        base[self._y0:self._y0 + WINDOW, self._x0:self._x0 + WINDOW] = self._posed_window(pose)
        scale = self.height / FACE_HEIGHT_SPAN * pose.zoom
        centre = (HEAD_CENTRE[0] + PAD, HEAD_CENTRE[1] + PAD)
        matrix = cv2.getRotationMatrix2D(centre, -pose.roll, scale)
        matrix[0, 2] += self.width * (0.5 + pose.x) - centre[0]
        matrix[1, 2] += self.height * (0.5 + pose.y) - centre[1]
        return cv2.warpAffine(base, matrix, (self.width, self.height), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REFLECT_101)

    def _posed_window(self, pose: Pose) -> np.ndarray:
        """Step 1: yaw, pitch and mouth inside the head window."""
        cv2 = self._cv2
        u, v = self._u, self._v
        # Where each output pixel of the window is in the (unturned) face, window coords.
        yaw, pitch = math.radians(pose.yaw), -math.radians(pose.pitch)
        face_x = (u + WINDOW / 2.0 + _turn_offset(u, self._radius, yaw) * self._yaw_rows
                  - self._nose * math.sin(yaw))
        # Pitch > 0 lifts the chin: the surface moves up, so the output samples lower.
        face_y = (v + WINDOW / 2.0 + _turn_offset(v, self._radius, pitch) * self._pitch_cols
                  - self._nose * math.sin(pitch))
        map_x = face_x.astype(np.float32)
        map_y = face_y.astype(np.float32)
        box = self._jaw_box(face_x, face_y) if pose.mouth > 0.0 else None
        if box is not None:
            drop, gap, depth = self._jaw_drop(face_x[box], face_y[box], pose.mouth)
            map_y[box] -= drop
        out = cv2.remap(self._window, map_x, map_y, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)
        if box is not None:
            shade, depth = gap[..., None], depth[..., None]
            interior = self._shadow + (self._tongue - self._shadow) * depth
            out[box] = (out[box] * (1.0 - shade) + interior * shade).astype(np.uint8)
        return out

    def _jaw_box(self, x: np.ndarray, y: np.ndarray) -> tuple[slice, slice] | None:
        """The window rows and columns the mouth and jaw can move (None: none)."""
        rows = np.flatnonzero(((y >= self._split_y - 1.0)
                               & (y <= self._chin_y + JAW_REACH)).any(axis=1))
        cols = np.flatnonzero((np.abs(x - self._mouth_x) <= JAW_REACH).any(axis=0))
        if not rows.size or not cols.size:
            return None
        return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)

    def _jaw_drop(self, x: np.ndarray, y: np.ndarray,
                  mouth: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Vertical displacement of the lower face, the mouth interior's opacity, and
        how far down the opening each pixel is (0 under the teeth .. 1 at the lip).

        Below the lip line the face moves down by ``d·lens(x)`` at the lips (so the
        corners stay closed) widening to ``d·jaw(x)`` at the chin, and back to 0
        down the neck; the gap this opens between the lips is painted dark.
        """
        d = MAX_JAW_DROP * min(1.0, mouth)
        dx = np.abs(x - self._mouth_x)
        lens = np.sqrt(np.clip(1.0 - (dx / MOUTH_HALF_WIDTH) ** 2, 0.0, 1.0))
        jaw = 1.0 - _smoothstep((dx - 26.0) / (JAW_REACH - 26.0))
        below = y - self._split_y
        lips = 1.0 - _smoothstep(below / 22.0)
        neck = 1.0 - _smoothstep((y - self._chin_y - 4.0) / (JAW_REACH - 4.0))
        drop = np.where(below > 0.0, d * (lips * lens + (1.0 - lips) * jaw) * neck, 0.0)
        opening = d * lens
        gap = (np.clip(below + 0.5, 0.0, 1.0) * np.clip(opening - below + 0.5, 0.0, 1.0)
               * np.clip(opening, 0.0, 1.0))
        depth = np.clip(below / max(d, 1.0), 0.0, 1.0) ** 2
        return drop.astype(np.float32), gap.astype(np.float32), depth.astype(np.float32)
