"""Model card: a short Markdown description written next to the exported weights.

The training script calls :func:`write` with its training record (options, command, loss
history, wall time, latent variances) and the measured figures. The record is also stored at the
end of the card (an HTML comment holding JSON), so the figures can be measured again later on the
shipped file without retraining — ``python -m nodes.models.card [MODEL.ts]`` re-runs
:func:`nodes.models.evaluate.measure` (e.g. when the timing was taken on a busy machine) and
rewrites the card with the same record.
"""

import argparse
import json
import re
from pathlib import Path

import torch

from nodes.models import DEFAULT_MODEL_PATH, corpus, dsp, evaluate
from nodes.models.model import CONTEXT, HIDDEN, LATENT, N_FEATURES, SPEC_BANDS

_RECORD = re.compile(r"<!-- training-record\n(.*)\n-->", re.DOTALL)


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


def write(path: Path, record: dict, figures: dict) -> None:
    """Write the card for a model described by ``record`` with measured ``figures``.

    ``record`` keys: ``options`` (the parsed training CLI as a dict), ``command``, ``history``
    (logged losses), ``train_seconds``, ``variances`` (latent PCA), ``n_train_frames``.
    """
    options = record["options"]
    rec = figures["reconstruction"]
    dec = figures["decode"]
    minutes = record["n_train_frames"] * dsp.HOP / dsp.SR / 60.0
    kinds = ", ".join(f"{k} {w:.0%}" for k, w in zip(corpus.KINDS, corpus.KIND_WEIGHTS))
    last = options["clips"] + options["test_clips"] - 1
    text = f"""# Default model — `{path.with_suffix('.ts').name}`

A small variational autoencoder with a DDSP decoder, trained by the project on its own synthetic
corpus, exported with the interface of a RAVE v2 streaming export (nn~-compatible).

## Interface

- `sr` = {dsp.SR}, mono, `latent_size` = `full_latent_size` = {LATENT}, one latent frame per
  {dsp.HOP} samples; `encode_params` = [1, 1, {LATENT}, {dsp.HOP}], `decode_params` =
  [{LATENT}, {dsp.HOP}, 1, 1], `forward_params` = [1, 1, 1, 1]; `get_methods()` =
  encode, decode, forward; extra `reset(batch_size=1)`.
- `encode` returns the posterior mean, PCA-rotated: axis 0 has the largest variance. It is
  stateless and frame-local.
- `decode` is streaming and deterministic: state (latent context, control anchors, oscillator
  phase, noise-grain counter, overlap-add tail) lives in buffers; one frame per call equals
  all frames at once. Output lags the input by {dsp.HOP // 2} samples (frame-centre anchors).
  State is batch-shaped; a new batch size starts a fresh state. Output is bounded to (-1, 1).

## Data

Seeded synthetic corpus (`nodes/models/corpus.py`, seed {options['seed']}):
{options['clips']} training clips ({record['n_train_frames']} frames, {minutes:.1f} min) and
{options['test_clips']} held-out clips (indices {options['clips']}..{last}), 2.2-4.5 s each at
44.1 kHz mono, peak levels -24 to -3 dBFS. Kinds ({kinds}): harmonic tones 50-1500 Hz with
glides, vibrato, ADSR, tremolo, moving brightness and breath noise from barely audible to strong;
wandering band-pass noise textures, often with a whistle or hum inside; plucked strings and noise
hits; vowels with gliding formants and aspiration.

## Architecture

- Encoder: frame-local features ({N_FEATURES}: {SPEC_BANDS}-band log spectrum, YIN log-f0 and
  aperiodicity, four sub-block levels; standardised) → MLP {HIDDEN}-{HIDDEN} (SiLU) plus a linear
  skip path → mean and log-variance of {LATENT} latents.
- Decoder: causal MLP over the last {CONTEXT} latent frames ({HIDDEN}×3, SiLU) plus a linear skip
  path → controls anchored at the frame centre: f0 (tanh-bounded in octaves around
  {dsp.F0_REF_HZ:.0f} Hz), an overall level, a tonal/noise balance, a softmax over
  {dsp.N_HARMONICS} harmonics and one over {dsp.N_BANDS} noise bands; all bounded.
- Synthesis: a harmonic oscillator bank (computed as two {dsp.WAVETABLE}-point single-cycle
  wavetables per frame, controls interpolated linearly between anchors, harmonics above Nyquist
  removed) plus filtered noise in {dsp.GRAIN}-sample grains every {dsp.GRAIN_HOP} samples (white
  noise from a counter-based hash whose counter is streaming state), then a soft clipper
  `x / (1 + x^4)^(1/4)`.
- Latent PCA variances (training set): {', '.join(f'{v:.3f}' for v in record['variances'])}.

## Training

`{record['command']}` — {options['steps']} steps, batch {options['batch']} segments of
{options['frames']} frames ({options['audio_batch']} synthesised per step), Adam one-cycle lr
{options['lr']}, {options['threads']} threads; wall time {record['train_seconds'] / 60:.1f} min
(corpus synthesis included).

Losses: multi-scale spectral (FFT 2048..64, linear + log magnitude) on synthesised audio;
supervised decoder controls against the corpus's exact targets — f0 in semitones on voiced
frames (× {options['f0_weight']}), harmonic amplitudes and noise gains as L1 of log amplitude,
and the log total level of each part; KL × {options['beta']} with {options['free_bits']} free
nats per latent dimension (against posterior collapse); a floor of {options['spread']} on the
variance of every principal axis of the posterior means (so that all 8 exported axes have range).

{_history_table(record['history'])}

## Figures

Measured by `nodes/models/evaluate.py` on this file (`python bench/default_model.py` prints the
same figures; `python -m nodes.models.card` measures again and rewrites this card).

- Decode, 1 frame per call, {dec['threads']} threads: {dec['ms_per_frame']:.3f} ms per frame,
  **{dec['rtf']:.0f}× real time** (median of {dec['repeats']} repeats, best {dec['rtf_best']:.0f}×;
  target ≥ 100×; the machine is shared, so timings vary).
- Reconstruction of {rec['clips']} held-out tone clips: median f0 error
  **{rec['f0_cents_median']} cents** (p90 {rec['f0_cents_p90']}, gross > 100 ¢
  {rec['f0_gross_error_rate']}; the tracker on the input itself: {rec['f0_cents_median_input']} ¢),
  loudness error median **{rec['loudness_db_median']} dB** (mean {rec['loudness_db_mean']},
  p90 {rec['loudness_db_p90']}). Targets: ≤ 50 cents, ≤ 3 dB.
- Axis sweeps (±2 std of each axis, others 0, 25 steps, pitch by YIN on the audio, undefined
  where aperiodic; a feature is monotonic when a run moving one way covers
  ≥ {evaluate.COVERAGE:.0%} of the sweep and changes by at least
  {evaluate.MIN_CHANGE['pitch_cents']:.0f} ¢ / {evaluate.MIN_CHANGE['loudness_db']:.0f} dB /
  {evaluate.MIN_CHANGE['centroid_octaves']} octave): **{figures['axes_monotonic']} of {LATENT} axes**.

{_axes_table(figures['axes'])}

Axes not monotonic by this measure: {', '.join(str(a['axis']) for a in figures['axes'] if not a['monotonic']) or 'none'}.

- Random latents (16 streams × 48 frames, RMS per frame):

```json
{json.dumps(figures['random_latents'], indent=1)}
```

## Limitations

Trained only on synthetic, monophonic sounds from the same synthesiser family as the decoder;
expect it to resynthesise real recordings as its closest synthetic sound. Controls change at
most once per {dsp.HOP}-sample frame, so sharp attacks are smoothed over ~46 ms.

<!-- training-record
{json.dumps(record, default=str)}
-->
"""
    path.write_text(text)


def read_record(path: Path) -> dict:
    """The training record stored in the card at ``path``."""
    match = _RECORD.search(path.read_text())
    if match is None:
        raise ValueError(f"{path}: no training record")
    return json.loads(match.group(1))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m nodes.models.card",
                                description="Measure a trained model again and rewrite its card.")
    p.add_argument("model", type=Path, nargs="?", default=DEFAULT_MODEL_PATH)
    args = p.parse_args(argv)
    card = args.model.with_suffix(".md")
    record = read_record(card)
    options = record["options"]
    torch.set_num_threads(options["threads"])
    model = torch.jit.load(str(args.model), map_location="cpu")
    test_clips = [corpus.make_clip(options["seed"], i) for i in
                  range(options["clips"], options["clips"] + options["test_clips"])]
    figures = evaluate.measure(model, test_clips, quick=options["tiny"])
    write(card, record, figures)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
