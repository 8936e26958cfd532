"""What ``inlet`` and ``outlet`` share: a typed pass-through that marks a port of
the patch it sits in (see :mod:`nodegraph.subpatch`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph import Inlet, Inputs, Node, Outlet, Param, ParamError, PortInfo
from nodegraph.types import ALL_TYPES

#: Port types a subpatch port may carry: any message type, or audio.
PORT_TYPES = tuple(ALL_TYPES)


class Boundary(Node):
    """A port of an abstraction; its node id is the port's name.

    A message port passes each message on in the same tick. An ``audio`` port is a
    signal node of the DSP chain that hands on the very array arriving at it (the
    sum of what is linked in): crossing a subpatch boundary copies no audio.
    """

    category = "subpatch"
    type = Param("choice", "any", "what the port carries: a message type, or audio",
                 choices=PORT_TYPES)
    size = Param("int", 0, "vector size the port expects (0: any)", range=(0, 65536))
    doc = Param("text", "", "what the port is for (shown on the subpatch node)")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if self.size and ALL_TYPES[self.type].domain == "signal":
            raise ParamError(f"size is for message ports; an {self.type} port takes any "
                             "number of channels (leave size 0)", "size")

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return (Inlet("in", ALL_TYPES[self.type], "what enters the port"),)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return (Outlet("out", ALL_TYPES[self.type], "the same", like="in"),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        expected = PortInfo(self.size or None)
        arriving = inlets.get("in", PortInfo())
        return {"in": expected, "out": arriving if arriving.size is not None else expected}

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"out": inputs["in"]}

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        return {"out": inputs["in"]}
