"""Files a patch names, checked before anything reads them.

A patch, an include, a model or an audio file is read whole by the code that loads
it; a path that names a FIFO, a device (``/dev/zero``), a folder or a huge file would
block that read forever or fill memory. :func:`regular_file` refuses those first,
with a message that says what the path is and what to give instead.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

#: Longest path accepted (Linux's PATH_MAX).
MAX_PATH_CHARS = 4096


class MissingFile(ValueError):
    """The path names nothing."""


def path_problem(text: str) -> str | None:
    """Why ``text`` cannot name a file on this system (None when it can): a NUL
    byte, a lone surrogate (not encodable), or more than ``MAX_PATH_CHARS``."""
    if "\0" in text:
        return "holds a NUL character"
    if len(text) > MAX_PATH_CHARS:
        return f"is longer than {MAX_PATH_CHARS} characters"
    try:
        os.fsencode(text)
    except UnicodeEncodeError:
        return "holds characters no file name can have"
    return None


def regular_file(path: Path, what: str, max_bytes: int) -> int:
    """The size of ``path`` when it is a regular file of at most ``max_bytes``;
    otherwise ValueError naming the path, what it is, and what ``what`` needs.
    Follows symlinks; a symlink loop or an unusable name is an error too."""
    problem = path_problem(str(path))
    if problem:
        raise ValueError(f"{what} path {str(path)[:200]!r} {problem}")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise MissingFile(f"{path}: {what} file not found; check the path (relative paths are "
                         "relative to the patch file)") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the {what}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path}: is a folder; give the {what} file inside it")
    if not stat.S_ISREG(info.st_mode):
        kind = "a pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else \
            "a device" if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode) else \
            "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file"
        raise ValueError(f"{path}: is {kind}; a {what} must be a regular file")
    if info.st_size > max_bytes:
        raise ValueError(f"{path}: {info.st_size / 2**20:.0f} MiB is more than a {what} "
                         f"may be ({max_bytes / 2**20:.0f} MiB)")
    return info.st_size
