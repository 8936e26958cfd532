"""Live edit latency: how long a param edit on a playing patch holds its caller and the
control thread.

A patch plays in real time (a bench tone → gain → audio-out; with no sound device the
audio-out paces the chain silently on the wall clock), and the bench drags the gain
param as a slider would: ``engine.do(SetParam(...), merge=...)`` every ``--every-ms``,
``--edits`` times. For each edit it records

- ``do_ms``: the wall time of the ``engine.do`` call on the calling thread (the editor's);
- ``control_ms``: the time the control thread spent in the edit's call (timed around
  the scheduler's ``_run_call`` on the control thread).

A second scenario holds the audio worker (the tone's ``render`` blocks, as a worker
stuck in a long decode or one that died would) and makes ``--held-edits`` edits:
before adoption was asynchronous each of these waited 2 s for the worker.

    python bench/edit_latency.py [--edits 300] [--every-ms 5] [--held-edits 3]

Final line: JSON with p50/p95/max of both figures per scenario.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's nodegraph

from nodegraph.api import AUDIO, Node, Outlet
from nodegraph import scheduler as scheduler_module
from nodegraph.edits import SetParam
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
from nodegraph.registry import Registry, default_registry

PATCH = """\
format: nodegraph/1
nodes:
  tone: {type: bench-tone}
  g: {type: gain, params: {gain: 0.5}}
  out: {type: audio-out}
links:
  - tone.out -> g.in
  - g.out -> out.audio
"""


class Tone(Node):
    """Bench signal source: a quiet sine; ``render`` waits while ``hold`` is set."""

    type_name = "bench-tone"
    outlets = (Outlet("out", AUDIO),)
    hold = threading.Event()
    held = threading.Event()

    def prepare(self, sr: int, block: int) -> None:
        self.sr, self.n = sr, 0

    def render(self, inputs: dict, frames: int) -> dict:
        while self.hold.is_set():
            self.held.set()
            time.sleep(0.001)
        t = np.arange(self.n, self.n + frames) / self.sr
        self.n += frames
        return {"out": (0.1 * np.sin(2 * np.pi * 220.0 * t)).astype(np.float32)[:, None]}


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    a = np.array(values) * 1000.0
    return {"n": len(values), "p50_ms": round(float(np.percentile(a, 50)), 3),
            "p95_ms": round(float(np.percentile(a, 95)), 3), "max_ms": round(float(a.max()), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=300)
    parser.add_argument("--every-ms", type=float, default=5.0)
    parser.add_argument("--held-edits", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    control_times: list[float] = []
    control_ident: list[int] = []
    original = scheduler_module._run_call

    def timed_run_call(fn, future):  # the scheduler's own, timed on the control thread
        start = time.perf_counter()
        try:
            original(fn, future)
        finally:
            if control_ident and threading.get_ident() == control_ident[0]:
                control_times.append(time.perf_counter() - start)

    scheduler_module._run_call = timed_run_call

    registry = Registry()
    registry.types.update(default_registry().types)
    registry.register(Tone)
    engine = Engine(parse_patch(PATCH), registry)
    results: dict[str, dict] = {}
    try:
        engine.start()
        ident = engine.scheduler.call(threading.get_ident).result()
        control_ident.append(ident)
        deadline = time.monotonic() + 10.0
        while engine.audio.position == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # playing

        def drag(count: int, every_s: float, key: str) -> dict:
            control_times.clear()
            calls = []
            for i in range(count):
                value = 0.25 + 0.5 * (i % 100) / 100
                start = time.perf_counter()
                engine.do(SetParam("g", "gain", value), merge=key)
                calls.append(time.perf_counter() - start)
                time.sleep(every_s)
            engine.scheduler.call(lambda: None).result()  # the last edit's call is timed
            return {"do": percentiles(calls), "control": percentiles(list(control_times))}

        results["playing"] = drag(args.edits, args.every_ms / 1000.0, "drag")
        Tone.held.clear()
        Tone.hold.set()
        while not Tone.held.wait(0.01):
            pass
        results["worker_held"] = drag(args.held_edits, 0.0, "drag-held")
        Tone.hold.clear()
        results["blocks_rendered"] = engine.audio.position // engine.audio.block
    finally:
        Tone.hold.clear()
        engine.close()
        scheduler_module._run_call = original
    for name in ("playing", "worker_held"):
        r = results[name]
        print(f"{name:12s} do p50 {r['do']['p50_ms']:8.3f} ms  p95 {r['do']['p95_ms']:8.3f} ms"
              f"  | control p50 {r['control']['p50_ms']:8.3f} ms  p95 "
              f"{r['control']['p95_ms']:8.3f} ms  max {r['control']['max_ms']:8.3f} ms")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
