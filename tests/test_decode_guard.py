"""Model output is checked, not trusted: misbehaving TorchScript models (NaN, huge,
short, empty, raising, slow, absurd interfaces) are flagged and muted, never heard,
never hang a render; the output limiter keeps every device sample within full scale;
a RAVE-like model plays at the latent origin."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

import model_builders as mb
from audio_helpers import audio_engine, latent_patch, play_until, playing_patch, registry
from engine_helpers import wait_for
from nodegraph.audio.limiter import THRESHOLD, soft_limit
from nodegraph.cli import main
from nodegraph.clock import RealClock
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
from nodes.neural.guard import MAX_SAMPLE


FAULTS = [("nan", "NaN from decode"), ("huge", "samples of 1e+30 from decode"),
          ("short", "decode returned 32 × 1 samples for 1 frame, expected 64 × 1"),
          ("empty", "decode returned 0 × 1 samples"),
          ("raise", "this model fails on purpose")]


@pytest.mark.parametrize("mode,words", FAULTS, ids=[f[0] for f in FAULTS])
def test_a_misbehaving_model_is_muted_and_flagged_offline(tmp_path, mode, words):
    model = mb.save(mb.Misbehaving(mode), tmp_path / f"{mode}.ts")
    engine = audio_engine(latent_patch(model, "0.5, 0, 0, 0"))
    engine.run_offline(1.0)  # returns: an empty model no longer loops forever
    rn = engine.runtime["dec"]
    captured = engine.runtime["out"].node.audio
    report = engine.report(1.0)["nodes"]["dec"]
    engine.close()
    assert rn.status == "muted" and report["status"] == "muted"
    assert words in report["last_error"]
    assert len(captured) == 16000  # the render went on, in silence
    assert np.isfinite(captured).all() and np.abs(captured).max() <= 0.1 + 1e-6
    assert np.abs(captured[-8000:]).max() == 0.0  # nothing from the model after the fault


def test_a_muted_decoder_stays_muted_while_latents_keep_arriving(tmp_path):
    model = mb.save(mb.Misbehaving("nan", after=20), tmp_path / "nan.ts")
    engine = audio_engine(latent_patch(model, "0.5, 0, 0, 0, 0.2, 0, 0, 0", interval_ms=50.0))
    engine.run_offline(2.0)  # 40 latents arrive, most after the fault
    assert engine.runtime["dec"].calls > 20
    assert engine.runtime["dec"].status == "muted"


def test_run_offline_with_an_empty_model_ends_and_reports_it_muted(tmp_path, capsys):
    model = mb.save(mb.Misbehaving("empty"), tmp_path / "empty.ts")
    patch = tmp_path / "p.yaml"
    patch.write_text(playing_patch(model, "[0.5, 0, 0, 0]"))
    report = tmp_path / "r.json"
    assert main(["run", str(patch), "--offline", "--duration", "1", "--report", str(report),
                 "--out", str(tmp_path / "o.wav")]) == 0
    assert "muted: decode returned 0 × 1 samples" in capsys.readouterr().out
    assert json.loads(report.read_text())["nodes"]["dec"]["status"] == "muted"


def test_a_model_slower_than_real_time_is_flagged_with_its_rate(tmp_path):
    """About 50x slower than real time on any machine: flagged with the measured rate."""
    model = mb.save(mb.Misbehaving("slow", after=12), tmp_path / "slow.ts")
    engine = Engine(parse_patch(latent_patch(model, "0.5, 0, 0, 0")), registry(),
                    clock=RealClock())
    engine.open()
    engine.start()
    wait_for(lambda: "too slow for real time" in engine.runtime["dec"].last_error,
             "the slow model flagged")
    engine.stop()
    error = engine.runtime["dec"].last_error
    engine.close()
    assert "too slow for real time: decode runs at 0." in error
    assert "x real time" in error


INTERFACES = [
    ([4.5, 64, 1, 1], 16000, "positive whole numbers"),
    ([4, float("inf"), 1, 1], 16000, "positive whole numbers"),
    ([1e9, 64, 1, 1], 16000, "latent size of 1000000000"),
    ([4, 64, 1, 1], float("nan"), "states no sample rate"),
    ([4, 64, 1, 1], float("inf"), "states no sample rate"),
    ([4, 64, 1, 1], 1e9, "sample rate of 1000000000 Hz"),
]


@pytest.mark.parametrize("params,sr,words", INTERFACES, ids=[w for _, _, w in INTERFACES])
def test_model_info_on_an_absurd_interface_is_one_clear_line(tmp_path, capsys, params, sr,
                                                             words):
    model = mb.save(mb.Interface(params, sr), tmp_path / "odd.ts")
    assert main(["model", "info", str(model)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {model}: ") and words in err and "Traceback" not in err


@pytest.mark.parametrize("mode,words", [("nan", "NaN or infinite samples"),
                                        ("huge", "samples of 1e+30")])
def test_model_info_on_a_model_broken_from_the_start_is_one_clear_line(tmp_path, capsys, mode,
                                                                       words):
    model = mb.save(mb.Misbehaving(mode, after=0), tmp_path / f"{mode}.ts")
    assert main(["model", "info", str(model)]) == 1
    err = capsys.readouterr().err
    assert f"decode returned {words}" in err and "Traceback" not in err


@pytest.mark.parametrize("mode", ["raise", "slow"])
def test_model_info_survives_a_model_that_fails_or_crawls_when_timed(tmp_path, capsys, mode):
    model = mb.save(mb.Misbehaving(mode, after=3, spin=5), tmp_path / f"{mode}.ts")
    code = main(["model", "info", str(model)])
    out, err = capsys.readouterr()
    if mode == "raise":
        assert code == 1 and "decode failed when timed" in err
    else:
        assert code == 0 and "x real time" in out


def test_the_limiter_passes_normal_audio_bit_for_bit_and_bounds_the_rest():
    quiet = np.linspace(-THRESHOLD, THRESHOLD, 512, dtype=np.float32)[:, None]
    assert soft_limit(quiet) is quiet
    wild = np.array([[0.5], [0.95], [-3.0], [1e30], [np.nan], [-np.inf]], np.float32)
    limited = soft_limit(wild)
    assert np.isfinite(limited).all() and np.abs(limited).max() <= 1.0
    assert limited[0, 0] == 0.5 and limited[4, 0] == 0.0
    assert THRESHOLD < limited[1, 0] < 0.95 and limited[2, 0] < -THRESHOLD
    ramp = soft_limit(np.linspace(0, 4, 4001, dtype=np.float32)[:, None])[:, 0]
    assert (np.diff(ramp) >= 0).all()  # monotonic: a knee, not a fold


def test_a_recording_of_a_huge_model_output_stays_within_full_scale(tmp_path):
    """What reaches an output (device or --out recording) passes the limiter: a model
    whose samples are 50 (under MAX_SAMPLE, so not muted) records at most full scale."""
    assert 50 < MAX_SAMPLE
    model = mb.save(mb.SineStreaming(sr=16000, ratio=64), tmp_path / "sine.ts")
    patch = tmp_path / "p.yaml"
    patch.write_text(playing_patch(model, "[50, 0, 0, 0]"))
    assert main(["run", str(patch), "--offline", "--duration", "0.5", "--out",
                 str(tmp_path / "o.wav")]) == 0
    played, _ = sf.read(tmp_path / "o.wav", dtype="float32")
    assert np.abs(played).max() <= 1.0 and np.abs(played).max() > THRESHOLD


def test_a_rave_like_model_plays_at_the_latent_origin(tmp_path):
    """RAVE fills the channels past latent_size with noise itself; with them zeroed an
    all-zero latent decodes to exact silence. The default fill is the model's own."""
    model = mb.save(mb.RaveLike(), tmp_path / "rave.ts")
    rendered = {}
    for fill in ("", ", fill: zeros"):
        engine = audio_engine(latent_patch(model, "0, 0, 0, 0", fill))
        engine.run_offline(1.0)
        rendered[fill] = engine.runtime["out"].node.audio[:, 0].copy()
        engine.close()
    assert np.abs(rendered[", fill: zeros"]).max() == 0.0  # why zeros is not the default
    assert np.sqrt(np.mean(rendered[""] ** 2)) > 0.01


def test_through_jack_a_nan_model_is_muted_and_the_device_hears_only_finite_audio(
        jack_server, tmp_path):
    model = mb.save(mb.Misbehaving("nan", after=60), tmp_path / "nan.ts")
    patch = tmp_path / "p.yaml"
    patch.write_text(playing_patch(model, "[0.5, 0, 0, 0]", "safety_ms: 25.0"))
    engine = Engine.load(patch)
    engine.open()
    engine.audio.record(tmp_path / "played.wav")
    engine.start()
    wait_for(lambda: engine.runtime["dec"].status == "muted", "the NaN model muted")
    play_until(engine, engine.audio.position / engine.audio.sr + 0.3)  # silence recorded
    engine.stop()
    report = engine.report()
    engine.close()
    assert report["nodes"]["dec"]["status"] == "muted"
    assert "NaN from decode" in report["nodes"]["dec"]["last_error"]
    played, _ = sf.read(tmp_path / "played.wav", dtype="float32")
    assert len(played) and np.isfinite(played).all()
    assert np.abs(played[:, 0]).max() > 0.05  # it played until the fault...
    assert np.abs(played[-2000:, 0]).max() == 0.0  # ...and silence after
