"""Atomic file writes: a save either lands whole or leaves the old file untouched.

Every file a user keeps (patches, datasets, models, bookmarks) is written here:
to a temporary file in the same folder, flushed and fsynced, then renamed over the
target, then the folder is fsynced so the rename itself survives a crash. JSON and
npz only; nothing a user loads is ever pickled.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (parent folders created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, value: Any) -> None:
    """JSON with sorted keys off, 1-space indent: diff-friendly and stable."""
    atomic_write_text(path, json.dumps(value, indent=1, allow_nan=False) + "\n")


def atomic_write_npz(path: Path, **arrays: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(path, buffer.getvalue())


def read_json(path: Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_npz(path: Path) -> dict[str, np.ndarray]:
    """Arrays from an npz file; object arrays (which would unpickle) are refused."""
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
