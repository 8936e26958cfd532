"""toggle: an on/off state set by bangs, sent as 1 or 0 (Max's toggle)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import BANG, NUMBER, Inlet, Inputs, Node, Outlet


class Toggle(Node):
    """Hold on (1) or off (0): ``start`` turns it on, ``stop`` off, ``flip`` inverts it.

    Every message sends the state, changed or not (as Max's toggle does), so a
    downstream on/off inlet (regress's ``record_while`` and ``run``, metro's
    ``toggle``) follows a pair of start/stop bangs, such as Wekinator's
    ``startRecording``/``stopRecording`` OSC messages. Several messages arriving
    in one tick (two OSC messages from one port) apply in the order they arrived.
    The state starts off and is not sent until the first message.
    """

    type_name = "toggle"
    category = "control"
    inlets = (Inlet("start", BANG, "turn on and send 1"),
              Inlet("stop", BANG, "turn off and send 0"),
              Inlet("flip", BANG, "invert and send the new state"))
    outlets = (Outlet("out", NUMBER, "1.0 when on, 0.0 when off"),)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._on = False

    def open(self) -> None:
        self._on = False

    def process(self, inputs: Inputs) -> dict[str, Any]:
        for name in sorted(inputs.changed, key=lambda name: (inputs.times[name], name)):
            self._on = not self._on if name == "flip" else name == "start"
        return {"out": 1.0 if self._on else 0.0}

    def report(self) -> dict[str, Any]:
        return {"on": self._on}
