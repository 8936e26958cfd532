"""delay: messages again, later; the node that lets a loop close."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import ANY, BANG, Inlet, Inputs, Node, Outlet, Param, TimerHandle


class Delay(Node):
    """Send each message again time_ms later (0: on the next tick).

    Every message is delayed, in order, keeping its source timestamp (as Max's
    ``pipe``); ``clear`` drops the ones still waiting. Because its output always
    leaves on a later tick, a delay is the only node a cycle may pass through.
    """

    type_name = "delay"
    category = "routing"
    breaks_cycles = True
    inlets = (Inlet("in", ANY, "message to delay"),
              Inlet("clear", BANG, "forget messages still waiting"))
    outlets = (Outlet("out", ANY, "the message, later", like="in"),)
    time_ms = Param("float", 0.0, "delay; 0 sends on the next tick", range=(0.0, 3_600_000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: timers of the messages still waiting
        self._waiting: list[TimerHandle] = []

    def open(self) -> None:
        self._waiting = []

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        if "clear" in inputs.changed:
            for handle in self._waiting:
                handle.cancel()
            self._waiting.clear()
        if "in" not in inputs.changed:
            return None
        value, source_t = inputs["in"], inputs.times["in"]
        if self.time_ms == 0:
            return {"out": value}

        def fire(_due: float) -> None:
            self._waiting.remove(handle)
            self.ctx.post("out", value, source_t)

        handle = self.ctx.schedule_at(self.ctx.now() + self.time_ms / 1000.0, fire)
        self._waiting.append(handle)
        return None

    def close(self) -> None:
        for handle in self._waiting:
            handle.cancel()
