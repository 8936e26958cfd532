"""scale: map a vector linearly from one range to another."""

from __future__ import annotations

from typing import Any

import numpy as np

from nodegraph import VECTOR, Inlet, Inputs, Node, Outlet, Param, PortInfo


class Scale(Node):
    """Map each value linearly from [in_lo, in_hi] to [out_lo, out_hi].

    ``clip`` keeps results inside the output range. Ranges may be reversed
    (in_lo > in_hi) to invert a control.
    """

    type_name = "scale"
    inlets = (Inlet("in", VECTOR, "values to map"),)
    outlets = (Outlet("out", VECTOR, "mapped values", like="in"),)
    in_lo = Param("float", 0.0, "input value mapped to out_lo")
    in_hi = Param("float", 1.0, "input value mapped to out_hi (must differ from in_lo)")
    out_lo = Param("float", 0.0, "output for in_lo")
    out_hi = Param("float", 1.0, "output for in_hi")
    clip = Param("bool", False, "limit the output to [out_lo, out_hi]")

    def port_info(self, inlets: dict[str, PortInfo]) -> dict[str, PortInfo]:
        if self.in_lo == self.in_hi:
            raise ValueError("in_lo and in_hi are equal, so every input maps to the same "
                             "point; give them different values")
        return super().port_info(inlets)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        x = inputs["in"]
        y = (x - self.in_lo) * ((self.out_hi - self.out_lo) / (self.in_hi - self.in_lo)) + self.out_lo
        if self.clip:
            y = np.clip(y, min(self.out_lo, self.out_hi), max(self.out_lo, self.out_hi))
        return {"out": y.astype(np.float32, copy=False)}
