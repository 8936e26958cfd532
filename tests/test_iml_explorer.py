"""The latent-explorer node: axes, sliders, randomize, bookmarks, mix, and points from
sound through a real TorchScript model's ``encode`` (built here with torch.jit.script)."""

from __future__ import annotations


import numpy as np
import pytest
import soundfile
import torch

from nodegraph.clock import VirtualClock
from nodegraph.edits import SetParam
from nodegraph.engine import Engine
from nodegraph.errors import PatchError

from engine_helpers import registry, wait_for

HOP = 256

# torch 2.13 marks TorchScript deprecated; nn~-compatible models are TorchScript files.
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.*` is deprecated:DeprecationWarning")


class FrameFeatures(torch.nn.Module):
    """An nn~-style codec: 16 kHz, one latent frame per 256 samples, 3 latent axes
    (loudness, rate of audible zero crossings ~ pitch, mean)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("encode_params", torch.tensor([1, 1, 3, HOP]))
        self.register_buffer("decode_params", torch.tensor([3, HOP, 1, 1]))
        self.sr = 16000
        self.latent_size = 3

    @torch.jit.export
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1] // 256
        frames = x[:, 0, : n * 256].reshape(x.shape[0], n, 256)
        rms = frames.pow(2).mean(-1).sqrt()
        audible = (frames[:, :, 1:].abs() > 1e-3) & (frames[:, :, :-1].abs() > 1e-3)
        crossings = ((frames[:, :, 1:] * frames[:, :, :-1] < 0) & audible).float().mean(-1)
        return torch.stack([rms, crossings, frames.mean(-1)], dim=1)

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, :1].repeat_interleave(256, dim=2)


class DecodeOnly(torch.nn.Module):
    """A decoder with 5 latent axes and no encode method."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("decode_params", torch.tensor([5, HOP, 1, 1]))
        self.sr = 16000

    @torch.jit.export
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return z[:, :1].repeat_interleave(256, dim=2)


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "codec.ts"
    torch.jit.save(torch.jit.script(FrameFeatures()), str(path))
    return path


@pytest.fixture
def sound_file(tmp_path):
    """Half a second each of a loud 210 Hz tone, a soft 3150 Hz tone and silence, stereo,
    at 22.05 kHz (the model runs at 16 kHz: the file must be resampled)."""
    rate = 22050
    t = np.arange(rate // 2) / rate
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.02)  # 20 ms in and out: no clicks
    mono = np.concatenate([0.5 * fade * np.sin(2 * np.pi * 210 * t),
                           0.05 * fade * np.sin(2 * np.pi * 3150 * t), np.zeros_like(t)])
    path = tmp_path / "tones.wav"
    soundfile.write(str(path), np.c_[mono, mono].astype(np.float32), rate)
    return path


def load(path, text=None, virtual=True):
    if text is not None:
        path.write_text(text)
    engine = Engine.load(path, registry=registry(), clock=VirtualClock() if virtual else None)
    engine.open()
    return engine


def explorer_patch(params):
    return f"""\
format: nodegraph/1
nodes:
  explorer: {{type: latent-explorer, params: {{{params}}}}}
  out: {{type: t-sink}}
links:
  - explorer.out -> out.in
"""


class Rig:
    def __init__(self, engine):
        self.engine = engine
        self.node = engine.runtime["explorer"].node
        self.sink = engine.runtime["out"].node
        self.engine.scheduler.run_pending()

    def send(self, inlet, value=True):
        self.engine.send("explorer", inlet, value)
        self.engine.scheduler.run_pending()
        return self.out

    @property
    def out(self):
        return np.asarray(self.sink.got[-1][0], dtype=np.float64)


def test_axes_sliders_randomize_bookmarks_and_mix(tmp_path):
    rig = Rig(load(tmp_path / "p.yaml", explorer_patch("size: 4, scale: 2.0")))
    assert rig.out.tolist() == [0, 0, 0, 0]                   # sent at start
    rig.engine.do(SetParam("explorer", "values", [0.5, -1.0, 0.0, 2.0]))
    rig.engine.scheduler.run_pending()
    assert rig.out.tolist() == [0.5, -1.0, 0.0, 2.0]          # sliders
    rig.send("bookmark", "calm")
    first = rig.send("randomize")
    second = rig.send("randomize")
    assert not np.allclose(first, second) and 0.2 < np.abs(np.r_[first, second]).mean() < 6
    rig.send("bookmark", "wild")
    assert np.allclose(rig.send("recall", "calm"), [0.5, -1.0, 0.0, 2.0])
    rig.engine.do(SetParam("explorer", "mix_a", "calm"))
    rig.engine.do(SetParam("explorer", "mix_b", "wild"))
    assert np.allclose(rig.send("mix", 0.25), 0.75 * np.array([0.5, -1, 0, 2]) + 0.25 * second,
                       atol=1e-6)
    rig.send("point", np.ones(4, dtype=np.float32))
    assert rig.out.tolist() == [1, 1, 1, 1]
    rig.send("recall", "nowhere")
    error = rig.engine.runtime["explorer"].last_error
    assert "no bookmark or candidate named 'nowhere'; bookmarks: calm, wild" in error
    rig.send("forget", "calm")
    assert rig.node.report()["bookmarks"] == ["wild"]

    rig.engine.save()                                          # bookmarks live with the patch
    rig.engine.close()
    again = Rig(load(tmp_path / "p.yaml"))
    assert np.allclose(again.send("recall", "wild"), second, atol=1e-6)


def test_a_values_list_of_the_wrong_length_is_a_load_error(tmp_path):
    with pytest.raises(PatchError, match="values has 2 numbers but size is 4"):
        load(tmp_path / "p.yaml", explorer_patch("size: 4, values: [1.0, 2.0]"))


def test_sizes_come_from_the_model_at_load_time(tmp_path, model_file):
    """With ``model`` set, the explorer's size is the model's latent size before anything
    opens: a chain that ends in a decoder of another size is refused, naming the line."""
    chain = """\
format: nodegraph/1
nodes:
  explorer: {type: latent-explorer, params: {model: default}}
  map: {type: regress}
  smooth: {type: smooth}
  decode: {type: rave-decode, params: {model: %s}}
links:
  - explorer.out -> map.target
  - map.out -> smooth.in
  - smooth.out -> decode.latent
"""
    path = tmp_path / "chain.yaml"
    path.write_text(chain % "default")
    Engine.load(path)                                          # 8 axes all the way: fine
    path.write_text(chain % model_file.name)                   # a decoder of 3 axes
    with pytest.raises(PatchError) as caught:
        Engine.load(path)
    assert str(caught.value).startswith(f"{path}:10:")         # the link into the decoder
    assert "smooth.out sends 8 values but decode.latent expects 3 values" \
        in str(caught.value)
    with pytest.raises(PatchError, match=r"p.yaml:3: .*values has 2 numbers but the model's "
                                         r"latent size is 3"):
        load(tmp_path / "p.yaml", explorer_patch(f"model: {model_file.name}, values: [1, 2]"))


def test_a_model_that_cannot_encode_still_sizes_the_explorer(tmp_path, sound_file):
    torch.jit.save(torch.jit.script(DecodeOnly()), str(tmp_path / "decoder.ts"))
    rig = Rig(load(tmp_path / "p.yaml", explorer_patch("model: decoder.ts")))
    assert rig.out.shape == (5,)
    rig.engine.do(SetParam("explorer", "sound", sound_file.name))
    assert "the model has no encode method" in rig.engine.runtime["explorer"].last_error


def test_points_from_sound_are_the_most_distinct_frames_in_time_order(tmp_path, model_file,
                                                                      sound_file):
    text = explorer_patch(f"model: {model_file.name}, sound: {sound_file.name}, points: 3")
    rig = Rig(load(tmp_path / "p.yaml", text))                 # offline: encodes inline
    assert rig.out.shape == (3,)                               # the model's latent size
    candidates = rig.node.candidates()
    assert list(candidates) == ["tones-1", "tones-2", "tones-3"]
    loudness = [p[0] for p in candidates.values()]
    pitch = [p[1] for p in candidates.values()]
    assert loudness[0] == pytest.approx(0.5 / np.sqrt(2), abs=0.02)   # the loud tone
    assert 0.01 < loudness[1] <= 0.05 / np.sqrt(2) + 1e-3               # the soft tone
    assert loudness[2] == pytest.approx(0.0, abs=1e-3)                # the silence
    assert pitch[1] == pytest.approx(2 * 3150 / 16000, abs=0.03)  # not 2 * 3150 / 22050: resampled
    assert np.allclose(rig.send("recall", "tones-2"), candidates["tones-2"], atol=1e-6)

    rig.engine.save()
    rig.engine.close()
    sound_file.unlink()                                        # candidates were saved: no re-encode
    again = Rig(load(tmp_path / "p.yaml"))
    assert list(again.node.candidates()) == ["tones-1", "tones-2", "tones-3"]


def test_sound_is_encoded_in_the_background_on_a_live_engine(tmp_path, model_file, sound_file):
    text = explorer_patch(f"model: {model_file.name}, sound: {sound_file.name}, points: 2")
    engine = load(tmp_path / "p.yaml", text, virtual=False)
    engine.start()
    node = engine.runtime["explorer"].node
    wait_for(lambda: node.candidates(), "the sound encoded")
    assert list(node.candidates()) == ["tones-1", "tones-2"]
    engine.do(SetParam("explorer", "points", 3))           # a live change re-encodes
    wait_for(lambda: len(node.candidates()) == 3, "the sound encoded again")
    assert len(node.candidates()) == 3 and not node.report()["encoding"]


def test_sound_without_a_model_is_reported(tmp_path, sound_file):
    rig = Rig(load(tmp_path / "p.yaml", explorer_patch(f"sound: {sound_file.name}")))
    assert "points from sound need a model" in rig.engine.runtime["explorer"].last_error
    assert rig.out.shape == (8,)                               # the explorer still works
