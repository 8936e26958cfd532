"""Adding a node by typing, as in Max's object box.

Press N over the canvas (or double-click it, or Edit > Add node): a box opens at the
mouse; typing narrows the list of node types (names first, then words of their
category and summary); Enter adds the best match where the box opened, a click adds
the one clicked, Escape closes the box.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import dearpygui.dearpygui as dpg

from ..registry import Registry

if TYPE_CHECKING:
    from .app import EditorApp

#: Most matches listed at once.
MAX_MATCHES = 14


def rank_types(registry: Registry, text: str) -> list[str]:
    """Type names matching ``text``, best first: name starts with it, name contains
    it, then every word of it found in the name, category or summary."""
    text = text.strip().lower()
    names = registry.names()
    if not text:
        return names

    def score(name: str) -> int | None:
        cls = registry.types[name]
        if name.startswith(text):
            return 0
        if text in name:
            return 1
        haystack = f"{name} {cls.category} {cls.summary()}".lower()
        return 2 if all(word in haystack for word in text.split()) else None

    scored = [(s, name) for name in names if (s := score(name)) is not None]
    return [name for _, name in sorted(scored)]


class Palette:
    """The add-node box."""

    def __init__(self, app: EditorApp) -> None:
        self.app = app
        self._pos: tuple[int, int] | None = None
        with dpg.window(label="Add node", show=False, tag="ng/palette", width=360, height=330,
                        no_collapse=True, on_close=self.close) as self.window:
            self.query = dpg.add_input_text(tag="ng/palette/query", hint="type a node type",
                                            width=-1, callback=self._typed)
            self.summary = dpg.add_text("", wrap=340, color=(150, 150, 160))
            self.list = dpg.add_group(tag="ng/palette/list")

    def open(self, pos: tuple[int, int] | None = None) -> None:
        """Show the box; the node goes to ``pos`` (layout coordinates; default: the
        mouse position on the canvas)."""
        self._pos = pos if pos is not None else self.app.canvas.grid_position_at_mouse()
        mx, my = dpg.get_mouse_pos(local=False)
        dpg.configure_item(self.window, show=True, pos=(max(0, mx - 20), max(0, my - 20)))
        dpg.set_value(self.query, "")
        self._fill("")
        dpg.focus_item(self.query)

    def close(self) -> None:
        dpg.configure_item(self.window, show=False)

    def matches(self) -> list[str]:
        return rank_types(self.app.engine.registry, dpg.get_value(self.query))

    def _typed(self, _sender: int, text: str) -> None:
        self._fill(text)

    def _fill(self, text: str) -> None:
        dpg.delete_item(self.list, children_only=True)
        found = rank_types(self.app.engine.registry, text)
        types = self.app.engine.registry.types
        for name in found[:MAX_MATCHES]:
            dpg.add_selectable(label=f"{name:<18} {types[name].category}", parent=self.list,
                               callback=lambda _s, _v, n: self.choose(n), user_data=name)
        dpg.set_value(self.summary, types[found[0]].summary() if found else "no such node type")

    @property
    def shown(self) -> bool:
        return dpg.is_item_shown(self.window)

    def enter(self) -> None:
        """The Enter key: add the best match."""
        found = self.matches()
        if found and dpg.get_value(self.query).strip():
            self.choose(found[0])

    def choose(self, type_name: str) -> None:
        self.close()
        self.app.actions.add_node(type_name, self._pos)
