"""The control thread never waits on the audio worker or on disk (issue 16).

Live edits hand the rebuilt chain to the worker and return; a removed signal node is
closed once the worker adopted a chain without it, on a thread of its own (a close may
join threads: not on the control thread). Learned
state is snapshotted on the control thread and written by the saver thread;
``save_learned`` and ``close`` wait for it. No test here asserts a duration: each
holds the worker or the disk write on an event and checks what happened meanwhile.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import ANY, AUDIO, Inlet, Inputs, Node, Outlet
from nodegraph.clock import VirtualClock
from nodegraph.edits import RemoveNode
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
from nodegraph.saver import Saver
from nodegraph.storage import atomic_write_json
from nodes.iml.dataset import JOURNAL_FILE, ExampleStore

from audio_helpers import Capture
from engine_helpers import registry, wait_for


class Hold(Node):
    """Signal source whose ``render`` waits while ``hold`` is set (a stuck worker)."""

    type_name = "t-hold"
    outlets = (Outlet("out", AUDIO),)

    def open(self) -> None:
        self.hold, self.held = threading.Event(), threading.Event()

    def render(self, inputs: dict, frames: int) -> dict:
        while self.hold.is_set():
            self.held.set()
            threading.Event().wait(0.001)
        return {"out": np.zeros((frames, 1), np.float32)}


class Watched(Node):
    """Signal sink that counts renders after its ``close`` and notes who closed it."""

    type_name = "t-watched"
    inlets = (Inlet("in", AUDIO),)

    def open(self) -> None:
        self.closed_by: int | None = None
        self.closed_on = ""
        self.late_renders = 0

    def render(self, inputs: dict, frames: int) -> None:
        if self.closed_by is not None:
            self.late_renders += 1

    def close(self) -> None:
        self.closed_on = threading.current_thread().name
        self.closed_by = threading.get_ident()


class Learner(Node):
    """Learns each key arriving at ``in`` (``learned()``); ``quiet`` changes its state
    without saying so. Writes wait for ``Learner.gate`` (a slow disk)."""

    type_name = "t-learner"
    inlets = (Inlet("in", ANY), Inlet("quiet", ANY))
    outlets = (Outlet("out", ANY),)
    gate = threading.Event()
    writing = threading.Event()

    def open(self) -> None:
        self.state: dict[str, int] = {}
        self.writes: list[dict[str, int]] = []

    def process(self, inputs: Inputs) -> dict[str, Any]:
        if "quiet" in inputs.changed:
            self.state[str(inputs["quiet"])] = -1
            return {"out": inputs["quiet"]}
        self.state[str(inputs["in"])] = len(self.state)
        self.ctx.learned()
        return {"out": inputs["in"]}

    def save_state(self, folder: Path) -> None:
        self.state_snapshot(folder)()

    def state_snapshot(self, folder: Path):
        state = dict(self.state)

        def write() -> None:
            Learner.writing.set()
            Learner.gate.wait()
            self.writes.append(state)
            atomic_write_json(folder / "state.json", state)
        return write


def _registry():
    reg = registry()
    for cls in (Hold, Watched, Capture, Learner):
        reg.register(cls)
    return reg


SIGNAL_PATCH = """\
format: nodegraph/1
nodes:
  src: {type: t-hold}
  cap: {type: t-capture}
  w: {type: t-watched}
  sink: {type: t-sink}
links:
  - src.out -> cap.in
  - src.out -> w.in
"""


def _live_signal_engine() -> Engine:
    engine = Engine(parse_patch(SIGNAL_PATCH), _registry())
    engine.open()
    engine.start()
    wait_for(lambda: engine.audio.position > 0, "the worker rendering")
    return engine


def _control_thread(engine: Engine) -> int:
    return engine.scheduler.call(threading.get_ident).result()


def test_an_edit_returns_while_the_worker_is_held_and_the_removed_node_closes_after(caplog):
    engine = _live_signal_engine()
    src = engine.runtime["src"].node
    w = engine.runtime["w"].node
    try:
        src.hold.set()
        wait_for(src.held.is_set, "the worker held in src's render")
        with caplog.at_level(logging.WARNING, logger="nodegraph.audio"):
            engine.do(RemoveNode("w"))
        # the edit is applied on the control side, the worker has not moved on yet
        assert "w" not in engine.runtime and "w" not in engine.patch.nodes
        assert any(step.node is w for step in engine.audio.chain.steps)
        assert w.closed_by is None  # the worker may still render it this block
        assert not [r for r in caplog.records if "did not take" in r.getMessage()]
        # the control thread keeps ticking meanwhile
        engine.send("sink", "in", 7)
        wait_for(lambda: engine.runtime["sink"].node.got, "a tick while the worker is held")
        src.hold.clear()
        wait_for(lambda: w.closed_by is not None, "w closed once the worker moved on")
        assert w.closed_by != _control_thread(engine) and w.closed_on == "close-removed"
        assert w.late_renders == 0
        assert not any(step.node is w for step in engine.audio.chain.steps)
    finally:
        src.hold.clear()
        engine.close()


def test_a_dead_worker_never_makes_an_edit_wait(caplog):
    engine = _live_signal_engine()
    w = engine.runtime["w"].node
    try:
        def broken(frames: int, late: float = 0.0) -> None:
            raise RuntimeError("worker bug")
        engine.audio._render = broken
        thread = engine.audio._thread
        wait_for(lambda: not thread.is_alive(), "the worker dead")
        with caplog.at_level(logging.WARNING, logger="nodegraph.audio"):
            engine.do(RemoveNode("w"))
        assert w.closed_by is not None  # nothing renders it: closed with the edit
        assert not any(step.node is w for step in engine.audio.chain.steps)
        assert not [r for r in caplog.records if "did not take" in r.getMessage()]
    finally:
        engine.close()


def test_stopping_closes_removed_nodes_the_worker_never_let_go_of():
    engine = _live_signal_engine()
    src = engine.runtime["src"].node
    w = engine.runtime["w"].node
    try:
        src.hold.set()
        wait_for(src.held.is_set, "the worker held in src's render")
        engine.do(RemoveNode("w"))
        assert w.closed_by is None
        src.hold.clear()
        engine.stop()
        assert w.closed_by is not None and w.late_renders == 0
    finally:
        src.hold.clear()
        engine.close()


def test_offline_edits_take_effect_at_once():
    engine = Engine(parse_patch(SIGNAL_PATCH), _registry(), clock=VirtualClock())
    with engine:
        engine.run_offline(0.1)
        w = engine.runtime["w"].node
        generation = engine.audio._installed
        engine.do(RemoveNode("w"))
        assert engine.audio.adopted(generation + 1)
        assert w.closed_by is not None
        assert [step.rn.id for step in engine.audio.chain.steps] == ["src", "cap"]


LEARN_PATCH = """\
format: nodegraph/1
nodes:
  learn: {type: t-learner}
  sink: {type: t-sink}
links:
  - learn.out -> sink.in
"""


def _learning_engine(tmp_path: Path) -> Engine:
    path = tmp_path / "p.yaml"
    path.write_text(LEARN_PATCH)
    engine = Engine.load(path, registry=_registry())
    engine.open()
    engine.start()
    return engine


def test_the_tick_never_waits_for_a_save_and_save_learned_waits_for_all(tmp_path):
    Learner.gate.clear()
    engine = _learning_engine(tmp_path)
    learner, sink = engine.runtime["learn"].node, engine.runtime["sink"].node
    state_file = tmp_path / "p.data" / "learn" / "state.json"
    try:
        Learner.writing.clear()
        engine.send("learn", "in", "a")  # its write waits on the gate...
        wait_for(Learner.writing.is_set, "a's write under way")
        engine.send("learn", "in", "b")  # ... while these ticks run on
        engine.send("learn", "in", "c")
        wait_for(lambda: len(sink.got) == 3, "three ticks while a save is held")
        assert not state_file.exists() and learner.writes == []
        engine.send("learn", "quiet", "z")  # changed after the requests, unsaid
        wait_for(lambda: len(sink.got) == 4, "the quiet change")
        Learner.gate.set()
        wait_for(lambda: engine._saver.pending == 0, "the saver idle")
        # b's request waited behind a's held write and coalesced with c's; each write
        # holds the state as it was when requested, not torn by the later quiet change
        assert learner.writes == [{"a": 0}, {"a": 0, "b": 1, "c": 2}]
        assert json.loads(state_file.read_text()) == {"a": 0, "b": 1, "c": 2}
        Learner.gate.clear()
        saver = threading.Thread(target=engine.save_learned)
        saver.start()
        engine.send("learn", "quiet", "y")  # a tick while save_learned waits on the disk
        wait_for(lambda: len(sink.got) == 5, "a tick while save_learned waits")
        assert saver.is_alive()  # its write is held: save_learned has not returned
        Learner.gate.set()
        saver.join()
        assert json.loads(state_file.read_text())["z"] == -1  # on disk when it returned
    finally:
        Learner.gate.set()
        engine.close()


def test_close_waits_for_pending_saves(tmp_path):
    Learner.gate.clear()
    engine = _learning_engine(tmp_path)
    sink = engine.runtime["sink"].node
    state_file = tmp_path / "p.data" / "learn" / "state.json"
    engine.send("learn", "in", "a")
    wait_for(lambda: sink.got, "the tick")
    assert engine._saver.pending == 1
    opener = threading.Timer(0.05, Learner.gate.set)  # the disk answers a little later
    opener.start()
    try:
        engine.close()
        assert json.loads(state_file.read_text()) == {"a": 0}
    finally:
        Learner.gate.set()
        opener.join()


def test_a_failed_save_flags_the_node_and_save_learned_raises(tmp_path):
    Learner.gate.set()
    engine = _learning_engine(tmp_path)
    learner = engine.runtime["learn"].node

    def failing(folder: Path):
        def write() -> None:
            raise OSError(28, "No space left on device")
        return write
    learner.state_snapshot = failing
    try:
        try:
            engine.save_learned()
        except OSError as exc:
            assert "No space" in str(exc)
        else:
            raise AssertionError("save_learned did not raise")
        wait_for(lambda: engine.runtime["learn"].errors > 0, "the node flagged")
        assert "No space" in engine.runtime["learn"].last_error
    finally:
        engine.close()


def test_the_saver_coalesces_and_flush_waits_for_earlier_requests():
    gate = threading.Event()
    done: list[str] = []
    saver = Saver()
    saver.request("a", lambda: (gate.wait(), done.append("a1")))
    saver.request("b", lambda: done.append("b1"))
    saver.request("b", lambda: done.append("b2"))  # replaces b1, still waiting
    gate.set()
    assert saver.flush() == []
    assert done == ["a1", "b2"]
    saver.close()


def test_a_store_snapshot_keeps_changes_journaled_after_the_copy(tmp_path):
    store = ExampleStore()
    store.open(tmp_path)
    store.add(np.ones(2), np.zeros(1), store.new_round())
    write = store.snapshot(tmp_path, live=True)        # copy: one example
    store.add(np.full(2, 2.0), np.ones(1), store.new_round())  # journaled after the copy
    write()
    assert (tmp_path / JOURNAL_FILE).read_text()  # not emptied: it holds the second
    store.close()
    again = ExampleStore()
    again.open(tmp_path)
    assert len(again) == 2
    write = again.snapshot(tmp_path, live=True)
    write()
    assert (tmp_path / JOURNAL_FILE).read_bytes() == b""  # nothing since: emptied
    again.close()
