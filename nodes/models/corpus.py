"""Seeded synthetic training corpus for the default model.

No recordings can be downloaded here, so the corpus is synthesized: every clip is drawn from its
own random stream ``numpy.random.default_rng((seed, index))``, so a clip depends only on the seed
and its index (same seed → same audio, bit for bit, on the same platform), and the held-out test
split is simply the clips with index ``>= n_train``.

Four kinds of clip, each 48-96 frames (2.2-4.5 s) at 44.1 kHz mono:

* ``tone``   – harmonic tones, 50-1500 Hz, note sequences with glides, vibrato, ADSR envelopes,
  tremolo, moving brightness (low-pass cut-off and spectral slope), odd/even balance, a per-clip
  spectral fingerprint and breath noise from barely audible to dominant;
* ``noise``  – filtered-noise textures: a band-pass whose centre and width wander, tilts, swells,
  often with a whistle or hum inside;
* ``pluck``  – plucked strings (fast attack, upper harmonics decaying faster, pluck-position
  comb, noise burst) and unpitched hits (decaying noise, sometimes a falling-pitch body);
* ``vowel``  – a glottal-like source shaped by three or four formants gliding between vowels,
  with vibrato and formant-shaped aspiration noise.

Clips are described by control tracks sampled every ``CTRL_HOP`` samples — f0 (Hz), harmonic
amplitudes (linear, ``N_HARMONICS`` of them) and noise band gains (``N_BANDS``) — and rendered
with the same oscillator bank and noise grains as the decoder (:mod:`nodes.models.dsp`), at a
finer control rate. Because the tracks are known, every latent frame also gets exact targets for
the decoder's internal controls (:class:`FrameTargets`), anchored at the frame centre.

Rendering uses torch on the calling thread's intra-op pool; nothing here is thread-safe beyond
that (clips are independent, so callers may parallelise by index).
"""

from dataclasses import dataclass

import numpy as np
import torch

from nodes.models import dsp

CTRL_HOP = 64
KINDS = ("tone", "noise", "pluck", "vowel")
KIND_WEIGHTS = (0.35, 0.15, 0.25, 0.25)
BAND_CENTRES = np.logspace(np.log10(dsp.BAND_LOW_HZ), np.log10(dsp.BAND_HIGH_HZ), dsp.N_BANDS)
HARMONICS = np.arange(1, dsp.N_HARMONICS + 1, dtype=np.float64)
VOICED_AMPLITUDE = 1e-3

# Formant frequencies (Hz) of an adult male voice for a few vowels (F1, F2, F3), after the
# classic Peterson & Barney averages; scaled per clip for other voices.
VOWELS = np.array([
    [730, 1090, 2440],   # a
    [530, 1840, 2480],   # e (as in "bed")
    [270, 2290, 3010],   # i
    [570, 840, 2410],    # o (as in "law")
    [300, 870, 2240],    # u
    [660, 1720, 2410],   # ae
    [640, 1190, 2390],   # uh
    [390, 1990, 2550],   # I
], dtype=np.float64)


@dataclass
class Clip:
    """One rendered clip and the control tracks it was rendered from.

    audio: ``(n_frames * HOP,)`` float32 in [-1, 1]. f0: ``(n_ctrl,)`` Hz; harm: ``(n_ctrl, K)``
    linear sinusoid amplitudes; noise: ``(n_ctrl, N_BANDS)`` linear band gains; control ``i``
    applies at sample ``i * CTRL_HOP`` and ``n_ctrl = n_frames * HOP // CTRL_HOP + 1``.
    """

    kind: str
    audio: np.ndarray
    f0: np.ndarray
    harm: np.ndarray
    noise: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.audio) // dsp.HOP


@dataclass
class FrameTargets:
    """Decoder-control targets per latent frame, anchored at frame centres (sample t*HOP + HOP/2).

    f0: ``(T,)`` Hz; harm: ``(T, K)`` linear amplitudes with harmonics at or above Nyquist zeroed;
    noise: ``(T, N_BANDS)`` linear gains; voiced: ``(T,)`` bool, harmonic amplitude sum above
    ``VOICED_AMPLITUDE`` (-60 dB).
    """

    f0: np.ndarray
    harm: np.ndarray
    noise: np.ndarray
    voiced: np.ndarray


def frame_targets(clip: Clip) -> FrameTargets:
    """Controls of ``clip`` at each frame centre, in the decoder's parametrisation."""
    idx = np.arange(clip.n_frames) * (dsp.HOP // CTRL_HOP) + dsp.HOP // (2 * CTRL_HOP)
    f0 = clip.f0[idx]
    harm = clip.harm[idx] * (HARMONICS[None, :] * f0[:, None] < 0.5 * dsp.SR)
    return FrameTargets(f0=f0.astype(np.float32), harm=harm.astype(np.float32),
                        noise=clip.noise[idx].astype(np.float32),
                        voiced=harm.sum(axis=1) > VOICED_AMPLITUDE)


def _curve(rng: np.random.Generator, n: int, lo: float, hi: float, knots: int,
           log: bool = False) -> np.ndarray:
    """Smooth random curve of length n through ``knots`` random values in [lo, hi]."""
    pos = np.sort(np.concatenate([[0, n - 1], rng.uniform(0, n - 1, max(knots - 2, 0))]))
    if log:
        vals = np.exp(rng.uniform(np.log(lo), np.log(hi), len(pos)))
    else:
        vals = rng.uniform(lo, hi, len(pos))
    x = np.arange(n, dtype=np.float64)
    seg = np.clip(np.searchsorted(pos, x, side="right") - 1, 0, len(pos) - 2)
    span = np.maximum(pos[seg + 1] - pos[seg], 1e-9)
    u = np.clip((x - pos[seg]) / span, 0.0, 1.0)
    u = u * u * (3.0 - 2.0 * u)
    return vals[seg] + (vals[seg + 1] - vals[seg]) * u


def _seconds(n: float) -> int:
    """Seconds → number of control steps (at least 1)."""
    return max(int(round(n * dsp.SR / CTRL_HOP)), 1)


def _adsr(n: int, start: int, stop: int, attack: int, decay: int, sustain: float,
          release: int) -> np.ndarray:
    """ADSR envelope (peak 1) of a note held from control step ``start`` to ``stop``."""
    env = np.zeros(n)
    t = np.arange(n) - start
    held = np.where(t < attack, t / attack,
                    np.where(t < attack + decay, 1.0 - (1.0 - sustain) * (t - attack) / decay,
                             sustain))
    on = (t >= 0) & (np.arange(n) < stop)
    env[on] = held[on]
    level = held[min(stop, n) - 1] if stop > start else 0.0
    tail = np.arange(n) >= stop
    env[tail] = level * np.clip(1.0 - (np.arange(n)[tail] - stop) / release, 0.0, 1.0)
    return np.clip(env, 0.0, 1.0)


def _lowpass_shape(f0: np.ndarray, cutoff: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Harmonic amplitudes ``k**-slope`` times a 2nd-order low-pass at ``cutoff`` Hz, (n, K)."""
    freqs = HARMONICS[None, :] * f0[:, None]
    return HARMONICS[None, :] ** -slope[:, None] / np.sqrt(1.0 + (freqs / cutoff[:, None]) ** 4)


def _band_shape(centre: np.ndarray, width_oct: np.ndarray) -> np.ndarray:
    """Gaussian band-pass in log-frequency over the noise bands, (n, N_BANDS), peak 1."""
    d = np.log2(BAND_CENTRES[None, :] / centre[:, None]) / width_oct[:, None]
    return np.exp(-0.5 * d * d)


def _formants(freqs: np.ndarray, formant_hz: np.ndarray, bandwidth_hz: np.ndarray) -> np.ndarray:
    """Cascade of two-pole resonances: gain at ``freqs`` (n, F) for formants (n, J), 1 at DC."""
    gain = np.ones_like(freqs)
    for j in range(formant_hz.shape[1]):
        fj = formant_hz[:, j:j + 1]
        bj = bandwidth_hz[:, j:j + 1]
        gain *= fj ** 2 / np.sqrt((fj ** 2 - freqs ** 2) ** 2 + (bj * freqs) ** 2)
    return gain


_BIN_GAINS = dsp.band_matrix(dsp.GRAIN // 2 + 1).numpy().astype(np.float64)


def _noise_power(gains: np.ndarray) -> np.ndarray:
    """Mean power of the noise that band gains ``(n, N_BANDS)`` produce (unit-variance white)."""
    return ((gains @ _BIN_GAINS) ** 2).mean(axis=1)


def _power_match(reference: np.ndarray, shape: np.ndarray, ratio_db: np.ndarray,
                 tonal: bool = True) -> np.ndarray:
    """Per-step gain for ``shape`` so that its power is ``ratio_db`` relative to ``reference``.

    ``tonal``: reference is harmonic amplitudes and shape noise band gains (else the reverse);
    a sinusoid of amplitude a has power a**2 / 2.
    """
    ref = (reference ** 2).sum(axis=1) / 2.0 if tonal else _noise_power(reference)
    own = _noise_power(shape) if tonal else (shape ** 2).sum(axis=1) / 2.0
    return np.sqrt(ref * 10.0 ** (ratio_db / 10.0) / np.maximum(own, 1e-20))


def _normalise(shape: np.ndarray) -> np.ndarray:
    """Scale each row to unit energy (sum of squares 1) so that amplitude sets loudness."""
    return shape / np.sqrt(np.maximum((shape ** 2).sum(axis=1, keepdims=True), 1e-20))


def _vibrato(rng: np.random.Generator, n: int) -> np.ndarray:
    """Vibrato as a pitch ratio: 4-7 Hz, 0-70 cents, fading in; none for about a third."""
    if rng.random() < 0.35:
        return np.ones(n)
    rate = rng.uniform(4.0, 7.0)
    depth = rng.uniform(10.0, 70.0) * _curve(rng, n, 0.2, 1.0, 3)
    t = np.arange(n) * CTRL_HOP / dsp.SR
    return 2.0 ** (depth * np.sin(2 * np.pi * rate * t + rng.uniform(0, 2 * np.pi)) / 1200.0)


def _tone(rng: np.random.Generator, n: int):
    """Harmonic tone sequence: returns f0, harm, noise tracks (unit-ish level)."""
    n_notes = int(rng.integers(1, 5))
    bounds = np.sort(rng.uniform(0, n, n_notes - 1)).astype(int)
    starts = np.concatenate([[int(rng.integers(0, _seconds(0.1)))], bounds])
    stops = np.concatenate([bounds, [n - int(rng.integers(0, _seconds(0.3)))]])
    centre = rng.uniform(np.log2(50.0), np.log2(1500.0))
    f0 = np.zeros(n)
    amp = np.zeros(n)
    legato = rng.random() < 0.4
    glide = _seconds(rng.uniform(0.01, 0.15))
    prev = None
    for start, stop in zip(starts, stops):
        note = 2.0 ** np.clip(centre + rng.normal(0, 0.6), np.log2(50.0), np.log2(1500.0))
        seg = np.arange(start, n)
        if prev is None:
            f0[seg] = note
        else:
            u = np.clip((seg - start) / glide, 0, 1) if legato else np.ones(len(seg))
            f0[seg] = np.exp(np.log(prev) + (np.log(note) - np.log(prev)) * u)
        prev = note
        gap = 0 if legato else int(rng.integers(0, _seconds(0.15)))
        env = _adsr(n, start, max(stop - gap, start + 1), _seconds(rng.uniform(0.005, 0.3)),
                    _seconds(rng.uniform(0.05, 0.5)), rng.uniform(0.3, 1.0),
                    _seconds(rng.uniform(0.05, 0.6)))
        amp = np.maximum(amp, env)
    f0[: starts[0]] = f0[starts[0]]
    f0 *= _vibrato(rng, n)
    if rng.random() < 0.25:
        t = np.arange(n) * CTRL_HOP / dsp.SR
        amp *= 1.0 - rng.uniform(0.1, 0.5) * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(3, 8) * t))
    cutoff = f0 * _curve(rng, n, 1.5, 40.0, int(rng.integers(2, 6)), log=True)
    slope = _curve(rng, n, 0.3, 2.0, 3)
    shape = _lowpass_shape(f0, cutoff, slope)
    shape[:, 1::2] *= rng.uniform(0.1, 1.0) if rng.random() < 0.3 else 1.0
    shape *= 10.0 ** (rng.normal(0.0, 4.0, dsp.N_HARMONICS) / 20.0)
    harm = _normalise(shape) * amp[:, None]
    breath = _band_shape(np.full(n, rng.uniform(1000, 8000)), np.full(n, rng.uniform(1.0, 3.0)))
    if rng.random() < 0.8:
        # Breath from barely audible to dominant, moving: tones shade continuously into noise.
        base = rng.uniform(-35.0, -3.0)
        ratio_db = base + _curve(rng, n, -8.0, 8.0, int(rng.integers(2, 5)))
    else:
        ratio_db = np.full(n, -80.0)
    noise = breath * _power_match(harm, breath, ratio_db)[:, None]
    return f0, harm, noise


def _noise(rng: np.random.Generator, n: int):
    """Filtered-noise texture: returns f0 (unused, constant), harm (zeros), noise tracks."""
    centre = _curve(rng, n, 100.0, 12000.0, int(rng.integers(2, 7)), log=True)
    width = _curve(rng, n, 0.3, 4.0, int(rng.integers(2, 5)), log=True)
    shape = _band_shape(centre, width)
    tilt = rng.uniform(-0.5, 0.5)
    shape *= (BAND_CENTRES[None, :] / 1000.0) ** tilt
    level = _curve(rng, n, 0.15, 1.0, int(rng.integers(2, 10)), log=True)
    fade = _seconds(rng.uniform(0.02, 0.5))
    ramp = np.clip(np.minimum(np.arange(n), n - 1 - np.arange(n)) / fade, 0, 1)
    noise = shape * (level * ramp)[:, None]
    f0 = np.full(n, 200.0)
    harm = np.zeros((n, dsp.N_HARMONICS))
    if rng.random() < 0.6:
        # A whistle or hum inside the noise, from 20 dB below it to as loud.
        f0 = np.clip(centre * rng.uniform(0.25, 1.0), 60.0, 1500.0) * _vibrato(rng, n)
        tone = _normalise(_lowpass_shape(f0, f0 * rng.uniform(1.5, 4.0), np.full(n, 2.0)))
        ratio_db = rng.uniform(-20.0, 0.0) + _curve(rng, n, -6.0, 6.0, 3)
        harm = tone * _power_match(noise, tone, ratio_db, tonal=False)[:, None]
    return f0, harm, noise


def _pluck(rng: np.random.Generator, n: int):
    """Plucked strings and hits, monophonic: returns f0, harm, noise tracks.

    Events follow each other at gaps of 0.5-3 decay times (0.1-1.5 s), so the clip rings
    most of the time; a new event cuts the previous one with a 10 ms damp.
    """
    f0 = np.full(n, 2.0 ** rng.uniform(np.log2(60), np.log2(1200)))
    harm = np.zeros((n, dsp.N_HARMONICS))
    noise = np.zeros((n, dsp.N_BANDS))
    attack = _seconds(rng.uniform(0.001, 0.005))
    on = int(rng.integers(0, _seconds(0.1)))
    while on < n - _seconds(0.1):
        pitched = rng.random() < 0.7
        tau = rng.uniform(0.2, 1.5) if pitched else rng.uniform(0.05, 0.4)
        end = min(on + _seconds(float(np.clip(tau * rng.uniform(0.5, 3.0), 0.1, 1.5))), n)
        t = np.arange(end - on) * CTRL_HOP / dsp.SR
        rise = np.clip((np.arange(end - on) + 1) / attack, 0, 1)
        damp = np.clip((end - on - np.arange(end - on)) / _seconds(0.01), 0, 1) if end < n else 1.0
        level = rng.uniform(0.3, 1.0)
        if pitched:
            f0[on:] = 2.0 ** rng.uniform(np.log2(60), np.log2(1200))
            beta = rng.uniform(0.02, 0.3)
            pos = rng.uniform(0.08, 0.5)
            shape = (HARMONICS ** -rng.uniform(0.5, 1.5)) * (np.abs(np.sin(np.pi * HARMONICS * pos))
                                                             + 0.05)
            decay = np.exp(-t[:, None] * (1.0 + beta * (HARMONICS[None, :] - 1.0)) / tau)
            harm[on:end] = level * _normalise(shape[None, :]) * decay * (rise * damp)[:, None]
            burst_level, burst_tau = level * rng.uniform(0.05, 0.5), rng.uniform(0.01, 0.05)
        else:
            burst_level, burst_tau = level, tau
            if rng.random() < 0.4:
                body = 2.0 ** rng.uniform(np.log2(60), np.log2(250))
                f0[on:end] = body * (0.7 + 0.3 * np.exp(-t / 0.05))
                f0[end:] = f0[end - 1]
                shape = _normalise(_lowpass_shape(f0[on:end], 3.0 * f0[on:end],
                                                  np.full(end - on, 2.0)))
                harm[on:end] = (0.7 * level * shape
                                * (np.exp(-t / rng.uniform(0.05, 0.3)) * rise * damp)[:, None])
        centre = np.full(end - on, rng.uniform(500, 10000))
        band = _band_shape(centre, np.full(end - on, rng.uniform(0.7, 4.0)))
        noise[on:end] = burst_level * band * (np.exp(-t / burst_tau) * rise * damp)[:, None]
        on = end
    return f0, harm, noise


def _vowel(rng: np.random.Generator, n: int):
    """Sung vowels gliding between formant sets: returns f0, harm, noise tracks."""
    low = rng.uniform(np.log2(80), np.log2(350))
    f0 = 2.0 ** _curve(rng, n, low, low + rng.uniform(0.05, 1.0), int(rng.integers(2, 6)))
    f0 = np.clip(f0, 50.0, 1500.0) * _vibrato(rng, n)
    scale = rng.uniform(1.0, 1.35)
    n_vowels = int(rng.integers(2, 6))
    picks = VOWELS[rng.integers(0, len(VOWELS), n_vowels)] * scale
    pos = np.linspace(0, n - 1, n_vowels)
    span = np.arange(n)
    formants = np.stack([np.exp(np.interp(span, pos, np.log(picks[:, j]))) for j in range(3)]
                        + [np.full(n, 3500.0 * scale)], axis=1)
    bandwidth = np.array([rng.uniform(60, 100), rng.uniform(80, 150), rng.uniform(120, 250),
                          rng.uniform(200, 350)])[None, :].repeat(n, axis=0)
    amp = _curve(rng, n, 0.2, 1.0, int(rng.integers(2, 6)))
    onset = int(rng.integers(0, _seconds(0.1)))
    stop = n - int(rng.integers(0, _seconds(0.3)))
    amp *= _adsr(n, onset, stop, _seconds(rng.uniform(0.02, 0.2)), 1, 1.0,
                 _seconds(rng.uniform(0.05, 0.4)))
    tilt = _curve(rng, n, 0.8, 1.6, 3)
    freqs = HARMONICS[None, :] * f0[:, None]
    shape = HARMONICS[None, :] ** -tilt[:, None] * _formants(freqs, formants, bandwidth)
    harm = _normalise(shape) * amp[:, None]
    breath = rng.uniform(0.0, 0.3)
    aspiration = _formants(np.repeat(BAND_CENTRES[None, :], n, axis=0), formants, bandwidth)
    aspiration /= np.maximum(aspiration.max(axis=1, keepdims=True), 1e-9)
    noise = breath * amp[:, None] * aspiration
    return f0, harm, noise


_GENERATORS = {"tone": _tone, "noise": _noise, "pluck": _pluck, "vowel": _vowel}


def render(f0: np.ndarray, harm: np.ndarray, noise: np.ndarray, phase: float,
           grain_offset: int) -> np.ndarray:
    """Render control tracks (see :class:`Clip`) to ``(n_ctrl - 1) * CTRL_HOP`` samples.

    ``phase`` is the fundamental's starting phase in cycles; ``grain_offset`` the first noise
    grain number (it picks the noise realisation).
    """
    n_seg = len(f0) - 1
    f0_a, f0_b = f0[:-1], f0[1:]
    advance = (CTRL_HOP * f0_a + (f0_b - f0_a) * (CTRL_HOP - 1) / 2.0) / dsp.SR
    phase0 = np.mod(phase + np.concatenate([[0.0], np.cumsum(advance)[:-1]]), 1.0)
    def t(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))[None]

    with torch.no_grad():
        tonal, _ = dsp.harmonic_frames(t(f0_a), t(f0_b), t(harm[:-1]), t(harm[1:]), t(phase0),
                                       CTRL_HOP)
        tonal = tonal.reshape(-1)
        n_samples = n_seg * CTRL_HOP
        step = dsp.GRAIN_HOP // CTRL_HOP
        n_grains = n_samples // dsp.GRAIN_HOP + 1
        gains = t(noise[: n_grains * step: step])
        index = torch.arange(n_grains, dtype=torch.int64)[None] + grain_offset
        grains = dsp.noise_grains(gains, index, dsp.band_matrix(dsp.GRAIN // 2 + 1),
                                  dsp.sqrt_hann(dsp.GRAIN))
        # Grain j is centred on sample j * GRAIN_HOP, so the overlap-add starts half a grain early.
        noisy = dsp.overlap_add(grains)[0, dsp.GRAIN_HOP: dsp.GRAIN_HOP + n_samples]
    return (tonal + noisy).numpy()


def make_clip(seed: int, index: int) -> Clip:
    """Clip number ``index`` of the corpus with ``seed``; independent of every other clip."""
    rng = np.random.default_rng((seed, index))
    kind = KINDS[int(rng.choice(len(KINDS), p=KIND_WEIGHTS))]
    n_frames = int(rng.integers(48, 97))
    n_ctrl = n_frames * dsp.HOP // CTRL_HOP + 1
    f0, harm, noise = _GENERATORS[kind](rng, n_ctrl)
    audio = render(f0, harm, noise, rng.random(), int(rng.integers(0, 2 ** 24)) * 4)
    peak = float(np.abs(audio).max())
    gain = 10.0 ** (rng.uniform(-24.0, -3.0) / 20.0) / max(peak, 1e-6)
    return Clip(kind=kind, audio=(audio * gain).astype(np.float32), f0=f0,
                harm=harm * gain, noise=noise * gain)


def make_corpus(seed: int, n_clips: int) -> list[Clip]:
    """Clips ``0 .. n_clips - 1`` of the corpus with ``seed``."""
    return [make_clip(seed, i) for i in range(n_clips)]
