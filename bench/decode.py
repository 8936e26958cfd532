"""Decode speed: the raw ``model.decode`` loop against rave-decode in the engine.

Both decode the same latent, ``--frames-per-call`` frames per call, with the same
torch threads, for ``--seconds`` of audio at the model's rate (no resampling):

- **raw**: a Python loop calling ``model.decode`` on a fresh instance;
- **node**: a patch ``constant → rave-decode → audio-out`` rendered offline by the
  engine (scheduler steps, DSP chain, latent slot, decoder queue, output), as
  ``nodegraph run --out`` renders it.

Rounds alternate (raw, node, raw, node...) so a change in machine load hits both;
each side keeps its best round; both warm the model up first, untimed. Real-time
factor = seconds of audio per second of wall time. The node's rounds write no file;
one more, untimed, records the audio with ``--out``'s recorder, and for a streaming
model it is compared with the raw loop's, sample for sample. (A non-streaming model
costs the node ``LEFT_CONTEXT + RIGHT_CONTEXT`` = 3 more frames per call, for its
context and crossfade: expect a ratio near ``n / (n + 3)`` there.)

    python bench/decode.py MODEL.ts [--seconds 10] [--rounds 3] [--threads 1]

Final line: JSON ``{"raw_rtf", "node_rtf", "ratio": node/raw, "identical", ...}``.
Target: ratio ≥ 0.9 for a model of 0.1-0.2 ms per frame (issue 13).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodegraph.clock import VirtualClock  # noqa: E402
from nodegraph.engine import Engine  # noqa: E402
from nodegraph.patch import parse_patch  # noqa: E402
from nodes.neural.model import WARMUP_CALLS, load_model  # noqa: E402

PATCH = """\
format: nodegraph/1
nodes:
  point: {{type: constant, params: {{value: {latent}}}}}
  dec: {{type: rave-decode, params: {{model: '{model}', threads: {threads}, frames_per_call: {n}}}}}
  out: {{type: audio-out}}
links:
  - point.out -> dec.latent
  - dec.audio -> out.audio
"""


def raw_round(model: Path, latent: np.ndarray, frames: int, n: int,
              threads: int) -> tuple[float, np.ndarray]:
    """Seconds to decode ``frames`` frames by calling ``model.decode`` directly, n at a
    time (the latent filled to full width with zeros, as the node does), and the audio."""
    loaded = load_model(model, threads)
    info = loaded.info
    width = info.full_latent_size if info.takes_full_latent else info.latent_size
    z = torch.zeros(1, width, n)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    chunks = []
    with torch.inference_mode():
        for _ in range(WARMUP_CALLS):  # as rave-decode does before its first block
            loaded.module.decode(z)
        z[0, :info.latent_size] = torch.from_numpy(latent)[:, None]
        start = time.perf_counter()
        for _ in range(frames // n):
            chunks.append(loaded.module.decode(z)[0].numpy().T)
        elapsed = time.perf_counter() - start
    return elapsed, np.concatenate(chunks)


def node_round(model: Path, latent: np.ndarray, seconds: float, n: int, threads: int,
               record: Path | None = None) -> tuple[float, dict]:
    """Seconds the engine takes to render ``seconds`` of the patch offline, and its
    report; with ``record``, also writes the audio there (as ``run --out`` does)."""
    patch = PATCH.format(latent=json.dumps(latent.tolist()), model=model, threads=threads, n=n)
    engine = Engine(parse_patch(patch), clock=VirtualClock())
    engine.open()
    if record is not None:
        engine.audio.record(record)
    engine.audio.start_offline(engine.clock.now())  # prepare (and warm up) untimed
    start = time.perf_counter()
    engine.run_offline(seconds)
    elapsed = time.perf_counter() - start
    report = engine.report()
    engine.close()
    return elapsed, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--frames-per-call", type=int, default=1)
    parser.add_argument("--record", type=Path, default=Path("/tmp/nodegraph-bench-decode.wav"))
    args = parser.parse_args()
    model, n = args.model.resolve(), args.frames_per_call

    info = load_model(model, args.threads).info
    frames = int(np.ceil(args.seconds * info.sr / info.ratio / n)) * n
    seconds = frames * info.ratio / info.sr  # whole calls on both sides
    latent = np.linspace(-0.5, 0.5, info.latent_size, dtype=np.float32)
    raw_s, node_s, raw_audio, report = [], [], None, None
    for i in range(args.rounds):
        elapsed, raw_audio = raw_round(model, latent, frames, n, args.threads)
        raw_s.append(elapsed)
        elapsed, report = node_round(model, latent, seconds, n, args.threads)
        node_s.append(elapsed)
        print(f"round {i + 1}: raw {seconds / raw_s[-1]:.2f}x real time, "
              f"node {seconds / node_s[-1]:.2f}x")
    import soundfile as sf

    node_round(model, latent, seconds, n, args.threads, args.record)  # untimed: the audio
    node_audio, _ = sf.read(args.record, dtype="float32", always_2d=True)
    raw_rtf, node_rtf = seconds / min(raw_s), seconds / min(node_s)
    print(json.dumps({
        "model": str(model), "raw_rtf": round(raw_rtf, 3), "node_rtf": round(node_rtf, 3),
        "ratio": round(node_rtf / raw_rtf, 4),
        "identical": bool(np.array_equal(node_audio[:, 0], raw_audio[:len(node_audio), 0]))
        if info.streaming else None,  # non-streaming: the node decodes with context
        "seconds": round(seconds, 3), "rounds": args.rounds, "threads": args.threads,
        "frames_per_call": n, "streaming": info.streaming,
        "decode_ms_per_frame": round(1000 * min(raw_s) / frames, 3),
        "render_ms_max": report["audio"]["render_ms_max"]}))


if __name__ == "__main__":
    main()
