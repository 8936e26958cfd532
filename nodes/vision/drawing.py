"""Drawing landmarks on frames (OpenCV; connection lists from MediaPipe's own tables)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

FACE_RGB = (80, 255, 120)
CONTOUR_RGB = (255, 255, 255)
IRIS_RGB = (80, 200, 255)
LEFT_HAND_RGB = (0, 230, 255)
RIGHT_HAND_RGB = (255, 40, 200)


@lru_cache(maxsize=1)
def connections() -> dict[str, np.ndarray]:
    """Index pairs (K, 2) of the face contours, irises and hand skeleton (cached)."""
    from mediapipe.python.solutions import face_mesh_connections as face
    from mediapipe.python.solutions import hands_connections as hands

    return {name: np.array(sorted(edges), dtype=np.int32) for name, edges in (
        ("contours", face.FACEMESH_CONTOURS), ("irises", face.FACEMESH_IRISES),
        ("hand", hands.HAND_CONNECTIONS))}


def _pixels(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    xy = landmarks[:, :2] * np.array([width, height], np.float32)
    return np.round(xy).astype(np.int32)


def _lines(image: np.ndarray, points: np.ndarray, edges: np.ndarray,
           rgb: tuple[int, int, int]) -> None:
    import cv2

    edges = edges[(edges < len(points)).all(axis=1)]
    cv2.polylines(image, list(points[edges]), False, rgb, 1, cv2.LINE_AA)


def _dots(image: np.ndarray, points: np.ndarray, rgb: tuple[int, int, int], size: int) -> None:
    h, w = image.shape[:2]
    for dy in range(size):
        for dx in range(size):
            x, y = points[:, 0] + dx, points[:, 1] + dy
            inside = (x >= 0) & (x < w) & (y >= 0) & (y < h)
            image[y[inside], x[inside]] = rgb


def draw_face(image: np.ndarray, landmarks: np.ndarray) -> None:
    """Draw a face mesh in place: every point, the contours (eyes, brows, lips, oval)
    and, with 478 points, the irises."""
    h, w = image.shape[:2]
    points = _pixels(landmarks, w, h)
    lines = connections()
    _dots(image, points, FACE_RGB, 2)
    _lines(image, points, lines["contours"], CONTOUR_RGB)
    if len(points) >= 478:
        _lines(image, points, lines["irises"], IRIS_RGB)


def draw_hand(image: np.ndarray, landmarks: np.ndarray, left: bool) -> None:
    """Draw one hand's 21-point skeleton in place (colour by side)."""
    h, w = image.shape[:2]
    rgb = LEFT_HAND_RGB if left else RIGHT_HAND_RGB
    points = _pixels(landmarks, w, h)
    _lines(image, points, connections()["hand"], rgb)
    _dots(image, points, rgb, 3)
