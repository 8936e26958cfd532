"""Routing nodes: select-dims, concat, gate, switch, route, send/receive."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.api import PortInfo
from nodegraph.edits import SetParam
from nodes.concat import Concat
from nodes.select_dims import SelectDims

from vocab_helpers import feed, got, load_error, rig, stamps, vec


# -- select-dims, concat --------------------------------------------------------------


def test_select_dims_reorders_repeats_and_counts_from_the_end():
    engine = rig("nodes:\n  n: {type: select-dims, params: {dims: [2, 0, -1, 0]}}\n"
                 "  out: {type: t-sink}\nlinks:\n  - n.out -> out.in\n")
    feed(engine, "n", "in", vec(10, 11, 12))
    assert got(engine)[0].tolist() == [12, 10, 12, 10]
    feed(engine, "n", "in", vec(1, 2))
    assert len(got(engine)) == 1
    assert "dims [2] out of range for a vector of 2 values" in engine.runtime["n"].last_error


def test_select_dims_keeps_the_chosen_labels_and_checks_range_at_load():
    info = SelectDims("s", {"dims": [2, 0]}).port_info({"in": PortInfo(3, ("a", "b", "c"))})
    assert info["out"] == PortInfo(2, ("c", "a"))
    message = load_error("nodes:\n  v: {type: t-vec, params: {size: 2}}\n"
                         "  n: {type: select-dims, params: {dims: [0, 5]}}\n"
                         "links:\n  - v.out -> n.in\n")
    assert "<patch>:4" in message and "dims [5] out of range" in message
    assert "whole numbers" in load_error("nodes:\n  n: {type: select-dims, params: {dims: [0.5]}}\n")
    assert "dims is empty" in load_error("nodes:\n  n: {type: select-dims, params: {dims: []}}\n")


def test_concat_waits_for_every_part_then_joins_once_per_tick():
    engine = rig("nodes:\n  n: {type: concat, params: {count: 3}}\n  out: {type: t-sink}\n"
                 "links:\n  - n.out -> out.in\n")
    feed(engine, "n", "in0", vec(1, 2))
    feed(engine, "n", "in2", vec())
    assert got(engine) == []
    engine.send("n", "in1", 3.0)
    engine.send("n", "in2", vec(4))
    engine.scheduler.run_pending()
    assert [v.tolist() for v in got(engine)] == [[1, 2, 3, 4]]


def test_concat_adds_sizes_and_joins_labels():
    node = Concat("c", {"count": 2})
    info = node.port_info({"in0": PortInfo(2, ("x", "y")), "in1": PortInfo(1, ("z",))})
    assert info["out"] == PortInfo(3, ("x", "y", "z"))
    assert node.port_info({"in0": PortInfo(2, ("x", "y")), "in1": PortInfo(1)})["out"] == PortInfo(3)
    assert node.port_info({"in0": PortInfo(2)})["out"] == PortInfo()


# -- gate, switch -----------------------------------------------------------------------


GATE = """\
nodes:
  g: {type: gate, params: {count: 2}}
  a: {type: t-sink}
  b: {type: t-sink}
links:
  - g.out1 -> a.in
  - g.out2 -> b.in
"""


def test_gate_sends_out_of_the_selected_outlet_and_closes_on_zero():
    engine = rig(GATE)
    feed(engine, "g", "in", 1.0)
    feed(engine, "g", "select", 2)
    assert got(engine, "a") == [1.0] and got(engine, "b") == []  # select is cold
    feed(engine, "g", "in", 2.0)
    feed(engine, "g", "select", 0)
    feed(engine, "g", "in", 3.0)
    feed(engine, "g", "select", 7.6)  # above count: the last outlet
    feed(engine, "g", "in", 4.0)
    feed(engine, "g", "select", -3)
    feed(engine, "g", "in", 5.0)
    assert got(engine, "a") == [1.0] and got(engine, "b") == [2.0, 4.0]
    assert engine.runtime["g"].node.report() == {"open": 0}


def test_gate_initial_must_name_an_outlet():
    assert "only 2 outlets" in load_error(
        "nodes:\n  g: {type: gate, params: {count: 2, initial: 3}}\n")


SWITCH = """\
nodes:
  s: {type: switch, params: {count: 2}}
  out: {type: t-sink}
links:
  - s.out -> out.in
"""


def test_switch_passes_only_the_selected_input_and_resends_on_select():
    engine = rig(SWITCH)
    feed(engine, "s", "in2", vec(2))
    feed(engine, "s", "in1", vec(1))
    assert [v.tolist() for v in got(engine)] == [[1]]
    feed(engine, "s", "select", 2)  # the latest value of in2 goes out at once
    feed(engine, "s", "in1", vec(11))
    feed(engine, "s", "in2", vec(22))
    feed(engine, "s", "select", 0)
    feed(engine, "s", "in2", vec(33))
    assert [v.tolist() for v in got(engine)] == [[1], [2], [22]]


def test_switch_inputs_must_agree_in_size():
    message = load_error("nodes:\n  a: {type: t-vec, params: {size: 3}}\n"
                         "  b: {type: t-vec, params: {size: 4}}\n  s: {type: switch}\n"
                         "links:\n  - a.out -> s.in1\n  - b.out -> s.in2\n")
    assert "<patch>:5" in message and "in1 3, in2 4" in message


def test_switch_output_size_reaches_what_follows():
    message = load_error("nodes:\n  a: {type: t-vec, params: {size: 3}}\n  s: {type: switch}\n"
                         "  v: {type: t-vec-in, params: {size: 4}}\n"
                         "links:\n  - a.out -> s.in1\n  - s.out -> v.in\n")
    assert "s.out sends 3 values but v.in expects 4 values" in message


# -- route --------------------------------------------------------------------------------


def routed(keys: str, *messages) -> dict[str, list]:
    count = len(keys.split())
    sinks = "".join(f"  k{i}: {{type: t-sink}}\n" for i in range(count))
    links = "".join(f"  - r.out{i} -> k{i}.in\n" for i in range(count))
    engine = rig(f"nodes:\n  r: {{type: route, params: {{keys: '{keys}'}}}}\n{sinks}"
                 f"  other: {{type: t-sink}}\nlinks:\n{links}  - r.other -> other.in\n")
    for message in messages:
        feed(engine, "r", "in", message)
    out = {name: got(engine, name) for name in [f"k{i}" for i in range(count)] + ["other"]}
    engine.close()
    return out


def test_route_by_address_strips_the_selector():
    out = routed("/mouth jaw", "/mouth 0.5", "jaw 0.1 0.2", "/mouth", ("jaw", "open"),
                 "brow 1", "jaw wide open")
    assert out["k0"] == [0.5, True]
    assert [type(v).__name__ for v in out["k1"]] == ["ndarray", "str", "str"]
    assert out["k1"][0].tolist() == pytest.approx([0.1, 0.2]) and out["k1"][1:] == ["open", "wide open"]
    assert out["other"] == ["brow 1"]


def test_route_by_index_matches_the_first_value():
    out = routed("0 1 2", vec(1, 0.25, 0.5), 2, vec(0, 7), vec(3, 1), "1 9", vec())
    assert out["k1"][0].tolist() == [0.25, 0.5] and out["k1"][1] == 9.0
    assert out["k2"] == [True] and out["k0"] == [7.0]
    assert [np.asarray(v).tolist() for v in out["other"]] == [[3, 1], []]


def test_route_keys_must_be_given_once():
    assert "list each once" in load_error("nodes:\n  r: {type: route, params: {keys: a b a}}\n")
    assert "keys is empty" in load_error("nodes:\n  r: {type: route, params: {keys: ' '}}\n")


# -- send / receive -----------------------------------------------------------------------


def test_send_reaches_receives_of_the_same_name_on_a_later_tick():
    engine = rig("nodes:\n  s: {type: send, params: {name: lat}}\n"
                 "  r1: {type: receive, params: {name: lat}}\n"
                 "  r2: {type: receive, params: {name: lat}}\n"
                 "  other: {type: receive, params: {name: pitch}}\n"
                 "  a: {type: t-sink}\n  b: {type: t-sink}\n  c: {type: t-sink}\n"
                 "links:\n  - r1.out -> a.in\n  - r2.out -> b.in\n  - other.out -> c.in\n")
    engine.scheduler.send(engine.runtime["s"], "in", vec(1, 2), 42.0)
    assert engine.scheduler.run_pending() == 2  # the send's tick, then the receivers'
    assert [v.tolist() for v in got(engine, "a")] == [[1, 2]] == [v.tolist() for v in got(engine, "b")]
    assert stamps(engine, "a") == [42.0] and got(engine, "c") == []
    assert engine.runtime["s"].node.report() == {"unheard": 0}


def test_send_without_receivers_counts_unheard_and_global_scope_is_separate():
    engine = rig("nodes:\n  s: {type: send, params: {name: x, scope: global}}\n"
                 "  r: {type: receive, params: {name: x}}\n  a: {type: t-sink}\n"
                 "links:\n  - r.out -> a.in\n")
    feed(engine, "s", "in", 1.0)
    assert got(engine, "a") == [] and engine.runtime["s"].node.report() == {"unheard": 1}


def test_send_receive_loop_runs_one_step_per_tick():
    engine = rig("nodes:\n  r: {type: receive, params: {name: loop}}\n  add: {type: t-add}\n"
                 "  s: {type: send, params: {name: loop}}\n  seen: {type: t-sink}\n"
                 "links:\n  - r.out -> add.a\n  - add.out -> s.in\n  - add.out -> seen.in\n")
    engine.send("add", "b", 1.0)
    engine.send("add", "a", 0.0)
    assert engine.scheduler.run_pending(max_ticks=6) == 6
    assert got(engine, "seen") == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]


def test_receive_follows_a_renamed_channel():
    engine = rig("nodes:\n  s: {type: send, params: {name: b}}\n"
                 "  r: {type: receive, params: {name: a}}\n  out: {type: t-sink}\n"
                 "links:\n  - r.out -> out.in\n")
    feed(engine, "s", "in", 1.0)
    engine.do(SetParam("r", "name", "b"))
    feed(engine, "s", "in", 2.0)
    assert got(engine) == [2.0]
    engine.close()  # unsubscribes
    assert engine.names.publish(("patch", "", "b"), 3.0, 0.0) == 0


def test_send_needs_a_name():
    assert "needs a name" in load_error("nodes:\n  s: {type: send, params: {name: ''}}\n")
