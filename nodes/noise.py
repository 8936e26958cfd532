"""noise: a vector of smoothly wandering random values, sent at a steady rate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param, Timer

from .control.drift import Drift


class Noise(Node):
    """Send size values wandering around 0 every interval_ms (seeded).

    Each value drifts with standard deviation ``amount``; ``smooth_ms`` is how long
    it takes to forget where it was (0: white noise, a new independent value each
    time). A slow, wide noise is a hands-free performer for a latent space; a fast,
    small one is texture. Same seed, same values, on any clock.
    """

    type_name = "noise"
    category = "source"
    inlets = (Inlet("toggle", NUMBER, "nonzero starts, 0 stops"),)
    outlets = (Outlet("out", VECTOR, "the noise values", size="size"),)
    size = Param("int", 1, "number of values", range=(1, 4096))
    amount = Param("float", 1.0, "standard deviation of each value", range=(0.0, 1.0e9))
    smooth_ms = Param("float", 1000.0, "correlation time (0: white noise)",
                      range=(0.0, 3_600_000.0))
    interval_ms = Param("float", 50.0, "time between vectors", range=(1.0, 600_000.0))
    seed = Param("int", 0, "start of the random sequence", range=(0, 2**31 - 1))
    autostart = Param("bool", True, "start when the patch starts")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._timer: Timer | None = None

    def open(self) -> None:
        self._drift = Drift(self.seed, self.size, self.amount)
        self._timer = self.ctx.timer()
        if self.autostart:
            self._start()

    def on_param(self, name: str, value: Any) -> None:
        if name in ("seed", "size"):
            self._drift = Drift(self.seed, self.size, self.amount)

    def _start(self) -> None:
        if not self._timer.pending:
            self._timer.at(self.ctx.now(), self._first)

    def _first(self, t: float) -> None:
        self.ctx.post("out", self._drift.x.astype("float32"), t)
        self._timer.at(t + self.interval_ms / 1000.0, self._tick)

    def _tick(self, t: float) -> None:
        dt = self.interval_ms / 1000.0
        values = self._drift.advance(dt, self.amount, self.smooth_ms / 1000.0)
        self.ctx.post("out", values.astype("float32"), t)
        self._timer.at(t + dt, self._tick)

    def process(self, inputs: Inputs) -> None:
        if inputs["toggle"]:
            self._start()
        else:
            self._timer.cancel()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
