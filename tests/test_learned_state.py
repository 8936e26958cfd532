"""Nothing learned is lost: every learned state is on disk the moment it changes.

A process learns (a normalize fit, a bookmark, recorded examples, a trained model) and is
killed with SIGKILL; a new process finds all of it. One process owns a patch's data
folder at a time: a second one is refused, with the holder's pid. An unsaved patch that
learned is marked unsaved.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nodegraph.clock import VirtualClock
from nodegraph.datalock import DataFolderBusy
from nodegraph.edits import SetParam
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch

ROOT = Path(__file__).resolve().parents[1]

PATCH = """\
format: nodegraph/1
nodes:
  pose: {type: constant, params: {value: [1.0, 10.0]}}
  norm: {type: normalize}
  explorer: {type: latent-explorer, params: {size: 3}}
  map: {type: regress, params: {algorithm: knn, k: 1}}
links:
  - pose.out -> norm.in
  - norm.out -> map.x
  - explorer.out -> map.target
"""

#: Learns everything once, prints what it learned as one JSON line, then waits to be
#: killed (nothing is saved by the script itself).
LEARNER = """
import json, sys, time
from nodegraph.clock import VirtualClock
from nodegraph.edits import SetParam
from nodegraph.engine import Engine

engine = Engine.load(sys.argv[1], clock=VirtualClock())
engine.open()
def step(node=None, inlet=None, value=True):
    if node:
        engine.send(node, inlet, value)
    engine.run_offline(0.05)
for pose in ([0.0, 0.0], [2.0, 20.0], [1.0, 10.0]):
    engine.do(SetParam("pose", "value", pose)); step()
step("norm", "fit")
for name, pose in (("low", [0.0, 0.0]), ("high", [2.0, 20.0])):
    step("explorer", "randomize")
    step("explorer", "bookmark", name)
    engine.do(SetParam("pose", "value", pose)); step()
    step("map", "record")
step("map", "train")
node = lambda i: engine.runtime[i].node
print(json.dumps({"bookmarks": {k: v.tolist() for k, v in node("explorer").bookmarks().items()},
                  "examples": node("map").examples()[2].tolist(),
                  "norm": node("norm").report(), "trained": node("map").report()["trained"]}),
      flush=True)
time.sleep(600)
"""

#: Holds the patch open until killed.
HOLDER = """
import sys, time
from nodegraph.engine import Engine
engine = Engine.load(sys.argv[1])
engine.open()
print("open", flush=True)
time.sleep(600)
"""


def _patch(tmp_path: Path) -> Path:
    path = tmp_path / "loop.yaml"
    path.write_text(PATCH)
    return path


def _start(script: str, path: Path) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert line, f"the helper process ended early (exit {proc.wait()})"
    return proc, line


def test_everything_learned_survives_kill_9(tmp_path):
    path = _patch(tmp_path)
    proc, line = _start(LEARNER, path)
    learned = json.loads(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert learned["norm"]["fitted"] and learned["trained"]

    engine = Engine.load(path, clock=VirtualClock())
    with engine:
        node = lambda i: engine.runtime[i].node  # noqa: E731
        assert node("norm").report()["fitted"]
        bookmarks = node("explorer").bookmarks()
        assert {k: v.tolist() for k, v in bookmarks.items()} == learned["bookmarks"]
        ids, x, y = node("map").examples()
        assert y.tolist() == learned["examples"] and len(ids) == 2
        assert node("map").report()["trained"]
        # the fit is the one the examples were recorded with: a pose maps back to its sound
        engine.send("map", "run", 1)
        engine.do(SetParam("pose", "value", [2.0, 20.0]))
        engine.run_offline(0.05)
        out = engine.runtime["map"].last_out["out"]
        assert np.allclose(out, bookmarks["high"])
        # the normalized input recorded for that pose is the fitted top of the range
        assert np.allclose(x[1], [1.0, 1.0])


def test_a_second_process_is_refused_naming_the_holder(tmp_path):
    path = _patch(tmp_path)
    proc, _ = _start(HOLDER, path)
    try:
        with pytest.raises(DataFolderBusy, match=f"process {proc.pid}"):
            Engine.load(path).open()
        with pytest.raises(DataFolderBusy):  # what the editor asks before it lets go
            Engine.load(path).claim_data()
        run = subprocess.run([sys.executable, "-m", "nodegraph", "run", str(path),
                              "--duration", "0.1"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
        assert run.returncode == 1
        assert f"process {proc.pid}" in run.stderr
        assert not (path.parent / "loop.data" / "map" / "journal.jsonl").exists()
    finally:
        proc.kill()
        proc.wait()
    with Engine.load(path):  # the holder's end released it, however it ended
        pass


def test_the_lock_is_released_on_close_and_taken_on_save_as(tmp_path):
    path = _patch(tmp_path)
    first = Engine.load(path)
    first.open()
    first.close()
    second = Engine.load(path)
    second.open()
    other = tmp_path / "copy.yaml"
    second.save(other)
    with Engine.load(path):  # save-as moved the lock to copy.data
        pass
    with pytest.raises(DataFolderBusy):
        Engine.load(other).open()
    second.close()


def test_what_an_unsaved_patch_learned_is_saved_with_it_then_as_it_changes(tmp_path):
    engine = Engine(parse_patch(PATCH, None), clock=VirtualClock())
    with engine:
        engine.send("explorer", "bookmark", "a")
        engine.run_offline(0.05)
        assert engine.dirty
        engine.save(tmp_path / "saved.yaml")
        assert not engine.dirty
        state = tmp_path / "saved.data" / "explorer" / "bookmarks.json"
        assert list(json.loads(state.read_text())["bookmarks"]) == ["a"]
        engine.send("explorer", "bookmark", "b")
        engine.run_offline(0.05)
        assert list(json.loads(state.read_text())["bookmarks"]) == ["a", "b"]
        assert not engine.dirty


def test_a_fit_and_a_bookmark_are_written_the_moment_they_happen(tmp_path):
    path = _patch(tmp_path)
    engine = Engine.load(path, clock=VirtualClock())
    with engine:
        engine.run_offline(0.05)
        engine.send("norm", "fit")
        engine.send("explorer", "bookmark", "here")
        engine.run_offline(0.05)
        data = tmp_path / "loop.data"
        assert (data / "norm" / "normalize.json").is_file()
        assert "here" in json.loads((data / "explorer" / "bookmarks.json").read_text())["bookmarks"]
        engine.send("explorer", "forget", "here")
        engine.run_offline(0.05)
        assert not (data / "explorer" / "bookmarks.json").exists()
        assert not engine.dirty
