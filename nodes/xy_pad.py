"""xy-pad: a point on a 2-D pad, from the editor's pad, the mouse, or a message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, ParamError, PortInfo

LABELS = ("x", "y")


class XYPad(Node):
    """A 2-D performance space without a camera: a point (x, y) in 0..1.

    In the editor's Perform panel the node is a square pad: press and drag on it
    and the point follows the pointer (x to the right, y up); with *follow mouse*
    ticked it follows the pointer whenever it is over the pad, no button held.
    The pad sends to the ``xy`` inlet, which a link or a script can use as well
    (values outside 0..1 are clipped). ``value`` is the point when the patch
    opens, sent then and whenever it is edited; moving the point does not change
    the patch. Use ``map`` or ``scale`` downstream for other ranges.
    """

    type_name = "xy-pad"
    category = "source"
    inlets = (Inlet("xy", VECTOR, "go to this point (x, y in 0..1); the editor's pad "
                                  "sends here", size=2),)
    outlets = (Outlet("out", VECTOR, "the point: x, y", size=2),)
    value = Param("vector", [0.5, 0.5], "the point (x, y) when the patch opens",
                  range=(0.0, 1.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if len(self.value) != 2:
            raise ParamError(f"value must be two numbers, x and y, e.g. [0.5, 0.5]; got "
                             f"{self.value}", param="value")

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        return {"xy": PortInfo(2, LABELS), "out": PortInfo(2, LABELS)}

    def open(self) -> None:
        self.ctx.post("out", np.asarray(self.value, dtype=np.float32))

    def on_param(self, name: str, value: Any) -> None:
        if name == "value":
            self.ctx.post("out", np.asarray(value, dtype=np.float32))

    def process(self, inputs: Inputs) -> dict[str, Any]:
        point = np.asarray(inputs["xy"], dtype=np.float32)
        if not np.isfinite(point).all():
            raise ValueError(f"xy: {point.tolist()} is not a point; send two finite numbers")
        return {"out": np.clip(point, 0.0, 1.0)}
