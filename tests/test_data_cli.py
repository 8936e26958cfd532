"""nodegraph data import/export: FluCoMa files in and out of a patch's learned state.

The FluCoMa files are written here by hand from FluCoMa's documented JSON (docs/architecture.md,
"Interactive ML conventions"): DataSet ``{"cols", "data"}``, MLP ``{"layers": [{weights
(rows × cols), biases, activation, rows, cols}]}``, and the Normalize, Standardize and
RobustScale objects with the field names nodes/iml/scalers.py reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nodegraph.cli import main
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodes.iml.mlp import Layer, forward

ROOT = Path(__file__).resolve().parent.parent

PATCH = """\
format: nodegraph/1
nodes:
  pose: {type: constant, params: {value: [0.5, 1.5]}}
  norm: {type: normalize}
  goal: {type: constant, params: {value: [0.0, 0.0, 0.0]}}
  map: {type: regress}
links:
  - pose.out -> norm.in
  - norm.out -> map.x
  - goal.out -> map.target
"""

INPUTS = {"cols": 2, "data": {"low": [0.0, 0.0], "high": [1.0, 0.5], "side": [0.25, 1.0]}}
OUTPUTS = {"cols": 3, "data": {"side": [0.5, 0.5, 0.5], "low": [0.0, 0.1, 0.2],
                               "high": [1, 0.9, 0.8]}}  # another order: paired by id
MLP = {"layers": [
    {"weights": [[0.5, -1.0, 0.25], [1.5, 0.75, -0.5]], "biases": [0.1, 0.0, -0.2],
     "activation": 2, "rows": 2, "cols": 3},
    {"weights": [[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [-1.0, 0.5, 1.0]],
     "biases": [0.0, 0.25, -0.25], "activation": 0, "rows": 3, "cols": 3}]}
SCALERS = {
    "normalize.json": {"cols": 2, "data_min": [0.0, 1.0], "data_max": [1.0, 3.0], "min": 0.0,
                       "max": 1.0},
    "standardize.json": {"cols": 2, "mean": [0.5, 2.0], "std": [0.25, 0.5]},
    "robustscale.json": {"cols": 2, "median": [0.5, 2.0], "range": [0.5, 1.0],
                         "data_low": [0.25, 1.5], "data_high": [0.75, 2.5], "low": 25.0,
                         "high": 75.0},
}


@pytest.fixture
def patch(tmp_path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(PATCH)
    return path


def write(folder: Path, name: str, obj: object) -> Path:
    path = folder / name
    path.write_text(json.dumps(obj))
    return path


def run(capsys, *args: object) -> tuple[int, str, str]:
    code = main(["data", *map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def read(path: Path) -> object:
    return json.loads(path.read_text())


def numbers_equal(a: object, b: object) -> bool:
    """JSON values equal with numbers compared as floats (FluCoMa may write 1 or 1.0)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and \
            all(numbers_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(numbers_equal, a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b


def test_examples_and_an_mlp_round_trip_and_the_patch_runs_them(patch, tmp_path, capsys):
    files = tmp_path / "from-max"
    files.mkdir()
    args = [write(files, "in.json", INPUTS), write(files, "out.json", OUTPUTS),
            write(files, "net.json", MLP)]
    code, out, err = run(capsys, "import", patch, "map", *args)
    assert code == 0, err
    folder = tmp_path / "p.data" / "map"
    assert f"{folder / 'inputs.json'}: 3 inputs of 2 values" in out
    assert f"{folder / 'mlp.json'}: MLP 2 → 3 → 3" in out

    engine = Engine.load(patch, clock=VirtualClock())
    engine.open()
    model = engine.runtime["map"].node
    ids, x, y = model.examples()
    assert ids == ["low", "high", "side"]
    assert x.tolist() == [[0.0, 0.0], [1.0, 0.5], [0.25, 1.0]]
    assert y.tolist() == [[0.0, 0.1, 0.2], [1.0, 0.9, 0.8], [0.5, 0.5, 0.5]]
    engine.send("map", "run", 1.0)  # the imported network answers for x = [0.5, 1.5]
    engine.run_offline(0.05)
    layers = [Layer(np.array(layer["weights"], float), np.array(layer["biases"], float),
                    layer["activation"]) for layer in MLP["layers"]]
    expected = forward(layers, np.array([[0.5, 1.5]]))[0]
    assert np.allclose(engine.runtime["map"].last_out["out"], expected, atol=1e-6)
    engine.close()

    code, out, err = run(capsys, "export", patch, "map", tmp_path / "back")
    assert code == 0, err
    back = tmp_path / "back"
    assert sorted(p.name for p in back.iterdir()) == ["inputs.json", "mlp.json", "outputs.json"]
    assert numbers_equal(read(back / "inputs.json"), INPUTS)
    assert numbers_equal(read(back / "outputs.json"), OUTPUTS)
    assert numbers_equal(read(back / "mlp.json"), MLP)


@pytest.mark.parametrize("name", list(SCALERS))
def test_each_scaler_round_trips_and_replaces_the_others(patch, tmp_path, capsys, name):
    folder = tmp_path / "p.data" / "norm"
    folder.mkdir(parents=True)
    for other in SCALERS:
        if other != name:
            write(folder, other, SCALERS[other])  # what the node had before
    code, out, err = run(capsys, "import", patch, "norm", write(tmp_path, "s.json",
                                                                   SCALERS[name]))
    assert code == 0, err
    assert sorted(p.name for p in folder.iterdir()) == [name]
    engine = Engine.load(patch, clock=VirtualClock())
    engine.open()
    engine.run_offline(0.05)
    scaled = engine.runtime["norm"].last_out["out"]
    engine.close()
    expected = {"normalize.json": [0.5, 0.25], "standardize.json": [0.0, -1.0],
                "robustscale.json": [0.0, -0.5]}[name]
    assert np.allclose(scaled, expected)
    code, out, err = run(capsys, "export", patch, "norm", tmp_path / "back")
    assert code == 0, err
    assert numbers_equal(read(tmp_path / "back" / name), SCALERS[name])


def test_export_includes_journaled_examples_and_writes_nothing_in_the_patch(patch, tmp_path,
                                                                            capsys):
    engine = Engine.load(patch, clock=VirtualClock())
    engine.open()
    engine.send("map", "record", True)
    engine.run_offline(0.05)
    engine.send("map", "record", True)
    engine.run_offline(0.05)
    folder = tmp_path / "p.data" / "map"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert list(before) == ["journal.jsonl"]  # recorded, not yet saved
    code, out, err = run(capsys, "export", patch, "map", tmp_path / "back")
    engine.close()
    assert code == 0, err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    exported = read(tmp_path / "back" / "inputs.json")
    assert exported["cols"] == 2 and len(exported["data"]) == 2
    assert list(read(tmp_path / "back" / "outputs.json")["data"].values()) == [[0.0] * 3] * 2


def test_recorded_examples_are_only_replaced_when_asked(patch, tmp_path, capsys):
    args = [write(tmp_path, "in.json", INPUTS), write(tmp_path, "out.json", OUTPUTS)]
    assert run(capsys, "import", patch, "map", *args)[0] == 0
    smaller = {"cols": 2, "data": {"one": [0.5, 0.5]}}
    again = [write(tmp_path, "in2.json", smaller),
             write(tmp_path, "out2.json", {"cols": 3, "data": {"one": [1.0, 1.0, 1.0]}})]
    code, out, err = run(capsys, "import", patch, "map", *again)
    assert code == 1 and "map already holds 3 recorded examples" in err and "--replace" in err
    assert numbers_equal(read(tmp_path / "p.data" / "map" / "inputs.json"), INPUTS)
    assert run(capsys, "import", patch, "map", *again, "--replace")[0] == 0
    assert numbers_equal(read(tmp_path / "p.data" / "map" / "inputs.json"), smaller)


def _mlp_without_biases() -> dict:
    broken = json.loads(json.dumps(MLP))
    del broken["layers"][1]["biases"]
    return broken


@pytest.mark.parametrize("node, files, message", [
    ("map", [("net.json", "MLP_NO_BIASES")], "net.json: layer 1: missing field 'biases'"),
    ("map", [("in.json", {"cols": 3, "data": {"a": [1, 2, 3]}}),
             ("out.json", {"cols": 3, "data": {"a": [1, 2, 3]}})],
     "in.json has 3 values per point but map.x has 2 in the patch"),
    ("map", [("in.json", INPUTS), ("out.json", {"cols": 3, "data": {"low": [0, 0, 0]}})],
     "ids must match in both DataSets; unpaired: 'high', 'side'"),
    ("map", [("in.json", {"cols": 2, "data": {"a": [1, "x"]}}), ("out.json", OUTPUTS)],
     "in.json: point 'a': expected a list of numbers"),
    ("map", [("in.json", INPUTS)], "got 1 DataSet(s) and 0 MLP(s)"),
    ("map", [("s.json", SCALERS["normalize.json"])], "it belongs to a normalize node"),
    ("norm", [("in.json", INPUTS)], "send the file's path to the node's read inlet"),
    ("norm", [("s.json", {"cols": 3, "mean": [0, 0, 0], "std": [1, 1, 1]})],
     "s.json has 3 values per point but norm.in has 2 in the patch"),
    ("norm", [("s.json", {"cols": 2, "mean": [0, 0]})], "s.json: missing field 'std'"),
    ("norm", [("s.json", {"what": 1})], "s.json: not a FluCoMa DataSet (cols, data), MLP"),
    ("pose", [("s.json", SCALERS["normalize.json"])],
     "node 'pose' is a constant, which keeps no state that files can hold"),
    ("nope", [("s.json", SCALERS["normalize.json"])],
     "has no node 'nope'; nodes with learned state: norm (normalize: a FluCoMa"),
])
def test_bad_files_are_refused_naming_file_and_field_and_nothing_is_written(
        patch, tmp_path, capsys, node, files, message):
    paths = [write(tmp_path, name, _mlp_without_biases() if obj == "MLP_NO_BIASES" else obj)
             for name, obj in files]
    code, out, err = run(capsys, "import", patch, node, *paths)
    assert code == 1 and out == ""
    assert message in err
    assert not (tmp_path / "p.data").exists()


def test_not_json_names_the_line_and_export_of_nothing_says_so(patch, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"cols": 2,\n "data": {"a": [1, 2]\n')
    code, _, err = run(capsys, "import", patch, "map", bad, bad)
    assert code == 1 and f"{bad}:3: not valid JSON" in err
    code, _, err = run(capsys, "export", patch, "map", tmp_path / "back")
    assert code == 1 and "map holds nothing to export" in err
    assert not (tmp_path / "back").exists()


def test_sizes_follow_the_patch_params_given_with_set(tmp_path, capsys):
    wekinator = tmp_path / "wekinator.yaml"
    wekinator.write_text((ROOT / "patches" / "wekinator.yaml").read_text())
    net = write(tmp_path, "net.json", MLP)  # 2 inputs → 3 outputs: the defaults
    assert run(capsys, "import", wekinator, "model", net)[0] == 0
    code, _, err = run(capsys, "import", wekinator, "model", net, "--set", "inputs=5")
    assert code == 1 and "net.json has 2 values per point but model.x has 5" in err


def test_the_command_line(patch, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    net = write(tmp_path, "net.json", MLP)
    result = subprocess.run([sys.executable, "-m", "nodegraph", "data", "import", str(patch),
                             "map", str(net)], capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "mlp.json: MLP 2 → 3 → 3" in result.stdout
    result = subprocess.run([sys.executable, "-m", "nodegraph", "data", "export", str(patch),
                             "map", str(tmp_path / "back")], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert numbers_equal(read(tmp_path / "back" / "mlp.json"), MLP)
