"""crossfade: move between two signals by a position from 0 (a) to 1 (b)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import AUDIO, NUMBER, Inlet, Inputs, Node, Outlet, Param

from .control.values import as_vector
from .dsp.channels import common_channels
from .dsp.control import SmoothedControl
from .gain import RAMP_MS

CURVES = ("equal-power", "linear")


class Crossfade(Node):
    """Fade between a (position 0) and b (position 1), e.g. two decoders or two models.

    ``curve: equal-power`` weighs a by cos(position · π/2) and b by sin(position · π/2),
    so two unrelated sounds keep their loudness through the middle (each at -3 dB);
    ``linear`` weighs them 1 - position and position, which suits two signals that
    are nearly the same (at the middle, unrelated sounds dip by 3 dB). The position
    glides to each new value over ``ramp_ms``, read every 256 frames, so a position
    driven by a face or a slider never clicks. Positions outside 0..1 are clipped;
    NaN or infinity is refused (the node is flagged and keeps its position). Mono
    combines with a wider signal, as at any signal inlet.
    """

    type_name = "crossfade"
    category = "audio"
    inlets = (Inlet("a", AUDIO, "heard at position 0"),
              Inlet("b", AUDIO, "heard at position 1"),
              Inlet("position", NUMBER, "0: only a, 1: only b (clipped to 0..1)"))
    outlets = (Outlet("out", AUDIO, "the mix"),)
    position = Param("float", 0.0, "position until a number arrives at the position inlet",
                     range=(0.0, 1.0))
    curve = Param("choice", "equal-power", "equal-power (unrelated signals) or linear "
                  "(similar signals)", choices=CURVES)
    ramp_ms = Param("float", RAMP_MS, "glide time to a new position", range=(0.0, 10_000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._control: SmoothedControl | None = None

    def open(self) -> None:
        self._control = SmoothedControl([self.position])

    def process(self, inputs: Inputs) -> None:
        value = as_vector(inputs["position"], "position")
        if value.size != 1:
            raise ValueError(f"inlet 'position' takes one number, got {value.size} values")
        self._control.set(np.clip(value, 0.0, 1.0), inputs.t)

    def on_param(self, name: str, value: Any) -> None:
        if name == "position":
            self._control.set(np.array([value]), self.ctx.now())
        elif name == "ramp_ms":
            self._control.set_ramp(value)

    def prepare(self, sr: int, block: int) -> None:
        self._control.prepare(sr, block, self.ramp_ms)
        self._gain_a = np.zeros((block, 1), np.float32)
        self._gain_b = np.zeros((block, 1), np.float32)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        a, b = inputs["a"], inputs["b"]
        common_channels({"a": a, "b": b})
        position = self._control.render(self.ctx, frames)
        gain_a, gain_b = self._gain_a[:frames], self._gain_b[:frames]
        if self.curve == "linear":
            np.subtract(1.0, position, out=gain_a)
            gain_b[:] = position
        else:
            np.multiply(position, math.pi / 2, out=gain_b)
            np.cos(gain_b, out=gain_a)
            np.sin(gain_b, out=gain_b)
        return {"out": a * gain_a + b * gain_b}

    def report(self) -> dict[str, Any]:
        return {"position": float(self._control.target[0])}
