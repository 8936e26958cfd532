"""facemesh: 478 face landmarks per frame with MediaPipe Face Mesh."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import (FRAME, LANDMARKS, NUMBER, VECTOR, Inlet, Inputs, Node, Outlet,
                           Param, PortInfo)
from nodes.vision.landmarkers import (BLENDSHAPES, FACE_POINTS, FaceLandmarkerTask,
                                      FaceMeshSolution, check_frame)


class FaceMesh(Node):
    """Face landmarks (478 × 3, normalized) and whether a face is in the frame.

    Runs MediaPipe Face Mesh with iris refinement, bundled with mediapipe 0.10.21
    (no download). Give ``model`` a Tasks-API ``face_landmarker.task`` to use that
    instead; it adds a ``blendshapes`` outlet (52 named scores, 0..1). One face, the
    most prominent. ``present`` is 1 when a face was found in the frame, else 0;
    with no face, ``when_lost`` says whether the last landmarks are sent again
    (``hold``) or none are sent (``silent``).

    Threading: detection runs in ``process`` on the control thread (about 3 ms per
    640×480 frame on one core, tracking mode); frames that arrive meanwhile are
    replaced by newer ones at the camera (latest wins), so a slow machine drops
    frames rather than falling behind. The report gives ``face_found_ratio``.
    """

    type_name = "facemesh"
    category = "vision"
    report_section = "vision"
    inlets = (Inlet("frame", FRAME, "RGB frame"),)
    model = Param("path", "", "a MediaPipe face_landmarker.task (adds blendshapes); empty: the "
                  "bundled Face Mesh")
    when_lost = Param("choice", "hold", "no face: send the last landmarks again (hold) or "
                      "nothing (silent)", choices=("hold", "silent"))
    min_detection = Param("float", 0.5, "confidence needed to find a face", range=(0.0, 1.0))
    min_tracking = Param("float", 0.5, "confidence needed to keep tracking it", range=(0.0, 1.0))

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        ports = (Outlet("landmarks", LANDMARKS, "478 points (x, y, z), x and y normalized to the "
                        "frame", size=FACE_POINTS),
                 Outlet("present", NUMBER, "1 when a face was found in this frame, else 0"))
        if self.model:
            ports += (Outlet("blendshapes", VECTOR, "52 named expression scores, 0..1",
                             size=len(BLENDSHAPES)),)
        return ports

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        info = super().port_info(inlets)
        if self.model:
            info["blendshapes"] = PortInfo(len(BLENDSHAPES), BLENDSHAPES)
        return info

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: frames seen, and those with a face in them
        self.frames = 0
        self.found = 0
        self._last: np.ndarray | None = None
        self._detector: FaceMeshSolution | FaceLandmarkerTask | None = None

    def open(self) -> None:
        self.frames = 0
        self.found = 0
        self._last = None
        self._detector = self._make_detector()

    def _make_detector(self) -> FaceMeshSolution | FaceLandmarkerTask:
        if not self.model:
            return FaceMeshSolution(self.min_detection, self.min_tracking)
        detector = FaceLandmarkerTask(self.ctx.resolve(self.model), self.min_detection,
                                      self.min_tracking)
        if not detector.has_blendshapes:
            self.ctx.log.warning("%s has no blendshape model; the blendshapes outlet will stay "
                                 "silent", self.model)
        return detector

    def process(self, inputs: Inputs) -> dict[str, Any]:
        frame = check_frame(inputs["frame"])
        landmarks, blendshapes = self._detector.detect(frame, inputs.t)
        self.frames += 1
        if landmarks is None:
            out: dict[str, Any] = {"present": 0.0}
            if self.when_lost == "hold" and self._last is not None:
                out["landmarks"] = self._last
            return out
        self.found += 1
        self._last = landmarks
        out = {"landmarks": landmarks, "present": 1.0}
        if blendshapes is not None:
            out["blendshapes"] = blendshapes
        return out

    def on_param(self, name: str, value: Any) -> None:
        if name != "when_lost":
            self.close()
            self._detector = self._make_detector()

    def close(self) -> None:
        if self._detector is not None:
            self._detector.close()
            self._detector = None

    def report(self) -> dict[str, Any]:
        frames = self.frames
        return {"face_found_ratio": round(self.found / frames, 4) if frames else 0.0}
