"""The normalize node: the three methods, the live window, the zero-range guard, state,
and FluCoMa Normalize / Standardize / RobustScale files in and out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine

from engine_helpers import registry

PATCH = """\
format: nodegraph/1
nodes:
  src: {type: t-vec, params: {size: 3}}
  norm: {type: normalize, params: {method: %s, window_s: 2.0}}
  out: {type: t-sink}
links:
  - src.out -> norm.in
  - norm.out -> out.in
"""


class Rig:
    def __init__(self, path, method="minmax"):
        if not path.exists():
            path.write_text(PATCH % method)
        self.engine = Engine.load(path, registry=registry(), clock=VirtualClock())
        self.engine.open()
        self.node = self.engine.runtime["norm"].node
        self.t = 0.0

    def feed(self, rows, dt=0.1):
        """Send rows ``dt`` seconds apart (timestamps drive the window)."""
        for row in rows:
            self.t += dt
            self.engine.scheduler.post(self.engine.runtime["src"], "out",
                                       np.asarray(row, dtype=np.float32), t=self.t)
            self.engine.scheduler.run_pending()
        return np.asarray(self.engine.runtime["out"].node.got[-1][0])

    def send(self, inlet, value=True):
        self.engine.send("norm", inlet, value)
        self.engine.scheduler.run_pending()


@pytest.fixture
def data():
    rng = np.random.default_rng(5)
    return np.c_[rng.uniform(10, 20, 15), rng.normal(0, 3, 15), np.full(15, 7.0)]


def test_values_pass_unchanged_until_fitted(tmp_path, data):
    rig = Rig(tmp_path / "p.yaml")
    assert np.allclose(rig.feed(data[:1]), data[0])
    assert not rig.node.report()["fitted"]


@pytest.mark.parametrize("method", ["minmax", "standard", "robust"])
def test_each_method_scales_the_window_and_guards_the_constant_dimension(tmp_path, data, method):
    rig = Rig(tmp_path / "p.yaml", method)
    rig.feed(data)
    rig.send("fit")
    out = np.array([rig.feed([row]) for row in data])
    if method == "minmax":
        assert np.allclose(out[:, :2].min(0), 0, atol=1e-6)
        assert np.allclose(out[:, :2].max(0), 1, atol=1e-6)
    elif method == "standard":
        assert np.allclose(out[:, :2].mean(0), 0, atol=1e-5)
        assert np.allclose(out[:, :2].std(0), 1, atol=1e-5)
    else:
        assert np.allclose(np.median(out[:, :2], axis=0), 0, atol=1e-6)
        q1, q3 = np.percentile(out[:, :2], [25, 75], axis=0)
        assert np.allclose(q3 - q1, 1, atol=1e-5)
    assert np.isfinite(out).all() and np.allclose(out[:, 2], out[0, 2])
    assert rig.node.report()["constant_dims"] == [2]


def test_float_noise_on_a_still_dimension_is_not_blown_up(tmp_path, data):
    rig = Rig(tmp_path / "p.yaml")
    noisy = data.copy()
    noisy[:, 2] = np.float32(7.0) + np.where(np.arange(15) % 2, 4.8e-7, 0.0)  # 1 float32 step
    rig.feed(noisy)
    rig.send("fit")
    assert abs(rig.feed(noisy[1:2])[2] - rig.feed(noisy[:1])[2]) < 1e-5


def test_fit_uses_only_the_last_window_s_seconds(tmp_path, data):
    rig = Rig(tmp_path / "p.yaml")
    rig.feed([[1000.0, 1000.0, 1000.0]])                 # an old extreme...
    rig.feed(data, dt=0.5)                                # ...7.5 s ago by the end
    rig.send("fit")
    recent = data[-5:]                                    # window_s = 2.0: the last 5 rows
    out = rig.feed([recent.max(axis=0)], dt=0.0)
    assert np.allclose(out[:2], 1.0, atol=1e-6)


def test_fit_with_no_input_is_a_clear_error(tmp_path):
    rig = Rig(tmp_path / "p.yaml")
    rig.send("fit")
    assert "no input has arrived yet" in rig.engine.runtime["norm"].last_error


@pytest.mark.parametrize("obj,x,expected", [
    ({"cols": 2, "data_min": [0, 10], "data_max": [2, 10], "min": -1, "max": 1},
     [1, 12], [0, 3]),                         # range 0 guarded to 1, as in FluCoMa
    ({"cols": 2, "mean": [1, 2], "std": [2, 0.5]}, [3, 1], [1, -2]),
    ({"cols": 2, "median": [1, 0], "range": [4, 2], "data_low": [-1, -1],
      "data_high": [3, 1], "low": 25, "high": 75}, [3, 1], [0.5, 0.5]),
])
def test_flucoma_scaler_files_written_by_hand_import(tmp_path, obj, x, expected):
    (tmp_path / "scaler.json").write_text(json.dumps(obj))
    path = tmp_path / "p.yaml"
    path.write_text(PATCH.replace("size: 3", "size: 2") % "minmax")
    rig = Rig(path)
    rig.send("read", "scaler.json")                       # relative to the patch file
    assert np.allclose(rig.feed([x]), expected)
    rig.send("write", str(tmp_path / "back.json"))
    back = json.loads((tmp_path / "back.json").read_text())
    assert set(back) == set(obj) and back["cols"] == 2


def test_reading_a_dataset_fits_on_its_points(tmp_path):
    dataset = {"cols": 3, "data": {"a": [0, 0, 5], "b": [4, 2, 5], "c": [2, 1, 5]}}
    (tmp_path / "inputs.json").write_text(json.dumps(dataset))
    rig = Rig(tmp_path / "p.yaml")
    rig.send("read", str(tmp_path / "inputs.json"))
    assert np.allclose(rig.feed([[2, 1, 5]]), [0.5, 0.5, 0])


def test_a_malformed_file_is_refused_with_the_field_and_nothing_changes(tmp_path, data):
    (tmp_path / "bad.json").write_text(json.dumps({"cols": 3, "mean": [0, 0], "std": [1, 1, 1]}))
    rig = Rig(tmp_path / "p.yaml")
    rig.feed(data)
    rig.send("fit")
    before = rig.feed(data[:1])
    rig.send("read", str(tmp_path / "bad.json"))
    assert "'mean': expected 3 numbers, got 2" in rig.engine.runtime["norm"].last_error
    assert np.allclose(rig.feed(data[:1]), before)


def test_the_fit_is_saved_with_the_patch_as_flucoma_json(tmp_path, data):
    path = tmp_path / "p.yaml"
    rig = Rig(path, "robust")
    rig.feed(data)
    rig.send("fit")
    expected = rig.feed(data[3:4])
    rig.engine.save()
    rig.engine.close()
    saved = json.loads((tmp_path / "p.data" / "norm" / "robustscale.json").read_text())
    assert saved["low"] == 25 and saved["high"] == 75 and len(saved["median"]) == 3
    again = Rig(path)
    assert again.node.report()["fitted"] and np.allclose(again.feed(data[3:4]), expected)


def test_a_bad_saved_scaler_fails_the_node_and_saving_keeps_it(tmp_path):
    folder = tmp_path / "p.data" / "norm"
    folder.mkdir(parents=True)
    (folder / "standardize.json").write_text('{"cols": 3, "mean": [0, 0, 0]}')
    rig = Rig(tmp_path / "p.yaml")
    rn = rig.engine.runtime["norm"]
    assert rn.status == "failed" and "missing field 'std'" in rn.last_error
    rig.engine.save()
    assert (folder / "standardize.json").read_text() == '{"cols": 3, "mean": [0, 0, 0]}'
