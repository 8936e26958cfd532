"""preview and frame-writer, and the face-features patch run headless from the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
from skimage import data

from nodes.vision.drawing import FACE_RGB
from nodes.vision.landmarkers import FaceMeshSolution

from engine_helpers import engine_from

ROOT = Path(__file__).resolve().parent.parent
PATCH = ROOT / "patches" / "face-features.yaml"


def face_pixels(image: np.ndarray) -> np.ndarray:
    """Mask of pixels in the face-mesh dot colour."""
    return np.all(image == np.array(FACE_RGB, np.uint8), axis=2)


def test_preview_draws_the_mesh_on_a_copy_and_only_with_fresh_landmarks():
    photo = data.astronaut()
    mesh = FaceMeshSolution(0.5, 0.5)
    landmarks, _ = mesh.detect(photo, 0.0)
    mesh.close()
    engine = engine_from("""\
format: nodegraph/1
nodes:
  preview: {type: preview}
  out: {type: t-sink}
links:
  - preview.frame -> out.in
""")
    engine.send("preview", "face", landmarks)
    engine.send("preview", "frame", photo)
    engine.scheduler.run_pending()
    engine.send("preview", "frame", photo)  # next frame: no landmarks came with it
    engine.scheduler.run_pending()
    (drawn, _), (bare, _) = engine.runtime["out"].node.got
    engine.close()
    assert not face_pixels(photo).any()  # the input frame is untouched
    dots = face_pixels(drawn)
    ys, xs = np.nonzero(dots)
    assert dots.sum() > 400
    # Every dot lies on the face (x 175–275, y 65–180 in this photo).
    assert 170 <= xs.min() and xs.max() <= 282 and 60 <= ys.min() and ys.max() <= 185
    assert np.array_equal(bare, photo)


def test_frame_writer_saves_every_nth_frame(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an unsaved patch writes in the working folder
    engine = engine_from("""\
format: nodegraph/1
nodes:
  writer: {type: frame-writer, params: {folder: shots, every: 3}}
""")
    frames = [np.full((48, 64, 3), (10 * i, 5, 200), np.uint8) for i in range(7)]
    for frame in frames:
        engine.send("writer", "frame", frame)
        engine.scheduler.run_pending()
    engine.close()  # waits for the writer thread
    files = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert files == ["frame_000000.png", "frame_000003.png", "frame_000006.png"]
    saved = cv2.cvtColor(cv2.imread(str(tmp_path / "shots" / "frame_000003.png")),
                         cv2.COLOR_BGR2RGB)
    assert np.array_equal(saved, frames[3])


def test_face_features_patch_runs_headless_and_reports_vision(tmp_path):
    report_path, frames = tmp_path / "report.json", tmp_path / "frames"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "nodegraph", "run", str(PATCH), "--offline",
         "--duration", "2", "--report", str(report_path), "--set", f"frames.folder={frames}",
         "--allow-write", str(frames)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(report_path.read_text())
    cam, face = report["vision"]["nodes"]["cam"], report["vision"]["nodes"]["face"]
    frames_sent = cam["frames"]
    assert frames_sent in (60, 61)  # 2 s at 30 fps, t = 0 included
    assert cam["fps"] == 30.0 and cam["dropped"] == 0
    assert face["face_found_ratio"] > 0.95
    for node in ("face", "features", "preview"):
        stats = report["nodes"][node]
        assert stats["calls"] == frames_sent and stats["time_s"] > 0 and stats["errors"] == 0
    assert "facemesh" in result.stdout and "ms/call" in result.stdout
    assert len(report["nodes"]["show"]["last"]) == 12  # all features
    saved = sorted(frames.iterdir())
    assert [p.name for p in saved] == [f"frame_{n:06d}.png" for n in range(0, frames_sent, 30)]
    image = cv2.imread(str(saved[1]))[:, :, ::-1]
    assert face_pixels(image).sum() > 400
