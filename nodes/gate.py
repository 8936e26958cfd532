"""gate: pass messages to one of N outlets, or to none (Max's gate)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import ANY, NUMBER, Inlet, Inputs, Node, Outlet, Param, ParamError

from .control.values import as_vector


class Gate(Node):
    """Pass each message to the open outlet (out1..outN), or to none.

    ``select`` opens an outlet by number: 0 closes the gate, 1 opens ``out1``, and so
    on (numbers round to the nearest outlet; above N opens the last). It is cold: it
    only decides where the next message goes.
    """

    type_name = "gate"
    category = "routing"
    count = Param("int", 1, "number of outlets", range=(1, 32))
    initial = Param("int", 1, "outlet open at start (0: closed)", range=(0, 32))

    inlets = (Inlet("in", ANY, "message to pass on"),
              Inlet("select", NUMBER, "outlet to open: 0 closes, 1..count opens", hot=False))

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return tuple(Outlet(f"out{i}", ANY, f"messages while select is {i}", like="in")
                     for i in range(1, self.count + 1))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if self.initial > self.count:
            raise ParamError(f"initial is {self.initial} but there are only {self.count} "
                             "outlets", "initial")
        #: the outlet messages go to (0: none)
        self._open: int = self.initial

    def open(self) -> None:
        self._open = self.initial

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        if "select" in inputs.changed:
            chosen = float(as_vector(inputs["select"], "select")[0])
            self._open = min(self.count, max(0, round(chosen)))
        if "in" not in inputs.changed or self._open == 0:
            return None
        return {f"out{self._open}": inputs["in"]}

    def report(self) -> dict[str, Any]:
        return {"open": self._open}
