"""The model trained by ``nodegraph train``: a small variational autoencoder with a DDSP decoder.

* :class:`Features` – fixed analysis of the audio just before each frame's end: a 64-band log
  spectrum of the last ``SPEC_WINDOW`` samples, YIN pitch and aperiodicity of the last
  ``PITCH_WINDOW`` samples, and two levels; standardised with statistics of the training set.
  Frame t's features need samples up to the end of frame t only (causal).
* :class:`Encoder` – an MLP (plus a linear skip path) from those features to a diagonal
  Gaussian posterior over ``LATENT`` dimensions. Each frame is encoded on its own.
* :class:`Decoder` – a causal network (MLP, GRU, MLP) that reads one latent frame at a time and
  emits the synthesiser controls of that frame's end: f0, a voicing probability, ``N_HARMONICS``
  harmonic amplitudes and ``N_BANDS`` noise gains; and the synthesiser (:meth:`Decoder.render`)
  that turns consecutive anchors into audio with an oscillator bank and filtered-noise grains,
  followed by a bounded output stage.

Timing: frame t's latent describes the input around sample ``(t + 1) * HOP - DELAY`` (the middle
of its spectrum window) and its controls are heard at the end of decoded frame t, so decoding the
encoded input reproduces it ``DELAY`` samples late.

Shapes: audio ``(B, N)``, analysis windows ``(B, T, PITCH_WINDOW)``, features
``(B, T, N_FEATURES)``, latents ``(B, T, LATENT)``, controls ``(B, T)`` / ``(B, T, N_HARMONICS)``
/ ``(B, T, N_BANDS)``. All modules are scriptable; the streaming export
(:mod:`nodes.models.export`) reuses them.
"""

from typing import Final

import torch
from torch import Tensor, nn

from nodes.models import dsp

LATENT = 8
SPEC_WINDOW = 1024
PITCH_WINDOW = 2048
DELAY = SPEC_WINDOW // 2
SPEC_BANDS = 64
N_FEATURES = SPEC_BANDS + 2 + 2
HIDDEN = 256
DECODER_HIDDEN = 128
GRU_SIZE = 128
N_CONTROLS = 3 + dsp.N_HARMONICS + dsp.N_BANDS
NOISE_OFFSET = 4.0   # initial bias of the level and noise outputs (about -75 dB)


def analysis_windows(audio: Tensor, hop: int = dsp.HOP, size: int = PITCH_WINDOW) -> Tensor:
    """``(B, N) -> (B, N // hop, size)``: for each whole frame, the ``size`` samples ending at
    its end (zeros before the start of the audio)."""
    n_frames = audio.shape[-1] // hop
    padded = nn.functional.pad(audio[:, : n_frames * hop], (size - hop, 0))
    return padded.unfold(-1, size, hop)


class Features(nn.Module):
    """Frame analysis front end (no learned weights; standardisation set from data).

    ``forward(windows (B, T, PITCH_WINDOW)) -> (B, T, N_FEATURES)``: log band energies of the
    Hann-windowed last ``SPEC_WINDOW`` samples (64 triangular bands, 40 Hz-20 kHz), YIN log2-f0
    and aperiodicity of the whole window, log RMS of the last ``HOP`` and ``SPEC_WINDOW``
    samples; then ``(x - mean) / std``.
    """

    hop: Final[int]
    spec_window: Final[int]

    def __init__(self, hop: int = dsp.HOP) -> None:
        super().__init__()
        self.hop = hop
        self.spec_window = SPEC_WINDOW
        self.register_buffer("window", torch.hann_window(SPEC_WINDOW, periodic=True))
        self.register_buffer("filterbank", dsp.band_matrix(SPEC_WINDOW // 2 + 1, dsp.SR, SPEC_BANDS).T)
        self.register_buffer("mean", torch.zeros(N_FEATURES))
        self.register_buffer("std", torch.ones(N_FEATURES))

    def raw(self, windows: Tensor) -> Tensor:
        """Unstandardised features of ``(B, T, PITCH_WINDOW)`` analysis windows."""
        recent = windows[..., -self.spec_window:]
        power = torch.fft.rfft(recent * self.window, dim=-1).abs() ** 2
        spectrum = torch.log10(torch.matmul(power, self.filterbank) + 1e-10)
        f0, aperiodicity = dsp.yin(windows)
        frame = windows[..., -self.hop:]
        level = 0.5 * torch.log10(torch.stack([(frame * frame).mean(-1), (recent * recent).mean(-1)], -1)
                                  + 1e-10)
        return torch.cat([spectrum, torch.log2(f0 / 440.0).unsqueeze(-1),
                          aperiodicity.unsqueeze(-1), level], dim=-1)

    def forward(self, windows: Tensor) -> Tensor:
        return (self.raw(windows) - self.mean) / self.std


class Encoder(nn.Module):
    """``forward(features (B, T, N_FEATURES)) -> (mean, logvar)``, each ``(B, T, LATENT)``.

    An MLP plus a linear skip path (so that features such as YIN pitch can pass linearly).
    """

    latent: Final[int]

    def __init__(self, latent: int = LATENT) -> None:
        super().__init__()
        self.latent = latent
        self.net = nn.Sequential(
            nn.Linear(N_FEATURES, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, 2 * latent),
        )
        self.skip = nn.Linear(N_FEATURES, 2 * latent)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(features) + self.skip(features)
        return out[..., : self.latent], out[..., self.latent:].clamp(-12.0, 6.0)


class Controls(nn.Module):
    """Bounded synthesiser controls from the decoder network's raw outputs.

    ``forward(out (..., N_CONTROLS)) -> (f0, voicing, harm, noise)``. Raw outputs are laid out
    as ``[f0, voicing, level, N_BANDS noise gains, N_HARMONICS harmonic weights]``: f0 Hz is
    ``F0_REF_HZ * 2 ** (F0_OCTAVES * tanh(o / F0_OCTAVES))`` (linear in octaves near the middle,
    bounded to 19 Hz-10 kHz); voicing in (0, 1); the level and the noise band gains go through
    :func:`dsp.exp_sigmoid`, into (0, 2); harmonic amplitudes are ``voicing * level *
    softmax(weights)``. On an unvoiced frame the harmonics fade out with the voicing, so noise
    comes back as noise.
    """

    n_bands: Final[int]
    f0_ref: Final[float]
    f0_octaves: Final[float]

    def __init__(self) -> None:
        super().__init__()
        self.n_bands = dsp.N_BANDS
        self.f0_ref = dsp.F0_REF_HZ
        self.f0_octaves = dsp.F0_OCTAVES

    def forward(self, out: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        f0 = self.f0_ref * torch.exp2(self.f0_octaves * torch.tanh(out[..., 0] / self.f0_octaves))
        voicing = torch.sigmoid(out[..., 1:2])
        gains = dsp.exp_sigmoid(out[..., 2: 3 + self.n_bands])
        harm = (voicing * gains[..., :1]) * torch.softmax(out[..., 3 + self.n_bands:], dim=-1)
        return f0, voicing.squeeze(-1), harm, gains[..., 1:]


class Decoder(nn.Module):
    """Causal control network plus DDSP synthesiser.

    ``hop`` samples per frame, each frame's noise grain ``2 * hop`` long.
    ``forward(z (B, T, LATENT), h (1, B, GRU_SIZE)) -> (raw controls (B, T, N_CONTROLS), h)``:
    an MLP on each latent frame, a GRU over frames, an MLP on the GRU output and the first
    MLP's features, plus a linear skip path from the latent. :attr:`controls` bounds the raw
    outputs (see :class:`Controls`). The export steps the same weights one frame per call with
    a ``GRUCell``.
    """

    hop: Final[int]
    latent: Final[int]

    def __init__(self, latent: int = LATENT, hop: int = dsp.HOP) -> None:
        super().__init__()
        self.hop = hop
        self.latent = latent
        self.pre = nn.Sequential(nn.Linear(latent, DECODER_HIDDEN), nn.SiLU(),
                                 nn.Linear(DECODER_HIDDEN, DECODER_HIDDEN), nn.SiLU())
        self.gru = nn.GRU(DECODER_HIDDEN, GRU_SIZE, batch_first=True)
        self.post = nn.Sequential(nn.Linear(DECODER_HIDDEN + GRU_SIZE, DECODER_HIDDEN), nn.SiLU(),
                                  nn.Linear(DECODER_HIDDEN, N_CONTROLS))
        self.skip = nn.Linear(latent, N_CONTROLS)
        self.controls = Controls()
        with torch.no_grad():   # start quiet rather than at full scale
            self.post[-1].bias[2: 3 + dsp.N_BANDS] = -NOISE_OFFSET
        self.register_buffer("bands", dsp.band_matrix(hop + 1))
        self.register_buffer("grain_window", dsp.sqrt_hann(2 * hop))
        table_a, table_b = dsp.noise_tables(2 * hop)
        self.register_buffer("noise_a", table_a * 0.5 ** 0.5)
        self.register_buffer("noise_b", table_b * 0.5 ** 0.5)
        self.register_buffer("ramp", torch.arange(hop) / hop)
        self.register_buffer("numbers", torch.arange(1, dsp.N_HARMONICS + 1.0).unsqueeze(-1))

    def forward(self, z: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
        x = self.pre(z)
        y, h = self.gru(x, h)
        return self.post(torch.cat([x, y], dim=-1)) + self.skip(z), h

    def render(self, f0_a: Tensor, f0_b: Tensor, harm_a: Tensor, harm_b: Tensor, noise: Tensor,
               phase0: Tensor, grain0: Tensor, tail: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Audio for T consecutive frames from their start (``_a``) and end (``_b``) anchors.

        f0 ``(B, T)``, harm ``(B, T, K)``; noise ``(B, T, N_BANDS)`` the gains of each frame's
        grain (centred on its end anchor); ``phase0 (B, T)`` the fundamental's phase (cycles)
        at each frame start; ``grain0 (B,)`` int64 number of the first frame's grain; ``tail
        (B, HOP)`` the second half of the previous frame's grain (zeros at a start).
        Returns ``(audio (B, T * HOP) in (-1, 1), tail for the next call (B, HOP),
        phase advance per frame (B, T) in cycles)``.
        """
        b, t = f0_a.shape
        tonal, advance = dsp.harmonic_frames(f0_a, f0_b, harm_a, harm_b, phase0, self.ramp,
                                             self.numbers)
        index = grain0.unsqueeze(1) + torch.arange(t, device=f0_a.device)
        noisy, tail = dsp.noise_frames(noise, index, self.noise_a, self.noise_b, self.bands,
                                       self.grain_window, tail)
        audio = dsp.soft_clip((tonal + noisy).reshape(b, t * self.hop))
        return audio, tail, advance
