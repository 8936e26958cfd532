"""osc-in and osc-out through real UDP sockets on 127.0.0.1, python-osc as the peer.

The engines here run on a virtual clock and the test thread drives the control
graph (``pump``) while the nodes' own server threads receive for real. Waits are
bounded by a generous deadline that only turns a hang into a failure; no test
asserts on timing.
"""

from __future__ import annotations

import logging
import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

from nodegraph.edits import SetParam
from nodegraph.engine import Engine
from nodegraph.errors import PatchError

from engine_helpers import engine_from, free_port

DEADLINE_S = 10.0


def pump(engine: Engine, until: Callable[[], bool],
         resend: Callable[[], None] | None = None) -> None:
    """Run the control graph on this thread until ``until()`` holds. ``resend`` is
    called every 50 ms (UDP may drop a datagram under a flood)."""
    deadline = time.monotonic() + DEADLINE_S
    next_resend = time.monotonic() + 0.05
    while True:
        engine.scheduler.run_pending()
        if until():
            return
        now = time.monotonic()
        if now > deadline:
            raise AssertionError("the expected messages never arrived")
        if resend is not None and now > next_resend:
            resend()
            next_resend = now + 0.05
        time.sleep(0.001)


def osc_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("osc-server")}


class Peer:
    """A python-osc server on a free port that keeps every message it receives."""

    def __init__(self) -> None:
        self.got: list[tuple[str, list]] = []
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(
            lambda address, *args: self.got.append((address, list(args))))
        self.port = free_port()
        self.server = BlockingOSCUDPServer(("127.0.0.1", self.port), dispatcher)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,))
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()
        self.server.server_close()


@pytest.fixture
def peer() -> Iterator[Peer]:
    p = Peer()
    try:
        yield p
    finally:
        p.close()


def open_patch(text: str) -> Engine:
    """An opened engine on a virtual clock (conftest closes it after the test and
    checks that every thread the test started has ended)."""
    return engine_from(text)


# -- osc-in ---------------------------------------------------------------------------


def test_numbers_text_and_bang_arrive_from_a_real_udp_sender():
    port = free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {port}, size: 3}}}}
  values: {{type: t-sink}}
  words: {{type: t-sink}}
  bangs: {{type: t-sink}}
links:
  - rx.out -> values.in
  - rx.text -> words.in
  - rx.bang -> bangs.in
""")
    sender = SimpleUDPClient("127.0.0.1", port)
    sender.send_message("/wek/inputs", [0.25, 2, True])
    sender.send_message("/wek/inputs", [1.5, "left", -3.0, "hand", 7])
    values, words, bangs = (engine.runtime[i].node for i in ("values", "words", "bangs"))
    pump(engine, lambda: len(bangs.got) == 2)
    engine.close()

    first, second = values.got[0][0], values.got[1][0]
    assert first.dtype == np.float32
    assert first.tolist() == [0.25, 2.0, 1.0]
    assert second.tolist() == [1.5, -3.0, 7.0]
    assert [w for w, _ in words.got] == ["left hand"]
    assert len(values.got) == 2


def test_wekinator_control_messages_share_one_port_each_on_its_own_node():
    port = free_port()
    controls = ["startRecording", "stopRecording", "train", "startRunning", "stopRunning",
                "deleteAllExamples"]
    nodes = "\n".join(
        f"  {c}: {{type: osc-in, params: {{port: {port}, address: /wekinator/control/{c}}}}}\n"
        f"  got_{c}: {{type: t-sink}}" for c in controls)
    links = "\n".join(f"  - {c}.bang -> got_{c}.in" for c in controls)
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  inputs: {{type: osc-in, params: {{port: {port}, size: 2}}}}
  outputs: {{type: osc-in, params: {{port: {port}, address: /wekinator/control/outputs, size: 3}}}}
{nodes}
  got_inputs: {{type: t-sink}}
  got_outputs: {{type: t-sink}}
links:
{links}
  - inputs.out -> got_inputs.in
  - outputs.out -> got_outputs.in
""")
    assert len(osc_threads()) == 1  # eight nodes, one port, one server
    sender = SimpleUDPClient("127.0.0.1", port)
    sinks = [engine.runtime[f"got_{c}"].node for c in controls]
    got_inputs, got_outputs = engine.runtime["got_inputs"].node, engine.runtime["got_outputs"].node
    sequence = [("deleteAllExamples", None), ("outputs", [0.1, 0.2, 0.3]),
                ("startRecording", None), ("inputs", [0.5, 0.6]), ("stopRecording", None),
                ("train", None), ("startRunning", None), ("inputs", [0.7, 0.8]),
                ("stopRunning", None)]
    for step, (name, args) in enumerate(sequence, start=1):
        address = "/wek/inputs" if name == "inputs" else f"/wekinator/control/{name}"
        sender.send_message(address, args)
        # each message arrives (and nothing else does) before the next is sent
        pump(engine, lambda: sum(len(s.got) for s in (*sinks, got_inputs, got_outputs)) == step)
    engine.close()

    assert [len(s.got) for s in sinks] == [1] * len(controls)
    assert [v.tolist() for v, _ in got_outputs.got] == [pytest.approx([0.1, 0.2, 0.3])]
    assert [v.tolist() for v, _ in got_inputs.got] == [pytest.approx([0.5, 0.6]),
                                                       pytest.approx([0.7, 0.8])]


def test_wrong_length_and_non_finite_messages_are_counted_dropped_and_warned(caplog):
    port = free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {port}, size: 2}}}}
  sink: {{type: t-sink}}
links:
  - rx.out -> sink.in
""")
    sender = SimpleUDPClient("127.0.0.1", port)
    sender.send_message("/wek/inputs", [1.0, 2.0, 3.0])
    sender.send_message("/wek/inputs", [])
    sender.send_message("/wek/inputs", [1.0, 2.0, 3.0])
    sender.send_message("/wek/inputs", [float("nan"), 1.0])
    too_large = OscMessageBuilder("/wek/inputs")
    too_large.add_arg(1e300, OscMessageBuilder.ARG_TYPE_DOUBLE)  # beyond float32
    too_large.add_arg(1.0)
    sender.send(too_large.build())
    sender.send_message("/wek/inputs", [4.0, 5.0])
    sink, rx = engine.runtime["sink"].node, engine.runtime["rx"].node
    pump(engine, lambda: len(sink.got) == 1)
    report = engine.report()["nodes"]["rx"]
    engine.close()

    assert sink.got[0][0].tolist() == [4.0, 5.0]
    assert report["wrong_size"] == 3
    assert report["non_finite"] == 2
    assert report["messages"] == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "nodegraph.node.rx"]
    assert warnings == ["/wek/inputs carried 3 numbers, expected 2 (size); dropped",
                        "/wek/inputs carried 0 numbers, expected 2 (size); dropped"]


def _garbage(rng: random.Random) -> bytes:
    """Random bytes, some dressed as an OSC message or bundle to get past the first checks."""
    body = rng.randbytes(rng.randint(0, 96))
    return rng.choice([b"", b"/", b"/wek/inputs\x00,", b"#bundle\x00"]) + body


def _nested_bundle(depth: int) -> bytes:
    """A bundle inside a bundle ... ``depth`` deep (python-osc parses it recursively)."""
    packet = b"/wek/inputs\x00,f\x00\x00" + struct.pack(">f", 1.0)
    for _ in range(depth):
        packet = b"#bundle\x00" + b"\x00" * 7 + b"\x01" + struct.pack(">i", len(packet)) + packet
    return packet


def test_a_flood_of_random_bytes_leaves_the_server_up_and_the_log_quiet(capfd, caplog):
    port = free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {port}, size: 1}}}}
  sink: {{type: t-sink}}
links:
  - rx.out -> sink.in
""")
    rng = random.Random(8)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as raw:
        for _ in range(3000):
            raw.sendto(_garbage(rng), ("127.0.0.1", port))
        raw.sendto(_nested_bundle(3000), ("127.0.0.1", port))
        raw.sendto(b"/\xff\xfe\x00,s\x00\x00\xff\xff\x00\x00", ("127.0.0.1", port))  # not UTF-8
    sender = SimpleUDPClient("127.0.0.1", port)
    sink = engine.runtime["sink"].node
    pump(engine, lambda: [0.5] in [v.tolist() for v, _ in sink.got],
         resend=lambda: sender.send_message("/wek/inputs", 0.5))
    report = engine.report()["nodes"]["rx"]
    assert len(osc_threads()) == 1
    engine.close()

    assert report["malformed"] > 100
    # nothing escaped to socketserver's error printer, no warning per bad packet
    # (only osc-in's own, once, for garbage that parsed as /wek/inputs of a wrong size)
    assert "Exception occurred during processing" not in capfd.readouterr().err
    assert [r.getMessage() for r in caplog.records
            if r.levelno >= logging.WARNING and r.name != "nodegraph.node.rx"] == []


def test_a_wildcard_address_and_unmatched_addresses_in_the_report():
    port = free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  faders: {{type: osc-in, params: {{port: {port}, address: '/fader/*', size: 1}}}}
  sink: {{type: t-sink}}
links:
  - faders.out -> sink.in
""")
    sender = SimpleUDPClient("127.0.0.1", port)
    sender.send_message("/fader/1", 0.1)
    sender.send_message("/wek/input", [1.0, 2.0])  # a typo: nobody listens there
    sender.send_message("/fader/2", 0.2)
    sink = engine.runtime["sink"].node
    pump(engine, lambda: len(sink.got) == 2)
    report = engine.report()["nodes"]["faders"]
    engine.close()

    assert [v.tolist() for v, _ in sink.got] == [pytest.approx([0.1]), pytest.approx([0.2])]
    assert report["unmatched"] == 1
    assert report["unmatched_addresses"] == ["/wek/input"]


def test_close_joins_every_server_thread_and_releases_the_ports():
    ports = free_port(), free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  a: {{type: osc-in, params: {{port: {ports[0]}}}}}
  b: {{type: osc-in, params: {{port: {ports[0]}, address: /other}}}}
  c: {{type: osc-in, params: {{port: {ports[1]}}}}}
""")
    assert all(rn.status != "failed" for rn in engine.runtime.values())
    assert len(osc_threads()) == 2
    engine.close()
    assert osc_threads() == set()
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind(("127.0.0.1", port))


def test_a_port_in_use_fails_that_node_with_the_reason_and_the_rest_runs():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        engine = open_patch(f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {port}}}}}
  other: {{type: t-sink}}
""")
        rx = engine.runtime["rx"]
        assert rx.status == "failed"
        assert f"cannot listen for OSC on 127.0.0.1:{port}: the port is already in use" \
            in rx.last_error
        assert engine.runtime["other"].status != "failed"
        engine.close()
    assert osc_threads() == set()


def test_changing_the_port_while_running_moves_the_listener():
    old, new = free_port(), free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {old}, size: 1}}}}
  sink: {{type: t-sink}}
links:
  - rx.out -> sink.in
""")
    engine.do(SetParam("rx", "port", new))
    sink = engine.runtime["sink"].node
    SimpleUDPClient("127.0.0.1", new).send_message("/wek/inputs", 3.0)
    pump(engine, lambda: bool(sink.got))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", old))  # the old port was released
    engine.close()
    assert sink.got[0][0].tolist() == [3.0]


@pytest.mark.parametrize("params, message", [
    ("{address: wek/inputs}", "OSC address 'wek/inputs' must start with '/'"),
    ("{address: '/wek inputs'}", "may not contain spaces"),
    ("{host: ''}", "host is empty; write 127.0.0.1"),
])
def test_bad_params_are_refused_at_load_with_file_and_line(params, message):
    with pytest.raises(PatchError) as caught:
        open_patch(f"""\
format: nodegraph/1
nodes:
  ok: {{type: print}}
  rx: {{type: osc-in, params: {params}}}
""")
    (problem,) = caught.value.problems
    assert problem.line == 4
    assert message in problem.message


def test_size_declares_the_vector_for_the_patch_check():
    with pytest.raises(PatchError) as caught:
        open_patch("""\
format: nodegraph/1
nodes:
  rx: {type: osc-in, params: {size: 2}}
  want3: {type: t-vec-in, params: {size: 3}}
links:
  - rx.out -> want3.in
""")
    assert "rx.out sends 2 values but want3.in expects 3 values" in str(caught.value)


# -- osc-out ------------------------------------------------------------------------------


def test_round_trip_osc_in_scale_osc_out(peer):
    port = free_port()
    engine = open_patch(f"""\
format: nodegraph/1
nodes:
  rx: {{type: osc-in, params: {{port: {port}, size: 2}}}}
  double: {{type: scale, params: {{out_hi: 2.0}}}}
  tx: {{type: osc-out, params: {{port: {peer.port}}}}}
  done: {{type: osc-out, params: {{port: {peer.port}, address: /wekinator/status/done-training}}}}
links:
  - rx.out -> double.in
  - double.out -> tx.in
  - rx.bang -> done.bang
""")
    SimpleUDPClient("127.0.0.1", port).send_message("/wek/inputs", [0.25, -1.5])
    pump(engine, lambda: len(peer.got) == 2)
    report = engine.report()["nodes"]
    engine.close()

    assert sorted(peer.got) == [("/wek/outputs", [0.5, -3.0]),
                                ("/wekinator/status/done-training", [])]
    assert report["tx"]["messages"] == 1
    assert report["tx"]["sending_to"] == f"127.0.0.1:{peer.port}"


def _vector_source_engine(peer_port: int, max_rate: float) -> Engine:
    return open_patch(f"""\
format: nodegraph/1
nodes:
  src: {{type: t-vec, params: {{size: 1}}}}
  num: {{type: t-emit}}
  tx: {{type: osc-out, params: {{port: {peer_port}, max_rate: {max_rate}}}}}
links:
  - src.out -> tx.in
  - num.out -> tx.in
""")


def test_a_number_goes_out_as_one_float(peer):
    engine = _vector_source_engine(peer.port, 0.0)
    engine.scheduler.post(engine.runtime["num"], "out", 0.75)
    pump(engine, lambda: bool(peer.got))
    engine.close()
    assert peer.got == [("/wek/outputs", [0.75])]


def test_the_rate_limit_sends_the_latest_value_when_the_slot_opens(peer):
    engine = _vector_source_engine(peer.port, 10.0)  # one message per 100 ms
    src, tx = engine.runtime["src"], engine.runtime["tx"].node

    def post(value: float) -> None:
        engine.scheduler.post(src, "out", np.array([value], np.float32))
        engine.scheduler.run_pending()

    for value in (1.0, 2.0, 3.0, 4.0):  # at t = 0: the first leaves, 4 waits
        post(value)
    pump(engine, lambda: len(peer.got) == 1)
    engine.scheduler.run_until(0.05)
    assert tx.messages == 1
    engine.scheduler.run_until(0.1)  # the slot opens: the latest goes
    pump(engine, lambda: len(peer.got) == 2)
    engine.scheduler.run_until(0.25)
    post(5.0)  # the next slot (0.2 s) is open: sent at once
    pump(engine, lambda: len(peer.got) == 3)
    report = engine.report()["nodes"]["tx"]
    engine.close()

    assert [args for _, args in peer.got] == [[1.0], [4.0], [5.0]]
    assert report["messages"] == 3
    assert report["coalesced"] == 2


def test_turning_the_rate_limit_off_sends_the_pending_value_at_once(peer):
    engine = _vector_source_engine(peer.port, 1.0)
    src = engine.runtime["src"]
    for value in (1.0, 2.0):
        engine.scheduler.post(src, "out", np.array([value], np.float32))
        engine.scheduler.run_pending()
    engine.do(SetParam("tx", "max_rate", 0.0))
    pump(engine, lambda: len(peer.got) == 2)
    engine.close()
    assert [args for _, args in peer.got] == [[1.0], [2.0]]


def test_an_unknown_host_fails_to_open_with_its_name():
    engine = open_patch("""\
format: nodegraph/1
nodes:
  tx: {type: osc-out, params: {host: no-such-host.invalid}}
""")
    tx = engine.runtime["tx"]
    assert tx.status == "failed"
    assert "cannot send OSC to no-such-host.invalid:12000: unknown host" in tx.last_error
