"""audio-file: playing real files (WAV, FLAC, OGG) at the graph rate, looped or once,
transport without clicks, load-time errors, and the formats points-from-sound reads."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from audio_helpers import peak_hz
from nodegraph.edits import SetParam
from nodegraph.errors import PatchError
from nodes.dsp.player import FADE_MS
from nodes.iml.sound import read_audio

from signal_helpers import SR, captured, rig, steepest

FADE = round(FADE_MS / 1000 * SR)


def _ramp_file(folder, frames: int = 4800, sr: int = SR, channels: int = 1,
               name: str = "ramp.wav"):
    """A file whose frame n holds n / frames (channel c: minus c), as 32-bit float."""
    ramp = np.arange(frames, dtype=np.float32) / frames
    data = np.stack([ramp - c for c in range(channels)], axis=1)
    sf.write(folder / name, data, sr, subtype="FLOAT")
    return data


def _player(folder, params: str, out: str = "") -> object:
    return rig(f"""\
nodes:
  f: {{type: audio-file, params: {params}}}
  cap: {{type: t-capture}}
  ends: {{type: print, params: {{quiet: true}}}}
{out}links:
  - f.audio -> cap.in
  - f.end -> ends.in
""", folder)


def test_a_looped_file_plays_sample_exact_after_its_fade_in(tmp_path):
    data = _ramp_file(tmp_path)
    engine = _player(tmp_path, "{path: ramp.wav}")
    engine.run_offline(0.25)  # 12000 frames: 2.5 passes of the file
    out = captured(engine)[:, 0]
    assert engine.audio.sr == SR  # the file's rate sets the graph's when nothing else does
    expected = np.tile(data[:, 0], 3)[:12000]
    assert np.array_equal(out[FADE:], expected[FADE:])
    assert np.all(np.abs(out[:FADE]) <= expected[:FADE] + 1e-7)  # faded in
    assert engine.runtime["ends"].node.count == 2
    assert engine.runtime["f"].node.report()["position_s"] == pytest.approx(0.05, abs=1e-3)


def test_a_one_shot_plays_once_bangs_end_and_plays_again_on_play(tmp_path):
    data = _ramp_file(tmp_path)
    engine = _player(tmp_path, "{path: ramp.wav, loop: false}")
    engine.run_offline(0.2)
    out = captured(engine)[:, 0]
    assert np.array_equal(out[FADE:4800], data[FADE:, 0]) and not out[4800:].any()
    assert engine.runtime["ends"].node.count == 1
    assert engine.runtime["f"].node.report()["playing"] is False
    engine.send("f", "play")
    engine.run_offline(0.2)
    again = captured(engine)[9600:, 0]
    assert np.array_equal(again[FADE:4800], data[FADE:, 0])
    assert engine.runtime["ends"].node.count == 2


def test_stop_fades_out_and_play_resumes_where_it_stopped(tmp_path):
    _ramp_file(tmp_path, frames=SR)  # a 1 s ramp from 0 to 1
    engine = _player(tmp_path, "{path: ramp.wav}")
    engine.run_offline(0.1)
    engine.send("f", "stop")
    engine.run_offline(0.1)
    engine.send("f", "play")
    engine.run_offline(0.1)
    out = captured(engine)[:, 0]
    # nothing steeper than fading in at the level reached (0.11) on a rising ramp
    assert steepest(out[:, None]) <= 0.11 / FADE + 1 / SR + 1e-6
    assert not out[4800 + FADE:9600].any()        # silent while stopped
    resumed = out[9600:]
    assert resumed[0] * FADE == pytest.approx((4800 + FADE) / SR, abs=1e-5)  # after the fade-out
    assert np.allclose(np.diff(resumed[FADE:]), 1 / SR, atol=1e-7)


def test_position_jumps_with_a_fade_and_position_then_play_restarts(tmp_path):
    _ramp_file(tmp_path, frames=SR)
    engine = _player(tmp_path, "{path: ramp.wav, loop: false, autoplay: false}")
    engine.run_offline(0.05)
    assert not captured(engine).any()
    engine.send("f", "position", 0.5)   # jump while stopped: no fade needed
    engine.send("f", "play")
    engine.run_offline(0.05)
    out = captured(engine)[2400:, 0]
    assert out[FADE] == pytest.approx(0.5 + FADE / SR, abs=1e-6)
    engine.send("f", "position", 0.25)  # while playing: out, jump, in
    engine.run_offline(0.05)
    tail = captured(engine)[4800:, 0]
    assert steepest(tail[:, None]) <= 0.6 / FADE
    # the fade-out plays on from 0.55 s; then 0.25 s onwards, fading in
    assert tail[0] == pytest.approx(0.55 * (1 - 1 / FADE), abs=1e-5)
    assert tail[-1] == pytest.approx(0.25 + (2400 - FADE - 1) / SR, abs=1e-6)


def test_a_file_at_another_rate_is_resampled_to_the_graph_rate(tmp_path):
    t = np.arange(44100) / 44100
    sf.write(tmp_path / "tone.flac", 0.5 * np.sin(2 * np.pi * 1000 * t), 44100)
    engine = _player(tmp_path, "{path: tone.flac}",
                     "  out: {type: audio-out, params: {sample_rate: 48000}}\n")
    engine.run_offline(1.0)
    out = captured(engine)[:, 0]
    assert engine.audio.sr == 48000 and len(out) == 48000
    assert peak_hz(out[4800:], 48000) == pytest.approx(1000, abs=2)
    assert np.sqrt(np.mean(out[4800:] ** 2)) == pytest.approx(0.5 / math.sqrt(2), rel=0.01)


def test_stereo_files_play_in_stereo(tmp_path):
    data = _ramp_file(tmp_path, channels=2)
    engine = _player(tmp_path, "{path: ramp.wav}")
    engine.run_offline(0.05)
    assert captured(engine).shape == (2400, 2)
    assert np.array_equal(captured(engine)[FADE:], data[FADE:2400])


@pytest.mark.parametrize("name, subtype", [("a.wav", "PCM_16"), ("a.flac", "PCM_24"),
                                           ("a.ogg", "VORBIS")])
def test_it_reads_what_points_from_sound_reads(tmp_path, name, subtype):
    t = np.arange(22050) / 22050
    sf.write(tmp_path / name, 0.5 * np.sin(2 * np.pi * 440 * t), 22050, subtype=subtype)
    engine = _player(tmp_path, f"{{path: {name}}}",
                     "  out: {type: audio-out, params: {sample_rate: 48000}}\n")
    engine.run_offline(0.5)
    played = captured(engine)[2400:, 0]
    explorer = read_audio(tmp_path / name, 48000, 1)[0]  # latent-explorer's reader
    assert peak_hz(played, 48000) == pytest.approx(440, abs=3)
    assert peak_hz(explorer, 48000) == pytest.approx(440, abs=3)


def test_the_file_is_read_at_open_never_while_playing(tmp_path):
    data = _ramp_file(tmp_path)
    engine = _player(tmp_path, "{path: ramp.wav}")
    (tmp_path / "ramp.wav").unlink()
    engine.run_offline(0.2)
    assert np.array_equal(captured(engine)[4800:9600, 0], data[:, 0])


def test_a_new_path_while_playing_switches_files(tmp_path):
    _ramp_file(tmp_path)
    sf.write(tmp_path / "dc.wav", np.full(4800, 0.25, np.float32), SR, subtype="FLOAT")
    engine = _player(tmp_path, "{path: ramp.wav}")
    engine.run_offline(0.05)
    engine.do(SetParam("f", "path", "dc.wav"))
    engine.run_offline(0.05)
    assert np.all(captured(engine)[-2400 + 2 * FADE:, 0] == 0.25)
    assert engine.runtime["f"].node.report()["file"].endswith("dc.wav")


def test_no_path_is_silence_until_a_path_is_given(tmp_path):
    data = _ramp_file(tmp_path)
    engine = _player(tmp_path, "{}")
    engine.send("f", "play")
    engine.run_offline(0.05)
    assert captured(engine).shape == (2400, 1) and not captured(engine).any()
    assert engine.runtime["f"].errors == 0
    engine.do(SetParam("f", "path", "ramp.wav"))  # autoplay: it starts
    engine.run_offline(0.05)
    assert np.array_equal(captured(engine)[2400 + FADE:, 0], data[FADE:2400, 0])


@pytest.mark.parametrize("make, words", [
    (lambda d: None, "audio file not found; check the path (relative paths are relative to the patch file)"),
    (lambda d: (d / "x.wav").write_text("not audio"), "is not an audio file soundfile can read"),
    (lambda d: (d / "x.wav").mkdir(), "is a folder"),
    (lambda d: sf.write(d / "x.wav", np.zeros((0, 1)), SR), "holds no audio"),
])
def test_bad_files_are_load_time_errors_at_the_path_line(tmp_path, make, words):
    make(tmp_path)
    with pytest.raises(PatchError) as info:
        rig("""\
nodes:
  f:
    type: audio-file
    params:
      loop: false
      path: x.wav
""", tmp_path)
    message = str(info.value)
    assert f"{tmp_path / 'patch.yaml'}:7:" in message and words in message


def test_bad_position_messages_are_refused(tmp_path):
    _ramp_file(tmp_path)
    engine = _player(tmp_path, "{path: ramp.wav}")
    engine.send("f", "position", float("nan"))
    engine.run_offline(0.02)
    assert "NaN" in engine.runtime["f"].last_error
    assert captured(engine)[-1, 0] > 0  # still playing
