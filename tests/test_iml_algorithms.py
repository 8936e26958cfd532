"""Regression algorithms fit known functions; the numpy MLP matches its scaling algebra;
models save and load without pickle; the trainer cancels and rolls back."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from sklearn.neighbors import KNeighborsRegressor

from nodes.iml import algorithms, flucoma
from nodes.iml.algorithms import Settings
from nodes.iml.mlp import RELU, SIGMOID, TANH, Layer, forward, inverse_rescale, rescale
from nodes.iml.training import Trainer, TrainingJob


def fit(x, y, **settings):
    return algorithms.fit(Settings(**settings), x, y, TrainingJob())


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_linear_fits_a_linear_function(rng):
    x = rng.uniform(-2, 2, (40, 3))
    w, b = rng.normal(size=(3, 2)), np.array([0.5, -1.0])
    model = fit(x, x @ w + b, algorithm="linear")
    q = rng.uniform(-3, 3, (20, 3))  # beyond the training range too
    assert np.allclose(model.predict(q), q @ w + b, atol=1e-3)


def test_poly_fits_a_quadratic_that_linear_cannot(rng):
    x = rng.uniform(-1, 1, (60, 2))
    y = np.c_[x[:, 0] ** 2 - x[:, 1], x[:, 0] * x[:, 1] + 1]
    q = rng.uniform(-1, 1, (20, 2))
    truth = np.c_[q[:, 0] ** 2 - q[:, 1], q[:, 0] * q[:, 1] + 1]
    assert np.allclose(fit(x, y, algorithm="poly", degree=2).predict(q), truth, atol=1e-3)
    assert not np.allclose(fit(x, y, algorithm="linear").predict(q), truth, atol=0.1)


def test_knn_reproduces_anchors_and_matches_scikit_learn(rng):
    x = rng.uniform(-1, 1, (30, 4))
    y = rng.normal(size=(30, 5))
    model = fit(x, y, algorithm="knn", k=4)
    assert np.array_equal(model.predict(x), y)
    q = rng.uniform(-1, 1, (100, 4))
    reference = KNeighborsRegressor(n_neighbors=4, weights="distance").fit(x, y)
    assert np.allclose(model.predict(q), reference.predict(q), atol=1e-12)
    assert np.allclose(fit(x[:2], y[:2], algorithm="knn", k=4).predict(q[:1]),
                       KNeighborsRegressor(2, weights="distance").fit(x[:2], y[:2]).predict(q[:1]))


def test_mlp_fits_a_smooth_function_and_its_anchors(rng):
    x = rng.uniform(-1, 1, (200, 2))
    f = lambda v: np.c_[np.sin(2 * v[:, 0]) * v[:, 1], np.cos(v[:, 0] + v[:, 1])]  # noqa: E731
    model = fit(x, f(x))
    q = rng.uniform(-0.9, 0.9, (100, 2))
    assert np.abs(model.predict(q) - f(q)).max() < 0.05
    few = x[:5]
    assert np.abs(fit(few, f(few)).predict(few) - f(few)).max() < 0.01


def test_a_dimension_held_still_while_recording_barely_moves_the_mapping(rng):
    x = np.c_[rng.uniform(-1, 1, (8, 2)), 0.5 + 1e-4 * rng.normal(size=8)]  # 3rd: held still
    y = np.c_[x[:, 0] + x[:, 1], x[:, 0] - x[:, 1]]
    moved = x.copy()
    moved[:, 2] += 1.0  # in performance it moves as much as the others
    for algorithm in ("mlp", "poly"):
        model = fit(x, y, algorithm=algorithm)
        assert np.abs(model.predict(moved) - model.predict(x)).max() < 0.25 * np.ptp(y)


@pytest.mark.parametrize("algorithm", algorithms.ALGORITHMS)
def test_models_save_and_load_without_pickle(tmp_path, rng, algorithm):
    x = rng.uniform(-1, 1, (25, 3))
    y = np.c_[np.sin(x[:, 0]), x[:, 1] * x[:, 2]]
    model = fit(x, y, algorithm=algorithm)
    model.save(tmp_path)
    loaded = algorithms.load_regressor(tmp_path, algorithm)
    q = rng.uniform(-1, 1, (30, 3))
    assert type(loaded) is type(model) and np.array_equal(loaded.predict(q), model.predict(q))
    if algorithm == "mlp":  # the file is plain FluCoMa MLP JSON
        layers = json.loads((tmp_path / "mlp.json").read_text())["layers"]
        assert [(l["rows"], l["cols"], l["activation"]) for l in layers] == \
            [(3, 16, TANH), (16, 16, TANH), (16, 2, 0)]


def test_model_files_that_do_not_fit_their_format_say_what_is_wrong(tmp_path):
    (tmp_path / "mlp.json").write_text(json.dumps({"layers": [
        {"weights": [[1, 2]], "biases": [0, 0], "activation": 0, "rows": 1, "cols": 2},
        {"weights": [[1], [2], [3]], "biases": [0], "activation": 0, "rows": 3, "cols": 1}]}))
    with pytest.raises(flucoma.FormatError, match="layer 1: has 3 rows but the layer before "
                                                  "has 2 outputs"):
        algorithms.load_regressor(tmp_path, "mlp")
    (tmp_path / "mlp.json").write_text('{"layers": [')
    with pytest.raises(flucoma.FormatError, match=r"mlp.json:1: not valid JSON"):
        algorithms.load_regressor(tmp_path, "mlp")


def test_rescale_folds_input_and_output_scaling_into_the_layers(rng):
    layers = (Layer(rng.normal(size=(3, 5)), rng.normal(size=5), SIGMOID),
              Layer(rng.normal(size=(5, 4)), rng.normal(size=4), RELU),
              Layer(rng.normal(size=(4, 2)), rng.normal(size=2), 0))
    xs, xc = rng.normal(size=3), rng.uniform(0.1, 3, 3)
    ys, yc = rng.normal(size=2), rng.uniform(0.1, 3, 2)
    x = rng.normal(size=(10, 3))
    folded = rescale(layers, xs, xc, ys, yc)
    assert np.allclose(forward(folded, x), forward(layers, (x - xs) / xc) * yc + ys)
    back = inverse_rescale(folded, xs, xc, ys, yc)
    assert np.allclose(forward(back, x), forward(layers, x))


def test_sigmoid_stays_finite_for_huge_inputs():
    layer = Layer(np.array([[1.0]]), np.zeros(1), SIGMOID)
    with np.errstate(all="raise"):
        assert forward([layer], np.array([[-1e5], [1e5]])).ravel().tolist() == [0.0, 1.0]


def test_the_trainer_runs_in_the_background_and_cancel_keeps_nothing(rng):
    done = threading.Event()
    outcomes = []
    trainer = Trainer(lambda outcome: (outcomes.append(outcome), done.set()))
    x = rng.uniform(-1, 1, (500, 4))
    y = np.sin(x @ rng.normal(size=(4, 6)))
    job = trainer.start(lambda j: algorithms.fit(Settings(max_iter=10**6), x, y, j))
    with pytest.raises(RuntimeError, match="already running"):
        trainer.start(lambda j: algorithms.fit(Settings(), x, y, j))
    while not job.history:
        assert not done.wait(0.01)
    trainer.cancel()
    assert done.wait(30) and trainer.wait(30)
    assert outcomes[0].status == "cancelled" and outcomes[0].regressor is None
    assert job.progress < 0.01 and not trainer.training


def test_a_diverging_fit_reports_and_returns_no_regressor(rng):
    outcomes = []
    trainer = Trainer(outcomes.append)
    x = rng.uniform(-1, 1, (20, 2))
    settings = Settings(solver="sgd", activation="relu", learning_rate=1e5, max_iter=50)
    trainer.start(lambda j: algorithms.fit(settings, x, x, j), background=False)
    assert outcomes[0].status == "diverged" and outcomes[0].regressor is None
    assert "kept the previous regressor" in outcomes[0].message


@pytest.mark.parametrize("algorithm", ["mlp", "knn", "linear", "poly"])
def test_a_single_output_keeps_its_output_axis(algorithm):
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (30, 2))
    y = (x[:, :1] * 2.0 - x[:, 1:]) ** 2
    model = algorithms.fit(algorithms.Settings(algorithm=algorithm), x, y, TrainingJob())
    assert model.predict(x).shape == (30, 1)
