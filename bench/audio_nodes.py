"""Audio utility nodes: render cost per block against the bare numpy they wrap.

For each node, ``render`` on a 256-frame block (the live default; stereo unless
said) on a live engine's context (``catch_up`` a no-op, as on the audio worker),
against the numpy expression that computes the same samples with nothing around
it. The ratio is the price of the node contract, the control grid and the glide;
the absolute figure is what matters next to the block's 5.3 ms at 48 kHz.

1. ``gain`` holding still, and gliding (a new gain every block);
2. ``crossfade`` (equal-power), ``mix`` of 4 inputs, ``meter`` (20 Hz, 300 ms);
3. ``audio-file`` looping a stereo 48 kHz file, and a 44.1 kHz file resampled;
4. a subpatch boundary: the DSP chain ``src → gain → sink`` against the same with
   the gain inside an abstraction (an audio inlet and outlet added), per block;
5. ``patches/crossfade-models.yaml`` rendered offline for 10 s: speed against real time.

    python bench/audio_nodes.py [--blocks N]

Final line: JSON with ``<node>_us`` (per block), ``<node>_ratio`` (node / numpy),
``boundary_us`` (per block, both ports) and ``crossfade_models_x_realtime``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodegraph.clock import RealClock, VirtualClock  # noqa: E402
from nodegraph.engine import Engine  # noqa: E402
from nodegraph.patch import load_patch  # noqa: E402
from nodegraph.registry import default_registry  # noqa: E402

SR, BLOCK = 48000, 256

NODES = """\
format: nodegraph/1
nodes:
  gain: {type: gain, params: {gain: 0.5}}
  glide: {type: gain, params: {gain: 0.5}}
  fade: {type: crossfade, params: {position: 0.3}}
  mix: {type: mix, params: {count: 4, gains: [0.5, 0.25, 1.0, 2.0]}}
  meter: {type: meter}
  file: {type: audio-file, params: {path: loop.wav}}
  resampled: {type: audio-file, params: {path: loop44.wav}}
"""


def per_call_us(fn: Callable[[], object], n: int, repeats: int = 5) -> float:
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, time.perf_counter() - start)
    return 1e6 * best / n


def node_figures(folder: Path, n: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    x, y = (rng.standard_normal((BLOCK, 2)).astype(np.float32) for _ in range(2))
    four = [rng.standard_normal((BLOCK, 2)).astype(np.float32) for _ in range(4)]
    t = np.arange(SR * 2) / SR
    sf.write(folder / "loop.wav", np.stack([np.sin(2 * np.pi * 220 * t)] * 2, 1), SR,
             subtype="FLOAT")
    sf.write(folder / "loop44.wav", np.stack([np.sin(2 * np.pi * 220 * t)] * 2, 1), 44100,
             subtype="FLOAT")
    (folder / "nodes.yaml").write_text(NODES)
    engine = Engine(load_patch(folder / "nodes.yaml"), default_registry(), clock=RealClock())
    engine.open()  # not started: a live context, catch_up does nothing
    node = {i: rn.node for i, rn in engine.runtime.items()}
    for each in node.values():
        each.prepare(SR, BLOCK)
    gains = np.array([[0.5, 0.25, 1.0, 2.0]], np.float32)
    ga, gb = np.float32(math.cos(0.3 * math.pi / 2)), np.float32(math.sin(0.3 * math.pi / 2))
    data = np.ascontiguousarray(sf.read(folder / "loop.wav", dtype="float32")[0])
    cursor = [0]

    def copy_loop() -> np.ndarray:
        i = cursor[0] = (cursor[0] + BLOCK) % (len(data) - BLOCK)
        return data[i:i + BLOCK].copy()

    flip = [0.5]

    def glide() -> object:
        flip[0] = 1.5 - flip[0]
        node["glide"]._control.set(np.array([flip[0]]), 0.0)
        return node["glide"].render({"in": x}, BLOCK)

    def level() -> tuple[float, float]:
        return float(np.sqrt(np.mean(x * x))), float(np.abs(x).max())

    cases = {
        "gain": (lambda: node["gain"].render({"in": x}, BLOCK), lambda: x * np.float32(0.5)),
        "gain_gliding": (glide, lambda: x * np.float32(0.5)),
        "crossfade": (lambda: node["fade"].render({"a": x, "b": y}, BLOCK),
                      lambda: x * ga + y * gb),
        "mix": (lambda: node["mix"].render({f"in{i + 1}": s for i, s in enumerate(four)}, BLOCK),
                lambda: sum(s * gains[0, i] for i, s in enumerate(four))),
        "meter": (lambda: node["meter"].render({"in": x}, BLOCK), level),
        "audio_file": (lambda: node["file"].render({}, BLOCK), copy_loop),
        "audio_file_resampled": (lambda: node["resampled"].render({}, BLOCK), copy_loop),
    }
    figures: dict[str, float] = {}
    for name, (run_node, run_numpy) in cases.items():
        node_us, numpy_us = per_call_us(run_node, n), per_call_us(run_numpy, n)
        figures[f"{name}_us"] = round(node_us, 2)
        figures[f"{name}_ratio"] = round(node_us / numpy_us, 1)
        print(f"{name:22s} {node_us:8.2f} us/block   numpy {numpy_us:6.2f} us   "
              f"x{node_us / numpy_us:5.1f}   {100 * node_us / (1e6 * BLOCK / SR):5.2f}% of "
              "a block")
    engine.close()
    return figures


def chain_seconds(folder: Path, text: str, blocks: int) -> float:
    (folder / "chain.yaml").write_text(text)
    engine = Engine(load_patch(folder / "chain.yaml"), default_registry(), clock=VirtualClock())
    engine.open()
    chain = engine.audio.chain
    for step in chain.steps:
        step.node.prepare(SR, BLOCK)
    start = time.perf_counter()
    for _ in range(blocks):
        chain.render(BLOCK)
    seconds = time.perf_counter() - start
    engine.close()
    return seconds


def boundary_us(folder: Path, blocks: int) -> float:
    """Per block: a gain inside an abstraction against the same gain in the patch."""
    sf.write(folder / "src.wav", np.zeros((SR, 2), np.float32), SR, subtype="FLOAT")
    (folder / "level.yaml").write_text("""\
format: nodegraph/1
nodes:
  in: {type: inlet, params: {type: audio}}
  g: {type: gain}
  out: {type: outlet, params: {type: audio}}
links:
  - in.out -> g.in
  - g.out -> out.in
""")
    flat = """\
format: nodegraph/1
nodes:
  src: {type: audio-file, params: {path: src.wav}}
  g: {type: gain}
  m: {type: meter}
links:
  - src.audio -> g.in
  - g.out -> m.in
"""
    wrapped = flat.replace("  g: {type: gain}", "  g: {include: level.yaml}")
    wrapped_s = min(chain_seconds(folder, wrapped, blocks) for _ in range(7))
    flat_s = min(chain_seconds(folder, flat, blocks) for _ in range(7))
    print(f"chain src → gain → meter: {1e6 * flat_s / blocks:.2f} us/block; with the gain in "
          f"an abstraction: {1e6 * wrapped_s / blocks:.2f} us/block")
    return 1e6 * (wrapped_s - flat_s) / blocks


def offline_speed(seconds: float) -> float:
    engine = Engine.load(ROOT / "patches" / "crossfade-models.yaml", clock=VirtualClock())
    engine.open()
    start = time.perf_counter()
    engine.run_offline(seconds)
    elapsed = time.perf_counter() - start
    engine.close()
    return seconds / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = node_figures(folder, args.blocks)
        figures["boundary_us"] = round(boundary_us(folder, args.blocks), 2)
    print(f"subpatch boundary (audio in + out) {figures['boundary_us']:.2f} us/block")
    figures["crossfade_models_x_realtime"] = round(offline_speed(10.0), 2)
    print(f"crossfade-models.yaml offline: {figures['crossfade_models_x_realtime']:.2f}x real time")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
