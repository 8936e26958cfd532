"""concat: several vectors joined end to end into one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, PortInfo

from .control.values import as_vector


class Concat(Node):
    """Join the vectors at in0, in1, ... into one, in inlet order.

    Every inlet is hot: the joined vector is sent whenever any part changes (once per
    tick however many changed), as soon as every inlet has received something. Sizes
    add up and labels join when all parts know theirs.
    """

    type_name = "concat"
    category = "routing"
    count = Param("int", 2, "number of inlets", range=(2, 32))

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return tuple(Inlet(f"in{i}", VECTOR, f"part {i}") for i in range(self.count))

    outlets = (Outlet("out", VECTOR, "the parts joined"),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        parts = [inlets.get(f"in{i}", PortInfo()) for i in range(self.count)]
        info: dict[str, PortInfo] = {f"in{i}": PortInfo() for i in range(self.count)}
        size = None
        labels = None
        if all(p.size is not None for p in parts):
            size = sum(p.size for p in parts)
            if all(p.labels is not None for p in parts):
                labels = tuple(label for p in parts for label in p.labels)
        info["out"] = PortInfo(size, labels)
        return info

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        values = [inputs[f"in{i}"] for i in range(self.count)]
        if any(v is None for v in values):
            return None
        return {"out": np.concatenate([as_vector(v, f"in{i}") for i, v in enumerate(values)])}
