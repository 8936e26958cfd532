"""The embedded default model (issue 4): the shipped TorchScript file and the training pipeline.

CI never retrains the shipped model: it checks the shipped file (interface, size, streaming
equality, determinism, sane audio from random and extreme latents) and runs the real training
script for a few steps on a tiny corpus to prove it works end to end.
"""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from nodes.models import DEFAULT_MODEL_PATH, card, corpus, dsp

# The RAVE / nn~ interface is TorchScript by definition; torch 2.13 flags torch.jit as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")

ROOT = Path(__file__).resolve().parents[1]
HOP = 2048
LATENT = 8


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)


def load(path: Path = DEFAULT_MODEL_PATH) -> torch.jit.ScriptModule:
    return torch.jit.load(str(path), map_location="cpu")


def check_interface(model: torch.jit.ScriptModule) -> None:
    """The RAVE v2 streaming-export interface the rest of the system relies on."""
    assert model.sr == 44100 and isinstance(model.sr, int)
    assert model.latent_size == LATENT and model.full_latent_size == LATENT
    assert model.n_channels == 1
    assert list(model.get_methods()) == ["encode", "decode", "forward"]
    for name, expected in (("encode_params", [1, 1, LATENT, HOP]),
                           ("decode_params", [LATENT, HOP, 1, 1]),
                           ("forward_params", [1, 1, 1, 1])):
        buf = getattr(model, name)
        assert not buf.is_floating_point() and buf.tolist() == expected, name
    x = torch.from_numpy(corpus.make_clip(0, 3).audio[: 5 * HOP])[None, None]
    with torch.no_grad():
        z = model.encode(x)
        assert z.shape == (1, LATENT, 5) and torch.isfinite(z).all()
        model.reset()
        y = model.decode(z)
        assert y.shape == (1, 1, 5 * HOP) and torch.isfinite(y).all()
        model.reset()
        assert model.forward(x).shape == (1, 1, 5 * HOP)
        model.reset()


def test_corpus_is_seeded():
    a, b = corpus.make_clip(7, 2), corpus.make_clip(7, 2)
    assert np.array_equal(a.audio, b.audio) and a.kind == b.kind
    assert not np.array_equal(corpus.make_clip(8, 2).audio[:HOP * 4], a.audio[:HOP * 4])
    assert len(a.audio) % HOP == 0 and np.abs(a.audio).max() <= 1.0
    targets = corpus.frame_targets(a)
    assert targets.f0.shape == (a.n_frames,)
    assert targets.harm.shape == (a.n_frames, dsp.N_HARMONICS)
    assert targets.noise.shape == (a.n_frames, dsp.N_BANDS)


def test_corpus_covers_every_kind():
    kinds = {corpus.make_clip(0, i).kind for i in range(16)}
    assert kinds == set(corpus.KINDS)


def test_hash_noise_is_deterministic_white():
    n = dsp.hash_noise(torch.arange(200_000))
    assert torch.equal(n, dsp.hash_noise(torch.arange(200_000)))
    assert abs(float(n.mean())) < 0.01 and abs(float(n.std()) - 1.0) < 0.01
    assert abs(float((n[1:] * n[:-1]).mean())) < 0.01


def run_tiny_training(out: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "nodes.models.train", "--tiny", "--out", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stderr + result.stdout


def test_tiny_training_run_end_to_end_and_reproducible(tmp_path):
    log = run_tiny_training(tmp_path / "a.ts")
    assert '"step": 5' in log and "spectral" in log
    model = load(tmp_path / "a.ts")
    check_interface(model)
    card = (tmp_path / "a.md").read_text()
    for heading in ("## Data", "## Architecture", "## Training", "## Figures"):
        assert heading in card
    run_tiny_training(tmp_path / "b.ts")
    again = load(tmp_path / "b.ts").state_dict()
    assert all(torch.equal(v, again[k]) for k, v in model.state_dict().items())


def test_shipped_file_exists_and_is_small():
    assert DEFAULT_MODEL_PATH.name == "default.ts"
    assert DEFAULT_MODEL_PATH.stat().st_size <= 10 * 1024 * 1024
    record = card.read_record(DEFAULT_MODEL_PATH.with_suffix(".md"))
    assert record["options"]["steps"] > 1000 and record["history"][-1]["step"] == record["options"]["steps"]


def test_shipped_interface():
    check_interface(load())


def test_shipped_streaming_equals_whole_sequence():
    z = torch.randn(1, LATENT, 24, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        whole = load().decode(z)
        model = load()
        frames = torch.cat([model.decode(z[:, :, t: t + 1]) for t in range(z.shape[2])], dim=-1)
        assert (whole - frames).abs().max() <= 1e-4
        model.reset()
        again = torch.cat([model.decode(z[:, :, t: t + 3]) for t in range(0, 24, 3)], dim=-1)
        assert (whole - again).abs().max() <= 1e-4


def test_shipped_is_deterministic():
    z = torch.randn(1, LATENT, 12, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(load().decode(z), load().decode(z))


@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_shipped_random_latents_sound(scale):
    z = torch.randn(4, LATENT, 32, generator=torch.Generator().manual_seed(3)) * scale
    with torch.no_grad():
        audio = load().decode(z)[:, 0, 3 * HOP:]
    assert torch.isfinite(audio).all()
    assert audio.abs().max() <= 1.0
    rms_db = 10 * torch.log10(audio.reshape(4, -1, HOP).pow(2).mean(-1) + 1e-20)
    assert float(rms_db.median()) > -50.0
    assert float((rms_db < -60.0).float().mean()) < 0.1


def test_shipped_handles_extreme_latents_and_batches():
    z = torch.full((2, LATENT, 4), 40.0)
    z[1] = -40.0
    with torch.no_grad():
        audio = load().decode(z)
    assert audio.shape == (2, 1, 4 * HOP)
    assert torch.isfinite(audio).all() and audio.abs().max() <= 1.0


def test_shipped_encode_is_frame_local_and_finite():
    x = torch.from_numpy(corpus.make_clip(0, 401).audio[: 8 * HOP])[None, None]
    with torch.no_grad():
        model = load()
        whole = model.encode(x)
        parts = torch.cat([model.encode(x[..., i * HOP: (i + 2) * HOP]) for i in range(0, 8, 2)], -1)
    assert torch.isfinite(whole).all()
    assert (whole - parts).abs().max() <= 1e-4
