"""Streaming TorchScript export with the interface of a RAVE v2 ``--streaming`` export.

The exported module (``torch.jit.load`` on CPU, no project code needed) has:

* attributes ``sr`` = 44100, ``latent_size`` = ``full_latent_size`` = L, ``n_channels`` =
  ``target_channels`` = 1, ``stereo_mode`` = False, and ``forward_delay`` = ``model.DELAY``
  (how many samples ``forward``'s output lags its input; RAVE exports have no such attribute);
* int buffers ``encode_params = [1, 1, L, HOP]``, ``decode_params = [L, HOP, 1, 1]``,
  ``forward_params = [1, 1, 1, 1]``; ``get_methods() -> ["encode", "decode", "forward"]``
  (HOP = the ratio, samples per latent frame);
* ``encode(x (B, 1, T*HOP)) -> (B, L, T)``: the posterior mean, PCA-rotated so that axis 0 has
  the largest variance over the training set (like RAVE's ``latent_pca``). Stateless: frame t
  sees the samples up to its end, zeros before the start of ``x`` (samples past the last whole
  frame are ignored);
* ``decode(z (B, L, T)) -> (B, 1, T*HOP)``: streaming. Decoder state lives in buffers — the
  GRU state, the previous control anchors, the oscillator phase, the noise-grain counter and
  the overlap-add tail — and every call continues from the last, so T frames in one call equal
  T calls of one frame (both run the same per-frame step). Output lags the encoded input by
  ``model.DELAY`` samples. Fewer than L latent channels are padded with zeros (not noise:
  decoding is deterministic), extra channels are ignored. State is batch-shaped: a call whose
  batch size differs from the previous call's starts from a fresh state;
* ``forward(x) = decode(encode(x))`` (sharing the decoder state, as RAVE's do);
* ``reset(batch_size=1)`` returns the decoder to its initial state (same as a fresh load).

A scripted module is not thread-safe: one thread at a time may call ``decode``/``forward``.
"""

import copy
from pathlib import Path
from typing import Final

import torch
from torch import Tensor, nn

from nodes.models import dsp
from nodes.models.model import DELAY, GRU_SIZE, Decoder, Encoder, Features, analysis_windows


def gru_cell(gru: nn.GRU) -> nn.GRUCell:
    """A ``GRUCell`` with the weights of a one-layer ``GRU`` (same gates, one step per call)."""
    cell = nn.GRUCell(gru.input_size, gru.hidden_size)
    with torch.no_grad():
        cell.weight_ih.copy_(gru.weight_ih_l0)
        cell.weight_hh.copy_(gru.weight_hh_l0)
        cell.bias_ih.copy_(gru.bias_ih_l0)
        cell.bias_hh.copy_(gru.bias_hh_l0)
    return cell


class StreamingModel(nn.Module):
    """RAVE-compatible streaming wrapper around a trained encoder/decoder (see module doc)."""

    sr: int
    forward_delay: int
    latent_size: int
    full_latent_size: int
    n_channels: int
    target_channels: int
    stereo_mode: bool
    hop: Final[int]
    latent: Final[int]
    gru_size: Final[int]
    n_harmonics: Final[int]

    def __init__(self, features: Features, encoder: Encoder, decoder: Decoder) -> None:
        super().__init__()
        self.hop = decoder.hop
        self.latent = decoder.latent
        self.gru_size = GRU_SIZE
        self.n_harmonics = dsp.N_HARMONICS
        self.features = features
        self.encoder = encoder
        self.pre = decoder.pre
        self.cell = gru_cell(decoder.gru)
        self.post_hidden = decoder.post[:-1]
        self.post_out = nn.Linear(decoder.post[-1].in_features + self.latent, decoder.post[-1].out_features)
        with torch.no_grad():   # the skip path folded into the last layer: one product, not two
            self.post_out.weight.copy_(torch.cat([decoder.post[-1].weight, decoder.skip.weight], 1))
            self.post_out.bias.copy_(decoder.post[-1].bias + decoder.skip.bias)
        self.controls = decoder.controls
        self.synth = decoder
        self.sr = dsp.SR
        self.forward_delay = DELAY
        self.latent_size = self.latent
        self.full_latent_size = self.latent
        self.n_channels = 1
        self.target_channels = 1
        self.stereo_mode = False
        self.register_buffer("encode_params", torch.tensor([1, 1, self.latent, self.hop]))
        self.register_buffer("decode_params", torch.tensor([self.latent, self.hop, 1, 1]))
        self.register_buffer("forward_params", torch.tensor([1, 1, 1, 1]))
        self.register_buffer("h", torch.zeros(1, GRU_SIZE))
        self.register_buffer("f0_prev", torch.zeros(1, 1))
        self.register_buffer("harm_prev", torch.zeros(1, 1, dsp.N_HARMONICS))
        self.register_buffer("phase", torch.zeros(1, 1))
        self.register_buffer("grain", torch.zeros(1, dtype=torch.int64))
        self.register_buffer("tail", torch.zeros(1, self.hop))
        self.register_buffer("fresh", torch.ones(1, 1, dtype=torch.bool))

    @torch.jit.export
    def get_methods(self) -> list[str]:
        return ["encode", "decode", "forward"]

    @torch.jit.export
    def reset(self, batch_size: int = 1) -> None:
        """Initial decoder state for ``batch_size`` streams (what a fresh load has for 1)."""
        self.h = torch.zeros(batch_size, self.gru_size)
        self.f0_prev = torch.zeros(batch_size, 1)
        self.harm_prev = torch.zeros(batch_size, 1, self.n_harmonics)
        self.phase = torch.zeros(batch_size, 1)
        self.grain = torch.zeros(batch_size, dtype=torch.int64)
        self.tail = torch.zeros(batch_size, self.hop)
        self.fresh = torch.ones(batch_size, 1, dtype=torch.bool)

    @torch.jit.export
    def encode(self, x: Tensor) -> Tensor:
        mean, _ = self.encoder(self.features(analysis_windows(x[:, 0], self.hop)))
        return mean.transpose(1, 2)

    @torch.jit.export
    def decode(self, z: Tensor) -> Tensor:
        if z.shape[0] != self.h.shape[0]:
            self.reset(z.shape[0])
        if z.shape[1] < self.latent:
            z = nn.functional.pad(z, (0, 0, 0, self.latent - z.shape[1]))
        z = z[:, : self.latent]
        if z.shape[2] == 1:
            return self._step(z[:, :, 0]).unsqueeze(1)
        out = [self._step(z[:, :, t]) for t in range(z.shape[2])]
        if len(out) == 0:
            return torch.zeros(z.shape[0], 1, 0)
        return torch.cat(out, dim=1).unsqueeze(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def _step(self, z: Tensor) -> Tensor:
        """Decode one latent frame ``(B, L)`` into ``(B, HOP)`` samples, advancing the state."""
        x = self.pre(z)
        self.h = self.cell(x, self.h)
        hidden = self.post_hidden(torch.cat([x, self.h], dim=-1))
        f0, _, harm, noise = self.controls(self.post_out(torch.cat([hidden, z], dim=-1)))
        f0 = f0.unsqueeze(1)
        harm = harm.unsqueeze(1)
        audio, self.tail, advance = self.synth.render(
            torch.where(self.fresh, f0, self.f0_prev), f0, self.harm_prev, harm, noise.unsqueeze(1),
            self.phase, self.grain, self.tail)
        self.phase = torch.frac(self.phase + advance)
        self.grain = self.grain + 1
        self.f0_prev = f0
        self.harm_prev = harm
        self.fresh = torch.zeros_like(self.fresh)
        return audio


def fold_pca(encoder: Encoder, decoder: Decoder, mean: Tensor,
             components: Tensor) -> tuple[Encoder, Decoder]:
    """Copies of ``encoder``/``decoder`` working in PCA coordinates ``z' = (z - mean) @ components``.

    ``mean (L,)``; ``components (L, L)`` orthonormal, column i the i-th principal
    axis (decreasing variance). The rotation is folded into the encoder's last layer and the
    decoder's first layer, so the exported model pays nothing for it; a zero latent in PCA
    coordinates is the training mean. Both the MLPs and the linear skip paths are folded.
    """
    encoder = copy.deepcopy(encoder)
    decoder = copy.deepcopy(decoder)
    latent = encoder.latent
    rot = components.T
    with torch.no_grad():
        for layer, centre in ((encoder.net[-1], mean), (encoder.skip, torch.zeros_like(mean))):
            layer.weight[:latent] = rot @ layer.weight[:latent]
            layer.bias[:latent] = rot @ (layer.bias[:latent] - centre)
        for layer in (decoder.pre[0], decoder.skip):
            layer.bias += layer.weight @ mean
            layer.weight.copy_(layer.weight @ components)
    return encoder, decoder


def export(features: Features, encoder: Encoder, decoder: Decoder, mean: Tensor,
           components: Tensor, path: Path) -> torch.jit.ScriptModule:
    """Fold the PCA rotation, script the streaming model, save it atomically to ``path`` and
    return it."""
    encoder, decoder = fold_pca(encoder, decoder, mean, components)
    module = StreamingModel(copy.deepcopy(features), encoder, decoder).eval()
    module.requires_grad_(False)
    scripted = torch.jit.script(module)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    scripted.save(str(partial))
    partial.replace(path)
    return scripted
