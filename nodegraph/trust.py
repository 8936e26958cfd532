"""Whether files a patch names may run code in this process (``nodegraph check``).

A model file is code (docs/safety.md): ``nodegraph check`` must be safe to run on a
patch from elsewhere, so it checks inside :func:`untrusted`. A node that would load
such a file asks :func:`untrusted_active` and then reads it in a sandbox (or not at
all, calling :func:`note_untrusted_skipped` so ``check`` can say what it did not
check). The flag is process-wide; ``check`` is the only command that sets it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

_untrusted = False
_skipped: list[Path] = []


@contextlib.contextmanager
def untrusted() -> Iterator[None]:
    """Within this block, files a patch names are untrusted (see the module doc)."""
    global _untrusted
    previous, _untrusted = _untrusted, True
    try:
        yield
    finally:
        _untrusted = previous


def untrusted_active() -> bool:
    """Whether files a patch names are untrusted now."""
    return _untrusted


def note_untrusted_skipped(path: Path) -> None:
    """Record that ``path`` was not read because it could not be read safely here."""
    _skipped.append(Path(path))


def take_skipped() -> list[Path]:
    """The files noted since the last call, each once, in order; clears the list."""
    files = list(dict.fromkeys(_skipped))
    _skipped.clear()
    return files
