"""Latent ops: latent-adjust, jitter, interpolate."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.edits import SetParam
from nodes.interpolate import slerp

from vocab_helpers import feed, got, load_error, rig, stamps, vec


def single(node: str) -> str:
    return f"nodes:\n  n: {node}\n  out: {{type: t-sink}}\nlinks:\n  - n.out -> out.in\n"


def test_latent_adjust_scales_then_offsets_each_dimension():
    engine = rig(single("{type: latent-adjust, params: {scale: [1.0, 0.0, -2.0], offset: [0.5]}}"))
    feed(engine, "n", "in", vec(1, 2, 3))
    assert got(engine)[0].tolist() == [1.5, 0.5, -5.5]
    engine.do(SetParam("n", "offset", [0.0, 1.0, 0.0]))  # live knob change
    feed(engine, "n", "in", vec(1, 2, 3))
    assert got(engine)[1].tolist() == [1.0, 1.0, -6.0]


def test_latent_adjust_sizes_are_checked_at_load():
    message = load_error("nodes:\n  v: {type: t-vec, params: {size: 4}}\n"
                         "  n: {type: latent-adjust, params: {offset: [1.0, 2.0]}}\n"
                         "links:\n  - v.out -> n.in\n")
    assert "<patch>:4" in message and "offset has 2 values but 'in' receives 4" in message
    assert "offset has 2 values but the other per-dimension params have 3" in load_error(
        "nodes:\n  n: {type: latent-adjust, params: {scale: [1.0, 1.0, 1.0], offset: [0.0, 0.0]}}\n")


def test_jitter_with_zero_amount_passes_through_and_resends_on_its_interval():
    engine = rig(single("{type: jitter, params: {amount: 0.0, interval_ms: 100}}"))
    engine.run_offline(0.05)
    feed(engine, "n", "in", vec(1, 2))
    engine.run_offline(0.3)
    assert [v.tolist() for v in got(engine)] == [[1, 2]] * 4
    assert stamps(engine)[1:] == pytest.approx([0.15, 0.25, 0.35])


def jittered(params: str) -> np.ndarray:
    engine = rig(single(f"{{type: jitter, params: {params}}}"))
    feed(engine, "n", "in", vec(0, 0, 0))
    engine.run_offline(10.0)
    out = np.asarray(got(engine))
    engine.close()
    return out


def test_jitter_offsets_wander_with_the_asked_amount_and_repeat_with_the_seed():
    a = jittered("{amount: 0.5, smooth_ms: 0, interval_ms: 10}")
    assert a.shape == (1001, 3) and a.std() == pytest.approx(0.5, rel=0.1)
    assert np.array_equal(a, jittered("{amount: 0.5, smooth_ms: 0, interval_ms: 10}"))
    assert not np.array_equal(a, jittered("{amount: 0.5, smooth_ms: 0, interval_ms: 10, seed: 1}"))
    smooth = jittered("{amount: 0.5, smooth_ms: 2000, interval_ms: 10}")
    assert np.abs(np.diff(smooth, axis=0)).mean() < 0.1 * np.abs(np.diff(a, axis=0)).mean()


def test_jitter_only_on_input_when_interval_is_zero():
    engine = rig(single("{type: jitter, params: {interval_ms: 0}}"))
    feed(engine, "n", "in", vec(1))
    engine.run_offline(1.0)
    feed(engine, "n", "in", vec(1))
    assert len(got(engine)) == 2 and got(engine)[0][0] != got(engine)[1][0]


INTERP = """\
nodes:
  n: {type: interpolate, params: {mix: 0.25}}
  out: {type: t-sink}
links:
  - n.out -> out.in
"""


def test_interpolate_waits_for_both_points_then_follows_mix():
    engine = rig(INTERP)
    feed(engine, "n", "a", vec(0, 10))
    assert got(engine) == []
    feed(engine, "n", "b", vec(4, 20))
    feed(engine, "n", "mix", 1.5)
    assert [v.tolist() for v in got(engine)] == [[1, 12.5], [6, 25]]


def test_slerp_keeps_the_length_of_orthogonal_unit_vectors():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert np.linalg.norm(slerp(a, b, 0.5)) == pytest.approx(1.0)
    assert slerp(a, b, 0.0) == pytest.approx(a) and slerp(a, b, 1.0) == pytest.approx(b)
    assert slerp(a, -a, 0.25) == pytest.approx(a + (-a - a) * 0.25)  # antiparallel: linear
    assert slerp(np.zeros(2), b, 0.5) == pytest.approx(b / 2)


def test_interpolate_slerp_through_the_node_and_size_checks():
    engine = rig(INTERP.replace("mix: 0.25", "mix: 0.5, method: slerp"))
    feed(engine, "n", "a", vec(2, 0))
    feed(engine, "n", "b", vec(0, 2))
    assert got(engine)[-1] == pytest.approx([np.sqrt(2), np.sqrt(2)])
    feed(engine, "n", "b", vec(1, 2, 3))
    assert "a has 2 values and b 3" in engine.runtime["n"].last_error
    engine.close()
    message = load_error("nodes:\n  a: {type: t-vec, params: {size: 2}}\n"
                         "  b: {type: t-vec, params: {size: 3}}\n  n: {type: interpolate}\n"
                         "links:\n  - a.out -> n.a\n  - b.out -> n.b\n")
    assert "<patch>:5" in message and "a receives 2 values and b 3" in message
