"""Headless control: ``nodegraph run PATCH --control osc:PORT`` driven by python-osc.

A real ``nodegraph run`` process is driven through the loop — explore, pose, record,
train, run, save — with one OSC message per action, then stopped with Ctrl-C (SIGINT):
what it learned is on disk, and the run report says it was running a trained model.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from pythonosc.udp_client import SimpleUDPClient

from nodegraph.controls import parse_control
from nodegraph.types import ANY, BANG, NUMBER, TEXT, VECTOR
from nodes.interop import control_osc

from engine_helpers import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]

PATCH = """\
format: nodegraph/1
nodes:
  explorer: {type: latent-explorer, params: {size: 3}}
  map: {type: regress, params: {algorithm: knn, k: 1}}
links:
  - explorer.out -> map.target
"""


def _examples(folder: Path) -> dict:
    path = folder / "inputs.json"
    return json.loads(path.read_text())["data"] if path.exists() else {}


def test_the_whole_loop_over_osc_then_ctrl_c_saves(tmp_path):
    patch = tmp_path / "loop.yaml"
    patch.write_text(PATCH)
    report = tmp_path / "report.json"
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nodegraph", "run", str(patch), "--duration", "120",
         "--control", f"osc:{port}", "--report", str(report)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "running" in line:
                break
        osc = SimpleUDPClient("127.0.0.1", port)
        folder = tmp_path / "loop.data" / "map"
        journal = folder / "journal.jsonl"
        lines = lambda: journal.read_text().count("\n") if journal.exists() else 0  # noqa: E731
        for i, pose in enumerate(([0.0, 0.0], [1.0, 1.0])):
            osc.send_message("/explorer/randomize", [])
            osc.send_message("/explorer/bookmark", f"sound {i}")
            osc.send_message("/map/x", pose)
            time.sleep(0.2)
            osc.send_message("/map/record", [])
            wait_for(lambda: lines() == i + 1, f"example {i + 1} in the journal")
        osc.send_message("/map/train", [])
        wait_for(lambda: (folder / "knn.npz").exists(), "the trained model")
        osc.send_message("/map/run", 1)          # one value drives the on/off inlet
        osc.send_message("/nowhere/at-all", 1)   # logged once, harmless
        osc.send_message("/save", [])
        wait_for(lambda: len(_examples(folder)) == 2 and lines() == 0, "/save")
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "/nowhere/at-all names no node" in err
    assert "learned state saved" in err
    bookmarks = json.loads((tmp_path / "loop.data" / "explorer" / "bookmarks.json").read_text())
    assert list(bookmarks["bookmarks"]) == ["sound 0", "sound 1"]
    # the examples pair each pose with the sound playing when it was recorded
    targets = json.loads((folder / "outputs.json").read_text())["data"]
    assert np.allclose(sorted(targets.values()), sorted(bookmarks["bookmarks"].values()),
                       atol=1e-6)  # the target travels as float32
    node = json.loads(report.read_text())["nodes"]["map"]
    assert node["running"] and node["trained"] and node["examples"] == 2


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_saves_examples_into_the_snapshot(tmp_path, stop):
    patch = tmp_path / "p.yaml"
    patch.write_text(PATCH)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nodegraph", "run", str(patch), "--control", f"osc:{port}"],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if "running" in line:
                break
        osc = SimpleUDPClient("127.0.0.1", port)
        journal = tmp_path / "p.data" / "map" / "journal.jsonl"
        osc.send_message("/map/x", [0.5, 0.5])
        time.sleep(0.2)
        osc.send_message("/map/record", [])
        wait_for(lambda: journal.exists() and journal.read_text(), "the journal")
        proc.send_signal(stop)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert len(_examples(tmp_path / "p.data" / "map")) == 1 and journal.read_text() == ""


def test_control_spec_and_argument_conversion():
    assert parse_control("osc:9000").parsed == ("127.0.0.1", 9000)
    assert parse_control("osc:0.0.0.0:9000").parsed == ("0.0.0.0", 9000)
    assert parse_control("osc:9000").kind is control_osc.OscControl
    for bad in ("9000", "osc:", "midi:1", "osc:70000"):
        with pytest.raises(ValueError, match="osc:9000"):
            parse_control(bad)
    value = control_osc._value
    assert value(BANG, ()) is True
    assert value(NUMBER, (1,)) == 1.0 and value(NUMBER, (True,)) == 1.0
    assert value(TEXT, ("low", 2)) == "low 2"
    assert value(VECTOR, (1, 2.5)).tolist() == [1.0, 2.5]
    assert value(VECTOR, (1,)).dtype == np.float32
    assert value(ANY, ("x",)) == "x"
    with pytest.raises(ValueError, match="numeric"):
        value(NUMBER, ("on",))
