"""Editor scenarios: each runs the real editor in this process and writes a JSON result.

Run by ``editor_helpers.run_scenario`` as ``python editor_scenarios.py NAME TMP OUT``
with DISPLAY set (one DearPyGui context per process). A scenario drives the editor
only through its actions (``app.actions``, ``app.files``, ``app.shortcuts``)
and through the callbacks DearPyGui would run for a user's gesture on an item
(:func:`operate`); it reports what the engine and the window show, and the test
asserts on that.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg
import numpy as np

from nodegraph.edits import AddNode, Move, SetParam
from nodegraph.engine import Engine
from nodegraph.patch import Link, dump_patch
from nodegraph.editor.app import EditorApp
from nodegraph.editor.canvas import link_tag, node_tag, port_tag

import editor_helpers

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "patches" / "demo.yaml"

#: A patch with the editor's test nodes: camera → landmarks → regress → meter.
PERFORM = """\
format: nodegraph/1
description: Editor test patch (test nodes standing in for camera, facemesh, regress, audio).
nodes:
  cam: {type: t-face}
  face: {type: t-marks}
  explore: {type: t-bookmarks}
  map: {type: t-regress}
  out: {type: t-meter}
links:
  - cam.frame -> face.frame
  - face.features -> map.input
  - explore.latent -> map.target
  - map.output -> out.latent
layout:
  cam: [20, 20]
  face: [240, 20]
  explore: [240, 260]
  map: [480, 20]
  out: [760, 20]
"""


def open_app(tmp: Path, text: str | None = None) -> EditorApp:
    """The editor on a copy of the demo patch (or ``text``) saved in ``tmp``."""
    path = tmp / "patch.yaml"
    if text is None:
        shutil.copy(DEMO, path)
    else:
        path.write_text(text)
    app = EditorApp(Engine.load(path, registry=editor_helpers.registry()))
    app.settle(app.actions.play())
    return app


def operate(app: EditorApp, tag: str, value: Any = None) -> None:
    """What DearPyGui does when a user operates item ``tag``: store the new value
    (if any) and run the item's callback with (sender, app_data, user_data)."""
    if value is not None:
        dpg.set_value(tag, value)
    fire(app, tag, value)


def fire(app: EditorApp, tag: str, app_data: Any = None) -> None:
    """Run item ``tag``'s callback as DearPyGui does, with ``app_data``."""
    app.run_callbacks([(dpg.get_item_callback(tag), tag, app_data, dpg.get_item_user_data(tag))])


def render_for(app: EditorApp, seconds: float) -> int:
    frames, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        app.step()
        frames += 1
    return frames


def render_until(app: EditorApp, done: Callable[[int], bool], timeout: float = 30.0) -> int:
    """Render frames until ``done(frames rendered so far)``; the frame count. TimeoutError
    after ``timeout`` seconds: wait on what happens, not for a time."""
    frames, deadline = 0, time.monotonic() + timeout
    while not done(frames):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the editor did not get there in {timeout} s")
        app.step()
        frames += 1
    return frames


def drawn(app: EditorApp) -> dict[str, Any]:
    """What the window shows of the patch: node items, their positions, link items."""
    patch = app.engine.patch
    return {
        "nodes": sorted(n for n in patch.nodes if dpg.does_item_exist(node_tag(n))),
        "node_items": len(app.canvas.nodes),
        "links": sorted(str(link) for link in patch.links if dpg.does_item_exist(link_tag(link))),
        "link_items": len(app.canvas.links),
        "positions": {n: list(dpg.get_item_pos(node_tag(n))) for n in patch.layout
                      if dpg.does_item_exist(node_tag(n))},
    }


# -- scenarios ------------------------------------------------------------------------------


def draw(tmp: Path) -> dict[str, Any]:
    """Load the demo, let it play while rendering, take a screenshot."""
    app = open_app(tmp)
    show = app.engine.runtime["show"].node
    ticks_before, count_before = app.engine.scheduler.ticks, show.count
    frames = render_until(app, lambda n: n > 10 and show.count >= count_before + 3)
    ticks_after, count_after = app.engine.scheduler.ticks, show.count
    app.show_tab("map")
    render_until(app, lambda n: app.latent_map.message != "")
    map_message = app.latent_map.message
    app.show_tab("perform")
    shot = app.screenshot(tmp / "draw.png")
    result = {
        **drawn(app), "patch_links": sorted(map(str, app.engine.patch.links)),
        "frames": frames, "ticks": [ticks_before, ticks_after],
        "printed": [count_before, count_after],
        "status": {n: rn.status for n, rn in app.engine.runtime.items()},
        "readout_widen": dpg.get_value(app.canvas.nodes["widen"].readouts["out"].text),
        "map_message": map_message, "screenshot": str(shot),
    }
    app.close()
    return result


def undo(tmp: Path) -> dict[str, Any]:
    """Every kind of edit through the editor, then Ctrl+Z back to the start and
    Ctrl+Shift+Z forward again; the canvas is compared with the patch at each step."""
    app = open_app(tmp)
    texts = [dump_patch(app.engine.patch)]
    views = [drawn(app)]

    def record() -> None:
        app.settle()
        texts.append(dump_patch(app.engine.patch))
        views.append(drawn(app))

    app.palette.open((620, 260))                     # add a node by typing, as in Max
    operate(app, "ng/palette/query", "pri")
    app.shortcuts.press(dpg.mvKey_Return)
    record()
    operate(app, "ng/editor", (dpg.get_alias_id(port_tag("widen", "out", "out")),
                               dpg.get_alias_id(port_tag("print", "in", "in"))))
    record()
    operate(app, "ng/mouse/press")                   # one drag of a slider: one undo step
    for value in (1.5, 2.0, 3.0):
        operate(app, "ng/param/widen/out_hi", value)
        app.step()
    record()
    operate(app, "ng/param/point/value/1", 0.9)      # one component of a vector param
    record()
    dpg.set_item_pos(node_tag("point"), (60, 330))   # a node dragged, then the mouse let go
    operate(app, "ng/mouse/release")
    record()
    app.actions.duplicate(["point", "widen"])
    record()
    link = dpg.get_alias_id(link_tag(Link("point", "out", "widen", "in")))
    app.run_callbacks([(dpg.get_item_configuration("ng/editor")["delink_callback"],
                        "ng/editor", link, None)])  # Ctrl+click detaching a link
    record()
    app.actions.delete(["show"])
    record()
    merged_steps = len(texts) - 1

    undone = []
    for _ in range(merged_steps):
        assert app.shortcuts.press(dpg.mvKey_Z, ctrl=True) == "undo"
        app.settle()
        undone.append((dump_patch(app.engine.patch), drawn(app)))
    redone = []
    for _ in range(merged_steps):
        assert app.shortcuts.press(dpg.mvKey_Z, ctrl=True, shift=True) == "redo"
        app.settle()
        redone.append((dump_patch(app.engine.patch), drawn(app)))
    result = {"texts": texts, "views": views, "undone": undone, "redone": redone,
              "can_undo_after_redo": app.engine.can_undo,
              "runtime_after_redo": sorted(app.engine.runtime)}
    app.close()
    return result


def refused(tmp: Path) -> dict[str, Any]:
    """Links the engine refuses: nothing changes and the status bar says why."""
    app = open_app(tmp)
    before = dump_patch(app.engine.patch)
    links_before = len(app.canvas.links)
    attempts = {}
    for name, src, dst in (("bang->vector", port_tag("clock", "bang", "out"),
                            port_tag("widen", "in", "in")),
                           ("duplicate", port_tag("point", "out", "out"),
                            port_tag("widen", "in", "in")),
                           ("inlet->inlet", port_tag("widen", "in", "in"),
                            port_tag("show", "in", "in"))):
        operate(app, "ng/editor", (dpg.get_alias_id(src), dpg.get_alias_id(dst)))
        app.settle()
        attempts[name] = {"status": dpg.get_value("ng/status/message"),
                          "is_error": app.status.is_error,
                          "text_unchanged": dump_patch(app.engine.patch) == before,
                          "link_items": len(app.canvas.links)}
    operate(app, "ng/mouse/press")
    operate(app, "ng/param/widen/in_hi", 0.0)        # in_lo is 0: the scale node refuses
    app.settle()
    operate(app, "ng/mouse/release")
    app.step()
    param = {"status": app.status.message, "widget": dpg.get_value("ng/param/widen/in_hi"),
             "panel_widget": dpg.get_value("ng/panel/param/widen/in_hi"),
             "text_unchanged": dump_patch(app.engine.patch) == before}
    result = {"attempts": attempts, "links_before": links_before, "param": param,
              "can_undo": app.engine.can_undo}
    app.close()
    return result


#: The edits the save scenario makes, as engine commands (for the reference save).
SAVE_EDITS = [AddNode("metro", "metro", {}, (500, 300)), SetParam("widen", "out_hi", 4.0),
              Move("show", (420, 260))]


def save(tmp: Path) -> dict[str, Any]:
    """Edit, Ctrl+S, Save as, the dirty marker; the unsaved-work prompt when the window
    is closed (as a window manager closes it) and when another patch is opened."""
    app = open_app(tmp)
    titles = [app.files.title()]
    app.actions.add_node("metro", (500, 300))
    app.settle()
    operate(app, "ng/param/widen/out_hi", 4.0)
    dpg.set_item_pos(node_tag("show"), (420, 260))
    operate(app, "ng/mouse/release")
    app.settle()
    titles.append(app.files.title())
    assert app.shortcuts.press(dpg.mvKey_S, ctrl=True) == "save"
    app.settle()
    titles.append(app.files.title())
    saved = (tmp / "patch.yaml").read_text()
    app.settle(app.files.save_as(tmp / "copy.yaml"))
    copy = (tmp / "copy.yaml").read_text()
    recent = app.files.recent.list()

    app.actions.add_node("print")                    # unsaved again, then close the window
    app.settle()

    def close_window() -> None:
        editor_helpers.press_close_button(os.environ["DISPLAY"], " - nodegraph")
        app.run_until(lambda: dpg.does_item_exist("ng/prompt"), 10)

    close_window()
    prompt_shown = dpg.does_item_exist("ng/prompt")
    operate(app, "ng/prompt/cancel")
    app.step()
    cancelled_keeps_running = dpg.is_dearpygui_running() and not dpg.does_item_exist("ng/prompt")

    other = tmp / "other.yaml"                       # File > Open with unsaved changes
    other.write_text("format: nodegraph/1\nnodes:\n  tick: {type: metro}\n"
                     "  count: {type: print, params: {quiet: true}}\nlinks:\n"
                     "  - tick.bang -> count.in\n")
    app.files.open(other)
    app.step()
    operate(app, "ng/prompt/discard")
    app.settle()
    app.run_until(lambda: app.engine.runtime["count"].node.count > 0, 10)
    opened = {**drawn(app), "title": app.files.title(), "recent": app.files.recent.list()[0]}

    app.actions.add_node("print")
    app.settle()
    close_window()
    operate(app, "ng/prompt/discard")
    quit_after_discard = app.quitting
    result = {"titles": titles, "saved": saved, "copy": copy, "recent": recent,
              "prompt_shown": prompt_shown, "cancelled_keeps_running": cancelled_keeps_running,
              "quit_after_discard": quit_after_discard, "opened": opened,
              "file_after_discard": (tmp / "copy.yaml").read_text()}
    app.close()
    return result


def perform(tmp: Path) -> dict[str, Any]:
    """The performance panel and the latent map on the test chain."""
    app = open_app(tmp, PERFORM)
    app.run_until(lambda: ("cam", "frame") in app.previews.shapes, 15)
    reg = app.engine.runtime["map"].node
    examples_before = len(reg.examples()[0])
    app.run_until(lambda: app.engine.runtime["map"].inputs.values["input"] is not None, 10)
    operate(app, "ng/panel/control/map/record")      # the panel's buttons send bangs
    operate(app, "ng/panel/control/map/train")
    operate(app, "ng/panel/control/map/run", True)   # a toggle sends 1
    app.run_until(lambda: dpg.does_item_exist("ng/panel/report/map/examples")
                  and dpg.get_value("ng/panel/report/map/examples") == "examples: 4", 10)
    app.run_until(lambda: dpg.get_value("ng/panel/report/map/progress") == 1.0, 10)
    app.run_until(lambda: app.engine.runtime["map"].calls > 0
                  and "output" in app.engine.runtime["map"].last_out, 10)
    panel = {key: dpg.get_value(f"ng/panel/report/{node}/{key}")
             for node, key in (("map", "examples"), ("map", "progress"), ("out", "level_db"),
                               ("out", "underruns"), ("out", "latency_ms"))}
    panel["loss_curve_points"] = len(dpg.get_value("ng/panel/report/map/loss_history"))
    panel["explore_sliders"] = [dpg.does_item_exist(f"ng/panel/param/explore/point/{i}")
                                for i in range(3)]
    operate(app, "ng/panel/param/explore/point/2", 1.5)   # a latent slider edits the param
    app.settle()
    panel["explore_point"] = app.engine.patch.nodes["explore"].params.get("point")
    shot_panel = app.screenshot(tmp / "perform.png")

    operate(app, "ng/param/out/model/pick")              # a path param's file picker
    app.step()
    picker_shown = dpg.does_item_exist("ng/file-dialog")
    fire(app, "ng/file-dialog", {"file_path_name": str(tmp / "model.ts")})  # a file chosen
    app.settle()
    panel["model_param"] = app.engine.patch.nodes["out"].params.get("model")
    panel["picker_shown"] = picker_shown
    panel["picker_closed"] = not dpg.does_item_exist("ng/file-dialog")

    app.settle(app.actions.add_node("t-boom", (480, 300)))   # a node that raises
    app.actions.send("t-boom", "in", -1.0)
    app.run_until(lambda: dpg.get_value(app.canvas.nodes["t-boom"].status_text)
                  .startswith("error"), 10)
    view = app.canvas.nodes["t-boom"]
    failing = {"line": dpg.get_value(view.status_text), "hover": dpg.get_value(view.error_text),
               "others": {n: rn.status for n, rn in app.engine.runtime.items() if n != "t-boom"}}

    app.show_tab("map")
    app.run_until(lambda: app.latent_map.shown_request is not None, 15)
    first = app.latent_map.shown_request
    dpg.set_value("ng/map/colour", "nearest bookmark")
    app.run_until(lambda: app.latent_map.shown_request is not None
                  and app.latent_map.shown_request.colour_by is None, 15)
    by_bookmark = app.latent_map.shown_request
    render_for(app, 0.3)
    shot_map = app.screenshot(tmp / "map.png")
    result = {
        "examples": [examples_before, len(reg.examples()[0])], "panel": panel,
        "failing": failing,
        "map": {"message": app.latent_map.message, "node": app.latent_map.node_id,
                "dims": list(first.dims), "bounds": [list(b) for b in first.bounds],
                "colour_by": [first.colour_by, by_bookmark.colour_by],
                "bookmarks": None if by_bookmark.bookmarks is None
                else by_bookmark.bookmarks.tolist(),
                "live": app.engine.runtime["map"].inputs.values["input"].tolist()},
        "screenshots": [str(shot_panel), str(shot_map)],
    }
    app.close()
    return result


#: The demo chain spread out, so that no node covers another's pins.
SPACED = """\
format: nodegraph/1
nodes:
  clock: {type: metro, params: {interval_ms: 100}}
  point: {type: constant, params: {value: [0.25, 0.5, 0.75]}}
  widen: {type: scale, params: {out_lo: -1.0, out_hi: 1.0}}
  show: {type: print, params: {quiet: true}}
links:
  - clock.bang -> point.bang
  - point.out -> widen.in
layout:
  clock: [20, 20]
  point: [20, 260]
  widen: [300, 260]
  show: [600, 260]
"""


class User:
    """A user at the editor's window: real X mouse and keyboard events (XTEST), with
    frames rendered in between as a person's hand would leave time for."""

    def __init__(self, app: EditorApp) -> None:
        self.app = app
        self.input = editor_helpers.FakeInput(os.environ["DISPLAY"])
        self.origin = dpg.get_viewport_pos()

    def frames(self, n: int = 3) -> None:
        for _ in range(n):
            self.app.step()

    def screen(self, x: float, y: float) -> tuple[float, float]:
        return self.origin[0] + x, self.origin[1] + y

    def centre(self, tag: str) -> tuple[float, float]:
        (x0, y0), (x1, y1) = dpg.get_item_rect_min(tag), dpg.get_item_rect_max(tag)
        return self.screen((x0 + x1) / 2, (y0 + y1) / 2)

    def pin(self, node: str, port: str, direction: str) -> tuple[float, float]:
        """A port's pin: on the node's left edge (inlets) or right edge (outlets), level
        with the middle of the port's row (imnodes pads nodes by 8 pixels)."""
        state = dpg.get_item_state(node_tag(node))
        shown = [item for item in dpg.get_item_children(port_tag(node, port, direction), 1)
                 if "rect_min" in dpg.get_item_state(item)]
        top = dpg.get_item_rect_min(shown[0])[1]
        bottom = max(dpg.get_item_rect_max(item)[1] for item in shown)
        x = state["rect_min"][0] - 8 if direction == "in" else state["rect_max"][0] + 8
        return self.screen(x, (top + bottom) / 2)

    def title(self, node: str) -> tuple[float, float]:
        x, y = dpg.get_item_state(node_tag(node))["rect_min"]
        return self.screen(x + 20, y - 2)

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 8) -> None:
        self.input.move(*start)
        self.frames()
        self.input.button(True)
        self.frames()
        for i in range(1, steps + 1):
            self.input.move(start[0] + (end[0] - start[0]) * i / steps,
                            start[1] + (end[1] - start[1]) * i / steps)
            self.frames(1)
        self.frames()
        self.input.button(False)
        self.frames()
        self.app.settle()

    def click(self, at: tuple[float, float]) -> None:
        self.input.move(*at)
        self.frames()
        self.input.button(True)
        self.frames(2)
        self.input.button(False)
        self.frames()

    def keys(self, *names: str, ctrl: bool = False, shift: bool = False) -> None:
        held = [k for k, on in (("Control_L", ctrl), ("Shift_L", shift)) if on]
        for key in held:
            self.input.key(key, True)
        self.frames(1)
        for name in names:
            self.input.key(name, True)
            self.frames(1)
            self.input.key(name, False)
            self.frames(1)
        for key in reversed(held):
            self.input.key(key, False)
        self.frames()
        self.app.settle()


def real_input(tmp: Path) -> dict[str, Any]:
    """A user patches with the mouse and keyboard: real X events into the window."""
    app = open_app(tmp, SPACED)
    user = User(app)
    user.frames(10)
    steps: dict[str, Any] = {}

    def note(name: str) -> None:
        steps[name] = {"text": dump_patch(app.engine.patch), "status": app.status.message,
                       "nodes": list(app.engine.patch.nodes), **drawn(app)}

    user.drag(user.pin("widen", "out", "out"), user.pin("show", "in", "in"))
    note("link")
    user.drag(user.pin("clock", "bang", "out"), user.pin("widen", "in", "in"))
    note("refused")
    user.drag(user.title("show"), (user.title("show")[0] + 60, user.title("show")[1] + 100))
    note("move")
    user.click(user.centre("ng/param/show/label"))
    user.keys("a", "b", "BackSpace", "Delete", "n")  # typed into the field, not shortcuts
    steps["typing"] = {"field": dpg.get_value("ng/param/show/label"),
                       "nodes": list(app.engine.patch.nodes)}
    user.keys("Return")
    note("label")
    empty = user.screen(500, 700)  # a place on the canvas with no node
    user.click(empty)
    user.keys("z", ctrl=True)
    note("undo")
    user.keys("z", ctrl=True, shift=True)
    note("redo")
    start, end = user.pin("widen", "out", "out"), user.pin("show", "in", "in")
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)  # a link's curve passes here
    user.click(middle)
    steps["selected_links"] = [str(link) for link in app.canvas.selected_links()]
    user.keys("Delete")
    note("unlink")
    user.keys("z", ctrl=True)
    user.click(empty)
    user.input.key("Control_L", True)                 # Ctrl+drag a link's end away
    user.drag(middle, empty)
    user.input.key("Control_L", False)
    user.frames()
    note("detach")
    user.click(user.title("widen"))
    steps["selected"] = app.canvas.selected_nodes()
    user.keys("Delete")
    note("delete")
    user.input.move(*empty)
    user.keys("n")
    steps["palette"] = app.palette.shown
    user.keys("m", "e", "t", "r", "Return")  # "met" would rank meter first
    note("add")
    steps["mouse_grid"] = list(app.canvas.grid_position_at_mouse())
    user.keys("space")
    steps["playing_after_space"] = app.actions.playing
    user.keys("s", ctrl=True)
    steps["title"] = app.files.title()
    steps["saved"] = (tmp / "patch.yaml").read_text()
    user.input.close()
    app.close()
    return steps


#: The real vision and learning nodes: test face → facemesh → face-features → regress.
FACE_CHAIN = """\
format: nodegraph/1
description: Face to latent with the real nodes (the audio end joins when rave-decode lands).
nodes:
  cam: {type: camera, params: {source: test-face, fps: 15}}
  face: {type: facemesh}
  features: {type: face-features, params: {features: 'yaw, pitch, mouth_open'}}
  explorer: {type: latent-explorer, params: {size: 4}}
  map: {type: regress, params: {algorithm: knn}}
  smooth: {type: smooth}
links:
  - cam.frame -> face.frame
  - face.landmarks -> features.landmarks
  - features.features -> map.x
  - explorer.out -> map.target
  - map.out -> smooth.in
layout:
  cam: [20, 20]
  face: [250, 20]
  features: [480, 20]
  explorer: [250, 330]
  map: [720, 20]
  smooth: [720, 420]
"""


def face_chain(tmp: Path) -> dict[str, Any]:
    """The performance panel and latent map on the real camera, facemesh,
    face-features, latent-explorer and regress nodes: record, train, run."""
    app = open_app(tmp, FACE_CHAIN)
    runtime = app.engine.runtime
    app.run_until(lambda: "landmarks" in runtime["face"].last_out
                  and "features" in runtime["features"].last_out, 30)
    render_for(app, 0.3)
    landmarks_overlaid = len(dpg.get_value(app.panel.sections["cam"].previews[0].overlays[
        ("face", "landmarks")])[0])
    explorer, regress = runtime["explorer"].node, runtime["map"].node
    sliders = [dpg.does_item_exist(f"ng/panel/param/explorer/values/{i}") for i in range(5)]

    def pose(latent: list[float], name: str, takes: int) -> None:
        operate(app, "ng/mouse/press")
        for i, v in enumerate(latent):                     # the explorer's sliders
            operate(app, f"ng/panel/param/explorer/values/{i}", v)
        app.settle()
        operate(app, "ng/panel/control/explorer/bookmark", name)   # typed, then Enter
        for _ in range(takes):                           # the test face moves between takes
            render_for(app, 0.25)
            operate(app, "ng/panel/control/map/record")
        app.settle()

    pose([1.0, 0.0, 0.0, 0.0], "bright", 3)
    pose([-1.0, 0.5, 0.0, 0.0], "dark", 3)
    app.run_until(lambda: regress.report()["examples"] == 6, 10)
    operate(app, "ng/panel/control/map/train")
    app.run_until(lambda: regress.report()["trained"], 30)
    operate(app, "ng/panel/control/map/run", True)
    app.run_until(lambda: regress.report()["running"] and "out" in runtime["smooth"].last_out, 10)
    render_for(app, 0.5)
    report = regress.report()
    panel = {key: dpg.get_value(f"ng/panel/report/map/{key}")
             for key in ("examples", "progress", "trained", "running")}
    shot_panel = app.screenshot(tmp / "face-perform.png")

    app.show_tab("map")
    app.run_until(lambda: app.latent_map.shown_request is not None, 20)
    dpg.set_value("ng/map/colour", "nearest bookmark")
    app.run_until(lambda: app.latent_map.shown_request.colour_by is None, 20)
    render_for(app, 0.5)
    shot_map = app.screenshot(tmp / "face-latent-map.png")
    request = app.latent_map.shown_request
    result = {
        "landmarks_overlaid": landmarks_overlaid, "sliders": sliders,
        "explorer_values": app.engine.patch.nodes["explorer"].params.get("values"),
        "bookmarks": {k: v.tolist() for k, v in explorer.bookmarks().items()},
        "report": {k: report[k] for k in ("examples", "trained", "running", "progress")},
        "panel": panel, "smooth_out": runtime["smooth"].last_out["out"].tolist(),
        "map": {"message": app.latent_map.message, "node": request.node_id,
                "dims": list(request.dims), "bookmarks": request.bookmarks.tolist()},
        "statuses": {n: rn.status for n, rn in runtime.items()},
        "screenshots": [str(shot_panel), str(shot_map)],
    }
    app.close()
    return result


#: The loop on the real learning nodes; a metro re-sends the pose (a camera's rate).
LOOP = """\
format: nodegraph/1
nodes:
  tick: {type: metro, params: {interval_ms: 50}}
  pose: {type: constant, params: {value: [0.0, 0.0]}}
  explorer: {type: latent-explorer, params: {size: 4}}
  map: {type: regress, params: {algorithm: knn, k: 1}}
links:
  - tick.bang -> pose.bang
  - pose.out -> map.x
  - explorer.out -> map.target
layout:
  tick: [20, 20]
  pose: [20, 200]
  explorer: [20, 380]
  map: [300, 200]
"""


def loop(tmp: Path) -> dict[str, Any]:
    """A performer's whole loop from an empty dataset, with keys and the mouse only
    (real X events): randomize, bookmark, audition a bookmark, record three poses with a
    count-in, train, run, delete one example from the browser, retrain."""
    app = open_app(tmp, LOOP)
    user = User(app)
    runtime = app.engine.runtime
    explorer, regress = runtime["explorer"].node, runtime["map"].node
    user.frames(10)
    steps: dict[str, Any] = {"loop": [app.loop.learner, app.loop.chooser],
                             "params_shown": {n: dpg.is_item_shown(w.group) for n, w in
                                              app.panel.sections["map"].params.items()}}

    def settle_on(condition, timeout=20.0):
        app.run_until(condition, timeout)
        user.frames(6)

    def heard():
        return runtime["map"].last_out["out"].tolist()

    user.keys("d")
    settle_on(lambda: explorer.report()["values"] != [0.0] * 4)
    first = explorer.report()["values"]
    steps["sliders_follow"] = [dpg.get_value(f"ng/loop/axis/{i}") for i in range(4)]
    steps["first"] = first
    user.keys("b")
    user.keys("d")
    settle_on(lambda: explorer.report()["values"] != first)
    user.keys("b")
    settle_on(lambda: len(explorer.bookmarks()) == 2
              and dpg.does_item_exist("ng/loop/point/b2"))
    steps["bookmarks"] = list(explorer.bookmarks())
    user.click(user.centre("ng/loop/point/b1"))          # audition: heard at once
    settle_on(lambda: np.allclose(heard(), first, atol=1e-6))
    steps["auditioned"] = heard()
    user.keys("m", "m", "m")                              # one -> hold -> toggle -> count-in
    steps["mode"] = dpg.get_value("ng/loop/mode")
    dpg.set_value("ng/loop/count_in", 0.5)
    dpg.set_value("ng/loop/seconds", 0.4)
    targets = []
    for pose in ([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]):
        app.engine.do(SetParam("pose", "value", pose))   # the performer moves
        user.keys("d")
        settle_on(lambda: np.allclose(heard(), explorer.report()["values"], atol=1e-6))
        targets.append(explorer.report()["values"])
        before = regress.report()["examples"]
        user.keys("r")
        steps.setdefault("count_in_text", dpg.get_value("ng/loop/state"))
        settle_on(lambda: app.loop._timed is None and not regress.report()["recording"])
        steps.setdefault("per_round", []).append(regress.report()["examples"] - before)
    ids, _, recorded = regress.examples()
    steps["rounds"] = regress.report()["rounds"]
    steps["recorded_targets_match"] = all(
        any(np.allclose(y, t, atol=1e-6) for t in targets) for y in recorded)
    user.keys("t")
    settle_on(lambda: regress.report()["trained"])
    user.keys("p")
    settle_on(lambda: regress.report()["running"])
    app.engine.do(SetParam("pose", "value", [1.0, 0.0]))
    settle_on(lambda: np.allclose(heard(), targets[1], atol=1e-6))
    steps["running_plays_pose_2"] = True
    newest = ids[-1]
    settle_on(lambda: dpg.does_item_exist(f"ng/loop/delete/{newest}"))
    user.click(user.centre(f"ng/loop/delete/{newest}"))
    settle_on(lambda: newest not in regress.examples()[0])
    steps["after_delete"] = len(regress.examples()[0])
    steps["examples_before_delete"] = len(ids)
    trained_before = regress.report()["last_training"]
    user.keys("t")
    settle_on(lambda: not regress.report()["training"])
    steps["retrained"] = regress.report()["last_training"] is not None
    steps["state_text"] = dpg.get_value("ng/loop/state")
    steps["screenshot"] = str(app.screenshot(tmp / "loop.png"))
    user.keys("m")                                        # play-along over b1, b2
    steps["play_mode"] = dpg.get_value("ng/loop/mode")
    app.engine.do(SetParam("pose", "value", [5.0, 5.0]))
    rounds = regress.report()["rounds"]
    user.keys("r")
    settle_on(lambda: app.loop._timed is None and not regress.report()["recording"])
    ids_after, _, targets_after = regress.examples()
    new = [y for i, y in zip(ids_after, targets_after) if i not in ids]
    steps["play_along_rounds"] = regress.report()["rounds"] - rounds
    steps["play_along_targets"] = sorted({tuple(np.round(y, 5)) for y in new})
    steps["bookmark_points"] = sorted(tuple(np.round(v, 5)) for v in
                                      explorer.bookmarks().values())
    steps["trained_before"] = trained_before
    user.keys("e", ctrl=True)                             # presentation mode
    user.frames(6)
    steps["presentation_button"] = list(dpg.get_item_rect_size("ng/loop/record"))
    steps["presentation_shot"] = str(app.screenshot(tmp / "loop-presentation.png"))
    steps["statuses"] = {n: rn.status for n, rn in runtime.items()}
    user.input.close()
    app.close()
    return steps


SCENARIOS = {f.__name__: f for f in (draw, undo, refused, save, perform, real_input, face_chain,
                                      loop)}


def main() -> None:
    name, tmp, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    result = SCENARIOS[name](tmp)
    out.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
