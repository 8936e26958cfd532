"""Measured figures of an exported model (used by the training script and ``bench/``).

All functions take a loaded TorchScript model with the RAVE interface (:mod:`nodes.models.export`)
and leave its decoder state reset. Audio analysis uses frames of ``HOP`` samples:

* pitch — YIN (:func:`dsp.yin`), compared in cents;
* loudness — A-weighted power of a Hann-windowed frame, in dB relative to a full-scale sine;
* spectral centroid — magnitude-weighted mean frequency, in Hz.

Timing uses ``torch.set_num_threads(threads)`` and the wall clock of the calling thread; on a
shared machine other processes inflate it, so the median of several repeats is reported.
"""

import time

import numpy as np
import torch

from nodes.models import corpus, dsp

DELAY = dsp.HOP // 2
ANALYSIS_HOP = 512
# Monotonicity of a sweep: steps may reverse by at most TOLERANCE without breaking a run; the
# run must cover COVERAGE of the sweep and change by at least MIN_CHANGE.
TOLERANCE = {"pitch_cents": 10.0, "loudness_db": 0.3, "centroid_octaves": 0.02}
MIN_CHANGE = {"pitch_cents": 100.0, "loudness_db": 3.0, "centroid_octaves": 0.25}
COVERAGE = 0.8
SILENT_DB = -60.0


def _a_weighting(freqs: np.ndarray) -> np.ndarray:
    """A-weighting power gain (IEC 61672) at ``freqs`` Hz."""
    f2 = freqs ** 2
    ra = (12194.0 ** 2 * f2 ** 2) / ((f2 + 20.6 ** 2) * np.sqrt((f2 + 107.7 ** 2) * (f2 + 737.9 ** 2))
                                     * (f2 + 12194.0 ** 2))
    return (ra * 10 ** (2.0 / 20)) ** 2


_FREQS = np.fft.rfftfreq(dsp.HOP, 1.0 / dsp.SR)
_WINDOW = np.hanning(dsp.HOP)
_A_GAIN = _a_weighting(_FREQS)
# Power of a full-scale 1 kHz sine through the same analysis, the 0 dB reference.
_REF = float((_A_GAIN * np.abs(np.fft.rfft(_WINDOW * np.sin(2 * np.pi * 1000.0 * np.arange(dsp.HOP)
                                                                   / dsp.SR))) ** 2).sum())


def frames_of(x: np.ndarray, hop: int = ANALYSIS_HOP) -> np.ndarray:
    """``(..., N) -> (..., F, HOP)`` analysis frames at ``hop``."""
    n = (x.shape[-1] - dsp.HOP) // hop + 1
    idx = np.arange(n)[:, None] * hop + np.arange(dsp.HOP)
    return x[..., idx]


def loudness_db(frames: np.ndarray) -> np.ndarray:
    """A-weighted level of each ``(..., HOP)`` frame in dB (0 dB = full-scale 1 kHz sine)."""
    power = (_A_GAIN * np.abs(np.fft.rfft(frames * _WINDOW, axis=-1)) ** 2).sum(-1)
    return 10.0 * np.log10(power / _REF + 1e-12)


def centroid_hz(frames: np.ndarray) -> np.ndarray:
    """Spectral centroid of each ``(..., HOP)`` frame in Hz."""
    mag = np.abs(np.fft.rfft(frames * _WINDOW, axis=-1))
    return (mag * _FREQS).sum(-1) / (mag.sum(-1) + 1e-12)


def pitch_hz(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN f0 (Hz) and aperiodicity of each ``(..., HOP)`` frame."""
    f0, aperiodicity = dsp.yin(torch.from_numpy(np.ascontiguousarray(frames, dtype=np.float32)))
    return f0.numpy().astype(np.float64), aperiodicity.numpy()


def decode_rtf(model: torch.jit.ScriptModule, n_frames: int = 400, repeats: int = 5,
               threads: int = 2) -> dict:
    """Decode one latent frame per call; real-time factor = audio duration / wall time."""
    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    z = torch.from_numpy(rng.normal(0.0, 1.0, (1, 8, n_frames)).astype(np.float32))
    per_frame = []
    with torch.no_grad():
        model.reset()
        for t in range(20):
            model.decode(z[:, :, t: t + 1])
        for _ in range(repeats):
            start = time.perf_counter()
            for t in range(n_frames):
                model.decode(z[:, :, t: t + 1])
            per_frame.append((time.perf_counter() - start) / n_frames)
        model.reset()
    median = float(np.median(per_frame))
    frame_seconds = dsp.HOP / dsp.SR
    return {"threads": threads, "frames_per_call": 1, "repeats": repeats,
            "ms_per_frame": round(median * 1e3, 4),
            "rtf": round(frame_seconds / median, 1), "rtf_best": round(frame_seconds / min(per_frame), 1)}


def reconstruction(model: torch.jit.ScriptModule, clips: list[corpus.Clip]) -> dict:
    """Encode → decode held-out clips; compare pitch with the true f0 and loudness with the input.

    The output is aligned by the model delay (``HOP // 2``). Pitch frames count when the true
    harmonic amplitude is within 30 dB of the clip's maximum; loudness frames when the input is
    within 40 dB of its maximum and above -70 dB.
    """
    cents, cents_input, loud = [], [], []
    with torch.no_grad():
        for clip in clips:
            model.reset()
            out = model.forward(torch.from_numpy(clip.audio)[None, None])[0, 0].numpy()
            x = clip.audio[: len(clip.audio) - DELAY].astype(np.float64)
            y = out[DELAY:].astype(np.float64)
            fx, fy = frames_of(x), frames_of(y)
            centre = np.arange(len(fx)) * ANALYSIS_HOP + dsp.HOP // 2
            f0_true = clip.f0[centre // corpus.CTRL_HOP]
            level = clip.harm[centre // corpus.CTRL_HOP].sum(-1)
            voiced = (level > 10 ** (-30 / 20) * clip.harm.sum(-1).max()) & (level > 1e-3)
            f0_out, _ = pitch_hz(fy)
            f0_in, _ = pitch_hz(fx)
            cents.append(1200.0 * np.abs(np.log2(f0_out / f0_true))[voiced])
            cents_input.append(1200.0 * np.abs(np.log2(f0_in / f0_true))[voiced])
            lx, ly = loudness_db(fx), loudness_db(fy)
            loud_mask = (lx > lx.max() - 40.0) & (lx > -70.0)
            loud.append(np.abs(lx - ly)[loud_mask])
        model.reset()
    c, ci, ld = np.concatenate(cents), np.concatenate(cents_input), np.concatenate(loud)
    return {
        "clips": len(clips), "pitch_frames": int(len(c)), "loudness_frames": int(len(ld)),
        "f0_cents_median": round(float(np.median(c)), 2) if len(c) else None,
        "f0_cents_p90": round(float(np.percentile(c, 90)), 2) if len(c) else None,
        "f0_gross_error_rate": round(float((c > 100).mean()), 4) if len(c) else None,
        "f0_cents_median_input": round(float(np.median(ci)), 2) if len(ci) else None,
        "loudness_db_median": round(float(np.median(ld)), 3) if len(ld) else None,
        "loudness_db_mean": round(float(np.mean(ld)), 3) if len(ld) else None,
        "loudness_db_p90": round(float(np.percentile(ld, 90)), 3) if len(ld) else None,
    }


def latent_scale(model: torch.jit.ScriptModule, clips: list[corpus.Clip]) -> np.ndarray:
    """Standard deviation of each latent axis over the frames of ``clips``, ``(8,)``."""
    with torch.no_grad():
        z = [model.encode(torch.from_numpy(c.audio)[None, None])[0].numpy() for c in clips]
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
                span: float = 2.0, hold: int = 6) -> list[dict]:
    """Sweep each latent axis alone over ±``span`` × its scale, the others at 0 (the mean).

    Each value is held for ``hold`` frames (one batch row per value) and the last two frames
    are analysed: median YIN pitch (NaN where aperiodic or silent), A-weighted loudness, centroid.
    """
    results = []
    with torch.no_grad():
        for axis in range(len(scale)):
            values = np.linspace(-span, span, steps) * scale[axis]
            z = torch.zeros(steps, len(scale), hold)
            z[:, axis, :] = torch.from_numpy(values.astype(np.float32))[:, None]
            model.reset(steps)
            audio = model.decode(z)[:, 0, -2 * dsp.HOP:].numpy().astype(np.float64)
            fr = frames_of(audio)
            f0, aper = pitch_hz(fr)
            loud = loudness_db(fr).mean(-1)
            pitch = np.where((np.median(aper, -1) < 0.2) & (loud > SILENT_DB),
                             1200.0 * np.log2(np.median(f0, -1) / 440.0), np.nan)
            centroid = np.log2(centroid_hz(fr).mean(-1))
            features = {"pitch_cents": pitch, "loudness_db": loud, "centroid_octaves": centroid}
            checks = {k: _monotone(v, TOLERANCE[k], MIN_CHANGE[k]) for k, v in features.items()}
            results.append({"axis": axis, "scale": round(float(scale[axis]), 4),
                            "monotonic": any(c["monotonic"] for c in checks.values()),
                            **checks})
        model.reset()
    return results


def random_latents(model: torch.jit.ScriptModule, scale: np.ndarray, streams: int = 16,
                   frames: int = 48, seed: int = 0) -> dict:
    """Decode random latents (new ones every frame and held ones) and report level statistics.

    Three draws: N(0, scale²) per axis (the data's spread), N(0, 1), and uniform in ±4 (far
    outside the training range). Frame levels are RMS dBFS; the first ``CONTEXT`` frames of
    each stream (state warm-up) are skipped.
    """
    rng = np.random.default_rng(seed)
    draws = {
        "data_scale": rng.normal(0.0, 1.0, (streams, 8, frames)) * scale[None, :, None],
        "unit_normal": rng.normal(0.0, 1.0, (streams, 8, frames)),
        "uniform_4": rng.uniform(-4.0, 4.0, (streams, 8, frames)),
    }
    held = rng.normal(0.0, 1.0, (streams, 8, 1)) * scale[None, :, None]
    draws["data_scale_held"] = np.repeat(held, frames, axis=2)
    out = {}
    with torch.no_grad():
        for name, z in draws.items():
            model.reset(streams)
            audio = model.decode(torch.from_numpy(z.astype(np.float32)))[:, 0].numpy()
            body = audio[:, 3 * dsp.HOP:].reshape(streams, -1, dsp.HOP)
            rms = 10 * np.log10((body.astype(np.float64) ** 2).mean(-1) + 1e-20)
            out[name] = {
                "rms_dbfs_median": round(float(np.median(rms)), 2),
                "rms_dbfs_p05": round(float(np.percentile(rms, 5)), 2),
                "silent_frame_fraction": round(float((rms < SILENT_DB).mean()), 4),
                "peak": round(float(np.abs(audio).max()), 4),
                "near_full_scale_fraction": round(float((np.abs(audio) > 0.99).mean()), 6),
                "finite": bool(np.isfinite(audio).all()),
            }
        model.reset()
    return out


def measure(model: torch.jit.ScriptModule, test_clips: list[corpus.Clip],
            quick: bool = False) -> dict:
    """All figures: decode RTF, reconstruction of held-out tones, axis sweeps, random latents."""
    tones = [c for c in test_clips if c.kind == "tone"] or test_clips[:1]
    scale = latent_scale(model, test_clips)
    sweeps = axis_sweeps(model, scale, steps=9 if quick else 25)
    return {
        "decode": decode_rtf(model, n_frames=20 if quick else 400, repeats=1 if quick else 5),
        "reconstruction": reconstruction(model, tones),
        "axes_monotonic": int(sum(s["monotonic"] for s in sweeps)),
        "axes": sweeps,
        "latent_std": [round(float(s), 4) for s in scale],
        "random_latents": random_latents(model, scale, frames=12 if quick else 48),
    }
