"""Face features from MediaPipe Face Mesh landmarks: pure numpy, no MediaPipe.

Input: landmarks as the facemesh node sends them, float32 (≥ 468, 3): x and y
normalized to the image width and height, z "roughly the same scale as x"
(MediaPipe's definition). Indices are those of MediaPipe's canonical face mesh (468
points; 468–477 are the irises with ``refine_landmarks``); each one used here was
checked on ``skimage.data.astronaut()`` (see ``tests/test_vision_facemesh.py``).

Method. The landmarks are made isotropic (x and z times the frame's aspect ratio, so
every axis is in frame heights), then a head frame is fitted from rigid points: the
*across* axis through the eye corners, the *up* axis from the base of the nose to
the forehead (made orthogonal), *forward* their cross product. Head yaw, pitch and
roll are that frame's angles (roll is the eye line's tilt on screen, so rotating the
image changes roll alone); every other feature is measured in head coordinates (so it
does not change when the head turns or tilts) and divided by the distance between
the eye centres (so it does not change with distance to the camera or position in
the frame). ``face_x``, ``face_y`` and ``face_scale`` are the exceptions by design.

Sides and signs are the performer's (camera image not mirrored): ``eye_left`` is the
performer's left eye, on the image's right. yaw > 0: turned to the performer's left;
pitch > 0: chin up; roll > 0: tilted toward the left shoulder. All in degrees.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

# Canonical face mesh indices. "right"/"left" are the performer's.
RIGHT_EYE_OUTER, RIGHT_EYE_INNER = 33, 133
LEFT_EYE_OUTER, LEFT_EYE_INNER = 263, 362
RIGHT_LIDS = ((160, 144), (159, 145), (158, 153))   # (upper, lower) pairs
LEFT_LIDS = ((387, 373), (386, 374), (385, 380))
RIGHT_BROW = (105, 66, 52, 65)                      # middle and inner brow, top and bottom
LEFT_BROW = (334, 296, 282, 295)
FOREHEAD, NOSE_BASE = 151, 2
UPPER_LIP_INNER, LOWER_LIP_INNER = 13, 14
MOUTH_RIGHT, MOUTH_LEFT = 61, 291
FACE_MESH_POINTS = 468

#: Every feature, in the order the node sends them, with what it measures.
FEATURES: dict[str, str] = {
    "mouth_open": "gap between the inner lips, in eye distances (≈0 closed, ≈0.5 wide open)",
    "mouth_width": "mouth corner to corner, in eye distances",
    "smile": "mouth corners above the upper lip's centre, in eye distances (up: smile)",
    "eye_left": "performer's left eye opening: lid gap over eye width (≈0 closed)",
    "eye_right": "performer's right eye opening: lid gap over eye width",
    "brow_raise": "brows above the eye corners, in eye distances (both sides averaged)",
    "yaw": "head turn in degrees, > 0 to the performer's left",
    "pitch": "head nod in degrees, > 0 chin up",
    "roll": "head tilt in degrees, > 0 toward the performer's left shoulder",
    "face_x": "face centre across the frame, 0 left edge .. 1 right edge",
    "face_y": "face centre down the frame, 0 top .. 1 bottom",
    "face_scale": "distance between the eye centres as a fraction of the frame height",
}


def parse_feature_list(text: str) -> tuple[str, ...]:
    """``"all"`` or comma-separated feature names → the names, in the given order.

    Raises ValueError naming the unknown ones and listing every valid name.
    """
    text = text.strip()
    if text == "all":
        return tuple(FEATURES)
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in FEATURES]
    if unknown or not names:
        what = f"unknown feature(s) {', '.join(map(repr, unknown))}" if unknown else "no features"
        raise ValueError(f"{what}; write 'all' or comma-separated names from: "
                         f"{', '.join(FEATURES)}")
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"feature(s) listed twice: {', '.join(duplicates)}")
    return names


class HeadFrame:
    """The head's position, orientation and size, fitted to one set of landmarks.

    ``points`` are the landmarks in head coordinates (x: toward the performer's left,
    y: up, z: toward the camera), centred between the eyes and divided by the eye
    distance. Angles in degrees.
    """

    __slots__ = ("points", "yaw", "pitch", "roll", "eye_distance", "centre")

    def __init__(self, landmarks: np.ndarray, aspect: float) -> None:
        if landmarks.ndim != 2 or landmarks.shape[1] != 3 or landmarks.shape[0] < FACE_MESH_POINTS:
            raise ValueError(f"face landmarks must be an array of at least {FACE_MESH_POINTS} "
                             f"rows of (x, y, z), got shape {landmarks.shape}")
        lm = landmarks[:FACE_MESH_POINTS].astype(np.float64)
        # Isotropic camera coordinates, in frame heights: X right, Y up, Z toward the
        # camera (MediaPipe: y grows downward, z grows away from the camera).
        cam = np.empty_like(lm)
        cam[:, 0] = lm[:, 0] * aspect
        cam[:, 1] = -lm[:, 1]
        cam[:, 2] = -lm[:, 2] * aspect
        right_eye = 0.5 * (cam[RIGHT_EYE_OUTER] + cam[RIGHT_EYE_INNER])
        left_eye = 0.5 * (cam[LEFT_EYE_OUTER] + cam[LEFT_EYE_INNER])
        across = ((cam[LEFT_EYE_OUTER] - cam[RIGHT_EYE_OUTER])
                  + (cam[LEFT_EYE_INNER] - cam[RIGHT_EYE_INNER]))
        x_axis = across / np.linalg.norm(across)
        up = cam[FOREHEAD] - cam[NOSE_BASE]
        up -= x_axis * float(up @ x_axis)
        y_axis = up / np.linalg.norm(up)
        z_axis = np.cross(x_axis, y_axis)
        # Head-to-camera rotation H = Rz(−roll)·Ry(yaw)·Rx(−pitch), columns the axes:
        # roll is applied last, about the camera's axis, so turning the camera (or the
        # image) changes roll only; yaw and pitch are the head's own turn and nod.
        self.yaw = float(np.degrees(np.arcsin(np.clip(-x_axis[2], -1.0, 1.0))))
        self.pitch = float(np.degrees(np.arctan2(-y_axis[2], z_axis[2])))
        self.roll = float(np.degrees(np.arctan2(-x_axis[1], x_axis[0])))
        self.eye_distance = float(np.linalg.norm(left_eye - right_eye))
        origin = 0.5 * (left_eye + right_eye)
        rotation = np.stack([x_axis, y_axis, z_axis], axis=1)
        self.points = (cam - origin) @ rotation / self.eye_distance
        self.centre = lm[:, :2].mean(axis=0)


def _lid_opening(p: np.ndarray, lids: Sequence[tuple[int, int]], outer: int, inner: int) -> float:
    gap = np.mean([p[upper, 1] - p[lower, 1] for upper, lower in lids])
    return float(gap / abs(p[outer, 0] - p[inner, 0]))


def _brow_height(p: np.ndarray, brow: Sequence[int], outer: int, inner: int) -> float:
    return float(p[list(brow), 1].mean() - 0.5 * (p[outer, 1] + p[inner, 1]))


def _mouth_open(head: HeadFrame) -> float:
    return float(head.points[UPPER_LIP_INNER, 1] - head.points[LOWER_LIP_INNER, 1])


def _mouth_width(head: HeadFrame) -> float:
    return float(head.points[MOUTH_LEFT, 0] - head.points[MOUTH_RIGHT, 0])


def _smile(head: HeadFrame) -> float:
    p = head.points
    return float(0.5 * (p[MOUTH_LEFT, 1] + p[MOUTH_RIGHT, 1]) - p[UPPER_LIP_INNER, 1])


def _brow_raise(head: HeadFrame) -> float:
    p = head.points
    return 0.5 * (_brow_height(p, RIGHT_BROW, RIGHT_EYE_OUTER, RIGHT_EYE_INNER)
                  + _brow_height(p, LEFT_BROW, LEFT_EYE_OUTER, LEFT_EYE_INNER))


_MEASURES: dict[str, Callable[[HeadFrame], float]] = {
    "mouth_open": _mouth_open,
    "mouth_width": _mouth_width,
    "smile": _smile,
    "eye_left": lambda h: _lid_opening(h.points, LEFT_LIDS, LEFT_EYE_OUTER, LEFT_EYE_INNER),
    "eye_right": lambda h: _lid_opening(h.points, RIGHT_LIDS, RIGHT_EYE_OUTER, RIGHT_EYE_INNER),
    "brow_raise": _brow_raise,
    "yaw": lambda h: h.yaw,
    "pitch": lambda h: h.pitch,
    "roll": lambda h: h.roll,
    "face_x": lambda h: float(h.centre[0]),
    "face_y": lambda h: float(h.centre[1]),
    "face_scale": lambda h: h.eye_distance,
}


def compute_features(landmarks: np.ndarray, names: Sequence[str], aspect: float) -> np.ndarray:
    """The named features (see :data:`FEATURES`) of one face, as float32.

    ``aspect`` is the frame's width / height, which turns normalized coordinates
    into square ones; angles and rotation compensation depend on it.
    """
    head = HeadFrame(landmarks, aspect)
    return np.array([_MEASURES[name](head) for name in names], dtype=np.float32)
