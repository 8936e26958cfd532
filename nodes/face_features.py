"""face-features: a few named, performer-meaningful numbers from face landmarks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import (LANDMARKS, VECTOR, Inlet, Inputs, Node, Outlet, Param, ParamError,
                           PortInfo)
from nodes.vision.face_geometry import FEATURES, compute_features, parse_feature_list
from nodes.vision.landmarkers import FACE_POINTS

_FEATURE_HELP = "; ".join(f"{name}: {doc}" for name, doc in FEATURES.items())


class FaceFeatures(Node):
    """Face landmarks → a small labelled vector: mouth, eyes, brows, head pose, position.

    ``features`` picks which, in order: ``all`` or comma-separated names from
    mouth_open, mouth_width, smile, eye_left, eye_right, brow_raise, yaw, pitch,
    roll, face_x, face_y, face_scale. The labels travel with the vector.

    Every feature except face_x, face_y and face_scale is measured in the head's own
    frame and in units of the eye distance, so it does not change with where the
    face is in the frame, how large it is, or (mostly) how the head is turned.
    Sides are the performer's, seen by an unmirrored camera; yaw > 0 is a turn to
    the performer's left, pitch > 0 chin up, roll > 0 a tilt to the left shoulder,
    in degrees. ``aspect`` is the camera frame's width / height (640×480: 1.333);
    angles are measured in square pixels with it.
    """

    type_name = "face-features"
    category = "vision"
    inlets = (Inlet("landmarks", LANDMARKS, "face landmarks from facemesh", size=FACE_POINTS),)
    features = Param("text", "all", "'all' or comma-separated names; " + _FEATURE_HELP)
    aspect = Param("float", 4.0 / 3.0, "width / height of the frames the landmarks came from",
                   range=(0.1, 10.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        try:
            self._names = parse_feature_list(self.features)
        except ValueError as exc:
            raise ParamError(f"features: {exc}") from None

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return (Outlet("features", VECTOR, "the chosen features, labelled",
                       size=len(self._names)),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        return {"landmarks": PortInfo(FACE_POINTS),
                "features": PortInfo(len(self._names), self._names)}

    def on_param(self, name: str, value: Any) -> None:
        if name == "features":
            self._names = parse_feature_list(value)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"features": compute_features(inputs["landmarks"], self._names, self.aspect)}
