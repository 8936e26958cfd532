"""The audio utility nodes: gain, mix, crossfade, meter — values, glides without
zipper noise, the control grid offline, channels, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nodegraph.edits import Connect, SetParam
from nodegraph.errors import PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import Link, parse_patch

import model_builders as mb
from signal_helpers import SR, captured, registry, rig, steepest

RAMP = round(0.020 * SR)  # the default 20 ms glide, in samples


def _gain_rig(extra: str = "", source: str = "{type: t-dc}", gain: str = "") -> object:
    return rig(f"""\
nodes:
  src: {source}
  g: {{type: gain{gain}}}
  cap: {{type: t-capture}}
{extra}links:
  - src.out -> g.in
  - g.out -> cap.in
""")


# -- gain ---------------------------------------------------------------------------------------

def test_gain_scales_and_keeps_channels():
    engine = _gain_rig(source="{type: t-dc, params: {value: 0.8, channels: 2}}",
                       gain=", params: {gain: 0.5}")
    engine.run_offline(0.1)
    out = captured(engine)
    assert out.shape == (4800, 2)
    assert np.allclose(out, 0.4)


def test_a_new_gain_glides_linearly_over_ramp_ms():
    engine = _gain_rig(gain=", params: {gain: 0.5}")
    engine.run_offline(0.05)            # 2400 frames at 0.5
    engine.send("g", "gain", 2.0)       # read at frame 2400, the next block's start
    engine.run_offline(0.1)
    out = captured(engine)[:, 0]
    assert np.allclose(out[:2400], 0.5)
    glide = out[2400:2400 + RAMP]
    assert np.allclose(glide, 0.5 + 1.5 * np.arange(1, RAMP + 1) / RAMP, atol=1e-6)
    assert np.allclose(out[2400 + RAMP:], 2.0)
    assert steepest(out[:, None]) <= 1.5 / RAMP + 1e-6


def test_a_gain_jump_on_a_sine_adds_no_step_but_ramp_ms_0_clicks():
    def render(ramp_ms: float) -> np.ndarray:
        engine = _gain_rig(source="{type: t-sine, params: {hz: 100.0}}",
                           gain=f", params: {{gain: 0.0, ramp_ms: {ramp_ms}}}")
        engine.run_offline(0.0525)      # the jump lands near the sine's crest
        engine.send("g", "gain", 1.0)
        engine.run_offline(0.1)
        return captured(engine)

    sine_step = 2 * math.pi * 100 / SR  # the sine's own steepest step at full scale
    assert steepest(render(20.0)) <= sine_step + 1.0 / RAMP + 1e-6
    assert steepest(render(0.0)) > 0.9  # the click the glide prevents


def test_control_is_read_on_the_256_frame_grid_offline_too():
    engine = _gain_rig(extra="  at: {type: t-at, params: {at_s: 0.06, value: [0.0]}}\n",
                       gain=", params: {ramp_ms: 0.0}")
    engine.do(Connect(Link("at", "out", "g", "gain")))
    engine.run_offline(0.2)
    out = captured(engine)[:, 0]
    assert engine.audio.block == 2048
    first_zero = int(np.flatnonzero(out == 0.0)[0])
    # sent at frame 2880, inside the 2048-frame block 2048..4096; read at the next
    # multiple of 256 frames, as a live run with 256-frame blocks reads it
    assert first_zero == 3072


def test_gain_refuses_nan_and_vectors_and_keeps_its_gain():
    engine = _gain_rig(gain=", params: {gain: 0.25, ramp_ms: 0.0}")
    for bad, words in ((float("nan"), "NaN"), (np.zeros(2, np.float32), "one number"),
                       (np.zeros(0, np.float32), "one number"), ("loud", "takes numbers")):
        engine.send("g", "gain", bad)
        engine.run_offline(0.01)
        assert words in engine.runtime["g"].last_error
    assert engine.report()["nodes"]["g"]["errors"] == 4
    assert np.allclose(captured(engine), 0.25)


def test_editing_the_gain_param_glides_too():
    engine = _gain_rig(gain=", params: {gain: 1.0}")
    engine.run_offline(0.05)
    engine.do(SetParam("g", "gain", 0.0))
    engine.run_offline(0.1)
    out = captured(engine)[:, 0]
    assert out[-1] == 0.0 and steepest(out[:, None]) <= 1.0 / RAMP + 1e-6


# -- crossfade ----------------------------------------------------------------------------------

def _fade_rig(params: str, a: str = "{type: t-dc, params: {value: 1.0}}",
              b: str = "{type: t-dc, params: {value: 0.5}}") -> object:
    return rig(f"""\
nodes:
  a: {a}
  b: {b}
  x: {{type: crossfade, params: {params}}}
  cap: {{type: t-capture}}
links:
  - a.out -> x.a
  - b.out -> x.b
  - x.out -> cap.in
""")


@pytest.mark.parametrize("curve, position, expected", [
    ("equal-power", 0.0, 1.0),
    ("equal-power", 1.0, 0.5),
    ("equal-power", 0.5, math.cos(math.pi / 4) * 1.5),
    ("linear", 0.5, 0.75),
    ("linear", 0.25, 0.875),
])
def test_crossfade_weights(curve, position, expected):
    engine = _fade_rig(f"{{curve: {curve}, position: {position}}}")
    engine.run_offline(0.02)
    assert np.allclose(captured(engine), expected, atol=1e-6)


def test_equal_power_keeps_unrelated_signals_level_and_linear_dips_3_db():
    def rms_at_middle(curve: str) -> float:
        engine = _fade_rig(f"{{curve: {curve}, position: 0.5}}",
                           a="{type: t-sine, params: {hz: 440.0}}",
                           b="{type: t-sine, params: {hz: 620.0}}")
        engine.run_offline(1.0)
        return float(np.sqrt(np.mean(captured(engine) ** 2)))

    alone = 1 / math.sqrt(2)  # RMS of one full-scale sine
    assert 20 * math.log10(rms_at_middle("equal-power") / alone) == pytest.approx(0.0, abs=0.05)
    assert 20 * math.log10(rms_at_middle("linear") / alone) == pytest.approx(-3.01, abs=0.05)


def test_crossfade_position_glides_clips_and_refuses_nan():
    engine = _fade_rig("{curve: linear}", b="{type: t-dc, params: {value: -1.0}}")
    engine.run_offline(0.05)
    engine.send("x", "position", 7.0)   # clipped to 1: only b
    engine.run_offline(0.05)
    engine.send("x", "position", float("inf"))
    engine.run_offline(0.05)
    out = captured(engine)[:, 0]
    assert out[0] == 1.0 and out[-1] == -1.0
    assert steepest(out[:, None]) <= 2.0 / RAMP + 1e-6
    assert "NaN/infinite" in engine.runtime["x"].last_error
    assert engine.runtime["x"].node.report() == {"position": 1.0}


def test_crossfade_combines_mono_with_stereo_and_refuses_other_counts():
    engine = _fade_rig("{position: 1.0}", a="{type: t-dc, params: {channels: 2}}")
    engine.run_offline(0.02)
    assert captured(engine).shape == (960, 2) and np.allclose(captured(engine), 0.5)
    engine = _fade_rig("{position: 1.0}", a="{type: t-dc, params: {channels: 2}}",
                       b="{type: t-dc, params: {channels: 3}}")
    engine.run_offline(0.02)
    error = engine.runtime["x"].last_error
    assert "different channel counts" in error and "a 2, b 3" in error
    assert not captured(engine).any()  # the flagged node renders silence; the rest plays


# -- mix -----------------------------------------------------------------------------------------

MIX = """\
nodes:
  one: {type: t-dc, params: {value: 1.0}}
  two: {type: t-dc, params: {value: 2.0, channels: 2}}
  m: {type: mix, params: {count: 3, gains: [0.5, 0.25, 4.0], ramp_ms: 0.0}}
  cap: {type: t-capture}
links:
  - one.out -> m.in1
  - two.out -> m.in2
  - m.out -> cap.in
"""


def test_mix_sums_inputs_times_their_gains():
    engine = rig(MIX)
    engine.run_offline(0.02)
    out = captured(engine)
    assert out.shape == (960, 2) and np.allclose(out, 0.5 * 1 + 0.25 * 2)  # in3: silence
    engine.send("m", "gains", 1.0)      # one number: every input
    engine.run_offline(0.02)
    assert np.allclose(captured(engine)[-1], 3.0)
    assert engine.runtime["m"].node.report() == {"gains": [1.0, 1.0, 1.0]}


def test_mix_count_edit_adds_an_input_while_running():
    engine = rig(MIX.replace("count: 3, gains: [0.5, 0.25, 4.0]", "count: 2, gains: [1.0]"))
    engine.run_offline(0.02)
    engine.do(SetParam("m", "count", 3))
    engine.do(Connect(Link("one", "out", "m", "in3")))
    engine.run_offline(0.02)
    assert np.allclose(captured(engine)[-1], 1 + 2 + 1)
    assert engine.report()["nodes"]["m"]["errors"] == 0


def test_mix_gain_sizes_are_checked():
    with pytest.raises(PatchError, match="gains has 2 values for 3 inputs"):
        check_patch(parse_patch(MIX.replace("[0.5, 0.25, 4.0]", "[0.5, 0.25]")
                                .replace("nodes:", "format: nodegraph/1\nnodes:", 1)),
                    registry())
    engine = rig(MIX)
    engine.send("m", "gains", np.ones(2, np.float32))
    engine.run_offline(0.01)
    assert "got 2 values for 3 inputs" in engine.runtime["m"].last_error
    engine.send("m", "gains", np.array([1.0, np.nan, 1.0], np.float32))
    engine.run_offline(0.01)
    assert "NaN" in engine.runtime["m"].last_error
    assert np.allclose(captured(engine), 0.5 * 1 + 0.25 * 2)  # the gains it had


# -- meter -----------------------------------------------------------------------------------------

def _meter_rig(source: str, params: str = "{}") -> object:
    return rig(f"""\
nodes:
  src: {source}
  lv: {{type: meter, params: {params}}}
  level: {{type: print, params: {{quiet: true}}}}
  peak: {{type: print, params: {{quiet: true}}}}
links:
  - src.out -> lv.in
  - lv.level_db -> level.in
  - lv.peak_db -> peak.in
""")


@pytest.mark.parametrize("source, level, peak", [
    ("{type: t-sine, params: {hz: 1000.0}}", -3.01, 0.0),
    ("{type: t-dc, params: {value: 0.5, channels: 2}}", -6.02, -6.02),
    ("{type: t-dc, params: {value: 0.0}}", -120.0, -120.0),
])
def test_meter_levels_in_dbfs(source, level, peak):
    engine = _meter_rig(source)
    engine.run_offline(1.0)
    assert engine.runtime["level"].node.last == pytest.approx(level, abs=0.01)
    assert engine.runtime["peak"].node.last == pytest.approx(peak, abs=0.01)
    assert engine.runtime["lv"].node.report() == {
        "level_db": pytest.approx(level, abs=0.01), "peak_db": pytest.approx(peak, abs=0.01)}


def test_meter_sends_at_its_rate_stamped_with_the_audio_time():
    engine = _meter_rig("{type: t-sine}", "{rate_hz: 20.0}")
    engine.run_offline(1.0)
    level = engine.runtime["level"].node
    assert level.count == 20
    assert level.last_t == pytest.approx(1.0, abs=1e-9)  # the 20th, at frame 48000


def test_meter_flags_nan_audio_and_holds_its_levels():
    engine = _meter_rig("{type: t-dc, params: {nan: true}}")
    engine.run_offline(0.5)
    assert "NaN or infinite" in engine.runtime["lv"].last_error
    assert engine.runtime["level"].node.count == 0


def test_a_meter_may_close_a_loop_without_a_delay():
    engine = rig("""\
nodes:
  src: {type: t-sine}
  g: {type: gain}
  lv: {type: meter}
  duck: {type: expr, params: {inputs: db, expression: 'clip(-db / 20, 0, 1)', output: number}}
  cap: {type: t-capture}
links:
  - src.out -> g.in
  - g.out -> lv.in
  - g.out -> cap.in
  - lv.level_db -> duck.db
  - duck.out -> g.gain
""")
    engine.run_offline(2.0)
    # a loud signal turns itself down: -3 dB → gain 0.15 → about -19.5 dB → gain ~0.97 ...
    assert engine.report()["nodes"]["duck"]["errors"] == 0
    assert engine.runtime["g"].node.report()["gain"] < 1.0


def test_audio_out_reports_the_level_it_plays():
    engine = rig("""\
nodes:
  src: {type: t-sine, params: {amplitude: 0.5}}
  out: {type: audio-out}
links:
  - src.out -> out.audio
""")
    engine.run_offline(1.0)
    report = engine.report()["nodes"]["out"]
    assert report["level_db"] == pytest.approx(-9.03, abs=0.01)
    assert report["peak_db"] == pytest.approx(-6.02, abs=0.01)


def test_a_decoder_running_control_ahead_does_not_make_a_gain_early(tmp_path):
    mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    engine = rig(f"""\
nodes:
  point: {{type: constant, params: {{value: [0.5, 0.0, 0.0, 0.0]}}}}
  dec: {{type: rave-decode, params: {{model: '{tmp_path / "sine.ts"}'}}}}
  one: {{type: t-dc}}
  at: {{type: t-at, params: {{at_s: {4200 / SR}, value: [0.0]}}}}
  g: {{type: gain, params: {{ramp_ms: 0.0}}}}
  cap: {{type: t-capture}}
  out: {{type: audio-out, params: {{sample_rate: {SR}}}}}
links:
  - point.out -> dec.latent
  - dec.audio -> g.in
  - one.out -> g.in
  - at.out -> g.gain
  - g.out -> cap.in
  - g.out -> out.audio
""")
    engine.run_offline(0.2)
    out = captured(engine)[:, 0]
    # the decoder decodes its frame starting at frame 4458 (2048 model samples at
    # 44.1 kHz) during the block from 4096, running the control graph past frame 4200;
    # the gain still applies the message at the first 256-frame step after it
    first_zero = int(np.flatnonzero(out != 0.0)[-1]) + 1
    assert first_zero == 4352 and not out[4352:].any()
