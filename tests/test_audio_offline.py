"""The DSP chain rendered offline: block semantics, recording, resampling, edits.
No device: the chain renders on the virtual clock, in lockstep with the control graph."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile as sf

import model_builders as mb
from audio_helpers import audio_engine, latent_patch, peak_hz
from nodegraph.edits import AddNode, Connect, Disconnect, SetParam
from nodegraph.patch import Link


def test_two_sinks_reading_one_source_advance_it_once_per_block():
    engine = audio_engine("""\
format: nodegraph/1
nodes:
  ramp: {type: t-ramp}
  a: {type: t-capture}
  b: {type: t-capture}
links:
  - ramp.out -> a.in
  - ramp.out -> b.in
""")
    engine.run_offline(0.1)
    ramp, a, b = (engine.runtime[i].node for i in ("ramp", "a", "b"))
    assert engine.audio.sr == 48000  # no rate anywhere: the default
    assert engine.audio.block == 2048  # offline blocks are at least this long
    assert len(a.audio) == 4800
    assert np.array_equal(a.audio[:, 0], np.arange(4800, dtype=np.float32))
    assert np.array_equal(a.audio, b.audio)
    assert ramp.renders == len(a.blocks) == 3  # 2 full blocks and one of 704 frames


def test_an_inlet_sums_its_links_and_mono_broadcasts():
    engine = audio_engine("""\
format: nodegraph/1
nodes:
  mono: {type: t-ramp}
  stereo: {type: t-ramp, params: {channels: 2, step: 10.0}}
  sink: {type: t-capture}
links:
  - mono.out -> sink.in
  - stereo.out -> sink.in
""")
    engine.run_offline(0.01)
    audio = engine.runtime["sink"].node.audio
    assert audio.shape == (480, 2)
    assert np.array_equal(audio[:, 0], 11 * np.arange(480, dtype=np.float32))
    assert np.array_equal(audio[:, 1], audio[:, 0])


def test_a_signal_node_that_raises_is_flagged_and_the_rest_plays():
    engine = audio_engine("""\
format: nodegraph/1
nodes:
  bad: {type: t-bad-render}
  ramp: {type: t-ramp}
  quiet: {type: t-capture}
  loud: {type: t-capture}
links:
  - bad.out -> quiet.in
  - ramp.out -> loud.in
""")
    engine.run_offline(0.05)
    report = engine.report()
    assert report["nodes"]["bad"]["status"] == "muted"  # until the chain is rebuilt
    assert report["nodes"]["bad"]["last_error"] == "RuntimeError: render exploded"
    assert report["nodes"]["bad"]["renders"] == 1  # muted after its first failure
    quiet, loud = engine.runtime["quiet"].node, engine.runtime["loud"].node
    assert len(quiet.audio) == len(loud.audio) == 2400
    assert not quiet.audio.any() and loud.audio[-1, 0] == 2399


def _decode_patch(model: str, extra: str = "") -> str:
    return f"""\
format: nodegraph/1
nodes:
  point: {{type: constant, params: {{value: [0.5, 0.0, 0.0, 0.0]}}}}
  dec: {{type: rave-decode, params: {{model: {model}}}}}
  out: {{type: audio-out{extra}}}
links:
  - point.out -> dec.latent
  - dec.audio -> out.audio
"""


def test_offline_render_records_exactly_and_deterministically(tmp_path):
    model = mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    renders = []
    for name in ("one.wav", "two.wav"):
        engine = audio_engine(_decode_patch(str(model)))
        engine.audio.record(tmp_path / name)
        engine.run_offline(1.37)
        report = engine.report()
        engine.close()
        audio, sr = sf.read(tmp_path / name, dtype="float32")
        renders.append(audio)
        assert sr == 44100 and len(audio) == round(1.37 * 44100)  # the model's rate
        assert report["audio"]["seconds_out"] == 1.37
        assert report["audio"]["output"] == "offline" and report["audio"]["underruns"] == 0
    assert np.array_equal(renders[0], renders[1])
    assert np.abs(renders[0]).max() == pytest.approx(0.5, abs=1e-4)
    assert peak_hz(renders[0][:, 0], 44100) == pytest.approx(440.0, abs=1.0)


def test_two_decoders_each_keep_their_figures_in_the_report(tmp_path):
    four = mb.save(mb.SineStreaming(), tmp_path / "four.ts")
    eight = mb.save(mb.SineStreaming(latent=8), tmp_path / "eight.ts")
    engine = audio_engine(f"""\
format: nodegraph/1
nodes:
  p4: {{type: constant, params: {{value: [0.5, 0, 0, 0]}}}}
  p8: {{type: constant, params: {{value: [0.25, 0, 0, 0, 0, 0, 0, 0]}}}}
  one: {{type: rave-decode, params: {{model: '{four}'}}}}
  two: {{type: rave-decode, params: {{model: '{eight}'}}}}
  out: {{type: audio-out}}
links:
  - p4.out -> one.latent
  - p8.out -> two.latent
  - one.audio -> out.audio
  - two.audio -> out.audio
""")
    engine.run_offline(0.5)
    report = engine.report()
    engine.close()
    decoders = report["audio"]["nodes"]
    assert set(decoders) == {"one", "two"}  # the last one no longer hides the first
    assert (decoders["one"]["model"], decoders["one"]["latent_size"]) == (str(four), 4)
    assert (decoders["two"]["model"], decoders["two"]["latent_size"]) == (str(eight), 8)
    for node_id, figures in decoders.items():
        assert figures["frames_decoded"] > 0 and figures["decode_rtf"] > 0
        assert report["nodes"][node_id]["decode_rtf"] == figures["decode_rtf"]
    assert report["audio"]["seconds_out"] == 0.5  # the engine-wide figures stay beside


def test_resampling_to_the_output_rate_keeps_pitch(tmp_path):
    """A 440 Hz model at 44.1 kHz decodes to 440 Hz at an output running at 48 kHz,
    without a click where latent frames meet."""
    model = mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    engine = audio_engine(_decode_patch(str(model), ", params: {sample_rate: 48000}"))
    engine.audio.record(tmp_path / "out.wav")
    engine.run_offline(2.0)
    engine.close()
    audio, sr = sf.read(tmp_path / "out.wav", dtype="float32")
    assert sr == 48000 and len(audio) == 96000
    steady = audio[4800:, 0]
    assert peak_hz(steady, sr) == pytest.approx(440.0, abs=1.0)
    assert np.abs(np.diff(steady)).max() <= 1.02 * 0.5 * 2 * np.pi * 440 / 48000


def test_each_latent_is_decoded_from_its_frame_on(tmp_path):
    """Amplitude steps every 100 ms: each latent frame takes the latent current at
    its start, though offline blocks are as long as a frame (catch_up)."""
    model = mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    engine = audio_engine(latent_patch(model, "0.2, 0, 0, 0, 0.8, 0, 0, 0"))
    engine.run_offline(1.0)
    audio = engine.runtime["out"].node.audio[:, 0]
    frame = 2048
    for start in range(0, len(audio) - frame, frame):
        chunk_peak = np.abs(audio[start:start + frame]).max()
        assert chunk_peak == pytest.approx(0.2, abs=1e-3) or \
            chunk_peak == pytest.approx(0.8, abs=1e-3)
        t = start / 44100
        expected = 0.2 if int(t * 10) % 2 == 0 else 0.8
        if abs(t * 10 - round(t * 10)) > 0.01:  # not within 1 ms of a step
            assert chunk_peak == pytest.approx(expected, abs=1e-3), t


def test_a_sink_added_while_rendering_joins_the_chain(tmp_path):
    model = mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    engine = audio_engine(_decode_patch(str(model)))
    engine.run_offline(0.5)
    engine.allow_write = (tmp_path,)  # the patch has no folder of its own
    engine.do(AddNode("rec", "wav-out", {"path": str(tmp_path / "late.wav")}))
    engine.do(Connect(Link("dec", "audio", "rec", "audio")))
    engine.run_offline(0.5)
    engine.close()
    audio, sr = sf.read(tmp_path / "late.wav", dtype="float32")
    assert sr == 44100 and len(audio) == 22050
    assert np.abs(audio).max() == pytest.approx(0.5, abs=1e-4)


def test_latent_size_mismatch_is_a_load_error_with_its_line(tmp_path):
    from nodegraph.engine import Engine
    from nodegraph.errors import PatchError

    mb.save(mb.SineStreaming(latent=8), tmp_path / "eight.ts")
    patch = tmp_path / "p.yaml"
    patch.write_text("""\
format: nodegraph/1
nodes:
  point: {type: constant, params: {value: [0.1, 0.2, 0.3, 0.4]}}
  dec: {type: rave-decode, params: {model: eight.ts}}
links:
  - point.out -> dec.latent
""")
    with pytest.raises(PatchError) as caught:
        Engine.load(patch)
    assert str(caught.value) == (
        f"{patch}:6: link point.out -> dec.latent: point.out sends 4 values but dec.latent "
        "expects 8 values; make the sizes match (check both nodes' params)")


def test_a_missing_model_is_a_load_error_naming_the_file(tmp_path):
    from nodegraph.engine import Engine
    from nodegraph.errors import PatchError

    patch = tmp_path / "p.yaml"
    patch.write_text("format: nodegraph/1\nnodes:\n  dec: {type: rave-decode, params: "
                     "{model: gone.ts}}\n")
    with pytest.raises(PatchError) as caught:
        Engine.load(patch)
    assert str(caught.value) == (
        f"{patch}:3: node 'dec' (rave-decode): {tmp_path / 'gone.ts'}: model file not found; "
        "check the path (relative paths are relative to the patch file)")


def _frame_peaks(audio: np.ndarray, frame: int = 2048) -> np.ndarray:
    return np.abs(audio[:len(audio) // frame * frame].reshape(-1, frame)).max(axis=1)


def test_interpolation_glides_across_the_frames_of_a_call(tmp_path):
    model = mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    values = "0.2, 0, 0, 0, 1.0, 0, 0, 0"
    peaks = {}
    for interpolate in (False, True):
        engine = audio_engine(latent_patch(
            model, values, f", frames_per_call: 4, interpolate: {str(interpolate).lower()}",
            interval_ms=1000.0))
        engine.run_offline(1.5)
        peaks[interpolate] = _frame_peaks(engine.runtime["out"].node.audio[:, 0])
    # 1.0 arrives at 1 s: the call decoding frames 24-27 (1.11-1.25 s) is the first to see it
    assert peaks[False][20:28] == pytest.approx([0.2] * 4 + [1.0] * 4, abs=1e-3)
    assert peaks[True][20:28] == pytest.approx([0.2] * 4 + [0.4, 0.6, 0.8, 1.0], abs=1e-3)


def test_fill_zeros_is_deterministic_and_noise_is_rave_like(tmp_path):
    """A v1-style model of latent 4 and full latent 8 averages all 8 channels."""
    model = mb.save(mb.V1Style(sr=48000, ratio=1024, latent=4, full=8), tmp_path / "v1.ts")
    renders = {}
    for fill in ("zeros", "noise", "noise"):
        engine = audio_engine(latent_patch(model, "1, 1, 1, 1", f", fill: {fill}"))
        engine.run_offline(0.5)
        renders.setdefault(fill, []).append(engine.runtime["out"].node.audio[:, 0])
    assert np.allclose(renders["zeros"][0][1024:], 0.5)  # (1+1+1+1+0+0+0+0) / 8
    noisy = renders["noise"][0][1024:]
    assert noisy.std() > 0.05 and not np.allclose(noisy, 0.5)
    assert np.array_equal(renders["noise"][0], renders["noise"][1])  # seeded: renders repeat


def test_a_stereo_model_keeps_its_channels(tmp_path):
    model = mb.save(mb.SineStreaming(channels=2), tmp_path / "stereo.ts")
    engine = audio_engine(latent_patch(model, "0.8, 0, 0, 0"))
    engine.run_offline(0.5)
    audio = engine.runtime["out"].node.audio
    assert engine.audio.sr == 44100  # no output sets a rate: the model's
    assert audio.shape == (22050, 2)
    assert np.allclose(audio[:, 1], 0.75 * audio[:, 0])  # the model's second channel


def test_changing_the_model_while_rendering_switches_at_the_next_frame(tmp_path):
    low = mb.save(mb.SineStreaming(hz=440.0), tmp_path / "low.ts")
    high = mb.save(mb.SineStreaming(hz=880.0), tmp_path / "high.ts")
    engine = audio_engine(latent_patch(low, "0.5, 0, 0, 0"))
    engine.run_offline(1.0)
    engine.do(SetParam("dec", "model", str(high)))
    engine.run_offline(1.0)
    audio = engine.runtime["out"].node.audio[:, 0]
    assert peak_hz(audio[4410:44100], 44100) == pytest.approx(440.0, abs=1.0)
    assert peak_hz(audio[-40000:], 44100) == pytest.approx(880.0, abs=1.0)
    assert engine.report()["nodes"]["dec"]["errors"] == 0


def test_relinking_while_rendering_moves_the_signal_and_keeps_counting():
    engine = audio_engine("""\
format: nodegraph/1
nodes:
  ramp: {type: t-ramp}
  a: {type: t-capture}
  b: {type: t-capture}
links:
  - ramp.out -> a.in
""")
    engine.run_offline(0.1)
    engine.do(Disconnect(Link("ramp", "out", "a", "in")))
    engine.do(Connect(Link("ramp", "out", "b", "in")))
    engine.run_offline(0.1)
    a, b = engine.runtime["a"].node.audio[:, 0], engine.runtime["b"].node.audio[:, 0]
    assert len(a) == len(b) == 9600
    assert np.array_equal(a[:4800], np.arange(4800)) and not a[4800:].any()
    assert not b[:4800].any() and np.array_equal(b[4800:], np.arange(4800, 9600))
    assert engine.report()["nodes"]["ramp"]["renders"] == engine.runtime["ramp"].node.renders


@pytest.mark.parametrize("ratio", [128, 256])
def test_small_ratio_renders_are_frame_accurate_whatever_the_block(tmp_path, ratio):
    """Latents change every 7 ms, inside latent frames of 2.9 or 5.8 ms: each frame
    takes the latent current at its start, and the render is the same at any block
    size and every time."""
    model = mb.save(mb.SineStreaming(ratio=ratio), tmp_path / "sine.ts")
    patch = latent_patch(model, "0.2, 0, 0, 0, 0.5, 0, 0, 0, 0.8, 0, 0, 0", interval_ms=7.0)
    patch = patch.replace("links:", "  ao: {type: audio-out, params: {block_size: BLOCK}}\n"
                                    "links:\n  - dec.audio -> ao.audio")
    renders = []
    for block in (4096, 2048, 4096):
        engine = audio_engine(patch.replace("BLOCK", str(block)))
        engine.run_offline(0.5)
        assert engine.audio.block == block
        renders.append(engine.runtime["out"].node.audio[:, 0])
        engine.close()
    assert len(renders[0]) == 22050
    assert np.array_equal(renders[0], renders[1]) and np.array_equal(renders[0], renders[2])
    checked = 0
    for k in range(len(renders[0]) // ratio):
        t = k * ratio / 44100
        step = t / 0.007
        if step - int(step) < 0.02:  # a frame starting within 0.14 ms of a change
            continue
        expected = (0.2, 0.5, 0.8)[int(step) % 3]
        peak = np.abs(renders[0][k * ratio:(k + 1) * ratio]).max()
        assert peak == pytest.approx(expected, abs=2e-3), (k, t)
        checked += 1
    assert checked > 0.9 * len(renders[0]) // ratio
