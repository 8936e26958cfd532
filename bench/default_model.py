"""Measure a model made by ``nodegraph train`` on its held-out clips, against a baseline.

``python bench/default_model.py [--model PATH] [--sounds FOLDER] [--baseline OLD.ts
--baseline-delay SAMPLES]``

The held-out split is made again from the recordings and seed the model was trained with (its
card's record): by default the shipped model and the default corpus, rebuilt into a temporary
folder by ``nodes.models.default_corpus`` when ``--sounds`` is not given. Prints decode speed
at one frame per call, reconstruction (multi-scale log-magnitude distance, loudness error, f0
error on confidently pitched and monophonic clips, harmonic buzz on unvoiced frames), axis
sweeps and random-latent levels; with ``--baseline`` the baseline's reconstruction of the same
clips and the ratio of distances. Ends with ONE JSON line holding everything.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nodes.models import DEFAULT_MODEL_PATH, card, default_corpus, evaluate, recordings  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    p.add_argument("--sounds", type=Path, help="the recordings it was trained on (default: the "
                   "default corpus, rebuilt)")
    p.add_argument("--baseline", type=Path, help="another model to compare on the same clips")
    p.add_argument("--baseline-delay", type=int,
                   help="samples the baseline's forward lags its input (else measured)")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    record = card.read_record(args.model.with_suffix(".md"))
    with tempfile.TemporaryDirectory() as tmp:
        sounds = args.sounds or Path(tmp)
        if args.sounds is None:
            default_corpus.make(sounds)
        held_out = recordings.gather([sounds], record["options"]["seed"]).held_out
    model = torch.jit.load(str(args.model), map_location="cpu")
    figures = evaluate.measure(model, held_out)
    dec, rec, rnd = figures["decode"], figures["reconstruction"], figures["random_latents"]
    print(f"model: {args.model} ({args.model.stat().st_size / 1e6:.2f} MB), ratio {dec['ratio']}")
    print(f"decode 1 frame/call, {dec['threads']} threads: {dec['ms_per_frame']:.3f} ms/frame, "
          f"RTF {dec['rtf']:.0f}x (best {dec['rtf_best']:.0f}x; target >= 30x)")
    print(f"held-out ({rec['clips']} clips): spectral distance {rec['spectral_distance_mean']}, "
          f"loudness error median {rec['loudness_db_median']} dB (target <= 2), f0 error median "
          f"{rec['f0_cents_median']} cents, monophonic clips {rec['f0_cents_median_monophonic']} "
          f"cents (target <= 30), buzz on unvoiced frames {rec['buzz_rate']}")
    summary = {"model": str(args.model), "size_mb": round(args.model.stat().st_size / 1e6, 3),
               "rtf_1frame": dec["rtf"], "ms_per_frame": dec["ms_per_frame"],
               "spectral_distance": rec["spectral_distance_mean"],
               "loudness_db_median": rec["loudness_db_median"], "f0_cents_median": rec["f0_cents_median"],
               "f0_cents_median_monophonic": rec["f0_cents_median_monophonic"],
               "buzz_rate": rec["buzz_rate"], "axes_monotonic": figures["axes_monotonic"]}
    if args.baseline:
        base = torch.jit.load(str(args.baseline), map_location="cpu")
        base_rec = evaluate.reconstruction(base, held_out, args.baseline_delay)
        ratio = rec["spectral_distance_mean"] / base_rec["spectral_distance_mean"]
        print(f"baseline {args.baseline}: spectral distance {base_rec['spectral_distance_mean']}, "
              f"loudness error {base_rec['loudness_db_median']} dB, f0 error "
              f"{base_rec['f0_cents_median']} cents; distance ratio {ratio:.3f} "
              f"({(1 - ratio):.0%} lower; target >= 30 % lower)")
        summary.update(baseline=str(args.baseline), baseline_reconstruction=base_rec,
                       distance_ratio_to_baseline=round(ratio, 4))
    for a in figures["axes"]:
        moved = [k for k in ("pitch_cents", "loudness_db", "centroid_octaves") if a[k]["monotonic"]]
        print(f"axis {a['axis']} (std {a['scale']:.3f}): "
              f"{'monotonic in ' + ', '.join(moved) if moved else 'NOT monotonic'}")
    for name, r in rnd.items():
        print(f"random latents {name}: median {r['rms_dbfs_median']} dBFS, silent blocks "
              f"{r['silent_block_fraction']:.1%}, peak {r['peak']}, finite {r['finite']}")
    summary["bench_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps({**summary, **figures}))


if __name__ == "__main__":
    main()
