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
import secrets
import stat
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

TEMP_SUFFIX = ".tmp"
#: A temporary file untouched this long (seconds) is left over from a killed save.
STALE_AFTER_S = 600.0


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (parent folders created). The file
    keeps the mode it had; a new one gets the usual mode (0666 less the umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_file(path)
    try:
        try:
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
        except FileNotFoundError:
            pass
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
    """Arrays from an npz file; object arrays (which would unpickle) are refused.
    ValueError naming the file when it is not a readable npz."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except FileNotFoundError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path}: not a readable npz file ({exc})") from None


def _temp_file(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path`` (``.<name>.<random>.tmp``), created with
    mode 0666 less the umask, as a plain ``open`` would."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), str(tmp)
        except FileExistsError:
            continue


def remove_stale_temps(folder: Path) -> list[Path]:
    """Delete temporary files an interrupted save left in ``folder`` (``.*.tmp`` not
    touched for ``STALE_AFTER_S``: a live save takes milliseconds); returns them."""
    removed = []
    cutoff = time.time() - STALE_AFTER_S
    try:
        candidates = list(Path(folder).glob(f".*{TEMP_SUFFIX}"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            if tmp.is_file() and tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            continue
    return removed


def writable(folder: Path) -> bool:
    """Whether files can be created in ``folder`` (or, if it does not exist yet, in
    the nearest folder above it that does): not on a read-only mount, and writable
    by this user. Writes nothing."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return False
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


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
