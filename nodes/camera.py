"""camera: frames from a webcam, a video file, or the built-in moving test face."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import FRAME, Node, Outlet, Param, ParamError
from nodes.vision.sources import (DeviceSource, FrameCounter, PacedSource,
                                  RenderedFaceSource, VideoFileSource)
from nodes.vision.testface import parse_pose

TEST_FACE = "test-face"
DEVICE_PREFIX = "device:"


class SourceParam(Param):
    """A text param that also takes a bare device index (``source: 0`` in YAML)."""

    def validate(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            value = str(value)
        return super().validate(value)


def source_kind(source: str) -> str:
    """``"test-face"``, ``"device"`` or ``"file"`` for a ``source`` param value."""
    if source == TEST_FACE:
        return "test-face"
    if source.isdigit() or source.startswith("/dev/") or source.startswith(DEVICE_PREFIX):
        return "device"
    return "file"


class Camera(Node):
    """Frames from a webcam, a video file, or test-face (a moving real face photo).

    ``source``: ``test-face`` (default: ``skimage.data.astronaut()`` animated with head
    turns, nods, tilts, zoom and an opening mouth; no camera needed), a device index
    (``0``), a device path (``/dev/video0``), ``device:NAME`` (any name OpenCV's
    backend accepts), or a video file path (relative to the patch). ``pose`` holds the
    test face still in one pose (``yaw=25, mouth=0.8``) instead of moving: for
    recording examples at known poses in scripts and tests.

    Each frame's timestamp is its capture time. The test face and video files are
    paced by engine timers, so they render deterministically on a virtual clock
    (``nodegraph run --offline``); a webcam has its own capture thread and makes
    the patch real-time only. A frame the graph has not taken when the next one
    arrives is dropped, not queued (latest wins); the report counts ``frames``,
    ``fps`` and ``dropped``, and ``frame_ms``, the control-thread time spent making
    each test-face or file frame. A missing or unplugged webcam is reported and
    retried every ``retry_s`` seconds (0: the node fails at once) while the graph
    runs on; an unreadable file fails the node with a message saying why.
    """

    type_name = "camera"
    category = "source"
    realtime_only = "when source is a device (a webcam)"
    report_section = "vision"
    outlets = (Outlet("frame", FRAME, "RGB frame, stamped with its capture time"),)
    source = SourceParam("text", TEST_FACE, "test-face, a device index (0), /dev/videoN, "
                         "device:NAME, or a video file path")
    fps = Param("float", 0.0, "frames per second; 0: the source's own (test-face 30, a file's "
                "rate, the device's default)", range=(0.0, 240.0))
    width = Param("int", 640, "test-face frame width; the width asked of a device",
                  range=(64, 4096))
    height = Param("int", 480, "test-face frame height; the height asked of a device",
                   range=(64, 4096))
    on_end = Param("choice", "loop", "video files: play again from the start (loop) or end the "
                   "run (end)", choices=("loop", "end"))
    pose = Param("text", "", "test-face: hold this pose instead of moving, e.g. 'yaw=25, "
                 "mouth=0.8' (names: yaw, pitch, roll in degrees, mouth 0..1, zoom, x, y; "
                 "unnamed ones neutral); empty: the built-in movement")
    retry_s = Param("float", 2.0, "devices: seconds between attempts to open a missing or "
                    "unplugged camera; 0 fails at once", range=(0.0, 3600.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if not self.source.strip():
            raise ParamError("source is empty; use test-face, a device index such as 0, "
                             "/dev/video0, or a video file path")
        try:
            parse_pose(self.pose)
        except ValueError as exc:
            raise ParamError(f"pose: {exc}") from None
        self._counter = FrameCounter()
        self._source: PacedSource | DeviceSource | None = None

    def paced_by_wall_clock(self) -> bool:
        return source_kind(self.source) == "device"

    def open(self) -> None:
        self._counter = FrameCounter()
        self._source = self._make_source()
        self._source.start()

    def _make_source(self) -> PacedSource | DeviceSource:
        kind = source_kind(self.source)
        if kind == "test-face":
            return RenderedFaceSource(self.ctx, self._emit, self._counter, self.fps,
                                      self.width, self.height, parse_pose(self.pose))
        if kind == "file":
            return VideoFileSource(self.ctx, self._emit, self._counter, self.fps,
                                   self.ctx.resolve(self.source), self.on_end == "loop")
        device: int | str = self.source
        if self.source.isdigit():
            device = int(self.source)
        elif self.source.startswith(DEVICE_PREFIX):
            device = self.source[len(DEVICE_PREFIX):]
        return DeviceSource(self.ctx, self._emit, self._counter, device, self.fps,
                            self.width, self.height, self.retry_s)

    def _emit(self, frame: np.ndarray, t: float) -> None:
        self._counter.add(t)
        self.ctx.post_latest("frame", frame, t)

    def on_param(self, name: str, value: Any) -> None:
        """Any change restarts the source with the new settings (counts go on)."""
        self.close()
        self._source = self._make_source()
        self._source.start()

    def close(self) -> None:
        if self._source is not None:
            self._source.stop()
            self._source = None

    def report(self) -> dict[str, Any]:
        counter, source = self._counter, self._source
        made = counter.frames + counter.skipped
        return {"frames": counter.frames, "fps": round(counter.fps(), 2),
                "dropped": counter.skipped + (self.ctx.dropped if self.ctx else 0),
                "frame_ms": round(1000.0 * counter.work_s / made, 3) if made else 0.0,
                "ended": bool(source is not None and source.ended)}
