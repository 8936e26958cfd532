"""Param widgets generated from a node type's schema (:class:`~nodegraph.schema.Param`).

=======  ==============================================================
type     widget
=======  ==============================================================
float    slider with the param's range; a drag field when the range is
         wider than :data:`SLIDER_SPAN` or absent
int      the same, whole numbers
choice   dropdown
bool     checkbox
path     text field (Enter applies) and a ``...`` button opening a file picker
text     text field (Enter applies)
vector   a row of drag fields (sliders when ranged; vertical in the panel)
=======  ==============================================================

A widget never changes the patch itself: it calls ``on_change(value, continuous)``
and the editor turns that into a ``SetParam`` edit; ``continuous`` is True for
sliders and drag fields, whose values while one drag lasts form one undo step. The
engine's value comes back through :meth:`ParamWidget.show`, which leaves a widget
the user is holding alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from ..schema import Inlet, Param
from ..types import BANG, NUMBER

#: Ranges wider than this get a drag field instead of a slider.
SLIDER_SPAN = 1000.0
#: Components of a vector param per row of drag fields, and of vertical sliders.
VECTOR_ROW = 4
VERTICAL_ROW = 10

AskPath = Callable[[str, Callable[[str], None]], None]


def _shortest(value: float) -> float:
    """A widget's float (held in single precision by DearPyGui) as the shortest
    decimal that reads back the same, so the patch says 0.9, not 0.8999999761581421."""
    return float(str(np.float32(value)))


def _tooltip(item: int | str, text: str) -> None:
    if text:
        with dpg.tooltip(item):
            dpg.add_text(text, wrap=320)


class ParamWidget:
    """The widget(s) for one param of one node."""

    def __init__(self, param: Param, value: Any, on_change: Callable[[Any, bool], None], *,
                 tag: str, parent: int | str, width: int, ask_path: AskPath,
                 vertical: bool = False) -> None:
        """``tag`` names the widget's item (a vector's components: ``tag/0``, ``tag/1``...;
        a path's file picker button: ``tag/pick``)."""
        self.param = param
        self.tag = tag
        self._on_change = on_change
        self.items: list[int | str] = []
        self._value = value
        kind = param.type
        label = param.name
        help_text = f"{param.name} ({param.expected()}): {param.doc}"
        with dpg.group(parent=parent) as self.group:
            if kind == "vector":
                dpg.add_text(label)
                self._vector(value, width, vertical)
            elif kind == "bool":
                self.items.append(dpg.add_checkbox(label=label, default_value=bool(value),
                                                   callback=self._changed, tag=tag))
            else:
                with dpg.group(horizontal=True):
                    if kind == "path":
                        self.items.append(dpg.add_input_text(
                            default_value=value, width=width - 60, on_enter=True,
                            callback=self._changed, hint="file", tag=tag))
                        dpg.add_button(label="...", tag=f"{tag}/pick", callback=lambda: ask_path(
                            f"{param.name}: {param.doc}", self._picked))
                    else:
                        self.items.append(self._scalar(kind, value, width - 60))
                    dpg.add_text(label)
            for item in self.items:
                _tooltip(item, help_text)

    def _scalar(self, kind: str, value: Any, width: int) -> int | str:
        p = self.param
        if kind == "choice":
            return dpg.add_combo(list(p.choices or ()), default_value=value, width=width,
                                 callback=self._changed, tag=self.tag)
        if kind == "text":
            return dpg.add_input_text(default_value=value, width=width, on_enter=True,
                                      callback=self._changed, tag=self.tag)
        return self._number(kind, value, width, tag=self.tag)

    def _number(self, kind: str, value: Any, width: int, *, tag: str, vertical: bool = False,
                height: int = 0, callback: Callable | None = None) -> int | str:
        p = self.param
        callback = callback or self._changed
        ranged = p.range is not None and (p.range[1] - p.range[0]) <= SLIDER_SPAN
        common = {"width": width, "tag": tag, "callback": callback}
        if vertical:
            common["height"] = height
        if kind == "int":
            if ranged:
                return dpg.add_slider_int(default_value=int(value), min_value=int(p.range[0]),
                                          max_value=int(p.range[1]), vertical=vertical, **common)
            bounds = {"min_value": int(p.range[0]), "max_value": int(p.range[1])} if p.range else {}
            return dpg.add_drag_int(default_value=int(value), **bounds, **common)
        if ranged:
            return dpg.add_slider_float(default_value=float(value), min_value=p.range[0],
                                        max_value=p.range[1], format="%.4g", vertical=vertical,
                                        **common)
        bounds = {"min_value": p.range[0], "max_value": p.range[1]} if p.range else {}
        speed = (p.range[1] - p.range[0]) / 2000.0 if p.range else 0.01
        return dpg.add_drag_float(default_value=float(value), speed=speed, format="%.4g",
                                  **bounds, **common)

    def _vector(self, value: list[float], width: int, vertical: bool) -> None:
        if vertical:
            for start in range(0, len(value), VERTICAL_ROW):
                with dpg.group(horizontal=True):
                    for i, v in enumerate(value[start:start + VERTICAL_ROW], start):
                        self.items.append(self._number("float", v, 22, tag=f"{self.tag}/{i}",
                                                       vertical=True, height=110,
                                                       callback=self._vector_changed))
            return
        per_row = min(VECTOR_ROW, max(1, len(value)))
        field = max(30, (width - 8 * (per_row - 1)) // per_row)
        for start in range(0, len(value), VECTOR_ROW):
            with dpg.group(horizontal=True):
                for i, v in enumerate(value[start:start + VECTOR_ROW], start):
                    self.items.append(self._number("float", v, field, tag=f"{self.tag}/{i}",
                                                   callback=self._vector_changed))

    # -- from the user ------------------------------------------------------------------

    def _changed(self, sender: int | str, value: Any) -> None:
        kind = self.param.type
        if kind == "bool":
            value = bool(value)
        elif kind == "float":
            value = _shortest(value)
        self._on_change(value, kind in ("float", "int"))

    def _vector_changed(self, sender: int | str, _value: Any) -> None:
        self._on_change([_shortest(dpg.get_value(item)) for item in self.items], True)

    def _picked(self, path: str) -> None:
        dpg.set_value(self.items[0], path)
        self._on_change(path, False)

    # -- from the engine ----------------------------------------------------------------

    @property
    def fits(self) -> bool:
        """False when the engine's value no longer fits these items (a vector that
        changed length): the owner rebuilds the widget."""
        return self.param.type != "vector" or len(self._value) == len(self.items)

    def show(self, value: Any) -> None:
        """Display the engine's value, except in an item the user is holding."""
        self._value = value
        if self.param.type == "vector":
            if len(value) != len(self.items):
                return
            for item, v in zip(self.items, value):
                if not dpg.is_item_active(item) and dpg.get_value(item) != v:
                    dpg.set_value(item, float(v))
            return
        item = self.items[0]
        if not dpg.is_item_active(item) and dpg.get_value(item) != value:
            dpg.set_value(item, value)


#: Number inlets with these names are on/off switches, drawn as toggles (as are
#: number inlets whose doc says "nonzero ...", e.g. metro's ``toggle``).
TOGGLE_NAMES = frozenset({"toggle", "run", "record_while", "on", "enable", "active", "play",
                          "mute", "freeze", "hold", "bypass", "learn"})


def inlet_control_kind(inlet: Inlet) -> str | None:
    """How a user can send to ``inlet`` from the GUI: "bang" (a button for a bang
    inlet: record, train, randomize...), "toggle" (a checkbox for an on/off number
    inlet) or None."""
    if inlet.type == BANG:
        return "bang"
    if inlet.type == NUMBER and (inlet.name in TOGGLE_NAMES or "nonzero" in inlet.doc.lower()):
        return "toggle"
    return None


class InletControl:
    """A button (bang) or checkbox (toggle) that sends to an inlet through
    ``send(inlet, value)``. A toggle shows the last value the inlet received."""

    def __init__(self, inlet: Inlet, kind: str, send: Callable[[str, Any], None], *,
                 label: str, tag: str) -> None:
        self.inlet = inlet.name
        self.kind = kind
        if kind == "bang":
            self.item = dpg.add_button(label=label, tag=tag,
                                       callback=lambda: send(inlet.name, True))
        else:
            self.item = dpg.add_checkbox(label=label, tag=tag, callback=lambda _s, on: send(
                inlet.name, 1.0 if on else 0.0))
        _tooltip(self.item, f"{inlet.name} ({inlet.type}): {inlet.doc}")

    def show(self, received: Any) -> None:
        """Toggles follow the inlet's latest value (from a click or a link)."""
        if self.kind == "toggle" and received is not None:
            on = bool(received)
            if dpg.get_value(self.item) != on:
                dpg.set_value(self.item, on)
