"""The status bar: play state, ticks, undo/redo, and the last message (refused edits in
red, staying until the next message; others fading to a hint after a few seconds)."""

from __future__ import annotations

import logging
import time

import dearpygui.dearpygui as dpg

from .theme import DIM_TEXT, ERROR_TEXT

log = logging.getLogger("nodegraph.editor")

#: An info message fades to the hint after this many seconds; errors stay.
INFO_SECONDS = 6.0
HINT = "N adds a node - drag from an outlet to an inlet to link - Ctrl+Z undoes"


class Status:
    """One line at the bottom of the window."""

    def __init__(self, parent: int | str) -> None:
        with dpg.group(horizontal=True, parent=parent):
            self._state = dpg.add_text("", tag="ng/status/state")
            dpg.add_spacer(width=12)
            self._message = dpg.add_text("", tag="ng/status/message")
        self.message = ""
        self.is_error = False
        self._since = 0.0

    def info(self, message: str) -> None:
        self._set(message, False)

    def error(self, message: str) -> None:
        log.warning("%s", message)
        self._set(message, True)

    def _set(self, message: str, is_error: bool) -> None:
        self.message, self.is_error, self._since = message, is_error, time.monotonic()
        dpg.set_value(self._message, message)
        dpg.configure_item(self._message, color=ERROR_TEXT if is_error else DIM_TEXT)

    def update(self, playing: bool, ticks: int, can_undo: bool, can_redo: bool) -> None:
        state = "PLAYING" if playing else "STOPPED"
        history = "  undo" if can_undo else ""
        history += "  redo" if can_redo else ""
        dpg.set_value(self._state, f"{state}  {ticks} ticks{history}")
        if not self.is_error and self.message != HINT \
                and time.monotonic() - self._since > INFO_SECONDS:
            self._set(HINT, False)
