"""A Wekinator session with patches/wekinator.yaml, and its round trip while running.

A python-osc program acts as a sender built for Wekinator (docs/architecture.md): for each of
three poses it sets the output values (``/wekinator/control/outputs``), sends
``startRecording``, streams ``/wek/inputs`` (two floats near the pose) at about
100 Hz, and ``stopRecording``; then ``train``, waits for
``/wekinator/status/done-training``, ``startRunning`` and checks each pose's
prediction. **Round trip while running**: one ``/wek/inputs`` in flight at a time,
from just before the send until the ``/wek/outputs`` it causes (the trained MLP's
prediction) reaches the sender's server thread; against the same four socket hops
through a python-osc server that answers by itself (bench/osc.py's raw path), the
two paths taking turns in blocks of 50. The patch runs live on free ports, from a
copy in a temporary folder (its recorded examples stay there).

    python bench/wekinator.py [--messages N] [--per-pose N]

Prints the session's messages and results, then a final JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.udp_client import SimpleUDPClient

from nodegraph.clock import RealClock
from nodegraph.engine import Engine
from osc import BLOCK, TIMEOUT_S, Echo, Server, free_port, stats_ms

PATCH = Path(__file__).resolve().parent.parent / "patches" / "wekinator.yaml"
POSES = {"low": ([0.1, 0.2], [0.0, 0.5, 1.0]),
         "high": ([0.9, 0.8], [1.0, 0.25, 0.0]),
         "middle": ([0.5, 0.4], [0.5, 1.0, 0.5])}


class Listener(Server):
    """The sender's own server: keeps the latest /wek/outputs and notes done-training."""

    def __init__(self) -> None:
        dispatcher = Dispatcher()
        dispatcher.map("/wek/outputs", self._outputs)
        dispatcher.map("/wekinator/status/done-training", self._done)
        self.arrived = threading.Event()
        self.done = threading.Event()
        self.values: list[float] = []
        self.t = 0.0
        super().__init__(dispatcher)

    def _outputs(self, _address: str, *values: float) -> None:
        self.t = time.perf_counter()
        self.values = list(values)
        self.arrived.set()

    def _done(self, _address: str) -> None:
        self.done.set()


def ping(client: SimpleUDPClient, listener: Listener, values: list[float]) -> float | None:
    """One round trip in seconds, or None if no answer came."""
    listener.arrived.clear()
    start = time.perf_counter()
    client.send_message("/wek/inputs", values)
    return listener.t - start if listener.arrived.wait(TIMEOUT_S) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="pings per path")
    parser.add_argument("--per-pose", type=int, default=50, help="inputs recorded per pose")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    def near(pose: str) -> list[float]:
        return (np.array(POSES[pose][0]) + rng.uniform(-0.02, 0.02, 2)).tolist()

    listener = Listener()
    echo = Echo(listener.port)
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="nodegraph-wekinator-"))
    shutil.copy(PATCH, folder / PATCH.name)
    engine = Engine.load(folder / PATCH.name, [f"port={port}", f"output_port={listener.port}"],
                         clock=RealClock())
    engine.start()
    sender = SimpleUDPClient("127.0.0.1", port)
    model = engine.runtime["model"].node
    log: list[str] = []

    def control(name: str, values: list[float] | None = None) -> None:
        sender.send_message(f"/wekinator/control/{name}", values or [])
        log.append(f"/wekinator/control/{name} {values or ''}".rstrip())

    try:
        for pose, (_, outputs) in POSES.items():
            control("outputs", outputs)
            control("startRecording")
            for _ in range(args.per_pose):
                sender.send_message("/wek/inputs", near(pose))
                time.sleep(0.01)
            log.append(f"/wek/inputs x{args.per_pose} near {POSES[pose][0]}")
            control("stopRecording")
        time.sleep(0.1)
        examples = model.report()["examples"]
        trained_at = time.perf_counter()
        control("train")
        if not listener.done.wait(60.0):
            raise RuntimeError("no /wekinator/status/done-training within 60 s")
        train_s = time.perf_counter() - trained_at
        log.append(f"<- /wekinator/status/done-training after {train_s:.3f} s")
        control("startRunning")
        time.sleep(0.05)
        errors = {}
        for pose, (inputs, outputs) in POSES.items():
            ping(sender, listener, inputs)
            errors[pose] = round(float(np.abs(np.array(listener.values) - outputs).max()), 4)
            log.append(f"/wek/inputs {inputs} <- /wek/outputs "
                       f"{[round(v, 3) for v in listener.values]} (recorded {outputs})")
        paths = {"engine": sender, "raw": SimpleUDPClient("127.0.0.1", echo.port)}
        rtts: dict[str, list[float]] = {name: [] for name in paths}
        lost = dict.fromkeys(paths, 0)
        while min(len(r) + lost[n] for n, r in rtts.items()) < args.messages:
            for name, client in paths.items():
                for _ in range(BLOCK):
                    rtt = ping(client, listener, near("middle"))
                    if rtt is None:
                        lost[name] += 1
                    else:
                        rtts[name].append(rtt)
        report = engine.report()
    finally:
        engine.close()
        echo.close()
        listener.close()
        shutil.rmtree(folder)

    for line in log:
        print(line)
    engine_stats, raw_stats = stats_ms(rtts["engine"]), stats_ms(rtts["raw"])
    print(f"running round trip (osc-in -> regress mlp -> osc-out): {engine_stats}, "
          f"lost {lost['engine']}")
    print(f"raw python-osc path (server answers):                  {raw_stats}, "
          f"lost {lost['raw']}")
    faults = {i: n["last_error"] for i, n in report["nodes"].items() if n["errors"]}
    print(f"node errors: {faults or 'none'}")
    print(json.dumps({
        "examples": examples, "train_s": round(train_s, 3), "max_error": errors,
        "messages": len(rtts["engine"]),
        **{f"engine_{k}": v for k, v in engine_stats.items()},
        **{f"raw_{k}": v for k, v in raw_stats.items()},
        "ratio_p50": round(engine_stats["p50_ms"] / raw_stats["p50_ms"], 3),
        "lost_engine": lost["engine"], "lost_raw": lost["raw"],
    }))


if __name__ == "__main__":
    main()
