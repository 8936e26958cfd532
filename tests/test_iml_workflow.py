"""The seed's steps (i)–(iv) as a headless script through the engine.

Poses come from a ``constant`` node (the camera → facemesh → face-features chain stands
here), go through ``normalize`` into ``regress.x``; ``latent-explorer`` feeds
``regress.target``; the output goes through ``smooth`` to a sink. Explore, record pairs
at several poses, train, run, and return to each pose: the output must come back to its
target (KNN exactly, the MLP within a tolerance). Then save, reopen, and the same.
"""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.clock import VirtualClock
from nodegraph.edits import SetParam
from nodegraph.engine import Engine

from engine_helpers import registry

PATCH = """\
format: nodegraph/1
nodes:
  pose: {type: constant, params: {value: [0.0, 0.0, 0.0]}}
  norm: {type: normalize}
  explorer: {type: latent-explorer, params: {size: 4}}
  map: {type: regress, params: {algorithm: %s}}
  smooth: {type: smooth, params: {method: ema, time_ms: 30.0, step_ms: 10.0}}
  out: {type: t-sink}
links:
  - pose.out -> norm.in
  - norm.out -> map.x
  - explorer.out -> map.target
  - map.out -> smooth.in
  - smooth.out -> out.in
"""

#: Raw "face features" in their own units (a mouth opening is small, a yaw is not).
POSES = [[0.00, -0.5, 0.30], [0.02, -0.5, 0.30], [0.00, 0.5, 0.30], [0.00, -0.5, 0.90],
         [0.02, 0.5, 0.90], [0.01, 0.0, 0.60]]


class Session:
    """Drives a patch the way a performer would, on a virtual clock."""

    def __init__(self, path):
        self.engine = Engine.load(path, registry=registry(), clock=VirtualClock())
        self.engine.open()

    def node(self, node_id):
        return self.engine.runtime[node_id].node

    def pose(self, values):
        self.engine.do(SetParam("pose", "value", [float(v) for v in values]))
        self.wait(0.05)

    def send(self, node_id, inlet, value=True):
        self.engine.send(node_id, inlet, value)
        self.wait(0.05)

    def wait(self, seconds):
        self.engine.run_offline(seconds)

    @property
    def output(self):
        return np.asarray(self.node("out").got[-1][0])


@pytest.mark.parametrize("algorithm,tolerance", [("knn", 1e-6), ("mlp", 0.05)])
def test_explore_record_train_run_then_return_to_each_pose(tmp_path, algorithm, tolerance):
    path = tmp_path / "face.yaml"
    path.write_text(PATCH % algorithm)
    s = Session(path)

    for pose in POSES:  # calibrate: move through the range, then fit the normalizer
        s.pose(pose)
    s.send("norm", "fit")

    targets = []
    for pose in POSES:
        s.send("explorer", "randomize")                    # (i) explore
        s.pose(pose)                                       # (ii) pose...
        s.send("map", "record")                            # ...and pair
        targets.append(np.array(s.node("explorer").report()["values"]))
        s.wait(0.5)
        assert np.allclose(s.output, targets[-1], atol=1e-5)  # the explorer is heard
    assert s.node("map").report()["examples"] == len(POSES)  # (iii) repeated

    s.send("map", "train")                                 # (iv) train and run
    s.send("map", "run", 1.0)
    assert s.node("map").report()["trained"]
    for pose, target in zip(reversed(POSES), reversed(targets)):
        s.pose(pose)
        s.wait(0.5)
        assert np.abs(s.output - target).max() < tolerance * max(1.0, np.abs(target).max())

    # Between two recorded poses the output moves away from both targets.
    s.pose(np.mean(POSES[:2], axis=0))
    s.wait(0.5)
    assert not np.allclose(s.output, targets[0], atol=1e-3)
    assert not np.allclose(s.output, targets[1], atol=1e-3)
    between = s.output.copy()

    s.engine.save()
    s.engine.close()
    again = Session(path)  # reopen: examples, model and scaler come back; no retraining
    assert again.node("map").report()["examples"] == len(POSES)
    again.send("map", "run", 1.0)
    again.pose(np.mean(POSES[:2], axis=0))
    again.wait(0.5)
    assert np.allclose(again.output, between, atol=1e-6)
