"""Test signal sources and a rig for the audio utility nodes (gain, mix, crossfade,
meter, audio-file) and audio subpatch ports, rendered offline on a virtual clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import AUDIO, ANY, Node, Outlet, Param
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.patch import load_patch, parse_patch
from nodegraph.registry import Registry

from audio_helpers import registry as audio_registry

SR = 48000


class Dc(Node):
    """Test source: a constant ``value`` on ``channels`` channels (NaN with ``nan``)."""

    type_name = "t-dc"
    outlets = (Outlet("out", AUDIO),)
    value = Param("float", 1.0, "the constant")
    channels = Param("int", 1, "channels", range=(1, 8))
    nan = Param("bool", False, "send NaN instead")

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        value = float("nan") if self.nan else self.value
        return {"out": np.full((frames, self.channels), value, np.float32)}


class Sine(Node):
    """Test source: a sine of ``hz`` and ``amplitude``, phase-continuous."""

    type_name = "t-sine"
    outlets = (Outlet("out", AUDIO),)
    hz = Param("float", 440.0, "frequency")
    amplitude = Param("float", 1.0, "peak")

    def prepare(self, sr: int, block: int) -> None:
        self.sr, self.n = sr, 0

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        t = np.arange(self.n, self.n + frames) / self.sr
        self.n += frames
        return {"out": (self.amplitude * np.sin(2 * np.pi * self.hz * t))[:, None]
                .astype(np.float32)}


class At(Node):
    """Test source: sends ``value`` at clock time ``at_s`` (a message at a known time)."""

    type_name = "t-at"
    outlets = (Outlet("out", ANY),)
    at_s = Param("float", 0.0, "when")
    value = Param("vector", [1.0], "what (one value is sent as a number)")

    def open(self) -> None:
        self.ctx.schedule_at(self.at_s, self._send)

    def _send(self, t: float) -> None:
        value: Any = self.value[0] if len(self.value) == 1 else np.asarray(self.value, np.float32)
        self.ctx.post("out", value, t)


def registry() -> Registry:
    reg = audio_registry()
    for cls in (Dc, Sine, At):
        reg.register(cls)
    return reg


def rig(body: str, folder: Path | None = None) -> Engine:
    """An opened offline engine for ``format: nodegraph/1`` plus ``body``. With
    ``folder`` the patch is written there as ``patch.yaml`` and loaded from the file,
    so paths in params resolve beside it and errors name its lines."""
    text = "format: nodegraph/1\n" + body
    if folder is None:
        patch = parse_patch(text)
    else:
        (folder / "patch.yaml").write_text(text)
        patch = load_patch(folder / "patch.yaml")
    engine = Engine(patch, registry(), clock=VirtualClock())
    engine.open()
    return engine


def captured(engine: Engine, node: str = "cap") -> np.ndarray:
    """What the ``t-capture`` node ``node`` received, (frames, channels)."""
    return engine.runtime[node].node.audio


def steepest(audio: np.ndarray) -> float:
    """The largest sample-to-sample change of any channel."""
    return float(np.abs(np.diff(audio, axis=0)).max())
