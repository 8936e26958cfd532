"""audio-out: play a signal on a sound card."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import AUDIO, DEFAULT_BLOCK, DEFAULT_SAFETY_MS, Inlet, Node, Output, Param

from .dsp.level import LevelMeter


class AudioOut(Node):
    """Play audio on a sound card (through PortAudio: JACK, ALSA, CoreAudio, WASAPI...).

    The first audio-out of a patch sets the graph's sample rate (its device's) and
    block size. With no device at all it warns and plays silently in real time, so
    the rest of the patch runs and ``--out FILE.wav`` still records. Mono is played
    on every channel; more channels than the device has are mixed down.

    ``safety_ms`` trades latency for robustness: the audio engine renders each block
    that long (plus its measured render time) before the device needs it. Raise it
    if the report shows underruns on a busy machine. The report's ``level_db`` and
    ``peak_db`` are the level played (as the ``meter`` node measures it), shown as a
    meter in the editor's performance panel.
    """

    type_name = "audio-out"
    category = "audio"
    inlets = (Inlet("audio", AUDIO, "signal to play"),)
    device = Param("text", "", "output device: empty for the default, an index, or part "
                   "of a name ('nodegraph devices' lists them)")
    sample_rate = Param("int", 0, "Hz; 0 uses the device's rate", range=(0, 384000))
    block_size = Param("int", DEFAULT_BLOCK, "frames per device callback", range=(16, 8192))
    channels = Param("int", 0, "output channels; 0 uses up to 2 of the device's",
                     range=(0, 64))
    safety_ms = Param("float", DEFAULT_SAFETY_MS, "render this long before the device "
                      "needs audio, beyond the measured render time", range=(0.0, 500.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._output: Output | None = None
        #: the level played, from the first ``prepare`` on
        self._level: LevelMeter | None = None

    def open(self) -> None:
        self._output = self.ctx.open_output(
            self.device, self.sample_rate, self.block_size, self.channels, self.safety_ms)

    def on_param(self, name: str, value: Any) -> None:
        if name == "safety_ms":
            if self._output is not None:
                self._output.safety_s = value / 1000.0
        else:
            self.close()
            self.open()

    def prepare(self, sr: int, block: int) -> None:
        self._level = LevelMeter(sr)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> None:
        output = self._output
        if output is not None:  # None only while a param change reopens the device
            output.write(inputs["audio"])
        self._level.feed(inputs["audio"])  # type: ignore[union-attr]  # set by prepare

    def close(self) -> None:
        output, self._output = self._output, None
        if output is not None:
            output.close()

    def report(self) -> dict[str, Any]:
        output, level = self._output, self._level
        if output is None:
            return {}
        if level is None:  # not rendering yet
            return output.report()
        return {**output.report(), "level_db": round(level.level_db, 2),
                "peak_db": round(level.peak_db, 2)}
