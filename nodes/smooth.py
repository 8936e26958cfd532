"""smooth: one-euro, exponential moving average or slew limiting, per dimension."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import BANG, VECTOR, Inlet, Inputs, Node, Outlet, Param, Timer
from nodes.iml.filters import EMA, Filter, OneEuro, Slew


class Smooth(Node):
    """Smooth a vector over time: one-euro filter, moving average or slew limit.

    Time comes from the messages' timestamps (seconds), not from how often they
    arrive, so the same motion is smoothed the same at 15 or 60 frames per second.
    ``one-euro`` (Casiez et al. 2012) is steady when still and quick when moving:
    lower ``min_cutoff`` for less jitter, raise ``beta`` for less lag. ``ema`` averages
    with time constant ``time_ms``; ``slew`` moves at most ``rate`` units per second.
    With ``step_ms`` > 0 the output keeps gliding every ``step_ms`` while no new value
    arrives, until it reaches the last input (for sources that send only on change).
    """

    type_name = "smooth"
    inlets = (Inlet("in", VECTOR, "values to smooth; their timestamps set the time steps"),
              Inlet("reset", BANG, "forget the history: the next value passes unchanged"))
    outlets = (Outlet("out", VECTOR, "the smoothed values", like="in"),)
    method = Param("choice", "one-euro", "one-euro, ema (moving average) or slew (rate limit)",
                   choices=("one-euro", "ema", "slew"))
    min_cutoff = Param("float", 1.0, "one-euro: cutoff in Hz when still (lower: smoother)",
                       range=(1e-3, 1000.0))
    beta = Param("float", 0.1, "one-euro: how much speed raises the cutoff (higher: less lag)",
                 range=(0.0, 1000.0))
    d_cutoff = Param("float", 1.0, "one-euro: cutoff in Hz for the speed estimate",
                     range=(1e-3, 1000.0))
    time_ms = Param("float", 100.0, "ema: time constant (63% of a step after this long)",
                    range=(0.0, 600_000.0))
    rate = Param("float", 1.0, "slew: most units per second each value may move",
                 range=(1e-9, 1e9))
    step_ms = Param("float", 0.0, "keep gliding toward the last input every step_ms while "
                    "no value arrives (0: update only on input)", range=(0.0, 10_000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._filter: Filter | None = None
        self._timer: Timer | None = None

    def open(self) -> None:
        self._filter = self._make_filter()
        self._timer = self.ctx.timer()

    def _make_filter(self) -> Filter:
        if self.method == "one-euro":
            return OneEuro(self.min_cutoff, self.beta, self.d_cutoff)
        if self.method == "ema":
            return EMA(self.time_ms / 1000.0)
        return Slew(self.rate)

    def on_param(self, name: str, value: Any) -> None:
        if name == "method":
            old = self._filter
            self._filter = self._make_filter()
            if old.y is not None:  # carry on from where the output is
                self._filter.step(old.y, old.t)
                self._filter.step(old.x, old.t)
        elif name in ("min_cutoff", "beta", "d_cutoff", "rate"):
            setattr(self._filter, name, value)
        elif name == "time_ms" and isinstance(self._filter, EMA):
            self._filter.time_constant_s = value / 1000.0

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        if "reset" in inputs.changed:
            self._filter.reset()
            self._timer.cancel()
        if "in" not in inputs.changed:
            return None
        y = self._filter.step(inputs["in"], inputs.times["in"])
        self._timer.cancel()
        self._glide_later()
        return {"out": y.astype(np.float32)}

    def _glide_later(self) -> None:
        if self.step_ms > 0 and not self._filter.settled:
            self._timer.at(self.ctx.now() + self.step_ms / 1000.0, self._glide)

    def _glide(self, due: float) -> None:
        y = self._filter.coast(self.step_ms / 1000.0)
        self.ctx.post("out", y.astype(np.float32), due)
        self._glide_later()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
