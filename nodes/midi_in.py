"""midi-in: faders, knobs and keys of a MIDI controller as a vector in 0..1."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import VECTOR, Node, Outlet, Param, PortInfo

from .interop import midi

MIDI_MAX = 127.0
#: how long closing waits for a running MIDI callback to return
CALLBACK_DRAIN_S = 1.0


class MidiIn(Node):
    """Control changes and notes from a MIDI input port as a vector of values in 0..1.

    Each number in ``controls`` (control change numbers) and then in ``notes``
    (note numbers) owns one entry of the vector: a control's last value / 127; a
    note's velocity / 127 while held, 0 after its note-off. Every message that
    changes an entry sends the whole vector, timestamped with its arrival. Other
    messages, and other channels when ``channel`` is set, are counted as ignored.

    ``port`` picks the input by name, or by part of its name; when nothing
    matches, or there is no MIDI system at all, the node fails to open with a
    message that lists the ports there are, or says what to start. ``api`` picks
    rtmidi's MIDI system: ``jack`` reaches virtual ports on a JACK server.
    """

    type_name = "midi-in"
    category = "source"
    realtime_only = True
    port = Param("text", "", "input port name, or part of it (any case); empty: the first port")
    api = Param("choice", "default", "MIDI system: default lets rtmidi choose (ALSA on "
                                     "Linux); jack reaches a JACK server's ports",
                choices=tuple(midi.APIS))
    channel = Param("int", 0, "MIDI channel to listen to, 1-16; 0: every channel",
                    range=(0, 16))
    controls = Param("vector", [1.0], "control change numbers, one vector entry each "
                                      "(1: modulation wheel)", range=(0, 127))
    notes = Param("vector", [], "note numbers, one vector entry each (60: middle C)",
                  range=(0, 127))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._check_numbers()
        #: messages taken, and those ignored (other channels, unlisted numbers)
        self.messages = 0
        self.ignored = 0
        #: the open port (a mido input), None while closed
        self._input: Any = None
        #: rtmidi's thread is inside ``_receive`` (it alone writes this)
        self._receiving = False
        #: the port is closing: ``_receive`` drops what still arrives
        self._closing = False
        #: (message key → index, state): swapped whole, the MIDI thread reads it
        self._map: tuple[dict[tuple[str, int], int], np.ndarray] = ({}, np.zeros(0, np.float32))

    def _check_numbers(self) -> None:
        for name in ("controls", "notes"):
            numbers = getattr(self, name)
            if any(not n.is_integer() for n in numbers):
                raise ValueError(f"{name} must be whole numbers 0-127, got {numbers}")
            if len(set(numbers)) != len(numbers):
                raise ValueError(f"{name} lists a number twice: {numbers}")
        if not self.controls and not self.notes:
            raise ValueError("give at least one number in controls or notes")

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return (Outlet("out", VECTOR, "controls then notes, each 0..1",
                       size=len(self.controls) + len(self.notes)),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        labels = tuple(f"cc{int(n)}" for n in self.controls) + \
            tuple(f"note{int(n)}" for n in self.notes)
        return {"out": PortInfo(len(labels), labels)}

    # -- life cycle (control thread) ------------------------------------------------

    def open(self) -> None:
        self.messages = 0
        self.ignored = 0
        self._build_map()
        self._open_port()

    def on_param(self, name: str, value: Any) -> None:
        if name in ("controls", "notes"):
            self._build_map()
        elif name in ("port", "api"):
            self._close_port()
            self._open_port()

    def close(self) -> None:
        self._close_port()

    def _build_map(self) -> None:
        """Swap in a new (index, state) pair in one assignment: the MIDI thread reads it."""
        keys = [("control_change", int(n)) for n in self.controls] + \
            [("note", int(n)) for n in self.notes]
        self._map = ({key: i for i, key in enumerate(keys)}, np.zeros(len(keys), np.float32))

    def _open_port(self) -> None:
        self._closing = False
        self._input = midi.open_input(self.api, self.port, self._receive)

    def _close_port(self) -> None:
        """Close the port once rtmidi's thread is out of ``_receive``: closing a JACK
        input destroys its client's thread, and destroying it while it runs Python code
        crashes the process (a segfault in the callback). Messages arriving meanwhile
        are dropped."""
        port, self._input = self._input, None
        if port is None:
            return
        self._closing = True
        deadline = time.monotonic() + CALLBACK_DRAIN_S
        while self._receiving and time.monotonic() < deadline:
            time.sleep(0.001)  # the GIL released: the callback can finish
        time.sleep(0.001)  # and return through mido's and rtmidi's wrappers
        port.close()

    # -- rtmidi's thread -----------------------------------------------------------------

    def _receive(self, message: Any) -> None:
        """One MIDI message (rtmidi's thread): update the state and post a copy."""
        self._receiving = True
        try:
            if not self._closing:
                self._handle(message)
        finally:
            self._receiving = False

    def _handle(self, message: Any) -> None:
        t = self.ctx.now()
        if self.channel and getattr(message, "channel", None) != self.channel - 1:
            self.ignored += 1
            return
        if message.type == "control_change":
            key, value = ("control_change", message.control), message.value
        elif message.type == "note_on":  # velocity 0 is a note-off by convention
            key, value = ("note", message.note), message.velocity
        elif message.type == "note_off":
            key, value = ("note", message.note), 0
        else:
            self.ignored += 1
            return
        index, state = self._map
        i = index.get(key)
        if i is None:
            self.ignored += 1
            return
        state[i] = value / MIDI_MAX
        self.messages += 1
        self.ctx.post("out", state.copy(), t)

    # -- any thread --------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        port = self._input
        if port is None:
            return {}
        return {"port": port.name, "messages": self.messages, "ignored": self.ignored}
