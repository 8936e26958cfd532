"""select-dims: chosen dimensions of a vector, in a chosen order."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, ParamError, PortInfo

from .control.values import as_vector


class SelectDims(Node):
    """Send the dimensions listed in dims (0-based; negative counts from the end).

    Dimensions may repeat or be reordered: ``[2, 0]`` sends the third then the first
    value. Labels follow the chosen dimensions. An index outside the arriving vector
    is an error when the patch loads (if the size is known then) or when it arrives.
    """

    type_name = "select-dims"
    category = "routing"
    inlets = (Inlet("in", VECTOR, "the vector to take dimensions from"),)
    outlets = (Outlet("out", VECTOR, "the chosen dimensions", size="dims"),)
    dims = Param("vector", [0.0], "indices of the dimensions to send, e.g. [0, 2]")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if not self.dims:
            raise ParamError("dims is empty; list at least one index, e.g. [0]", "dims")
        if any(not float(d).is_integer() for d in self.dims):
            raise ParamError(f"dims must be whole numbers, got {self.dims}", "dims")
        self._index = np.asarray(self.dims, dtype=np.int64)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        arriving = inlets.get("in", PortInfo())
        labels = None
        if arriving.size is not None:
            self._check(arriving.size, "dims")
            if arriving.labels is not None:
                labels = tuple(arriving.labels[i] for i in self._index)
        return {"in": PortInfo(), "out": PortInfo(len(self._index), labels)}

    def _check(self, size: int, param: str | None) -> None:
        bad = [int(i) for i in self._index if not -size <= i < size]
        if bad:
            raise ParamError(f"dims {bad} out of range for a vector of {size} values "
                             f"(valid: 0..{size - 1}, or -{size}..-1)", param)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        x = as_vector(inputs["in"], "in")
        self._check(x.size, None)
        return {"out": x[self._index]}
