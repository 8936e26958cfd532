"""Fuzz the patch reader: mutated patches, includes and --set values, at scale.

Every mutation (see ``tests/patch_mutants.py``) must end as a valid patch or as a
PatchError whose every problem names its file and line (or the command line);
anything else, a traceback, is counted and the first few are printed. Each mutation
runs in a fresh folder beside hostile files (a symlink loop, FIFOs, /dev/zero links).

    python bench/fuzz_patches.py [--mutations 10000] [--seed 0]

Final line: JSON with ``tried``, ``survived`` (no traceback), ``tracebacks``,
``valid``/``errors``, the slowest mutation's time and number (the first that names
the default model pays for importing torch and loading it) and the largest peak of
Python memory allocated for one (tracemalloc).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from nodegraph.registry import default_registry  # noqa: E402
from patch_mutants import mutate, outcome, prepare_folder  # noqa: E402

SHOWN = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mutations", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    registry = default_registry()
    counts = {"valid": 0, "error": 0, "traceback": 0}
    slowest, slowest_n, peak = 0.0, 0, 0
    shown = 0
    tracemalloc.start()
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.mutations):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            prepare_folder(folder)
            mutant = mutate(rng)
            tracemalloc.reset_peak()
            start = time.perf_counter()
            result = outcome(folder, mutant, registry)
            took = time.perf_counter() - start
            if took > slowest:
                slowest, slowest_n = took, n
            peak = max(peak, tracemalloc.get_traced_memory()[1])
            kind = result if result in ("valid", "error") else "traceback"
            counts[kind] += 1
            if kind == "traceback" and shown < SHOWN:
                shown += 1
                print(f"--- mutation {n}: {mutant!r}\n{result}", file=sys.stderr)
            for path in sorted(folder.rglob("*"), reverse=True):
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()
                else:
                    path.unlink()
            folder.rmdir()
    print(json.dumps({"tried": args.mutations, "survived": args.mutations - counts["traceback"],
                      "tracebacks": counts["traceback"], "valid": counts["valid"],
                      "errors": counts["error"], "slowest_s": round(slowest, 3),
                      "slowest_mutation": slowest_n,
                      "peak_mib": round(peak / 2**20, 1), "seed": args.seed}))


if __name__ == "__main__":
    main()
