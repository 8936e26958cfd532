"""pack: numbers into a vector, as Max's pack (left inlet hot, the others cold)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nodegraph.api import NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param


class Pack(Node):
    """Combine count numbers into one vector; the first inlet triggers output.

    As in Max, only ``in0`` is hot: set the others first, then the first. Inlets not
    yet received count as 0.
    """

    type_name = "pack"
    category = "routing"
    count = Param("int", 2, "number of inlets / vector size", range=(1, 64))
    outlets = (Outlet("out", VECTOR, "the packed vector", size="count"),)

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return tuple(Inlet(f"in{i}", NUMBER, "first value (hot)" if i == 0 else f"value {i} (cold)",
                           hot=(i == 0)) for i in range(self.count))

    def process(self, inputs: Inputs) -> dict[str, Any]:
        values = [inputs.get(f"in{i}", 0.0) for i in range(self.count)]
        return {"out": np.asarray(values, dtype=np.float32)}
