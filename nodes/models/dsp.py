"""Signal-processing primitives shared by the corpus synthesizer, the model and its export.

Every function here is TorchScript-compatible, so the exported model runs exactly the code that
training ran. Conventions (the whole package follows them):

* sample rate ``SR = 44100`` Hz, mono, float32 audio in [-1, 1];
* one latent frame = ``HOP = 2048`` samples; a frame's controls are *anchored at the frame
  centre* and the decoder interpolates linearly from the previous anchor to the current one, so
  decoded audio lags the encoded input by ``HOP // 2`` samples (the model's delay);
* harmonic amplitudes are linear (peak amplitude of each sinusoid), f0 in Hz;
* filtered noise is built from windowed grains of ``GRAIN = 1024`` samples every ``GRAIN_HOP =
  512`` samples (four per frame), each shaped by ``N_BANDS`` band gains (linear, a gain of 1 in
  every band gives unit-variance white noise);
* noise comes from a counter-based hash (:func:`hash_noise`), never from a global RNG: the same
  counters always give the same samples, which makes the decoder deterministic and streamable.

None of these functions keep state or use threads of their own; torch's intra-op pool applies.
"""

import math

import torch
from torch import Tensor

SR = 44100
HOP = 2048
N_HARMONICS = 64
N_BANDS = 32
GRAIN = 1024
GRAIN_HOP = 512
GRAINS_PER_FRAME = HOP // GRAIN_HOP
WAVETABLE = 4096
BAND_LOW_HZ = 60.0
BAND_HIGH_HZ = 18000.0
F0_REF_HZ = 440.0
F0_OCTAVES = 4.5


def hash_noise(counter: Tensor) -> Tensor:
    """Deterministic white noise from integer counters (counter-based PRNG).

    ``counter`` is an int64 tensor of any shape; only its low 32 bits matter, so sequences repeat
    after 2**32 counters (the decoder draws 2 per output sample: about 13.5 h). Each counter goes
    through the "lowbias32" integer hash (C. Wellons) and the top 24 bits become a uniform value,
    scaled to zero mean and unit variance. Returns float32 of the same shape. Relies on int64
    multiplication wrapping modulo 2**64, which holds for torch's CPU and CUDA kernels; only the
    low 32 bits of each product are kept.
    """
    x = counter & 0xFFFFFFFF
    x = x ^ (x >> 16)
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x = x ^ (x >> 15)
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x = x ^ (x >> 16)
    u = (x >> 8).to(torch.float32) * (2.0 / 16777216.0) - 1.0
    return u * math.sqrt(3.0)


def band_matrix(n_bins: int, sr: int = SR, n_bands: int = N_BANDS, low_hz: float = BAND_LOW_HZ,
                high_hz: float = BAND_HIGH_HZ) -> Tensor:
    """Piecewise-linear interpolation matrix from band gains to FFT-bin gains, ``(n_bands, n_bins)``.

    Band centres are log-spaced from ``low_hz`` to ``high_hz``; a bin's gain interpolates
    linearly in log-frequency between its two neighbouring centres and is held constant outside
    the range, so the columns sum to 1 (equal band gains give a flat response). Transposed, the
    same matrix is a triangular filterbank (the encoder's log-band spectrum).
    """
    centres = torch.logspace(math.log10(low_hz), math.log10(high_hz), n_bands,
                             dtype=torch.float64)
    freqs = torch.linspace(0.0, sr / 2.0, n_bins, dtype=torch.float64).clamp(min=low_hz)
    lf = torch.log(freqs).clamp(max=math.log(high_hz))
    lc = torch.log(centres)
    pos = torch.searchsorted(lc, lf).clamp(1, n_bands - 1)
    lo = lc[pos - 1]
    hi = lc[pos]
    w = ((lf - lo) / (hi - lo)).clamp(0.0, 1.0)
    m = torch.zeros(n_bands, n_bins, dtype=torch.float64)
    cols = torch.arange(n_bins)
    m[pos - 1, cols] = 1.0 - w
    m[pos, cols] += w
    return m.to(torch.float32)


def sqrt_hann(n: int) -> Tensor:
    """Periodic square-root Hann window of length ``n``; its squares overlap-add to 1 at hop n/2."""
    return torch.sqrt(torch.hann_window(n, periodic=True, dtype=torch.float32))


def noise_grains(gains: Tensor, grain_index: Tensor, bands: Tensor, window: Tensor) -> Tensor:
    """Filtered-noise grains.

    gains: ``(B, G, N_BANDS)`` linear band gains, one row per grain.
    grain_index: ``(B, G)`` int64 absolute grain numbers; grain ``g`` draws its white noise from
    counters ``g * GRAIN + i``, so a grain's noise depends on its number only.
    bands: ``band_matrix(GRAIN // 2 + 1)``; window: ``sqrt_hann(GRAIN)``.
    Returns ``(B, G, GRAIN)`` windowed grains; overlap-add them at ``GRAIN_HOP`` (see
    :func:`overlap_add`) for noise whose power spectrum is ``|gains @ bands|**2``.
    """
    size = window.shape[0]
    counters = grain_index.unsqueeze(-1) * size + torch.arange(size, device=gains.device)
    white = hash_noise(counters)
    spec = torch.fft.rfft(white, dim=-1) * torch.matmul(gains, bands)
    return torch.fft.irfft(spec, n=size, dim=-1) * window


def overlap_add(grains: Tensor) -> Tensor:
    """Overlap-add ``(B, G, L)`` grains at hop ``L // 2``; returns ``(B, (G + 1) * L // 2)``.

    Output sample 0 is the start of grain 0.
    """
    b, g, size = grains.shape
    hop = size // 2
    first = grains[:, :, :hop].reshape(b, g * hop)
    second = grains[:, :, hop:].reshape(b, g * hop)
    zeros = torch.zeros(b, hop, dtype=grains.dtype, device=grains.device)
    return torch.cat([first, zeros], dim=1) + torch.cat([zeros, second], dim=1)


def harmonic_frames(f0_a: Tensor, f0_b: Tensor, amp_a: Tensor, amp_b: Tensor, phase0: Tensor,
                    n: int, sr: int = SR, table_size: int = WAVETABLE) -> tuple[Tensor, Tensor]:
    """Harmonic oscillator bank over segments whose controls interpolate linearly.

    Each of the ``(B, T)`` segments lasts ``n`` samples; f0 goes linearly from ``f0_a`` (Hz, at
    the segment's first sample) towards ``f0_b`` (reached at the next segment's first sample);
    harmonic amplitudes ``amp_a``/``amp_b`` ``(B, T, K)`` interpolate the same way, so the
    output is ``sum_k ((1 - w) amp_a[k] + w amp_b[k]) sin(2 pi k phi)`` with ``w`` going 0 → 1.
    ``phase0`` ``(B, T)`` is the fundamental's phase ``phi`` in cycles at each segment's first
    sample. Harmonics at or above Nyquist (for the higher of the two f0 anchors) are silenced.

    The bank is computed as two single-cycle wavetables per segment (one inverse FFT of
    ``table_size`` points from each anchor's amplitudes) read at phase ``phi`` with linear
    interpolation: the same sum, at a cost independent of K (interpolation error below -65 dB
    for the 64th harmonic with 4096 points).
    Returns ``(audio (B, T, n), advance (B, T))``, ``advance`` being each segment's phase advance
    in cycles (the next segment starts at ``phase0 + advance``).
    """
    k = amp_a.shape[-1]
    w = torch.arange(n, dtype=f0_a.dtype, device=f0_a.device) / n
    inc = (f0_a.unsqueeze(-1) + (f0_b - f0_a).unsqueeze(-1) * w) / sr
    cyc = torch.cumsum(inc, dim=-1)
    advance = cyc[..., -1]
    phi = torch.frac(phase0.unsqueeze(-1) + cyc - inc)
    harm = torch.arange(1, k + 1, dtype=f0_a.dtype, device=f0_a.device)
    alias = harm * torch.maximum(f0_a, f0_b).unsqueeze(-1) < 0.5 * sr
    amps = torch.stack([amp_a * alias, amp_b * alias], dim=-2)
    # irfft of -i * a_k * N / 2 at bin k is a_k * sin(2 pi k j / N): one cycle of the sum.
    bins = torch.nn.functional.pad(amps * (-0.5 * table_size), (1, table_size // 2 - k))
    tables = torch.fft.irfft(torch.complex(torch.zeros_like(bins), bins), n=table_size)
    pos = phi.unsqueeze(-2) * table_size
    left = torch.floor(pos)
    frac = pos - left
    i0 = left.to(torch.int64).clamp(0, table_size - 1).expand(amps.shape[:-1] + (n,))
    i1 = (i0 + 1) % table_size
    y0 = torch.gather(tables, -1, i0)
    ab = y0 + frac * (torch.gather(tables, -1, i1) - y0)
    audio = ab[..., 0, :] * (1.0 - w) + ab[..., 1, :] * w
    return audio, advance


def soft_clip(x: Tensor) -> Tensor:
    """Bounded output stage: ``x / (1 + x**4) ** 0.25``, |y| < 1 for every finite x.

    Nearly linear at normal levels (-0.5 dB at |x| = 0.5), so it costs little fidelity.
    """
    return x * torch.rsqrt(torch.sqrt(1.0 + x ** 4))


def exp_sigmoid(x: Tensor, max_value: float = 2.0, threshold: float = 1e-7) -> Tensor:
    """DDSP's positive, bounded activation: ``max_value * sigmoid(x) ** ln(10) + threshold``."""
    return max_value * torch.sigmoid(x) ** math.log(10.0) + threshold


def yin(frames: Tensor, sr: int = SR, threshold: float = 0.15,
        f0_max: float = 2000.0) -> tuple[Tensor, Tensor]:
    """YIN pitch estimate (de Cheveigné & Kawahara 2002) of each frame, fully vectorised.

    frames: ``(..., N)`` audio, N even; the difference function compares the first N/2 samples
    with lags up to N/2 - 1, so f0 ranges from ``sr / (N/2 - 1)`` (43 Hz for N = 2048) to
    ``f0_max``. Returns ``(f0 Hz, aperiodicity)``, both ``(...)``: the first lag whose cumulative
    mean normalised difference is a local minimum below ``threshold`` (else the global minimum),
    refined by parabolic interpolation; aperiodicity is the normalised difference there
    (near 0 periodic, near 1 noise or silence).
    """
    n = frames.shape[-1]
    w = n // 2
    spec_a = torch.fft.rfft(frames[..., :w], n=2 * n)
    spec_b = torch.fft.rfft(frames, n=2 * n)
    corr = torch.fft.irfft(torch.conj(spec_a) * spec_b, n=2 * n)[..., : w + 1]
    energy = torch.nn.functional.pad(torch.cumsum(frames * frames, dim=-1), (1, 0))
    diff = energy[..., w: w + 1] + energy[..., w: 2 * w + 1] - energy[..., : w + 1] - 2.0 * corr
    diff = diff[..., 1:].clamp(min=0.0)
    # A small floor makes silence read as aperiodic instead of 0/0.
    floor = 1e-9 * w
    lags = torch.arange(1, w + 1, dtype=frames.dtype, device=frames.device)
    cmnd = (diff + floor) * lags / (torch.cumsum(diff, dim=-1) + lags * floor)
    lo = int(sr / f0_max)
    inner = cmnd[..., lo - 1: w - 2]
    left = cmnd[..., lo - 2: w - 3]
    right = cmnd[..., lo: w - 1]
    dips = (inner < threshold) & (inner <= left) & (inner <= right)
    first = torch.argmax(dips.to(torch.int32), dim=-1)
    best = torch.where(dips.any(dim=-1), first, torch.argmin(inner, dim=-1)).unsqueeze(-1)
    c = inner.gather(-1, best)
    a = left.gather(-1, best)
    b = right.gather(-1, best)
    den = a - 2.0 * c + b
    shift = torch.where(den.abs() > 1e-12, 0.5 * (a - b) / den, torch.zeros_like(den))
    lag = best.to(frames.dtype) + lo + shift.clamp(-1.0, 1.0)
    return (sr / lag).squeeze(-1), c.squeeze(-1)
