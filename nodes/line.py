"""line: ramp smoothly toward each new target over a time (Max's line)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import BANG, NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param, Timer

from .control.values import as_vector


class Line(Node):
    """Glide from the current value to each target over time_ms, in grain_ms steps.

    The first target is sent at once (there is nothing to glide from). A new target
    mid-glide starts a new glide from wherever the line is, without resetting the
    step cadence, so targets streaming in faster than grain_ms still move the line
    every grain_ms. ``time`` sets the glide
    time for the next target only (as Max's line); 0 jumps. A target of another size
    than the current value is sent at once. Steps run on the engine clock and carry
    their own time as timestamp; ``done`` bangs when a glide arrives.
    """

    type_name = "line"
    category = "control"
    inlets = (Inlet("target", VECTOR, "where to go"),
              Inlet("time", NUMBER, "glide time in ms for the next target only", hot=False))
    outlets = (Outlet("out", VECTOR, "the current value, every grain", like="target"),
               Outlet("done", BANG, "the glide reached its target"))
    time_ms = Param("float", 100.0, "glide time", range=(0.0, 3_600_000.0))
    grain_ms = Param("float", 20.0, "time between steps", range=(1.0, 60_000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._timer: Timer | None = None

    def open(self) -> None:
        self._value: np.ndarray | None = None
        #: the glide in progress: (start value, start time, end time, target)
        self._glide: tuple[np.ndarray, float, float, np.ndarray] | None = None
        self._timer = self.ctx.timer()
        self._next_time: float | None = None

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        if "time" in inputs.changed:
            self._next_time = max(0.0, float(as_vector(inputs["time"], "time")[0]))
        if "target" not in inputs.changed:
            return None
        target = as_vector(inputs["target"], "target")
        duration_ms = self.time_ms if self._next_time is None else self._next_time
        self._next_time = None
        if duration_ms == 0 or self._value is None or self._value.shape != target.shape:
            self._timer.cancel()
            self._value, self._glide = target, None
            return {"out": target, "done": True}
        now = self.ctx.now()
        end = now + duration_ms / 1000.0
        self._glide = (self._value.copy(), now, end, target)
        # A step already due keeps its time, so a stream of targets arriving faster
        # than grain_ms still gets a step every grain_ms.
        if self._timer.due is None or self._timer.due > end:
            self._timer.at(min(end, now + self.grain_ms / 1000.0), self._step)
        return None

    def _step(self, t: float) -> None:
        start, t0, end, target = self._glide
        if t >= end:
            self._value, self._glide = target, None
            self.ctx.post("out", target, t)
            self.ctx.post("done", True, t)
            return
        self._value = (start + (target - start) * ((t - t0) / (end - t0))).astype(np.float32)
        self.ctx.post("out", self._value, t)
        self._timer.at(min(end, t + self.grain_ms / 1000.0), self._step)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
