"""One process owns a patch's data folder at a time.

Learned state (examples journaled as they are recorded, fits, bookmarks, models) is
written into ``<patch>.data/`` while a patch runs. Two processes writing there at once
(the editor and a ``nodegraph run`` of the same patch) would interleave their journals
and hand out the same example ids, so :class:`DataLock` takes an exclusive lock on
``<patch>.data/.lock`` (``fcntl.flock``) and writes the holder's pid and command into
it. The kernel drops the lock when the holder exits, however it exits (``kill -9``
included): a lock file left behind by a dead process never blocks anyone.

A second process is refused with :class:`DataFolderBusy`, which names the holder.
"""

from __future__ import annotations

import fcntl
import os
import sys
from pathlib import Path

LOCK_FILE = ".lock"


class DataFolderBusy(RuntimeError):
    """Another process holds the data folder's lock."""


class DataLock:
    """An exclusive, process-lifetime lock on one data folder (created if missing)."""

    def __init__(self, folder: Path) -> None:
        """Take the lock; raises DataFolderBusy naming the holder when another process
        has it. Safe to call from any thread; the lock belongs to the process."""
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise DataFolderBusy(
                f"{self.folder} is in use by {holder}: one process at a time may record "
                f"into a patch's data folder; close that one first, or save this patch "
                f"under another name") from None
        os.ftruncate(fd, 0)
        command = " ".join(os.path.basename(a) if i == 0 else a
                           for i, a in enumerate(sys.argv))
        os.write(fd, f"{os.getpid()} {command}\n".encode("utf-8", "replace"))
        self._fd: int | None = fd

    def release(self) -> None:
        """Drop the lock (idempotent). The file stays; it is only a place to lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    pid, _, command = text.partition(" ")
    if not pid:
        return "another process"
    return f"process {pid}" + (f" ({command})" if command else "")
