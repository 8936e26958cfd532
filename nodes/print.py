"""print: show messages in the log and the run report, as Max's print."""

from __future__ import annotations

from typing import Any

import numpy as np

from nodegraph.api import ANY, Inlet, Inputs, Node, Param, describe_value


class Print(Node):
    """Log every message (label: value) and keep the last one for the report.

    ``quiet`` keeps the count and last value without logging each message (a probe).
    """

    type_name = "print"
    category = "routing"
    inlets = (Inlet("in", ANY, "any message"),)
    label = Param("text", "", "prefix in the log (default: the node id)")
    quiet = Param("bool", False, "do not log; only count and keep the last value")

    def open(self) -> None:
        self.count = 0
        self.last: Any = None
        self.last_t = 0.0

    def process(self, inputs: Inputs) -> None:
        self.count += 1
        self.last = inputs["in"]
        self.last_t = inputs.t
        if not self.quiet:
            self.ctx.log.info("%s: %s", self.label or self.id, describe_value(self.last))

    def report(self) -> dict[str, Any]:
        last = self.last
        if isinstance(last, np.ndarray):
            last = last.tolist() if last.size <= 64 else f"array{tuple(last.shape)}"
        elif not isinstance(last, (int, float, str, bool, type(None))):
            last = repr(last)
        return {"count": self.count, "last": last}
