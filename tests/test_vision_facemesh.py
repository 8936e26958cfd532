"""facemesh on real photos with the real MediaPipe models."""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import mediapipe
import numpy as np
import pytest
from skimage import data

from nodegraph.errors import PatchError
from nodes.vision.landmarkers import BLENDSHAPES, to_array

from engine_helpers import engine_from

FACEMESH = """\
format: nodegraph/1
nodes:
  face: {{type: facemesh, params: {params}}}
  marks: {{type: t-sink}}
  present: {{type: t-sink}}
links:
  - face.landmarks -> marks.in
  - face.present -> present.in
"""


def run_frames(frames, params: str = "{}"):
    """Send frames through a facemesh node; return (landmark messages, present values,
    engine report)."""
    engine = engine_from(FACEMESH.format(params=params))
    for frame in frames:
        engine.send("face", "frame", frame)
        engine.scheduler.run_pending()
    marks = [m for m, _ in engine.runtime["marks"].node.got]
    present = [p for p, _ in engine.runtime["present"].node.got]
    report = engine.report()
    engine.close()
    return marks, present, report


def blank() -> np.ndarray:
    return np.full((480, 640, 3), 128, np.uint8)


def test_finds_all_478_landmarks_on_the_astronaut_photo():
    marks, present, report = run_frames([data.astronaut()])
    assert present == [1.0]
    landmarks = marks[0]
    assert landmarks.shape == (478, 3) and landmarks.dtype == np.float32
    # The face in this 512×512 photo spans about x 175–275, y 65–180 pixels.
    xy = landmarks[:, :2] * 512
    assert xy.min(axis=0) == pytest.approx([175, 65], abs=12)
    assert xy.max(axis=0) == pytest.approx([275, 180], abs=12)
    assert report["vision"]["nodes"]["face"]["face_found_ratio"] == 1.0


def test_the_landmark_indices_face_features_relies_on():
    """Checks, on the real photo, the canonical mesh indices used by face_geometry."""
    (lm,), _, _ = run_frames([data.astronaut()])
    x, y = lm[:, 0], lm[:, 1]
    # Performer's right eye (33 outer, 133 inner) is on the image's left, left eye on its right.
    assert x[33] < x[133] < x[1] < x[362] < x[263]
    assert y[159] < y[145] and y[386] < y[374]            # upper lids above lower lids
    assert y[105] < y[159] and y[334] < y[386]            # brows above the eyes
    assert y[151] < y[168] < y[1] < y[2] < y[13] <= y[14] < y[152]  # down the midline
    assert x[61] < x[13] < x[291]                         # mouth corners either side
    assert x[468] < x[1] < x[473]                         # iris centres (refined)


def test_no_face_gives_present_0_and_holds_or_stays_silent():
    background = data.camera()[:120, :200]  # sky and grass of the cameraman photo: no face
    grey = np.ascontiguousarray(np.repeat(background[..., None], 3, axis=2))
    frames = [data.astronaut(), grey, blank()]
    marks, present, report = run_frames(frames, "{when_lost: hold}")
    assert present == [1.0, 0.0, 0.0]
    assert len(marks) == 3 and all(m is marks[0] for m in marks)
    assert report["vision"]["nodes"]["face"]["face_found_ratio"] == pytest.approx(1 / 3, abs=1e-3)
    marks, present, _ = run_frames(frames, "{when_lost: silent}")
    assert present == [1.0, 0.0, 0.0] and len(marks) == 1


def test_a_frame_that_is_not_rgb_flags_the_node_and_it_recovers():
    engine = engine_from(FACEMESH.format(params="{}"))
    face = engine.runtime["face"]
    engine.send("face", "frame", np.zeros((10, 10), np.float32))
    engine.scheduler.run_pending()
    assert face.status == "error" and "expected an RGB frame" in face.last_error
    engine.send("face", "frame", data.astronaut())
    engine.scheduler.run_pending()
    assert face.status == "ok" and engine.runtime["present"].node.got[-1][0] == 1.0


def wheel_models_as_task(path: Path) -> Path:
    """A Tasks-API bundle assembled from the Face Mesh models inside the mediapipe
    wheel (a .task is an uncompressed zip of .tflite files). Real face_landmarker.task
    files cannot be downloaded here; this one exercises loading and the video-mode
    call path, not landmark accuracy (the legacy models differ in detail)."""
    modules = Path(mediapipe.__file__).parent / "modules"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as bundle:
        bundle.write(modules / "face_detection" / "face_detection_short_range.tflite",
                     "face_detector.tflite")
        bundle.write(modules / "face_landmark" / "face_landmark.tflite",
                     "face_landmarks_detector.tflite")
    return path


def test_a_tasks_model_file_is_used_and_adds_a_labelled_blendshapes_outlet(tmp_path, caplog):
    task = wheel_models_as_task(tmp_path / "face.task")
    text = FACEMESH.format(params=f"{{model: {task}}}")
    with caplog.at_level(logging.WARNING):
        engine = engine_from(text)
    assert engine.graph.port_infos["face"]["blendshapes"].labels == BLENDSHAPES
    assert len(BLENDSHAPES) == 52
    assert "has no blendshape model; the blendshapes outlet will stay silent" in caplog.text
    for _ in range(2):
        engine.send("face", "frame", data.astronaut())
        engine.scheduler.run_pending()
    assert engine.runtime["face"].status == "ok"
    marks = engine.runtime["marks"].node.got
    assert len(marks) == 2 and marks[0][0].shape == (478, 3)


def test_a_bad_model_path_fails_the_node_and_says_what_to_give(tmp_path):
    engine = engine_from(FACEMESH.format(params=f"{{model: {tmp_path / 'missing.task'}}}"))
    face = engine.runtime["face"]
    assert face.status == "failed" and "no face landmarker model at" in face.last_error
    engine.close()
    not_zip = tmp_path / "bad.task"
    not_zip.write_text("hello")
    engine = engine_from(FACEMESH.format(params=f"{{model: {not_zip}}}"))
    assert "is not a MediaPipe .task bundle" in engine.runtime["face"].last_error


def test_landmark_links_are_checked_at_load():
    with pytest.raises(PatchError, match="sends 21 values but features.landmarks expects 478"):
        engine_from("""\
format: nodegraph/1
nodes:
  hand: {type: hands}
  features: {type: face-features}
links:
  - hand.left -> features.landmarks
""")


def test_landmarks_read_from_wire_bytes_match_the_protobuf_fields():
    with mediapipe.solutions.face_mesh.FaceMesh(static_image_mode=True,
                                                refine_landmarks=True) as mesh:
        found = mesh.process(data.astronaut()).multi_face_landmarks[0]
    slow = np.array([(p.x, p.y, p.z) for p in found.landmark], np.float32)
    assert np.array_equal(to_array(found), slow)
    found.landmark[5].visibility = 0.5  # another field set: the bytes differ, still read right
    assert np.array_equal(to_array(found), slow)
