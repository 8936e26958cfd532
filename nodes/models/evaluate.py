"""Measured figures of an exported model (the training command, its card and ``bench/`` use them).

Every function takes a loaded TorchScript model with the RAVE interface (any ratio; the ratio
and latent size are read from ``decode_params``) and leaves its decoder state reset. Audio is
mono at ``SR``. Analysis uses frames of ``ANALYSIS_WINDOW`` samples every ``ANALYSIS_HOP``:

* pitch — YIN (:func:`dsp.yin`), compared in cents;
* loudness — A-weighted power of a Hann-windowed frame, in dB relative to a full-scale sine;
* spectral centroid — magnitude-weighted mean frequency, in Hz;
* spectral distance — mean over FFT sizes ``DISTANCE_FFT_SIZES`` of the mean absolute
  difference of natural-log magnitudes (Hann, 75 % overlap), after aligning the output by the
  model's delay (found by :func:`model_delay`).

Timing uses ``torch.set_num_threads(threads)`` and the wall clock of the calling thread; on a
shared machine other processes inflate it, so the median of several repeats is reported.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from nodes.models import dsp
from nodes.models.recordings import Clip

ANALYSIS_WINDOW = 2048
ANALYSIS_HOP = 512
DISTANCE_FFT_SIZES = (2048, 1024, 512, 256, 128)
CONFIDENT_APERIODICITY = 0.1
UNVOICED_APERIODICITY = 0.4
# Monotonicity of a sweep: steps may reverse by at most TOLERANCE without breaking a run; the
# run must cover COVERAGE of the sweep and change by at least MIN_CHANGE.
TOLERANCE = {"pitch_cents": 10.0, "loudness_db": 0.3, "centroid_octaves": 0.02}
MIN_CHANGE = {"pitch_cents": 100.0, "loudness_db": 3.0, "centroid_octaves": 0.25}
COVERAGE = 0.8
SILENT_DB = -60.0
LOUD_RANGE_DB = 40.0


def ratio_of(model: torch.jit.ScriptModule) -> int:
    return int(model.decode_params[1])


def latent_of(model: torch.jit.ScriptModule) -> int:
    return int(model.decode_params[0])


def a_weighting(freqs: np.ndarray) -> np.ndarray:
    """A-weighting power gain (IEC 61672) at ``freqs`` Hz."""
    f2 = freqs ** 2
    ra = (12194.0 ** 2 * f2 ** 2) / ((f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2))
                                     * (f2 + 12194.0 ** 2))
    return (ra * 10 ** (2.0 / 20)) ** 2


_FREQS = np.fft.rfftfreq(ANALYSIS_WINDOW, 1.0 / dsp.SR)
_WINDOW = np.hanning(ANALYSIS_WINDOW)
_A_GAIN = a_weighting(_FREQS)
# Power of a full-scale 1 kHz sine through the same analysis, the 0 dB reference.
_REF = float((_A_GAIN * np.abs(np.fft.rfft(_WINDOW * np.sin(2 * np.pi * 1000.0 * np.arange(ANALYSIS_WINDOW)
                                                                   / dsp.SR))) ** 2).sum())


def frames_of(x: np.ndarray, hop: int = ANALYSIS_HOP) -> np.ndarray:
    """``(..., N) -> (..., F, ANALYSIS_WINDOW)`` analysis frames at ``hop``."""
    n = max((x.shape[-1] - ANALYSIS_WINDOW) // hop + 1, 0)
    idx = np.arange(n)[:, None] * hop + np.arange(ANALYSIS_WINDOW)
    return x[..., idx]


def loudness_db(frames: np.ndarray) -> np.ndarray:
    """A-weighted level of each ``(..., ANALYSIS_WINDOW)`` frame in dB (0 dB = full-scale 1 kHz sine)."""
    power = (_A_GAIN * np.abs(np.fft.rfft(frames * _WINDOW, axis=-1)) ** 2).sum(-1)
    return 10.0 * np.log10(power / _REF + 1e-12)


def centroid_hz(frames: np.ndarray) -> np.ndarray:
    """Spectral centroid of each ``(..., ANALYSIS_WINDOW)`` frame in Hz."""
    mag = np.abs(np.fft.rfft(frames * _WINDOW, axis=-1))
    return (mag * _FREQS).sum(-1) / (mag.sum(-1) + 1e-12)


def pitch_hz(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN f0 (Hz) and aperiodicity of each ``(..., ANALYSIS_WINDOW)`` frame."""
    f0, aperiodicity = dsp.yin(torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32)))
    return f0.numpy().astype(np.float64), aperiodicity.numpy()


def spectral_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Multi-scale log-magnitude distance between equal-length signals (see the module doc)."""
    xs, ys = torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y.astype(np.float32))
    total = 0.0
    for size in DISTANCE_FFT_SIZES:
        window = torch.hann_window(size)
        sx = torch.stft(xs, size, size // 4, window=window, return_complex=True).abs()
        sy = torch.stft(ys, size, size // 4, window=window, return_complex=True).abs()
        total += float((torch.log(sx + 1e-5) - torch.log(sy + 1e-5)).abs().mean())
    return total / len(DISTANCE_FFT_SIZES)


def resynthesise(model: torch.jit.ScriptModule, audio: np.ndarray) -> np.ndarray:
    """``forward`` (encode then decode) of ``audio`` from a fresh decoder state; the output has
    as many samples as the whole frames of the input."""
    ratio = ratio_of(model)
    n = len(audio) // ratio * ratio
    with torch.no_grad():
        model.reset()
        out = model.forward(torch.from_numpy(np.ascontiguousarray(audio[:n], dtype=np.float32))[None, None])
        model.reset()
    return out[0, 0].numpy().astype(np.float64)


def model_delay(model: torch.jit.ScriptModule, clips: list[Clip], max_delay: int = 4096,
                step: int = 32) -> int:
    """Samples by which ``forward``'s output lags its input: the lag (a multiple of ``step``, up
    to ``max_delay``) whose shifted log spectrogram (FFT 512, hop ``step``) is closest to the
    input's over the first few clips."""
    audio = np.concatenate([c.audio for c in clips[:4]])
    out = resynthesise(model, audio)
    window = torch.hann_window(512)

    def log_spec(x: np.ndarray) -> torch.Tensor:
        spec = torch.stft(torch.from_numpy(x.astype(np.float32)), 512, step, window=window,
                          return_complex=True, center=False).abs()
        return torch.log(spec + 1e-5)

    sx, sy = log_spec(audio[: len(out)]), log_spec(out)
    lags = max_delay // step
    n = sx.shape[1] - lags
    if n < 16:
        return 0
    scores = [float((sx[:, :n] - sy[:, k: k + n]).abs().mean()) for k in range(lags + 1)]
    return int(np.argmin(scores)) * step


def reconstruction(model: torch.jit.ScriptModule, clips: list[Clip], delay: int | None = None) -> dict:
    """Encode → decode held-out clips and compare with the input, aligned by ``delay``: by
    default the model's ``forward_delay`` attribute where it has one, else :func:`model_delay`.

    Frames count for loudness when the input is within ``LOUD_RANGE_DB`` of its loudest frame
    and above ``SILENT_DB``; for pitch when, in addition, YIN is confident on the input
    (aperiodicity below ``CONFIDENT_APERIODICITY``). ``buzz_rate`` is the fraction of clearly
    unvoiced loud input frames (aperiodicity above ``UNVOICED_APERIODICITY``) that come out
    voiced (below ``CONFIDENT_APERIODICITY``). ``monophonic`` figures use the clips whose loud
    frames are mostly (over half) confidently voiced.
    """
    if delay is None:
        delay = int(getattr(model, "forward_delay", -1))
        delay = model_delay(model, clips) if delay < 0 else delay
    distances, loud, cents, mono_cents, buzz = [], [], [], [], []
    for clip in clips:
        out = resynthesise(model, clip.audio)
        x = clip.audio[: len(out) - delay].astype(np.float64)
        y = out[delay:]
        if len(x) < ANALYSIS_WINDOW:
            continue
        distances.append(spectral_distance(x, y))
        fx, fy = frames_of(x), frames_of(y)
        lx, ly = loudness_db(fx), loudness_db(fy)
        mask = (lx > lx.max() - LOUD_RANGE_DB) & (lx > SILENT_DB)
        loud.append(np.abs(lx - ly)[mask])
        f0_in, ap_in = pitch_hz(fx)
        f0_out, ap_out = pitch_hz(fy)
        confident = mask & (ap_in < CONFIDENT_APERIODICITY)
        error = 1200.0 * np.abs(np.log2(f0_out / f0_in))[confident]
        cents.append(error)
        if confident.sum() > 0.5 * max(mask.sum(), 1):
            mono_cents.append(error)
        unvoiced = mask & (ap_in > UNVOICED_APERIODICITY)
        buzz.append(ap_out[unvoiced] < CONFIDENT_APERIODICITY)

    def median(parts: list[np.ndarray]) -> float | None:
        values = np.concatenate(parts) if parts else np.zeros(0)
        return round(float(np.median(values)), 3) if len(values) else None

    buzz_all = np.concatenate(buzz) if buzz else np.zeros(0, bool)
    return {
        "clips": len(distances), "delay_samples": int(delay),
        "spectral_distance_mean": round(float(np.mean(distances)), 4) if distances else None,
        "spectral_distance_median": round(float(np.median(distances)), 4) if distances else None,
        "loudness_db_median": median(loud),
        "f0_cents_median": median(cents), "pitch_frames": int(sum(len(c) for c in cents)),
        "f0_cents_median_monophonic": median(mono_cents), "monophonic_clips": len(mono_cents),
        "buzz_rate": round(float(buzz_all.mean()), 4) if len(buzz_all) else None,
        "unvoiced_frames": int(len(buzz_all)),
    }


def decode_rtf(model: torch.jit.ScriptModule, n_frames: int = 2000, repeats: int = 5,
               threads: int = 2) -> dict:
    """Decode one latent frame per call; real-time factor = audio duration / wall time."""
    torch.set_num_threads(threads)
    ratio, latent = ratio_of(model), latent_of(model)
    z = torch.from_numpy(np.random.default_rng(0).normal(0.0, 1.0, (1, latent, n_frames)).astype(np.float32))
    per_frame = []
    with torch.no_grad():
        model.reset()
        for t in range(50):
            model.decode(z[:, :, t: t + 1])
        for _ in range(repeats):
            start = time.perf_counter()
            for t in range(n_frames):
                model.decode(z[:, :, t: t + 1])
            per_frame.append((time.perf_counter() - start) / n_frames)
        model.reset()
    median = float(np.median(per_frame))
    frame_seconds = ratio / dsp.SR
    return {"threads": threads, "frames_per_call": 1, "repeats": repeats, "ratio": ratio,
            "ms_per_frame": round(median * 1e3, 4),
            "rtf": round(frame_seconds / median, 1), "rtf_best": round(frame_seconds / min(per_frame), 1)}


def latent_scale(model: torch.jit.ScriptModule, clips: list[Clip]) -> np.ndarray:
    """Standard deviation of each latent axis over the frames of ``clips``, ``(L,)``."""
    with torch.no_grad():
        z = [model.encode(torch.from_numpy(np.ascontiguousarray(c.audio))[None, None])[0].numpy()
             for c in clips if len(c.audio) >= ratio_of(model)]
    return np.concatenate(z, axis=1).std(axis=1)


def _monotone(y: np.ndarray, tolerance: float, min_change: float) -> dict:
    """Longest run of steps moving one way (reversals up to ``tolerance``; NaN breaks runs)."""
    d = np.diff(y)
    best = (0, 0.0)
    for sign in (1.0, -1.0):
        ok = np.nan_to_num(sign * d, nan=-np.inf) > -tolerance
        start = 0
        for i in range(len(ok) + 1):
            if i == len(ok) or not ok[i]:
                if i - start > best[0]:
                    best = (i - start, float(sign * (y[i] - y[start])) if i > start else 0.0)
                start = i + 1
    coverage = best[0] / len(d)
    return {"coverage": round(coverage, 3), "change": round(best[1], 3),
            "monotonic": bool(coverage >= COVERAGE and best[1] >= min_change)}


def axis_sweeps(model: torch.jit.ScriptModule, scale: np.ndarray, steps: int = 25,
                span: float = 2.0, hold_seconds: float = 0.3) -> list[dict]:
    """Sweep each latent axis alone over ±``span`` × its scale, the others at 0 (the mean).

    Each value is held for ``hold_seconds`` (one batch row per value) and the last
    ``ANALYSIS_WINDOW + ANALYSIS_HOP`` samples are analysed: median YIN pitch (NaN where
    aperiodic or silent), A-weighted loudness, centroid.
    """
    ratio = ratio_of(model)
    hold = max(int(np.ceil(hold_seconds * dsp.SR / ratio)), 2)
    tail = ANALYSIS_WINDOW + ANALYSIS_HOP
    results = []
    with torch.no_grad():
        for axis in range(len(scale)):
            values = np.linspace(-span, span, steps) * scale[axis]
            z = torch.zeros(steps, len(scale), hold)
            z[:, axis, :] = torch.from_numpy(values.astype(np.float32))[:, None]
            model.reset(steps)
            audio = model.decode(z)[:, 0, -tail:].numpy().astype(np.float64)
            fr = frames_of(audio)
            f0, aper = pitch_hz(fr)
            loud = loudness_db(fr).mean(-1)
            pitch = np.where((np.median(aper, -1) < 0.2) & (loud > SILENT_DB),
                             1200.0 * np.log2(np.median(f0, -1) / 440.0), np.nan)
            centroid = np.log2(centroid_hz(fr).mean(-1) + 1e-9)
            features = {"pitch_cents": pitch, "loudness_db": loud, "centroid_octaves": centroid}
            checks = {k: _monotone(v, TOLERANCE[k], MIN_CHANGE[k]) for k, v in features.items()}
            results.append({"axis": axis, "scale": round(float(scale[axis]), 4),
                            "monotonic": any(c["monotonic"] for c in checks.values()), **checks})
        model.reset()
    return results


def random_latents(model: torch.jit.ScriptModule, scale: np.ndarray, streams: int = 16,
                   seconds: float = 1.0, seed: int = 0) -> dict:
    """Decode random latents (new ones every frame and held ones) and report level statistics.

    Three draws: N(0, scale²) per axis (the data's spread), N(0, 1), and uniform in ±4 (far
    outside the training range), plus N(0, scale²) held still. Levels are RMS dBFS per
    2048-sample block; the first 0.1 s of each stream (state warm-up) is skipped.
    """
    ratio, latent = ratio_of(model), len(scale)
    frames = int(seconds * dsp.SR / ratio)
    rng = np.random.default_rng(seed)
    draws = {
        "data_scale": rng.normal(0.0, 1.0, (streams, latent, frames)) * scale[None, :, None],
        "unit_normal": rng.normal(0.0, 1.0, (streams, latent, frames)),
        "uniform_4": rng.uniform(-4.0, 4.0, (streams, latent, frames)),
    }
    held = rng.normal(0.0, 1.0, (streams, latent, 1)) * scale[None, :, None]
    draws["data_scale_held"] = np.repeat(held, frames, axis=2)
    skip = int(0.1 * dsp.SR)
    out = {}
    with torch.no_grad():
        for name, z in draws.items():
            model.reset(streams)
            audio = model.decode(torch.from_numpy(z.astype(np.float32)))[:, 0].numpy()
            body = audio[:, skip: skip + (audio.shape[1] - skip) // 2048 * 2048].reshape(streams, -1, 2048)
            rms = 10 * np.log10((body.astype(np.float64) ** 2).mean(-1) + 1e-20)
            out[name] = {
                "rms_dbfs_median": round(float(np.median(rms)), 2),
                "rms_dbfs_p05": round(float(np.percentile(rms, 5)), 2),
                "silent_block_fraction": round(float((rms < SILENT_DB).mean()), 4),
                "peak": round(float(np.abs(audio).max()), 4),
                "near_full_scale_fraction": round(float((np.abs(audio) > 0.99).mean()), 6),
                "finite": bool(np.isfinite(audio).all()),
            }
        model.reset()
    return out


def measure(model: torch.jit.ScriptModule, clips: list[Clip], quick: bool = False) -> dict:
    """All figures: decode RTF, reconstruction of held-out clips, axis sweeps, random latents."""
    scale = latent_scale(model, clips)
    sweeps = axis_sweeps(model, scale, steps=5 if quick else 25, hold_seconds=0.1 if quick else 0.3)
    return {
        "decode": decode_rtf(model, n_frames=20 if quick else 2000, repeats=1 if quick else 5),
        "reconstruction": reconstruction(model, clips[:1] if quick else clips),
        "axes_monotonic": int(sum(s["monotonic"] for s in sweeps)),
        "axes": sweeps,
        "latent_std": [round(float(s), 4) for s in scale],
        "random_latents": random_latents(model, scale, streams=2 if quick else 16,
                                         seconds=0.2 if quick else 1.0),
    }
