"""patches/wekinator.yaml driven by a sender built for Wekinator: real UDP on 127.0.0.1.

The sender is python-osc, doing what a Wekinator input program does (docs/architecture.md,
"Interactive ML conventions"): ``/wek/inputs`` and ``/wekinator/control/*`` to one
port, ``/wek/outputs`` and ``/wekinator/status/done-training`` received on another.
The engine runs live on its own control thread (``Engine.start``). Waits are
bounded by a deadline that only turns a hang into a failure; nothing asserts on
timing. Also here: the pieces the patch relies on (toggle, regress ordering inputs
and the record switch that arrive in one tick, patch-level counts).
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from nodegraph.clock import RealClock
from nodegraph.engine import Engine
from nodegraph.errors import PatchError

from engine_helpers import engine_from, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
PATCH = ROOT / "patches" / "wekinator.yaml"
CONTROL = "/wekinator/control/"

#: Three poses: inputs (the sender's features) → the output values to pair them with.
POSES = {"low": ([0.1, 0.2], [0.0, 0.5, 1.0]),
         "high": ([0.9, 0.8], [1.0, 0.25, 0.0]),
         "middle": ([0.5, 0.4], [0.5, 1.0, 0.5])}
RECORDED_PER_POSE = 12


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class WekinatorPeer:
    """A program built for Wekinator: sends to ``port``, listens on ``listen_port``."""

    def __init__(self, port: int, listen_port: int) -> None:
        self.client = SimpleUDPClient("127.0.0.1", port)
        self.got: list[tuple[str, list[float]]] = []
        self._lock = threading.Lock()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(self._received)
        self.server = BlockingOSCUDPServer(("127.0.0.1", listen_port), dispatcher)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def _received(self, address: str, *args: float) -> None:
        with self._lock:
            self.got.append((address, list(args)))

    def received(self, address: str) -> list[list[float]]:
        with self._lock:
            return [args for a, args in self.got if a == address]

    def inputs(self, values: list[float]) -> None:
        self.client.send_message("/wek/inputs", values)

    def control(self, name: str, values: list[float] | None = None) -> None:
        self.client.send_message(CONTROL + name, values or [])

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture(params=["default ports", "ports set by --set"])
def session(request, tmp_path) -> Iterator[tuple[Engine, WekinatorPeer]]:
    """The shipped patch (copied, so its learned state lands in tmp_path) running
    live, and a Wekinator peer: on 6448/12000, or on free ports given with --set."""
    patch = tmp_path / "wekinator.yaml"
    shutil.copy(PATCH, patch)
    if request.param == "default ports":
        if not (port_is_free(6448) and port_is_free(12000)):
            pytest.skip("UDP 6448 or 12000 is in use on this machine")
        port, listen, overrides = 6448, 12000, []
    else:
        port, listen = free_port(), free_port()
        overrides = [f"port={port}", f"output_port={listen}"]
    peer = WekinatorPeer(port, listen)
    engine = Engine.load(patch, overrides, clock=RealClock())
    try:
        engine.start()
        yield engine, peer
    finally:
        peer.close()  # the engine is closed by conftest, after this


def test_a_wekinator_sender_records_trains_and_runs_unchanged(session):
    engine, peer = session
    model = engine.runtime["model"].node
    rng = np.random.default_rng(0)

    def pose(name: str) -> list[float]:
        x, _ = POSES[name]
        return (np.array(x) + rng.uniform(-0.01, 0.01, 2)).tolist()

    # Record each pose as a Wekinator sender does: set the outputs, start recording,
    # stream inputs, stop. Inputs sent just before the start and just after the stop
    # (in the same ticks as the switch) must not be recorded.
    for name, (_, outputs) in POSES.items():
        peer.control("outputs", outputs)
        for _ in range(3):
            peer.inputs(pose(name))
        peer.control("startRecording")
        for _ in range(RECORDED_PER_POSE):
            peer.inputs(pose(name))
            time.sleep(0.002)
        peer.control("stopRecording")
        for _ in range(3):
            peer.inputs(pose(name))
        time.sleep(0.02)
    wait_for(lambda: engine.runtime["inputs"].node.messages == 3 * (RECORDED_PER_POSE + 6),
             "every /wek/inputs arrived")
    wait_for(lambda: not model.report()["recording"], "recording stopped")
    assert model.report()["examples"] == 3 * RECORDED_PER_POSE
    _, x, y = model.examples()
    for name, (inputs, outputs) in POSES.items():
        rows = np.all(np.isclose(y, outputs), axis=1)
        assert rows.sum() == RECORDED_PER_POSE, name  # each input paired with its outputs
        assert np.abs(x[rows] - inputs).max() <= 0.011

    peer.control("train")
    wait_for(lambda: peer.received("/wekinator/status/done-training"), "done-training")
    assert peer.received("/wekinator/status/done-training") == [[]]
    assert model.report()["trained"]

    peer.control("startRunning")
    for name in ("low", "high", "middle"):
        _, outputs = POSES[name]

        def predicted() -> bool:
            peer.inputs(pose(name))
            time.sleep(0.005)
            last = peer.received("/wek/outputs")[-1]
            return np.abs(np.array(last) - outputs).max() < 0.1

        wait_for(predicted, f"/wek/outputs near {outputs} for the {name} pose")
        assert len(peer.received("/wek/outputs")[-1]) == 3

    peer.control("stopRunning")  # the output values pass through again
    wait_for(lambda: not model.report()["running"], "running stopped")
    sent = len(peer.received("/wek/outputs"))
    peer.inputs(pose("low"))
    wait_for(lambda: len(peer.received("/wek/outputs")) > sent, "an output while not running")
    assert peer.received("/wek/outputs")[-1] == POSES["middle"][1]

    peer.inputs([1.0, 2.0, 3.0])  # three inputs for a two-input patch
    peer.control("outputs", [1.0])  # one output value for three
    wait_for(lambda: engine.runtime["set_outputs"].node.wrong_size == 1, "outputs refused")
    wait_for(lambda: engine.runtime["inputs"].node.wrong_size == 1, "inputs refused")
    peer.control("deleteAllExamples")
    wait_for(lambda: model.report()["examples"] == 0, "examples deleted")
    statuses = {node_id: rn.status for node_id, rn in engine.runtime.items()}
    assert not {"error", "failed"} & set(statuses.values()), statuses


def test_counts_and_ports_are_params_of_the_patch():
    engine = Engine.load(PATCH, ["inputs=5", "outputs=4", "output_port=9000",
                                 "host=0.0.0.0"])
    infos = engine.graph.port_infos
    assert infos["inputs"]["out"].size == 5
    assert infos["set_outputs"]["out"].size == 4
    assert infos["output_values"]["out"].size == 4 and infos["model"]["out"].size == 4
    assert engine.graph.nodes["send_outputs"].port == 9000
    assert {n.host for n in engine.graph.nodes.values() if n.type_name == "osc-in"} \
        == {"0.0.0.0"}
    defaults = Engine.load(PATCH)
    assert defaults.graph.port_infos["inputs"]["out"].size == 2
    assert defaults.graph.port_infos["model"]["out"].size == 3
    listeners = [n for n in defaults.graph.nodes.values() if n.type_name == "osc-in"]
    assert len(listeners) == 9
    assert {(n.host, n.port) for n in listeners} == {("127.0.0.1", 6448)}
    with pytest.raises(PatchError, match="size"):
        Engine.load(PATCH, ["inputs=two"])
    declared = r"node\.param=value or name=value \(inputs, outputs, port, host, output_host"
    with pytest.raises(PatchError, match=declared):
        Engine.load(PATCH, ["input=3"])


def test_toggle_follows_start_stop_and_flip_in_the_order_they_arrived():
    engine = engine_from("""\
format: nodegraph/1
nodes:
  state: {type: toggle}
  seen: {type: t-sink}
links:
  - state.out -> seen.in
""")
    rn, send = engine.runtime["state"], engine.scheduler.send

    def got() -> list[float]:
        engine.scheduler.run_pending()
        return [value for value, _ in engine.runtime["seen"].node.got]

    send(rn, "start", True, 1.0)
    send(rn, "start", True, 2.0)  # repeats are sent too
    assert got() == [1.0, 1.0]
    send(rn, "flip", True, 3.0)
    assert got()[2:] == [0.0]
    send(rn, "stop", True, 5.0)  # one tick: start arrived after stop
    send(rn, "start", True, 6.0)
    assert got()[3:] == [1.0]
    send(rn, "start", True, 8.0)  # one tick: stop arrived after start
    send(rn, "stop", True, 9.0)
    assert got()[4:] == [0.0]
    assert engine.runtime["state"].node.report() == {"on": False}


@pytest.mark.parametrize("switch, x_time, recorded", [
    (1.0, 1.0, 0),   # x before the start: not recorded
    (1.0, 3.0, 1),   # x after the start
    (0.0, 1.0, 1),   # x before the stop: still recorded
    (0.0, 3.0, 0),   # x after the stop
])
def test_regress_records_the_inputs_on_the_recording_side_of_a_switch_in_the_same_tick(
        switch, x_time, recorded):
    engine = engine_from("""\
format: nodegraph/1
nodes:
  model: {type: regress}
""")
    rn, send = engine.runtime["model"], engine.scheduler.send
    send(rn, "target", np.array([1.0], np.float32), 0.0)
    if switch == 0.0:
        send(rn, "record_while", 1.0, 0.5)
    engine.scheduler.run_pending()
    send(rn, "record_while", switch, 2.0)  # one tick: the switch and x
    send(rn, "x", np.array([0.5, 0.5], np.float32), x_time)
    engine.scheduler.run_pending()
    assert rn.status != "error", rn.last_error
    assert rn.node.report()["examples"] == recorded
