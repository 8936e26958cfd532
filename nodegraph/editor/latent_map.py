"""The latent map: what the trained mapping does, over two chosen input dimensions.

A *regressor* is any running node with the two thread-safe methods the regress node
offers::

    predict(X: ndarray (n, d_in)) -> ndarray (n, d_out)
    examples() -> (..., inputs (m, d_in), outputs (m, d_out))   # copies; the last two

Its live input is the latest value on its first hot vector inlet. The map samples a
:data:`GRID`×:data:`GRID` grid over the chosen input dimensions x and y (the other
dimensions held at the live input, or at the examples' mean before any input; the
view grows to hold every example and every live input seen), asks
``predict`` for the latent at every point off the GUI thread, and colours the field
by one latent axis or by the nearest *bookmark* (any node with
``bookmarks() -> {name: latent vector}``, such as latent-explorer). Recorded examples
are white points; the live input is the red dot.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from ..types import VECTOR
from .readouts import CATEGORY_COLOURS, category_colours, colour_map
from .theme import DIM_TEXT, marker_theme

if TYPE_CHECKING:
    from .app import EditorApp

#: Grid points per side of the map.
GRID = 48
#: The map's range extends this fraction beyond the examples on each side.
MARGIN = 0.1
BOOKMARK_CHOICE = "nearest bookmark"

Bounds = tuple[tuple[float, float], tuple[float, float]]


def is_regressor(node: Any) -> bool:
    return callable(getattr(node, "predict", None)) and callable(getattr(node, "examples", None))


def as_table(rows: Any) -> np.ndarray:
    """Examples as a float32 (m, d) table; none at all as (0, 0)."""
    table = np.asarray(rows, dtype=np.float32)
    if table.size == 0:
        return np.zeros((0, 0), np.float32)
    return table.reshape(len(table), -1)


def map_bounds(points: np.ndarray, live: np.ndarray | None) -> Bounds:
    """x and y ranges covering ``points`` (m, 2) and the ``live`` point, with a
    margin; a dimension with no spread gets ±0.5 around its value (±0.5 around 0.5
    with nothing at all)."""
    known = points if live is None else np.vstack([points, live[None, :]])
    bounds = []
    for axis in range(2):
        values = known[:, axis] if len(known) else np.array([0.5])
        lo, hi = float(np.min(values)), float(np.max(values))
        if hi - lo < 1e-9:
            lo, hi = lo - 0.5, hi + 0.5
        pad = (hi - lo) * MARGIN
        bounds.append((lo - pad, hi + pad))
    return bounds[0], bounds[1]


def union_bounds(a: Bounds, b: Bounds) -> Bounds:
    """The smallest bounds holding both: the map only grows while the same dimensions
    are shown, so the field it draws (computed a moment ago) still covers the view."""
    return ((min(a[0][0], b[0][0]), max(a[0][1], b[0][1])),
            (min(a[1][0], b[1][0]), max(a[1][1], b[1][1])))


def grid_inputs(center: np.ndarray, dims: tuple[int, int], bounds: Bounds,
                n: int = GRID) -> np.ndarray:
    """(n*n, d_in) inputs: ``center`` with dims[0] swept over x and dims[1] over y,
    row by row from the top (largest y) down, as a texture is laid out."""
    xs = np.linspace(bounds[0][0], bounds[0][1], n)
    ys = np.linspace(bounds[1][1], bounds[1][0], n)
    grid = np.repeat(np.asarray(center, dtype=np.float32)[None, :], n * n, axis=0)
    grid[:, dims[0]] = np.tile(xs, n)
    grid[:, dims[1]] = np.repeat(ys, n)
    return grid


def field_colours(outputs: np.ndarray, colour_by: int | None,
                  bookmarks: np.ndarray | None) -> np.ndarray:
    """RGB (n, 3): by latent axis ``colour_by``, or (None) by the nearest of the
    ``bookmarks`` (k, d_out)."""
    if colour_by is None:
        distances = np.linalg.norm(outputs[:, None, :] - bookmarks[None, :, :], axis=2)
        return category_colours(np.argmin(distances, axis=1))
    return colour_map(outputs[:, colour_by])


def collect_bookmarks(nodes: Sequence[Any], size: int) -> tuple[list[str], np.ndarray | None]:
    """Names and latent vectors from every node with ``bookmarks()``, keeping those of
    ``size`` values."""
    names, points = [], []
    for node in nodes:
        method = getattr(node, "bookmarks", None)
        if not callable(method):
            continue
        try:
            marks: Mapping[str, Sequence[float]] = method()
        except Exception:  # a node's bug must not stop the editor
            continue
        for name, vector in marks.items():
            vector = np.asarray(vector, dtype=np.float32).ravel()
            if vector.size == size:
                names.append(str(name))
                points.append(vector)
    return names, (np.stack(points) if points else None)


@dataclass(frozen=True)
class MapRequest:
    node_id: str
    predict: Callable[[np.ndarray], np.ndarray]
    center: np.ndarray
    dims: tuple[int, int]
    bounds: Bounds
    colour_by: int | None
    bookmarks: np.ndarray | None


def compute_field(request: MapRequest) -> np.ndarray:
    """The map's texture (GRID*GRID*3 float32 RGB) for ``request`` (worker thread)."""
    outputs = np.asarray(request.predict(grid_inputs(request.center, request.dims,
                                                     request.bounds)), dtype=np.float32)
    return field_colours(outputs, request.colour_by, request.bookmarks).ravel()


class LatentMap:
    """The latent map view inside ``parent``."""

    def __init__(self, app: EditorApp, parent: int | str) -> None:
        self.app = app
        self.message = ""
        self.node_id: str | None = None
        self.shown_request: MapRequest | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="nodegraph-latent-map")
        self._in_flight: tuple[MapRequest, Future] | None = None
        #: (regressor, x dim, y dim) shown, and the bounds shown for them so far
        self._view: tuple[str, int, int] | None = None
        self._bounds: Bounds = ((0.0, 1.0), (0.0, 1.0))
        with dpg.texture_registry():
            self.texture = dpg.add_raw_texture(GRID, GRID, np.zeros(GRID * GRID * 3, np.float32),
                                               format=dpg.mvFormat_Float_rgb)
        with dpg.group(parent=parent, tag="ng/map"):
            with dpg.group(horizontal=True):
                self.node_combo = dpg.add_combo([], width=110, tag="ng/map/node")
                self.x_combo = dpg.add_combo([], width=90, tag="ng/map/x")
                self.y_combo = dpg.add_combo([], width=90, tag="ng/map/y")
            self.colour_combo = dpg.add_combo([], width=200, tag="ng/map/colour")
            self.text = dpg.add_text("", color=DIM_TEXT, wrap=300, tag="ng/map/message")
            with dpg.plot(height=-1, width=-1, no_menus=True, no_box_select=True, no_title=True,
                          tag="ng/map/plot"):
                self.x_axis = dpg.add_plot_axis(dpg.mvXAxis, label="x")
                self.y_axis = dpg.add_plot_axis(dpg.mvYAxis, label="y")
                self.image = dpg.add_image_series(self.texture, (0.0, 0.0), (1.0, 1.0),
                                                  parent=self.y_axis)
                self.examples = dpg.add_scatter_series([], [], parent=self.y_axis, label="examples")
                self.live = dpg.add_scatter_series([], [], parent=self.y_axis, label="live input")
            self.legend = dpg.add_group()
        dpg.bind_item_theme(self.examples, marker_theme((255, 255, 255), 3.0))
        dpg.bind_item_theme(self.live, marker_theme((255, 60, 60), 7.0))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _say(self, message: str) -> None:
        if message != self.message:
            self.message = message
            dpg.set_value(self.text, message)

    @staticmethod
    def _choose(combo: int | str, items: list[str], default: int) -> int:
        """Keep a combo's items current; the index chosen (``default`` if none)."""
        if dpg.get_item_configuration(combo)["items"] != items:
            dpg.configure_item(combo, items=items)
        value = dpg.get_value(combo)
        if value not in items:
            value = items[min(default, len(items) - 1)]
            dpg.set_value(combo, value)
        return items.index(value)

    def update_live(self) -> None:
        """Refresh the points, take a finished field, start the next one."""
        self._take_result()
        engine = self.app.engine
        graph = engine.graph
        runtime = {i: engine.runtime.get(i) for i in graph.order}
        regressors = [i for i, rn in runtime.items() if rn is not None and is_regressor(rn.node)]
        if not regressors:
            self.node_id = None
            self._say("No regress node in this patch: the map shows what a trained regressor "
                      "(predict + examples) does.")
            dpg.configure_item(self.image, show=False)
            return
        self.node_id = regressors[self._choose(self.node_combo, regressors, 0)]
        rn = runtime[self.node_id]
        inlet = next((p.name for p in rn.node.inlets if p.type == VECTOR and p.hot), None)
        live = rn.inputs.values.get(inlet) if inlet else None
        live = np.asarray(live, dtype=np.float32).ravel() if live is not None else None
        try:
            *_, inputs, outputs = rn.node.examples()  # regress also gives the ids first
        except Exception as exc:
            self._say(f"{self.node_id}: examples() failed: {exc}")
            return
        inputs, outputs = as_table(inputs), as_table(outputs)
        d_in = live.size if live is not None else inputs.shape[1]
        if len(inputs) == 0:
            inputs = np.zeros((0, d_in), np.float32)
        if d_in < 2 or inputs.shape[1] != d_in:
            self._say(f"{self.node_id}: waiting for input (needs 2 or more dimensions)")
            return
        in_labels = self._labels(self.node_id, inlet, d_in, "in")
        x = self._choose(self.x_combo, in_labels, 0)
        y = self._choose(self.y_combo, in_labels, 1)
        if x == y:
            self._say("choose two different input dimensions")
            return
        dpg.set_item_label(self.x_axis, in_labels[x])
        dpg.set_item_label(self.y_axis, in_labels[y])
        center = live if live is not None else (inputs.mean(axis=0) if len(inputs)
                                                else np.zeros(d_in, np.float32))
        bounds = map_bounds(inputs[:, [x, y]], None if live is None else live[[x, y]])
        if self._view == (self.node_id, x, y):
            bounds = union_bounds(self._bounds, bounds)
        self._view, self._bounds = (self.node_id, x, y), bounds
        self._show_points(inputs, live, x, y, bounds)
        self._request(rn, center, (x, y), bounds, outputs.shape[1] if len(outputs) else None)

    def _labels(self, node_id: str, inlet: str | None, size: int, prefix: str) -> list[str]:
        info = self.app.engine.graph.arriving(node_id, inlet) if inlet else None
        if info is not None and info.labels and len(info.labels) == size:
            return list(info.labels)
        return [f"{prefix} {i}" for i in range(size)]

    def _show_points(self, inputs: np.ndarray, live: np.ndarray | None, x: int, y: int,
                     bounds: Bounds) -> None:
        dpg.set_value(self.examples, [inputs[:, x].tolist(), inputs[:, y].tolist()])
        dpg.set_value(self.live, [[float(live[x])], [float(live[y])]] if live is not None
                      else [[], []])
        dpg.set_axis_limits(self.x_axis, *bounds[0])
        dpg.set_axis_limits(self.y_axis, *bounds[1])

    def _request(self, rn: Any, center: np.ndarray, dims: tuple[int, int], bounds: Bounds,
                 d_out: int | None) -> None:
        outlet_info = self.app.engine.graph.port_infos.get(self.node_id, {})
        vector_out = next((p.name for p in rn.node.outlets if p.type == VECTOR), None)
        size = d_out or (outlet_info[vector_out].size if vector_out in outlet_info else None)
        if not size:
            self._say(f"{self.node_id}: no examples yet: record some, then train")
            return
        running = list(self.app.engine.runtime.values())  # one atomic copy: edits swap nodes
        names, marks = collect_bookmarks([r.node for r in running], size)
        choices = [f"colour by latent {i}" for i in range(size)]
        if marks is not None:
            choices.append(BOOKMARK_CHOICE)
        chosen = self._choose(self.colour_combo, choices, 0)
        by_bookmark = choices[chosen] == BOOKMARK_CHOICE
        self._show_legend(names if by_bookmark else [])
        if self._in_flight is None:
            request = MapRequest(self.node_id, rn.node.predict, center, dims, bounds,
                                 None if by_bookmark else chosen, marks if by_bookmark else None)
            self._in_flight = request, self._executor.submit(compute_field, request)

    def _take_result(self) -> None:
        if self._in_flight is None or not self._in_flight[1].done():
            return
        (request, future), self._in_flight = self._in_flight, None
        try:
            colours = future.result()
        except Exception as exc:  # e.g. predict before the first training
            self._say(f"{request.node_id}: predict failed: {type(exc).__name__}: {exc}")
            dpg.configure_item(self.image, show=False)
            return
        dpg.set_value(self.texture, colours)
        (x0, x1), (y0, y1) = request.bounds
        dpg.configure_item(self.image, show=True, bounds_min=(x0, y0), bounds_max=(x1, y1))
        self.shown_request = request
        self._say(f"{request.node_id}: predicted latent over a {GRID}x{GRID} grid")

    def _show_legend(self, names: list[str]) -> None:
        shown = dpg.get_item_user_data(self.legend)
        if shown == names:
            return
        dpg.delete_item(self.legend, children_only=True)
        dpg.set_item_user_data(self.legend, names)
        for i, name in enumerate(names):
            colour = tuple(int(255 * c) for c in CATEGORY_COLOURS[i % len(CATEGORY_COLOURS)])
            dpg.add_text(f"* {name}", color=colour, parent=self.legend)
