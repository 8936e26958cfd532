"""The patch canvas: the engine's patch drawn as a DearPyGui node editor.

The canvas keeps no graph of its own, only which DearPyGui item shows which node,
port or link (item tags and ``user_data``; see :func:`node_tag`, :func:`port_tag`,
:func:`link_tag`). Whenever the engine holds a new graph (after any edit, undo or
redo, from this editor or another front end) :meth:`Canvas.sync` redraws what
changed. Gestures become :class:`~nodegraph.editor.actions.Actions`:

- dragging from an outlet to an inlet → ``Connect`` (a refused link is never drawn;
  the status bar says why);
- Ctrl+click on a link end (DearPyGui's detach) → ``Disconnect``;
- releasing the mouse after dragging nodes → one ``Move`` batch (one undo step);
- a param widget → ``SetParam``; a bang button or toggle → ``engine.send`` (text
  inlets get their fields in the performance panel).

Inlets are drawn filled when hot and hollow when cold (Max's hot/cold inlets); pins
and links take their port type's colour; a node's title bar its run status.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from ..graph import Graph
from ..node import Node
from ..patch import Link
from ..schema import UNKNOWN, Inlet, Outlet, PortInfo
from .previews import PREVIEW_H, PREVIEW_W
from .readouts import clip_text, is_frame, is_sparkline_vector, per_call_ms, short_value
from .theme import DIM_TEXT, ERROR_TEXT
from .widgets import InletControl, ParamWidget, inlet_control_kind, vector_lengths

if TYPE_CHECKING:
    from .app import EditorApp

#: Width of param widgets inside a node, in pixels.
NODE_WIDGET_WIDTH = 150
#: Nodes with more params than this fold them under a "params" heading, closed.
OPEN_PARAMS = 3
#: Pins of hot inlets are filled, of cold ones hollow.
HOT_PIN, COLD_PIN = dpg.mvNode_PinShape_CircleFilled, dpg.mvNode_PinShape_Circle
#: Spacing of the automatic layout for nodes the patch gives no position.
AUTO_COLUMN, AUTO_ROW, AUTO_MARGIN = 260, 170, 40


def node_tag(node_id: str) -> str:
    return f"ng/node/{node_id}"


def port_tag(node_id: str, port: str, direction: str) -> str:
    """``direction`` is "in" for an inlet, "out" for an outlet."""
    return f"ng/{direction}/{node_id}/{port}"


def link_tag(link: Link) -> str:
    return f"ng/link/{link}"


def node_signature(node: Node, infos: Mapping[str, PortInfo]) -> tuple:
    """What, when it changes, needs the node redrawn rather than updated (``infos``:
    the graph's port facts for the node)."""
    return (node.type_name,
            tuple((p.name, p.type.name, p.hot) for p in node.inlets),
            tuple((p.name, p.type.name) for p in node.outlets),
            tuple(p.name for p in node.param_specs()),
            tuple(vector_lengths(node, infos).items()))


def auto_positions(graph: Graph) -> dict[str, tuple[int, int]]:
    """Positions for nodes the patch's layout leaves out: a column per step of the
    longest path from a source, a row per node in patch order."""
    depth: dict[str, int] = {}
    for node_id in graph.order:
        ups = [depth.get(link.src, 0) + 1 for link in graph.patch.links
               if link.dst == node_id and link.src in depth]
        depth[node_id] = max(ups, default=0)
    rows: dict[int, int] = {}
    placed: dict[str, tuple[int, int]] = {}
    for node_id in graph.patch.nodes:
        if node_id in graph.patch.layout:
            continue
        column = depth.get(node_id, 0)
        row = rows.get(column, 0)
        rows[column] = row + 1
        placed[node_id] = (AUTO_MARGIN + AUTO_COLUMN * column, AUTO_MARGIN + AUTO_ROW * row)
    return placed


@dataclass
class OutletReadout:
    """The latest value under an outlet: text, and a sparkline or a frame preview."""

    group: int | str
    text: int | str
    spark: int | str | None = None
    image: int | str | None = None
    value: Any = None


@dataclass
class NodeView:
    item: int | str
    signature: tuple
    pos: tuple[int, int]
    status_text: int | str
    error_text: int | str
    params: dict[str, ParamWidget] = field(default_factory=dict)
    controls: dict[str, InletControl] = field(default_factory=dict)
    readouts: dict[str, OutletReadout] = field(default_factory=dict)
    status: str = ""


class Canvas:
    """The node editor inside ``parent``."""

    def __init__(self, app: EditorApp, parent: int | str) -> None:
        self.app = app
        self.editor = dpg.add_node_editor(
            parent=parent, tag="ng/editor", callback=self._link_dragged,
            delink_callback=self._link_detached, minimap=True,
            minimap_location=dpg.mvNodeMiniMap_Location_BottomRight, width=-1, height=-1)
        self.nodes: dict[str, NodeView] = {}
        self.links: dict[Link, int | str] = {}
        self.show_values = True
        #: the engine graph the canvas last drew (compare with ``engine.graph``)
        self.drawn_graph: Graph | None = None

    # -- engine → screen ---------------------------------------------------------------

    def sync(self) -> bool:
        """Redraw what changed since the last sync; False if nothing did."""
        graph = self.app.engine.graph
        if graph is self.drawn_graph:
            return False
        self.drawn_graph = graph
        patch = graph.patch
        for link in [link for link in self.links if link not in graph.converters]:
            dpg.delete_item(self.links.pop(link))
        auto = auto_positions(graph)
        for node_id in [n for n in self.nodes if n not in graph.nodes]:
            self._remove_node(node_id)
        for node_id, node in graph.nodes.items():
            pos = tuple(round(v) for v in patch.layout.get(node_id, auto.get(node_id, (0, 0))))
            view = self.nodes.get(node_id)
            if view is not None and view.signature != node_signature(
                    node, graph.port_infos.get(node_id, {})):
                self._remove_node(node_id)
                view = None
            if view is None:
                self.nodes[node_id] = self._build_node(node_id, node, pos, graph)
                continue
            params = node.params
            for name, widget in view.params.items():
                widget.show(params[name])
            if pos != view.pos:
                view.pos = pos
                dpg.set_item_pos(view.item, pos)
        for link in graph.converters:
            if link not in self.links:
                self._add_link(link, graph)
        return True

    def clear(self) -> None:
        """Forget everything drawn (another patch was opened)."""
        for node_id in list(self.nodes):
            self._remove_node(node_id)
        self.drawn_graph = None

    def _remove_node(self, node_id: str) -> None:
        view = self.nodes.pop(node_id)
        for link in [link for link in self.links if node_id in (link.src, link.dst)]:
            dpg.delete_item(self.links.pop(link))
        dpg.delete_item(view.item)

    def _add_link(self, link: Link, graph: Graph) -> None:
        item = dpg.add_node_link(port_tag(link.src, link.outlet, "out"),
                                 port_tag(link.dst, link.inlet, "in"), parent=self.editor,
                                 tag=link_tag(link), user_data=link)
        outlet = graph.nodes[link.src].outlet(link.outlet)
        dpg.bind_item_theme(item, self.app.themes.links[outlet.type.name])
        self.links[link] = item

    def _build_node(self, node_id: str, node: Node, pos: tuple[int, int],
                    graph: Graph) -> NodeView:
        cls = type(node)
        title = node_id if node_id == cls.type_name else f"{node_id} · {cls.type_name}"
        infos = graph.port_infos.get(node_id, {})
        with dpg.node(label=title, parent=self.editor, pos=pos, tag=node_tag(node_id),
                      user_data=node_id) as item:
            controls = {}
            for inlet in node.inlets:
                info = graph.arriving(node_id, inlet.name)
                if info.size is None:
                    info = infos.get(inlet.name, UNKNOWN)
                shape = HOT_PIN if inlet.hot else COLD_PIN
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Input, shape=shape,
                                        tag=port_tag(node_id, inlet.name, "in"),
                                        user_data=("in", node_id, inlet.name)) as attr:
                    kind = inlet_control_kind(inlet)
                    if kind in ("bang", "toggle"):
                        controls[inlet.name] = InletControl(
                            inlet, kind, self._sender(node_id), label=inlet.name,
                            tag=f"ng/control/{node_id}/{inlet.name}")
                    else:
                        _port_label(inlet, info)
                dpg.bind_item_theme(attr, self.app.themes.pins[inlet.type.name])
            readouts = {}
            for outlet in node.outlets:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Output,
                                        tag=port_tag(node_id, outlet.name, "out"),
                                        user_data=("out", node_id, outlet.name)) as attr:
                    _port_label(outlet, infos.get(outlet.name, UNKNOWN))
                    if outlet.type.domain == "message":
                        with dpg.group(show=self.show_values) as group:
                            text = dpg.add_text("", color=DIM_TEXT)
                        readouts[outlet.name] = OutletReadout(group, text)
                dpg.bind_item_theme(attr, self.app.themes.pins[outlet.type.name])
            params = {}
            specs = cls.param_specs()
            lengths = vector_lengths(node, infos)
            if specs:
                with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                    values = node.params
                    with dpg.tree_node(label=f"params ({len(specs)})",
                                       default_open=len(specs) <= OPEN_PARAMS) as folder:
                        for spec in specs:
                            params[spec.name] = ParamWidget(
                                spec, values[spec.name], self._param_setter(node_id, spec.name),
                                tag=f"ng/param/{node_id}/{spec.name}", parent=folder,
                                width=NODE_WIDGET_WIDTH, ask_path=self.app.files.ask_path,
                                length=lengths.get(spec.name))
            with dpg.node_attribute(attribute_type=dpg.mvNode_Attr_Static):
                status_text = dpg.add_text("", color=DIM_TEXT)
                with dpg.tooltip(status_text):
                    error_text = dpg.add_text(cls.summary(), wrap=360)
        return NodeView(item, node_signature(node, infos), pos, status_text, error_text,
                        params, controls, readouts)

    def _sender(self, node_id: str) -> Callable[[str, Any], None]:
        return lambda inlet, value: self.app.actions.send(node_id, inlet, value)

    def _param_setter(self, node_id: str, name: str) -> Callable[[Any, bool], None]:
        return lambda value, continuous: self.app.actions.set_param(node_id, name, value,
                                                                    continuous)

    # -- live state ----------------------------------------------------------------------

    def update_live(self) -> None:
        """Status, per-node time, outlet values and toggles from the running graph."""
        engine = self.app.engine
        themes = self.app.themes.status
        for node_id, view in self.nodes.items():
            rn = engine.runtime.get(node_id)
            if rn is None:
                status, line, error = "idle", "not running", ""
            else:
                status, error = rn.status, rn.last_error
                if status == "idle" and rn.sent:
                    status = "ok"  # a source: sends without being called
                line = f"{status}  {per_call_ms(rn.time_s, rn.calls):.2f} ms  ×{rn.calls}"
                if rn.errors:
                    line += f"  {rn.errors} err\n{clip_text(error, 34)}"
            if status != view.status:
                view.status = status
                dpg.bind_item_theme(view.item, themes.get(status, themes["idle"]))
                dpg.configure_item(view.status_text,
                                   color=ERROR_TEXT if status in ("error", "failed", "muted")
                                   else DIM_TEXT)
            dpg.set_value(view.status_text, line)
            if error:
                dpg.set_value(view.error_text, error)
            if rn is None:
                continue
            for inlet, control in view.controls.items():
                control.show(rn.inputs.values.get(inlet))
            if self.show_values:
                for outlet, readout in view.readouts.items():
                    self._show_value(node_id, outlet, readout, rn.last_out.get(outlet))

    def _show_value(self, node_id: str, outlet: str, readout: OutletReadout, value: Any) -> None:
        if value is readout.value:
            return
        readout.value = value
        if is_frame(value):
            self.app.previews.show(node_id, outlet, value)
            if readout.image is None:
                readout.image = dpg.add_image(self.app.previews.texture(node_id, outlet),
                                              width=PREVIEW_W, height=PREVIEW_H,
                                              parent=readout.group)
            dpg.set_value(readout.text, f"{value.shape[1]}×{value.shape[0]}")
            return
        dpg.set_value(readout.text, "bang" if value is True else short_value(value))
        if is_sparkline_vector(value):
            bars = np.asarray(value, dtype=np.float32).tolist()
            if readout.spark is None:
                readout.spark = dpg.add_simple_plot(default_value=bars, histogram=True,
                                                    width=NODE_WIDGET_WIDTH, height=28,
                                                    parent=readout.group)
            else:
                dpg.set_value(readout.spark, bars)

    def set_show_values(self, on: bool) -> None:
        self.show_values = on
        for view in self.nodes.values():
            for readout in view.readouts.values():
                dpg.configure_item(readout.group, show=on)
                readout.value = None

    # -- screen → engine -----------------------------------------------------------------

    def _link_dragged(self, _sender: Any, attrs: tuple[int, int]) -> None:
        ends = [dpg.get_item_user_data(a) for a in attrs]
        if ends[0][0] == "in":
            ends.reverse()
        (out_dir, src, outlet), (in_dir, dst, inlet) = ends
        if (out_dir, in_dir) != ("out", "in"):
            self.app.status.error("a link goes from an outlet (right) to an inlet (left)")
            return
        self.app.actions.connect(Link(src, outlet, dst, inlet))

    def _link_detached(self, _sender: Any, link_item: int) -> None:
        self.app.actions.disconnect(dpg.get_item_user_data(link_item))

    def commit_moves(self) -> None:
        """Turn nodes dragged to new places into one Move edit."""
        moves = {}
        for node_id, view in self.nodes.items():
            x, y = dpg.get_item_pos(view.item)
            pos = (round(x), round(y))
            if pos != view.pos:
                view.pos = pos
                moves[node_id] = pos
        if moves:
            self.app.actions.move(moves)

    def node_hovered(self) -> bool:
        return any(dpg.is_item_hovered(view.item) for view in self.nodes.values())

    def selected_nodes(self) -> list[str]:
        return [dpg.get_item_user_data(i) for i in dpg.get_selected_nodes(self.editor)]

    def selected_links(self) -> list[Link]:
        return [dpg.get_item_user_data(i) for i in dpg.get_selected_links(self.editor)]

    def grid_position_at_mouse(self) -> tuple[int, int]:
        """The mouse position in the patch's layout coordinates (panning included,
        learnt from a drawn node's screen rectangle)."""
        mx, my = dpg.get_mouse_pos(local=False)
        for view in self.nodes.values():
            state = dpg.get_item_state(view.item)
            if state.get("visible") and state.get("rect_min"):
                rx, ry = state["rect_min"]
                px, py = dpg.get_item_pos(view.item)
                return round(mx - (rx - px)), round(my - (ry - py))
        ex, ey = dpg.get_item_rect_min(self.editor)
        return round(mx - ex), round(my - ey)


def _port_label(port: Inlet | Outlet, info: PortInfo) -> None:
    size = f", {info.size}" if info.size is not None else ""
    text = dpg.add_text(port.name)
    hot = ("hot" if port.hot else "cold") + " inlet, " if isinstance(port, Inlet) else ""
    labels = f"\n{', '.join(info.labels)}" if info.labels else ""
    with dpg.tooltip(text):
        dpg.add_text(f"{port.name}: {hot}{port.type}{size}\n{port.doc}{labels}", wrap=360)
