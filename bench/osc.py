"""OSC round-trip latency through the engine, against python-osc alone.

**Engine path.** A python-osc client sends ``/wek/inputs`` (a sequence number and
a value, as a Wekinator input sender would) to an ``osc-in`` node; the engine,
running live on its control thread, passes the vector through ``scale`` to an
``osc-out`` node, which sends ``/wek/outputs`` back to a python-osc server in this
script. **Raw path.** The same client and server, with a python-osc server in
between that answers each message itself with a python-osc client: the same four
socket hops, no engine. One message is in flight at a time; its round trip runs
from just before the send to the receiving server thread's handler. The two paths
take turns in blocks of 50 messages, so load from other processes hits both alike.

    python bench/osc.py [--messages N]

Final line: JSON with p50/p95/max round trip in ms for each path, and
``ratio_p50`` = engine p50 / raw p50.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time

import numpy as np
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from nodegraph.clock import RealClock
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch

BLOCK = 50
WARMUP = 50
TIMEOUT_S = 1.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A python-osc blocking server on its own thread."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.port = free_port()
        self.server = BlockingOSCUDPServer(("127.0.0.1", self.port), dispatcher)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


class Receiver(Server):
    """Where answers arrive: notes the arrival time of each sequence number."""

    def __init__(self) -> None:
        dispatcher = Dispatcher()
        dispatcher.map("/wek/outputs", self._arrived)
        self.arrived = threading.Event()
        self.seq = -1.0
        self.t = 0.0
        super().__init__(dispatcher)

    def _arrived(self, _address: str, seq: float, *_rest: float) -> None:
        self.t = time.perf_counter()
        self.seq = seq
        self.arrived.set()


class Echo(Server):
    """The raw path's middle: answers each /wek/inputs with /wek/outputs."""

    def __init__(self, answer_port: int) -> None:
        self.client = SimpleUDPClient("127.0.0.1", answer_port)
        dispatcher = Dispatcher()
        dispatcher.map("/wek/inputs",
                       lambda _a, *args: self.client.send_message("/wek/outputs", list(args)))
        super().__init__(dispatcher)


def engine_patch(in_port: int, out_port: int) -> str:
    return f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {in_port}, size: 2}}}}
  through: {{type: scale}}
  tx: {{type: osc-out, params: {{port: {out_port}}}}}
links:
  - rx.out -> through.in
  - through.out -> tx.in
"""


def ping(client: SimpleUDPClient, receiver: Receiver, seq: int) -> float | None:
    """One round trip in seconds, or None if the answer never came."""
    receiver.arrived.clear()
    start = time.perf_counter()
    client.send_message("/wek/inputs", [float(seq), 0.5])
    deadline = start + TIMEOUT_S
    while receiver.arrived.wait(max(0.0, deadline - time.perf_counter())):
        if receiver.seq == seq:
            return receiver.t - start
        receiver.arrived.clear()  # a late answer to an earlier message
    return None


def stats_ms(rtts: list[float]) -> dict[str, float]:
    ms = np.array(rtts) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 4),
            "p95_ms": round(float(np.percentile(ms, 95)), 4),
            "max_ms": round(float(ms.max()), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000, help="per path (≥ 1000)")
    args = parser.parse_args()

    receiver = Receiver()
    echo = Echo(receiver.port)
    engine_in = free_port()
    engine = Engine(parse_patch(engine_patch(engine_in, receiver.port)), clock=RealClock())
    engine.start()
    paths = {"engine": SimpleUDPClient("127.0.0.1", engine_in),
             "raw": SimpleUDPClient("127.0.0.1", echo.port)}
    rtts: dict[str, list[float]] = {name: [] for name in paths}
    lost = dict.fromkeys(paths, 0)
    seq = 0
    try:
        for client in paths.values():
            for _ in range(WARMUP):
                ping(client, receiver, seq := seq + 1)
        while min(len(r) + lost[name] for name, r in rtts.items()) < args.messages:
            for name, client in paths.items():
                for _ in range(BLOCK):
                    rtt = ping(client, receiver, seq := seq + 1)
                    if rtt is None:
                        lost[name] += 1
                    else:
                        rtts[name].append(rtt)
        report = engine.report()
    finally:
        engine.close()
        echo.close()
        receiver.close()

    engine_stats, raw_stats = stats_ms(rtts["engine"]), stats_ms(rtts["raw"])
    print(f"engine path (osc-in -> scale -> osc-out): {engine_stats}, lost {lost['engine']}")
    print(f"raw python-osc path (server answers):    {raw_stats}, lost {lost['raw']}")
    print(f"osc-in malformed {report['nodes']['rx']['malformed']}, "
          f"osc-out messages {report['nodes']['tx']['messages']}")
    print(json.dumps({
        "messages": len(rtts["engine"]),
        **{f"engine_{k}": v for k, v in engine_stats.items()},
        **{f"raw_{k}": v for k, v in raw_stats.items()},
        "ratio_p50": round(engine_stats["p50_ms"] / raw_stats["p50_ms"], 3),
        "lost_engine": lost["engine"], "lost_raw": lost["raw"],
    }))


if __name__ == "__main__":
    main()
