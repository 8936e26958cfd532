"""Model card writer: a short Markdown description written next to the exported weights."""

import json
from pathlib import Path

from nodes.models import corpus, dsp, evaluate
from nodes.models.model import CONTEXT, HIDDEN, LATENT, N_FEATURES, SPEC_BANDS


def _history_table(history: list[dict], rows: int = 12) -> str:
    """Markdown table of at most ``rows`` evenly spaced loss records (always the last)."""
    if not history:
        return "(no steps)"
    pick = sorted({round(i * (len(history) - 1) / max(rows - 1, 1)) for i in range(rows)})
    keys = [k for k in history[0] if k != "step"]
    lines = ["| step | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for i in pick:
        h = history[i]
        lines.append(f"| {h['step']} | " + " | ".join(f"{h[k]:.4f}" for k in keys) + " |")
    return "\n".join(lines)


def _axes_table(axes: list[dict]) -> str:
    lines = ["| axis | std | pitch (coverage, change ¢) | loudness (coverage, change dB) | "
             "centroid (coverage, change oct) | monotonic |", "|---|---|---|---|---|---|"]
    for a in axes:
        cells = [f"{a[k]['coverage']:.2f}, {a[k]['change']:.2f}{' ✓' if a[k]['monotonic'] else ''}"
                 for k in ("pitch_cents", "loudness_db", "centroid_octaves")]
        lines.append(f"| {a['axis']} | {a['scale']:.3f} | " + " | ".join(cells)
                     + f" | {'yes' if a['monotonic'] else 'no'} |")
    return "\n".join(lines)


def write(path: Path, options: dict, command: str, history: list[dict], figures: dict,
          train_seconds: float, variances: list[float], n_train_frames: int) -> None:
    """Write the card for a model trained with ``options`` (the parsed CLI) by ``command``."""
    rec = figures["reconstruction"]
    dec = figures["decode"]
    minutes = n_train_frames * dsp.HOP / dsp.SR / 60.0
    kinds = ", ".join(f"{k} {w:.0%}" for k, w in zip(corpus.KINDS, corpus.KIND_WEIGHTS))
    text = f"""# Default model — `{path.with_suffix('.ts').name}`

A small variational autoencoder with a DDSP decoder, trained by the project on its own synthetic
corpus, exported with the interface of a RAVE v2 streaming export (nn~-compatible).

## Interface

- `sr` = {dsp.SR}, mono, `latent_size` = `full_latent_size` = {LATENT}, one latent frame per
  {dsp.HOP} samples; `encode_params` = [1, 1, {LATENT}, {dsp.HOP}], `decode_params` =
  [{LATENT}, {dsp.HOP}, 1, 1], `forward_params` = [1, 1, 1, 1]; `get_methods()` =
  encode, decode, forward; extra `reset(batch_size=1)`.
- `encode` returns the posterior mean, PCA-rotated: axis 0 has the largest variance.
- `decode` is streaming and deterministic: state (latent context, control anchors, oscillator
  phase, noise-grain counter, overlap-add tail) lives in buffers; one frame per call equals
  all frames at once. Output lags the input by {dsp.HOP // 2} samples (frame-centre anchors).
  State is batch-shaped; a new batch size starts a fresh state. Output is bounded to (-1, 1).

## Data

Seeded synthetic corpus (`nodes/models/corpus.py`, seed {options['seed']}):
{options['clips']} training clips ({n_train_frames} frames, {minutes:.1f} min) and
{options['test_clips']} held-out clips (indices {options['clips']}..{options['clips'] + options['test_clips'] - 1}),
2.2-4.5 s each at 44.1 kHz. Kinds ({kinds}): harmonic tones 50-1500 Hz with glides, vibrato,
ADSR, tremolo and moving brightness; wandering band-pass noise textures; plucked strings and
noise hits; vowels with gliding formants and aspiration. Levels -30 to -4 dBFS peak.

## Architecture

- Both networks are MLPs with a parallel linear skip path.
- Encoder: frame-local features ({N_FEATURES}: {SPEC_BANDS}-band log spectrum, YIN log-f0 and
  aperiodicity, four sub-block levels; standardised) → MLP {HIDDEN}-{HIDDEN} (SiLU) → mean and
  log-variance of {LATENT} latents.
- Decoder: causal MLP over the last {CONTEXT} latent frames ({HIDDEN}×3, SiLU) → controls at the
  frame centre: f0 (tanh-bounded in octaves around {dsp.F0_REF_HZ:.0f} Hz), {dsp.N_HARMONICS} harmonic
  amplitudes, {dsp.N_BANDS} noise band gains, all bounded. Synthesis: harmonic oscillator bank
  (controls interpolated linearly between frame anchors, anti-aliased) plus filtered noise in
  {dsp.GRAIN}-sample grains every {dsp.GRAIN_HOP} samples (noise from a counter-based hash whose
  counter is streaming state), then a soft clipper `x / (1 + x^4)^(1/4)`.
- Latent PCA variances (training set): {', '.join(f'{v:.3f}' for v in variances)}.

## Training

`{command}` — {options['steps']} steps, batch {options['batch']} segments of {options['frames']}
frames ({options['audio_batch']} synthesised), Adam one-cycle lr {options['lr']}, {options['threads']}
threads; wall time {train_seconds / 60:.1f} min (corpus synthesis included).

Losses: multi-scale spectral (FFT 2048..64, linear + log magnitude) on synthesised audio;
supervised decoder controls against the corpus's exact targets (f0 in semitones on voiced frames
× {options['f0_weight']}, harmonic amplitudes and noise gains as L1 of log amplitude); KL × {options['beta']}
with {options['free_bits']} free nats per latent dimension (against posterior collapse).

{_history_table(history)}

## Figures

Measured by `nodes/models/evaluate.py` (also `python bench/default_model.py`) on this file.

- Decode, 1 frame per call, {dec['threads']} threads: {dec['ms_per_frame']:.3f} ms per frame,
  **{dec['rtf']:.0f}× real time** (target ≥ 100×; median of repeats on a shared machine).
- Reconstruction of {rec['clips']} held-out tone clips: median f0 error
  **{rec['f0_cents_median']} cents** (p90 {rec['f0_cents_p90']}, gross > 100 ¢
  {rec['f0_gross_error_rate']}; the tracker on the input itself: {rec['f0_cents_median_input']} ¢),
  loudness error median **{rec['loudness_db_median']} dB** (mean {rec['loudness_db_mean']},
  p90 {rec['loudness_db_p90']}). Targets: ≤ 50 cents, ≤ 3 dB.
- Axis sweeps (±2 std of each axis, others 0, 25 steps; a feature is monotonic when a run
  moving one way covers ≥ {evaluate.COVERAGE:.0%} of the sweep and changes by at least
  {evaluate.MIN_CHANGE['pitch_cents']:.0f} ¢ / {evaluate.MIN_CHANGE['loudness_db']:.0f} dB /
  {evaluate.MIN_CHANGE['centroid_octaves']} octave): **{figures['axes_monotonic']} of {LATENT} axes**.

{_axes_table(figures['axes'])}

- Random latents (16 streams × 48 frames, RMS per frame):

```json
{json.dumps(figures['random_latents'], indent=1)}
```

## Limitations

Trained only on synthetic, monophonic sounds from the same synthesiser family as the decoder;
expect it to resynthesise real recordings as its closest synthetic sound. Controls change at
most once per {dsp.HOP}-sample frame, so sharp attacks are smoothed over ~46 ms.
"""
    path.write_text(text)
