"""Where the camera node's frames come from: the test face, a video file, a device.

Two pacing models (the node picks one from its ``source`` param):

- :class:`PacedSource` (test face, video file): frame ``n`` belongs to clock time
  ``t0 + n / fps`` and is produced by an engine timer (``ctx.timer``) on the
  control thread. On a virtual clock (offline render) that is deterministic and
  as fast as the graph allows; on the real clock a late timer skips the frames
  whose time has passed (counted in ``skipped``) instead of queueing them.
- :class:`DeviceSource` (webcam): its own capture thread blocks on the driver and
  posts each frame the moment it is grabbed, stamped with that time; the engine's
  latest-wins posting drops a frame the graph has not taken yet.

Both hand frames to ``emit(frame, t)``; frames are RGB uint8 (H, W, 3).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

import numpy as np

from .testface import FaceRenderer, Pose, choreography

if TYPE_CHECKING:
    from nodegraph.api import Context

Emit = Callable[[np.ndarray, float], None]

#: Frame rate of the test face when the camera's fps param is 0 ("the source's own").
TEST_FACE_FPS = 30.0
#: Used when a video file does not state its frame rate.
FALLBACK_FILE_FPS = 30.0


class FrameCounter:
    """Frames sent and their recent rate. Written by one thread, read by any."""

    def __init__(self) -> None:
        self.frames = 0
        #: frames a paced source skipped because the graph was late (real clock only)
        self.skipped = 0
        #: seconds the control thread spent making frames (paced sources)
        self.work_s = 0.0
        self._recent: deque[float] = deque(maxlen=61)

    def add(self, t: float) -> None:
        self.frames += 1
        self._recent.append(t)

    def fps(self) -> float:
        """Frames per second of clock time over the last 60 frames (0 before two)."""
        recent = tuple(self._recent)
        if len(recent) < 2 or recent[-1] <= recent[0]:
            return 0.0
        return (len(recent) - 1) / (recent[-1] - recent[0])


class PacedSource:
    """Frames at clock times ``t0 + n / fps``, made by engine timers.

    Subclasses implement :meth:`frame` (frame ``n``, or None when the source has
    ended) and :meth:`skip`. Everything runs on the control thread.
    """

    def __init__(self, ctx: Context, emit: Emit, counter: FrameCounter, fps: float) -> None:
        self.ctx = ctx
        self.emit = emit
        self.counter = counter
        self.fps = fps
        self.ended = False
        self._t0: float | None = None
        self._n = 0
        self._timer = ctx.timer()

    def start(self) -> None:
        """Frame 0 leaves when the engine first runs timers (its time is t0)."""
        self._t0 = None
        self._n = 0
        self._timer.at(self.ctx.now(), self._tick)

    def stop(self) -> None:
        self._timer.cancel()

    def _tick(self, _due: float) -> None:
        if self._t0 is None:  # not at open: nodes opened after this one take time
            self._t0 = self.ctx.now()
        n = self._n
        # Real clock only: frames whose time has already passed are skipped, not queued.
        behind = int((self.ctx.now() - self._t0) * self.fps + 1e-6) - n
        if behind > 0:
            self.skip(behind)
            self.counter.skipped += behind
            n += behind
        start = perf_counter()
        frame = self.frame(n)
        self.counter.work_s += perf_counter() - start
        if frame is None:
            self.ended = True
            return
        t = self._t0 + n / self.fps
        self.emit(frame, t)
        self._n = n + 1
        self._timer.at(self._t0 + self._n / self.fps, self._tick)

    def frame(self, n: int) -> np.ndarray | None:
        raise NotImplementedError

    def skip(self, count: int) -> None:
        """Pass over ``count`` frames without sending them."""


class RenderedFaceSource(PacedSource):
    """The animated photo (see :mod:`nodes.vision.testface`); never ends.

    Frame ``n`` shows ``choreography(n / fps)``, or ``still`` in every frame when given. While the graph processes frame
    ``n``, a worker thread already renders ``n + 1`` (as a webcam captures while the
    graph works), so the control thread only waits when rendering is the slower
    part. Rendering is a pure function of ``n``: the frames are the same either way.
    """

    def __init__(self, ctx: Context, emit: Emit, counter: FrameCounter, fps: float,
                 width: int, height: int, still: Pose | None = None) -> None:
        super().__init__(ctx, emit, counter, fps or TEST_FACE_FPS)
        self.renderer = FaceRenderer(width, height)
        self.still = still
        self._worker = ThreadPoolExecutor(1, thread_name_prefix=f"test-face-{ctx.id}")
        self._ahead: tuple[int, Future[np.ndarray]] | None = None

    def pose(self, n: int) -> Pose:
        return self.still if self.still is not None else choreography(n / self.fps)

    def render(self, n: int) -> np.ndarray:
        return self.renderer.render(self.pose(n))

    def frame(self, n: int) -> np.ndarray:
        ahead = self._ahead
        frame = ahead[1].result() if ahead is not None and ahead[0] == n else self.render(n)
        self._ahead = (n + 1, self._worker.submit(self.render, n + 1))
        return frame

    def stop(self) -> None:
        super().stop()
        self._ahead = None
        self._worker.shutdown(wait=True, cancel_futures=True)


class VideoFileSource(PacedSource):
    """A video file read with OpenCV, at its own frame rate unless ``fps`` is given.

    At the end it starts again (``loop``) or ends: it stops sending and asks the
    engine to end a headless run.
    """

    def __init__(self, ctx: Context, emit: Emit, counter: FrameCounter, fps: float,
                 path: Path, loop: bool) -> None:
        import cv2

        self._cv2 = cv2
        if not path.is_file():
            raise FileNotFoundError(
                f"no video file {path} (the source is read as a file path unless it is "
                "'test-face', a device index such as 0, or a device such as /dev/video0)")
        self.path = path
        self.loop = loop
        self._capture = cv2.VideoCapture(str(path))
        first = self._read()
        if first is None:
            self._capture.release()
            raise OSError(f"OpenCV cannot read {path} as a video (not a video file, or a "
                          "codec this OpenCV build lacks)")
        self._pending: np.ndarray | None = first
        native = self._capture.get(cv2.CAP_PROP_FPS)
        super().__init__(ctx, emit, counter, fps or (native if native > 0 else FALLBACK_FILE_FPS))

    def _read(self) -> np.ndarray | None:
        ok, bgr = self._capture.read()
        return self._cv2.cvtColor(bgr, self._cv2.COLOR_BGR2RGB) if ok else None

    def frame(self, n: int) -> np.ndarray | None:
        if self._pending is not None:
            frame, self._pending = self._pending, None
            return frame
        frame = self._read()
        if frame is None and self.loop:
            self._capture.set(self._cv2.CAP_PROP_POS_FRAMES, 0)
            frame = self._read()
        if frame is None:
            self.ctx.log.info("video file %s finished after %d frames", self.path.name,
                              self.counter.frames)
            self.ctx.end_run(f"video file {self.path.name} finished")
        return frame

    def skip(self, count: int) -> None:
        self._pending = None
        for _ in range(count):
            if not self._capture.grab() and self.loop:
                self._capture.set(self._cv2.CAP_PROP_POS_FRAMES, 0)

    def stop(self) -> None:
        super().stop()
        self._capture.release()


class DeviceSource:
    """A camera device on its own capture thread.

    Opening is tried once synchronously: with ``retry_s == 0`` a missing device
    raises at once (the node is flagged failed, the rest of the graph runs).
    Otherwise the thread keeps trying every ``retry_s`` seconds, also after the
    device stops delivering (unplugged), flagging the node with the reason.
    """

    def __init__(self, ctx: Context, emit: Emit, counter: FrameCounter, device: int | str,
                 fps: float, width: int, height: int, retry_s: float) -> None:
        import cv2

        self._cv2 = cv2
        self.ctx = ctx
        self.emit = emit
        self.counter = counter
        self.device = device
        self.request = {cv2.CAP_PROP_FRAME_WIDTH: width, cv2.CAP_PROP_FRAME_HEIGHT: height}
        if fps:
            self.request[cv2.CAP_PROP_FPS] = fps
        self.retry_s = retry_s
        self.ended = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._capture: Any = self.open_capture()
        if self._capture is None and retry_s == 0:
            raise OSError(self._missing_message())

    def _missing_message(self) -> str:
        where = f"/dev/video{self.device}" if isinstance(self.device, int) else str(self.device)
        return (f"camera device {self.device!r} could not be opened: is it plugged in and not "
                f"used by another program? ({where} must exist and be readable; "
                "source: test-face needs no camera)")

    def open_capture(self) -> Any:
        """An opened ``cv2.VideoCapture`` for the device, or None."""
        cv2 = self._cv2
        level = cv2.getLogLevel()
        cv2.setLogLevel(0)  # silent: OpenCV's warnings would repeat our clearer message
        try:
            capture = cv2.VideoCapture(self.device)
        finally:
            cv2.setLogLevel(level)
        if not capture.isOpened():
            capture.release()
            return None
        for prop, value in self.request.items():
            capture.set(prop, value)
        return capture

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"camera-{self.ctx.id}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _run(self) -> None:
        retry = f"; retrying every {self.retry_s:g} s" if self.retry_s else ""
        while not self._stop.is_set():
            if self._capture is None:
                self._capture = self.open_capture()
            if self._capture is None:
                self.ctx.error(self._missing_message() + retry)
            else:
                self._capture_until_lost()
                if self._stop.is_set():
                    return
                self.ctx.error(f"camera device {self.device!r} stopped delivering frames "
                               f"(unplugged?){retry}")
            if not self.retry_s:
                self.ended = True
                return
            self._stop.wait(self.retry_s)

    def _capture_until_lost(self) -> None:
        capture, cv2 = self._capture, self._cv2
        try:
            while not self._stop.is_set():
                if not capture.grab():
                    return
                t = self.ctx.now()  # capture time: grab() returns as the frame arrives
                ok, bgr = capture.retrieve()
                if not ok:
                    return
                self.emit(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), t)
        finally:
            capture.release()
            self._capture = None
