"""threshold: bang when a value crosses a level, with hysteresis (a Schmitt trigger)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import (BANG, NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param,
                           ParamError, PortInfo)

from .control.values import as_vector


class Threshold(Node):
    """Bang up when the value rises past the level, down when it falls back.

    With hysteresis h the value must rise to level + h/2 to count as up and fall to
    level - h/2 to count as down, so a noisy signal near the level (a mouth half
    open) does not chatter. ``state`` sends 1 or 0 whenever the state changes,
    including the first value, which sets the state without a bang (no crossing was
    seen). ``dim`` picks which value of a vector is watched.
    """

    type_name = "threshold"
    category = "control"
    inlets = (Inlet("in", VECTOR, "value (or vector) to watch"),)
    outlets = (Outlet("up", BANG, "the value rose past the level"),
               Outlet("down", BANG, "the value fell back past the level"),
               Outlet("state", NUMBER, "1 above, 0 below; sent when it changes"))
    level = Param("float", 0.5, "the level to cross")
    hysteresis = Param("float", 0.0, "width of the dead band around the level",
                       range=(0.0, 1.0e9))
    dim = Param("int", 0, "index of the watched value in a vector", range=(0, 4095))

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        arriving = inlets.get("in", PortInfo())
        if arriving.size is not None and self.dim >= arriving.size:
            raise ParamError(f"dim {self.dim} is outside the {arriving.size} values that "
                             "arrive; valid: 0.." + str(arriving.size - 1), "dim")
        return super().port_info(inlets)

    def open(self) -> None:
        self._above: bool | None = None

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        x = as_vector(inputs["in"], "in")
        if self.dim >= x.size:
            raise ValueError(f"dim {self.dim} is outside a vector of {x.size} values")
        value = float(x[self.dim])
        half = self.hysteresis / 2.0
        if self._above is None:
            self._above = value >= self.level
            return {"state": float(self._above)}
        if not self._above and value >= self.level + half:
            self._above = True
            return {"up": True, "state": 1.0}
        if self._above and value < self.level - half:
            self._above = False
            return {"down": True, "state": 0.0}
        return None
