"""Signal node types and helpers for the audio tests."""

from __future__ import annotations

import numpy as np

from nodegraph.api import AUDIO, VECTOR, Inlet, Node, Outlet, Param
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
from nodegraph.registry import Registry

from engine_helpers import registry as engine_registry


class Ramp(Node):
    """Test source: frame n of its output is n * step (counts its renders)."""

    type_name = "t-ramp"
    outlets = (Outlet("out", AUDIO),)
    channels = Param("int", 1, "channels", range=(1, 8))
    step = Param("float", 1.0, "value added per frame")

    def prepare(self, sr: int, block: int) -> None:
        self.sr, self.renders, self.frames = sr, 0, 0

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        ramp = self.step * np.arange(self.frames, self.frames + frames, dtype=np.float32)
        self.frames += frames
        self.renders += 1
        return {"out": np.repeat(ramp[:, None], self.channels, axis=1)}


class Capture(Node):
    """Test sink: keeps everything it renders."""

    type_name = "t-capture"
    inlets = (Inlet("in", AUDIO),)

    def prepare(self, sr: int, block: int) -> None:
        self.sr, self.blocks = sr, []

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> None:
        self.blocks.append(np.array(inputs["in"]))

    @property
    def audio(self) -> np.ndarray:
        return np.concatenate(self.blocks)


class BadRender(Node):
    """Test signal node that raises in render."""

    type_name = "t-bad-render"
    outlets = (Outlet("out", AUDIO),)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> None:
        raise RuntimeError("render exploded")


class Latents(Node):
    """Test source: every ``interval_ms``, the next ``size`` values of ``values``
    (cycling), stamped with their scheduled time."""

    type_name = "t-latents"
    outlets = (Outlet("out", VECTOR, size="size"),)
    values = Param("vector", [0.0], "consecutive latent vectors, flattened")
    size = Param("int", 1, "values per vector", range=(1, 64))
    interval_ms = Param("float", 100.0, "time between vectors", range=(1.0, 10000.0))

    def open(self) -> None:
        self.sent = 0
        self.ctx.schedule_at(self.ctx.now(), self._tick)

    def _tick(self, t: float) -> None:
        count = len(self.values) // self.size
        i = self.sent % count
        self.ctx.post("out", np.asarray(self.values[i * self.size:(i + 1) * self.size],
                                        np.float32), t)
        self.sent += 1
        self.ctx.schedule_at(t + self.interval_ms / 1000.0, self._tick)


def registry() -> Registry:
    """The node library, the engine's test types and these."""
    reg = engine_registry()
    for cls in (Ramp, Capture, BadRender, Latents):
        reg.register(cls)
    return reg


def audio_engine(text: str, virtual: bool = True) -> Engine:
    """An opened engine for patch text, with the audio test types."""
    engine = Engine(parse_patch(text), registry(), clock=VirtualClock() if virtual else None)
    engine.open()
    return engine


def latent_patch(model: object, values: str, dec_params: str = "",
                 interval_ms: float = 100.0) -> str:
    """Patch text: t-latents (vectors of 4, every ``interval_ms``) → rave-decode →
    t-capture. ``values``: the flattened vectors; ``dec_params``: more decoder params."""
    return f"""\
format: nodegraph/1
nodes:
  steps: {{type: t-latents, params: {{size: 4, interval_ms: {interval_ms}, values: [{values}]}}}}
  dec: {{type: rave-decode, params: {{model: '{model}'{dec_params}}}}}
  out: {{type: t-capture}}
links:
  - steps.out -> dec.latent
  - dec.audio -> out.in
"""


def playing_patch(model: object, point: str, out_params: str = "") -> str:
    """Patch text: a constant latent ``point`` (YAML list) → rave-decode → audio-out;
    ``out_params``: audio-out's params as YAML flow-mapping entries."""
    return f"""\
format: nodegraph/1
nodes:
  point: {{type: constant, params: {{value: {point}}}}}
  dec: {{type: rave-decode, params: {{model: '{model}'}}}}
  out: {{type: audio-out, params: {{{out_params}}}}}
links:
  - point.out -> dec.latent
  - dec.audio -> out.audio
"""


def peak_hz(audio: np.ndarray, sr: int) -> float:
    """The frequency of the strongest spectral peak of mono ``audio``."""
    spectrum = np.abs(np.fft.rfft(audio * np.hanning(len(audio))))
    return float(np.fft.rfftfreq(len(audio), 1.0 / sr)[spectrum.argmax()])


def play_until(engine: Engine, seconds: float, what: str = "", deadline_s: float = 60.0) -> None:
    """Wait (on the wall clock, up to ``deadline_s``) until a started engine's audio worker
    has rendered ``seconds`` of audio in all: tests of real-time play wait on the audio
    clock, never for a wall-clock time, so a loaded machine makes them slower, not wrong."""
    from engine_helpers import wait_for

    audio = engine.audio
    wait_for(lambda: audio.sr and audio.position >= seconds * audio.sr,
             what or f"{seconds} s of audio rendered", deadline_s)
