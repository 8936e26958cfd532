"""Seeded, smoothly drifting noise (an Ornstein-Uhlenbeck process per dimension).

``noise`` and ``jitter`` share it. Each value wanders around 0 with standard
deviation ``amount``; ``smooth_s`` is its correlation time: a value keeps about 37 %
(1/e) of its offset after ``smooth_s`` seconds. 0 gives white noise (independent
draws). The update is the process's exact solution over a step dt::

    a = exp(-dt / smooth_s)
    x <- a x + amount sqrt(1 - a^2) N(0, 1)

so the statistics do not depend on how often it is sampled, and the sequence depends
only on the seed and the step times (deterministic on a virtual clock).
"""

from __future__ import annotations

import math

import numpy as np


class Drift:
    """The noise state for ``size`` dimensions, drawn from ``seed``."""

    def __init__(self, seed: int, size: int, amount: float) -> None:
        self.rng = np.random.default_rng(seed)
        self.x = amount * self.rng.standard_normal(size)

    def resize(self, size: int, amount: float) -> None:
        """Start over with ``size`` dimensions (the generator continues)."""
        self.x = amount * self.rng.standard_normal(size)

    def advance(self, dt: float, amount: float, smooth_s: float) -> np.ndarray:
        """Move the state on by ``dt`` seconds and return it (float64)."""
        a = math.exp(-dt / smooth_s) if smooth_s > 0 else 0.0
        self.x = a * self.x + amount * math.sqrt(max(0.0, 1.0 - a * a)) \
            * self.rng.standard_normal(self.x.size)
        return self.x
