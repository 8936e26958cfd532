"""The menu bar: File, Edit, View, Run (each entry names its shortcut)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import dearpygui.dearpygui as dpg

if TYPE_CHECKING:
    from .app import EditorApp


class Menus:
    def __init__(self, app: EditorApp, parent: int | str) -> None:
        self.app = app
        a, f = app.actions, app.files
        with dpg.menu_bar(parent=parent):
            with dpg.menu(label="File"):
                dpg.add_menu_item(label="New", shortcut="Ctrl+N", callback=lambda: f.open(None))
                dpg.add_menu_item(label="Open...", shortcut="Ctrl+O", callback=f.ask_open)
                self.recent = dpg.add_menu(label="Open recent")
                dpg.add_menu_item(label="Save", shortcut="Ctrl+S", callback=lambda: f.save())
                dpg.add_menu_item(label="Save as...", shortcut="Ctrl+Shift+S",
                                  callback=lambda: f.ask_path("Save patch as", f.save_as,
                                                              save=True))
                dpg.add_separator()
                dpg.add_menu_item(label="Quit", callback=f.request_close)
            with dpg.menu(label="Edit"):
                dpg.add_menu_item(label="Undo", shortcut="Ctrl+Z", callback=lambda: a.undo())
                dpg.add_menu_item(label="Redo", shortcut="Ctrl+Shift+Z", callback=lambda: a.redo())
                dpg.add_separator()
                dpg.add_menu_item(label="Add node...", shortcut="N",
                                  callback=lambda: app.palette.open())
                dpg.add_menu_item(label="Copy", shortcut="Ctrl+C", callback=a.copy_selection)
                dpg.add_menu_item(label="Paste", shortcut="Ctrl+V", callback=lambda: a.paste())
                dpg.add_menu_item(label="Duplicate", shortcut="Ctrl+D",
                                  callback=lambda: a.duplicate_selection())
                dpg.add_menu_item(label="Delete", shortcut="Del",
                                  callback=lambda: a.delete_selection())
            with dpg.menu(label="View"):
                dpg.add_menu_item(label="Values on outlets", check=True, default_value=True,
                                  callback=lambda _s, on: app.canvas.set_show_values(on))
                dpg.add_menu_item(label="Presentation mode", shortcut="Ctrl+E",
                                  callback=app.toggle_presentation)
            with dpg.menu(label="Run"):
                dpg.add_menu_item(label="Play / stop", shortcut="Space",
                                  callback=lambda: a.toggle_play())
            self.play_button = dpg.add_button(label="Stop", tag="ng/play",
                                              callback=lambda: a.toggle_play())
        self.refresh_recent()

    def refresh_recent(self) -> None:
        dpg.delete_item(self.recent, children_only=True)
        paths = self.app.files.recent.list()
        for path in paths:
            dpg.add_menu_item(label=path, parent=self.recent,
                              callback=lambda _s, _v, p: self.app.files.open(Path(p)),
                              user_data=path)
        if not paths:
            dpg.add_menu_item(label="(none yet)", parent=self.recent, enabled=False)

    def show_playing(self, playing: bool) -> None:
        label = "Stop" if playing else "Play"
        if dpg.get_item_label(self.play_button) != label:
            dpg.set_item_label(self.play_button, label)
