"""Hand features from MediaPipe Hands landmarks: pure numpy.

Landmark indices are MediaPipe's hand model: 0 wrist; thumb 1–4; index 5–8;
middle 9–12; ring 13–16; pinky 17–20 (tips 4, 8, 12, 16, 20). Lengths are measured
in square pixels (x times the frame's aspect ratio) and divided by the palm length
(wrist to the middle finger's knuckle), so they do not change with the hand's
distance from the camera.
"""

from __future__ import annotations

import numpy as np

WRIST, THUMB_TIP, INDEX_TIP, MIDDLE_KNUCKLE = 0, 4, 8, 9
FINGER_TIPS = (8, 12, 16, 20)
PALM = (0, 5, 9, 13, 17)

#: Per-hand features, in the order the hands node sends them for each side.
HAND_FEATURES: dict[str, str] = {
    "present": "1 when this hand is in the frame, else 0 (the others then hold)",
    "pinch": "thumb tip to index tip: 1 touching .. 0 a palm length or more apart",
    "open": "fingertips' distance from the wrist in palm lengths, minus 1 (≈0 fist .. ≈1 open)",
    "x": "palm centre across the frame, 0 left edge .. 1 right edge",
    "y": "palm centre down the frame, 0 top .. 1 bottom",
}


def hand_features(landmarks: np.ndarray, aspect: float) -> np.ndarray:
    """``[1, pinch, open, x, y]`` for one hand's (21, 3) landmarks, as float32."""
    if landmarks.shape != (21, 3):
        raise ValueError(f"hand landmarks must have shape (21, 3), got {landmarks.shape}")
    square = landmarks[:, :2].astype(np.float64) * (aspect, 1.0)
    palm = float(np.linalg.norm(square[MIDDLE_KNUCKLE] - square[WRIST]))
    if palm <= 0.0:
        raise ValueError("degenerate hand landmarks (zero palm length)")
    pinch = max(0.0, 1.0 - float(np.linalg.norm(square[THUMB_TIP] - square[INDEX_TIP])) / palm)
    reach = np.linalg.norm(square[list(FINGER_TIPS)] - square[WRIST], axis=1).mean() / palm
    centre = landmarks[list(PALM), :2].mean(axis=0)
    return np.array([1.0, pinch, reach - 1.0, centre[0], centre[1]], dtype=np.float32)
