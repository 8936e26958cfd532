"""Scheduler semantics: order, hot/cold, timestamps, faults, delays, clean stop."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from nodegraph.api import ANY, Inlet, Node
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch

from engine_helpers import engine_from, registry, wait_for

DIAMOND = """\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  left: {type: t-add}
  right: {type: t-add}
  join: {type: t-join}
links:
  - src.out -> left.a
  - src.out -> right.a
  - left.out -> join.a
  - right.out -> join.b
"""


def test_diamond_runs_the_join_once_per_tick_with_both_sides_updated():
    engine = engine_from(DIAMOND)
    src, join = engine.runtime["src"], engine.runtime["join"].node
    for i, value in enumerate([1.0, 2.0, 3.0]):
        engine.scheduler.post(src, "out", value, t=float(i))
        engine.scheduler.run_pending()
    assert [(a, b) for a, b, _ in join.calls] == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]


def test_messages_to_one_port_are_never_merged():
    """Two posts before a tick run as two ticks, in order (nothing dropped)."""
    engine = engine_from(DIAMOND)
    src, join = engine.runtime["src"], engine.runtime["join"].node
    engine.scheduler.post(src, "out", 1.0, t=0.0)
    engine.scheduler.post(src, "out", 2.0, t=0.0)
    assert engine.scheduler.run_pending() == 2
    assert [a for a, _, _ in join.calls] == [1.0, 2.0]


def test_cold_inlet_stores_without_triggering():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  hot: {type: t-emit}
  cold: {type: t-emit}
  add: {type: t-add}
  out: {type: t-sink}
links:
  - hot.out -> add.a
  - cold.out -> add.b
  - add.out -> out.in
""")
    s, rt = engine.scheduler, engine.runtime
    s.post(rt["cold"], "out", 10.0)
    s.run_pending()
    assert rt["add"].calls == 0 and rt["out"].node.got == []
    s.post(rt["hot"], "out", 1.0)
    s.run_pending()
    assert [v for v, _ in rt["out"].node.got] == [11.0]
    assert rt["add"].inputs.changed == set()


def test_outputs_carry_the_source_timestamp():
    engine = engine_from(DIAMOND.replace("join: {type: t-join}", "join: {type: t-join}\n  sink: {type: t-sink}")
                         + "  - join.out -> sink.in\n")
    engine.scheduler.post(engine.runtime["src"], "out", 1.0, t=123.5)
    engine.scheduler.run_pending()
    assert engine.runtime["sink"].node.got == [(2.0, 123.5)]


def test_messages_carry_their_source_node_type():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  m: {type: metro, params: {interval_ms: 100}}
  add: {type: t-add}
  d: {type: delay, params: {time_ms: 50}}
  sink: {type: t-sink}
  later: {type: t-sink}
links:
  - src.out -> add.a
  - m.bang -> d.in
  - add.out -> sink.in
  - d.out -> later.in
""")
    engine.scheduler.post(engine.runtime["src"], "out", 1.0, t=0.0)
    engine.run_offline(0.001)
    engine.send("sink", "in", 5.0)  # from outside the graph
    engine.scheduler.run_pending()
    engine.run_offline(0.2)
    assert engine.runtime["sink"].node.sources == ["t-emit", "send"]
    # through nodes that run on it, a message keeps its source; a delay posts anew
    assert engine.runtime["later"].node.sources == ["delay", "delay"]


def test_a_raising_node_is_flagged_and_the_rest_keeps_running():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  boom: {type: t-boom}
  after: {type: t-sink}
  other: {type: t-sink}
links:
  - src.out -> boom.in
  - boom.out -> after.in
  - src.out -> other.in
""")
    s, rt = engine.scheduler, engine.runtime
    for value in (1.0, -1.0, 2.0):
        s.post(rt["src"], "out", value)
        s.run_pending()
        if value < 0:
            assert rt["boom"].status == "error"
            assert "negative input" in rt["boom"].last_error
    assert [v for v, _ in rt["other"].node.got] == [1.0, -1.0, 2.0]
    assert [v for v, _ in rt["after"].node.got] == [1.0, 2.0]
    assert rt["boom"].errors == 1 and rt["boom"].status == "ok"
    report = engine.report()
    assert report["nodes"]["boom"]["errors"] == 1


def test_a_node_that_fails_to_open_is_left_out():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  dead: {type: t-bad-open}
  sink: {type: t-sink}
links:
  - src.out -> dead.in
  - src.out -> sink.in
""")
    rt = engine.runtime
    assert rt["dead"].status == "failed" and "device unplugged" in rt["dead"].last_error
    engine.scheduler.post(rt["src"], "out", 5.0)
    engine.scheduler.run_pending()
    assert rt["sink"].node.got[0][0] == 5.0


class HalfOpen(Node):
    """Test node: gets halfway through ``open``, then fails; its ``report`` reads what
    ``open`` never reached."""

    type_name = "t-half-open"
    report_section = "vision"
    inlets = (Inlet("in", ANY),)

    def __init__(self, node_id: str = "", params: dict | None = None) -> None:
        super().__init__(node_id, params)
        self._frames: list[int] | None = None

    def open(self) -> None:
        raise OSError("no camera at /dev/video9")

    def report(self) -> dict:
        return {"frames": len(self._frames)}  # TypeError on a failed node


def test_a_node_that_failed_to_open_reports_its_failure_not_its_figures():
    reg = registry()
    reg.register(HalfOpen)
    engine = Engine(parse_patch("""\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  cam: {type: t-half-open}
links:
  - src.out -> cam.in
"""), reg, clock=VirtualClock())
    engine.open()
    report = engine.report()
    failure = {"status": "failed", "last_error": "OSError: no camera at /dev/video9"}
    assert report["nodes"]["cam"]["status"] == "failed"
    assert report["nodes"]["cam"]["last_error"] == failure["last_error"]
    assert "report_error" not in report["nodes"]["cam"] and "frames" not in report["nodes"]["cam"]
    assert report["vision"] == {"nodes": {"cam": failure}}  # its section says so too
    assert engine.runtime["cam"].report() == {}  # what the editor reads
    engine.close()


def test_wrong_vector_size_is_flagged_at_the_sender():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  w: {type: t-wrong-size}
  sink: {type: t-sink}
links:
  - src.out -> w.in
  - w.out -> sink.in
""")
    engine.scheduler.post(engine.runtime["src"], "out", 1.0)
    engine.scheduler.run_pending()
    assert "sent 2 values, declared 3" in engine.runtime["w"].last_error
    assert engine.runtime["sink"].node.got == []


def test_feedback_loop_through_delay_counts_one_step_per_tick():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  src: {type: t-emit}
  acc: {type: t-add}
  back: {type: delay}
  sink: {type: t-sink}
links:
  - src.out -> acc.a
  - acc.out -> back.in
  - back.out -> acc.b
  - acc.out -> sink.in
""")
    s, rt = engine.scheduler, engine.runtime
    for _ in range(3):
        s.post(rt["src"], "out", 1.0)
        s.run_pending()
    assert [v for v, _ in rt["sink"].node.got] == [1.0, 2.0, 3.0]


def test_metro_and_timed_delay_on_a_virtual_clock():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  m: {type: metro, params: {interval_ms: 100}}
  d: {type: delay, params: {time_ms: 50}}
  direct: {type: t-sink}
  later: {type: t-sink}
links:
  - m.bang -> direct.in
  - m.bang -> d.in
  - d.out -> later.in
""")
    engine.run_offline(1.0)
    direct = [t for _, t in engine.runtime["direct"].node.got]
    later = engine.runtime["later"].node.got
    assert direct == pytest.approx([0.1 * i for i in range(11)])
    # delayed messages keep their source timestamp and arrive 50 ms later
    assert [t for _, t in later] == pytest.approx([0.1 * i for i in range(10)])
    assert engine.clock.now() == pytest.approx(1.0)


def test_constant_param_edit_sends_the_new_value():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  c: {type: constant, params: {value: [1, 2]}}
  sink: {type: t-sink}
links:
  - c.out -> sink.in
""")
    from nodegraph.edits import SetParam
    engine.scheduler.run_pending()
    engine.do(SetParam("c", "value", [3.0, 4.0]))
    engine.scheduler.run_pending()
    got = [v.tolist() for v, _ in engine.runtime["sink"].node.got]
    assert got == [[1.0, 2.0], [3.0, 4.0]]


def test_realtime_start_stop_leaves_no_thread_and_closes_nodes():
    before = set(threading.enumerate())
    engine = engine_from("""\
format: nodegraph/1
nodes:
  m: {type: metro, params: {interval_ms: 10}}
  sink: {type: t-sink}
links:
  - m.bang -> sink.in
""", virtual=False)
    sink = engine.runtime["sink"].node
    engine.start()
    wait_for(lambda: len(sink.got) >= 3, "three metro bangs")
    engine.close()
    assert set(threading.enumerate()) == before
    assert engine.runtime == {}


def test_realtime_metro_ticks_through_the_control_thread():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  m: {type: metro, params: {interval_ms: 10}}
  sink: {type: t-sink}
links:
  - m.bang -> sink.in
""", virtual=False)
    sink = engine.runtime["sink"].node
    engine.start()
    wait_for(lambda: len(sink.got) >= 20, "20 metro bangs")
    engine.stop()
    stamps = np.array([t for _, t in sink.got])
    assert len(stamps) >= 20
    assert np.allclose(np.diff(stamps), 0.010, atol=1e-9)  # scheduled times, no drift


def test_engine_send_reaches_an_inlet():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  add: {type: t-add}
  sink: {type: t-sink}
links:
  - add.out -> sink.in
""")
    engine.send("add", "b", 2.0)
    engine.send("add", "a", 1.0)
    engine.scheduler.run_pending()
    assert [v for v, _ in engine.runtime["sink"].node.got] == [3.0]
    with pytest.raises(KeyError, match="inlets: a, b"):
        engine.send("add", "c", 1.0)


def test_offline_needs_a_virtual_clock():
    engine = Engine(parse_patch(DIAMOND), registry())
    with pytest.raises(RuntimeError):
        engine.run_offline(1.0)
    assert isinstance(Engine(parse_patch(DIAMOND), registry(), VirtualClock()).clock, VirtualClock)


def test_post_latest_keeps_only_the_newest_waiting_value():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  cam: {type: t-emit}
  sink: {type: t-sink}
links:
  - cam.out -> sink.in
""")
    ctx = engine.runtime["cam"].node.ctx
    for i in range(5):
        ctx.post_latest("out", float(i), t=float(i))
    engine.scheduler.run_pending()
    ctx.post_latest("out", 9.0, t=9.0)
    engine.scheduler.run_pending()
    assert engine.runtime["sink"].node.got == [(4.0, 4.0), (9.0, 9.0)]
    assert engine.report()["nodes"]["cam"]["dropped"] == 4
