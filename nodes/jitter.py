"""jitter: add smoothly wandering random offsets to a vector (seeded)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import VECTOR, Inlet, Inputs, Node, Outlet, Param, Timer

from .control.drift import Drift
from .control.values import as_vector


class Jitter(Node):
    """Send the input plus a random offset per dimension that drifts over time.

    The offsets wander around 0 with standard deviation ``amount``, forgetting their
    past over ``smooth_ms`` (0: a fresh independent offset each time), as ``noise``
    does. The jittered vector is sent on every input and, once no input has arrived
    for ``interval_ms`` (when above 0), every interval_ms with the last input, so a
    latent point that stands still keeps moving. Same seed, same offsets, on any
    clock.
    """

    type_name = "jitter"
    category = "latent"
    inlets = (Inlet("in", VECTOR, "the vector to jitter"),)
    outlets = (Outlet("out", VECTOR, "the vector plus offsets", like="in"),)
    amount = Param("float", 0.1, "standard deviation of the offsets", range=(0.0, 1.0e9))
    smooth_ms = Param("float", 500.0, "correlation time of the offsets (0: white noise)",
                      range=(0.0, 3_600_000.0))
    interval_ms = Param("float", 100.0, "resend this often with new offsets while no input "
                        "arrives (0: only on input)",
                        range=(0.0, 600_000.0))
    seed = Param("int", 0, "start of the random sequence", range=(0, 2**31 - 1))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._timer: Timer | None = None

    def open(self) -> None:
        self._drift: Drift | None = None
        self._last: np.ndarray | None = None
        self._last_t = 0.0
        self._timer = self.ctx.timer()

    def on_param(self, name: str, value: Any) -> None:
        if name == "seed":
            self._drift = None
        if name == "interval_ms" and self._last is not None:
            self._schedule(self.ctx.now())

    def _offsets(self, t: float, size: int) -> np.ndarray:
        if self._drift is None:
            self._drift = Drift(self.seed, size, self.amount)
        elif self._drift.x.size != size:
            self._drift.resize(size, self.amount)
        else:
            self._drift.advance(max(0.0, t - self._last_t), self.amount, self.smooth_ms / 1000.0)
        self._last_t = t
        return self._drift.x

    def process(self, inputs: Inputs) -> dict[str, Any]:
        x = as_vector(inputs["in"], "in")
        now = self.ctx.now()
        out = (x + self._offsets(now, x.size)).astype(np.float32)
        self._last = x
        self._schedule(now)
        return {"out": out}

    def _schedule(self, now: float) -> None:
        """The next resend, ``interval_ms`` from ``now`` (none when it is 0)."""
        self._timer.cancel()
        if self.interval_ms > 0:
            self._timer.at(now + self.interval_ms / 1000.0, self._tick)

    def _tick(self, t: float) -> None:
        if self._last is None:
            return
        out = (self._last + self._offsets(t, self._last.size)).astype(np.float32)
        self.ctx.post("out", out, t)
        self._schedule(t)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
