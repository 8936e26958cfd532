"""rave-decode: latent vectors → audio, with RAVE or any nn~-compatible TorchScript model."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np

from nodegraph.api import (AUDIO, UNKNOWN, VECTOR, AudioRing, Inlet, Inputs, LatestValue, Node,
                           Outlet, Param, PortInfo, Resampler)
from nodes.neural.guard import DecodeBudget, RateWatch, checked_audio

if TYPE_CHECKING:
    from nodes.neural.decoder import FrameDecoder

MAX_FRAMES_PER_CALL = 64


class RaveDecode(Node):
    """Decode a latent point into sound with a RAVE model (or any nn~-compatible one).

    ``model`` is a TorchScript file: a RAVE v1 or v2 export, streaming or not, mono
    or stereo, or anything with a ``decode`` method and a ``decode_params`` buffer
    (``nodegraph model info FILE.ts`` shows what a file offers). ``default`` is the
    model that ships with nodegraph. The patch check reads the model's latent size,
    so a vector of the wrong size is reported at load time.

    The latest ``latent`` is read once per latent frame (``ratio`` samples, 46 ms for
    RAVE at 44.1 kHz), when the audio engine needs that frame: just before it plays.
    Streaming exports decode frame after frame; non-streaming ones are decoded with
    context and crossfaded so their chunk boundaries do not click. The audio is
    resampled to the graph's rate. The run report's audio section gets the model's
    delay (impulse → first output change), the live decode speed, and the latency
    floor the model's frame and the block allow (``nodegraph model info`` shows it too).
    """

    type_name = "rave-decode"
    category = "audio"
    report_section = "audio"
    inlets = (Inlet("latent", VECTOR, "latent point: the model's latent_size values"),)
    outlets = (Outlet("audio", AUDIO, "decoded audio at the graph's sample rate"),)
    model = Param("path", "default", "TorchScript model (.ts), relative to the patch file; "
                  "'default' for the model shipped with nodegraph")
    fill = Param("choice", "noise", "latent channels the patch does not give (between "
                 "latent_size and full_latent_size): noise, seeded, as RAVE fills them "
                 "itself; zeros for a decoder without noise (a RAVE export can then fall "
                 "silent at the latent origin)", choices=("noise", "zeros"))
    noise_scale = Param("float", 1.0, "standard deviation of the noise fill",
                        range=(0.0, 10.0))
    interpolate = Param("bool", False, "with frames_per_call > 1, glide linearly from the "
                        "previous latent to the newest across the frames of a call")
    frames_per_call = Param("int", 1, "latent frames per model call: more is cheaper per "
                            "frame but reacts later", range=(1, MAX_FRAMES_PER_CALL))
    threads = Param("int", 1, "torch threads for decoding", range=(1, 64))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: the newest latent, for the audio thread
        self._slot = LatestValue()
        #: a live model change's loading thread
        self._loader: threading.Thread | None = None
        self._decoder: FrameDecoder | None = None
        #: a newly loaded model, switched to at the next decode
        self._next_decoder: FrameDecoder | None = None
        self._latent_size = 0
        #: seconds spent in decode, latent frames decoded
        self._decode_s = 0.0
        self._frames_decoded = 0
        #: the graph rate, from ``prepare`` on
        self._sr: int | None = None

    def model_path(self) -> Path:
        """The model file the ``model`` param names."""
        from nodes.neural.model import model_file

        return model_file(self.model, self.base_dir)

    def port_info(self, inlets: dict[str, PortInfo]) -> dict[str, PortInfo]:
        """The latent inlet takes the model's latent size."""
        from nodes.neural.model import inspect_model

        interface = inspect_model(self.model_path())  # None: not read (check, no sandbox)
        return {"latent": PortInfo(interface.latent_size if interface else None),
                "audio": UNKNOWN}

    # -- control thread --------------------------------------------------------------------

    def open(self) -> None:
        from nodes.neural.decoder import make_decoder
        from nodes.neural.model import load_model

        self._slot = LatestValue()
        self._loader = None
        self._decoder = make_decoder(load_model(self.model_path(), self.threads))
        self._next_decoder = None
        self._latent_size = self._decoder.info.latent_size
        self._decode_s = 0.0
        self._frames_decoded = 0

    def process(self, inputs: Inputs) -> None:
        latent = inputs["latent"]
        if latent is None:
            return
        latent = np.asarray(latent, np.float32)
        if latent.shape != (self._latent_size,):
            raise ValueError(f"latent has {latent.size} values; the model takes "
                             f"{self._latent_size}")
        self._slot.set(latent, inputs.t, inputs.source)

    def on_param(self, name: str, value: Any) -> None:
        if name == "model":
            if self._loader is not None:
                self._loader.join()
            if self.ctx.offline:  # the render waits for it: the switch lands at a known frame
                self._load(self.model_path())
                return
            self._loader = threading.Thread(target=self._load, args=(self.model_path(),),
                                            name=f"nodegraph-load-{self.id}", daemon=True)
            self._loader.start()

    def _load(self, path: Path) -> None:
        """Load a new model (live: off the control and audio threads); the audio
        thread switches to it at its next decode."""
        from nodes.neural.decoder import make_decoder
        from nodes.neural.model import load_model

        try:
            decoder = make_decoder(load_model(path, self.threads))
            decoder.warm_up(self.frames_per_call)
        except Exception as exc:
            self.ctx.error(exc)
            return
        self._latent_size = decoder.info.latent_size
        self._next_decoder = decoder

    def close(self) -> None:
        if self._loader is not None:
            self._loader.join()

    # -- audio thread ------------------------------------------------------------------------

    def signal_rate(self) -> float:
        return self._decoder.info.sr

    def prepare(self, sr: int, block: int) -> None:
        import torch

        torch.manual_seed(0)  # RAVE's noise branch: the same render twice is the same
        self._inference_mode = torch.inference_mode
        self._sr = sr
        self._block = block
        self._threads = 0
        self._rendered = 0
        self._previous = np.zeros(0, np.float32)
        self._heard: float | None = None
        self._rate = RateWatch()
        self._queue: AudioRing | None = None
        self._start_stream()
        self._decoder.warm_up(self.frames_per_call)

    def _start_stream(self) -> None:
        """Resampler and queue for the current decoder, continuing after the audio
        already queued (dropped if the channel count changed)."""
        info = self._decoder.info
        self._resampler = Resampler(info.sr, self._sr, info.channels)
        self._frame_length = info.ratio * self._sr / info.sr
        if self._queue is None or self._queue.channels != info.channels:
            # room for the biggest call, plus what a block may leave, plus resampler slack
            frames = MAX_FRAMES_PER_CALL * math.ceil(self._frame_length) + self._block + 4096
            self._queue = AudioRing(frames, info.channels)
            self._out = np.zeros((self._block, info.channels), np.float32)
        if len(self._previous) != info.latent_size:
            self._previous = np.zeros(info.latent_size, np.float32)
        self._next_frame = float(self._rendered + self._queue.fill)

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        if self._queue.fill < frames:
            budget = DecodeBudget(frames, self.frames_per_call, self._frame_length)
            with self._inference_mode():  # once for all the frames this block decodes
                while self._queue.fill < frames:
                    budget.spend()
                    self._decode_next()
        out = self._out[:frames]
        self._queue.read_into(out)
        self._rendered += frames
        return {"audio": out}

    def _decode_next(self) -> None:
        if self._next_decoder is not None:
            self._decoder, self._next_decoder = self._next_decoder, None
            self._start_stream()
        if self._threads != self.threads:
            import torch

            torch.set_num_threads(self.threads)
            self._threads = self.threads
        decoder, n = self._decoder, self.frames_per_call
        latent_size = decoder.info.latent_size
        offset = round(self._next_frame) - self._rendered  # where this frame starts
        self.ctx.catch_up(offset)
        item = self._slot.get()
        target, t, source = (self._previous, None, "") if item is None else item
        if len(target) != latent_size:  # sent for the model before a switch
            target, t = self._previous, None
        if self.interpolate and n > 1:
            ramp = (np.arange(1, n + 1, dtype=np.float32) / n)[:, None]
            latents = self._previous + (target - self._previous) * ramp
        else:
            latents = target[None, :] if n == 1 else np.tile(target, (n, 1))
        start = perf_counter()
        audio = decoder.decode(latents, self.fill, self.noise_scale)
        spent = perf_counter() - start
        audio = checked_audio(audio, n, decoder.info.ratio, decoder.info.channels)
        self._decode_s += spent
        self._frames_decoded += n
        self._rate.add(n * decoder.info.frame_seconds, spent)
        slow = None if self.ctx.offline else self._rate.too_slow()
        if slow:
            self.ctx.error(slow)
        if t is not None and t != self._heard:
            self.ctx.signal_event(offset, t, source)
            self._heard = t
        self._next_frame += n * self._frame_length
        self._previous = target
        self._queue.write(self._resampler.process(audio))

    # -- figures -------------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        info = self._decoder.info
        audio_s = self._frames_decoded * info.frame_seconds
        figures = {"model": info.path, "model_sr": info.sr, "latent_size": info.latent_size,
                   "streaming": info.streaming, "model_delay_samples": info.delay_samples,
                   "decode_rtf": round(audio_s / self._decode_s, 2) if self._decode_s
                   else info.decode_rtf,
                   "frames_decoded": self._frames_decoded,
                   "frame_ms": round(1000 * info.frame_seconds, 2)}
        if self._sr is not None and not self.ctx.offline:
            # what the model's ratio allows at this block and rate (docs/audio.md)
            floor = info.latency_floor(self._block, self._sr)
            figures["floor_p50_ms"], figures["floor_p95_ms"] = floor["p50"], floor["p95"]
        return figures
