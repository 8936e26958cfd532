"""Measure the shipped default model: ``python bench/default_model.py [--model PATH]``.

Prints the figures of issue 4 — decode real-time factor at one frame per call on 2 threads,
reconstruction of held-out harmonic tones (median f0 error in cents, loudness error in dB),
per-axis sweep monotonicity, random-latent level statistics — as readable lines, then ONE final
JSON line with everything. The held-out clips are regenerated from the corpus seed and split the
training script used (defaults match ``python -m nodes.models.train``'s).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nodes.models import DEFAULT_MODEL_PATH, corpus, evaluate  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    p.add_argument("--seed", type=int, default=0, help="corpus seed used for training")
    p.add_argument("--train-clips", type=int, default=400, help="training clips (test split starts here)")
    p.add_argument("--test-clips", type=int, default=40)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    model = torch.jit.load(str(args.model), map_location="cpu")
    clips = [corpus.make_clip(args.seed, i)
             for i in range(args.train_clips, args.train_clips + args.test_clips)]
    figures = evaluate.measure(model, clips)
    dec, rec, rnd = figures["decode"], figures["reconstruction"], figures["random_latents"]
    print(f"model: {args.model} ({args.model.stat().st_size / 1e6:.2f} MB)")
    print(f"decode 1 frame/call, {dec['threads']} threads: {dec['ms_per_frame']:.3f} ms/frame, "
          f"RTF {dec['rtf']:.0f}x (best {dec['rtf_best']:.0f}x; target >= 100x)")
    print(f"held-out tones ({rec['clips']} clips): f0 error median {rec['f0_cents_median']} cents "
          f"(target <= 50), loudness error median {rec['loudness_db_median']} dB (target <= 3)")
    for a in figures["axes"]:
        moved = [k for k in ("pitch_cents", "loudness_db", "centroid_octaves") if a[k]["monotonic"]]
        print(f"axis {a['axis']} (std {a['scale']:.3f}): "
              f"{'monotonic in ' + ', '.join(moved) if moved else 'NOT monotonic'}")
    for name, r in rnd.items():
        print(f"random latents {name}: median {r['rms_dbfs_median']} dBFS, silent frames "
              f"{r['silent_frame_fraction']:.1%}, peak {r['peak']}, finite {r['finite']}")
    summary = {
        "model": str(args.model), "size_mb": round(args.model.stat().st_size / 1e6, 3),
        "rtf_1frame_2threads": dec["rtf"], "ms_per_frame": dec["ms_per_frame"],
        "f0_cents_median": rec["f0_cents_median"], "loudness_db_median": rec["loudness_db_median"],
        "axes_monotonic": figures["axes_monotonic"],
        "bench_seconds": round(time.perf_counter() - started, 1), **figures,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
