"""Model card: what a trained model learned from, how, and how well — written beside the model.

``write(NAME.ts, record, figures, held_out)`` writes ``NAME.md`` and a folder ``NAME.card/``
holding the loss curve (``loss.png``) and, for a few held-out clips, the input and its
reconstruction as WAV (``clip-N-input.wav``, ``clip-N-model.wav``) and their spectrograms side
by side (``clip-N.png``). The training record (the command, options, files, loss history) is
also stored at the end of the card (an HTML comment holding JSON), so the figures can be
measured again later without retraining: ``python -m nodes.models.card MODEL.ts SOUNDS...``
(the held-out split is made again from the same recordings and seed).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import soundfile  # noqa: E402
import torch  # noqa: E402

from nodes.models import dsp, evaluate, recordings  # noqa: E402
from nodes.models.model import DECODER_HIDDEN, DELAY, GRU_SIZE, HIDDEN, N_FEATURES  # noqa: E402

_RECORD = re.compile(r"<!-- training-record\n(.*)\n-->", re.DOTALL)
CARD_CLIPS = 4


def _history_table(history: list[dict], rows: int = 10) -> str:
    """Markdown table of at most ``rows`` evenly spaced loss records (always the last)."""
    if not history:
        return "(no steps)"
    pick = sorted({round(i * (len(history) - 1) / max(rows - 1, 1)) for i in range(rows)})
    keys = [k for k in history[0] if k not in ("step", "seconds")]
    lines = ["| step | minutes | " + " | ".join(keys) + " |", "|---" * (len(keys) + 2) + "|"]
    for i in pick:
        h = history[i]
        lines.append(f"| {h['step']} | {h['seconds'] / 60:.1f} | " + " | ".join(f"{h[k]:.4f}" for k in keys) + " |")
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


def _files_table(files: dict[str, float]) -> str:
    """Files grouped by folder: count and minutes, with the first few names."""
    groups: dict[str, list[tuple[str, float]]] = {}
    for name, seconds in files.items():
        path = Path(name)
        groups.setdefault(path.parent.name or ".", []).append((path.name, seconds))
    lines = ["| folder | files | minutes | examples |", "|---|---|---|---|"]
    for folder, items in sorted(groups.items()):
        names = ", ".join(n for n, _ in items[:4]) + (", ..." if len(items) > 4 else "")
        lines.append(f"| {folder} | {len(items)} | {sum(s for _, s in items) / 60:.2f} | {names} |")
    return "\n".join(lines)


def _loss_picture(history: list[dict], out: Path) -> None:
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.2))
    steps = [h["step"] for h in history]
    for axis, key, label in ((ax[0], "total", "total loss"), (ax[1], "spectral", "spectral distance"),
                             (ax[2], "f0", "f0 error (semitones, voiced)")):
        axis.plot(steps, [h[key] for h in history])
        axis.set_title(label)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def _spectrogram_picture(x: np.ndarray, y: np.ndarray, title: str, out: Path) -> None:
    fig, ax = plt.subplots(1, 2, figsize=(11, 3.4), sharey=True)
    for axis, signal, label in ((ax[0], x, "held-out input"), (ax[1], y, "model")):
        axis.specgram(signal + 1e-9, NFFT=1024, Fs=dsp.SR, noverlap=768, cmap="magma", vmin=-130, vmax=-20)
        axis.set_title(f"{label}: {title}", fontsize=9)
        axis.set_xlabel("seconds")
        axis.set_ylim(0, 12000)
    ax[0].set_ylabel("Hz")
    fig.tight_layout()
    fig.savefig(out, dpi=72)
    plt.close(fig)


def _clips(model: torch.jit.ScriptModule, held_out: list[recordings.Clip], folder: Path,
           delay: int, count: int) -> list[str]:
    """Write WAVs and spectrograms of ``count`` held-out clips spread over the list; returns
    their Markdown lines."""
    lines = []
    step = max(len(held_out) // count, 1)
    for n, clip in enumerate(held_out[::step][:count], start=1):
        out = evaluate.resynthesise(model, clip.audio)
        x, y = clip.audio[: len(out) - delay], out[delay:].astype(np.float32)
        soundfile.write(folder / f"clip-{n}-input.wav", x, dsp.SR, subtype="PCM_16")
        soundfile.write(folder / f"clip-{n}-model.wav", y, dsp.SR, subtype="PCM_16")
        title = f"{clip.source.name} at {clip.start:.1f} s"
        _spectrogram_picture(x, y, title, folder / f"clip-{n}.png")
        lines.append(f"- {title}: [input](./{folder.name}/clip-{n}-input.wav), "
                     f"[model](./{folder.name}/clip-{n}-model.wav)\n\n"
                     f"  ![{title}](./{folder.name}/clip-{n}.png)")
    return lines


def write(model_path: Path, record: dict, figures: dict, held_out: list[recordings.Clip],
          clips: int = CARD_CLIPS) -> None:
    """Write ``NAME.md`` and ``NAME.card/`` for the model at ``model_path`` (see the module doc).

    ``record``: what :meth:`nodes.models.train.Run.record` returns; ``figures``: what
    :func:`nodes.models.evaluate.measure` returns for the held-out clips.
    """
    folder = model_path.with_suffix(".card")
    folder.mkdir(parents=True, exist_ok=True)
    model = torch.jit.load(str(model_path), map_location="cpu")
    rec, dec, options = figures["reconstruction"], figures["decode"], record["options"]
    if record["history"]:
        _loss_picture(record["history"], folder / "loss.png")
    clip_lines = _clips(model, held_out, folder, rec["delay_samples"], clips)
    latent, ratio = evaluate.latent_of(model), evaluate.ratio_of(model)
    minutes = sum(record["files"].values()) / 60.0
    skipped = "".join(f"\n- `{p}`: {why}" for p, why in record["skipped"].items()) or " none."
    text = f"""# Model card — `{model_path.name}`

Made by `{record['command']}`: a small variational autoencoder with a DDSP decoder (harmonic
oscillators plus filtered noise), exported with the interface of a RAVE v2 streaming export
(nn~-compatible: `rave-decode`, `latent-explorer` and other nn~-style hosts take it unchanged).

## Interface

- `sr` = {dsp.SR}, mono, `latent_size` = `full_latent_size` = {latent}, one latent frame per
  **{ratio} samples** ({ratio / dsp.SR * 1e3:.1f} ms): a control change is heard within one frame;
  `encode_params` = [1, 1, {latent}, {ratio}], `decode_params` = [{latent}, {ratio}, 1, 1],
  `forward_params` = [1, 1, 1, 1]; `get_methods()` = encode, decode, forward; extra
  `reset(batch_size=1)`.
- `encode` returns the posterior mean, PCA-rotated: axis 0 has the largest variance. Frame t
  sees the input up to its own end (causal).
- `decode` is causal, streaming and deterministic: state (GRU state, control anchors,
  oscillator phase, noise-grain counter, overlap-add tail) lives in buffers; one frame per call
  equals all frames at once. `forward` output lags its input by {DELAY} samples. Output is
  bounded to (-1, 1).

## Data

{len(record['files'])} recordings, {minutes:.1f} min after trimming silence;
{record['train_seconds_of_audio'] / 60:.1f} min trained on, {len(record['held_out'])} held-out clips
(split per file, seed {options['seed']}).

{_files_table(record['files'])}

Skipped:{skipped}

## Architecture

- Features per frame: 64-band log spectrum of the last 1024 samples, YIN log-f0 and
  aperiodicity of the last 2048, two levels ({N_FEATURES} values, standardised).
- Encoder: MLP {HIDDEN}-{HIDDEN} (SiLU) plus a linear skip path → mean and log-variance of {latent}
  latents.
- Decoder: MLP {DECODER_HIDDEN}-{DECODER_HIDDEN} → GRU {GRU_SIZE} → MLP {DECODER_HIDDEN} plus a linear
  skip path → per-frame anchors: f0, voicing, level, {dsp.N_HARMONICS} harmonic weights,
  {dsp.N_BANDS} noise bands (40 Hz-20 kHz); all bounded.
- Synthesis: harmonic oscillator bank (controls interpolated linearly across each frame,
  harmonics above Nyquist removed; harmonics scaled by the voicing, so unvoiced frames are
  noise only) plus filtered noise in {2 * ratio}-sample grains every {ratio} samples (white
  noise from a counter-based hash), then a soft clipper `x / (1 + x^4)^(1/4)`.
- Latent PCA variances (training frames): {', '.join(f'{v:.3f}' for v in record['variances'])}.

## Training

{record['steps']} steps in {record['training_seconds'] / 60:.1f} min
(`--minutes {options['minutes']}`, {options['threads']} threads, device {options['device']}),
batch {options['batch']} segments of {options['frames']} frames, Adam, lr {options['lr']} after a warm-up, cosine decay.
Losses: multi-scale spectral (FFT 2048..64, linear + log magnitude); f0 against YIN on voiced
frames (semitones); voicing (cross-entropy against YIN's voicing); A-weighted frame loudness in dB
(× {options.get('loudness_weight', 0)}); KL × {options['beta']} with
{options['free_bits']} free nats per dimension; a floor of {options['spread']} on the variance of
every principal axis of the posterior means.

![loss](./{folder.name}/loss.png)

{_history_table(record['history'])}

## Figures

Measured by `nodes/models/evaluate.py` on the held-out clips
(`python -m nodes.models.card {model_path.name} SOUNDS...` measures again).

- Decode, 1 frame per call, {dec['threads']} threads: {dec['ms_per_frame']:.3f} ms per frame,
  **{dec['rtf']:.0f}× real time** (median of {dec['repeats']} repeats, best {dec['rtf_best']:.0f}×).
- Reconstruction of {rec['clips']} held-out clips (aligned by the measured delay,
  {rec['delay_samples']} samples): multi-scale log-magnitude distance (FFT 2048..128)
  **{rec['spectral_distance_mean']}** mean, {rec['spectral_distance_median']} median; loudness error
  median **{rec['loudness_db_median']} dB**; f0 error median **{rec['f0_cents_median']} cents** over
  {rec['pitch_frames']} confidently pitched frames, **{rec['f0_cents_median_monophonic']} cents** on
  the {rec['monophonic_clips']} monophonic clips; harmonic buzz on unvoiced input frames:
  {rec['buzz_rate']} of {rec['unvoiced_frames']} frames.
- Latent axes swept alone (±2 std, others at 0): **{figures['axes_monotonic']} of {latent}** move
  loudness, pitch or brightness monotonically (a run covering ≥ {evaluate.COVERAGE:.0%} of the
  sweep, changing ≥ {evaluate.MIN_CHANGE['pitch_cents']:.0f} ¢ / {evaluate.MIN_CHANGE['loudness_db']:.0f} dB /
  {evaluate.MIN_CHANGE['centroid_octaves']} octave).

{_axes_table(figures['axes'])}

- Random latents (RMS per 2048-sample block):

```json
{json.dumps(figures['random_latents'], indent=1)}
```

## Held-out clips

{chr(10).join(clip_lines) or '(none)'}

## Limitations

One voice at a time: a harmonic oscillator bank follows one pitch, so chords and polyphonic
recordings come back as their strongest pitch plus noise shaped like the rest. No reverb or
transient model: room sound and sharp attacks are approximated by the filtered noise.

<!-- training-record
{json.dumps(record, default=str)}
-->
"""
    model_path.with_suffix(".md").write_text(text)


def read_record(card_path: Path) -> dict:
    """The training record stored in the card at ``card_path``."""
    match = _RECORD.search(card_path.read_text())
    if match is None:
        raise ValueError(f"{card_path}: no training record")
    return json.loads(match.group(1))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m nodes.models.card",
                                description="Measure a trained model again and rewrite its card.")
    p.add_argument("model", type=Path)
    p.add_argument("sounds", nargs="+", type=Path, help="the recordings it was trained on")
    args = p.parse_args(argv)
    record = read_record(args.model.with_suffix(".md"))
    torch.set_num_threads(record["options"]["threads"])
    material = recordings.gather(args.sounds, record["options"]["seed"])
    model = torch.jit.load(str(args.model), map_location="cpu")
    figures = evaluate.measure(model, material.held_out)
    write(args.model, record, figures, material.held_out)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
