"""Keyboard shortcuts → editor actions.

=====================  ==================  =====================  =================
keys                   action              keys                   action
=====================  ==================  =====================  =================
Ctrl+Z                 undo                Ctrl+C / Ctrl+V        copy / paste
Ctrl+Shift+Z, Ctrl+Y   redo                Ctrl+D                 duplicate
Ctrl+S                 save                Delete, Backspace      delete selection
Ctrl+Shift+S           save as             N                      add node (at mouse)
Ctrl+O / Ctrl+N        open / new          Space                  play / stop
Ctrl+E                 presentation mode   Enter / Escape         in the add box
=====================  ==================  =====================  =================

While a text or number field has the keyboard only Ctrl+S and Ctrl+Shift+S act, so
typing a value never deletes a node and Ctrl+Z undoes typing in the field itself. The
steering loop's keys (D, B, R, M, T, P, U, 1-9) are handled by :mod:`.loop`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import dearpygui.dearpygui as dpg

if TYPE_CHECKING:
    from .app import EditorApp

#: (key, ctrl, shift) → action name.
SHORTCUTS: dict[tuple[int, bool, bool], str] = {
    (dpg.mvKey_Z, True, False): "undo",
    (dpg.mvKey_Z, True, True): "redo",
    (dpg.mvKey_Y, True, False): "redo",
    (dpg.mvKey_S, True, False): "save",
    (dpg.mvKey_S, True, True): "save_as",
    (dpg.mvKey_O, True, False): "open",
    (dpg.mvKey_N, True, False): "new",
    (dpg.mvKey_C, True, False): "copy",
    (dpg.mvKey_V, True, False): "paste",
    (dpg.mvKey_D, True, False): "duplicate",
    (dpg.mvKey_E, True, False): "presentation",
    (dpg.mvKey_Delete, False, False): "delete",
    (dpg.mvKey_Back, False, False): "delete",
    (dpg.mvKey_N, False, False): "add",
    (dpg.mvKey_Spacebar, False, False): "play",
    (dpg.mvKey_Return, False, False): "enter",
    (dpg.mvKey_NumPadEnter, False, False): "enter",
    (dpg.mvKey_Escape, False, False): "escape",
}

#: Item types that take typed text.
TEXT_ITEMS = frozenset(f"mvAppItemType::{t}" for t in (
    "mvInputText", "mvInputFloat", "mvInputInt", "mvInputDouble", "mvDragFloat", "mvDragInt",
    "mvSliderFloat", "mvSliderInt", "mvInputFloatMulti", "mvInputIntMulti"))


def shortcut(key: int, ctrl: bool, shift: bool) -> str | None:
    return SHORTCUTS.get((key, ctrl, shift))


def typing() -> bool:
    """True while a text or number field has the keyboard (checked on key presses
    only: it looks at every item)."""
    return any(dpg.get_item_type(item) in TEXT_ITEMS and dpg.is_item_active(item)
               for item in dpg.get_all_items())


#: Shortcuts that still apply while a field has the keyboard.
WHILE_TYPING = frozenset({"save", "save_as"})


class Shortcuts:
    """The key handler of the editor window."""

    def __init__(self, app: EditorApp) -> None:
        self.app = app
        a, f = app.actions, app.files
        self.actions: dict[str, Callable[[], object]] = {
            "undo": a.undo, "redo": a.redo,
            "save": f.save, "save_as": lambda: f.ask_path("Save patch as", f.save_as, save=True),
            "open": f.ask_open, "new": lambda: f.open(None),
            "copy": a.copy_selection, "paste": a.paste, "duplicate": a.duplicate_selection,
            "delete": a.delete_selection, "add": lambda: app.palette.open(),
            "play": a.toggle_play, "presentation": app.toggle_presentation,
            "enter": app.palette.enter, "escape": app.palette.close,
        }
        with dpg.handler_registry():
            dpg.add_key_press_handler(callback=self._pressed)

    def _pressed(self, _sender: int, key: int) -> None:
        ctrl = any(dpg.is_key_down(k) for k in (dpg.mvKey_ModCtrl, dpg.mvKey_LControl,
                                                  dpg.mvKey_RControl))
        shift = any(dpg.is_key_down(k) for k in (dpg.mvKey_ModShift, dpg.mvKey_LShift,
                                                   dpg.mvKey_RShift))
        self.press(key, ctrl, shift)

    def press(self, key: int, ctrl: bool = False, shift: bool = False) -> str | None:
        """Run the action bound to a key combination; returns its name."""
        name = shortcut(key, ctrl, shift)
        if name is None:
            return None
        palette_keys = name in ("enter", "escape")
        if palette_keys != self.app.palette.shown:
            return None  # Enter and Escape belong to the add box; the rest wait while it is open
        if not palette_keys and name not in WHILE_TYPING and typing():
            return None
        self.actions[name]()
        return name
