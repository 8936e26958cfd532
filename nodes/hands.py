"""hands: hand landmarks and a few hand features with MediaPipe Hands."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import (FRAME, LANDMARKS, NUMBER, VECTOR, Inlet, Inputs, Node, Outlet,
                           Param, PortInfo)
from nodes.vision.hand_geometry import HAND_FEATURES, hand_features
from nodes.vision.landmarkers import HAND_POINTS, HandsSolution, check_frame

SIDES = ("left", "right")
LABELS = tuple(f"{side}_{name}" for side in SIDES for name in HAND_FEATURES)


class Hands(Node):
    """Hand landmarks (21 × 3 per hand) and features: pinch, openness, position.

    Runs MediaPipe Hands, bundled with mediapipe 0.10.21 (no download). ``left`` and
    ``right`` are the performer's hands; each outlet sends when that hand is found.
    ``features`` is sent every frame: for each side ``present`` (1/0), ``pinch``
    (1 thumb and index touching .. 0 apart), ``open`` (≈0 fist .. ≈1 open hand),
    ``x``, ``y`` (palm centre, 0..1 across and down the frame); a hand out of view
    holds its last values with ``present`` 0.

    MediaPipe names hands as if the image were mirrored (a selfie view); the camera
    node does not mirror, so its labels are swapped here unless ``mirrored`` is
    set. Runs in ``process`` on the control thread, like facemesh.
    """

    type_name = "hands"
    category = "vision"
    report_section = "vision"
    inlets = (Inlet("frame", FRAME, "RGB frame"),)
    outlets = (Outlet("left", LANDMARKS, "performer's left hand: 21 points (x, y, z)",
                      size=HAND_POINTS),
               Outlet("right", LANDMARKS, "performer's right hand: 21 points (x, y, z)",
                      size=HAND_POINTS),
               Outlet("features", VECTOR, "present, pinch, open, x, y for the left then the "
                      "right hand", size=len(LABELS)),
               Outlet("count", NUMBER, "hands found in this frame (0, 1 or 2)"))
    max_hands = Param("int", 2, "hands to look for", range=(1, 2))
    mirrored = Param("bool", False, "the frames are mirrored (selfie view), as MediaPipe assumes")
    aspect = Param("float", 4.0 / 3.0, "width / height of the frames", range=(0.1, 10.0))
    min_detection = Param("float", 0.5, "confidence needed to find a hand", range=(0.0, 1.0))
    min_tracking = Param("float", 0.5, "confidence needed to keep tracking it", range=(0.0, 1.0))

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        info = super().port_info(inlets)
        info["features"] = PortInfo(len(LABELS), LABELS)
        return info

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: frames seen, and those with a hand in them
        self.frames = 0
        self.found = 0
        self._features = np.zeros(len(LABELS), np.float32)
        self._detector: HandsSolution | None = None

    def open(self) -> None:
        self.frames = 0
        self.found = 0
        self._features = np.zeros(len(LABELS), np.float32)
        self._detector = HandsSolution(self.max_hands, self.min_detection, self.min_tracking)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        frame = check_frame(inputs["frame"])
        sides = self._assign_sides(self._detector.detect(frame))
        self.frames += 1
        self.found += bool(sides)
        width = len(HAND_FEATURES)
        out: dict[str, Any] = {"count": float(len(sides))}
        for i, side in enumerate(SIDES):
            block = slice(i * width, (i + 1) * width)
            landmarks = sides.get(side)
            if landmarks is None:
                self._features[block.start] = 0.0  # present = 0; the rest hold
            else:
                self._features[block] = hand_features(landmarks, self.aspect)
                out[side] = landmarks
        out["features"] = self._features.copy()
        return out

    def _assign_sides(self, found: list[tuple[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """Performer's side → landmarks. MediaPipe's label is for a mirrored image;
        two hands given the same label are told apart by position instead (in an
        unmirrored image the performer's left hand is on the right)."""
        swap = not self.mirrored
        sides: dict[str, np.ndarray] = {}
        for label, landmarks in found:
            side = label.lower()
            if swap:
                side = "right" if side == "left" else "left"
            sides.setdefault(side, landmarks)
        if len(found) == 2 and len(sides) == 1:
            (_, a), (_, b) = found
            a_is_left = (a[:, 0].mean() > b[:, 0].mean()) != self.mirrored
            sides = {"left": a, "right": b} if a_is_left else {"left": b, "right": a}
        return sides

    def on_param(self, name: str, value: Any) -> None:
        if name in ("max_hands", "min_detection", "min_tracking"):
            self._detector.close()
            self._detector = HandsSolution(self.max_hands, self.min_detection, self.min_tracking)

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def report(self) -> dict[str, Any]:
        frames = self.frames
        return {"hand_found_ratio": round(self.found / frames, 4) if frames else 0.0}
