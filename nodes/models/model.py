"""The default model: a small variational autoencoder with a DDSP decoder, in the spirit of RAVE.

* :class:`Features` – fixed, frame-local analysis of one latent frame (``HOP`` samples): a
  64-band log spectrum, YIN pitch and aperiodicity, and four sub-block levels, standardised.
* :class:`Encoder` – an MLP (plus a linear skip path) from those features to a diagonal
  Gaussian posterior over ``LATENT`` dimensions. Each frame is encoded on its own, so the
  encoder has no state.
* :class:`Decoder` – a causal network that reads the last ``CONTEXT`` latent frames and emits
  one set of synthesiser controls (f0, ``N_HARMONICS`` harmonic amplitudes, ``N_BANDS`` noise
  gains) anchored at the frame centre, and the synthesiser (:meth:`Decoder.render`) that turns
  consecutive anchors into audio with an oscillator bank and filtered-noise grains, followed by
  a bounded output stage.

Shapes: frames ``(B, T, HOP)``, features ``(B, T, N_FEATURES)``, latents ``(B, T, LATENT)``,
controls ``(B, T)`` / ``(B, T, N_HARMONICS)`` / ``(B, T, N_BANDS)``. All modules are scriptable;
the streaming export (:mod:`nodes.models.export`) reuses them unchanged.
"""

from typing import Final

import torch
from torch import Tensor, nn

from nodes.models import dsp

LATENT = 8
CONTEXT = 3
SPEC_BANDS = 64
N_FEATURES = SPEC_BANDS + 2 + 4
HIDDEN = 256
N_CONTROLS = 3 + dsp.N_HARMONICS + dsp.N_BANDS


class Features(nn.Module):
    """Frame-local analysis front end (no learned weights; standardisation set from data).

    ``forward(frames (B, T, HOP)) -> (B, T, N_FEATURES)``: log band energies of a Hann-windowed
    spectrum (64 triangular bands, 40 Hz-20 kHz), YIN log2-f0 and aperiodicity, and the
    log RMS of the frame's four quarters; then ``(x - mean) / std``.
    """

    hop: Final[int]

    def __init__(self) -> None:
        super().__init__()
        self.hop = dsp.HOP
        self.register_buffer("window", torch.hann_window(dsp.HOP, periodic=True))
        self.register_buffer("filterbank",
                             dsp.band_matrix(dsp.HOP // 2 + 1, dsp.SR, SPEC_BANDS, 40.0, 20000.0).T)
        self.register_buffer("mean", torch.zeros(N_FEATURES))
        self.register_buffer("std", torch.ones(N_FEATURES))

    def raw(self, frames: Tensor) -> Tensor:
        """Unstandardised features of ``(B, T, HOP)`` frames."""
        power = torch.fft.rfft(frames * self.window, dim=-1).abs() ** 2
        spectrum = torch.log10(torch.matmul(power, self.filterbank) + 1e-10)
        f0, aperiodicity = dsp.yin(frames)
        quarters = frames.reshape(frames.shape[0], frames.shape[1], 4, self.hop // 4)
        level = 0.5 * torch.log10((quarters * quarters).mean(dim=-1) + 1e-10)
        return torch.cat([spectrum, torch.log2(f0 / 440.0).unsqueeze(-1),
                          aperiodicity.unsqueeze(-1), level], dim=-1)

    def forward(self, frames: Tensor) -> Tensor:
        return (self.raw(frames) - self.mean) / self.std


class Encoder(nn.Module):
    """``forward(features (B, T, N_FEATURES)) -> (mean, logvar)``, each ``(B, T, LATENT)``.

    An MLP plus a linear skip path (so that features such as YIN pitch can pass linearly).
    """

    latent: Final[int]

    def __init__(self) -> None:
        super().__init__()
        self.latent = LATENT
        self.net = nn.Sequential(
            nn.Linear(N_FEATURES, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, 2 * LATENT),
        )
        self.skip = nn.Linear(N_FEATURES, 2 * LATENT)

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        out = self.net(features) + self.skip(features)
        return out[..., : self.latent], out[..., self.latent:].clamp(-12.0, 6.0)


class Decoder(nn.Module):
    """Causal control network plus DDSP synthesiser.

    ``controls(context)`` maps ``(..., CONTEXT * LATENT)`` — latent frames t-2, t-1, t
    concatenated in that order — to the anchors of frame t: f0 ``(...)`` Hz, ``F0_REF_HZ *
    2 ** (F0_OCTAVES * tanh(o / F0_OCTAVES))`` (linear in octaves near the middle, bounded to
    19 Hz-10 kHz), harmonic amplitudes ``(..., N_HARMONICS)`` and noise band gains
    ``(..., N_BANDS)``. Amplitudes are factored as in DDSP: an overall level ``L`` in (0, 2), a
    tonal/noise balance ``m`` in (0, 1) and two softmax distributions, ``harm = L * m *
    softmax(h)`` and ``noise = L * (1 - m) * N_BANDS * softmax(n)``; so moving between a tone
    and a noise crossfades them at a steady level. The network is an MLP plus a linear skip
    path. Every output is bounded, so any latent, however far outside the training range, gives
    finite controls.
    """

    hop: Final[int]
    n_harmonics: Final[int]
    n_bands: Final[int]
    grains_per_frame: Final[int]
    grain_hop: Final[int]
    f0_ref: Final[float]
    f0_octaves: Final[float]

    def __init__(self) -> None:
        super().__init__()
        self.hop = dsp.HOP
        self.n_harmonics = dsp.N_HARMONICS
        self.n_bands = dsp.N_BANDS
        self.grains_per_frame = dsp.GRAINS_PER_FRAME
        self.grain_hop = dsp.GRAIN_HOP
        self.f0_ref = dsp.F0_REF_HZ
        self.f0_octaves = dsp.F0_OCTAVES
        self.net = nn.Sequential(
            nn.Linear(CONTEXT * LATENT, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, HIDDEN), nn.SiLU(),
            nn.Linear(HIDDEN, N_CONTROLS),
        )
        self.skip = nn.Linear(CONTEXT * LATENT, N_CONTROLS)
        with torch.no_grad():
            # Start quiet (level about -100 dB) rather than at full scale.
            self.net[-1].bias[1] = -5.0
        self.register_buffer("bands", dsp.band_matrix(dsp.GRAIN // 2 + 1))
        self.register_buffer("grain_window", dsp.sqrt_hann(dsp.GRAIN))
        self.register_buffer("grain_position",
                             torch.arange(1, dsp.GRAINS_PER_FRAME + 1) / dsp.GRAINS_PER_FRAME)

    def controls(self, context: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        out = self.net(context) + self.skip(context)
        f0 = self.f0_ref * torch.exp2(self.f0_octaves * torch.tanh(out[..., 0] / self.f0_octaves))
        level = dsp.exp_sigmoid(out[..., 1:2], 2.0)
        tonal = torch.sigmoid(out[..., 2:3])
        harm = level * tonal * torch.softmax(out[..., 3: 3 + self.n_harmonics], dim=-1)
        noise = (level * (1.0 - tonal) * self.n_bands) * torch.softmax(
            out[..., 3 + self.n_harmonics:], dim=-1)
        return f0, harm, noise

    def render(self, f0_a: Tensor, f0_b: Tensor, harm_a: Tensor, harm_b: Tensor, noise_a: Tensor,
               noise_b: Tensor, phase0: Tensor, grain0: Tensor,
               tail: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Audio for T consecutive frames from their start (``_a``) and end (``_b``) anchors.

        f0 ``(B, T)``, harm ``(B, T, K)``, noise ``(B, T, M)``; ``phase0 (B, T)`` the fundamental's
        phase (cycles) at each frame start; ``grain0 (B,)`` int64 number of the first frame's
        first noise grain (frame t uses grains ``grain0 + 4t .. grain0 + 4t + 3``); ``tail
        (B, GRAIN_HOP)`` the second half of the previous frame's last grain (zeros at a start).
        Returns ``(audio (B, T * HOP) in (-1, 1), tail for the next call (B, GRAIN_HOP),
        phase advance per frame (B, T) in cycles)``.
        """
        b, t = f0_a.shape
        tonal, advance = dsp.harmonic_frames(f0_a, f0_b, harm_a, harm_b, phase0, self.hop)
        pos = self.grain_position.unsqueeze(-1)
        gains = noise_a.unsqueeze(2) * (1.0 - pos) + noise_b.unsqueeze(2) * pos
        gains = gains.reshape(b, t * self.grains_per_frame, self.n_bands)
        index = grain0.unsqueeze(1) + torch.arange(t * self.grains_per_frame, device=f0_a.device)
        grains = dsp.noise_grains(gains, index, self.bands, self.grain_window)
        noisy = dsp.overlap_add(grains)
        n = t * self.hop
        noisy_frames = noisy[:, :n] + nn.functional.pad(tail, (0, n - self.grain_hop))
        audio = dsp.soft_clip(tonal.reshape(b, n) + noisy_frames)
        return audio, noisy[:, n:], advance


def context_windows(z: Tensor) -> Tensor:
    """``(B, T, LATENT) -> (B, T - CONTEXT + 1, CONTEXT * LATENT)``: sliding causal contexts."""
    return torch.cat([z[:, i: z.shape[1] - CONTEXT + 1 + i] for i in range(CONTEXT)], dim=-1)
