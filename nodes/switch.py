"""switch: pass on one of N inputs, chosen by number (Max's switch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import ANY, NUMBER, Inlet, Inputs, Node, Outlet, Param, ParamError, PortInfo

from .control.values import as_vector


class Switch(Node):
    """Send what arrives at the selected inlet (in1..inN); ignore the others.

    ``select`` chooses by number: 0 passes nothing, 1 passes ``in1``, and so on
    (rounded; above N selects the last). A message at ``select`` also sends the
    chosen input's latest value at once, so switching from one latent stream to
    another takes effect without waiting for that stream's next message. All inputs must carry vectors of one size
    (checked when the patch loads).
    """

    type_name = "switch"
    category = "routing"
    count = Param("int", 2, "number of inputs", range=(1, 32))
    initial = Param("int", 1, "input selected at start (0: none)", range=(0, 32))
    outlets = (Outlet("out", ANY, "messages from the selected input"),)

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return tuple(Inlet(f"in{i}", ANY, f"input {i}") for i in range(1, self.count + 1)) + (
            Inlet("select", NUMBER, "input to pass: 0 none, 1..count; sends its latest value"),)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if self.initial > self.count:
            raise ParamError(f"initial is {self.initial} but there are only {self.count} "
                             "inputs", "initial")
        #: the input passed (0: none)
        self._selected: int = self.initial

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        info: dict[str, PortInfo] = {name: PortInfo() for name in
                                     [f"in{i}" for i in range(1, self.count + 1)] + ["select"]}
        known = {name: inlets[name] for name in info
                 if name != "select" and name in inlets and inlets[name].size is not None}
        sizes = {i.size for i in known.values()}
        if len(sizes) > 1:
            listing = ", ".join(f"{name} {i.size}" for name, i in known.items())
            raise ValueError(f"inputs carry vectors of different sizes ({listing}); whatever "
                             "follows a switch takes one size, so make them match")
        labels = {i.labels for i in known.values()}
        info["out"] = PortInfo(sizes.pop() if sizes else None,
                               labels.pop() if len(labels) == 1 else None)
        return info

    def open(self) -> None:
        self._selected = self.initial

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        selecting = "select" in inputs.changed
        if selecting:
            number = float(as_vector(inputs["select"], "select")[0])
            self._selected = min(self.count, max(0, round(number)))
        if self._selected == 0:
            return None
        name = f"in{self._selected}"
        if name in inputs.changed or (selecting and inputs[name] is not None):
            return {"out": inputs[name]}
        return None

    def report(self) -> dict[str, Any]:
        return {"selected": self._selected}
