"""The regress node: recording, pass-through, background training, cancel, NaN rollback,
save → load, FluCoMa files written by hand, and the control thread during training."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nodegraph.clock import VirtualClock
from nodegraph.edits import SetParam
from nodegraph.engine import Engine

from engine_helpers import engine_from, registry, wait_for

PATCH = """\
format: nodegraph/1
nodes:
  x: {type: t-vec, params: {size: 2}}
  target: {type: t-vec, params: {size: 3}}
  map: {type: regress%s}
  out: {type: t-sink}
links:
  - x.out -> map.x
  - target.out -> map.target
  - map.out -> out.in
"""


def make(params="", path=None, virtual=True):
    text = PATCH % (f", params: {{{params}}}" if params else "")
    if path is None:
        return engine_from(text, virtual=virtual)
    path.write_text(text)
    engine = Engine.load(path, registry=registry(), clock=VirtualClock() if virtual else None)
    engine.open()
    return engine


class Driver:
    """Posts vectors and commands into a regress patch on a virtual clock."""

    def __init__(self, engine):
        self.engine = engine
        self.map = engine.runtime["map"].node
        self.sink = engine.runtime["out"].node

    def post(self, source, values):
        self.engine.scheduler.post(self.engine.runtime[source], "out",
                                   np.asarray(values, dtype=np.float32))
        self.engine.scheduler.run_pending()

    def send(self, inlet, value=True):
        self.engine.send("map", inlet, value)
        self.engine.scheduler.run_pending()

    def pair(self, x, y):
        self.post("target", y)
        self.post("x", x)
        self.send("record")

    @property
    def out(self):
        return np.asarray(self.sink.got[-1][0])


def test_target_passes_through_until_running_then_predictions_come_out():
    d = Driver(make("algorithm: knn"))
    d.post("target", [1, 2, 3])
    d.post("x", [0, 0])
    assert d.out.tolist() == [1, 2, 3]
    d.pair([0, 0], [1, 2, 3])
    d.pair([1, 1], [4, 5, 6])
    d.send("train")
    d.post("target", [9, 9, 9])
    d.post("x", [1, 1])
    assert d.out.tolist() == [9, 9, 9]          # trained but not running
    d.send("run", 1.0)
    assert d.out.tolist() == [4, 5, 6]          # run on: the prediction for the latest x
    d.post("x", [0, 0])
    assert d.out.tolist() == [1, 2, 3]
    d.send("run", 0.0)
    assert d.out.tolist() == [9, 9, 9]


def test_a_new_target_is_heard_at_once_and_record_pairs_what_is_playing():
    d = Driver(make("algorithm: knn"))
    d.post("x", [0, 0])
    d.post("target", [1, 2, 3])
    assert d.out.tolist() == [1, 2, 3]          # no x needed: the new sound plays now
    d.post("target", [7, 7, 7])                 # randomize again, the pose held still
    assert d.out.tolist() == [7, 7, 7]
    d.send("record")
    assert d.map.examples()[2].tolist() == [[7, 7, 7]]  # the sound that was playing
    d.send("train")
    d.send("run", 1.0)
    sent = len(d.sink.got)
    d.post("target", [5, 5, 5])                 # running: the prediction stays
    assert len(d.sink.got) == sent and d.out.tolist() == [7, 7, 7]


def test_record_while_records_every_x_and_delete_last_removes_that_round():
    d = Driver(make("algorithm: knn"))
    d.pair([0, 0], [0, 0, 0])                   # round 1: one example
    d.post("target", [1, 1, 1])
    d.send("record_while", 1.0)
    for i in range(5):                          # round 2: one example per x
        d.post("x", [i, i])
    d.send("record_while", 0.0)
    d.post("x", [9, 9])                         # not recorded
    report = d.map.report()
    assert report["examples"] == 6 and report["rounds"] == 2 and not report["recording"]
    d.send("delete_last")
    ids, x, y = d.map.examples()
    assert len(ids) == 1 and x.tolist() == [[0, 0]]
    d.send("delete_last")
    assert d.map.report()["examples"] == 0
    d.pair([0, 0], [0, 0, 0])
    d.send("clear")
    assert d.map.report()["examples"] == 0


def test_train_without_examples_is_a_warning_not_an_error(caplog):
    d = Driver(make())
    d.send("train")
    rn = d.engine.runtime["map"]
    assert rn.status == "ok" and rn.errors == 0
    assert "train: no examples yet; record some first" in caplog.text
    assert "Traceback" not in caplog.text


def test_bad_commands_flag_the_node_with_a_clear_message_and_record_nothing():
    d = Driver(make())
    d.send("record")
    rn = d.engine.runtime["map"]
    assert rn.status == "error" and "nothing has arrived at x" in rn.last_error
    d.pair([0, 0], [0, 0, 0])
    d.post("x", [np.nan, 0])
    d.send("record")
    assert "NaN" in rn.last_error and d.map.report()["examples"] == 1


@pytest.mark.parametrize("algorithm", ["mlp", "knn", "linear", "poly"])
def test_save_then_load_gives_identical_predictions(tmp_path, algorithm):
    rng = np.random.default_rng(1)
    engine = make(f"algorithm: {algorithm}", path=tmp_path / "p.yaml")
    d = Driver(engine)
    for _ in range(12):
        x = rng.uniform(-1, 1, 2)
        d.pair(x, [np.sin(x[0]), x[1] ** 2, x[0] * x[1]])
    d.send("train")
    queries = rng.uniform(-1.5, 1.5, (50, 2))
    before = d.map.predict(queries)
    engine.save()
    engine.close()
    folder = tmp_path / "p.data" / "map"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["inputs.json", "outputs.json", "journal.jsonl",
         {"mlp": "mlp.json", "knn": "knn.npz"}.get(algorithm, f"{algorithm}.json")])
    again = Driver(make(f"algorithm: {algorithm}", path=tmp_path / "p.yaml"))
    assert np.array_equal(again.map.predict(queries), before)
    assert again.map.report()["examples"] == 12


def test_flucoma_files_written_by_hand_load_and_predict(tmp_path):
    """A DataSet pair and an MLP written from the documented schema (docs/architecture.md)."""
    folder = tmp_path / "p.data" / "map"
    folder.mkdir(parents=True)
    (folder / "inputs.json").write_text(json.dumps(
        {"cols": 2, "data": {"a": [0, 0], "b": [1, 0.5]}}))
    (folder / "outputs.json").write_text(json.dumps(
        {"cols": 3, "data": {"b": [1, 2, 3], "a": [0, 0, 0]}}))
    w1 = [[1.0, -1.0], [0.5, 2.0]]                # rows = 2 inputs, cols = 2 hidden
    w2 = [[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]]      # rows = 2 hidden, cols = 3 outputs
    (folder / "mlp.json").write_text(json.dumps({"layers": [
        {"weights": w1, "biases": [0.1, -0.2], "activation": 3, "rows": 2, "cols": 2},
        {"weights": w2, "biases": [0.0, 0.5, 1.0], "activation": 0, "rows": 2, "cols": 3}]}))
    d = Driver(make("autorun: true", path=tmp_path / "p.yaml"))
    ids, x, y = d.map.examples()
    assert ids == ["a", "b"] and y.tolist() == [[0, 0, 0], [1, 2, 3]]
    q = np.array([0.3, -0.7])
    expected = np.tanh(q @ np.array(w1) + [0.1, -0.2]) @ np.array(w2) + [0.0, 0.5, 1.0]
    d.post("target", [0, 0, 0])
    d.post("x", q)
    assert d.map.report()["running"] and np.allclose(d.out, expected, atol=1e-6)
    d.pair([2, 2], [1, 1, 1])                   # a new example joins the hand-written ones
    assert d.map.examples()[0][-1].startswith("r")


@pytest.mark.parametrize("activation", ["relu", "tanh"])  # NaN weights; an exploding loss
def test_nan_rollback_keeps_the_previous_regressor(tmp_path, activation):
    d = Driver(make(f"algorithm: mlp, activation: {activation}", path=tmp_path / "p.yaml"))
    rng = np.random.default_rng(2)
    for _ in range(20):
        x = rng.uniform(-1, 1, 2)
        d.pair(x, [x[0], x[1], x.sum()])
    d.send("train")
    queries = rng.uniform(-1, 1, (10, 2))
    good = d.map.predict(queries)
    saved = (tmp_path / "p.data" / "map" / "mlp.json").read_bytes()
    for name, value in (("solver", "sgd"), ("learning_rate", 1e5), ("max_iter", 50)):
        d.engine.do(SetParam("map", name, value))
    d.send("train")
    rn = d.engine.runtime["map"]
    assert rn.status == "error" and "diverged" in rn.last_error
    assert "kept the previous regressor" in d.map.report()["last_training"]
    assert np.array_equal(d.map.predict(queries), good)
    assert (tmp_path / "p.data" / "map" / "mlp.json").read_bytes() == saved


def test_train_more_continues_from_the_current_weights():
    d = Driver(make("algorithm: mlp, max_iter: 15"))
    rng = np.random.default_rng(3)
    for _ in range(30):
        x = rng.uniform(-1, 1, 2)
        d.pair(x, [np.sin(3 * x[0]), np.cos(2 * x[1]), x[0] * x[1]])
    d.send("train")
    first = d.map.report()["loss"]
    d.send("train_more")
    assert d.map.report()["loss"] < 0.5 * first
    d.send("train")                             # from scratch again: same seed, same result
    assert d.map.report()["loss"] == pytest.approx(first, rel=1e-9)


def test_training_runs_in_the_background_while_the_control_thread_ticks_and_cancel_stops_it():
    """Real clock: a metro keeps ticking through the scheduler during a long training,
    the report moves, and cancel ends it early without a model."""
    engine = engine_from("""\
format: nodegraph/1
nodes:
  tick: {type: metro, params: {interval_ms: 5.0}}
  ticks: {type: t-sink}
  map: {type: regress, params: {max_iter: 1000000, hidden: [64, 64]}}
links:
  - tick.bang -> ticks.in
""", virtual=False)
    node = engine.runtime["map"].node
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (1500, 6))
    y = np.sin(x @ rng.normal(size=(6, 8)))
    for xi, yi in zip(x, y):
        node._store.add(xi, yi, node._store.new_round())
    engine.start()
    engine.send("map", "train")
    wait_for(lambda: node.report()["loss_history"], "the first training loss")
    ticks = engine.runtime["ticks"].node.got
    seen = len(ticks)
    wait_for(lambda: len(ticks) > seen + 10, "the control thread ticking while it trains")
    report = node.report()
    assert report["training"] and 0 < report["progress"] < 1
    engine.send("map", "cancel")
    assert node._trainer.wait(timeout=30)
    report = node.report()
    assert not report["training"] and not report["trained"]
    assert report["last_training"].startswith("training cancelled")
    assert report["progress"] < 0.01


def test_predict_and_examples_are_safe_from_another_thread():
    d = Driver(make("algorithm: knn"))
    for i in range(10):
        d.pair([i, 0], [i, i, i])
    d.send("train")
    errors = []

    def reader():
        try:
            for _ in range(200):
                ids, x, y = d.map.examples()
                assert len(ids) == len(x) == len(y)
                assert d.map.predict(np.array([[3.0, 0.0]])).tolist() == [[3, 3, 3]]
        except Exception as exc:  # handed to the main thread
            errors.append(exc)

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(200):
        d.pair([i, 1], [0, 0, 0])
    thread.join()
    assert not errors and d.map.report()["examples"] == 210


def test_a_bad_file_fails_the_node_clearly_and_saving_leaves_the_files_alone(tmp_path):
    folder = tmp_path / "p.data" / "map"
    folder.mkdir(parents=True)
    (folder / "inputs.json").write_text('{"cols": 2, "data": {"a": [0, 0]}}')
    bad = '{"cols": 3, "data": {"a": [1, 2]}}'
    (folder / "outputs.json").write_text(bad)
    engine = make(path=tmp_path / "p.yaml")
    rn = engine.runtime["map"]
    assert rn.status == "failed"
    assert "outputs.json: point 'a': expected 3 numbers, got 2" in rn.last_error
    d = Driver(engine)
    d.post("x", [1, 2])                     # the rest of the patch runs on
    engine.save()
    assert (folder / "outputs.json").read_text() == bad
    assert sorted(p.name for p in folder.iterdir()) == ["inputs.json", "outputs.json"]


def test_a_model_trained_while_running_is_heard_without_waiting_for_the_next_x():
    engine = make("algorithm: knn", virtual=False)
    d = Driver(engine)
    d.pair([0, 0], [1, 2, 3])
    d.pair([1, 1], [4, 5, 6])
    d.post("target", [9, 9, 9])
    d.post("x", [1, 1])
    assert d.out.tolist() == [9, 9, 9]
    engine.start()
    engine.send("map", "run", 1.0)
    engine.send("map", "train")
    wait_for(lambda: d.sink.got and d.out.tolist() == [4, 5, 6],
             "the trained model's answer to the latest x, [1, 1]")


def test_autorun_trains_examples_shipped_without_a_model_as_the_patch_opens(tmp_path):
    folder = tmp_path / "p.data" / "map"
    folder.mkdir(parents=True)
    (folder / "inputs.json").write_text('{"cols": 2, "data": {"a": [0, 0], "b": [1, 1]}}')
    (folder / "outputs.json").write_text('{"cols": 3, "data": {"a": [1, 2, 3], "b": [4, 5, 6]}}')
    d = Driver(make("algorithm: knn, autorun: true", path=tmp_path / "p.yaml"))
    assert d.map.report()["trained"] and (folder / "knn.npz").exists()
    d.post("target", [0, 0, 0])
    d.post("x", [1, 1])
    assert d.out.tolist() == [4, 5, 6]


def test_run_without_a_model_warns_once_per_switch_on_and_says_why(caplog):
    d = Driver(make("algorithm: knn"))
    with caplog.at_level("WARNING", logger="nodegraph.node.map"):
        for _ in range(3):                      # a controller repeating run=1
            d.send("run", 1.0)
    warnings = [r.getMessage() for r in caplog.records if r.name == "nodegraph.node.map"]
    assert warnings == ["run: nothing trained yet and no examples; record some, then train"]
    caplog.clear()
    d.send("run", 0.0)
    d.pair([0, 0], [1, 2, 3])
    with caplog.at_level("WARNING", logger="nodegraph.node.map"):
        d.send("run", 1.0)
    assert [r.getMessage() for r in caplog.records] == [
        "run: nothing trained yet (1 examples); the target passes through until you train"]


def test_a_live_regress_node_loads_its_training_library_before_the_first_train():
    script = """
import sys, time
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
engine = Engine(parse_patch("format: nodegraph/1\\nnodes:\\n  map: {type: regress}\\n"))
engine.open()
deadline = time.monotonic() + 20
while "sklearn.neural_network" not in sys.modules and time.monotonic() < deadline:
    time.sleep(0.05)
report = engine.runtime["map"].node.report()
engine.close()
print("sklearn.neural_network" in sys.modules, report["training"], report["last_training"])
"""
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.stdout.split() == ["True", "False", "None"], done.stderr


def test_delete_removes_examples_by_id_and_the_journal_keeps_it(tmp_path):
    d = Driver(make("algorithm: knn", path=tmp_path / "p.yaml"))
    for i in range(3):
        d.pair([i, i], [i, i, i])
    ids = d.map.examples()[0]
    d.send("delete", f"{ids[1]} nonsense")
    assert d.map.examples()[0] == [ids[0], ids[2]]
    assert d.map.report()["rounds"] == 2
    d.engine.close()
    reopened = Driver(make("algorithm: knn", path=tmp_path / "p.yaml"))
    assert reopened.map.examples()[0] == [ids[0], ids[2]]


def test_only_the_params_of_the_chosen_algorithm_apply():
    from nodes.regress import Regress

    applies = lambda **p: {n for n in ("hidden", "solver", "learning_rate", "k", "degree",  # noqa: E731
                                       "alpha", "seed", "autorun")
                           if Regress("m", p).param_applies(n)}
    assert applies(algorithm="mlp") == {"hidden", "solver", "alpha", "seed", "autorun"}
    assert "learning_rate" in applies(algorithm="mlp", solver="adam")
    assert applies(algorithm="knn") == {"k", "autorun"}
    assert applies(algorithm="poly") == {"degree", "alpha", "autorun"}
