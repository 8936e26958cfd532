"""scale: map every value of a vector from one range to another (linear, exp, curve)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param

from .control.mapping import MODES, check_ranges, map_values
from .control.values import as_vector


class Scale(Node):
    """Map each value from [in_lo, in_hi] to [out_lo, out_hi].

    One range applies to every dimension (``map`` takes a range per dimension).
    ``mode`` shapes the mapping: ``linear``; ``exp`` (equal ratios for equal steps,
    for frequencies and gains; out_lo and out_hi nonzero, same sign); ``curve``
    ((e^(k u) - 1) / (e^k - 1) with k = ``curve``: 0 linear, > 0 slow start, < 0 fast
    start). Ranges may be reversed to invert a control. ``clip`` keeps outputs in the
    output range; without it, inputs outside the input range extrapolate.
    """

    type_name = "scale"
    inlets = (Inlet("in", VECTOR, "values to map"),)
    outlets = (Outlet("out", VECTOR, "mapped values", like="in"),)
    in_lo = Param("float", 0.0, "input value mapped to out_lo")
    in_hi = Param("float", 1.0, "input value mapped to out_hi (must differ from in_lo)")
    out_lo = Param("float", 0.0, "output for in_lo")
    out_hi = Param("float", 1.0, "output for in_hi")
    mode = Param("choice", "linear", "shape of the mapping", choices=MODES)
    curve = Param("float", 0.0, "mode curve: bend (0 linear, > 0 slow start, < 0 fast start)",
                  range=(-20.0, 20.0))
    clip = Param("bool", False, "limit the output to [out_lo, out_hi]")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        check_ranges(self.in_lo, self.in_hi, self.out_lo, self.out_hi, self.mode)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        x = as_vector(inputs["in"], "in")
        return {"out": map_values(x, self.in_lo, self.in_hi, self.out_lo, self.out_hi,
                                  self.mode, self.curve, self.clip)}
