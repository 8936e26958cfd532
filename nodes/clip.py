"""clip: limit every value of a vector to [lo, hi]."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, ParamError

from .control.values import as_vector


class Clip(Node):
    """Limit each value to [lo, hi] (Max's clip).

    For a different range per dimension, use ``map`` with equal input and output
    ranges and ``clip: true``.
    """

    type_name = "clip"
    inlets = (Inlet("in", VECTOR, "values to limit"),)
    outlets = (Outlet("out", VECTOR, "limited values", like="in"),)
    lo = Param("float", 0.0, "smallest value sent")
    hi = Param("float", 1.0, "largest value sent (at least lo)")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if self.lo > self.hi:
            raise ParamError(f"hi ({self.hi:g}) is below lo ({self.lo:g}); swap them", "hi")

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"out": np.clip(as_vector(inputs["in"], "in"), self.lo, self.hi)}
