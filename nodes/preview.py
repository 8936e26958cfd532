"""preview: the camera frame with face and hand landmarks drawn on it."""

from __future__ import annotations

from typing import Any

from nodegraph.api import FRAME, LANDMARKS, Inlet, Inputs, Node, Outlet
from nodes.vision.drawing import connections, draw_face, draw_hand


class Preview(Node):
    """Draw landmarks on the frame: the face mesh (points, contours, irises), hands.

    ``frame`` is hot; the landmark inlets are cold and drawn only when they arrived
    with this frame (facemesh and hands send in the same tick as the camera), so a
    frame without a face shows no stale mesh. Link ``frame`` to a frame-writer to
    save PNGs, or watch it in the editor.
    """

    type_name = "preview"
    category = "vision"
    inlets = (Inlet("frame", FRAME, "RGB frame"),
              Inlet("face", LANDMARKS, "face landmarks (facemesh)", hot=False),
              Inlet("left_hand", LANDMARKS, "left hand landmarks (hands)", hot=False),
              Inlet("right_hand", LANDMARKS, "right hand landmarks (hands)", hot=False))
    outlets = (Outlet("frame", FRAME, "a copy of the frame with the landmarks drawn"),)

    def open(self) -> None:
        connections()  # imports MediaPipe's tables now rather than on the first frame

    def process(self, inputs: Inputs) -> dict[str, Any]:
        image = inputs["frame"].copy()
        changed = inputs.changed
        if "face" in changed and inputs["face"] is not None:
            draw_face(image, inputs["face"])
        for inlet, left in (("left_hand", True), ("right_hand", False)):
            if inlet in changed and inputs[inlet] is not None:
                draw_hand(image, inputs[inlet], left)
        return {"frame": image}
