"""gain: multiply a signal by a factor that glides to each new value (Max's *~ with line~)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import AUDIO, NUMBER, Inlet, Inputs, Node, Outlet, Param

from .control.values import as_vector
from .dsp.control import SmoothedControl

RAMP_MS = 20.0


class Gain(Node):
    """Multiply a signal by ``gain``; a new gain glides there over ``ramp_ms``.

    ``gain`` is a plain factor (1 leaves the signal as it is, 0.5 is about -6 dB, 0
    silences it); a number at the ``gain`` inlet replaces the param's value. The
    factor never jumps, so a control changing at the camera's or a slider's pace is
    not heard as clicks or zipper noise: it glides linearly from wherever it is to
    each new value. Control values are read every 256 frames (offline renders too).
    NaN or infinity at the inlet is refused (the node is flagged and keeps the last
    gain).
    """

    type_name = "gain"
    category = "audio"
    inlets = (Inlet("in", AUDIO, "signal"),
              Inlet("gain", NUMBER, "new factor (glides there over ramp_ms)"))
    outlets = (Outlet("out", AUDIO, "the scaled signal, as many channels as in"),)
    gain = Param("float", 1.0, "factor until a number arrives at the gain inlet",
                 range=(0.0, 16.0))
    ramp_ms = Param("float", RAMP_MS, "glide time to a new gain (0 jumps: clicks)",
                    range=(0.0, 10_000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._control: SmoothedControl | None = None

    def open(self) -> None:
        self._control = SmoothedControl([self.gain])

    def process(self, inputs: Inputs) -> None:
        value = as_vector(inputs["gain"], "gain")
        if value.size != 1:
            raise ValueError(f"inlet 'gain' takes one number, got {value.size} values")
        self._control.set(value, inputs.t)

    def on_param(self, name: str, value: Any) -> None:
        if name == "gain":
            self._control.set(np.array([value]), self.ctx.now())
        else:
            self._control.set_ramp(value)

    def prepare(self, sr: int, block: int) -> None:
        self._control.prepare(sr, block, self.ramp_ms)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        return {"out": inputs["in"] * self._control.render(self.ctx, frames)}

    def report(self) -> dict[str, Any]:
        return {"gain": float(self._control.target[0])}
