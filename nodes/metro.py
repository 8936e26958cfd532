"""metro: a bang every interval, as Max's metro."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import BANG, NUMBER, Inlet, Inputs, Node, Outlet, Param, Timer


class Metro(Node):
    """Send a bang every interval_ms while on.

    Ticks are scheduled on the engine clock at exact multiples of the interval from
    the start (no drift), and each bang carries its scheduled time as timestamp.
    """

    type_name = "metro"
    category = "source"
    inlets = (Inlet("toggle", NUMBER, "nonzero starts, 0 stops"),)
    outlets = (Outlet("bang", BANG, "one bang per interval"),)
    interval_ms = Param("float", 100.0, "time between bangs", range=(1.0, 600_000.0))
    autostart = Param("bool", True, "start ticking when the patch starts")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._timer: Timer | None = None

    def open(self) -> None:
        self._timer = self.ctx.timer()
        if self.autostart:
            self._start()

    def _start(self) -> None:
        if not self._timer.pending:
            self._timer.at(self.ctx.now(), self._tick)

    def _tick(self, t: float) -> None:
        self.ctx.post("bang", True, t)
        self._timer.at(t + self.interval_ms / 1000.0, self._tick)

    def process(self, inputs: Inputs) -> None:
        if inputs["toggle"]:
            self._start()
        else:
            self._timer.cancel()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
