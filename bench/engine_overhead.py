"""Engine overhead: the scheduler against a hand-written loop over the same nodes.

A chain of 10 nodes, each doing about 50 µs of numpy work (a small dense layer,
like a normalize/predict/smooth step), is ticked N times through the scheduler
(one source message per tick, the full inbox → tick → topological propagation
path) and by a plain loop calling the same ``process`` methods in the same order.
A second pair of runs with trivial nodes gives the pure dispatch cost per node.

    python bench/engine_overhead.py [--ticks N]

Final line: JSON ``{"ratio": engine/hand, "dispatch_us_per_node": .., ...}``.
Targets: ratio ≤ 1.10, dispatch ≤ 5 µs per node.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.patch import Link, NodeSpec, Patch
from nodegraph.registry import Registry

CHAIN = 10
SIZE = 64


class Source(Node):
    """Bench source: sends what the bench posts."""

    type_name = "bench-source"
    outlets = (Outlet("out", VECTOR, size=SIZE),)


class Work(Node):
    """Bench node: ``repeat`` small dense layers (about 50 µs when calibrated)."""

    type_name = "bench-work"
    inlets = (Inlet("in", VECTOR, size=SIZE),)
    outlets = (Outlet("out", VECTOR, size=SIZE),)
    repeat = 1
    weights = np.random.default_rng(0).standard_normal((SIZE, SIZE)).astype(np.float32) / 8

    def process(self, inputs: Inputs) -> dict:
        x = inputs["in"]
        for _ in range(self.repeat):
            x = np.tanh(self.weights @ x)
        return {"out": x}


class Trivial(Node):
    """Bench node: passes its input on."""

    type_name = "bench-trivial"
    inlets = (Inlet("in", VECTOR, size=SIZE),)
    outlets = (Outlet("out", VECTOR, size=SIZE),)

    def process(self, inputs: Inputs) -> dict:
        return {"out": inputs["in"]}


def calibrate(target_s: float = 50e-6) -> int:
    """Repeats of the dense layer that take about ``target_s``."""
    node, inputs = Work(), Inputs(["in"])
    inputs.values["in"] = np.ones(SIZE, np.float32)
    Work.repeat = 1
    n = 2000
    start = time.perf_counter()
    for _ in range(n):
        node.process(inputs)
    one = (time.perf_counter() - start) / n
    return max(1, round(target_s / one))


def chain_engine(node_type: type[Node]) -> Engine:
    registry = Registry()
    for cls in (Source, Work, Trivial):
        registry.register(cls)
    patch = Patch(nodes={"src": NodeSpec(Source.type_name)})
    previous = "src"
    for i in range(CHAIN):
        patch.nodes[f"n{i}"] = NodeSpec(node_type.type_name)
        patch.links.append(Link(previous, "out", f"n{i}", "in"))
        previous = f"n{i}"
    engine = Engine(patch, registry, clock=VirtualClock())
    engine.open()
    return engine


def time_engine(node_type: type[Node], ticks: int, x: np.ndarray) -> float:
    engine = chain_engine(node_type)
    scheduler, src = engine.scheduler, engine.runtime["src"]
    start = time.perf_counter()
    for _ in range(ticks):
        scheduler.post(src, "out", x, 0.0)
        scheduler.run_pending()
    elapsed = time.perf_counter() - start
    assert engine.runtime[f"n{CHAIN - 1}"].calls == ticks
    engine.close()
    return elapsed


def time_hand(node_type: type[Node], ticks: int, x: np.ndarray) -> float:
    nodes = [node_type() for _ in range(CHAIN)]
    inputs = [Inputs(["in"]) for _ in range(CHAIN)]
    start = time.perf_counter()
    for _ in range(ticks):
        value = x
        for node, inp in zip(nodes, inputs):
            inp.values["in"] = value
            value = node.process(inp)["out"]
    return time.perf_counter() - start


def best_of(fn, *args, repeats: int = 5) -> float:
    return min(fn(*args) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=2000)
    args = parser.parse_args()
    Work.repeat = calibrate()
    x = np.ones(SIZE, np.float32)
    engine_s = best_of(time_engine, Work, args.ticks, x)
    hand_s = best_of(time_hand, Work, args.ticks, x)
    trivial_engine_s = best_of(time_engine, Trivial, args.ticks * 5, x)
    trivial_hand_s = best_of(time_hand, Trivial, args.ticks * 5, x)
    node_us = 1e6 * hand_s / (args.ticks * CHAIN)
    dispatch_us = 1e6 * (trivial_engine_s - trivial_hand_s) / (args.ticks * 5 * CHAIN)
    print(f"work per node: {node_us:.1f} us ({Work.repeat} dense layers)")
    print(f"engine {1e3 * engine_s / args.ticks:.3f} ms/tick, hand {1e3 * hand_s / args.ticks:.3f} ms/tick")
    print(json.dumps({"ratio": round(engine_s / hand_s, 4),
                      "dispatch_us_per_node": round(dispatch_us, 3),
                      "work_us_per_node": round(node_us, 1),
                      "ticks": args.ticks, "nodes": CHAIN}))


if __name__ == "__main__":
    main()
