"""Time and event nodes on the virtual clock: line, change, threshold, random, noise."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.edits import SetParam

from vocab_helpers import feed, got, load_error, rig, stamps, vec

LINE = """\
nodes:
  n: {type: line, params: {time_ms: 100, grain_ms: 30}}
  out: {type: t-sink}
  done: {type: t-sink}
links:
  - n.out -> out.in
  - n.done -> done.in
"""


def test_line_jumps_first_then_glides_in_grains_to_the_exact_target():
    engine = rig(LINE)
    feed(engine, "n", "target", vec(0, 10))
    engine.run_offline(0.05)
    feed(engine, "n", "target", vec(1, 20))  # at t = 0.05
    engine.run_offline(0.5)
    values = [v.tolist() for v in got(engine)]
    assert values[0] == [0, 10]
    assert stamps(engine)[1:] == pytest.approx([0.08, 0.11, 0.14, 0.15])
    assert values[1:] == [pytest.approx([0.3, 13]), pytest.approx([0.6, 16]),
                          pytest.approx([0.9, 19]), [1, 20]]
    assert len(got(engine, "done")) == 2 and stamps(engine, "done")[1] == pytest.approx(0.15)


def test_line_time_inlet_applies_to_the_next_target_only_and_zero_jumps():
    engine = rig(LINE)
    feed(engine, "n", "target", vec(0))
    feed(engine, "n", "time", 0)
    feed(engine, "n", "target", vec(5))
    assert [v.tolist() for v in got(engine)] == [[0], [5]]
    feed(engine, "n", "target", vec(6))  # back to 100 ms
    engine.run_offline(0.2)
    assert len(got(engine)) == 2 + 4 and got(engine)[-1].tolist() == [6]


def test_line_retargets_mid_glide_from_where_it_is():
    engine = rig(LINE)
    feed(engine, "n", "target", vec(0))
    feed(engine, "n", "target", vec(10))
    engine.run_offline(0.065)  # steps at 0.03, 0.06 sent: 3, 6
    feed(engine, "n", "target", vec(0))
    engine.run_offline(0.5)
    values = [float(v[0]) for v in got(engine)]
    assert values[:3] == pytest.approx([0, 3, 6])
    # the step due at 0.09 keeps its time: 6 -> 0 over 0.1 s from 0.065
    assert stamps(engine)[3] == pytest.approx(0.09) and values[3] == pytest.approx(6 * 0.75)
    assert values[-1] == 0 and stamps(engine)[-1] == pytest.approx(0.165)
    assert len(got(engine, "done")) == 2  # the first jump and the last glide


def test_line_keeps_stepping_while_targets_stream_in_faster_than_its_grain():
    engine = rig(LINE)
    feed(engine, "n", "target", vec(0))
    for i in range(1, 31):  # a new target every 10 ms for 0.3 s
        feed(engine, "n", "target", vec(i))
        engine.run_offline(0.01)
    steps = stamps(engine)[1:]
    assert len(steps) == 10 and steps == pytest.approx([0.03 * k for k in range(1, 11)])


def test_line_size_change_jumps_and_nan_target_is_refused():
    engine = rig(LINE)
    feed(engine, "n", "target", vec(0))
    feed(engine, "n", "target", vec(1, 2))
    assert got(engine)[-1].tolist() == [1, 2]
    feed(engine, "n", "target", vec(np.nan, 0))
    assert "NaN" in engine.runtime["n"].last_error and len(got(engine)) == 2


def test_change_drops_repeats_within_tolerance():
    engine = rig("nodes:\n  n: {type: change, params: {tolerance: 0.1}}\n  out: {type: t-sink}\n"
                 "links:\n  - n.out -> out.in\n")
    for value in [vec(1, 2), vec(1.05, 2), vec(1.2, 2), vec(1.2), 3.0, 3.0, "a", "a", "b", True]:
        feed(engine, "n", "in", value)
    out = [v.tolist() if isinstance(v, np.ndarray) else v for v in got(engine)]
    assert out == [[1, 2], [pytest.approx(1.2), 2], [pytest.approx(1.2)], 3.0, "a", "b", True]


THRESHOLD = """\
nodes:
  n: {type: threshold, params: {level: 0.5, hysteresis: 0.2, dim: 1}}
  up: {type: t-sink}
  down: {type: t-sink}
  state: {type: t-sink}
links:
  - n.up -> up.in
  - n.down -> down.in
  - n.state -> state.in
"""


def test_threshold_bangs_on_crossings_and_ignores_chatter_in_the_dead_band():
    engine = rig(THRESHOLD)
    for value in [0.9, 0.2, 0.55, 0.45, 0.59, 0.61, 0.45, 0.41, 0.39, 0.7]:
        feed(engine, "n", "in", vec(0, value))
    assert got(engine, "state") == [1.0, 0.0, 1.0, 0.0, 1.0]
    assert len(got(engine, "up")) == 2 and len(got(engine, "down")) == 2


def test_threshold_dim_must_exist():
    message = load_error("nodes:\n  v: {type: t-vec, params: {size: 2}}\n"
                         "  n: {type: threshold, params: {dim: 2}}\nlinks:\n  - v.out -> n.in\n")
    assert "<patch>:4" in message and "dim 2 is outside the 2 values" in message


def draws(params: str, bangs: int = 3) -> list[list[float]]:
    engine = rig(f"nodes:\n  n: {{type: random, params: {params}}}\n  out: {{type: t-sink}}\n"
                 "links:\n  - n.out -> out.in\n")
    for _ in range(bangs):
        feed(engine, "n", "bang")
    out = [v.tolist() for v in got(engine)]
    engine.close()
    return out


def test_random_is_seeded_and_in_range():
    a, b, c = (draws(f"{{size: 4, seed: {s}, center: 10.0, spread: 2.0}}") for s in (7, 7, 8))
    assert a == b != c
    assert all(8 <= v <= 12 for row in a for v in row)


def test_random_normal_has_the_asked_mean_and_deviation():
    values = np.asarray(draws("{size: 1000, distribution: normal, center: 1.0, spread: 0.5}", 2))
    assert values.mean() == pytest.approx(1.0, abs=0.05) and values.std() == pytest.approx(0.5, rel=0.1)


def test_random_restarts_when_the_seed_changes():
    engine = rig("nodes:\n  n: {type: random, params: {seed: 1}}\n  out: {type: t-sink}\n"
                 "links:\n  - n.out -> out.in\n")
    feed(engine, "n", "bang")
    engine.do(SetParam("n", "seed", 2))
    engine.do(SetParam("n", "seed", 1))
    feed(engine, "n", "bang")
    assert got(engine)[0].tolist() == got(engine)[1].tolist()


def noise_run(params: str, seconds: float) -> tuple[np.ndarray, list[float]]:
    engine = rig(f"nodes:\n  n: {{type: noise, params: {params}}}\n  out: {{type: t-sink}}\n"
                 "links:\n  - n.out -> out.in\n")
    engine.run_offline(seconds)
    values, times = np.asarray([v for v in got(engine)]), stamps(engine)
    engine.close()
    return values, times


def test_noise_runs_on_the_clock_and_repeats_with_its_seed():
    values, times = noise_run("{size: 3, interval_ms: 100}", 1.0)
    assert values.shape == (11, 3) and times == pytest.approx([i / 10 for i in range(11)])
    again, _ = noise_run("{size: 3, interval_ms: 100}", 1.0)
    other, _ = noise_run("{size: 3, interval_ms: 100, seed: 5}", 1.0)
    assert np.array_equal(values, again) and not np.array_equal(values, other)


def test_noise_smoothness_and_amount():
    white, _ = noise_run("{size: 4, interval_ms: 10, smooth_ms: 0, amount: 2.0}", 20.0)
    smooth, _ = noise_run("{size: 4, interval_ms: 10, smooth_ms: 1000, amount: 2.0}", 20.0)

    def lag1(x: np.ndarray) -> float:
        return float(np.mean([np.corrcoef(x[:-1, i], x[1:, i])[0, 1] for i in range(x.shape[1])]))

    assert abs(lag1(white)) < 0.1 and lag1(smooth) > 0.95
    assert white.std() == pytest.approx(2.0, rel=0.1)
    assert lag1(smooth) == pytest.approx(np.exp(-0.01), abs=0.02)


def test_noise_toggle_stops_and_starts():
    engine = rig("nodes:\n  n: {type: noise, params: {autostart: false, interval_ms: 100}}\n"
                 "  out: {type: t-sink}\nlinks:\n  - n.out -> out.in\n")
    engine.run_offline(0.5)
    assert got(engine) == []
    feed(engine, "n", "toggle", 1.0)
    engine.run_offline(0.25)
    feed(engine, "n", "toggle", 0.0)
    engine.run_offline(1.0)
    assert stamps(engine) == pytest.approx([0.5, 0.6, 0.7])
