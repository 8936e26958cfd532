"""mix: sum N signals, each with its own gain."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import AUDIO, VECTOR, Inlet, Inputs, Node, Outlet, Param, ParamError

from .control.values import as_vector, broadcast
from .dsp.channels import common_channels
from .dsp.control import SmoothedControl
from .gain import RAMP_MS


class Mix(Node):
    """Sum the inputs in1..inN, each times its own gain (a small mixing desk).

    A signal inlet already sums every link into it; ``mix`` adds a level per input.
    ``gains`` holds one factor per input, or one for all of them; a vector at the
    ``gains`` inlet (as many values as inputs, or one) replaces them, and every
    factor glides to its new value over ``ramp_ms`` (read every 256 frames), so
    levels driven by a mapping never click. Mono inputs combine with wider ones, as
    at any signal inlet; inputs with other channel counts (2 and 3) are refused.
    """

    type_name = "mix"
    category = "audio"
    count = Param("int", 2, "number of inputs", range=(1, 32))
    gains = Param("vector", [1.0], "factor per input, or one for all",
                  range=(0.0, 16.0))
    ramp_ms = Param("float", RAMP_MS, "glide time to new gains", range=(0.0, 10_000.0))
    outlets = (Outlet("out", AUDIO, "the sum"),)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._check_gains(self.gains, self.count)
        #: (sr, block) from the first ``prepare`` on
        self._rate: tuple[int, int] | None = None
        #: the input names and their gains, from ``open`` on
        self._inputs: tuple[list[str], SmoothedControl] | None = None

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return tuple(Inlet(f"in{i}", AUDIO, f"input {i}") for i in range(1, self.count + 1)) \
            + (Inlet("gains", VECTOR, "new factors: one per input, or one for all"),)

    @staticmethod
    def _check_gains(gains: list[float], count: int) -> None:
        if len(gains) not in (1, count):
            raise ParamError(f"gains has {len(gains)} values for {count} inputs; give "
                             f"{count}, or 1 for all", "gains")

    def open(self) -> None:
        self._rate = None
        self._inputs = self._make_inputs()

    def _make_inputs(self) -> tuple[list[str], SmoothedControl]:
        """The input names and their gains, swapped in as one value (the audio thread
        may be rendering meanwhile)."""
        control = SmoothedControl(broadcast(self.gains, self.count, "gains"))
        if self._rate is not None:
            control.prepare(*self._rate, self.ramp_ms)
        return [f"in{i}" for i in range(1, self.count + 1)], control

    def process(self, inputs: Inputs) -> None:
        gains = as_vector(inputs["gains"], "gains")
        if gains.size not in (1, self.count):
            raise ValueError(f"inlet 'gains' got {gains.size} values for {self.count} "
                             f"inputs; send {self.count}, or 1 for all")
        self._inputs[1].set(broadcast(gains, self.count, "gains"), inputs.t)

    def on_param(self, name: str, value: Any) -> None:
        if name == "ramp_ms":
            self._inputs[1].set_ramp(value)
            return
        if name == "gains":
            self._inputs[1].set(broadcast(self.gains, self.count, "gains"), self.ctx.now())
        else:  # count: new ports, new gains
            self._inputs = self._make_inputs()

    def prepare(self, sr: int, block: int) -> None:
        self._rate = (sr, block)
        self._inputs[1].prepare(sr, block, self.ramp_ms)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        names, control = self._inputs
        # inputs lack a new input until the chain is rebuilt after a count change
        signals = {name: inputs[name] for name in names if name in inputs}
        common_channels(signals)
        gains = control.render(self.ctx, frames)
        out = np.zeros((frames, 1), np.float32)
        for i, name in enumerate(names):
            if name not in signals:
                continue
            part = signals[name] * gains[:, i:i + 1]
            if out.shape[1] >= part.shape[1]:
                out += part
            else:
                out = out + part
        return {"out": out}

    def report(self) -> dict[str, Any]:
        return {"gains": [float(g) for g in self._inputs[1].target]}
