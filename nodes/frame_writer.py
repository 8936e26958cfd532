"""frame-writer: save every Nth frame as a PNG, for checking a headless run."""

from __future__ import annotations

import queue
import threading
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import FRAME, Inlet, Inputs, Node, Param


class FrameWriter(Node):
    """Save every Nth frame as a PNG, for checking a headless run.

    Frame ``n`` (counted from 0, so the first is always saved) is written as
    ``<folder>/<prefix>_<n, 6 digits>.png`` when ``n`` is a multiple of ``every``. Encoding and
    writing run on the node's own thread; the control thread only hands the frame
    over (it waits only if the writer falls 8 frames behind). The report gives the
    number of files ``written`` and the ``last_file``. The files must lie in the
    patch's folder unless the run allows more (``--allow-write``).
    """

    type_name = "frame-writer"
    category = "vision"
    inlets = (Inlet("frame", FRAME, "RGB frame"),)
    folder = Param("path", "frames", "where to write (relative to the patch; created if missing)")
    every = Param("int", 30, "write one frame in this many", range=(1, 1_000_000))
    prefix = Param("text", "frame", "file name prefix")

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: frames received, frames written, the newest file written
        self.seen = 0
        self.written = 0
        self.last_file = ""
        self._queue: queue.Queue[tuple[Path, np.ndarray] | None] = queue.Queue(maxsize=8)
        self._thread: threading.Thread | None = None

    def open(self) -> None:
        import cv2

        self._cv2 = cv2
        self._dir = self.ctx.write_path(self.folder, "folder")
        self.ctx.write_path(str(self._dir / f"{self.prefix}_000000.png"), "prefix")
        self._dir.mkdir(parents=True, exist_ok=True)
        self.seen = 0
        self.written = 0
        self.last_file = ""
        self._queue = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._write_loop, name=f"frame-writer-{self.id}",
                                        daemon=True)
        self._thread.start()

    def process(self, inputs: Inputs) -> None:
        n = self.seen
        self.seen += 1
        if n % self.every == 0:
            path = self._dir / f"{self.prefix}_{n:06d}.png"
            self._queue.put((path, inputs["frame"]))

    def _write_loop(self) -> None:
        cv2 = self._cv2
        while (item := self._queue.get()) is not None:
            path, frame = item
            try:
                if not cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)):
                    raise OSError(f"could not write {path}")
            except Exception as exc:  # a bad frame or a full disk must not stop the writer
                self.ctx.error(exc)
            else:
                self.written += 1
                self.last_file = str(path)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def report(self) -> dict[str, Any]:
        return {"written": self.written, "last_file": self.last_file}
