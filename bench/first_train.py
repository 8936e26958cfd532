"""The first training of a fresh process, from the click to the model in use.

A real-clock engine opens a patch with a regress node, records ``--examples`` pairs,
waits ``--wait`` seconds (a performer recording), then bangs ``train`` and measures
until the ``trained`` outlet fires: what a performer waits for after the first click
of ``train``, imports included (``bench/iml.py`` measures warm fits only). Run it once
per algorithm, each in its own process, since only the first training pays for the
imports (from the repository root, so that this checkout's code runs):

    PYTHONPATH=. python bench/first_train.py [--algorithm mlp] [--examples 200] [--wait 3]
    PYTHONPATH=. xvfb-run -a python bench/first_train.py --editor   # in the editor

Final line: JSON ``{"algorithm": .., "examples": .., "first_train_s": ..,
"second_train_s": ..}``. Target: first train of ≤ 200 examples ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections.abc import Callable

import numpy as np

from nodegraph.api import BANG, Inlet, Inputs, Node
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
from nodegraph.registry import Registry, default_registry

PATCH = """\
format: nodegraph/1
nodes:
  map: {type: regress, params: {algorithm: %s}}
  done: {type: bench-done}
links:
  - map.trained -> done.in
"""


class Done(Node):
    """Sets an event when a bang arrives (the regress node's ``trained``)."""

    type_name = "bench-done"
    inlets = (Inlet("in", BANG),)

    def open(self) -> None:
        self.event = threading.Event()

    def process(self, inputs: Inputs) -> None:
        self.event.set()


def _timed_train(engine: Engine, done: Done, wait: Callable[[Callable[[], bool]], None]) -> float:
    done.event.clear()
    started = time.perf_counter()
    engine.send("map", "train")
    wait(done.event.is_set)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--algorithm", default="mlp")
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--wait", type=float, default=3.0,
                        help="seconds between opening the patch and the train click")
    parser.add_argument("--editor", action="store_true",
                        help="in the editor's window, rendering (needs a display)")
    args = parser.parse_args()
    registry = Registry()
    registry.types.update(default_registry().types)
    registry.register(Done)
    engine = Engine(parse_patch(PATCH % args.algorithm), registry)
    rng = np.random.default_rng(0)
    app = None
    if args.editor:
        from nodegraph.editor.app import EditorApp

        app = EditorApp(engine)
        app.settle(app.actions.play())

        def wait(done: Callable[[], bool]) -> None:
            app.run_until(done, 120.0)
    else:
        engine.start()

        def wait(done: Callable[[], bool]) -> None:
            deadline = time.monotonic() + 120.0
            while not done():
                if time.monotonic() > deadline:
                    raise TimeoutError("no training finished within 120 s")
                time.sleep(0.001)
    try:
        regress = engine.runtime["map"].node
        for _ in range(args.examples):
            regress._store.add(rng.normal(size=3), rng.normal(size=8), regress._store.new_round())
        opened = time.monotonic()
        wait(lambda: time.monotonic() - opened >= args.wait)
        done = engine.runtime["done"].node
        first = _timed_train(engine, done, wait)
        second = _timed_train(engine, done, wait)
    finally:
        if app is not None:
            app.close()
        else:
            engine.close()
    print(json.dumps({"algorithm": args.algorithm, "examples": args.examples,
                      "editor": args.editor, "wait_s": args.wait,
                      "first_train_s": round(first, 3), "second_train_s": round(second, 3)}))


if __name__ == "__main__":
    main()
