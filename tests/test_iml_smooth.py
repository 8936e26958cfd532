"""The smooth node: one-euro, EMA and slew, per dimension, on message timestamps."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nodegraph.edits import SetParam

from engine_helpers import engine_from

PATCH = """\
format: nodegraph/1
nodes:
  src: {type: t-vec, params: {size: 2}}
  smooth: {type: smooth, params: {%s}}
  out: {type: t-sink}
links:
  - src.out -> smooth.in
  - smooth.out -> out.in
"""


class Rig:
    def __init__(self, params):
        self.engine = engine_from(PATCH % params)
        self.sink = self.engine.runtime["out"].node

    def at(self, t, values):
        """Send ``values`` stamped ``t`` seconds; returns the output."""
        self.engine.scheduler.post(self.engine.runtime["src"], "out",
                                   np.asarray(values, dtype=np.float32), t=t)
        self.engine.scheduler.run_pending()
        return np.asarray(self.sink.got[-1][0], dtype=np.float64)

    def step_response(self, rate_hz, until_s, target=(1.0, -2.0)):
        self.at(0.0, [0, 0])
        t, out = 0.0, None
        while t < until_s - 1e-9:
            t += 1.0 / rate_hz
            out = self.at(t, target)
        return out


def test_ema_follows_its_time_constant_at_any_message_rate():
    fast = Rig("method: ema, time_ms: 100.0").step_response(100, 0.1)
    slow = Rig("method: ema, time_ms: 100.0").step_response(20, 0.1)
    expected = (1 - math.exp(-1)) * np.array([1.0, -2.0])  # 63% after one time constant
    assert np.allclose(fast, expected, atol=1e-6) and np.allclose(slow, expected, atol=1e-6)


def test_time_comes_from_timestamps_not_from_calls():
    rig = Rig("method: ema, time_ms: 100.0")
    rig.at(0.0, [0, 0])
    once = rig.at(0.05, [1, 1])
    again = rig.at(0.05, [1, 1])   # the same instant again: no time passed, nothing moves
    late = rig.at(0.02, [1, 1])    # a late message (older timestamp) moves nothing either
    assert np.array_equal(once, again) and np.array_equal(once, late)
    assert not np.allclose(rig.at(0.10, [1, 1]), once)


def test_slew_limits_each_dimension_to_rate_per_second():
    rig = Rig("method: slew, rate: 2.0")
    rig.at(0.0, [0, 0])
    assert np.allclose(rig.at(0.25, [10, 0.1]), [0.5, 0.1])   # 2/s × 0.25 s; small step whole
    assert np.allclose(rig.at(0.50, [10, -10]), [1.0, -0.4])


def test_one_euro_is_steady_when_still_and_quick_when_moving():
    rng = np.random.default_rng(0)
    jitter = Rig("method: one-euro, min_cutoff: 1.0, beta: 0.5")
    raw = rng.normal(0, 0.05, (120, 2))
    out = np.array([jitter.at(i / 60, row) for i, row in enumerate(raw)])
    assert out[20:].std() < 0.3 * raw[20:].std()

    def lag(beta):
        rig = Rig(f"method: one-euro, min_cutoff: 1.0, beta: {beta}")
        ramp = [rig.at(i / 60, [i / 6, 0]) for i in range(60)]  # 10 units per second
        return 59 / 6 - ramp[-1][0]

    assert lag(0.5) < 0.25 * lag(0.0)


def test_step_ms_glides_to_the_last_value_when_the_input_stops():
    still = Rig("method: slew, rate: 1.0")
    still.at(0.0, [0, 0])
    still.at(0.1, [1, 1])
    still.engine.run_offline(2.0)
    assert len(still.sink.got) == 2                          # without step_ms: stuck
    glide = Rig("method: slew, rate: 1.0, step_ms: 10.0")
    glide.at(0.0, [0, 0])
    assert np.allclose(glide.at(0.1, [1, 1]), [0.1, 0.1])
    glide.engine.run_offline(2.0)
    values = np.array([v for v, _ in glide.sink.got])[:, 0]
    assert values[-1] == pytest.approx(1.0) and np.all(np.diff(values) >= 0)
    assert 80 <= len(values) <= 100                          # ~0.9 s at 10 ms, then quiet


def test_reset_and_live_param_changes():
    rig = Rig("method: ema, time_ms: 1000.0")
    rig.at(0.0, [0, 0])
    assert rig.at(0.1, [1, 1])[0] < 0.2
    rig.engine.send("smooth", "reset")
    assert np.allclose(rig.at(0.2, [5, 5]), [5, 5])         # passes unchanged after reset
    rig.engine.do(SetParam("smooth", "method", "slew"))
    rig.engine.do(SetParam("smooth", "rate", 10.0))
    assert np.allclose(rig.at(0.3, [0, 0]), [4, 4])         # continues from where it was
