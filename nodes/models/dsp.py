"""Signal-processing primitives shared by training, analysis and the exported model.

Every function here is TorchScript-compatible, so the exported model runs exactly the code that
training ran. Conventions (the whole package follows them):

* sample rate ``SR = 44100`` Hz, mono, float32 audio in [-1, 1];
* one latent frame = ``HOP = 256`` samples (5.8 ms); a frame's synthesiser controls are
  *anchored at the frame's end*: within frame t they move linearly from anchor t-1 to anchor t;
* harmonic amplitudes are linear (peak amplitude of each sinusoid), f0 in Hz;
* filtered noise is built from one windowed grain of ``GRAIN = 2 * HOP`` samples per frame,
  overlap-added at ``HOP``; each grain is shaped by ``N_BANDS`` band gains (linear; a gain of 1
  in every band gives unit-variance white noise);
* noise comes from a counter-based hash (:func:`hash_noise`), never from a global RNG, stored
  as two tables of grains (:func:`noise_tables`): the same grain number always gives the same
  samples, which makes the decoder deterministic and streamable.

None of these functions keep state or use threads of their own; torch's intra-op pool applies.
"""

import math

import torch
from torch import Tensor

SR = 44100
HOP = 256
N_HARMONICS = 64
N_BANDS = 64
GRAIN = 2 * HOP
BAND_LOW_HZ = 40.0
BAND_HIGH_HZ = 20000.0
F0_REF_HZ = 440.0
F0_OCTAVES = 4.5
NOISE_ROWS_A = 509
NOISE_ROWS_B = 503


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


def noise_tables(grain: int = GRAIN, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Two tables of unit-variance white-noise grains, ``(NOISE_ROWS_A, grain)`` and
    ``(NOISE_ROWS_B, grain)``, from :func:`hash_noise` (deterministic for a seed).

    Grain g mixes row ``g % NOISE_ROWS_A`` of the first with row ``g % NOISE_ROWS_B`` of the
    second (:func:`noise_frames`); the row counts are coprime, so the pair repeats only after
    ``NOISE_ROWS_A * NOISE_ROWS_B`` grains (about 25 minutes at HOP 256), while each frame costs
    two row reads instead of hashing GRAIN counters.
    """
    counters = torch.arange((NOISE_ROWS_A + NOISE_ROWS_B) * grain) + seed * (1 << 31)
    white = hash_noise(counters).reshape(-1, grain)
    return white[:NOISE_ROWS_A].clone(), white[NOISE_ROWS_A:].clone()


def noise_frames(gains: Tensor, grain_index: Tensor, table_a: Tensor, table_b: Tensor,
                 bands: Tensor, window: Tensor, tail: Tensor) -> tuple[Tensor, Tensor]:
    """Filtered noise for T consecutive frames, one grain per frame.

    gains: ``(B, T, N_BANDS)`` linear band gains of each frame's grain.
    grain_index: ``(B, T)`` int64 absolute grain numbers; a grain's white noise depends on its
    number only (rows of ``table_a``/``table_b`` from :func:`noise_tables`).
    bands: ``band_matrix(GRAIN // 2 + 1)``; window: ``sqrt_hann(GRAIN)``.
    tail: ``(B, HOP)`` second half of the previous frame's grain (zeros at a start).
    Frame t is the first half of grain t plus the second half of grain t-1. Returns
    ``(audio (B, T, HOP), tail for the next call (B, HOP))``; the noise's power spectrum is
    ``|gains @ bands|**2`` (the squared windows overlap-add to 1).
    """
    hop = window.shape[0] // 2
    white = (table_a[grain_index % table_a.shape[0]] + table_b[grain_index % table_b.shape[0]])
    spec = torch.fft.rfft(white, dim=-1) * torch.matmul(gains, bands)
    grains = torch.fft.irfft(spec, n=window.shape[0], dim=-1) * window
    previous = torch.cat([tail.unsqueeze(1), grains[:, :-1, hop:]], dim=1)
    return grains[..., :hop] + previous, grains[:, -1, hop:]


def harmonic_frames(f0_a: Tensor, f0_b: Tensor, amp_a: Tensor, amp_b: Tensor, phase0: Tensor,
                    ramp: Tensor, numbers: Tensor, sr: int = SR) -> tuple[Tensor, Tensor]:
    """Harmonic oscillator bank over segments whose controls interpolate linearly.

    Each of the ``(B, T)`` segments lasts ``n`` samples; ``ramp`` is ``arange(n) / n`` and
    ``numbers`` the harmonic numbers ``1..K`` as a ``(K, 1)`` column. f0 goes linearly from
    ``f0_a`` (Hz) at the segment's start to ``f0_b`` at its end (reached at the next segment's
    first sample); harmonic amplitudes ``amp_a``/``amp_b`` ``(B, T, K)`` interpolate the same
    way, so the output is ``sum_k ((1 - w) amp_a[k] + w amp_b[k]) sin(2 pi k phi)`` with ``w``
    going 0 → 1. ``phase0`` ``(B, T)`` is the fundamental's phase ``phi`` in cycles at each
    segment's first sample. Harmonics at or above Nyquist (for the higher of the two f0 anchors)
    are silenced. The sum is computed directly: K sines per sample, one matrix product.
    Returns ``(audio (B, T, n), advance (B, T))``, ``advance`` being each segment's phase advance
    in cycles (the next segment starts at ``phase0 + advance``).
    """
    inc = (f0_a.unsqueeze(-1) + (f0_b - f0_a).unsqueeze(-1) * ramp) * (1.0 / sr)
    cyc = torch.cumsum(inc, dim=-1)
    phi = torch.frac(phase0.unsqueeze(-1) + cyc - inc)
    alias = numbers.squeeze(-1) * torch.maximum(f0_a, f0_b).unsqueeze(-1) < 0.5 * sr
    amps = torch.stack([amp_a, amp_b], dim=-2) * alias.unsqueeze(-2)
    sines = torch.sin(numbers * (2.0 * math.pi * phi).unsqueeze(-2))
    ends = torch.matmul(amps, sines)
    start = ends[..., 0, :]
    return start + (ends[..., 1, :] - start) * ramp, cyc[..., -1]


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
