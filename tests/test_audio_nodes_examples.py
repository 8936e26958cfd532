"""The routing examples with audio render headless, and sound as they say they do."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from nodegraph.clock import VirtualClock
from nodegraph.edits import AddNode, Connect
from nodegraph.engine import Engine
from nodegraph.patch import Link, load_patch

from signal_helpers import registry

ROOT = Path(__file__).resolve().parent.parent
PATCHES = ROOT / "patches"


def _levels_db(audio: np.ndarray, sr: int, window_s: float = 0.25) -> np.ndarray:
    w = round(window_s * sr)
    frames = audio[:len(audio) // w * w].reshape(-1, w)
    return 20 * np.log10(np.sqrt(np.mean(frames ** 2, axis=1)) + 1e-12)


def test_two_models_crossfade_with_the_mouth(tmp_path):
    engine = Engine(load_patch(PATCHES / "crossfade-models.yaml"), registry(),
                    clock=VirtualClock())
    for node in ("voice_a", "voice_b", "mix", "position"):
        engine.do(AddNode(node, "t-sink" if node == "position" else "t-capture", {}, (0, 0)))
    for link in (Link("a", "audio", "voice_a", "in"), Link("b", "audio", "voice_b", "in"),
                 Link("fade", "out", "mix", "in"), Link("mouth", "out", "position", "in")):
        engine.do(Connect(link))
    engine.open()
    engine.audio.record(tmp_path / "take.wav")
    engine.run_offline(5.0)
    a, b, out = (engine.runtime[n].node.audio[:, 0] for n in ("voice_a", "voice_b", "mix"))
    positions = engine.runtime["position"].node.got
    report = engine.report()
    engine.close()
    sr = report["audio"]["sr"]
    assert not any(n["errors"] for n in report["nodes"].values())
    # out = a·cos(p·π/2) + b·sin(p·π/2): fit the two weights over short windows; they
    # have unit power, and p lies between the positions the mouth sent just before
    window, checked = 1024, 0
    positions = [(0.0, -1.0), *positions]  # crossfade's param until the first message
    for start in range(0, len(out) - window + 1, window):
        pair = np.stack([a[start:start + window], b[start:start + window]], 1)
        if np.linalg.cond(pair) > 5:
            continue  # the voices are too alike here to tell apart
        weights = np.linalg.lstsq(pair, out[start:start + window], rcond=None)[0]
        t0, t1 = start / sr, (start + window) / sr
        recent = [p for p, t in positions if t0 - 0.1 <= t <= t1]
        recent += [p for p, t in positions if t < t0 - 0.1][-1:]
        p = math.atan2(weights[1], weights[0]) * 2 / math.pi
        assert math.hypot(*weights) == pytest.approx(1.0, abs=0.05)
        assert min(recent) - 0.03 <= p <= max(recent) + 0.03
        checked += 1
    assert checked > 100
    assert {round(p) for p, _ in positions[1:]} == {0, 1}  # the mouth moves it end to end
    take, take_sr = sf.read(tmp_path / "take.wav", always_2d=True)
    assert take_sr == sr and len(take) == 5 * sr
    assert np.array_equal(take[:, 0].astype(np.float32), out)
    assert -40 < 20 * math.log10(np.sqrt(np.mean(out ** 2))) < -6 and np.abs(out).max() < 1


@pytest.mark.parametrize("name", ["latent-offset-jitter.yaml", "switch-sources.yaml"])
def test_face_driven_examples_sound_and_move(tmp_path, name):
    engine = Engine.load(PATCHES / name, clock=VirtualClock())
    engine.open()
    engine.audio.record(tmp_path / "take.wav")
    engine.run_offline(5.0)
    report = engine.report()
    engine.close()
    assert not any(n["errors"] for n in report["nodes"].values())
    audio, sr = sf.read(tmp_path / "take.wav", always_2d=True)
    levels = _levels_db(audio[:, 0], sr)
    assert np.isfinite(audio).all() and np.abs(audio).max() < 1
    assert levels.min() > -60 and levels.max() < -3      # heard, never clipping
    assert levels.max() - levels.min() > 5               # the face moves the sound
    assert report["nodes"]["out"]["level_db"] > -40      # audio-out reports what it plays


def test_an_audio_example_renders_from_the_command_line(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out, report = tmp_path / "x.wav", tmp_path / "r.json"
    result = subprocess.run(
        [sys.executable, "-m", "nodegraph", "run", "patches/crossfade-models.yaml",
         "--offline", "--duration", "2", "--out", str(out), "--report", str(report)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    audio, sr = sf.read(out)
    assert len(audio) == 2 * sr and np.sqrt(np.mean(audio ** 2)) > 0.01
    data = json.loads(report.read_text())
    nodes = data["nodes"]
    assert nodes["levels"]["count"] == 40  # the meter's 20 Hz, for 2 s
    decoders = data["audio"]["nodes"]  # both voices' decoders, each under its id
    assert set(decoders) == {"a/dec", "b/dec"}
    assert all(d["decode_rtf"] > 0 and d["frames_decoded"] > 0 for d in decoders.values())
    assert "decode a/dec " in result.stdout and ", b/dec " in result.stdout
