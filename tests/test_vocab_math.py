"""scale, map, clip: ranges, shapes, per-dimension params, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from vocab_helpers import feed, got, load_error, rig, vec


def one_node(node: str) -> str:
    return f"nodes:\n  n: {node}\n  out: {{type: t-sink}}\nlinks:\n  - n.out -> out.in\n"


def mapped(node: str, *values: float) -> list[float]:
    engine = rig(one_node(node))
    feed(engine, "n", "in", vec(*values))
    out = got(engine)
    engine.close()
    assert len(out) == 1 and out[0].dtype == np.float32
    return out[0].tolist()


def test_scale_linear_reversed_and_clipped():
    assert mapped("{type: scale, params: {out_lo: -1.0, out_hi: 1.0}}", 0, 0.25, 1, 2) == \
        pytest.approx([-1, -0.5, 1, 3])
    assert mapped("{type: scale, params: {in_lo: 1.0, in_hi: 0.0}}", 0, 0.25) == \
        pytest.approx([1, 0.75])
    assert mapped("{type: scale, params: {out_lo: 10.0, out_hi: 20.0, clip: true}}",
                  -1, 0.5, 9) == pytest.approx([10, 15, 20])


def test_scale_exp_gives_equal_ratios_for_equal_steps():
    out = mapped("{type: scale, params: {out_lo: 20.0, out_hi: 20000.0, mode: exp}}",
                 0, 0.5, 1)
    assert out == pytest.approx([20, math.sqrt(20 * 20000), 20000], rel=1e-5)


def test_scale_curve_bends_and_zero_curve_is_linear():
    slow, fast, straight = (mapped(f"{{type: scale, params: {{mode: curve, curve: {k}}}}}",
                                   0, 0.5, 1) for k in (4.0, -4.0, 0.0))
    assert slow[0] == pytest.approx(0) and slow[2] == pytest.approx(1)
    assert slow[1] == pytest.approx((math.exp(2) - 1) / (math.exp(4) - 1), rel=1e-5)
    assert fast[1] > 0.5 > slow[1]
    assert straight == pytest.approx([0, 0.5, 1])


def test_scale_curve_overflow_far_outside_the_range_is_an_error_not_inf():
    engine = rig(one_node("{type: scale, params: {mode: curve, curve: 20.0}}"))
    feed(engine, "n", "in", vec(1000.0))
    rn = engine.runtime["n"]
    assert got(engine) == [] and rn.status == "error" and "set clip: true" in rn.last_error


@pytest.mark.parametrize("params,param,words", [
    ("{mode: exp, out_lo: 0.0}", "out_lo", "nonzero with the same sign"),
    ("{mode: exp, out_lo: -1.0, out_hi: 1.0}", "out_lo", "nonzero with the same sign"),
    ("{in_hi: 0.0}", "in_hi", "in_lo and in_hi are equal"),
])
def test_scale_refuses_unusable_ranges_at_load(params, param, words):
    message = load_error(f"nodes:\n  n: {{type: scale, params: {params}}}\n")
    assert "<patch>:3" in message and words in message


def test_map_applies_a_range_per_dimension_and_broadcasts_single_values():
    out = mapped("{type: map, params: {in_hi: [1.0, 2.0, 4.0], out_lo: [0.0, -1.0, 100.0], "
                 "out_hi: [10.0]}}", 0.5, 1.0, 2.0)
    assert out == pytest.approx([5.0, 4.5, 55.0])


def test_map_exp_per_dimension_and_clip():
    out = mapped("{type: map, params: {out_lo: [1.0, 100.0], out_hi: [100.0, 1.0], mode: exp, "
                 "clip: true}}", 0.5, 2.0)
    assert out == pytest.approx([10.0, 1.0], rel=1e-5)


def test_map_size_conflicts_are_load_errors_at_the_param_line():
    message = load_error("nodes:\n  n:\n    type: map\n    params:\n      in_lo: [0.0, 0.0]\n"
                         "      out_hi: [1.0, 2.0, 3.0]\n")
    assert "<patch>:7" in message
    assert "per-dimension params have 2" in message
    message = load_error("nodes:\n  v: {type: t-vec, params: {size: 3}}\n"
                         "  n: {type: map, params: {out_hi: [1.0, 2.0]}}\n"
                         "links:\n  - v.out -> n.in\n")
    assert "<patch>:4" in message and "out_hi has 2 values but 'in' receives 3" in message


def test_map_with_a_wrong_size_at_run_time_flags_the_node():
    engine = rig(one_node("{type: map, params: {out_hi: [1.0, 2.0]}}"))
    feed(engine, "n", "in", vec(1, 2, 3))
    assert got(engine) == [] and "has 2 values but the input has 3" in engine.runtime["n"].last_error


def test_clip_limits_and_refuses_a_reversed_range():
    assert mapped("{type: clip, params: {lo: -1.0, hi: 1.0}}", -5, 0.5, 5) == [-1, 0.5, 1]
    assert "hi (0) is below lo (1); swap them" in load_error(
        "nodes:\n  n: {type: clip, params: {lo: 1.0, hi: 0.0}}\n")


@pytest.mark.parametrize("node", ["{type: scale}", "{type: map}", "{type: clip}"])
def test_empty_vectors_pass_through_empty(node):
    assert mapped(node) == []


@pytest.mark.parametrize("node", ["{type: scale}", "{type: map}", "{type: clip}"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "loud"])
def test_nan_or_non_numeric_input_flags_the_node_and_holds_its_output(node, bad):
    engine = rig(one_node(node))
    feed(engine, "n", "in", vec(0.5))
    feed(engine, "n", "in", np.array([0.1, bad], dtype=object) if bad == "loud" else vec(0.1, bad))
    rn = engine.runtime["n"]
    assert len(got(engine)) == 1
    assert rn.status == "error" and "inlet 'in'" in rn.last_error
    feed(engine, "n", "in", vec(0.25))
    assert len(got(engine)) == 2 and rn.status == "ok"
