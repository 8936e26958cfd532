"""Real audio through PortAudio and a JACK server on the dummy driver: the patch
plays in real time at the device's rate, the device pulls what is rendered, and the CLI
renders offline when no device can play.

No timed asserts: the tests wait on the audio clock (``play_until``) and assert what was
played, never how punctually; whether a loaded machine underruns is not theirs to say
(underrun counting is tested deterministically in test_audio_ring.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import model_builders as mb
from audio_helpers import audio_engine, peak_hz, play_until
from conftest import JACK_RATE
from engine_helpers import free_port, wait_for
from nodegraph.cli import main
from nodegraph.edits import AddNode, Connect, SetParam
from nodegraph.engine import Engine
from nodegraph.patch import Link, parse_patch

ROOT = Path(__file__).resolve().parent.parent
PATCH = ROOT / "patches" / "latent-sliders.yaml"
#: The shared test machine is busy: give the worker a wide margin (the default is 1.5 ms).
SAFE = "out.safety_ms=25"


@pytest.fixture
def sine8(tmp_path) -> Path:
    """A streaming 440 Hz model at 44.1 kHz with the default model's latent size (8)."""
    return mb.save(mb.SineStreaming(latent=8), tmp_path / "sine8.ts")


def _loud(amplitude: float) -> str:
    return "point.value=" + json.dumps([amplitude] + [0.0] * 7)


def test_the_patch_plays_through_jack(jack_server, sine8, tmp_path):
    engine = Engine.load(PATCH, [f"dec.model={sine8}", _loud(0.5), SAFE])
    engine.open()
    engine.audio.record(tmp_path / "played.wav")
    engine.start()
    play_until(engine, 1.5)
    engine.do(SetParam("point", "value", [0.25] + [0.0] * 7))  # a slider moves
    play_until(engine, 3.0)
    device = engine.audio.outputs[0]
    wait_for(lambda: device.drained >= 10, "the device callback pulled 10 blocks")
    engine.stop()
    report = engine.report()
    engine.close()

    audio = report["audio"]
    assert (audio["output"], audio["device"], audio["sr"]) == ("device", "system", JACK_RATE)
    assert device.kind == "device" and device.drained >= 10  # the callback consumed the ring
    assert 0 <= audio["underruns"] <= device.drained  # counted, never more than callbacks
    assert audio["seconds_out"] >= 3.0  # it played the whole time
    # the slider move counts; the value sent while the stream was starting does not
    assert audio["latency_ms"]["count"] == 1 and audio["latency_ms"]["p50"] > 0
    decoder = audio["nodes"]["dec"]  # the decoder's own figures, under its id
    assert decoder["model_delay_samples"] == 0 and decoder["streaming"] is True
    played, sr = sf.read(tmp_path / "played.wav", dtype="float32")
    assert sr == JACK_RATE and played.shape[1] == 2
    first, last = played[4800:48000, 0], played[-48000:, 0]
    assert peak_hz(first, sr) == pytest.approx(440.0, abs=1.0)  # resampled 44.1 → 48 kHz
    assert np.abs(first).max() == pytest.approx(0.5, abs=1e-3)
    assert np.abs(last).max() == pytest.approx(0.25, abs=1e-3)


def _nodegraph(*args: str, server: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JACK_DEFAULT_SERVER": server,
           "JACK_NO_START_SERVER": "1"}
    return subprocess.run([sys.executable, "-m", "nodegraph", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120)


def test_run_plays_in_real_time_when_a_device_exists(jack_server, sine8, tmp_path):
    out, report = tmp_path / "take.wav", tmp_path / "r.json"
    result = _nodegraph("run", str(PATCH), "--set", f"dec.model={sine8}", "--set",
                        _loud(0.5), "--set", SAFE, "--duration", "1.5",
                        "--out", str(out), "--report", str(report), server=jack_server)
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["mode"] == "realtime" and data["audio"]["output"] == "device"
    assert data["audio"]["device"] == "system" and data["audio"]["sr"] == JACK_RATE
    assert data["audio"]["seconds_out"] > 0 and isinstance(data["audio"]["underruns"], int)
    assert sf.info(str(out)).samplerate == JACK_RATE
    assert f"wrote {out}" in result.stdout


def test_run_renders_offline_when_no_device_can_play(sine8, tmp_path):
    out, report = tmp_path / "render.wav", tmp_path / "r.json"
    result = _nodegraph("run", str(PATCH), "--set", f"dec.model={sine8}", "--set",
                        _loud(0.5), "--duration", "20", "--out", str(out),
                        "--report", str(report), server="nodegraph-no-such-server")
    assert result.returncode == 0, result.stderr
    assert "no audio output device: rendering offline" in result.stderr
    data = json.loads(report.read_text())
    assert data["mode"] == "offline" and data["audio"]["output"] == "offline"
    assert data["audio"]["seconds_out"] == 20.0
    audio, sr = sf.read(out, dtype="float32")
    assert sr == 44100 and len(audio) == 20 * 44100  # the model's rate: no device to follow


def test_devices_lists_the_jack_output(jack_server, capsys):
    assert main(["devices"]) == 0
    assert "system  (JACK Audio Connection Kit, 2 channels, 48000 Hz)" in capsys.readouterr().out


def test_a_sink_added_while_playing_records_from_then_on(jack_server, sine8, tmp_path):
    engine = Engine.load(PATCH, [f"dec.model={sine8}", _loud(0.5), SAFE])
    engine.start()
    play_until(engine, 0.5)
    engine.allow_write = (tmp_path,)  # outside the patch's folder
    engine.do(AddNode("rec", "wav-out", {"path": str(tmp_path / "late.wav")}))
    engine.do(Connect(Link("dec", "audio", "rec", "audio")))
    connected_at = engine.audio.position / JACK_RATE
    play_until(engine, connected_at + 0.7)
    engine.stop()
    report = engine.report()
    engine.close()
    audio, sr = sf.read(tmp_path / "late.wav", dtype="float32")
    assert sr == JACK_RATE and len(audio) > 0.1 * sr
    assert len(audio) < report["audio"]["seconds_out"] * sr  # from then on, not from the start
    assert np.abs(audio).max() == pytest.approx(0.5, abs=1e-3)
    assert report["nodes"]["rec"]["errors"] == 0


def test_without_an_output_the_chain_runs_on_a_silent_clock():
    engine = audio_engine("""\
format: nodegraph/1
nodes:
  ramp: {type: t-ramp}
  sink: {type: t-capture}
links:
  - ramp.out -> sink.in
""", virtual=False)
    sink = engine.runtime["sink"].node
    engine.start()
    play_until(engine, 0.3)
    engine.stop()
    report = engine.report()["audio"]
    engine.close()
    assert report["output"] == "clock" and report["device"] is None
    assert report["sr"] == 48000 and report["seconds_out"] > 0
    audio = sink.audio[:, 0]
    assert len(audio) == engine.audio.position
    assert np.array_equal(audio, np.arange(len(audio), dtype=np.float32))  # every block, in order


def test_devices_by_name_by_index_or_the_default(jack_server, caplog):
    from nodegraph.audio.device import find_output_device

    by_name = find_output_device("SYST")
    assert by_name["name"] == "system" and find_output_device(str(by_name["index"])) == by_name
    with caplog.at_level(logging.WARNING, logger="nodegraph.audio"):
        assert find_output_device("no such card") == by_name
    assert "no output device matches 'no such card'; using the default" in caplog.text


def test_a_rate_the_device_cannot_play_fails_that_node_clearly(jack_server, sine8):
    engine = Engine.load(PATCH, [f"dec.model={sine8}", "out.sample_rate=44100"])
    engine.open()
    report = engine.report()
    engine.close()
    out = report["nodes"]["out"]
    assert out["status"] == "failed"
    assert out["last_error"].startswith("DeviceError: out: cannot open 'system' (JACK Audio "
                                        "Connection Kit) at 44100 Hz")
    assert out["last_error"].endswith("Its default rate is 48000 Hz; sample_rate 0 uses it")
    assert report["nodes"]["dec"]["status"] != "failed"  # the rest of the patch is fine


SMALL_RATIO_PATCH = """\
format: nodegraph/1
nodes:
  osc: {{type: osc-in, params: {{address: /latent, port: {port}, size: 8}}}}
  clock: {{type: metro, params: {{interval_ms: 37}}}}
  quiet: {{type: constant, params: {{value: [0.1, 0, 0, 0, 0, 0, 0, 0]}}}}
  dec: {{type: rave-decode, params: {{model: '{model}'}}}}
  out: {{type: audio-out, params: {{block_size: {block}, safety_ms: 25}}}}
links:
  - osc.out -> dec.latent
  - clock.bang -> quiet.bang
  - quiet.out -> dec.latent
  - dec.audio -> out.audio
"""


@pytest.mark.parametrize("ratio, block", [(128, 64), (256, 128)])
def test_small_ratio_models_play_through_jack_with_figures_per_source(jack_server, tmp_path,
                                                                      ratio, block):
    """OSC and a metro both steer a ratio-128/256 model at blocks of 64/128 frames, and
    the report's latency splits by source type."""
    from pythonosc.udp_client import SimpleUDPClient

    from nodes.neural.model import load_model

    model = mb.save(mb.SineStreaming(ratio=ratio, latent=8), tmp_path / f"r{ratio}.ts")
    port = free_port()
    engine = Engine(parse_patch(SMALL_RATIO_PATCH.format(port=port, model=model, block=block)))
    engine.open()
    engine.audio.record(tmp_path / "played.wav")
    engine.start()
    client = SimpleUDPClient("127.0.0.1", port)
    play_until(engine, 0.3)

    def heard(source: str) -> int:
        latency = engine.audio.latency.summary() or {"sources": {}}
        return (latency["sources"].get(source) or {"count": 0})["count"]

    for i in range(40):  # paced like a controller; nothing below depends on the pace
        client.send_message("/latent", [0.2 + 0.01 * i] + [0.0] * 7)
        time.sleep(0.023)
    wait_for(lambda: heard("osc-in") >= 20 and heard("metro") >= 1,
             "20 OSC events and a metro bang reached the DAC")
    play_until(engine, engine.audio.position / JACK_RATE + 0.2)
    engine.stop()
    report = engine.report()
    engine.close()

    audio = report["audio"]
    assert audio["block"] == block
    # rave-decode states the floor its ratio allows here (shown in the editor's panel)
    floor = load_model(model).info.latency_floor(block, JACK_RATE)
    decoder = audio["nodes"]["dec"]
    assert decoder["frame_ms"] == round(1000 * ratio / 44100, 2)
    assert (decoder["floor_p50_ms"], decoder["floor_p95_ms"]) == \
        pytest.approx((floor["p50"], floor["p95"]), abs=0.3)  # decode time is measured
    latency = audio["latency_ms"]
    assert set(latency["sources"]) == {"osc-in", "metro"}
    osc, metro = latency["sources"]["osc-in"], latency["sources"]["metro"]
    assert osc["count"] + metro["count"] == latency["count"] and osc["count"] >= 20
    for figures in (latency, osc, metro):
        assert 0 < figures["p5"] <= figures["p50"] <= figures["p95"] <= figures["p99"] \
            <= figures["max"]
        assert figures["jitter"] == pytest.approx(figures["p95"] - figures["p5"], abs=0.011)
    played, sr = sf.read(tmp_path / "played.wav", dtype="float32")
    levels = {round(float(np.abs(played[s:s + 2400, 0]).max()), 2)
              for s in range(0, len(played) - 2400, 2400)}
    assert 0.1 in levels and max(levels) >= 0.2  # both sources were heard
