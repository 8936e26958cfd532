"""Writing audio to a WAV file off the audio worker (soundfile).

The worker copies each block into a chunk of ``CHUNK_FRAMES`` frames and returns at
once; each full chunk goes through a queue to a writer thread of our own that does
the file I/O, so a slow disk never delays rendering. The file is opened when the
first block arrives (its channel count is the block's) and is complete once
:meth:`WavWriter.close` returns.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import numpy as np

log = logging.getLogger("nodegraph.audio")

#: Frames handed to the writer thread at a time (about 0.2 s).
CHUNK_FRAMES = 8192
#: WAV sample formats by the names the nodes use.
SUBTYPES = {"float": "FLOAT", "pcm16": "PCM_16", "pcm24": "PCM_24"}


def check_writable(path: Path) -> None:
    """Raise OSError with a clear message unless ``path`` could be created."""
    folder = path.parent
    if not folder.is_dir():
        raise OSError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise OSError(f"cannot write {path}: it is a folder")


class WavWriter:
    """A WAV file written from its own thread; see the module docstring.

    ``write`` may be called from one thread (the audio worker); ``frames`` counts
    the frames handed over. ``error`` holds the text of a failure on the writer
    thread (the rest of the blocks are then dropped).
    """

    def __init__(self, path: str | Path, sr: int, subtype: str = "float") -> None:
        self.path = Path(path)
        check_writable(self.path)
        self.sr = sr
        self.subtype = SUBTYPES[subtype]
        self.frames = 0
        self.error: str | None = None
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._chunk = np.empty((0, 0), np.float32)
        self._filled = 0

    def write(self, block: np.ndarray) -> None:
        """Copy ``block`` (frames, channels) on its way to the file."""
        if self._thread is None:
            self._chunk = np.empty((CHUNK_FRAMES, block.shape[1]), np.float32)
            self._thread = threading.Thread(target=self._run, args=(block.shape[1],),
                                            name=f"nodegraph-wav-{self.path.name}", daemon=True)
            self._thread.start()
        done = 0
        while done < len(block):
            n = min(len(block) - done, CHUNK_FRAMES - self._filled)
            self._chunk[self._filled:self._filled + n] = block[done:done + n]
            self._filled += n
            done += n
            if self._filled == CHUNK_FRAMES:
                self._queue.put(self._chunk)
                self._chunk = np.empty_like(self._chunk)
                self._filled = 0
        self.frames += len(block)

    def close(self) -> None:
        """Write what is left and close the file (no-op if nothing was written)."""
        if self._thread is None:
            return
        self._queue.put(self._chunk[:self._filled])
        self._queue.put(None)
        self._thread.join()
        self._thread = None

    def _run(self, channels: int) -> None:
        import soundfile as sf

        f: sf.SoundFile | None = None
        try:
            f = sf.SoundFile(str(self.path), "w", samplerate=int(self.sr), channels=channels,
                             subtype=self.subtype, format="WAV")
        except Exception as exc:
            self._fail(exc)
        while (block := self._queue.get()) is not None:
            if f is None:
                continue  # failed: keep draining so the worker never blocks
            try:
                f.write(block)
            except Exception as exc:
                self._fail(exc)
                f.close()
                f = None
        if f is not None:
            f.close()

    def _fail(self, exc: Exception) -> None:
        self.error = f"{type(exc).__name__}: {exc}"
        log.error("writing %s failed: %s", self.path, self.error)
