"""The audio nodes in real time, through PortAudio and a JACK server on the dummy
driver: a file plays, a gain changes while it plays without a click, a meter reports."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile as sf

from audio_helpers import peak_hz, play_until
from conftest import JACK_RATE
from engine_helpers import wait_for
from nodegraph.engine import Engine


def test_a_file_through_a_gain_plays_live_and_the_gain_change_never_clicks(jack_server,
                                                                           tmp_path):
    t = np.arange(44100 * 2) / 44100
    sf.write(tmp_path / "tone.wav", 0.5 * np.sin(2 * np.pi * 440 * t), 44100)
    (tmp_path / "live.yaml").write_text("""\
format: nodegraph/1
nodes:
  file: {type: audio-file, params: {path: tone.wav}}
  g: {type: gain, params: {gain: 0.5}}
  lv: {type: meter}
  levels: {type: print, params: {quiet: true}}
  out: {type: audio-out, params: {safety_ms: 25.0}}
links:
  - file.audio -> g.in
  - g.out -> out.audio
  - g.out -> lv.in
  - lv.level_db -> levels.in
""")
    engine = Engine.load(tmp_path / "live.yaml")
    engine.open()
    engine.audio.record(tmp_path / "played.wav")
    engine.start()
    play_until(engine, 1.5)
    engine.send("g", "gain", 1.0)
    play_until(engine, 3.0)
    wait_for(lambda: engine.report()["nodes"]["levels"]["count"] >= 40,
             "40 meter levels printed")  # 20 a second of audio
    engine.stop()
    report = engine.report()
    engine.close()

    assert report["audio"]["sr"] == JACK_RATE and report["audio"]["output"] == "device"
    assert not any(n["errors"] for n in report["nodes"].values())
    played, sr = sf.read(tmp_path / "played.wav", dtype="float32")
    first, last = played[4800:48000, 0], played[-48000:, 0]
    assert peak_hz(first, sr) == pytest.approx(440.0, abs=1.0)  # resampled 44.1 → 48 kHz
    assert np.abs(first).max() == pytest.approx(0.25, abs=0.01)
    assert np.abs(last).max() == pytest.approx(0.5, abs=0.01)
    sine_step = 2 * math.pi * 440 / sr * 0.5
    assert np.abs(np.diff(played[4800:, 0])).max() <= sine_step * 1.01 + 0.25 / 960
    assert report["nodes"]["levels"]["count"] >= 40  # 20 a second, for about 3 s
    level = 20 * math.log10(0.5 / math.sqrt(2))  # a sine of 0.5, in dBFS RMS
    assert report["nodes"]["out"]["level_db"] == pytest.approx(level, abs=0.1)
