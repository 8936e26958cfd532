"""meter: a signal's level (RMS and peak, dBFS) as messages, for the editor and for mappings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import AUDIO, NUMBER, Inlet, Node, Outlet, Param

from .dsp.level import FLOOR_DB, RATE_HZ, WINDOW_MS, LevelMeter


class Meter(Node):
    """Measure a signal's level: RMS and peak in dBFS over the last ``window_ms``.

    Sends ``level_db`` (RMS of the loudest channel: a full-scale sine reads -3) and
    ``peak_db`` (largest sample) ``rate_hz`` times a second of audio, and shows them
    in the editor's performance panel. Silence reads -120 dB, a finite number, so a
    meter can drive a mapping (a gain that ducks when a voice is loud) — the messages
    leave from the audio thread on a later tick, so such a loop needs no ``delay``.
    A signal holding NaN or infinite samples is not measured: the node is flagged
    and keeps its last levels.
    """

    type_name = "meter"
    category = "audio"
    #: its messages are posted from the audio thread, to a later tick
    breaks_cycles = True
    inlets = (Inlet("in", AUDIO, "signal to measure"),)
    outlets = (Outlet("level_db", NUMBER, "RMS level in dBFS, rate_hz times a second"),
               Outlet("peak_db", NUMBER, "peak level in dBFS, with each level_db"))
    window_ms = Param("float", WINDOW_MS, "how much of the signal each measurement covers",
                      range=(1.0, 10_000.0))
    rate_hz = Param("float", RATE_HZ, "measurements per second of audio", range=(0.1, 1000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: the graph rate and the meter, from the first ``prepare`` on
        self._sr: int | None = None
        self._meter: LevelMeter | None = None

    def open(self) -> None:
        self._meter = None

    def on_param(self, name: str, value: Any) -> None:
        if self._sr is not None:
            self._meter = self._make_meter(self._sr)

    def _make_meter(self, sr: int) -> LevelMeter:
        return LevelMeter(sr, self.window_ms, self.rate_hz)

    def prepare(self, sr: int, block: int) -> None:
        self._sr = sr
        self._meter = self._make_meter(sr)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> None:
        meter = self._meter
        for level in meter.feed(inputs["in"]):
            if level.finite:  # stamped with the measured frame's time (offline; live: now)
                t = self.ctx.frame_time(level.offset)
                self.ctx.post("level_db", level.level_db, t)
                self.ctx.post("peak_db", level.peak_db, t)
            else:
                self.ctx.error("the signal holds NaN or infinite samples; levels held")

    def report(self) -> dict[str, Any]:
        meter = self._meter
        if meter is None:  # not rendering yet
            return {"level_db": FLOOR_DB, "peak_db": FLOOR_DB}
        return {"level_db": round(meter.level_db, 2), "peak_db": round(meter.peak_db, 2)}
