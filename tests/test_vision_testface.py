"""The test-face renderer: deterministic, cheap to call, and it really moves."""

from __future__ import annotations

import numpy as np

from nodes.vision.testface import FaceRenderer, Pose, choreography


def test_a_pose_always_renders_the_same_pixels():
    renderer, other = FaceRenderer(320, 240), FaceRenderer(320, 240)
    pose = choreography(2.345)
    frame = renderer.render(pose)
    assert frame.shape == (240, 320, 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, renderer.render(pose))
    assert np.array_equal(frame, other.render(pose))


def test_each_movement_changes_the_picture_where_it_should():
    renderer = FaceRenderer(640, 480)
    still = renderer.render(Pose()).astype(np.int16)

    def changed(pose: Pose) -> np.ndarray:
        return np.abs(renderer.render(pose).astype(np.int16) - still).max(axis=2) > 40

    # The head turns: the face centre changes, the frame corners do not.
    turned = changed(Pose(yaw=25))
    assert turned[200:300, 270:370].mean() > 0.1
    assert not turned[:40, :40].any() and not turned[-40:, -40:].any()
    # The mouth opens: pixels change in the lower face only, not around the eyes.
    mouth = changed(Pose(mouth=1.0))
    assert mouth[250:330, 270:370].mean() > 0.2
    assert mouth[:200].mean() < 0.01
    # A nod, a tilt and a zoom all move the face.
    for pose in (Pose(pitch=15), Pose(roll=10), Pose(zoom=1.2), Pose(x=0.1)):
        assert changed(pose)[150:350, 220:420].mean() > 0.05, pose


def test_the_choreography_moves_everything_within_its_ranges():
    poses = [choreography(t / 10) for t in range(0, 600)]
    for name, low, high in (("yaw", -28, 28), ("pitch", -16, 16), ("roll", -12, 12),
                            ("mouth", 0, 1), ("zoom", 0.85, 1.15)):
        values = np.array([getattr(p, name) for p in poses])
        assert values.min() >= low - 1e-9 and values.max() <= high + 1e-9, name
        assert values.max() - values.min() > 0.8 * (high - low), name
