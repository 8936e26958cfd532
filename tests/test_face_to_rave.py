"""face-to-rave, the seed's steps (i)–(iv) scripted on the real chain.

camera (test face) → facemesh (MediaPipe) → face-features → normalize → regress → smooth
→ rave-decode (the default model) → audio-out, with latent-explorer into regress.target,
offline on a virtual clock. The test face holds poses (the camera's ``pose`` param) as a
performer would. Returning to a recorded pose must bring the output latent back to its
target: KNN exactly (each pose was recorded over many frames, so a returning face's
nearest examples all carry its target, whatever MediaPipe's frame-to-frame jitter), the
MLP within :data:`MLP_TOLERANCE`.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from nodegraph.edits import SetParam
from nodegraph.engine import Engine
from patches.face_to_rave import PATCH, POSES, RECORD_S, Session, calibrate

#: Largest deviation of the MLP's output from a pose's target when the face returns to
#: it, relative to the target's largest value (measured: about 0.01 on this machine).
MLP_TOLERANCE = 0.05


def test_the_patch_checks_and_ships_its_learned_state():
    engine = Engine.load(PATCH)
    sizes = engine.graph.port_infos
    assert sizes["explorer"]["out"].size == sizes["decode"]["latent"].size == 8  # the model's
    assert sizes["map"]["out"].size == sizes["smooth"]["out"].size == 8
    assert sizes["features"]["features"].labels == ("yaw", "roll", "mouth_open")
    data = PATCH.with_suffix(".data")
    assert {p.name for p in (data / "map").iterdir()} >= {"inputs.json", "outputs.json",
                                                          "mlp.json"}
    assert (data / "norm" / "normalize.json").is_file()
    assert (data / "explorer" / "bookmarks.json").is_file()
    assert engine.patch.nodes["map"].params["autorun"] is True


def test_explore_pose_record_train_run_and_return_to_each_pose(tmp_path):
    path = tmp_path / PATCH.name
    shutil.copyfile(PATCH, path)                        # the patch without learned state
    s = Session(path)
    try:
        calibrate(s, seconds=6.5)                       # a full turn, mouth and some tilt
        assert s.node("norm").report()["fitted"]

        targets = {}
        for name, (pose, _) in POSES.items():
            s.send("explorer", "randomize")             # (i) explore ...
            s.send("explorer", "bookmark", name)
            targets[name] = s.last("explorer")
            s.hold(pose)                                # (ii) ... pose ...
            assert np.array_equal(s.last("map"), targets[name])  # the explorer is heard
            s.record_while(RECORD_S)                    # ... and pair, every frame
        report = s.node("map").report()                 # (iii) repeated for each pose
        assert report["rounds"] == len(POSES)
        assert report["examples"] >= len(POSES) * RECORD_S * 30 * 0.9
        assert not report["trained"]

        for algorithm in ("knn", "mlp"):                # (iv) train, run, return
            s.engine.do(SetParam("map", "algorithm", algorithm))
            s.send("map", "train")
            assert s.node("map").report()["regressor"] == algorithm
            for name, (pose, _) in reversed(POSES.items()):
                s.hold(pose)
                out, target = s.last("map"), targets[name]
                error = np.abs(out - target).max() / np.abs(target).max()
                if algorithm == "knn":
                    assert error < 1e-6, name
                else:
                    assert error < MLP_TOLERANCE, (name, error)
            s.hold("yaw=12, roll=5")                    # between poses:
            nearest = min(np.abs(s.last("map") - t).max() for t in targets.values())
            if algorithm == "knn":                      # the nearest pose's sound, as is
                assert nearest < 1e-6
            else:                                       # a blend
                assert nearest > 0.1
    finally:
        s.close()
