"""Colours: one per port type (pins and links), one per node status (title bars).

Themes are created once per DearPyGui context by :func:`Themes.create` and bound to
items; the same colours are used in the panel's legends.
"""

from __future__ import annotations

from dataclasses import dataclass

import dearpygui.dearpygui as dpg

from ..types import ALL_TYPES

RGB = tuple[int, int, int]

#: Port type → colour of its pins and of links leaving it.
PORT_COLOURS: dict[str, RGB] = {
    "frame": (230, 126, 34),
    "landmarks": (175, 110, 220),
    "vector": (64, 160, 240),
    "number": (70, 200, 120),
    "bang": (240, 200, 40),
    "text": (220, 220, 220),
    "any": (150, 160, 170),
    "audio": (235, 80, 70),
}

#: Runtime status (``RuntimeNode.status``) → title bar colour.
STATUS_COLOURS: dict[str, RGB] = {
    "idle": (70, 70, 78),
    "ok": (40, 110, 70),
    "error": (190, 50, 45),
    "failed": (120, 20, 30),
    "muted": (150, 90, 20),
    "stopped": (70, 70, 78),
}

ERROR_TEXT: RGB = (255, 110, 100)
DIM_TEXT: RGB = (150, 150, 160)


def lighter(colour: RGB, amount: int = 35) -> RGB:
    return tuple(min(255, c + amount) for c in colour)  # type: ignore[return-value]


@dataclass
class Themes:
    """Theme items of the current DearPyGui context."""

    pins: dict[str, int]
    links: dict[str, int]
    status: dict[str, int]

    @classmethod
    def create(cls) -> Themes:
        assert set(PORT_COLOURS) == set(ALL_TYPES), "every port type needs a colour"
        pins, links, status = {}, {}, {}
        for name, colour in PORT_COLOURS.items():
            with dpg.theme() as pin:
                with dpg.theme_component(dpg.mvAll):
                    dpg.add_theme_color(dpg.mvNodeCol_Pin, colour, category=dpg.mvThemeCat_Nodes)
                    dpg.add_theme_color(dpg.mvNodeCol_PinHovered, lighter(colour, 60),
                                        category=dpg.mvThemeCat_Nodes)
            with dpg.theme() as link:
                with dpg.theme_component(dpg.mvAll):
                    dpg.add_theme_color(dpg.mvNodeCol_Link, colour, category=dpg.mvThemeCat_Nodes)
                    dpg.add_theme_color(dpg.mvNodeCol_LinkHovered, lighter(colour, 60),
                                        category=dpg.mvThemeCat_Nodes)
                    dpg.add_theme_color(dpg.mvNodeCol_LinkSelected, (255, 255, 255),
                                        category=dpg.mvThemeCat_Nodes)
            pins[name], links[name] = pin, link
        for name, colour in STATUS_COLOURS.items():
            with dpg.theme() as theme:
                with dpg.theme_component(dpg.mvAll):
                    for slot, shade in ((dpg.mvNodeCol_TitleBar, colour),
                                        (dpg.mvNodeCol_TitleBarHovered, lighter(colour)),
                                        (dpg.mvNodeCol_TitleBarSelected, lighter(colour, 60))):
                        dpg.add_theme_color(slot, shade, category=dpg.mvThemeCat_Nodes)
            status[name] = theme
        return cls(pins, links, status)


def marker_theme(colour: RGB, size: float, marker: int | None = None) -> int | str:
    """A theme for plot series drawn as markers only (scatter points)."""
    with dpg.theme() as theme:
        with dpg.theme_component(dpg.mvScatterSeries):
            dpg.add_theme_color(dpg.mvPlotCol_Line, colour, category=dpg.mvThemeCat_Plots)
            dpg.add_theme_color(dpg.mvPlotCol_MarkerFill, colour, category=dpg.mvThemeCat_Plots)
            dpg.add_theme_color(dpg.mvPlotCol_MarkerOutline, colour, category=dpg.mvThemeCat_Plots)
            dpg.add_theme_style(dpg.mvPlotStyleVar_Marker,
                                dpg.mvPlotMarker_Circle if marker is None else marker,
                                category=dpg.mvThemeCat_Plots)
            dpg.add_theme_style(dpg.mvPlotStyleVar_MarkerSize, size, category=dpg.mvThemeCat_Plots)
    return theme
