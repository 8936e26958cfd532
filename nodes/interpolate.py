"""interpolate: a point between two vectors (latent interpolation)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param, PortInfo

from .control.values import as_vector

METHODS = ("linear", "slerp")


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation: along the arc from a to b, lengths interpolated too.

    Between two draws from a Gaussian prior the straight line passes through points
    of unusually small norm (rarely seen in training); slerp keeps the norm typical.
    Falls back to linear when either vector is zero or they are (anti)parallel.
    """
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return a + (b - a) * t
    cos = float(np.clip(np.dot(a, b) / (na * nb), -1.0, 1.0))
    omega = float(np.arccos(cos))
    if np.sin(omega) < 1e-6:
        return a + (b - a) * t
    return (np.sin((1.0 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


class Interpolate(Node):
    """Send a + (b - a) * mix: a at mix 0, b at mix 1, beyond them outside [0, 1].

    The knob between two latent points (two bookmarks, a mapping and a fixed
    sound). ``slerp`` follows the arc between them instead of the straight line,
    which keeps Gaussian latents at a typical length midway. Every inlet is hot;
    nothing is sent until both a and b have arrived, and they must have one size.
    """

    type_name = "interpolate"
    category = "latent"
    inlets = (Inlet("a", VECTOR, "the point at mix 0"),
              Inlet("b", VECTOR, "the point at mix 1"),
              Inlet("mix", NUMBER, "position between a and b (replaces the mix param)"))
    outlets = (Outlet("out", VECTOR, "the point between", like="a"),)
    mix = Param("float", 0.5, "position between a and b until the mix inlet receives one",
                range=(-10.0, 10.0))
    method = Param("choice", "linear", "straight line, or arc (slerp)", choices=METHODS)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        a, b = inlets.get("a", PortInfo()), inlets.get("b", PortInfo())
        if a.size is not None and b.size is not None and a.size != b.size:
            raise ValueError(f"a receives {a.size} values and b {b.size}; interpolating "
                             "needs two vectors of one size")
        size = a.size if a.size is not None else b.size
        return {"a": PortInfo(size), "b": PortInfo(size), "mix": PortInfo(1),
                "out": PortInfo(size, a.labels if a.labels is not None else b.labels)}

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        if inputs["a"] is None or inputs["b"] is None:
            return None
        a, b = as_vector(inputs["a"], "a"), as_vector(inputs["b"], "b")
        if a.size != b.size:
            raise ValueError(f"a has {a.size} values and b {b.size}; they must match")
        mix = self.mix if inputs["mix"] is None else float(as_vector(inputs["mix"], "mix")[0])
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        out = slerp(a64, b64, mix) if self.method == "slerp" else a64 + (b64 - a64) * mix
        return {"out": out.astype(np.float32)}
