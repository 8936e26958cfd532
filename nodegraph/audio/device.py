"""Sound cards through PortAudio (python-sounddevice): finding one, playing to it.

``sounddevice`` is imported on first use (it initializes PortAudio and scans the
devices, which takes a moment and must not slow ``nodegraph nodes``).

The callback (:meth:`DeviceOutput._callback`) follows python-sounddevice's rules
(docs/architecture.md, "Real time in Python"): it fills ``outdata`` in place from the ring,
allocates nothing, takes no lock, does no I/O and calls nothing in PortAudio. It maps
the block's ``outputBufferDacTime`` (PortAudio's stream clock) onto the engine clock
(``time.perf_counter``) with the ``currentTime`` of the same callback, so latency can
be measured against message timestamps.
"""

from __future__ import annotations

import logging
from time import perf_counter
from typing import Any

from .outputs import Output

log = logging.getLogger("nodegraph.audio")


class NoDevice(RuntimeError):
    """There is no audio output device to play to."""


class DeviceError(RuntimeError):
    """A device exists but cannot be opened as asked; the message says what to change."""


def output_devices() -> list[dict[str, Any]]:
    """Every device with output channels: index, name, host API, channels, rate."""
    try:
        import sounddevice as sd
    except OSError as exc:  # libportaudio2 missing
        raise NoDevice(f"PortAudio is not available ({exc}); install libportaudio2") from None
    apis = sd.query_hostapis()
    found = []
    for info in sd.query_devices():
        if info["max_output_channels"] > 0:
            found.append({"index": info["index"], "name": info["name"],
                          "hostapi": apis[info["hostapi"]]["name"],
                          "channels": info["max_output_channels"],
                          "default_samplerate": info["default_samplerate"]})
    return found


def has_output_device() -> bool:
    """True when PortAudio lists at least one output device."""
    try:
        return bool(output_devices())
    except NoDevice:
        return False


def find_output_device(spec: str) -> dict[str, Any]:
    """The output device named by ``spec``: ``""`` for the default, an index
    (``"3"``), or part of a name (case-insensitive). A spec that matches nothing
    falls back to the default device with a warning. Raises :class:`NoDevice` when
    there is no output device at all."""
    devices = output_devices()
    if not devices:
        raise NoDevice("PortAudio lists no audio output device")
    import sounddevice as sd

    spec = spec.strip()
    if spec:
        if spec.isdigit():
            match = [d for d in devices if d["index"] == int(spec)]
        else:
            match = [d for d in devices if spec.lower() in d["name"].lower()]
        if match:
            return match[0]
        log.warning("no output device matches %r; using the default. Output devices: %s",
                    spec, "; ".join(f"{d['index']}: {d['name']} ({d['hostapi']})"
                                    for d in devices))
    default = sd.default.device[1]
    return next((d for d in devices if d["index"] == default), devices[0])


class DeviceOutput(Output):
    """An output stream on a sound card; see the module docstring.

    ``sr`` 0 takes the device's default rate; ``channels`` 0 takes up to two of
    the device's channels. Raises :class:`NoDevice` or :class:`DeviceError`.
    """

    kind = "device"

    def __init__(self, spec: str, sr: int, block: int, channels: int, safety_s: float) -> None:
        info = find_output_device(spec)
        import sounddevice as sd

        sr = sr or int(info["default_samplerate"])
        channels = channels or min(2, info["channels"])
        if channels > info["channels"]:
            raise DeviceError(f"device {info['name']!r} has {info['channels']} output "
                              f"channels, {channels} asked; set channels to at most that")
        super().__init__(sr, block, channels, safety_s, device=info["name"])
        try:
            self._stream = sd.OutputStream(device=info["index"], samplerate=sr, blocksize=block,
                                           channels=channels, dtype="float32", latency="low",
                                           callback=self._callback)
        except sd.PortAudioError as exc:
            raise DeviceError(
                f"cannot open {info['name']!r} ({info['hostapi']}) at {sr} Hz, {channels} "
                f"channels, blocks of {block}: {exc}. Its default rate is "
                f"{info['default_samplerate']:g} Hz; sample_rate 0 uses it") from None
        self._latency = float(self._stream.latency)

    def _callback(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        now = perf_counter()
        if status.output_underflow and self.counting:
            self.xruns += 1
        dac, current = time_info.outputBufferDacTime, time_info.currentTime
        dac = now + (dac - current) if dac and current else now + self._latency
        self._drain(outdata, now, dac)

    def start(self) -> None:
        if not self._stream.active:
            self._stream.start()

    def stop(self) -> None:
        if self._stream.active:
            self._stream.abort()

    def close(self) -> None:
        super().close()
        self._stream.close()

    @property
    def cpu_load(self) -> float | None:
        return None if self._stream.closed else float(self._stream.cpu_load)
