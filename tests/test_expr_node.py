"""The expr node in a patch: inlets from names, guards, load-time errors with file:line:column."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.errors import PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import load_patch
from nodegraph.registry import default_registry

from vocab_helpers import feed, got, load_error, rig, vec


def expr_rig(params: str) -> object:
    return rig(f"nodes:\n  x: {{type: expr, params: {params}}}\n  out: {{type: t-sink}}\n"
               "links:\n  - x.out -> out.in\n")


def test_inputs_become_inlets_and_unreceived_inputs_are_zero():
    engine = expr_rig("{inputs: mouth jaw, expression: 'mouth * 2 + jaw'}")
    assert [p.name for p in engine.runtime["x"].node.inlets] == ["mouth", "jaw"]
    feed(engine, "x", "mouth", vec(1, 2))
    feed(engine, "x", "jaw", 0.5)
    assert [v.tolist() for v in got(engine)] == [[2, 4], [2.5, 4.5]]
    assert got(engine)[0].dtype == np.float32


def test_cold_inputs_only_store():
    engine = expr_rig("{inputs: a b, expression: a - b, cold: b}")
    feed(engine, "x", "b", 10.0)
    assert got(engine) == []
    feed(engine, "x", "a", 1.0)
    assert [v.tolist() for v in got(engine)] == [[-9]]


def test_number_output_sends_a_float():
    engine = rig("nodes:\n  x: {type: expr, params: {expression: 'sum(a)', output: number}}\n"
                 "  m: {type: metro, params: {autostart: false}}\n  out: {type: t-sink}\n"
                 "links:\n  - x.out -> m.toggle\n  - x.out -> out.in\n")
    feed(engine, "x", "a", vec(1, 2))
    assert got(engine) == [3.0] and isinstance(got(engine)[0], float)


def test_division_by_zero_is_sent_as_zero_and_counted():
    engine = expr_rig("{inputs: a b, expression: a / b}")
    feed(engine, "x", "a", vec(1, 2, 3))
    feed(engine, "x", "b", vec(1, 0, 2))
    assert got(engine)[-1].tolist() == [1, 0, 1.5]
    feed(engine, "x", "b", 0.0)
    assert got(engine)[-1].tolist() == [0, 0, 0]
    rn = engine.runtime["x"]
    assert rn.node.report() == {"guarded": 3 + 1 + 3}  # b unset (0), then one 0, then all
    assert rn.status == "ok" and rn.errors == 0


def test_nan_input_and_run_time_size_mismatch_flag_the_node():
    engine = expr_rig("{inputs: a b, expression: a + b}")
    feed(engine, "x", "a", vec(1, float("nan")))
    assert got(engine) == [] and "inlet 'a' received 1 NaN" in engine.runtime["x"].last_error
    feed(engine, "x", "a", vec(1, 2))
    feed(engine, "x", "b", vec(1, 2, 3))
    assert "'+' combines vectors of 2 and 3 values" in engine.runtime["x"].last_error
    assert len(got(engine)) == 1


def test_a_syntax_error_names_file_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("format: nodegraph/1\nnodes:\n  x:\n    type: expr\n    params:\n"
                    "      inputs: a b\n      expression: 'a * (b + 1))'\n")
    with pytest.raises(PatchError) as info:
        check_patch(load_patch(path), default_registry())
    message = str(info.value)
    assert message.startswith(f"{path}:7: node 'x' (expr): 'a * (b + 1))': unexpected ')'")
    assert message.endswith("at column 12")


def test_sizes_that_cannot_combine_are_load_errors():
    message = load_error("nodes:\n  a: {type: t-vec, params: {size: 3}}\n"
                         "  b: {type: t-vec, params: {size: 2}}\n"
                         "  x: {type: expr, params: {inputs: p q, expression: 'p + q'}}\n"
                         "links:\n  - a.out -> x.p\n  - b.out -> x.q\n")
    assert "<patch>:5" in message and "combines vectors of 2 and 3 values" in message
    message = load_error("nodes:\n  a: {type: t-vec, params: {size: 3}}\n"
                         "  x: {type: expr, params: {expression: a * 2, output: number}}\n"
                         "links:\n  - a.out -> x.a\n")
    assert "gives 3 values" in message


def test_result_size_reaches_what_follows():
    message = load_error("nodes:\n  a: {type: t-vec, params: {size: 3}}\n"
                         "  x: {type: expr, params: {expression: '[a, 1]'}}\n"
                         "  v: {type: t-vec-in, params: {size: 3}}\n"
                         "links:\n  - a.out -> x.a\n  - x.out -> v.in\n")
    assert "x.out sends 4 values but v.in expects 3 values" in message


@pytest.mark.parametrize("params,words", [
    ("{inputs: 'a sin'}", "'sin' is a function or constant"),
    ("{inputs: 'a e'}", "'e' is a function or constant"),
    ("{inputs: 'a on'}", "not a YAML word"),
    ("{inputs: 'a-b'}", "letters, digits and _"),
    ("{inputs: '__class__'}", "letters, digits and _"),
    ("{inputs: 'a a'}", "repeat a name"),
    ("{inputs: ' '}", "inputs is empty"),
    ("{inputs: a, cold: b}", "cold names b, which are not inputs"),
    ("{expression: 'a.__class__'}", "no attribute access) at column 2"),
    ("{expression: ''}", "the expression is empty"),
])
def test_bad_params_are_load_errors(params, words):
    assert words in load_error(f"nodes:\n  x: {{type: expr, params: {params}}}\n")
