"""face-features: names and labels at load, invariances, and directions on the
moving test face through the real Face Mesh."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skimage import data

from nodegraph.engine import Engine
from nodegraph.errors import PatchError
from nodegraph.schema import PortInfo
from nodes.vision.face_geometry import FEATURES, compute_features, parse_feature_list
from nodes.vision.landmarkers import FaceMeshSolution
from nodes.vision.testface import FaceRenderer, Pose

from engine_helpers import engine_from

ALL = tuple(FEATURES)
ASPECT = 4 / 3


@pytest.fixture(scope="module")
def astronaut_landmarks() -> np.ndarray:
    mesh = FaceMeshSolution(0.5, 0.5)
    landmarks, _ = mesh.detect(data.astronaut(), 0.0)
    mesh.close()
    return landmarks


def test_feature_list_parsing():
    assert parse_feature_list("all") == ALL
    assert parse_feature_list(" yaw, mouth_open ") == ("yaw", "mouth_open")
    with pytest.raises(ValueError) as error:
        parse_feature_list("mouth_open,smiel")
    assert str(error.value) == ("unknown feature(s) 'smiel'; write 'all' or comma-separated names "
                                "from: " + ", ".join(ALL))
    with pytest.raises(ValueError, match="listed twice: yaw"):
        parse_feature_list("yaw,roll,yaw")
    with pytest.raises(ValueError, match="no features"):
        parse_feature_list(" , ")


def test_labels_are_known_at_load_and_bad_names_are_located(tmp_path):
    engine = engine_from("""\
format: nodegraph/1
nodes:
  face: {type: facemesh}
  feat: {type: face-features, params: {features: 'mouth_open,smile,yaw'}}
links:
  - face.landmarks -> feat.landmarks
""")
    labels = ("mouth_open", "smile", "yaw")
    assert engine.graph.port_infos["feat"]["features"] == PortInfo(3, labels)
    engine.close()
    patch = tmp_path / "bad.yaml"
    patch.write_text("format: nodegraph/1\nnodes:\n  feat:\n    type: face-features\n"
                     "    params: {features: 'yaw,nod'}\n")
    with pytest.raises(PatchError) as error:
        Engine.load(patch)
    assert str(error.value).startswith(f"{patch}:3: node 'feat' (face-features): features: "
                                       "unknown feature(s) 'nod'; write 'all' or")


def transformed(landmarks: np.ndarray, scale: float = 1.0, shift=(0.0, 0.0),
                degrees: float = 0.0) -> np.ndarray:
    """Scale about the frame centre, rotate clockwise on screen (in square pixels),
    then shift; z scales with x, as MediaPipe's z does."""
    out = landmarks.astype(np.float64).copy()
    x, y = (out[:, 0] - 0.5) * ASPECT, out[:, 1] - 0.5
    a = math.radians(degrees)
    x, y = x * math.cos(a) - y * math.sin(a), x * math.sin(a) + y * math.cos(a)
    out[:, 0] = x * scale / ASPECT + 0.5 + shift[0]
    out[:, 1] = y * scale + 0.5 + shift[1]
    out[:, 2] *= scale
    return out.astype(np.float32)


def test_features_do_not_depend_on_where_the_face_is_or_how_large(astronaut_landmarks):
    base = dict(zip(ALL, compute_features(astronaut_landmarks, ALL, ASPECT)))
    moved = transformed(astronaut_landmarks, scale=0.6, shift=(0.2, -0.1))
    after = dict(zip(ALL, compute_features(moved, ALL, ASPECT)))
    for name in ALL:
        if name not in ("face_x", "face_y", "face_scale"):
            assert after[name] == pytest.approx(base[name], abs=1e-4), name
    assert after["face_scale"] == pytest.approx(0.6 * base["face_scale"], rel=1e-4)
    assert after["face_x"] == pytest.approx(0.5 + 0.6 * (base["face_x"] - 0.5) + 0.2, abs=1e-5)
    assert after["face_y"] == pytest.approx(0.5 + 0.6 * (base["face_y"] - 0.5) - 0.1, abs=1e-5)


def test_a_head_tilt_changes_roll_only(astronaut_landmarks):
    base = dict(zip(ALL, compute_features(astronaut_landmarks, ALL, ASPECT)))
    tilted = dict(zip(ALL, compute_features(transformed(astronaut_landmarks, degrees=20), ALL,
                                            ASPECT)))
    assert tilted["roll"] == pytest.approx(base["roll"] + 20, abs=1e-3)
    for name in ("mouth_open", "mouth_width", "smile", "eye_left", "eye_right", "brow_raise",
                 "face_scale"):
        assert tilted[name] == pytest.approx(base[name], abs=1e-4), name
    assert tilted["yaw"] == pytest.approx(base["yaw"], abs=1e-3)
    assert tilted["pitch"] == pytest.approx(base["pitch"], abs=1e-3)


def test_the_photo_gives_plausible_values(astronaut_landmarks):
    f = dict(zip(ALL, compute_features(astronaut_landmarks, ALL, 1.0)))  # the photo is square
    assert 0.05 < f["mouth_open"] < 0.3          # smiling, teeth showing
    assert 0.8 < f["mouth_width"] < 1.3
    assert f["smile"] > 0                        # corners above the upper lip's centre
    assert 0.2 < f["eye_left"] < 0.5 and 0.2 < f["eye_right"] < 0.5
    assert abs(f["yaw"]) < 8 and abs(f["pitch"]) < 8 and 0 < f["roll"] < 8  # facing us, tilted
    assert f["face_x"] == pytest.approx(0.44, abs=0.03)
    assert f["face_y"] == pytest.approx(0.24, abs=0.03)


PIPELINE = """\
format: nodegraph/1
nodes:
  face: {type: facemesh}
  feat: {type: face-features}
  sink: {type: t-sink}
links:
  - face.landmarks -> feat.landmarks
  - feat.features -> sink.in
"""


@pytest.fixture
def features_of():
    """Pose → features of the test face's frame, through facemesh and face-features
    (a fresh pipeline per test: Face Mesh tracks from frame to frame)."""
    engine = engine_from(PIPELINE)
    renderer = FaceRenderer(640, 480)
    sink = engine.runtime["sink"].node

    def run(pose: Pose) -> dict[str, float]:
        before = len(sink.got)
        engine.send("face", "frame", renderer.render(pose))
        engine.scheduler.run_pending()
        assert len(sink.got) == before + 1, f"no face found for {pose}"
        return dict(zip(ALL, sink.got[-1][0].tolist()))

    run(Pose())
    yield run


def test_yaw_sign_follows_the_head_turn(features_of):
    left, still, right = (features_of(Pose(yaw=25)), features_of(Pose()),
                          features_of(Pose(yaw=-25)))
    assert left["yaw"] > 4 and right["yaw"] < -4
    assert left["yaw"] > still["yaw"] > right["yaw"]


def test_mouth_open_grows_as_the_mouth_opens(features_of):
    openings = [features_of(Pose(mouth=m))["mouth_open"] for m in (0.0, 0.5, 1.0)]
    assert openings[0] < openings[1] < openings[2]
    assert openings[2] - openings[0] > 0.12


def test_pitch_and_roll_follow_nods_and_tilts(features_of):
    assert features_of(Pose(pitch=15))["pitch"] > features_of(Pose())["pitch"] + 2 \
        > features_of(Pose(pitch=-15))["pitch"] + 4
    still = features_of(Pose())["roll"]
    assert features_of(Pose(roll=10))["roll"] == pytest.approx(still + 10, abs=2.5)
    assert features_of(Pose(roll=-10))["roll"] == pytest.approx(still - 10, abs=2.5)


def test_position_and_size_follow_the_face(features_of):
    still = features_of(Pose())
    moved = features_of(Pose(x=0.1, y=-0.05, zoom=1.15))
    assert moved["face_x"] == pytest.approx(still["face_x"] + 0.1, abs=0.02)
    assert moved["face_y"] == pytest.approx(still["face_y"] - 0.05, abs=0.02)
    assert moved["face_scale"] == pytest.approx(1.15 * still["face_scale"], rel=0.05)
    for name in ("mouth_open", "mouth_width"):
        assert moved[name] == pytest.approx(still[name], abs=0.03), name
