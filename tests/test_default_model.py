"""The shipped default model (nodes/models/default.ts), made by ``nodegraph train``.

CI never retrains the shipped model: it checks the shipped file — the interface, its size,
streaming equality, determinism, sane audio from random and extreme latents, a real recording
resynthesised — and that its card records how it was made. Training itself is tested on real
recordings in tests/test_train.py.
"""

from pathlib import Path

import numpy as np
import pytest
import torch

import recordings as rec
from nodes.models import DEFAULT_MODEL_PATH, card, dsp, recordings

# The RAVE / nn~ interface is TorchScript by definition; torch 2.13 flags torch.jit as deprecated.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")

HOP = 256
LATENT = 8


@pytest.fixture(autouse=True)
def _threads():
    torch.set_num_threads(2)


def load(path: Path = DEFAULT_MODEL_PATH) -> torch.jit.ScriptModule:
    return torch.jit.load(str(path), map_location="cpu")


def test_hash_noise_is_deterministic_white():
    n = dsp.hash_noise(torch.arange(200_000))
    assert torch.equal(n, dsp.hash_noise(torch.arange(200_000)))
    assert abs(float(n.mean())) < 0.01 and abs(float(n.std()) - 1.0) < 0.01
    assert abs(float((n[1:] * n[:-1]).mean())) < 0.01


def test_shipped_file_is_small_and_made_by_nodegraph_train():
    assert DEFAULT_MODEL_PATH.name == "default.ts"
    assert DEFAULT_MODEL_PATH.stat().st_size <= 10 * 1024 * 1024
    record = card.read_record(DEFAULT_MODEL_PATH.with_suffix(".md"))
    assert record["command"].startswith("nodegraph train ")
    assert record["steps"] > 1000
    assert any("sonic-pi" in f for f in record["files"]) and any("fluidsynth" in f for f in record["files"])
    assert (DEFAULT_MODEL_PATH.with_suffix(".card") / "loss.png").is_file()


def test_shipped_interface():
    model = load()
    assert model.sr == 44100 and isinstance(model.sr, int)
    assert model.latent_size == LATENT and model.full_latent_size == LATENT and model.n_channels == 1
    assert list(model.get_methods()) == ["encode", "decode", "forward"]
    for name, expected in (("encode_params", [1, 1, LATENT, HOP]), ("decode_params", [LATENT, HOP, 1, 1]),
                           ("forward_params", [1, 1, 1, 1])):
        buf = getattr(model, name)
        assert not buf.is_floating_point() and buf.tolist() == expected, name


def test_shipped_resynthesises_a_real_recording():
    """A guitar recording encoded and decoded keeps its loudness and spectrum roughly."""
    x = recordings.read_mono(rec.sample("guit_e_fifths.flac"))[: 300 * HOP]
    with torch.no_grad():
        model = load()
        y = model.forward(torch.from_numpy(x)[None, None])[0, 0].numpy()
    delay = int(model.forward_delay)
    x, y = x[: len(y) - delay].astype(np.float64), y[delay:].astype(np.float64)
    assert np.isfinite(y).all() and np.abs(y).max() < 1.0
    level = lambda a: 10 * np.log10((a ** 2).mean())   # noqa: E731
    assert abs(level(x) - level(y)) < 6.0
    assert len(x) >= 65536
    power = lambda a: np.abs(np.fft.rfft(a[: 65536] * np.hanning(65536))) ** 2   # noqa: E731
    edges = np.geomspace(50, 10000, 25) * 65536 / 44100   # 24 bands, 50 Hz to 10 kHz
    bands = lambda p: np.log10([p[int(lo): int(hi)].sum() + 1e-12 for lo, hi in zip(edges, edges[1:])])  # noqa: E731
    assert np.corrcoef(bands(power(x)), bands(power(y)))[0, 1] > 0.7   # the same spectral envelope


def test_shipped_streaming_equals_whole_sequence():
    z = torch.randn(1, LATENT, 40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        whole = load().decode(z)
        model = load()
        frames = torch.cat([model.decode(z[:, :, t: t + 1]) for t in range(z.shape[2])], dim=-1)
        assert (whole - frames).abs().max() <= 1e-4
        model.reset()
        again = torch.cat([model.decode(z[:, :, t: t + 4]) for t in range(0, 40, 4)], dim=-1)
        assert (whole - again).abs().max() <= 1e-4


def test_shipped_is_deterministic():
    z = torch.randn(1, LATENT, 12, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert torch.equal(load().decode(z), load().decode(z))


@pytest.mark.parametrize("scale", [1.0, 4.0])
def test_shipped_random_latents_sound(scale):
    z = torch.randn(4, LATENT, 216, generator=torch.Generator().manual_seed(3)) * scale
    with torch.no_grad():
        audio = load().decode(z)[:, 0, 24 * HOP:]   # 24 blocks of 2048 after the warm-up
    assert torch.isfinite(audio).all()
    assert audio.abs().max() <= 1.0
    rms_db = 10 * torch.log10(audio.reshape(4, -1, 2048).pow(2).mean(-1) + 1e-20)
    assert float(rms_db.median()) > -50.0
    assert float((rms_db < -60.0).float().mean()) < 0.1


def test_shipped_handles_extreme_latents_and_batches():
    z = torch.full((2, LATENT, 4), 40.0)
    z[1] = -40.0
    with torch.no_grad():
        audio = load().decode(z)
    assert audio.shape == (2, 1, 4 * HOP)
    assert torch.isfinite(audio).all() and audio.abs().max() <= 1.0
