"""The performance panel (Max's presentation mode), generated from schemas and reports.

One section per node, in run order (sources first, then vision, learning, audio),
showing only what a performer plays with:

- its bang inlets as buttons (record, train, delete_last, randomize...), its on/off
  number inlets as toggles (run, record_while...), its text inlets as fields sent
  on Enter (bookmark, recall...) and a two-value ``xy`` inlet as a 2-D pad (xy-pad),
  all through ``engine.send``;
- its numeric, bool, choice and vector params as sliders, checkboxes and dropdowns
  (a vector, such as a latent point, as a row of vertical sliders), edited through
  ``SetParam`` like the canvas; those that do not apply (``Node.param_applies``:
  regress's ``k`` under ``mlp``) are hidden;
- its frame outlets as a preview, with the landmarks of the nodes that frame feeds
  drawn over it (camera → facemesh);
- its ``report()``, by the keys of the Node.report convention: ``progress`` as a
  progress bar, ``loss_history`` (any ``*_history`` list) as a curve, ``level_db``
  as a meter, booleans (``training``, ``running``) as lights, other values as
  ``key: value`` (example counts, fps, underruns, latency...).

Nothing here is specific to a node type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from ..graph import Graph
from ..node import Node
from ..types import FRAME, LANDMARKS
from .canvas import node_signature
from .previews import PREVIEW_H, PREVIEW_W, fitted_box
from .readouts import meter_fraction, short_value
from .theme import DIM_TEXT, marker_theme
from .widgets import InletControl, ParamWidget, inlet_control_kind, vector_lengths

if TYPE_CHECKING:
    from .app import EditorApp

#: Param types the panel offers (paths and free text stay on the canvas).
PANEL_PARAM_TYPES = ("float", "int", "bool", "choice", "vector")
PANEL_WIDGET_WIDTH = 300
ON_LIGHT, OFF_LIGHT = (90, 230, 120), (110, 110, 120)


@dataclass
class FramePreview:
    """A frame outlet drawn in a plot, with landmark overlays."""

    outlet: str
    plot: int | str
    overlays: dict[tuple[str, str], int | str]  # (node, landmarks outlet) → scatter series
    shown: dict[tuple[str, str], Any] = field(default_factory=dict)


@dataclass
class NodeSection:
    header: int | str
    controls: dict[str, InletControl]
    params: dict[str, ParamWidget]
    previews: list[FramePreview]
    report: ReportView


class ReportView:
    """``report()`` values, each drawn by its key's convention; rows appear as keys do."""

    def __init__(self, parent: int | str, tag: str) -> None:
        """Rows are tagged ``<tag>/<key>``."""
        self.group = dpg.add_group(parent=parent)
        self.tag = tag
        self.rows: dict[str, tuple[str, int | str]] = {}

    def show(self, report: dict[str, Any]) -> None:
        for key, value in report.items():
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = self._add(key, value)
            kind, item = row
            if kind == "progress":
                fraction = float(np.clip(value or 0.0, 0.0, 1.0))
                dpg.set_value(item, fraction)
                dpg.configure_item(item, overlay=f"{key} {100 * fraction:.0f}%")
            elif kind == "meter":
                db = float(value) if value is not None else float("-inf")
                dpg.set_value(item, meter_fraction(db))
                dpg.configure_item(item, overlay=f"{db:.1f} dBFS" if np.isfinite(db) else "silent")
            elif kind == "curve":
                values = [float(v) for v in value or ()]
                dpg.set_value(item, values or [0.0])
                dpg.configure_item(item, overlay=f"{key} (last {values[-1]:.4g})" if values
                                   else f"{key} (none yet)")
            elif kind == "light":
                dpg.configure_item(item, color=ON_LIGHT if value else OFF_LIGHT)
            else:
                dpg.set_value(item, f"{key}: {_scalar_text(value)}")

    def _add(self, key: str, value: Any) -> tuple[str, int | str]:
        parent = {"parent": self.group, "tag": f"{self.tag}/{key}"}
        if key == "progress":
            return "progress", dpg.add_progress_bar(width=-1, **parent)
        if key == "level_db":
            return "meter", dpg.add_progress_bar(width=-1, **parent)
        if key.endswith("_history") and isinstance(value, list):
            return "curve", dpg.add_simple_plot(width=-1, height=70, **parent)
        if isinstance(value, bool):
            return "light", dpg.add_text(f"* {key}", color=OFF_LIGHT, **parent)
        return "text", dpg.add_text("", color=DIM_TEXT, **parent)


def _scalar_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return short_value(value, 48)


def _structure(graph: Graph) -> tuple:
    return tuple((node_id, node_signature(node, graph.port_infos.get(node_id, {})))
                 for node_id, node in graph.nodes.items()) + tuple(graph.converters)


class Panel:
    """The performance panel inside ``parent``."""

    def __init__(self, app: EditorApp, parent: int | str) -> None:
        self.app = app
        self.root = dpg.add_group(parent=parent, tag="ng/panel")
        self.sections: dict[str, NodeSection] = {}
        #: the engine graph the panel last showed (compare with ``engine.graph``)
        self.drawn_graph: Graph | None = None
        self._structure: tuple | None = None
        self._landmark_theme = marker_theme((80, 255, 120), 1.5)

    def sync(self) -> None:
        """Rebuild when nodes, ports or links changed; else show the engine's params."""
        graph = self.app.engine.graph
        if graph is self.drawn_graph:
            return
        self.drawn_graph = graph
        structure = _structure(graph)
        if structure != self._structure:
            self._structure = structure
            self._rebuild(graph)
            return
        for node_id, section in self.sections.items():
            node = graph.nodes[node_id]
            for name, widget in section.params.items():
                widget.show(node.params[name])
                dpg.configure_item(widget.group, show=node.param_applies(name))

    def _rebuild(self, graph: Graph) -> None:
        for section in self.sections.values():
            for control in section.controls.values():
                control.close()
        dpg.delete_item(self.root, children_only=True)
        self.sections.clear()
        for node_id in graph.order + [n for n in graph.nodes if n not in graph.order]:
            self.sections[node_id] = self._section(node_id, graph.nodes[node_id], graph)
        if not self.sections:
            dpg.add_text("An empty patch: press N on the canvas to add a node.",
                         parent=self.root, wrap=PANEL_WIDGET_WIDTH, color=DIM_TEXT)

    def _section(self, node_id: str, node: Node, graph: Graph) -> NodeSection:
        """A node's section; open when it has controls, params, previews or a report."""
        cls = type(node)
        kinds = {inlet.name: inlet_control_kind(inlet) for inlet in node.inlets}
        controls_for = [(inlet, kinds[inlet.name]) for inlet in node.inlets if kinds[inlet.name]]
        specs = [p for p in cls.param_specs() if p.type in PANEL_PARAM_TYPES]
        frames = [o for o in node.outlets if o.type == FRAME]
        title = node_id if node_id == cls.type_name else f"{node_id} · {cls.type_name}"
        runtime = self.app.engine.runtime.get(node_id)
        reports = runtime is not None and bool(runtime.report())
        header = dpg.add_collapsing_header(
            label=title, parent=self.root, tag=f"ng/panel/{node_id}",
            default_open=bool(controls_for or specs or frames or reports))
        controls: dict[str, InletControl] = {}
        buttons = [pair for pair in controls_for if pair[1] in ("bang", "toggle")]
        fields = [pair for pair in controls_for if pair[1] in ("text", "pad")]
        for row in (buttons, fields):
            if not row:
                continue
            with dpg.group(horizontal=row is buttons, parent=header):
                for inlet, kind in row:
                    controls[inlet.name] = InletControl(
                        inlet, kind, self._sender(node_id), label=inlet.name,
                        tag=f"ng/panel/control/{node_id}/{inlet.name}")
        previews = [self._preview(node_id, outlet.name, graph, header) for outlet in frames]
        params = {}
        values = node.params
        lengths = vector_lengths(node, graph.port_infos.get(node_id, {}))
        for spec in specs:
            params[spec.name] = ParamWidget(
                spec, values[spec.name], self._param_setter(node_id, spec.name),
                tag=f"ng/panel/param/{node_id}/{spec.name}", parent=header,
                width=PANEL_WIDGET_WIDTH, ask_path=self.app.files.ask_path,
                vertical=spec.type == "vector", length=lengths.get(spec.name))
            dpg.configure_item(params[spec.name].group, show=node.param_applies(spec.name))
        report = ReportView(header, f"ng/panel/report/{node_id}")
        return NodeSection(header, controls, params, previews, report)

    def _preview(self, node_id: str, outlet: str, graph: Graph, parent: int | str) -> FramePreview:
        height = round(PANEL_WIDGET_WIDTH * PREVIEW_H / PREVIEW_W)
        with dpg.plot(parent=parent, width=PANEL_WIDGET_WIDTH, height=height, no_menus=True,
                      no_box_select=True, no_mouse_pos=True, no_title=True, no_inputs=True,
                      equal_aspects=True) as plot:
            axes = []
            for axis in (dpg.mvXAxis, dpg.mvYAxis):
                axes.append(dpg.add_plot_axis(axis, no_gridlines=True, no_tick_marks=True,
                                              no_tick_labels=True, no_menus=True))
                dpg.set_axis_limits(axes[-1], 0.0, 1.0)
            dpg.add_image_series(self.app.previews.texture(node_id, outlet), (0.0, 0.0), (1.0, 1.0),
                                 parent=axes[1])
            overlays = {}
            for link in graph.converters:
                if (link.src, link.outlet) != (node_id, outlet):
                    continue
                for port in graph.nodes[link.dst].outlets:
                    if port.type == LANDMARKS:
                        series = dpg.add_scatter_series([], [], parent=axes[1])
                        dpg.bind_item_theme(series, self._landmark_theme)
                        overlays[(link.dst, port.name)] = series
        return FramePreview(outlet, plot, overlays)

    def _sender(self, node_id: str):
        return lambda inlet, value: self.app.actions.send(node_id, inlet, value)

    def _param_setter(self, node_id: str, name: str):
        return lambda value, continuous: self.app.actions.set_param(node_id, name, value,
                                                                    continuous)

    # -- live state ------------------------------------------------------------------------

    def update_live(self) -> None:
        engine = self.app.engine
        for node_id, section in self.sections.items():
            rn = engine.runtime.get(node_id)
            if rn is None:
                continue
            for inlet, control in section.controls.items():
                control.show(rn.inputs.values.get(inlet))
            for preview in section.previews:
                self._show_preview(node_id, preview, rn.last_out.get(preview.outlet))
            section.report.show(rn.report())

    def _show_preview(self, node_id: str, preview: FramePreview, frame: Any) -> None:
        self.app.previews.show(node_id, preview.outlet, frame)
        shape = self.app.previews.shapes.get((node_id, preview.outlet))
        if shape is None:
            return
        x0, y0, x1, y1 = fitted_box(shape)
        for (source, outlet), series in preview.overlays.items():
            rn = self.app.engine.runtime.get(source)
            points = rn.last_out.get(outlet) if rn is not None else None
            if points is preview.shown.get((source, outlet)):
                continue
            preview.shown[(source, outlet)] = points
            if points is None or len(points) == 0:
                dpg.set_value(series, [[], []])
                continue
            points = np.asarray(points, dtype=np.float64)
            xs = x0 + points[:, 0] * (x1 - x0)
            ys = 1.0 - (y0 + points[:, 1] * (y1 - y0))  # image rows grow downwards
            dpg.set_value(series, [xs.tolist(), ys.tolist()])
