"""The editor's actions: every user action, as menus, keys, widgets and tests call it.

Each edit becomes one engine edit (``nodegraph.edits``), submitted to the engine
thread (:mod:`.worker`) and so one undo step; the canvas shows the result when the
engine's graph changes. A refused edit changes nothing and its reason appears in the
status bar. Methods return the :class:`~.worker.Job` (or None when nothing was
submitted) so a caller can wait for the engine.

Slider drags: values sent while one mouse gesture lasts share an engine merge key
(``Engine.do(..., merge=...)``), so they apply live but undo as one step; a value
still waiting for the engine is replaced by a newer one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg

from ..edits import AddNode, Batch, Edit, Disconnect, Move, RemoveNode, SetParam
from ..edits import Connect as ConnectEdit
from ..errors import EditError
from ..patch import Link
from .clipboard import copy_text, paste_edit, unique_id
from .worker import Job

if TYPE_CHECKING:
    from .app import EditorApp

log = logging.getLogger("nodegraph.editor")


class Actions:
    """User actions on the open patch."""

    def __init__(self, app: EditorApp) -> None:
        self.app = app
        #: increases with every mouse press: one drag of one widget is one gesture
        self.gesture = 0

    # -- edits ---------------------------------------------------------------------------

    def edit(self, edit: Edit, what: str, merge: object = None,
             replace_key: object = None) -> Job:
        """Submit ``edit``; ``what`` names it in the status bar."""
        engine = self.app.engine
        return self.app.worker.submit(what, lambda: engine.do(edit, merge), self._edited,
                                      key=replace_key)

    def _edited(self, job: Job) -> None:
        if job.error is None:
            self.app.status.info(job.label)
        elif isinstance(job.error, EditError):
            self.app.status.error(f"{job.label} refused: {job.error}")
            self.app.show_engine_values()  # widgets back to what the engine kept
        else:
            log.error("%s failed", job.label, exc_info=job.error)
            self.app.status.error(f"{job.label} failed: {type(job.error).__name__}: {job.error}")

    def add_node(self, type_name: str, pos: tuple[int, int] | None = None,
                 params: dict[str, Any] | None = None) -> Job:
        node_id = unique_id(type_name, self.app.engine.patch.nodes)
        return self.edit(AddNode(node_id, type_name, dict(params or {}), pos),
                         f"add {node_id} ({type_name})")

    def connect(self, link: Link) -> Job:
        return self.edit(ConnectEdit(link), f"connect {link}")

    def disconnect(self, link: Link) -> Job:
        return self.edit(Disconnect(link), f"disconnect {link}")

    def set_param(self, node_id: str, name: str, value: Any, continuous: bool = False) -> Job:
        """Set a param; ``continuous`` values (a slider being dragged) of one gesture
        undo as one step."""
        merge = ("param", node_id, name, self.gesture) if continuous else None
        return self.edit(SetParam(node_id, name, value), f"set {node_id}.{name}", merge=merge,
                         replace_key=merge)

    def move(self, positions: dict[str, tuple[int, int]]) -> Job:
        moves = tuple(Move(node_id, pos) for node_id, pos in positions.items())
        return self.edit(Batch(moves), f"move {', '.join(positions)}")

    def delete(self, node_ids: Iterable[str] = (), links: Iterable[Link] = ()) -> Job | None:
        """Remove nodes (with their links) and links, as one undo step."""
        node_ids = list(node_ids)
        links = [link for link in links if link.src not in node_ids and link.dst not in node_ids]
        edits: list[Edit] = [Disconnect(link) for link in links]
        edits += [RemoveNode(node_id) for node_id in node_ids]
        if not edits:
            return None
        names = node_ids + [str(link) for link in links]
        return self.edit(Batch(tuple(edits)), f"delete {', '.join(names)}")

    def delete_selection(self) -> Job | None:
        canvas = self.app.canvas
        return self.delete(canvas.selected_nodes(), canvas.selected_links())

    # -- clipboard -----------------------------------------------------------------------

    def copy(self, node_ids: Iterable[str]) -> str:
        """Put the nodes (and links among them) on the clipboard as patch text."""
        text = copy_text(self.app.engine.patch, node_ids)
        dpg.set_clipboard_text(text)
        return text

    def paste(self, text: str | None = None) -> Job | None:
        """Add the nodes in ``text`` (default: the clipboard) as one undo step."""
        text = dpg.get_clipboard_text() if text is None else text
        try:
            edit, ids = paste_edit(self.app.engine.patch, text or "")
        except ValueError as exc:
            self.app.status.error(str(exc))
            return None
        return self.edit(edit, f"paste {', '.join(ids)}")

    def duplicate(self, node_ids: Iterable[str]) -> Job | None:
        node_ids = list(node_ids)
        if not node_ids:
            return None
        return self.paste(copy_text(self.app.engine.patch, node_ids))

    def copy_selection(self) -> None:
        selected = self.app.canvas.selected_nodes()
        if selected:
            self.copy(selected)
            self.app.status.info(f"copied {', '.join(selected)}")

    def duplicate_selection(self) -> Job | None:
        return self.duplicate(self.app.canvas.selected_nodes())

    # -- history -------------------------------------------------------------------------

    def undo(self) -> Job:
        engine = self.app.engine
        return self.app.worker.submit("undo", engine.undo, self._stepped)

    def redo(self) -> Job:
        engine = self.app.engine
        return self.app.worker.submit("redo", engine.redo, self._stepped)

    def _stepped(self, job: Job) -> None:
        if job.error is not None:
            self._edited(job)
        else:
            self.app.status.info(job.label if job.result else f"nothing to {job.label}")

    # -- running -------------------------------------------------------------------------

    @property
    def playing(self) -> bool:
        return self.app.engine.scheduler.running

    def play(self) -> Job:
        engine = self.app.engine
        return self.app.worker.submit("graph playing", engine.start, self._edited)

    def stop(self) -> Job:
        engine = self.app.engine
        return self.app.worker.submit("graph stopped", engine.stop, self._edited)

    def toggle_play(self) -> Job:
        return self.stop() if self.playing else self.play()

    def send(self, node_id: str, inlet: str, value: Any = True) -> None:
        """A message into an inlet from a button or toggle (not an edit: no undo)."""
        try:
            self.app.engine.send(node_id, inlet, value)
        except KeyError as exc:
            self.app.status.error(str(exc.args[0]))
