"""The ``inlet`` and ``outlet`` node types: the ports of a subpatch, built into the
engine (:mod:`nodegraph.subpatch` expands subpatches through them, so they are not a
library's to define). Each is a typed pass-through whose node id names the port.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .node import Inputs, Node
from .schema import Inlet, Outlet, Param, ParamError, PortInfo
from .types import ALL_TYPES

#: Port types a subpatch port may carry: any message type, or audio.
PORT_TYPES = tuple(ALL_TYPES)
#: The pass-through's own ports: what is linked to a subpatch port arrives at the
#: port node's ``IN``; what leaves the port node's ``OUT`` leaves the subpatch.
IN, OUT = "in", "out"


class SubpatchPort(Node):
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
        return (Inlet(IN, ALL_TYPES[self.type], "what enters the port"),)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return (Outlet(OUT, ALL_TYPES[self.type], "the same", like=IN),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        expected = PortInfo(self.size or None)
        arriving = inlets.get(IN, PortInfo())
        return {IN: expected, OUT: arriving if arriving.size is not None else expected}

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {OUT: inputs[IN]}

    def render(self, inputs: Mapping[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        return {OUT: inputs[IN]}


class SubpatchInlet(SubpatchPort):
    """An input port of the patch it is in; the node id names the port.

    When the patch is used as a subpatch (``include:`` or ``subpatch:``), its inlet
    nodes, in the order they are written, are the ports of the subpatch node, and
    what is linked into a port arrives at this node's ``out``: messages in the same
    tick, audio (``type: audio``) in the same block, without a copy. ``type`` and
    ``size`` are checked against what the including patch links in. In a patch run
    on its own, an inlet receives nothing (silence for audio; the engine can
    ``send`` it messages).
    """

    type_name = "inlet"


class SubpatchOutlet(SubpatchPort):
    """An output port of the patch it is in; the node id names the port.

    When the patch is used as a subpatch, its outlet nodes, in the order they are
    written, are the subpatch node's outlets: what arrives at this node's ``in``
    leaves the subpatch node there, messages in the same tick, audio (``type:
    audio``) in the same block, without a copy.
    """

    type_name = "outlet"


#: The node types every registry has, whatever libraries are installed.
BUILT_IN_TYPES: tuple[type[Node], ...] = (SubpatchInlet, SubpatchOutlet)
