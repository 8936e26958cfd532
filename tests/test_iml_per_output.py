"""One model per output (Wekinator's way): each output with its own algorithm and inputs."""

from __future__ import annotations

import numpy as np
import pytest

from nodes.iml import per_output
from nodes.iml.algorithms import KNNRegressor, Settings
from nodes.iml.flucoma import FormatError
from nodes.iml.per_output import OutputSpec, PerOutputRegressor, parse_outputs
from nodes.iml.training import TrainingJob

from test_iml_regress import Driver, make


def _data(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (n, 3))
    y = np.stack([x[:, 0] * x[:, 2], 2 * x[:, 1] + 1, np.sin(x[:, 0]) + x[:, 2]], axis=1)
    return x, y


def test_the_outputs_param_reads_one_entry_per_output():
    assert parse_outputs("") == ()
    assert parse_outputs("knn  mlp:0,2 linear:1") == (
        OutputSpec("knn"), OutputSpec("mlp", (0, 2)), OutputSpec("linear", (1,)))
    for bad, says in (("svm", "one of mlp, knn"), ("mlp:", "input numbers"),
                      ("knn:0,0", "each once"), ("knn:-1", "from 0"), ("knn:a", "commas")):
        with pytest.raises(ValueError, match=says):
            parse_outputs(bad)


def test_each_output_uses_its_own_algorithm_and_only_its_inputs():
    x, y = _data()
    specs = parse_outputs("knn linear:1 mlp:0,2")
    job = TrainingJob()
    model = per_output.fit(specs, Settings(k=1), x, y, job)
    assert job.progress == 1.0 and model.n_inputs == 3 and model.n_outputs == 3
    assert isinstance(model.regressors[0], KNNRegressor)
    assert np.allclose(model.predict(x)[:, 0], y[:, 0])       # knn: the anchors exactly
    assert np.allclose(model.predict(x)[:, 1], y[:, 1], atol=1e-3)  # linear in x1
    probe = np.zeros((5, 3))
    probe[:, 0] = probe[:, 2] = np.linspace(-1, 1, 5)
    moved = probe.copy()
    moved[:, 1] = 0.9                                          # only output 1 listens to x1
    a, b = model.predict(probe), model.predict(moved)
    assert np.allclose(a[:, 2], b[:, 2]) and not np.allclose(a[:, 1], b[:, 1])
    probe[:, 0] = 0.5                                           # output 1 ignores x0, x2
    assert np.allclose(model.predict(probe)[:, 1], a[:, 1])


def test_a_per_output_regressor_saves_loads_and_replaces_a_joint_one(tmp_path):
    x, y = _data()
    joint = KNNRegressor(x, y, 2)
    joint.save(tmp_path)
    model = per_output.fit(parse_outputs("knn poly:0,1 linear"), Settings(), x, y, TrainingJob())
    model.save(tmp_path)
    per_output.remove_other_regressors(tmp_path, model)
    assert not (tmp_path / "knn.npz").exists()
    loaded = per_output.load_regressor(tmp_path, per_output=True, prefer="mlp")
    assert isinstance(loaded, PerOutputRegressor) and loaded.specs == model.specs
    assert np.allclose(loaded.predict(x), model.predict(x))
    joint.save(tmp_path)
    per_output.remove_other_regressors(tmp_path, joint)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["knn.npz"]


def test_a_broken_index_is_refused_naming_the_field(tmp_path):
    (tmp_path / "per-output.json").write_text(
        '{"inputs": 2, "outputs": [{"algorithm": "knn", "inputs": [5], "folder": "output-0"}]}')
    with pytest.raises(FormatError, match=r"outputs\[0\].*below 2"):
        PerOutputRegressor.load(tmp_path / "per-output.json")


def test_regress_trains_runs_and_reopens_with_a_model_per_output(tmp_path):
    d = Driver(make("algorithm: mlp, outputs: 'knn knn linear:1', k: 1", path=tmp_path / "p.yaml"))
    assert not d.map.param_applies("algorithm") and d.map.param_applies("k")
    assert not d.map.param_applies("hidden")
    for xy, target in (([0, 0], [1, 2, 3]), ([1, 0], [4, 5, 3]), ([0, 1], [7, 8, 9])):
        d.pair(xy, target)
    d.send("train")
    d.send("run", 1.0)
    d.post("x", [1, 0])
    assert d.out[:2].tolist() == [4, 5] and d.map.report()["regressor"] == "per-output"
    d.engine.close()
    reopened = Driver(make("algorithm: mlp, outputs: 'knn knn linear:1', k: 1",
                           path=tmp_path / "p.yaml"))
    reopened.send("run", 1.0)
    reopened.post("x", [0, 1])
    assert reopened.out[:2].tolist() == [7, 8]


def test_outputs_that_do_not_match_the_target_fail_the_training_and_say_why():
    d = Driver(make("outputs: 'knn knn'"))
    d.pair([0, 0], [1, 2, 3])
    d.send("train")
    assert "outputs lists 2 regressors but the target has 3 values" in \
        d.map.report()["last_training"]
    assert not d.map.report()["trained"]
