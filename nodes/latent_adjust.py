"""latent-adjust: scale and offset each dimension of a latent vector."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, PortInfo

from .control.values import as_vector, broadcast, check_arriving, per_dim_size


class LatentAdjust(Node):
    """Send in * scale + offset, dimension by dimension.

    The per-dimension knobs a RAVE VST or Neutone plugin shows over a latent
    vector: ``scale`` widens or narrows a dimension's movement (0 freezes it at its
    offset, -1 mirrors it), ``offset`` shifts where it sits. Each is a list with one
    value per dimension, or a single value for all of them. Edit them while the
    patch plays to steer a mapping without retraining it.
    """

    type_name = "latent-adjust"
    category = "latent"
    inlets = (Inlet("in", VECTOR, "the latent vector"),)
    outlets = (Outlet("out", VECTOR, "the adjusted vector", like="in"),)
    scale = Param("vector", [1.0], "per-dimension factor")
    offset = Param("vector", [0.0], "per-dimension shift, added after scaling")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._size = per_dim_size({"scale": self.scale, "offset": self.offset})

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        longest = "scale" if len(self.scale) >= len(self.offset) else "offset"
        check_arriving(inlets, "in", self._size, longest)
        arriving = inlets.get("in", PortInfo())
        size = self._size if self._size is not None else arriving.size
        return {"in": PortInfo(size), "out": PortInfo(size, arriving.labels)}

    def process(self, inputs: Inputs) -> dict[str, Any]:
        x = as_vector(inputs["in"], "in")
        return {"out": x * broadcast(self.scale, x.size, "scale")
                + broadcast(self.offset, x.size, "offset")}
