"""random: a random vector on each bang, from a seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from nodegraph.api import BANG, VECTOR, Inlet, Inputs, Node, Outlet, Param

DISTRIBUTIONS = ("uniform", "normal")


class Random(Node):
    """On each bang, send size random values around center.

    ``uniform``: evenly within center ± spread; ``normal``: Gaussian with mean center
    and standard deviation spread (RAVE's latent prior is a standard normal, so
    ``normal`` with spread 1 draws plausible latent points). The sequence restarts
    from ``seed`` when the patch opens and whenever the seed changes, so a patch
    plays the same values every time.
    """

    type_name = "random"
    category = "control"
    inlets = (Inlet("bang", BANG, "draw and send a new vector"),)
    outlets = (Outlet("out", VECTOR, "the random values", size="size"),)
    size = Param("int", 1, "number of values", range=(1, 4096))
    distribution = Param("choice", "uniform", "how values spread", choices=DISTRIBUTIONS)
    center = Param("float", 0.0, "middle (uniform) or mean (normal)")
    spread = Param("float", 1.0, "half-width (uniform) or standard deviation (normal)",
                   range=(0.0, 1.0e9))
    seed = Param("int", 0, "start of the random sequence", range=(0, 2**31 - 1))

    def open(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def on_param(self, name: str, value: Any) -> None:
        if name == "seed":
            self.open()

    def process(self, inputs: Inputs) -> dict[str, Any]:
        if self.distribution == "uniform":
            x = self._rng.uniform(-1.0, 1.0, self.size)
        else:
            x = self._rng.standard_normal(self.size)
        return {"out": (self.center + self.spread * x).astype(np.float32)}
