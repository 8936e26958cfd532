"""wav-out: record a signal to a WAV file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import (AUDIO, WAV_SUBTYPES, Inlet, Node, Param, WavWriter,
                           check_writable)


class WavOut(Node):
    """Record audio to a WAV file, at the graph's sample rate.

    The file has as many channels as the audio arriving (mono from a mono model) and
    is complete when the patch stops. Writing happens on a thread of its own, so a
    slow disk never delays the audio. ``nodegraph run --out FILE.wav`` records what
    audio-out plays without adding this node. The file must lie in the patch's folder
    unless the run allows more (``--allow-write``).
    """

    type_name = "wav-out"
    category = "audio"
    inlets = (Inlet("audio", AUDIO, "signal to record"),)
    path = Param("path", "out.wav", "WAV file to write, relative to the patch file (a "
                 "change applies from the next run)")
    format = Param("choice", "float", "sample format: 32-bit float, or 16/24-bit PCM (a "
                   "change applies from the next run)", choices=tuple(WAV_SUBTYPES))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: the file being written, from ``prepare`` on
        self._writer: WavWriter | None = None
        self._path: Path | None = None

    def open(self) -> None:
        self._writer = None
        self._path = self.ctx.write_path(self.path, "path")
        check_writable(self._path)

    def prepare(self, sr: int, block: int) -> None:
        self.close()
        self._writer = WavWriter(self._path, sr, self.format)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> None:
        self._writer.write(inputs["audio"])

    def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()

    def report(self) -> dict[str, Any]:
        writer = self._writer
        if writer is None:  # not rendering yet
            return {}
        return {"path": str(writer.path), "seconds": round(writer.frames / writer.sr, 3),
                "error": writer.error}
