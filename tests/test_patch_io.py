"""Patch files: canonical round trip, atomic saves, learned-state folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from nodegraph.api import NUMBER, Inlet, Node
from nodegraph.edits import AddNode, SetParam
from nodegraph.engine import Engine
from nodegraph.errors import PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import dump_patch, load_patch, parse_patch
from nodegraph.registry import default_registry
from nodegraph.storage import atomic_write_text, read_json

from engine_helpers import registry

PATCHES = sorted(Path(__file__).resolve().parent.parent.glob("patches/*.yaml"))


@pytest.mark.parametrize("path", PATCHES, ids=[p.name for p in PATCHES])
def test_shipped_patches_are_valid_and_canonical(path):
    patch = load_patch(path)
    check_patch(patch, default_registry())
    assert dump_patch(patch) == path.read_text()


def test_round_trip_is_byte_identical_including_long_params(tmp_path):
    text = """\
format: nodegraph/1
description: 'Quoting: kept'
nodes:
  c:
    type: constant
    params:
      value: [0.1, -2.5, 3.0, 1.0e-05, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5]
  s: {type: scale, params: {in_lo: -1.0, clip: true}}
  p: {type: print, params: {label: 'yes'}}
links:
  - c.out -> s.in
  - s.out -> p.in
layout:
  c: [10, 20.5]
  p: [300, 20]
"""
    path = tmp_path / "long.yaml"
    path.write_text(text)
    engine = Engine.load(path)
    engine.save()
    assert path.read_text() == text
    assert not engine.dirty


def test_edit_save_load_round_trip(tmp_path):
    path = tmp_path / "p.yaml"
    engine = Engine(parse_patch("format: nodegraph/1\nnodes: {}\n"), registry())
    engine.do(AddNode("m", "metro", {"interval_ms": 50.0}, (10, 10)))
    engine.do(AddNode("p", "print", {}, (200, 10)))
    engine.do(SetParam("p", "label", "tick"))
    assert engine.dirty is True
    engine.save(path)
    assert not engine.dirty
    again = Engine.load(path)
    assert dump_patch(again.patch) == dump_patch(engine.patch) == path.read_text()
    assert again.graph.nodes["m"].interval_ms == 50.0


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "p.yaml"
    path.write_text("old contents\n")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(path, "new contents\n")
    assert path.read_text() == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


class Learner(Node):
    """Test node with learned state: counts what it saw and saves the count."""

    type_name = "t-learner"
    inlets = (Inlet("in", NUMBER),)

    def open(self) -> None:
        folder = self.ctx.data_dir
        self.seen = 0
        if folder is not None and (folder / "state.json").exists():
            self.seen = read_json(folder / "state.json")["seen"]

    def process(self, inputs) -> None:
        self.seen += 1

    def save_state(self, folder: Path) -> None:
        from nodegraph.storage import atomic_write_json
        atomic_write_json(folder / "state.json", {"seen": self.seen})


def test_learned_state_lives_in_the_sibling_data_folder(tmp_path):
    reg = registry()
    reg.register(Learner)
    path = tmp_path / "learn.yaml"
    path.write_text("format: nodegraph/1\nnodes:\n  l: {type: t-learner}\n")
    engine = Engine.load(path, registry=reg)
    engine.open()
    for _ in range(3):
        engine.send("l", "in", 1.0)
        engine.scheduler.run_pending()
    engine.save()
    engine.close()
    assert read_json(tmp_path / "learn.data" / "l" / "state.json") == {"seen": 3}
    again = Engine.load(path, registry=reg)
    again.open()
    assert again.runtime["l"].node.seen == 3
    again.close()


def test_overrides_set_params_and_bad_ones_are_patch_errors(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("format: nodegraph/1\nnodes:\n  c: {type: constant}\n")
    engine = Engine.load(path, ["c.value=[1, 2]"])
    assert np.asarray(engine.graph.nodes["c"].value).tolist() == [1.0, 2.0]
    with pytest.raises(PatchError, match="no node 'x'"):
        Engine.load(path, ["x.value=1"])
    with pytest.raises(PatchError, match="node.param=value"):
        Engine.load(path, ["c=1"])
    with pytest.raises(PatchError, match="expected a list of numbers"):
        Engine.load(path, ["c.value=abc"])
