"""hands: the real MediaPipe Hands model on drawn hands, sides, features."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage import data

from nodegraph.schema import PortInfo
from nodes.hands import LABELS
from nodes.vision.hand_geometry import hand_features

from engine_helpers import engine_from

HANDS = """\
format: nodegraph/1
nodes:
  hands: {{type: hands, params: {params}}}
  left: {{type: t-sink}}
  right: {{type: t-sink}}
  features: {{type: t-sink}}
links:
  - hands.left -> left.in
  - hands.right -> right.in
  - hands.features -> features.in
"""


def drawn_hand(finger_lengths=(90, 115, 125, 118, 95), thumb_angle=-55.0) -> np.ndarray:
    """A flat-shaded right hand, palm to the camera, fingers up, thumb on the image's
    left (as an unmirrored camera sees a performer's right hand). No hand photo ships
    with the libraries here, and MediaPipe's palm detector takes this drawing."""
    height, width = 480, 640
    mask = np.zeros((height, width), np.uint8)
    cx, cy = 320, 320
    palm = np.array([(-62, -55), (62, -60), (70, 40), (45, 95), (-45, 95), (-72, 30)]) + (cx, cy)
    cv2.fillPoly(mask, [palm.astype(np.int32)], 255, cv2.LINE_AA)
    bases = ((-60, 20), (-42, -55), (-12, -60), (18, -60), (46, -55))
    angles = (thumb_angle, -12.0, 0.0, 10.0, 22.0)
    for (bx, by), angle, length, thickness in zip(bases, angles, finger_lengths,
                                                  (34, 30, 31, 30, 27)):
        a = np.radians(angle)
        base = (cx + bx, cy + by)
        tip = (int(base[0] + length * np.sin(a)), int(base[1] - length * np.cos(a)))
        cv2.line(mask, base, tip, 255, thickness, cv2.LINE_AA)
        cv2.circle(mask, tip, thickness // 2, 255, -1, cv2.LINE_AA)
    cv2.rectangle(mask, (cx - 48, cy + 80), (cx + 48, height), 255, -1)  # the arm
    inside = cv2.distanceTransform((mask > 128).astype(np.uint8), cv2.DIST_L2, 5)
    shade = (0.55 + 0.45 * np.tanh(inside / 10.0))[..., None]
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    image = (np.array((60, 70, 90), np.float32) * (1 - alpha)
             + np.array((224, 172, 140), np.float32) * shade * alpha)
    return np.clip(image, 0, 255).astype(np.uint8)


def run_frames(frames, params: str = "{}"):
    engine = engine_from(HANDS.format(params=params))
    for frame in frames:
        engine.send("hands", "frame", frame)
        engine.scheduler.run_pending()
    got = {side: [m for m, _ in engine.runtime[side].node.got]
           for side in ("left", "right", "features")}
    report = engine.report()
    engine.close()
    return got, report


def named(vector: np.ndarray) -> dict[str, float]:
    return dict(zip(LABELS, vector.tolist()))


def test_finds_21_landmarks_and_names_the_performers_side():
    got, report = run_frames([drawn_hand()])
    assert got["left"] == [] and len(got["right"]) == 1
    hand = got["right"][0]
    assert hand.shape == (21, 3) and hand.dtype == np.float32
    # The wrist is at the bottom, the middle fingertip at the top of the drawing.
    assert hand[0, 1] > 0.75 and hand[12, 1] < 0.35
    f = named(got["features"][0])
    assert f["right_present"] == 1.0 and f["left_present"] == 0.0
    assert f["right_x"] == pytest.approx(0.5, abs=0.05)
    assert report["vision"]["nodes"]["hands"]["hand_found_ratio"] == 1.0


def test_mirrored_frames_swap_the_sides():
    got, _ = run_frames([np.ascontiguousarray(drawn_hand()[:, ::-1])])
    assert len(got["left"]) == 1 and got["right"] == []  # MediaPipe's own labels
    got, _ = run_frames([np.ascontiguousarray(drawn_hand()[:, ::-1])], "{mirrored: true}")
    assert len(got["right"]) == 1 and got["left"] == []


def test_openness_and_pinch_move_the_right_way():
    open_hand = named(run_frames([drawn_hand()])[0]["features"][0])
    fist = named(run_frames([drawn_hand(finger_lengths=(60, 40, 40, 40, 35))])[0]["features"][0])
    pinch = named(run_frames([drawn_hand(finger_lengths=(150, 115, 125, 118, 95),
                                         thumb_angle=10.0)])[0]["features"][0])
    assert open_hand["right_open"] > fist["right_open"] + 0.3
    assert pinch["right_pinch"] > open_hand["right_pinch"] + 0.1


def test_a_lost_hand_holds_its_features_with_present_0():
    got, report = run_frames([drawn_hand(), data.astronaut()])
    seen, lost = (named(v) for v in got["features"])
    assert lost["right_present"] == 0.0
    for name in ("right_pinch", "right_open", "right_x", "right_y"):
        assert lost[name] == seen[name]
    assert report["vision"]["nodes"]["hands"]["hand_found_ratio"] == 0.5


def test_features_are_labelled_at_load_and_scale_free():
    engine = engine_from(HANDS.format(params="{}"))
    assert engine.graph.port_infos["hands"]["features"] == PortInfo(10, LABELS)
    engine.close()
    hand = run_frames([drawn_hand()])[0]["right"][0]
    smaller = hand.copy()
    smaller[:, :2] = 0.3 + 0.5 * hand[:, :2]
    a, b = hand_features(hand, 4 / 3), hand_features(smaller, 4 / 3)
    assert a[:3] == pytest.approx(b[:3], abs=1e-5)  # present, pinch, open
