"""audio-file: play a sound file, looped or once (Max's sfplay~)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import (AUDIO, BANG, NUMBER, Inlet, Inputs, Node, Outlet, Param, ParamError,
                           PortInfo)

from .control.values import as_vector
from .dsp.clip import Clip, check_audio_file, load_clip
from .dsp.control import MAX_WAITING, control_segments
from .dsp.player import ClipPlayer


class AudioFile(Node):
    """Play an audio file (WAV, FLAC, OGG, MP3, AIFF...), looped or once.

    The file is read whole when the patch opens (or, when ``path`` changes while
    playing, on a thread of its own), never while the audio plays, and resampled to
    the graph's rate as it plays; with no model in the patch, the graph runs at the
    file's rate. It has the file's channels (mono or stereo). ``play`` starts from
    where playback is (from the start after a one-shot ended), ``stop`` pauses,
    ``position`` jumps (seconds; send ``position`` then ``play`` to restart). Every
    start, stop and jump fades over 5 ms, so none clicks. ``end`` bangs each time
    the file reaches its end: a loop wraps there, a one-shot stops. Transport
    messages are read every 256 frames, offline renders too.

    The same files serve latent-explorer's ``sound`` (points from sound): it reads
    them with the same library.
    """

    type_name = "audio-file"
    category = "audio"
    inlets = (Inlet("play", BANG, "start playing (from the start after a one-shot ended)"),
              Inlet("stop", BANG, "pause (fades out)"),
              Inlet("position", NUMBER, "go to this many seconds into the file"))
    outlets = (Outlet("audio", AUDIO, "the file, at the graph's rate"),
               Outlet("end", BANG, "the file reached its end (looped, or stopped)"))
    path = Param("path", "", "audio file, relative to the patch file (empty: silence)")
    loop = Param("bool", True, "start again at the end; false: play once and stop")
    autoplay = Param("bool", True, "play as soon as the patch runs")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._clip: Clip | None = None
        self._player: ClipPlayer | None = None
        #: transport commands for the audio thread, in order: (time, name, argument)
        self._commands: deque[tuple[float, str, Any]] = deque(maxlen=MAX_WAITING)
        self._loader: threading.Thread | None = None

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        if self.path:
            try:
                check_audio_file(self.resolve_path(self.path))
            except ValueError as exc:
                raise ParamError(str(exc), "path") from None
        return super().port_info(inlets)

    # -- control thread ----------------------------------------------------------------------

    def open(self) -> None:
        self._clip = load_clip(self.ctx.resolve(self.path)) if self.path else None
        self._player = None
        self._commands.clear()
        self._loader = None

    def process(self, inputs: Inputs) -> None:
        changed = inputs.changed
        if "position" in changed:  # before play: "position 0, play" restarts
            seconds = float(as_vector(inputs["position"], "position")[0])
            self._commands.append((inputs.t, "seek", max(0.0, seconds)))
        if "stop" in changed:
            self._commands.append((inputs.t, "stop", None))
        if "play" in changed:
            self._commands.append((inputs.t, "play", None))

    def on_param(self, name: str, value: Any) -> None:
        if name != "path":
            return
        if self._loader is not None:
            self._loader.join()
        path = self.ctx.resolve(value) if value else None
        if self.ctx.offline or path is None:  # offline, the swap lands at a known frame
            self._load(path)
            return
        self._loader = threading.Thread(target=self._load, args=(path,), daemon=True,
                                        name=f"nodegraph-load-{self.id}")
        self._loader.start()

    def _load(self, path: Any) -> None:
        try:
            clip = load_clip(path) if path is not None else None
        except ValueError as exc:
            self.ctx.error(exc)
            return
        self._commands.append((self.ctx.now(), "clip", clip))

    def close(self) -> None:
        if self._loader is not None:
            self._loader.join()

    # -- audio thread ----------------------------------------------------------------------------

    def signal_rate(self) -> float | None:
        return None if self._clip is None else self._clip.sr

    def prepare(self, sr: int, block: int) -> None:
        self._sr = sr
        self._block = block
        self._position = 0
        self._start(self._clip, self.autoplay)

    def _start(self, clip: Clip | None, playing: bool) -> None:
        self._clip = clip
        self._player = None if clip is None else ClipPlayer(clip, self._sr, self.loop)
        channels = 1 if clip is None else clip.channels
        self._out = np.zeros((self._block, channels), np.float32)
        if self._player is not None and playing:
            self._player.start()

    def render(self, inputs: dict[str, np.ndarray], frames: int) -> dict[str, np.ndarray]:
        for start, end in control_segments(self._position, frames):
            self.ctx.catch_up(start)
            self._apply_commands(self.ctx.frame_time(start))
            player = self._player
            if player is None:
                self._out[start:end] = 0.0
                continue
            player.loop = self.loop
            if player.render(self._out[start:end]):
                self.ctx.post("end", True, self.ctx.frame_time(start))
        self._position += frames
        return {"audio": self._out[:frames]}

    def _apply_commands(self, due: float | None) -> None:
        """Carry out the commands stamped up to ``due`` (all of them when None)."""
        commands = self._commands
        while commands and (due is None or commands[0][0] <= due):
            _, name, argument = commands.popleft()
            player = self._player
            if name == "clip":
                if player is not None and argument is not None \
                        and argument.channels == player.clip.channels:
                    player.replace(argument)
                    self._clip = argument
                else:  # from or to silence, or other channels: a new player
                    self._start(argument, player.playing if player is not None
                                else self.autoplay)
            elif player is None:
                continue
            elif name == "seek":
                player.seek(argument)
            elif name == "stop":
                player.stop()
            else:
                player.start()

    def report(self) -> dict[str, Any]:
        player, clip = self._player, self._clip
        if clip is None:
            return {"file": None}
        report = {"file": str(clip.path), "file_sr": clip.sr, "channels": clip.channels,
                  "duration_s": round(clip.seconds, 3)}
        if player is not None:
            report.update(playing=player.playing, position_s=round(player.seconds, 3),
                          ends=player.loops)
        return report
