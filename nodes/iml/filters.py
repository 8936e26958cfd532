"""Smoothing filters for vectors, driven by timestamps in seconds, not by call counts.

A filter keeps per-dimension state. ``step(x, t)`` takes a vector and its timestamp and
returns the filtered vector; the time step is ``t`` minus the previous timestamp,
clamped at 0 (a late message moves nothing), so the response is the same at any message
rate. The first value, or one of a new size, passes unchanged and starts the state.

- :class:`OneEuro` (Casiez, Roussel & Vogel, CHI 2012): a low-pass whose cutoff rises
  with speed, ``fc = min_cutoff + beta · |dx/dt|`` (speed itself low-passed at
  ``d_cutoff``), smoothing ``α = 1 / (1 + τ/dt)`` with ``τ = 1 / (2π fc)``: steady when
  still, little lag when moving fast.
- :class:`EMA`: ``y += (1 - exp(-dt/τ)) · (x - y)``, τ the time constant.
- :class:`Slew`: ``y`` moves toward ``x`` by at most ``rate · dt`` per dimension.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import numpy as np

#: Output within this fraction of the input (relative to max(1, |x|)) counts as arrived.
SETTLED = 1e-6


class Filter(ABC):
    """Per-dimension state, stepped by time. Control thread only."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the state: the next value passes unchanged."""
        self.y: np.ndarray | None = None
        self.x: np.ndarray | None = None
        self.t = 0.0

    def step(self, x: np.ndarray, t: float) -> np.ndarray:
        """Filter ``x`` (float64 copy made) at time ``t`` seconds; returns the output."""
        x = np.array(x, dtype=np.float64)
        if self.y is None or self.y.shape != x.shape:
            self.reset()
            self.y, self.x, self.t = x.copy(), x, t
            self._start(x)
            return self.y
        dt = max(0.0, t - self.t)
        self.t = max(t, self.t)
        if dt > 0.0:
            self.y = self._update(x, dt)
        self.x = x
        if self.settled:
            self.y = x.copy()
        return self.y

    def coast(self, dt: float) -> np.ndarray:
        """Advance ``dt`` seconds with no new value (the last one held)."""
        return self.step(self.x, self.t + dt)

    @property
    def settled(self) -> bool:
        """True when the output has reached the last input."""
        if self.y is None:
            return True
        return bool(np.max(np.abs(self.x - self.y), initial=0.0)
                    <= SETTLED * max(1.0, float(np.max(np.abs(self.x), initial=0.0))))

    def _start(self, x: np.ndarray) -> None:
        """Initialise extra state from the first value."""

    @abstractmethod
    def _update(self, x: np.ndarray, dt: float) -> np.ndarray:
        """The next output for input ``x`` after ``dt`` > 0 seconds."""


def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
    tau = 1.0 / (2.0 * math.pi * np.maximum(cutoff, 1e-9))
    return 1.0 / (1.0 + tau / dt)


class OneEuro(Filter):
    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        super().__init__()

    def _start(self, x: np.ndarray) -> None:
        self.speed = np.zeros_like(x)

    def _update(self, x: np.ndarray, dt: float) -> np.ndarray:
        raw_speed = (x - self.x) / dt
        self.speed = self.speed + _alpha(self.d_cutoff, dt) * (raw_speed - self.speed)
        cutoff = self.min_cutoff + self.beta * np.abs(self.speed)
        return self.y + _alpha(cutoff, dt) * (x - self.y)


class EMA(Filter):
    def __init__(self, time_constant_s: float) -> None:
        self.time_constant_s = time_constant_s
        super().__init__()

    def _update(self, x: np.ndarray, dt: float) -> np.ndarray:
        if self.time_constant_s <= 0.0:
            return x.copy()
        return self.y + (1.0 - math.exp(-dt / self.time_constant_s)) * (x - self.y)


class Slew(Filter):
    def __init__(self, rate: float) -> None:
        self.rate = rate
        super().__init__()

    def _update(self, x: np.ndarray, dt: float) -> np.ndarray:
        limit = self.rate * dt
        return self.y + np.clip(x - self.y, -limit, limit)
