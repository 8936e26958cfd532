"""Loading nn~-compatible TorchScript models the tests build themselves: what the
loader reads, what it measures, and the errors a user sees for a bad file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

import model_builders as mb
from nodegraph.cli import main
from nodes.neural.model import (DELAY_SPAN, IMPULSE_FRAME, ModelError, inspect_model,
                                load_model, script_module)


def test_streaming_model_with_state_and_delay(tmp_path):
    path = mb.save(mb.SineStreaming(delay=300), tmp_path / "sine.ts")
    info = load_model(path).info
    assert (info.latent_size, info.full_latent_size, info.ratio, info.sr, info.channels) == \
        (4, 4, 2048, 44100, 1)
    assert info.streaming is True
    assert info.delay_samples == 300
    assert info.decode_ms_per_frame > 0 and info.decode_rtf > 0


def test_streaming_is_detected_from_state_without_cached_conv_names(tmp_path):
    """The default model keeps its state in buffers named after what they hold
    (phase, tail...): a probe call that changes a buffer is enough."""
    module = mb.SineStreaming()
    del module.cache
    module.cache = mb.Cache(1, 0)  # no delay line: only the "phase" buffer changes
    info = load_model(mb.save(module, tmp_path / "sine.ts")).info
    assert info.streaming is True and info.delay_samples == 0


def test_state_in_a_plain_attribute_is_streaming_too(tmp_path):
    info = load_model(mb.save(mb.AttributeState(), tmp_path / "attr.ts")).info
    assert info.streaming is True and (info.ratio, info.sr) == (160, 16000)


def test_the_instance_to_play_never_saw_the_probe_impulse(tmp_path):
    """Probing decodes an impulse; the instance handed back to play decoded only
    zeros (its state is a model's that played zero latents)."""
    path = mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    loaded = load_model(path)
    reference = script_module(path.read_bytes(), path)
    with torch.inference_mode():
        reference.decode(torch.zeros(1, 4, IMPULSE_FRAME + DELAY_SPAN))
    assert float(loaded.module.phase) == float(reference.phase) != 0.0


def test_non_streaming_model(tmp_path):
    info = load_model(mb.save(mb.ConvNonStreaming(padding="centered"), tmp_path / "c.ts")).info
    assert info.streaming is False and info.ratio == 2048


def test_stereo_model(tmp_path):
    info = load_model(mb.save(mb.SineStreaming(channels=2), tmp_path / "s.ts")).info
    assert info.channels == 2 and info.decode_params == (4, 2048, 2, 1)


def test_odd_ratio_and_rate(tmp_path):
    info = load_model(mb.save(mb.SineStreaming(sr=22050, ratio=441), tmp_path / "o.ts")).info
    assert (info.ratio, info.sr) == (441, 22050)
    assert info.frame_seconds == pytest.approx(0.02)


def test_v1_sampling_rate_tensor_and_full_latent_in_latent_size(tmp_path):
    info = load_model(mb.save(mb.V1Style(sr=48000, latent=4, full=8), tmp_path / "v1.ts")).info
    assert (info.sr, info.latent_size, info.full_latent_size, info.ratio) == (48000, 4, 8, 1024)
    assert info.takes_full_latent is True


def test_inspect_is_cached_per_file_version(tmp_path):
    path = mb.save(mb.SineStreaming(latent=4), tmp_path / "m.ts")
    assert inspect_model(path) is inspect_model(path)
    mb.save(mb.SineStreaming(latent=8), path)
    os.utime(path, ns=(1, 10**18))  # a new version of the file
    assert inspect_model(path).latent_size == 8


@pytest.mark.parametrize("make, expected", [
    (lambda d: d / "missing.ts", "model file not found"),
    (lambda d: d, "is a folder"),
    (lambda d: _write(d / "notes.ts", b"just text"), "not a TorchScript file"),
    (lambda d: _checkpoint(d / "weights.ts"), "a PyTorch checkpoint (torch.save), not a TorchScript"),
    (lambda d: mb.save(mb.NoDecode(), d / "nodecode.ts"), "has no decode method (methods: forward)"),
    (lambda d: mb.save(mb.NoParams(), d / "noparams.ts"), "no usable decode_params buffer"),
    (lambda d: mb.save(mb.WrongLength(), d / "short.ts"), "decode returned (1, 1, 640) for "
     "latents (1, 4, 20), expected (1, 1, 1280)"),
    (lambda d: mb.save_as_newer_torch(mb.SineStreaming(), d / "future.ts"),
     "needs a newer PyTorch: it is TorchScript format version 99"),
])
def test_bad_model_files_give_clear_errors(tmp_path, make, expected):
    path = make(tmp_path)
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(str(path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _checkpoint(path: Path) -> Path:
    torch.save({"weight": torch.zeros(3)}, path)
    return path


def test_model_info_command(tmp_path, capsys):
    path = mb.save(mb.SineStreaming(channels=2, delay=64), tmp_path / "m.ts")
    assert main(["model", "info", str(path), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert {k: info[k] for k in ("path", "latent_size", "full_latent_size", "ratio", "sr",
                                 "channels", "streaming", "delay_samples")} == \
        {"path": str(path), "latent_size": 4, "full_latent_size": 4, "ratio": 2048,
         "sr": 44100, "channels": 2, "streaming": True, "delay_samples": 64}
    assert main(["model", "info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "streaming    yes" in text and "delay        64 samples" in text


def test_model_info_command_on_a_bad_file(tmp_path, capsys):
    assert main(["model", "info", str(tmp_path / "nope.ts")]) == 1
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope.ts'}: model file " \
        "not found; check the path (relative paths are relative to the patch file)"


def test_the_latency_floor_of_two_uniform_waits():
    from nodegraph.audio.latency import latency_floor, uniform_sum_quantile

    # equal waits of 1: a triangle on [0, 2]
    assert uniform_sum_quantile(0.5, 1.0, 1.0) == pytest.approx(1.0)
    assert uniform_sum_quantile(0.05, 1.0, 1.0) == pytest.approx(0.1 ** 0.5)
    assert uniform_sum_quantile(0.95, 1.0, 1.0) == pytest.approx(2 - 0.1 ** 0.5)
    # 4 and 1: flat in the middle, q * 4 + 0.5
    assert uniform_sum_quantile(0.5, 1.0, 4.0) == pytest.approx(2.5)
    assert uniform_sum_quantile(0.3, 0.0, 4.0) == pytest.approx(1.2)
    # frames of 10 ms, blocks of 48 at 48 kHz (1 ms), 2 periods, 3 ms more
    floor = latency_floor(0.010, 48, 48000, fixed_s=0.003)
    assert floor["p50"] == pytest.approx(10.0 / 2 + 0.5 + 2.0 + 3.0)
    assert floor["p95"] == pytest.approx(11.0 - (2 * 10 * 1 * 0.05) ** 0.5 + 5.0, abs=0.01)
    assert floor["jitter"] == pytest.approx(floor["p95"] - floor["p5"], abs=0.011)
    assert (floor["frame_ms"], floor["block_ms"], floor["device_ms"], floor["fixed_ms"]) == \
        (10.0, 1.0, 2.0, 3.0)


def test_model_info_states_the_floor_a_ratio_implies(tmp_path, capsys, monkeypatch):
    # the floor adds the measured decode time: fixed here, so that the figures compared
    # below (two models, two runs) cannot differ by how busy the machine is
    monkeypatch.setattr("nodes.neural.model._cost_ms", lambda module, width: 0.05)
    small = mb.save(mb.SineStreaming(ratio=256), tmp_path / "small.ts")
    large = mb.save(mb.SineStreaming(ratio=2048), tmp_path / "large.ts")
    floors = {}
    for path in (small, large):
        assert main(["model", "info", str(path), "--json"]) == 0
        info = json.loads(capsys.readouterr().out)
        floors[path] = {row["block"]: row for row in info["latency_floor"]}
        assert sorted(floors[path]) == [64, 128, 256]
        assert all(row["sr"] == 48000 for row in floors[path].values())
    small128, large128 = floors[small][128], floors[large][128]
    assert small128["frame_ms"] == pytest.approx(5.8, abs=0.01)
    assert large128["frame_ms"] == pytest.approx(46.44, abs=0.01)
    assert (small128["block_ms"], small128["device_ms"]) == (2.67, 5.33)
    # the frame wait dominates: 0-46 ms against 0-5.8 ms
    assert large128["p50"] - small128["p50"] == pytest.approx((46.44 - 5.8) / 2, abs=0.5)
    assert large128["jitter"] > 40 > 7 > small128["jitter"] > 5
    assert main(["model", "info", str(small)]) == 0
    text = capsys.readouterr().out
    assert "a change waits 0-5.8 ms for the next latent frame" in text
    assert f"block 128  p50 {small128['p50']:5.1f} ms" in text
