"""unpack: a vector into separate numbers, as Max's unpack."""

from __future__ import annotations

from typing import Any

from nodegraph.api import NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param


class Unpack(Node):
    """Split a vector of count values into numbers, one outlet each."""

    type_name = "unpack"
    category = "routing"
    count = Param("int", 2, "vector size / number of outlets", range=(1, 64))
    inlets = (Inlet("in", VECTOR, "the vector", size="count"),)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return tuple(Outlet(f"out{i}", NUMBER, f"value {i}") for i in range(self.count))

    def process(self, inputs: Inputs) -> dict[str, Any]:
        values = inputs["in"]
        return {f"out{i}": float(v) for i, v in enumerate(values[: self.count])}
