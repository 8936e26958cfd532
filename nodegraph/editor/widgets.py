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
vector   a row of drag fields (sliders when ranged); in the panel a row of
         vertical sliders (over ±:data:`UNRANGED_SLIDER` when the param has no
         range: Ctrl+click a slider to type any value)
=======  ==============================================================

An empty vector param (a point "at the origin until set", such as
latent-explorer's ``values``) gets as many fields as the node's first vector
outlet has values, shown as zeros (:func:`vector_lengths`).

A widget never changes the patch itself: it calls ``on_change(value, continuous)``
and the editor turns that into a ``SetParam`` edit; ``continuous`` is True for
sliders and drag fields, whose values while one drag lasts form one undo step. The
engine's value comes back through :meth:`ParamWidget.show`, which leaves a widget
the user is holding alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from ..node import Node
from ..schema import UNKNOWN, Inlet, Param, PortInfo
from ..types import BANG, NUMBER, TEXT, VECTOR
from .theme import DIM_TEXT, PORT_COLOURS

#: Ranges wider than this get a drag field instead of a slider.
SLIDER_SPAN = 1000.0
#: Components of a vector param per row of drag fields, and of vertical sliders.
VECTOR_ROW = 4
VERTICAL_ROW = 10
#: Vertical sliders of a vector param without a range span at least ±this (a latent
#: point: about three standard deviations).
UNRANGED_SLIDER = 3.0

AskPath = Callable[[str, Callable[[str], None]], None]


def _shortest(value: float) -> float:
    """A widget's float (held in single precision by DearPyGui) as the shortest
    decimal that reads back the same, so the patch says 0.9, not 0.8999999761581421."""
    return float(str(np.float32(value)))


def vector_lengths(node: Node, infos: Mapping[str, PortInfo]) -> dict[str, int]:
    """How many fields each vector param of ``node`` gets: its length, or when empty
    the known size of the node's first vector outlet (``infos``: the graph's port
    facts for the node)."""
    outlet = next((p.name for p in node.outlets if p.type == VECTOR), None)
    fallback = infos.get(outlet, UNKNOWN).size if outlet else None
    values = node.params
    return {p.name: len(values[p.name]) or (fallback or 0)
            for p in node.param_specs() if p.type == "vector"}


def _tooltip(item: int | str, text: str) -> None:
    if text:
        with dpg.tooltip(item):
            dpg.add_text(text, wrap=320)


def _padded(value: list[float], length: int) -> list[float]:
    """An empty vector shown as ``length`` zeros; others as they are."""
    return value if value else [0.0] * length


class ParamWidget:
    """The widget(s) for one param of one node."""

    def __init__(self, param: Param, value: Any, on_change: Callable[[Any, bool], None], *,
                 tag: str, parent: int | str, width: int, ask_path: AskPath,
                 vertical: bool = False, length: int | None = None) -> None:
        """``tag`` names the widget's item (a vector's components: ``tag/0``, ``tag/1``...;
        a path's file picker button: ``tag/pick``). ``length``: fields of a vector
        param (see :func:`vector_lengths`)."""
        self.param = param
        self.tag = tag
        self._on_change = on_change
        self.items: list[int | str] = []
        kind = param.type
        if kind == "vector":
            value = _padded(value, length if length is not None else len(value))
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

    def _number(self, kind: str, value: Any, width: int, *, tag: str,
                vertical: tuple[float, float] | None = None, height: int = 0,
                callback: Callable | None = None) -> int | str:
        """A number field; ``vertical``: a vertical slider over that range."""
        p = self.param
        callback = callback or self._changed
        ranged = p.range is not None and (p.range[1] - p.range[0]) <= SLIDER_SPAN
        common = {"width": width, "tag": tag, "callback": callback}
        if vertical is not None:
            return dpg.add_slider_float(default_value=float(value), min_value=vertical[0],
                                        max_value=vertical[1], format="%.2g", vertical=True,
                                        height=height, **common)
        if kind == "int":
            if ranged:
                return dpg.add_slider_int(default_value=int(value), min_value=int(p.range[0]),
                                          max_value=int(p.range[1]), **common)
            bounds = {"min_value": int(p.range[0]), "max_value": int(p.range[1])} if p.range else {}
            return dpg.add_drag_int(default_value=int(value), **bounds, **common)
        if ranged:
            return dpg.add_slider_float(default_value=float(value), min_value=p.range[0],
                                        max_value=p.range[1], format="%.4g", **common)
        bounds = {"min_value": p.range[0], "max_value": p.range[1]} if p.range else {}
        speed = (p.range[1] - p.range[0]) / 2000.0 if p.range else 0.01
        return dpg.add_drag_float(default_value=float(value), speed=speed, format="%.4g",
                                  **bounds, **common)

    def _vector(self, value: list[float], width: int, vertical: bool) -> None:
        if vertical:
            bound = max([UNRANGED_SLIDER] + [1.5 * abs(v) for v in value])
            span = self.param.range or (-bound, bound)
            for start in range(0, len(value), VERTICAL_ROW):
                with dpg.group(horizontal=True):
                    for i, v in enumerate(value[start:start + VERTICAL_ROW], start):
                        self.items.append(self._number("float", v, 24, tag=f"{self.tag}/{i}",
                                                       vertical=span, height=110,
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

    def show(self, value: Any) -> None:
        """Display the engine's value, except in an item the user is holding. (A
        vector of another length means the node's view is rebuilt instead: its
        signature includes :func:`vector_lengths`.)"""
        if self.param.type == "vector":
            value = _padded(value, len(self.items))
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


#: A vector inlet of two values with this name is played from a 2-D pad (xy-pad's).
PAD_INLET = "xy"
#: Side of a pad, in pixels.
PAD_SIZE = 200


def inlet_control_kind(inlet: Inlet) -> str | None:
    """How a user can send to ``inlet`` from the GUI: "bang" (a button for a bang
    inlet: record, train, randomize...), "toggle" (a checkbox for an on/off number
    inlet), "text" (a field that sends on Enter: bookmark, recall...), "pad" (a 2-D
    pad for a two-value vector inlet named ``xy``) or None."""
    if inlet.type == BANG:
        return "bang"
    if inlet.type == NUMBER and (inlet.name in TOGGLE_NAMES or "nonzero" in inlet.doc.lower()):
        return "toggle"
    if inlet.type == TEXT:
        return "text"
    if inlet.type == VECTOR and inlet.name == PAD_INLET and inlet.size == 2:
        return "pad"
    return None


class XYPad:
    """A square pad that sends the pointer's position as a point (x to the right, y
    up, each in 0..1, float32) through ``send(point)``: while the left button, pressed
    on the pad, is held (clipped to the pad's edges when the pointer leaves it), and,
    with *follow mouse* ticked, whenever the pointer is over it. A position is sent
    once, when it changes, at most once a frame (DearPyGui's item handlers run in the
    frame's callbacks). A dot shows the point sent, or the one the inlet last received."""

    def __init__(self, send: Callable[[np.ndarray], None], *, tag: str,
                 size: int = PAD_SIZE) -> None:
        """Items: the pad ``<tag>`` (a drawlist, also ``drawlist``), its checkbox
        ``<tag>/follow`` (``follow``) and the dot (``dot``)."""
        self._send = send
        self._size = size
        self._sent: tuple[float, float] | None = None
        self.drawlist = dpg.add_drawlist(width=size, height=size, tag=tag)
        half = size / 2
        dpg.draw_rectangle((0, 0), (size, size), color=DIM_TEXT, fill=(30, 30, 36),
                           parent=self.drawlist)
        for a, b in (((half, 0), (half, size)), ((0, half), (size, half))):
            dpg.draw_line(a, b, color=(60, 60, 70), parent=self.drawlist)
        self.dot = dpg.draw_circle((half, half), 6, color=PORT_COLOURS["vector"],
                                    fill=PORT_COLOURS["vector"], show=False,
                                    parent=self.drawlist)
        self.follow = dpg.add_checkbox(label="follow mouse", tag=f"{tag}/follow")
        self._handlers = dpg.add_item_handler_registry()  # a root item: not in a container
        dpg.add_item_active_handler(callback=self._held, parent=self._handlers)
        dpg.add_item_hover_handler(callback=self._hovered, parent=self._handlers)
        dpg.bind_item_handler_registry(self.drawlist, self._handlers)

    def _held(self) -> None:
        self._send_pointer()

    def _hovered(self) -> None:
        if dpg.get_value(self.follow):
            self._send_pointer()

    def _send_pointer(self) -> None:
        (x0, y0), (x1, y1) = dpg.get_item_rect_min(self.drawlist), \
            dpg.get_item_rect_max(self.drawlist)
        mx, my = dpg.get_mouse_pos(local=False)
        point = (_shortest(np.clip((mx - x0) / max(1, x1 - x0), 0.0, 1.0)),
                 _shortest(np.clip(1.0 - (my - y0) / max(1, y1 - y0), 0.0, 1.0)))
        if point != self._sent:
            self._sent = point
            self._send(np.array(point, dtype=np.float32))
            self.show(point)  # at once, not at the next readout refresh

    def show(self, point: Any) -> None:
        """Put the dot at ``point`` (the inlet's latest value; None: no dot yet)."""
        if point is None or len(point) != 2:
            return
        x, y = np.clip(np.asarray(point, dtype=np.float64), 0.0, 1.0)
        dpg.configure_item(self.dot, center=(x * self._size, (1.0 - y) * self._size),
                           show=True)

    def close(self) -> None:
        """Delete the handlers (they live outside the panel's items)."""
        dpg.delete_item(self._handlers)


class InletControl:
    """A button (bang), checkbox (toggle), text field (text, sent on Enter) or 2-D pad
    (:class:`XYPad`) that sends to an inlet through ``send(inlet, value)``. A toggle
    shows the last value the inlet received, a pad the last point."""

    def __init__(self, inlet: Inlet, kind: str, send: Callable[[str, Any], None], *,
                 label: str, tag: str) -> None:
        self.inlet = inlet.name
        self.kind = kind
        self.pad: XYPad | None = None
        if kind == "pad":
            self.pad = XYPad(lambda point: send(inlet.name, point), tag=tag)
            self.item = self.pad.follow  # a drawlist takes no tooltip
        elif kind == "bang":
            self.item = dpg.add_button(label=label, tag=tag,
                                       callback=lambda: send(inlet.name, True))
        elif kind == "text":
            self.item = dpg.add_input_text(label=label, tag=tag, hint="Enter sends",
                                           width=160, on_enter=True,
                                           callback=lambda _s, text: send(inlet.name, text))
        else:
            self.item = dpg.add_checkbox(label=label, tag=tag, callback=lambda _s, on: send(
                inlet.name, 1.0 if on else 0.0))
        _tooltip(self.item, f"{inlet.name} ({inlet.type}): {inlet.doc}")

    def show(self, received: Any) -> None:
        """Toggles and pads follow the inlet's latest value (from the GUI or a link)."""
        if self.pad is not None:
            self.pad.show(received)
        elif self.kind == "toggle" and received is not None:
            on = bool(received)
            if dpg.get_value(self.item) != on:
                dpg.set_value(self.item, on)

    def close(self) -> None:
        """Release what the control keeps outside its items (a pad's handlers)."""
        if self.pad is not None:
            self.pad.close()
