"""map: map each dimension of a vector through its own range (linear, exp, curve)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, PortInfo

from .control.mapping import MODES, check_ranges, map_values
from .control.values import as_vector, broadcast, check_arriving, per_dim_size

_RANGES = ("in_lo", "in_hi", "out_lo", "out_hi")


class Map(Node):
    """Map dimension i from [in_lo[i], in_hi[i]] to [out_lo[i], out_hi[i]].

    The per-dimension form of ``scale``: each range param is a list with one value
    per dimension, or a single value that applies to every dimension. ``mode``,
    ``curve`` and ``clip`` work as in ``scale``. The vector size is fixed by the
    longest range list (checked against what arrives when the patch loads).
    """

    type_name = "map"
    inlets = (Inlet("in", VECTOR, "values to map"),)
    outlets = (Outlet("out", VECTOR, "mapped values", like="in"),)
    in_lo = Param("vector", [0.0], "per-dimension input value mapped to out_lo")
    in_hi = Param("vector", [1.0], "per-dimension input value mapped to out_hi")
    out_lo = Param("vector", [0.0], "per-dimension output for in_lo")
    out_hi = Param("vector", [1.0], "per-dimension output for in_hi")
    mode = Param("choice", "linear", "shape of the mapping (as scale)", choices=MODES)
    curve = Param("float", 0.0, "mode curve: bend (0 linear, > 0 slow start, < 0 fast start)",
                  range=(-20.0, 20.0))
    clip = Param("bool", False, "limit each output to its output range")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._size = per_dim_size({name: self.params[name] for name in _RANGES})
        size = self._size or 1
        ranges = [broadcast(self.params[name], size, name) for name in _RANGES]
        check_ranges(*ranges, self.mode)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        longest = max(_RANGES, key=lambda name: len(self.params[name]))
        check_arriving(inlets, "in", self._size, longest)
        arriving = inlets.get("in", PortInfo())
        size = self._size if self._size is not None else arriving.size
        return {"in": PortInfo(size), "out": PortInfo(size, arriving.labels)}

    def process(self, inputs: Inputs) -> dict[str, Any]:
        x = as_vector(inputs["in"], "in")
        ranges = [broadcast(self.params[name], x.size, name) for name in _RANGES]
        return {"out": map_values(x, *ranges, self.mode, self.curve, self.clip)}
