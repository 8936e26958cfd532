"""Subpatches: include and inline forms, round trips, flattened running, and errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nodegraph.clock import VirtualClock
from nodegraph.edits import AddNode, RemoveNode, SetParam
from nodegraph.engine import Engine, apply_overrides
from nodegraph.errors import EditError, PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import dump_patch, load_patch
from nodegraph.registry import default_registry

from engine_helpers import registry

VOICE = """\
format: nodegraph/1
description: Scale a vector by a gain and echo it on a patch-local channel.
params:
  gain: 2.0
  channel: echo
nodes:
  x: {type: inlet, params: {type: vector, doc: values to scale}}
  k: {type: inlet, params: {type: number}}
  s: {type: scale, params: {out_hi: $gain}}
  snd: {type: send, params: {name: $channel}}
  rcv: {type: receive, params: {name: $channel}}
  y: {type: outlet, params: {type: vector, doc: scaled values}}
  echo: {type: outlet}
links:
  - x.out -> s.in
  - s.out -> y.in
  - s.out -> snd.in
  - rcv.out -> echo.in
"""

MAIN = """\
format: nodegraph/1
nodes:
  src: {type: t-vec, params: {size: 2}}
  v1: {include: voice.yaml, params: {gain: 10.0}}
  v2: {include: voice.yaml}
  fx:
    subpatch:
      params:
        factor: 3.0
      nodes:
        i: {type: inlet, params: {type: vector}}
        m: {type: latent-adjust, params: {scale: [$factor]}}
        o: {type: outlet, params: {type: vector}}
      links:
        - i.out -> m.in
        - m.out -> o.in
    params:
      factor: -1.0
  a: {type: t-sink}
  b: {type: t-sink}
  c: {type: t-sink}
  d: {type: t-sink}
links:
  - src.out -> v1.x
  - src.out -> v2.x
  - v1.y -> a.in
  - v2.y -> b.in
  - v1.echo -> c.in
  - src.out -> fx.i
  - fx.o -> d.in
layout:
  v1: [100, 0]
  fx: [200, 0]
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "voice.yaml").write_text(VOICE)
    (tmp_path / "main.yaml").write_text(MAIN)
    return tmp_path


def load(path: Path) -> Engine:
    return Engine(load_patch(path), registry(), clock=VirtualClock())


def problems(path: Path, reg=None) -> str:
    with pytest.raises(PatchError) as info:
        check_patch(load_patch(path), reg or registry())
    return str(info.value)


def test_load_then_save_is_byte_identical(folder):
    for name in ("main.yaml", "voice.yaml"):
        path = folder / name
        assert dump_patch(load_patch(path)) == path.read_text()
    engine = load(folder / "main.yaml")
    engine.save()
    assert (folder / "main.yaml").read_text() == MAIN and not engine.dirty


def test_the_engine_runs_the_flattened_graph(folder):
    engine = load(folder / "main.yaml")
    graph = engine.graph
    assert "v1/s" in graph.nodes and "fx/m" in graph.nodes and "v1" not in graph.nodes
    assert list(engine.patch.nodes) == ["src", "v1", "v2", "fx", "a", "b", "c", "d"]
    assert graph.nodes["v1/s"].out_hi == 10.0 and graph.nodes["v2/s"].out_hi == 2.0
    assert graph.nodes["fx/m"].scale == [-1.0]
    engine.open()
    engine.scheduler.post(engine.runtime["src"], "out", np.array([0.5, 1.0], np.float32))
    engine.scheduler.run_pending()
    values = {k: [v.tolist() for v, _ in engine.runtime[k].node.got] for k in "abcd"}
    assert values["a"] == [[5, 10]] and values["b"] == [[1, 2]] and values["d"] == [[-0.5, -1]]
    # v1's send reaches v1's receive only: names are local to the instance
    assert values["c"] == [[5, 10]]


def test_subpatch_nodes_describe_their_ports_and_params(folder):
    graph = check_patch(load_patch(folder / "main.yaml"), registry())
    voice = graph.subpatches["v1"]
    assert voice.source == str(folder / "voice.yaml")
    assert [(p.name, p.type.name, p.doc) for p in voice.inlets] == [
        ("x", "vector", "values to scale"), ("k", "number", "")]
    assert [(p.name, p.type.name) for p in voice.outlets] == [("y", "vector"), ("echo", "any")]
    assert voice.params == {"gain": 2.0, "channel": "echo"}
    assert graph.port_infos["v1"]["y"].size == 2
    assert graph.subpatches["fx"].source == "the inline subpatch"


def test_an_abstraction_checks_and_runs_on_its_own(folder):
    engine = load(folder / "voice.yaml")
    assert engine.graph.nodes["s"].out_hi == 2.0  # the declared default
    engine.open()
    engine.send("x", "in", np.array([1.0], np.float32))
    engine.scheduler.run_pending()
    assert engine.runtime["y"].last_out["out"].tolist() == [2.0]


def test_include_params_follow_edits_and_overrides(folder):
    engine = load(folder / "main.yaml")
    engine.open()
    inner = engine.runtime["v1/s"].node
    engine.do(SetParam("v1", "gain", 4.0))
    assert engine.runtime["v1/s"].node is inner and inner.out_hi == 4.0
    with pytest.raises(EditError, match="declares no param 'gian'"):
        engine.do(SetParam("v1", "gian", 4.0))
    engine.close()
    patch = load_patch(folder / "main.yaml")
    apply_overrides(patch, ["v2.gain=0.5"])
    assert check_patch(patch, registry()).nodes["v2/s"].out_hi == 0.5


def test_removing_and_adding_subpatch_nodes_undoes_exactly(folder):
    engine = load(folder / "main.yaml")
    engine.open()
    before = dump_patch(engine.patch)
    for node_id in ("v1", "fx"):
        engine.do(RemoveNode(node_id))
        assert not any(i.startswith(node_id + "/") for i in engine.runtime)
        assert engine.undo() and dump_patch(engine.patch) == before
    engine.do(AddNode("v3", "", {"gain": 3.0}, include="voice.yaml"))
    assert engine.runtime["v3/s"].node.out_hi == 3.0


def test_dollar_dollar_is_a_literal_dollar(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("format: nodegraph/1\nnodes:\n  p: {type: print, params: {label: $$money}}\n")
    assert check_patch(load_patch(path), registry()).nodes["p"].label == "$money"
    assert dump_patch(load_patch(path)) == path.read_text()


# -- errors ----------------------------------------------------------------------------------


def write(folder: Path, **files: str) -> None:
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text("format: nodegraph/1\n" + text)


def test_include_cycles_name_the_chain(tmp_path):
    write(tmp_path, a_yaml="nodes:\n  b: {include: b.yaml}\n",
          b_yaml="nodes:\n  n: {type: print}\n  a: {include: a.yaml}\n")
    message = problems(tmp_path / "a.yaml")
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    assert f"{b}:4: node 'a': include cycle {a} → {b} → {a}" in message
    assert f"(in subpatch b ({a}:3))" in message
    write(tmp_path, self_yaml="nodes:\n  me: {include: self.yaml}\n")
    me = tmp_path / "self.yaml"
    assert f"{me}:3: node 'me': include cycle {me} → {me}" in problems(me)


def test_a_missing_include_names_the_include_line(tmp_path):
    write(tmp_path, m_yaml="nodes:\n  p: {type: print}\n  v:\n    include: nowhere.yaml\n")
    message = problems(tmp_path / "m.yaml")
    assert f"{tmp_path / 'm.yaml'}:5: node 'v': include 'nowhere.yaml': no such file" in message


def test_errors_inside_an_included_file_name_that_file_and_the_chain(tmp_path):
    write(tmp_path,
          main_yaml="nodes:\n  outer: {include: mid.yaml}\n",
          mid_yaml="nodes:\n  inner: {include: leaf.yaml}\n",
          leaf_yaml="nodes:\n  p: {type: print}\n  m: {type: metro, params: {interval_ms: -1}}\n")
    message = problems(tmp_path / "main.yaml")
    main, mid, leaf = (tmp_path / f"{n}.yaml" for n in ("main", "mid", "leaf"))
    assert message == (f"{leaf}:4: node 'm' param 'interval_ms': expected a number in [1, 600000], "
                       f"got -1 (in subpatch outer ({main}:3) → outer/inner ({mid}:3))")
    write(tmp_path, leaf_yaml="nodes:\n  p: {type: print\n")
    assert f"{leaf}:4: YAML syntax" in problems(tmp_path / "main.yaml")
    assert f"(in subpatch outer ({main}:3) → outer/inner ({mid}:3))" in problems(main)


def test_params_must_be_declared_on_both_sides(tmp_path):
    write(tmp_path,
          main_yaml="nodes:\n  v:\n    include: voice.yaml\n    params:\n      gian: 1.0\n",
          voice_yaml="params:\n  gain: 1.0\nnodes:\n  s: {type: scale, params: {out_hi: $volume}}\n")
    message = problems(tmp_path / "main.yaml")
    assert f"{tmp_path / 'main.yaml'}:6: node 'v': {tmp_path / 'voice.yaml'} declares no param " \
           "'gian'; its params: gain" in message
    assert f"{tmp_path / 'voice.yaml'}:5: node 's' param 'out_hi': $volume names no param of " \
           "this patch (declared: gain)" in message


def test_a_passed_value_of_the_wrong_type_says_where_it_came_from(tmp_path):
    write(tmp_path, main_yaml="nodes:\n  v: {include: voice.yaml, params: {gain: loud}}\n",
          voice_yaml="params:\n  gain: 1.0\nnodes:\n  s: {type: scale, params: {out_hi: $gain}}\n")
    message = problems(tmp_path / "main.yaml")
    assert f"{tmp_path / 'voice.yaml'}:5: node 's' param 'out_hi': expected a number, got " \
           "'loud' (given as $gain) (in subpatch v" in message


def test_links_to_subpatch_ports_are_checked(folder):
    def with_link(link: str) -> str:
        (folder / "main.yaml").write_text(MAIN.replace("  - fx.o -> d.in\n",
                                                       f"  - fx.o -> d.in\n  - {link}\n"))
        return problems(folder / "main.yaml")

    main = folder / "main.yaml"
    assert f"{main}:31: link src.out -> v1.freq: 'v1' ({folder / 'voice.yaml'}) has no inlet " \
           "'freq'; its inlets: x, k" in with_link("src.out -> v1.freq")
    assert "(that is an inlet: links go outlet -> inlet)" in with_link("v1.x -> d.in")
    assert "link src.out -> v1.k: src.out sends vector but v1.k takes number" in \
        with_link("src.out -> v1.k")


def test_sizes_are_checked_across_the_boundary(tmp_path):
    write(tmp_path,
          main_yaml="nodes:\n  src: {type: t-vec, params: {size: 2}}\n"
                    "  v: {include: voice.yaml}\n  sink: {type: t-vec-in, params: {size: 5}}\n"
                    "links:\n  - src.out -> v.x\n  - v.y -> sink.in\n",
          voice_yaml="nodes:\n  x: {type: inlet, params: {type: vector, size: 3}}\n"
                     "  y: {type: outlet, params: {type: vector}}\nlinks:\n  - x.out -> y.in\n")
    message = problems(tmp_path / "main.yaml")
    assert "link src.out -> v.x: src.out sends 2 values but v.x expects 3 values" in message
    write(tmp_path, voice_yaml="nodes:\n  x: {type: inlet, params: {type: vector}}\n"
                               "  y: {type: outlet, params: {type: vector}}\n"
                               "links:\n  - x.out -> y.in\n")
    assert "link v.y -> sink.in: v.y sends 2 values but sink.in expects 5 values" in \
        problems(tmp_path / "main.yaml")


def test_a_loop_through_a_subpatch_needs_a_delay(tmp_path):
    write(tmp_path,
          main_yaml="nodes:\n  add: {type: t-add}\n  v: {include: pass.yaml}\n"
                    "links:\n  - add.out -> v.i\n  - v.o -> add.a\n",
          pass_yaml="nodes:\n  i: {type: inlet}\n  o: {type: outlet}\nlinks:\n  - i.out -> o.in\n")
    message = problems(tmp_path / "main.yaml")
    assert message.startswith(f"{tmp_path / 'main.yaml'}:6: cycle add -> v/i -> v/o -> add:")


def test_inline_subpatch_errors_point_into_the_same_file(tmp_path):
    write(tmp_path, m_yaml="nodes:\n  fx:\n    subpatch:\n      nodes:\n"
                           "        a: {type: metr}\n      links:\n        - a.out -> b.in\n")
    message = problems(tmp_path / "m.yaml")
    m = tmp_path / "m.yaml"
    assert f"{m}:6: node 'a': unknown node type 'metr'; did you mean metro" in message
    assert f"{m}:8: link a.out -> b.in: no node named 'b'; nodes: a (in subpatch fx ({m}:3))" \
        in message


@pytest.mark.parametrize("node,words,line", [
    ("{type: print, include: x.yaml}", "has type and include; keep one", 3),
    ("{include: 5}", "include takes a patch file path", 3),
    ("{subpatch: [1]}", "subpatch takes a patch body", 3),
    ("{subpatch: {nodes: {}, wires: []}}", "unknown section 'wires' in subpatch 'n'", 3),
    ("{subpatch: {links: []}}", "missing 'nodes:' section", 3),
])
def test_malformed_subpatch_nodes(tmp_path, node, words, line):
    write(tmp_path, m_yaml=f"nodes:\n  n: {node}\n")
    message = problems(tmp_path / "m.yaml")
    assert f"{tmp_path / 'm.yaml'}:{line}:" in message and words in message


def test_nesting_is_bounded(tmp_path):
    body = "nodes: {p: {type: print}}"
    for _ in range(20):
        body = f"nodes: {{n: {{subpatch: {{{body}}}}}}}"
    (tmp_path / "deep.yaml").write_text(f"format: nodegraph/1\n{body}\n")
    assert "subpatches nest more than 16 deep" in problems(tmp_path / "deep.yaml")


def test_shipped_registry_has_the_boundary_types():
    reg = default_registry()
    assert reg.get("inlet").category == "subpatch" and reg.get("outlet").category == "subpatch"
