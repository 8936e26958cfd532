"""change: pass a message only when it differs from the previous one (Max's change)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nodegraph.api import ANY, Inlet, Inputs, Node, Outlet, Param

_MISSING = object()


class Change(Node):
    """Pass each message that differs from the last one passed; drop repeats.

    Numbers and vectors differ when their sizes differ or some value moved by more
    than ``tolerance``; other messages (text, bangs) when they are not equal. The
    first message always passes. NaN never equals anything, so it always passes.
    """

    type_name = "change"
    category = "control"
    inlets = (Inlet("in", ANY, "messages"),)
    outlets = (Outlet("out", ANY, "messages that changed", like="in"),)
    tolerance = Param("float", 0.0, "largest difference still counted as the same",
                      range=(0.0, 1.0e9))

    def open(self) -> None:
        self._last: Any = _MISSING

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        value = inputs["in"]
        if self._last is not _MISSING and self._same(self._last, value):
            return None
        self._last = value.copy() if isinstance(value, np.ndarray) else value
        return {"out": value}

    def _same(self, a: Any, b: Any) -> bool:
        numeric = (int, float, np.ndarray)
        if isinstance(a, numeric) and isinstance(b, numeric) \
                and not isinstance(a, bool) and not isinstance(b, bool):
            x, y = np.atleast_1d(np.asarray(a, np.float64)), np.atleast_1d(np.asarray(b, np.float64))
            if x.shape != y.shape:
                return False
            return bool(np.all(np.abs(x - y) <= self.tolerance))
        return type(a) is type(b) and a == b
