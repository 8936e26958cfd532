"""The latency comparison: the same control stream through several models at blocks
64, 128 and 256, with and without the face chain.

Runs ``bench/latency.py`` once per case (each case in a process of its own, on a
JACK dummy server at 48 kHz whose period is the block), prints each case's JSON
line as it finishes, then a Markdown table of measured figures beside the floor
each model's ratio and the block allow (docs/audio.md, "Latency").

    python bench/latency_matrix.py MODEL.ts [MODEL.ts ...] [--blocks 64 128 256]
        [--seconds 25] [--face both|on|off]

e.g. the default model against a RAVE v2-sized streaming model at ratio 2048:
``python tests/model_builders.py rave-v2-sized /tmp/rave.ts``, then
``python bench/latency_matrix.py default /tmp/rave.ts``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "latency.py"


def run_case(model: str, block: int, face: bool, args: argparse.Namespace) -> dict:
    """One case's final JSON line (or an ``error`` line when the case failed)."""
    command = [sys.executable, str(BENCH), model, "--block", str(block),
               "--seconds", str(args.seconds), "--interval-ms", str(args.interval_ms),
               "--safety-ms", str(args.safety_ms)] + (["--face"] if face else [])
    result = subprocess.run(command, capture_output=True, text=True,
                            timeout=args.seconds + 180)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return {"model": model, "block": block, "face": face, "error": tail}
    return json.loads(lines[-1])


def table(cases: list[dict]) -> str:
    """Measured figures beside the floor, one row per case (Markdown)."""
    rows = ["| model (ratio) | block | face | p50 | p95 | jitter | max | floor p50 / p95 / jitter "
            "| underruns | events |", "|---|---|---|---|---|---|---|---|---|---|"]
    for c in cases:
        name = f"{Path(c['model']).stem} ({c.get('ratio', '?')})"
        if "error" in c:
            rows.append(f"| {name} | {c['block']} | {'on' if c['face'] else 'off'} | "
                        f"failed: {c['error']} | | | | | | |")
            continue
        floor = c["floor"]
        rows.append(f"| {name} | {c['block']} | {'on' if c['face'] else 'off'} | "
                    f"{c['p50_ms']} | {c['p95_ms']} | {c['jitter_ms']} | {c['max_ms']} | "
                    f"{floor['p50']} / {floor['p95']} / {floor['jitter']} | "
                    f"{c['underruns']} ({c['xruns']} xruns) | {c['events']} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model files, or 'default'")
    parser.add_argument("--blocks", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--seconds", type=float, default=25.0)
    parser.add_argument("--interval-ms", type=float, default=25.0)
    parser.add_argument("--safety-ms", type=float, default=1.5)
    parser.add_argument("--face", choices=("both", "on", "off"), default="both")
    args = parser.parse_args()
    faces = {"both": (False, True), "on": (True,), "off": (False,)}[args.face]
    cases = []
    for model in args.models:
        for face in faces:
            for block in args.blocks:
                case = run_case(model, block, face, args)
                cases.append(case)
                print(json.dumps(case), flush=True)
    print(table(cases))


if __name__ == "__main__":
    main()
