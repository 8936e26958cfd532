"""Files: Save, Save as, Open, New, recent files, the dirty marker, the unsaved-work prompt.

Saving is the engine's own ``Engine.save`` (atomic, learned state included), run on
the engine thread. The window title carries a ``*`` while the patch differs from its
file. Closing the window, opening another patch or starting a new one with unsaved
changes asks first: Save, Don't save or Cancel. Recent files are kept in
``$XDG_CONFIG_HOME/nodegraph/recent.json`` (default ``~/.config``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import dearpygui.dearpygui as dpg

from ..storage import atomic_write_json, read_json
from .worker import Job

if TYPE_CHECKING:
    from .app import EditorApp

#: How many recent files the File menu lists.
RECENT_LIMIT = 10


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "nodegraph"


class RecentFiles:
    """Most recently opened or saved patches, newest first."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "recent.json"

    def list(self) -> list[str]:
        try:
            items = read_json(self.path)
        except (OSError, ValueError):
            return []
        return [p for p in items if isinstance(p, str)][:RECENT_LIMIT] \
            if isinstance(items, list) else []

    def add(self, path: Path) -> None:
        entry = str(Path(path).resolve())
        items = [entry] + [p for p in self.list() if p != entry]
        try:
            atomic_write_json(self.path, items[:RECENT_LIMIT])
        except OSError:
            pass  # a read-only home must not stop the editor


class PatchFiles:
    """File actions of the editor (GUI thread)."""

    def __init__(self, app: EditorApp) -> None:
        self.app = app
        self.recent = RecentFiles()
        self._title = ""
        self._prompt: int | str | None = None

    # -- title -------------------------------------------------------------------------

    def title(self) -> str:
        engine = self.app.engine
        name = engine.patch.path.name if engine.patch.path else "untitled"
        return f"{name}{'*' if engine.dirty else ''} - nodegraph"

    def update_title(self) -> None:
        title = self.title()
        if title != self._title:
            self._title = title
            dpg.set_viewport_title(title)

    # -- saving --------------------------------------------------------------------------

    def save(self, then: Callable[[], None] | None = None) -> Job | None:
        """Save to the patch's file (asks for one if it has none)."""
        path = self.app.engine.patch.path
        if path is None:
            self.ask_path("Save patch as", lambda p: self.save_as(p, then), save=True)
            return None
        return self.save_as(path, then)

    def save_as(self, path: str | Path, then: Callable[[], None] | None = None) -> Job:
        path = Path(path)
        if path.suffix not in (".yaml", ".yml"):
            path = path.with_name(path.name + ".yaml")
        engine = self.app.engine

        def saved(job: Job) -> None:
            if job.error is not None:
                self.app.status.error(f"could not save {path}: {job.error}")
                return
            self.recent.add(path)
            self.app.status.info(f"saved {path}")
            self.app.menus.refresh_recent()
            if then is not None:
                then()

        return self.app.worker.submit(f"save {path}", lambda: engine.save(path), saved)

    # -- opening -------------------------------------------------------------------------

    def open(self, path: str | Path | None) -> None:
        """Open ``path`` (None: a new, untitled patch), asking first about unsaved work."""
        self.confirm_discard(lambda: self.app.load(None if path is None else Path(path)))

    def ask_open(self) -> None:
        self.ask_path("Open patch", self.open)

    def request_close(self) -> None:
        """The window's close button: quit, asking first about unsaved work."""
        self.confirm_discard(self.app.quit)

    def confirm_discard(self, then: Callable[[], None]) -> None:
        """Run ``then`` now if nothing is unsaved; else ask Save / Don't save / Cancel."""
        if not self.app.engine.dirty:
            then()
            return
        if self._prompt is not None:
            dpg.delete_item(self._prompt)
        name = self.app.engine.patch.path.name if self.app.engine.patch.path else "untitled"

        def choose(save: bool | None) -> None:
            dpg.delete_item(self._prompt)
            self._prompt = None
            if save:
                self.save(then)
            elif save is False:
                then()

        with dpg.window(label="Unsaved changes", modal=True, no_collapse=True, tag="ng/prompt",
                        width=380, pos=(300, 200)) as self._prompt:
            dpg.add_text(f"{name} has unsaved changes. Save them?")
            with dpg.group(horizontal=True):
                dpg.add_button(label="Save", tag="ng/prompt/save", callback=lambda: choose(True))
                dpg.add_button(label="Don't save", tag="ng/prompt/discard",
                               callback=lambda: choose(False))
                dpg.add_button(label="Cancel", tag="ng/prompt/cancel",
                               callback=lambda: choose(None))

    # -- picking files -------------------------------------------------------------------

    def ask_path(self, title: str, on_pick: Callable[[str], None], save: bool = False) -> None:
        """A file dialog; ``on_pick(path)`` runs when the user chooses a file."""
        folder = self.app.engine.base_dir

        def picked(_sender: int, data: dict) -> None:
            dpg.delete_item(dialog)
            path = data.get("file_path_name") if data else None
            if path:
                on_pick(path)

        if dpg.does_item_exist("ng/file-dialog"):
            dpg.delete_item("ng/file-dialog")
        with dpg.file_dialog(label=title, callback=picked, tag="ng/file-dialog",
                             cancel_callback=lambda: dpg.delete_item(dialog),
                             width=700, height=420, modal=True, default_path=str(folder),
                             default_filename="untitled.yaml" if save else "") as dialog:
            dpg.add_file_extension(".*")
            dpg.add_file_extension(".yaml", color=(120, 220, 140, 255))
