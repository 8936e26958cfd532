"""constant: a fixed vector, sent when the patch starts, when changed, and on bang."""

from __future__ import annotations

from typing import Any

import numpy as np

from nodegraph.api import BANG, VECTOR, Inlet, Inputs, Node, Outlet, Param


class Constant(Node):
    """Send a fixed vector: at start, whenever its value changes, and on bang.

    The simplest source: a latent point to decode, a set of fader values. Editing
    ``value`` while the patch runs sends the new vector at once.
    """

    type_name = "constant"
    category = "source"
    inlets = (Inlet("bang", BANG, "send the value again"),)
    outlets = (Outlet("out", VECTOR, "the value", size="value"),)
    value = Param("vector", [0.0], "the values to send")

    def open(self) -> None:
        self.ctx.post("out", self._vector())

    def on_param(self, name: str, value: Any) -> None:
        if name == "value":
            self.ctx.post("out", self._vector())

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"out": self._vector()}

    def _vector(self) -> np.ndarray:
        return np.asarray(self.value, dtype=np.float32)
