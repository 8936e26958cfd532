"""What ``inlet`` and ``outlet`` share: a typed pass-through that marks a port of
the patch it sits in (see :mod:`nodegraph.subpatch`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph import Inlet, Inputs, Node, Outlet, Param, PortInfo
from nodegraph.types import ALL_TYPES

#: Port types a subpatch port may carry (message domain; signals come with the
#: audio engine).
PORT_TYPES = tuple(name for name, t in ALL_TYPES.items() if t.domain == "message")


class Boundary(Node):
    """A port of an abstraction; its node id is the port's name."""

    category = "subpatch"
    type = Param("choice", "any", "what the port carries", choices=PORT_TYPES)
    size = Param("int", 0, "vector size the port expects (0: any)", range=(0, 65536))
    doc = Param("text", "", "what the port is for (shown on the subpatch node)")

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return (Inlet("in", ALL_TYPES[self.type], "the message entering the port"),)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return (Outlet("out", ALL_TYPES[self.type], "the same message", like="in"),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        expected = PortInfo(self.size or None)
        arriving = inlets.get("in", PortInfo())
        return {"in": expected, "out": arriving if arriving.size is not None else expected}

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"out": inputs["in"]}
