"""Where a patch may write files: its own folder, unless the user allows more.

A patch from elsewhere must not write anywhere it likes: a node param (``wav-out``'s
``path``, ``frame-writer``'s ``folder``) or a path arriving as a message (``normalize``'s
``write`` inlet, perhaps from the network) could name any file. Nodes ask
:meth:`WriteRoots.check` (through ``Context.write_path``) before writing: the path,
symlinks resolved, must lie in the patch's folder (which holds its ``.data/``) or in a
folder the user allowed (``nodegraph run --allow-write PATH``). Files the user names
on the command line (``--out``, ``--report``) are the user's own choice and not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


class WriteRefused(PermissionError):
    """A write outside the allowed folders; the message says how to allow it."""


class WriteRoots:
    """The folders a patch may write in: ``base`` (the patch's folder) and ``allowed``."""

    def __init__(self, base: Path, allowed: Iterable[Path] = ()) -> None:
        self.base = base
        self.allowed = tuple(Path(p).expanduser() for p in allowed)

    def check(self, path: Path, what: str) -> Path:
        """``path`` when it may be written; WriteRefused naming it, the patch's folder
        and the option that allows it otherwise."""
        try:
            resolved = path.resolve()
            roots = [root.resolve() for root in (self.base, *self.allowed)]
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise WriteRefused(f"{what}: cannot tell where {path} leads ({exc})") from None
        if any(resolved == root or resolved.is_relative_to(root) for root in roots):
            return path
        raise WriteRefused(f"{what}: {path} is outside the patch's folder ({roots[0]}); a "
                           "patch writes only there unless you allow more: run with "
                           f"--allow-write {resolved.parent}")
