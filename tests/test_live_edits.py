"""Live edits through engine commands, each undone exactly, while the graph runs."""

from __future__ import annotations


import numpy as np
import pytest

from nodegraph.edits import AddNode, Batch, Connect, Disconnect, Move, RemoveNode, SetParam, UNSET
from nodegraph.errors import EditError
from nodegraph.patch import Link, dump_patch

from engine_helpers import engine_from, wait_for

PATCH = """\
format: nodegraph/1
nodes:
  m: {type: metro, params: {interval_ms: 5}}
  c: {type: constant, params: {value: [1, 2, 3]}}
  s: {type: scale, params: {out_hi: 2.0}}
  p: {type: print, params: {quiet: true}}
links:
  - m.bang -> c.bang
  - c.out -> s.in
  - s.out -> p.in
layout:
  m: [0, 0]
  c: [0, 100]
"""

EDITS = [
    AddNode("extra", "print", {"quiet": True}, (300, 300)),
    RemoveNode("s"),
    RemoveNode("c"),
    Connect(Link("c", "out", "p", "in")),
    Disconnect(Link("c", "out", "s", "in")),
    SetParam("s", "out_hi", 5.0),
    SetParam("s", "out_lo", -1.0),
    SetParam("s", "out_hi", UNSET),
    SetParam("m", "interval_ms", 20.0),
    Move("c", (50, 50)),
    Move("p", (400, 0)),
    Move("m", None),
    Batch((AddNode("q", "print"), Connect(Link("s", "out", "q", "in")))),
]


@pytest.mark.parametrize("edit", EDITS, ids=[repr(e)[:60] for e in EDITS])
def test_each_edit_applies_and_undo_restores_the_exact_text(edit):
    engine = engine_from(PATCH)
    before = dump_patch(engine.patch)
    engine.do(edit)
    after = dump_patch(engine.patch)
    assert after != before
    assert engine.undo()
    assert dump_patch(engine.patch) == before
    assert engine.redo()
    assert dump_patch(engine.patch) == after


@pytest.mark.parametrize("edit,words", [
    (AddNode("m", "print"), "already exists"),
    (AddNode("x", "nope"), "unknown node type"),
    (AddNode("on", "print"), "not a valid node id"),
    (Connect(Link("m", "bang", "s", "in")), "m.bang sends bang but s.in takes vector"),
    (Connect(Link("p", "in", "c", "bang")), "has no outlet"),
    (Connect(Link("c", "out", "s", "in")), "already exists"),
    (Disconnect(Link("m", "bang", "p", "in")), "no link"),
    (SetParam("m", "interval_ms", -1), "expected a number in [1, 600000]"),
    (SetParam("s", "in_hi", 0.0), "in_lo and in_hi are equal"),
    (RemoveNode("zz"), "no node 'zz'"),
    (Batch((AddNode("q", "print"), Connect(Link("q", "in", "m", "toggle")))), "has no outlet"),
])
def test_refused_edits_leave_the_graph_unchanged(edit, words):
    engine = engine_from(PATCH)
    before = dump_patch(engine.patch)
    with pytest.raises(EditError, match=words.replace("[", r"\[").replace("]", r"\]")):
        engine.do(edit)
    assert dump_patch(engine.patch) == before
    assert not engine.can_undo


def test_edits_while_running_take_effect_and_ticking_goes_on():
    engine = engine_from(PATCH, virtual=False)
    engine.start()
    engine.do(AddNode("tap", "print", {"quiet": True}))
    engine.do(Connect(Link("s", "out", "tap", "in")))
    engine.do(SetParam("s", "out_hi", 10.0))
    tap = engine.runtime["tap"].node
    wait_for(lambda: tap.count > 3, "the new node receiving while the graph ticks")
    assert tap.last.tolist() == pytest.approx([10.0, 20.0, 30.0])
    calls_before = engine.runtime["p"].calls
    engine.do(RemoveNode("s"))
    assert "s" not in engine.runtime
    ticks = engine.scheduler.ticks
    wait_for(lambda: engine.scheduler.ticks >= ticks + 10, "ten more metro ticks")
    assert engine.runtime["p"].calls == calls_before  # its only input is gone
    engine.undo()
    wait_for(lambda: engine.runtime["p"].calls > calls_before, "p called again after undo")


def test_ports_that_follow_params_rebuild_live():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  k: {type: pack, params: {count: 2}}
  p: {type: print, params: {quiet: true}}
links:
  - k.out -> p.in
""")
    engine.do(SetParam("k", "count", 3))
    engine.send("k", "in2", 7.0)
    engine.send("k", "in0", 1.0)
    engine.scheduler.run_pending()
    assert engine.runtime["p"].node.last.tolist() == [1.0, 0.0, 7.0]


def test_shrinking_ports_with_links_on_them_is_refused():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  c: {type: constant}
  u: {type: unpack, params: {count: 3}}
  p: {type: print}
links:
  - u.out2 -> p.in
""")
    with pytest.raises(EditError, match="no outlet 'out2'"):
        engine.do(SetParam("u", "count", 2))


def test_a_failed_node_gets_another_try_when_its_params_change():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  dev: {type: t-bad-open}
  m: {type: metro}
links:
  - m.bang -> dev.in
""")
    assert engine.runtime["dev"].status == "failed"
    engine.do(SetParam("dev", "unplugged", False))
    assert engine.runtime["dev"].status == "idle"
    engine.run_offline(0.25)
    assert engine.runtime["dev"].calls >= 2


def test_numpy_values_from_widgets_are_saved_as_plain_yaml(tmp_path):
    engine = engine_from(PATCH)
    engine.do(SetParam("s", "out_hi", np.float32(4.0)))
    engine.do(SetParam("c", "value", np.array([1.5, 2.5], dtype=np.float32)))
    engine.do(Move("p", (np.int64(10), np.float64(20.5))))
    engine.save(tmp_path / "p.yaml")
    text = (tmp_path / "p.yaml").read_text()
    assert "out_hi: 4.0" in text and "value: [1.5, 2.5]" in text and "p: [10, 20.5]" in text


def test_a_background_thread_call_never_overlaps_a_tick():
    """Without a control thread, call() from another thread waits for the tick lock."""
    import threading
    engine = engine_from(PATCH)
    inside_tick = threading.Event()
    release = threading.Event()
    order = []

    original = engine.runtime["p"].node.process

    def slow_process(inputs):
        inside_tick.set()
        release.wait(5)
        order.append("tick")
        return original(inputs)

    engine.runtime["p"].node.process = slow_process
    engine.send("c", "bang")
    driver = threading.Thread(target=engine.scheduler.run_pending)
    driver.start()
    assert inside_tick.wait(5)
    caller = threading.Thread(target=lambda: engine.scheduler.call(lambda: order.append("call")))
    caller.start()
    caller.join(0.2)
    assert order == []  # the call is waiting for the tick to finish
    release.set()
    driver.join(5)
    caller.join(5)
    assert order == ["tick", "call"]
