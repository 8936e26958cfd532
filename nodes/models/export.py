"""Streaming TorchScript export with the interface of a RAVE v2 ``--streaming`` export.

The exported module (``torch.jit.load`` on CPU, no project code needed) has:

* attributes ``sr`` = 44100, ``latent_size`` = ``full_latent_size`` = 8, ``n_channels`` =
  ``target_channels`` = 1, ``stereo_mode`` = False;
* int buffers ``encode_params = [1, 1, 8, 2048]``, ``decode_params = [8, 2048, 1, 1]``,
  ``forward_params = [1, 1, 1, 1]``; ``get_methods() -> ["encode", "decode", "forward"]``;
* ``encode(x (B, 1, T*2048)) -> (B, 8, T)``: the posterior mean, PCA-rotated so that axis 0 has
  the largest variance over the training set (like RAVE's ``latent_pca``); stateless and
  frame-local (samples past the last whole frame are ignored; at least one whole frame needed);
* ``decode(z (B, 8, T)) -> (B, 1, T*2048)``: streaming. Decoder state lives in buffers — the
  last two latent frames (causal context), the previous control anchors, the oscillator phase,
  the noise-grain counter and the overlap-add tail — and every call continues from the last, so
  T frames in one call equal T calls of one frame (both run the same per-frame step). Output
  lags the encoded input by 1024 samples. Fewer than 8 latent channels are padded with zeros
  (not noise: decoding is deterministic), extra channels are ignored. State is batch-shaped: a
  call whose batch size differs from the previous call's starts from a fresh state;
* ``forward(x) = decode(encode(x))`` (sharing the decoder state, as RAVE's do);
* ``reset()`` returns the decoder to its initial state (same as a fresh load).

A scripted module is not thread-safe: one thread at a time may call ``decode``/``forward``.
"""

import copy
from pathlib import Path
from typing import Final

import torch
from torch import Tensor, nn

from nodes.models import dsp
from nodes.models.model import CONTEXT, LATENT, Decoder, Encoder, Features


class StreamingModel(nn.Module):
    """RAVE-compatible streaming wrapper around a trained encoder/decoder (see module doc)."""

    sr: int
    latent_size: int
    full_latent_size: int
    n_channels: int
    target_channels: int
    stereo_mode: bool
    hop: Final[int]
    latent: Final[int]
    context_size: Final[int]
    n_harmonics: Final[int]
    n_bands: Final[int]
    grain_hop: Final[int]
    grains_per_frame: Final[int]

    def __init__(self, features: Features, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        self.hop = dsp.HOP
        self.latent = LATENT
        self.context_size = (CONTEXT - 1) * LATENT
        self.n_harmonics = dsp.N_HARMONICS
        self.n_bands = dsp.N_BANDS
        self.grain_hop = dsp.GRAIN_HOP
        self.grains_per_frame = dsp.GRAINS_PER_FRAME
        self.features = features
        self.encoder = encoder
        self.decoder = decoder
        self.sr = dsp.SR
        self.latent_size = LATENT
        self.full_latent_size = LATENT
        self.n_channels = 1
        self.target_channels = 1
        self.stereo_mode = False
        self.register_buffer("encode_params", torch.tensor([1, 1, LATENT, dsp.HOP]))
        self.register_buffer("decode_params", torch.tensor([LATENT, dsp.HOP, 1, 1]))
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        self.register_buffer("z_context", torch.zeros(1, (CONTEXT - 1) * LATENT))
        self.register_buffer("f0_prev", torch.zeros(1, 1))
        self.register_buffer("harm_prev", torch.zeros(1, 1, dsp.N_HARMONICS))
        self.register_buffer("noise_prev", torch.zeros(1, 1, dsp.N_BANDS))
        self.register_buffer("phase", torch.zeros(1, 1, dtype=torch.float64))
        self.register_buffer("grain", torch.zeros(1, dtype=torch.int64))
        self.register_buffer("tail", torch.zeros(1, dsp.GRAIN_HOP))
        self.register_buffer("fresh", torch.ones(1, 1, dtype=torch.bool))

    @torch.jit.export
    def get_methods(self) -> list[str]:
        return ["encode", "decode", "forward"]

    @torch.jit.export
    def reset(self, batch_size: int = 1) -> None:
        """Initial decoder state for ``batch_size`` streams (what a fresh load has for 1)."""
        self.z_context = torch.zeros(batch_size, self.context_size)
        self.f0_prev = torch.zeros(batch_size, 1)
        self.harm_prev = torch.zeros(batch_size, 1, self.n_harmonics)
        self.noise_prev = torch.zeros(batch_size, 1, self.n_bands)
        self.phase = torch.zeros(batch_size, 1, dtype=torch.float64)
        self.grain = torch.zeros(batch_size, dtype=torch.int64)
        self.tail = torch.zeros(batch_size, self.grain_hop)
        self.fresh = torch.ones(batch_size, 1, dtype=torch.bool)

    @torch.jit.export
    def encode(self, x: Tensor) -> Tensor:
        n_frames = x.shape[-1] // self.hop
        frames = x[:, 0, : n_frames * self.hop].reshape(x.shape[0], n_frames, self.hop)
        mean, _ = self.encoder(self.features(frames))
        return mean.transpose(1, 2)

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        if z.shape[0] != self.z_context.shape[0]:
            self.reset(z.shape[0])
        if z.shape[1] < self.latent:
            z = nn.functional.pad(z, (0, 0, 0, self.latent - z.shape[1]))
        z = z[:, : self.latent]
        out = [self._step(z[:, :, t]) for t in range(z.shape[2])]
        if len(out) == 0:
            return torch.zeros(z.shape[0], 1, 0)
        return torch.cat(out, dim=1).unsqueeze(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def _step(self, z: Tensor) -> Tensor:
        """Decode one latent frame ``(B, LATENT)`` into ``(B, HOP)`` samples, advancing the state."""
        context = torch.cat([self.z_context, z], dim=1)
        self.z_context = context[:, self.latent:]
        f0, harm, noise = self.decoder.controls(context)
        f0 = f0.unsqueeze(1)
        harm = harm.unsqueeze(1)
        noise = noise.unsqueeze(1)
        audio, self.tail, advance = self.decoder.render(
            torch.where(self.fresh, f0, self.f0_prev), f0, self.harm_prev, harm, self.noise_prev,
            noise, self.phase.to(torch.float32), self.grain, self.tail)
        self.phase = torch.frac(self.phase + advance.to(torch.float64))
        self.grain = self.grain + self.grains_per_frame
        self.f0_prev = f0
        self.harm_prev = harm
        self.noise_prev = noise
        self.fresh = torch.zeros_like(self.fresh)
        return audio


def fold_pca(encoder: Encoder, decoder: Decoder, mean: Tensor,
             components: Tensor) -> tuple[Encoder, Decoder]:
    """Copies of ``encoder``/``decoder`` working in PCA coordinates ``z' = (z - mean) @ components``.

    ``mean (LATENT,)``; ``components (LATENT, LATENT)`` orthonormal, column i the i-th principal
    axis (decreasing variance). The rotation is folded into the encoder's last layer and the
    decoder's first layer, so the exported model pays nothing for it; a zero latent in PCA
    coordinates is the training mean. Both the MLP and the linear skip path are folded.
    """
    encoder = copy.deepcopy(encoder)
    decoder = copy.deepcopy(decoder)
    rot = components.T
    with torch.no_grad():
        for layer, centre in ((encoder.net[-1], mean), (encoder.skip, torch.zeros_like(mean))):
            layer.weight[:LATENT] = rot @ layer.weight[:LATENT]
            layer.bias[:LATENT] = rot @ (layer.bias[:LATENT] - centre)
        for layer in (decoder.net[0], decoder.skip):
            for i in range(CONTEXT):
                block = layer.weight[:, i * LATENT: (i + 1) * LATENT].clone()
                layer.bias += block @ mean
                layer.weight[:, i * LATENT: (i + 1) * LATENT] = block @ components
    return encoder, decoder


def export(features: Features, encoder: Encoder, decoder: Decoder, mean: Tensor,
           components: Tensor, path: Path) -> torch.jit.ScriptModule:
    """Fold the PCA rotation, script the streaming model, save it to ``path`` and return it."""
    encoder, decoder = fold_pca(encoder, decoder, mean, components)
    module = StreamingModel(copy.deepcopy(features), encoder, decoder).eval()
    module.requires_grad_(False)
    scripted = torch.jit.script(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    scripted.save(str(path))
    return scripted
