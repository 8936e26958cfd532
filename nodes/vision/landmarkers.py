"""MediaPipe detectors behind the facemesh and hands nodes.

``mediapipe==0.10.21`` is pinned because it is the last release whose wheel
bundles the Face Mesh and Hands models (docs/architecture.md,
"MediaPipe"): the solutions API below runs offline with no model file. A user's
Tasks-API ``face_landmarker.task`` bundle is accepted too; it adds blendshapes.
MediaPipe is imported when a detector is made, not when the node module loads.

Landmarks come out as float32 (N, 3): x, y normalized to the image width and
height, z in roughly the scale of x (MediaPipe's convention), smaller = nearer.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

FACE_POINTS = 478      # 468 mesh points + 10 iris points (refine_landmarks)
HAND_POINTS = 21

#: The 52 blendshape scores of MediaPipe's face_landmarker.task, in its order.
BLENDSHAPES = (
    "_neutral", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft",
    "browOuterUpRight", "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft",
    "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight", "eyeLookInLeft", "eyeLookInRight",
    "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight", "eyeSquintLeft",
    "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen",
    "jawRight", "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthFunnel", "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight",
    "mouthPressLeft", "mouthPressRight", "mouthPucker", "mouthRight", "mouthRollLower",
    "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft", "mouthSmileRight",
    "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
    "noseSneerLeft", "noseSneerRight",
)
_BLENDSHAPE_INDEX = {name: i for i, name in enumerate(BLENDSHAPES)}


def check_frame(frame: Any) -> np.ndarray:
    """The frame as MediaPipe needs it (C-contiguous uint8 RGB), or a clear error."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 \
            or frame.shape[2] != 3:
        what = (f"array{frame.shape} {frame.dtype}" if isinstance(frame, np.ndarray)
                else type(frame).__name__)
        raise ValueError(f"expected an RGB frame (uint8 array of shape (H, W, 3)), got {what}")
    return np.ascontiguousarray(frame)


# One landmark of a serialized NormalizedLandmarkList (proto2): field 1 (the
# landmark, length 15) holding x, y, z as fields 1–3, 32-bit floats.
_WIRE_LANDMARK = np.dtype([("tag", "u1"), ("size", "u1"), ("x_tag", "u1"), ("x", "<f4"),
                           ("y_tag", "u1"), ("y", "<f4"), ("z_tag", "u1"), ("z", "<f4")])
_WIRE_TAGS = {"tag": 0x0A, "size": 15, "x_tag": 0x0D, "y_tag": 0x15, "z_tag": 0x1D}


def to_array(landmarks: Any) -> np.ndarray:
    """MediaPipe landmarks → float32 (N, 3).

    ``landmarks`` is a solutions-API ``NormalizedLandmarkList`` (read from its wire
    bytes: ten times faster than a Python loop over 478 points) or any sequence of
    objects with ``x``, ``y``, ``z`` (Tasks API).
    """
    serialize = getattr(landmarks, "SerializeToString", None)
    if serialize is not None:
        wire = serialize()
        if len(wire) % _WIRE_LANDMARK.itemsize == 0:
            records = np.frombuffer(wire, _WIRE_LANDMARK)
            if all((records[name] == value).all() for name, value in _WIRE_TAGS.items()):
                return np.stack([records["x"], records["y"], records["z"]], axis=1)
        landmarks = landmarks.landmark  # other fields set (visibility...): read them one by one
    return np.array([(p.x, p.y, p.z) for p in landmarks], dtype=np.float32)


class FaceMeshSolution:
    """The bundled Face Mesh (solutions API, tracking mode, irises refined)."""

    has_blendshapes = False

    def __init__(self, min_detection: float, min_tracking: float) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=True,
            min_detection_confidence=min_detection, min_tracking_confidence=min_tracking)

    def detect(self, frame: np.ndarray, t: float) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(landmarks (478, 3) or None, blendshapes: always None here)."""
        result = self._mesh.process(frame)
        if not result.multi_face_landmarks:
            return None, None
        return to_array(result.multi_face_landmarks[0]), None

    def close(self) -> None:
        self._mesh.close()


class FaceLandmarkerTask:
    """A user's Tasks-API ``.task`` bundle, in video mode (timestamps must rise)."""

    def __init__(self, path: Path, min_detection: float, min_tracking: float) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"no face landmarker model at {path} (give the path of a "
                                    "MediaPipe face_landmarker.task, or leave model empty for "
                                    "the bundled Face Mesh)")
        try:
            with zipfile.ZipFile(path) as bundle:
                names = set(bundle.namelist())
        except zipfile.BadZipFile:
            raise ValueError(f"{path} is not a MediaPipe .task bundle (a .task file is a zip "
                             "archive of .tflite models)") from None
        self.has_blendshapes = "face_blendshapes.tflite" in names
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=vision.RunningMode.VIDEO, num_faces=1,
            min_face_detection_confidence=min_detection,
            min_face_presence_confidence=min_tracking, min_tracking_confidence=min_tracking,
            output_face_blendshapes=self.has_blendshapes)
        self._landmarker = vision.FaceLandmarker.create_from_options(options)
        self._last_ms = -1

    def detect(self, frame: np.ndarray, t: float) -> tuple[np.ndarray | None, np.ndarray | None]:
        # Video mode needs strictly increasing integer milliseconds.
        ms = max(self._last_ms + 1, int(round(t * 1000.0)))
        self._last_ms = ms
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=frame)
        result = self._landmarker.detect_for_video(image, ms)
        if not result.face_landmarks:
            return None, None
        blendshapes = None
        if self.has_blendshapes and result.face_blendshapes:
            blendshapes = np.zeros(len(BLENDSHAPES), np.float32)
            for category in result.face_blendshapes[0]:
                index = _BLENDSHAPE_INDEX.get(category.category_name)
                if index is not None:
                    blendshapes[index] = category.score
        return to_array(result.face_landmarks[0]), blendshapes

    def close(self) -> None:
        self._landmarker.close()


class HandsSolution:
    """The bundled Hands model (solutions API, tracking mode, up to two hands)."""

    def __init__(self, max_hands: int, min_detection: float, min_tracking: float) -> None:
        import mediapipe as mp

        self._hands = mp.solutions.hands.Hands(
            static_image_mode=False, max_num_hands=max_hands, model_complexity=1,
            min_detection_confidence=min_detection, min_tracking_confidence=min_tracking)

    def detect(self, frame: np.ndarray) -> list[tuple[str, np.ndarray]]:
        """``[(label, landmarks (21, 3)), ...]``; label is MediaPipe's "Left"/"Right",
        which assumes a mirrored (selfie) image."""
        result = self._hands.process(frame)
        if not result.multi_hand_landmarks:
            return []
        return [(handedness.classification[0].label, to_array(hand))
                for hand, handedness in zip(result.multi_hand_landmarks, result.multi_handedness)]

    def close(self) -> None:
        self._hands.close()
