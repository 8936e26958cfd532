"""Vocabulary overhead: expr against plain numpy, a subpatch boundary against a flat chain.

1. ``expr``: the compiled stack program for a typical latent expression, run on
   16-value vectors, against the same arithmetic written directly in numpy; and the
   whole ``process`` call (input checks, guard) against the same.
2. Subpatch boundary: ticks through ``src → latent-adjust → print`` against the same
   chain with latent-adjust inside an inline subpatch (an inlet and an outlet node
   added); the difference per tick is the cost of crossing in and out.
3. Checking a patch that includes an abstraction 32 times (file read once, expanded
   32 times).

    python bench/vocab_overhead.py [--ticks N]

Final line: JSON ``{"expr_ratio": program/numpy, "expr_node_us": .., "boundary_us": ..,
"check_ms_32_includes": ..}``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.graph import check_patch
from nodegraph.node import Inputs
from nodegraph.patch import load_patch, parse_patch
from nodegraph.registry import default_registry
from nodes.expr import compile_expression
from nodes.expr_node import Expr

SIZE = 16
EXPRESSION = "tanh(a * 2 + b) * mix(a, b, 0.3) + clip(a, -1, 1)"

FLAT = """\
format: nodegraph/1
nodes:
  knobs: {type: latent-adjust, params: {scale: [0.5], offset: [0.1]}}
  probe: {type: print, params: {quiet: true}}
links:
  - knobs.out -> probe.in
"""

WRAPPED = """\
format: nodegraph/1
nodes:
  sub:
    subpatch:
      nodes:
        in: {type: inlet, params: {type: vector}}
        knobs: {type: latent-adjust, params: {scale: [0.5], offset: [0.1]}}
        out: {type: outlet, params: {type: vector}}
      links:
        - in.out -> knobs.in
        - knobs.out -> out.in
  probe: {type: print, params: {quiet: true}}
links:
  - sub.out -> probe.in
"""


def best_of(fn, *args, repeats: int = 5) -> float:
    return min(fn(*args) for _ in range(repeats))


def time_program(n: int, a: np.ndarray, b: np.ndarray) -> float:
    program = compile_expression(EXPRESSION, ["a", "b"])
    values = {"a": a, "b": b}
    start = time.perf_counter()
    for _ in range(n):
        program.run(values)
    return time.perf_counter() - start


def time_numpy(n: int, a: np.ndarray, b: np.ndarray) -> float:
    start = time.perf_counter()
    for _ in range(n):
        np.tanh(a * 2 + b) * (a + (b - a) * 0.3) + np.clip(a, -1, 1)
    return time.perf_counter() - start


def time_node(n: int, a: np.ndarray, b: np.ndarray) -> float:
    node = Expr("x", {"inputs": "a b", "expression": EXPRESSION})
    node.open()
    inputs = Inputs(["a", "b"])
    inputs.values.update(a=a.astype(np.float32), b=b.astype(np.float32))
    start = time.perf_counter()
    for _ in range(n):
        node.process(inputs)
    return time.perf_counter() - start


def time_chain(text: str, entry: tuple[str, str], ticks: int, x: np.ndarray) -> float:
    engine = Engine(parse_patch(text), default_registry(), clock=VirtualClock())
    engine.open()
    scheduler, target = engine.scheduler, engine.runtime[entry[0]]
    start = time.perf_counter()
    for _ in range(ticks):
        scheduler.send(target, entry[1], x, 0.0)
        scheduler.run_pending()
    elapsed = time.perf_counter() - start
    assert engine.runtime["probe"].node.count == ticks
    engine.close()
    return elapsed


def time_check(folder: Path, repeats: int = 5) -> float:
    lib = Path(__file__).resolve().parent.parent / "patches" / "lib" / "latent-drift.yaml"
    (folder / "drift.yaml").write_text(lib.read_text())
    nodes = "".join(f"  d{i}: {{include: drift.yaml, params: {{seed: {i}}}}}\n" for i in range(32))
    path = folder / "many.yaml"
    path.write_text(f"format: nodegraph/1\nnodes:\n{nodes}")
    registry = default_registry()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        graph = check_patch(load_patch(path), registry)
        best = min(best, time.perf_counter() - start)
    assert len(graph.nodes) == 32 * 3
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=5000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(SIZE), rng.standard_normal(SIZE)
    n = args.ticks * 4
    program_s = best_of(time_program, n, a, b)
    numpy_s = best_of(time_numpy, n, a, b)
    node_s = best_of(time_node, n, a, b)
    x = np.ones(SIZE, np.float32)
    flat_s = best_of(time_chain, FLAT, ("knobs", "in"), args.ticks, x)
    wrapped_s = best_of(time_chain, WRAPPED, ("sub/in", "in"), args.ticks, x)
    with tempfile.TemporaryDirectory() as tmp:
        check_s = time_check(Path(tmp))
    print(f"expr program {1e6 * program_s / n:.1f} us/call, numpy {1e6 * numpy_s / n:.1f} us, "
          f"node.process {1e6 * node_s / n:.1f} us")
    print(f"flat chain {1e6 * flat_s / args.ticks:.1f} us/tick, "
          f"through a subpatch {1e6 * wrapped_s / args.ticks:.1f} us/tick")
    print(f"check with 32 includes: {1e3 * check_s:.1f} ms")
    print(json.dumps({
        "expr_ratio": round(program_s / numpy_s, 3),
        "expr_program_us": round(1e6 * program_s / n, 2),
        "expr_numpy_us": round(1e6 * numpy_s / n, 2),
        "expr_node_us": round(1e6 * node_s / n, 2),
        "boundary_us": round(1e6 * (wrapped_s - flat_s) / args.ticks, 2),
        "subpatch_tick_ratio": round(wrapped_s / flat_s, 3),
        "check_ms_32_includes": round(1e3 * check_s, 2),
    }))


if __name__ == "__main__":
    main()
