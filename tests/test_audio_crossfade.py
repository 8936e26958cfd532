"""Non-streaming models must not click: decoded chunk by chunk they restart from
zero padding at every call; rave-decode decodes them with context and crossfades."""

from __future__ import annotations

import numpy as np
import pytest

import model_builders as mb
from audio_helpers import audio_engine, latent_patch
from nodes.neural.decoder import ContextDecoder
from nodes.neural.model import decode, load_model

FRAMES = 40


@pytest.fixture(params=["causal", "centered"])
def conv_model(request, tmp_path):
    return load_model(mb.save(mb.ConvNonStreaming(padding=request.param), tmp_path / "conv.ts"))


def _latents() -> np.ndarray:
    z = np.zeros((FRAMES, 4), np.float32)
    z[:, 0] = np.random.default_rng(1).uniform(0.2, 1.0, FRAMES)  # a new envelope every frame
    return z


def _boundary_jumps(audio: np.ndarray, ratio: int) -> np.ndarray:
    edges = np.arange(ratio, len(audio), ratio)
    return np.abs(audio[edges] - audio[edges - 1])


def test_context_and_crossfade_leave_no_discontinuity(conv_model):
    z, ratio = _latents(), conv_model.info.ratio
    whole = decode(conv_model.module, z.T)[0]       # the ideal: everything in one call
    steepest = np.abs(np.diff(whole)).max()         # the signal's own largest step
    naive = np.concatenate([decode(conv_model.module, z[i:i + 1].T)[0] for i in range(FRAMES)])
    decoder = ContextDecoder(conv_model)
    streamed = np.concatenate([decoder.decode(z[i:i + 1])[:, 0] for i in range(FRAMES)])

    assert _boundary_jumps(naive, ratio).max() > 5 * steepest  # the click this prevents
    assert _boundary_jumps(streamed, ratio).max() <= steepest
    assert np.abs(np.diff(streamed)).max() <= steepest * 1.0001
    settled = slice(3 * ratio, None)                # and it still follows the model
    error = np.sqrt(np.mean((streamed[settled] - whole[settled]) ** 2))
    assert error < 0.2 * np.sqrt(np.mean(whole[settled] ** 2))


def test_rave_decode_plays_a_non_streaming_model_without_clicks(tmp_path):
    model = mb.save(mb.ConvNonStreaming(padding="centered"), tmp_path / "conv.ts")
    steps = ", ".join(f"{v:.2f}, 0, 0, 0" for v in np.linspace(0.2, 1.0, 7))
    engine = audio_engine(latent_patch(model, steps, ", frames_per_call: 2", interval_ms=70.0))
    engine.run_offline(2.0)
    audio = engine.runtime["out"].node.audio[:, 0]
    report = engine.report()
    assert report["audio"]["nodes"]["dec"]["streaming"] is False
    assert np.abs(audio).max() > 0.5                 # it plays, loudly
    carrier_step = 2 * np.pi * 20 / 2048             # steepest slope of the model's output
    assert np.abs(np.diff(audio)).max() <= carrier_step * 1.05
