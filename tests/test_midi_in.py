"""midi-in with real MIDI: a virtual port on a JACK dummy server feeds the node.

This machine has no ALSA sequencer, but python-rtmidi's JACK API opens virtual
ports on a JACK server started with the dummy driver, and messages sent from one
arrive at the other (docs/architecture.md, "MIDI without hardware"). The server is the
session's one JACK server (``jack_server`` in conftest.py), the one audio plays to.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import pytest
import rtmidi

from nodegraph.edits import SetParam
from nodegraph.engine import Engine
from nodegraph.errors import PatchError

from engine_helpers import engine_from

DEADLINE_S = 10.0
PEER_CLIENT = "ngtest-controller"


@pytest.fixture
def controller(jack_server: str) -> Iterator[rtmidi.MidiOut]:
    """A MIDI controller stand-in: a virtual output port ``faders`` on the JACK server."""
    out = rtmidi.MidiOut(rtapi=rtmidi.API_UNIX_JACK, name=PEER_CLIENT)
    try:
        out.open_virtual_port("faders")
        yield out
    finally:
        out.close_port()
        out.delete()


def open_patch(text: str) -> Engine:
    """An opened engine on a virtual clock (conftest closes it after the test)."""
    return engine_from(text)


def pump(engine: Engine, until: Callable[[], bool]) -> None:
    """Run the control graph on this thread until ``until()`` holds (bounded wait)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        engine.scheduler.run_pending()
        if until():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the expected MIDI messages never arrived")
        time.sleep(0.001)


def midi_patch(**params: object) -> str:
    listed = ", ".join(f"{k}: {v}" for k, v in {"api": "jack", **params}.items())
    return f"""\
format: nodegraph/1
nodes:
  keys: {{type: midi-in, params: {{{listed}}}}}
  sink: {{type: t-sink}}
links:
  - keys.out -> sink.in
"""


def test_control_changes_and_notes_arrive_as_normalized_vectors(controller):
    engine = open_patch(midi_patch(port="faders", controls="[1, 7]", notes="[60]"))
    sink = engine.runtime["sink"].node
    for message in ([0xB0, 1, 127], [0xB0, 7, 64], [0x90, 60, 100], [0x80, 60, 0],
                    [0x90, 60, 27], [0x90, 60, 0]):
        controller.send_message(message)
    pump(engine, lambda: len(sink.got) == 6)
    report = engine.report()["nodes"]["keys"]
    engine.close()

    expected = [[127, 0, 0], [127, 64, 0], [127, 64, 100], [127, 64, 0], [127, 64, 27],
                [127, 64, 0]]
    assert [v.tolist() for v, _ in sink.got] == [
        pytest.approx([x / 127 for x in row]) for row in expected]
    assert report["port"] == f"{PEER_CLIENT}:faders"
    assert report["messages"] == 6


def test_other_channels_and_unlisted_numbers_are_ignored(controller):
    engine = open_patch(midi_patch(port="FADERS", channel=2, controls="[1]"))
    sink = engine.runtime["sink"].node
    controller.send_message([0xB0, 1, 10])   # channel 1
    controller.send_message([0xB1, 20, 10])  # channel 2, control 20 not listed
    controller.send_message([0xE1, 0, 64])   # channel 2, pitch bend
    controller.send_message([0xB1, 1, 127])  # channel 2, control 1
    pump(engine, lambda: len(sink.got) == 1)
    pump(engine, lambda: engine.report()["nodes"]["keys"]["ignored"] == 3)
    assert sink.got[0][0].tolist() == [1.0]


def test_close_removes_the_nodes_jack_port(controller):
    engine = open_patch(midi_patch(port="faders"))
    ours = set(controller.get_ports())  # JACK inputs a controller could connect to
    assert ours, "the open midi-in should have a JACK input port"
    engine.close()
    assert ours.isdisjoint(controller.get_ports())


def test_a_port_that_is_not_there_lists_the_ports_that_are(controller):
    engine = open_patch(midi_patch(port="nanoKONTROL"))
    keys = engine.runtime["keys"]
    assert keys.status == "failed"
    assert "no MIDI input port matches 'nanoKONTROL' (api 'jack'); available: " \
        f"{PEER_CLIENT}:faders" in keys.last_error


def test_no_input_ports_at_all_says_so(jack_server):
    engine = open_patch(midi_patch())
    keys = engine.runtime["keys"]
    assert keys.status == "failed"
    assert "no MIDI input ports (api 'jack'): connect a controller" in keys.last_error


def test_no_jack_server_says_to_start_one(jack_server, monkeypatch):
    monkeypatch.setenv("JACK_DEFAULT_SERVER", f"{jack_server}-not-running")
    engine = open_patch(midi_patch())
    keys = engine.runtime["keys"]
    assert keys.status == "failed"
    assert "no MIDI system for api 'jack'" in keys.last_error
    assert "start a JACK server first" in keys.last_error


@pytest.mark.skipif(os.path.exists("/dev/snd/seq"), reason="this machine has an ALSA sequencer")
def test_no_alsa_sequencer_says_what_is_missing():
    engine = open_patch(midi_patch(api="alsa"))
    keys = engine.runtime["keys"]
    assert keys.status == "failed"
    assert "no MIDI system for api 'alsa'" in keys.last_error
    assert "the ALSA sequencer (/dev/snd/seq) is missing" in keys.last_error


def test_changing_controls_while_running_resizes_the_vector(controller):
    engine = open_patch(midi_patch(port="faders", controls="[1]"))
    engine.do(SetParam("keys", "controls", [7, 1]))
    sink = engine.runtime["sink"].node
    controller.send_message([0xB0, 1, 127])
    pump(engine, lambda: bool(sink.got))
    assert sink.got[0][0].tolist() == [0.0, 1.0]
    assert engine.graph.port_infos["keys"]["out"].labels == ("cc7", "cc1")


@pytest.mark.parametrize("params, message", [
    ({"controls": "[1.5]"}, "controls must be whole numbers 0-127"),
    ({"notes": "[60, 60]"}, "notes lists a number twice"),
    ({"controls": "[]"}, "give at least one number in controls or notes"),
    ({"controls": "[128]"}, "expected a list of numbers each in [0, 127]"),
])
def test_bad_numbers_are_refused_at_load_with_the_line(params, message):
    with pytest.raises(PatchError) as caught:
        open_patch(midi_patch(**params))
    (problem,) = caught.value.problems
    assert problem.line == 3
    assert message in problem.message
