"""``nodegraph train``: a streaming model of real recordings, trained for seconds.

Real recordings (tests/recordings.py), the real training command in a subprocess, the real
TorchScript export loaded back and played by ``rave-decode`` in a patch. No timed asserts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import soxr
import torch

import recordings as rec
from nodes.models import dsp, recordings
from nodes.models.recordings import MaterialError
from nodes.models.train import Run, TrainError, build_parser

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--steps", "4", "--batch", "2", "--frames", "12", "--quick-figures", "--threads", "1"]


def train(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nodegraph", "train", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """One model trained on four real recordings (shared by the interface tests)."""
    folder = rec.copy_few(tmp_path_factory.mktemp("sounds"))
    out = tmp_path_factory.mktemp("model") / "mine.ts"
    result = train(str(folder), "--out", str(out), *SMALL)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


def load(path: Path) -> torch.jit.ScriptModule:
    return torch.jit.load(str(path), map_location="cpu")


def test_trained_model_has_the_rave_v2_streaming_interface(trained):
    model = load(trained)
    assert model.sr == 44100 and model.latent_size == 8 and model.full_latent_size == 8
    assert model.n_channels == 1
    assert list(model.get_methods()) == ["encode", "decode", "forward"]
    assert model.encode_params.tolist() == [1, 1, 8, 256]
    assert model.decode_params.tolist() == [8, 256, 1, 1]
    assert model.forward_params.tolist() == [1, 1, 1, 1]
    x = torch.from_numpy(recordings.read_mono(rec.sample("guit_e_fifths.flac"))[: 40 * 256])[None, None]
    with torch.no_grad():
        z = model.encode(x)
        assert z.shape == (1, 8, 40) and torch.isfinite(z).all()
        y = model.decode(z)
        assert y.shape == (1, 1, 40 * 256) and torch.isfinite(y).all() and y.abs().max() < 1.0
    assert trained.stat().st_size <= 10 * 1024 * 1024


def test_trained_model_streams_one_frame_per_call_like_the_whole_sequence(trained):
    z = torch.randn(1, 8, 30, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        whole = load(trained).decode(z)
        model = load(trained)
        frames = torch.cat([model.decode(z[:, :, t: t + 1]) for t in range(30)], dim=-1)
        model.reset()
        threes = torch.cat([model.decode(z[:, :, t: t + 3]) for t in range(0, 30, 3)], dim=-1)
    assert (whole - frames).abs().max() <= 1e-4
    assert (whole - threes).abs().max() <= 1e-4
    assert torch.equal(whole, load(trained).decode(z))   # deterministic


def test_trained_model_encoder_is_causal(trained):
    """Frame t's latent depends on the samples up to its end only."""
    x = torch.from_numpy(recordings.read_mono(rec.sample("ambi_choir.flac"))[: 32 * 256])[None, None]
    changed = x.clone()
    changed[..., 20 * 256:] = 0.0
    with torch.no_grad():
        a, b = load(trained).encode(x), load(trained).encode(changed)
    assert torch.equal(a[..., :20], b[..., :20])
    assert not torch.equal(a[..., 20:], b[..., 20:])


def test_card_pictures_and_clips_are_written(trained):
    card = trained.with_suffix(".md").read_text()
    for heading in ("## Data", "## Architecture", "## Training", "## Figures", "## Held-out clips"):
        assert heading in card
    for name in rec.FEW:
        assert name in card or "..." in card
    folder = trained.with_suffix(".card")
    assert (folder / "loss.png").stat().st_size > 1000
    pngs = sorted(folder.glob("clip-*.png"))
    assert pngs
    clip, rate = soundfile.read(folder / "clip-1-model.wav")
    assert rate == 44100 and len(clip) > 0 and np.isfinite(clip).all()


def test_trained_model_plays_in_rave_decode(trained, tmp_path):
    wav = tmp_path / "take.wav"
    result = subprocess.run(
        [sys.executable, "-m", "nodegraph", "run", "patches/latent-sliders.yaml", "--offline",
         "--duration", "1", "--set", f"dec.model={trained}", "--set", "point.value=[1,0,0,0,0,0,0,0]",
         "--out", str(wav)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    audio, rate = soundfile.read(wav)
    assert rate > 0 and len(audio) > 0.9 * rate and np.isfinite(audio).all()


def test_mixed_rates_and_channels_become_mono_at_44100(tmp_path):
    audio, rate = soundfile.read(rec.sample("guit_e_fifths.flac"), always_2d=True)
    assert rate == 44100
    stereo = np.concatenate([audio[:, :1], audio[:, :1] * 0.5], axis=1)
    soundfile.write(tmp_path / "stereo-22k.wav", soxr.resample(stereo, 44100, 22050), 22050)
    soundfile.write(tmp_path / "mono-48k.flac", soxr.resample(audio[:, 0], 44100, 48000), 48000)
    material = recordings.gather([tmp_path], min_seconds=1.0)
    assert sorted(p.name for p in material.files) == ["mono-48k.flac", "stereo-22k.wav"]
    lengths = material.files.values()
    assert max(lengths) - min(lengths) < 0.05   # same sound, resampled to the same rate
    assert all(c.audio.dtype == np.float32 and c.audio.ndim == 1 for c in material.train + material.held_out)
    assert not material.skipped


def test_bad_files_are_skipped_and_listed(tmp_path):
    rec.copy_few(tmp_path)
    (tmp_path / "notes.txt").write_text("not sound")
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
    soundfile.write(tmp_path / "silence.wav", np.zeros(44100, dtype=np.float32), 44100)
    material = recordings.gather([tmp_path])
    assert set(material.skipped) == {tmp_path / "notes.txt", tmp_path / "broken.wav", tmp_path / "silence.wav"}
    assert "cannot be read" in material.skipped[tmp_path / "broken.wav"]
    assert "no sound" in material.skipped[tmp_path / "silence.wav"]
    assert len(material.files) == 4
    assert "skipped" in recordings.describe(material)


def test_silence_is_trimmed_and_split_is_per_file_and_seeded(tmp_path):
    sound = recordings.read_mono(rec.sample("ambi_choir.flac"))
    padded = np.concatenate([np.zeros(44100), sound, np.zeros(3 * 44100), sound, np.zeros(44100)])
    trimmed = recordings.trim_silence(padded.astype(np.float32))
    gap = int(recordings.MAX_GAP_SECONDS * 44100)
    assert abs(len(trimmed) - (2 * len(sound) + gap)) <= 4 * dsp.HOP + 2 * gap
    rec.copy_few(tmp_path)
    a, b = recordings.gather([tmp_path], seed=3), recordings.gather([tmp_path], seed=3)
    assert [(c.source, c.start) for c in a.held_out] == [(c.source, c.start) for c in b.held_out]
    assert a.held_out
    held = {(c.source, c.start) for c in a.held_out}
    assert not held & {(c.source, c.start) for c in a.train}


def test_empty_folder_and_too_little_sound_say_what_is_needed(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = train(str(empty), "--out", str(tmp_path / "m.ts"))
    assert result.returncode == 2 and "no usable recording" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "m.ts").exists()
    short = rec.copy_few(tmp_path / "short", ("drum_snare_soft.flac",))
    with pytest.raises(MaterialError, match="too little sound") as error:
        recordings.gather([short])
    assert "at least 4 s" in str(error.value) and "10 minutes" in str(error.value)
    with pytest.raises(MaterialError, match="no such file"):
        recordings.gather([tmp_path / "missing"])


def test_ctrl_c_exports_the_best_so_far_and_resume_finishes(tmp_path):
    folder = rec.copy_few(tmp_path / "sounds")
    out = tmp_path / "m.ts"
    args = [str(folder), "--out", str(out), "--steps", "400", "--batch", "2", "--frames", "12",
            "--checkpoint-minutes", "0", "--quick-figures", "--threads", "1"]
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "train", *args], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)
    checkpoint = out.with_suffix(".ckpt")
    deadline = time.monotonic() + 240
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=240)
    assert proc.returncode == 130, stderr[-2000:]
    assert "resume with: nodegraph train" in stderr and "--resume" in stderr
    assert out.is_file() and out.with_suffix(".md").is_file()
    state = torch.load(checkpoint, weights_only=True)
    assert 1 <= state["step"] < 400
    stopped_at = state["step"]
    resumed = train(*[a if a != "400" else str(stopped_at + 3) for a in args], "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resuming at step {stopped_at}" in resumed.stderr
    assert torch.load(checkpoint, weights_only=True)["step"] == stopped_at + 3
    record = json.loads(out.with_suffix(".md").read_text().split("<!-- training-record\n")[1].split("\n-->")[0])
    assert record["steps"] == stopped_at + 3


def options(tmp_path: Path, sounds: Path, *extra: str):
    return build_parser().parse_args([str(sounds), "--out", str(tmp_path / "m.ts"), *SMALL, *extra])


def test_resume_refuses_a_checkpoint_of_other_recordings(trained, tmp_path):
    other = rec.copy_few(tmp_path / "b", ("ambi_drone.flac", "loop_tabla.flac"))
    opts = options(tmp_path, other)
    opts.out = trained
    run = Run(opts, recordings.gather([other]))
    with pytest.raises(TrainError, match="other recordings"):
        run.load_checkpoint()


def test_same_steps_same_weights(tmp_path):
    """--steps makes a run reproducible (seeded batches, noise and initialisation)."""
    folder = rec.copy_few(tmp_path / "s", ("ambi_choir.flac", "loop_amen.flac", "guit_e_fifths.flac"))
    torch.set_num_threads(1)
    states = []
    for _ in range(2):
        run = Run(options(tmp_path, folder, "--steps", "2"), recordings.gather([folder]))
        assert run.train()
        states.append(run.decoder.state_dict())
    assert all(torch.equal(v, states[1][k]) for k, v in states[0].items())


def test_other_ratio_and_latent_size(tmp_path):
    folder = rec.copy_few(tmp_path / "s", ("ambi_choir.flac", "loop_amen.flac", "guit_e_fifths.flac"))
    run = Run(options(tmp_path, folder, "--ratio", "128", "--latent", "4"), recordings.gather([folder]))
    model = run.export()
    assert model.decode_params.tolist() == [4, 128, 1, 1]
    assert model.encode_params.tolist() == [1, 1, 4, 128]
    with torch.no_grad():
        assert model.decode(torch.zeros(1, 4, 5)).shape == (1, 1, 640)
        assert model.encode(torch.zeros(1, 1, 1280)).shape == (1, 4, 10)


def test_ctrl_c_while_a_checkpoint_is_written_is_held_until_it_is_whole():
    from nodes.models.train import _interrupt_after

    steps = []
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with _interrupt_after():
                os.kill(os.getpid(), signal.SIGINT)
                steps.append("written after the signal")
        assert steps == ["written after the signal"]
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, before)
