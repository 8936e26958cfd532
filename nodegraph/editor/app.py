"""The editor window and its loop.

Threads (docs/architecture.md: never block the GUI on the engine, nor the engine on the GUI):

- **GUI thread** (the caller of :meth:`EditorApp.run`): renders frames and runs every
  DearPyGui callback. The app uses ``manual_callback_management=True`` (docs/architecture.md,
  "DearPyGui": otherwise callbacks run on a DearPyGui worker thread), so callbacks run between
  frames on this thread and DearPyGui items are only touched here. It reads the
  engine without waiting: ``engine.graph`` (replaced whole on each edit), the
  ``RuntimeNode`` stats and ``last_out`` values, ``node.report()``.
- **Engine thread** (:mod:`.worker`): every engine call that can wait (edits, undo,
  save, play/stop, opening a patch) runs there, in order.
- **Control thread** (the engine's own): the graph keeps ticking whatever the GUI does.
- **Latent map thread**: grid predictions.

Live readouts refresh :data:`LIVE_HZ` times a second; frames are capped at
:data:`MAX_FPS` so the GUI leaves CPU to the graph.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import dearpygui.dearpygui as dpg

from ..controls import Control, ControlSpec
from ..engine import Engine
from ..errors import PatchError
from ..patch import Patch
from .actions import Actions
from .canvas import Canvas
from .shortcuts import Shortcuts
from .files import PatchFiles
from .latent_map import LatentMap
from .loop import LoopSurface
from .menus import Menus
from .palette import Palette
from .panel import Panel
from .previews import FramePreviews
from .status import Status
from .theme import Themes
from .worker import EngineWorker, Job

log = logging.getLogger("nodegraph.editor")

MAX_FPS = 60.0
LIVE_HZ = 15.0
MAP_HZ = 4.0
TITLE_HZ = 2.0
WINDOW_W, WINDOW_H = 1440, 860
#: Width of the side panel (performance panel, latent map).
SIDE_W = 380
STATUS_H = 26


@lru_cache(maxsize=4096)
def _arity(fn: Callable) -> int:
    try:
        return len(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return 3


class EditorApp:
    """One editor window over one engine (replaced when another patch is opened)."""

    def __init__(self, engine: Engine) -> None:
        """Open ``engine`` (its nodes acquire devices and models before the window
        appears) and build the window; :meth:`run` plays it."""
        engine.open()
        self.engine = engine
        self.worker = EngineWorker()
        self.actions = Actions(self)
        self.files = PatchFiles(self)
        self.presentation = False
        #: OSC control of the open patch (``nodegraph edit --control``), or None
        self.control: Control | None = None
        #: set by quit(); the loop ends after the current frame
        self.quitting = False
        self._next = {"live": 0.0, "map": 0.0, "title": 0.0}
        dpg.create_context()
        dpg.configure_app(manual_callback_management=True)
        self.themes = Themes.create()
        self.previews = FramePreviews()
        with dpg.window(tag="ng/main", no_scrollbar=True) as self.main:
            self.menus = Menus(self, self.main)
            with dpg.group(horizontal=True):
                with dpg.child_window(tag="ng/canvas-area", width=-SIDE_W, height=-STATUS_H,
                                      border=False) as self.canvas_area:
                    self.canvas = Canvas(self, self.canvas_area)
                with dpg.child_window(tag="ng/side", width=-1, height=-STATUS_H) as self.side:
                    with dpg.tab_bar(tag="ng/tabs") as self.tabs:
                        with dpg.tab(label="Perform", tag="ng/tab/perform") as perform:
                            self.loop = LoopSurface(self, perform)
                            self.panel = Panel(self, perform)
                        with dpg.tab(label="Latent map", tag="ng/tab/map") as self.map_tab:
                            self.latent_map = LatentMap(self, self.map_tab)
            self.status = Status(self.main)
        self.palette = Palette(self)
        self.shortcuts = Shortcuts(self)
        with dpg.handler_registry():
            dpg.add_mouse_click_handler(button=dpg.mvMouseButton_Left, callback=self._pressed,
                                        tag="ng/mouse/press")
            dpg.add_mouse_release_handler(button=dpg.mvMouseButton_Left, tag="ng/mouse/release",
                                          callback=self._released)
            dpg.add_mouse_double_click_handler(button=dpg.mvMouseButton_Left,
                                               callback=self._double_clicked, tag="ng/mouse/double")
        dpg.create_viewport(title="nodegraph", width=WINDOW_W, height=WINDOW_H, disable_close=True)
        dpg.set_exit_callback(lambda: self.files.request_close())
        dpg.setup_dearpygui()
        dpg.show_viewport()
        dpg.set_primary_window(self.main, True)

    # -- the loop ------------------------------------------------------------------------

    def step(self) -> None:
        """One frame: callbacks, finished engine jobs, redraw what changed, render."""
        started = time.perf_counter()
        self.run_callbacks(dpg.get_callback_queue())
        self.worker.poll()
        self.canvas.sync()
        self.panel.sync()
        self.loop.sync()
        self.loop.update()
        now = time.monotonic()
        if now >= self._next["live"]:
            self._next["live"] = now + 1.0 / LIVE_HZ
            self.canvas.update_live()
            self.panel.update_live()
            self.loop.update_live()
            playing = self.actions.playing
            self.menus.show_playing(playing)
            self.status.update(playing, self.engine.scheduler.ticks, self.engine.can_undo,
                               self.engine.can_redo)
        if now >= self._next["map"]:
            self._next["map"] = now + 1.0 / MAP_HZ
            if dpg.get_value(self.tabs) == self.map_tab:
                self.latent_map.update_live()
        if now >= self._next["title"]:
            self._next["title"] = now + 1.0 / TITLE_HZ
            self.files.update_title()
        dpg.render_dearpygui_frame()
        rest = 1.0 / MAX_FPS - (time.perf_counter() - started)
        if rest > 0:
            time.sleep(rest)

    def run_callbacks(self, jobs: list | None) -> None:
        """Run queued DearPyGui callbacks ``(fn, sender, app_data, user_data)``; a
        failing one is reported, never fatal."""
        for job in jobs or ():
            fn = job[0]
            if fn is None:
                continue
            try:
                fn(*job[1:1 + _arity(fn)])
            except Exception as exc:
                log.exception("editor callback failed")
                self.status.error(f"internal error: {type(exc).__name__}: {exc}")

    def run(self, quit_after: float | None = None, screenshot: Path | None = None) -> None:
        """Play the graph and render until the window closes, or for ``quit_after``
        seconds and then save ``screenshot`` (PNG) if given."""
        self.actions.play()
        started = time.monotonic()
        while dpg.is_dearpygui_running() and not self.quitting:
            self.step()
            if quit_after is not None and time.monotonic() - started >= quit_after:
                if screenshot is not None:
                    self.screenshot(screenshot)
                break

    def run_until(self, done: Callable[[], bool], timeout: float = 10.0) -> None:
        """Render frames until ``done()``; TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError("the editor did not get there in time")
            self.step()

    def settle(self, job: Job | None = None, timeout: float = 10.0) -> None:
        """Render until ``job`` (default: every submitted job) is done and shown."""
        if job is None:
            self.run_until(lambda: not self.worker.busy, timeout)
        else:
            self.run_until(lambda: job.done, timeout)
        self.step()

    def screenshot(self, path: Path, timeout: float = 10.0) -> Path:
        """Save the window as PNG (``dpg.output_frame_buffer``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        for _ in range(3):  # let changes made just before (a tab switch) reach the screen
            self.step()
        dpg.output_frame_buffer(str(path))
        self.run_until(lambda: path.exists() and path.stat().st_size > 0, timeout)
        self.step()  # the file is complete once the frame after it was written ends
        return path

    # -- window --------------------------------------------------------------------------

    def _pressed(self) -> None:
        self.actions.gesture += 1

    def _released(self) -> None:
        self.canvas.commit_moves()
        self.show_engine_values()  # a widget let go shows the engine's value again

    def show_engine_values(self) -> None:
        """Redraw every param widget from the engine on the next frame (after a refused
        edit, a widget still shows what the user tried)."""
        self.canvas.drawn_graph = None
        self.panel.drawn_graph = None

    def _double_clicked(self) -> None:
        if dpg.is_item_hovered(self.canvas.editor) and not self.presentation \
                and not self.canvas.node_hovered():
            self.palette.open()

    def show_tab(self, name: str) -> None:
        """Bring a side tab to the front: "perform" or "map"."""
        dpg.set_value(self.tabs, f"ng/tab/{name}")

    def toggle_presentation(self) -> None:
        """Presentation mode: the side panel fills the window; the canvas hides."""
        self.presentation = not self.presentation
        dpg.configure_item(self.canvas_area, show=not self.presentation)
        self.loop.set_large(self.presentation)

    def quit(self) -> None:
        self.quitting = True

    def close(self) -> None:
        """Finish engine jobs, close the engine and the window."""
        self.latent_map.close()
        self.worker.close()
        self.engine.close()
        dpg.destroy_context()

    # -- opening another patch -----------------------------------------------------------

    def load(self, path: Path | None) -> Job:
        """Replace the open patch with ``path`` (a new patch if None or not a file)."""
        old, registry = self.engine, self.engine.registry

        def swap() -> Engine:
            if path is not None and path.exists():
                new = Engine.load(path, registry=registry)
            else:
                new = Engine(Patch(path=path), registry)
            if new.data_root != old.data_root:
                new.claim_data()  # held by another process: the open patch stays open
            old.close()
            new.start()
            return new

        def swapped(job: Job) -> None:
            if isinstance(job.error, PatchError):
                self.status.error(" | ".join(str(p) for p in job.error.problems))
                return
            if job.error is not None:
                self.status.error(f"could not open {path}: {job.error}")
                return
            self.engine = job.result
            if self.control is not None:
                self.control.engine = self.engine
            self.canvas.clear()
            if path is not None:
                self.files.recent.add(path)
                self.menus.refresh_recent()
            self.status.info(f"opened {path or 'a new patch'}")

        return self.worker.submit(f"open {path}", swap, swapped)


def open_engine(path: Path | None) -> Engine:
    """The engine for ``nodegraph edit PATH``: the patch, or a new one to be saved
    there when the file does not exist. Raises PatchError for a broken patch."""
    if path is not None and path.exists():
        return Engine.load(path)
    return Engine(Patch(path=path))


def edit(engine: Engine, screenshot: Path | None = None, quit_after: float | None = None,
         control: ControlSpec | None = None) -> int:
    """Edit ``engine``'s patch in a window, playing it; returns an exit status.
    ``control``: a control surface to drive the patch as well (``--control``,
    :mod:`nodegraph.controls`); an OSError when it cannot start (a port in use),
    before the window opens."""
    osc = control.open(engine) if control is not None else None
    try:
        app = EditorApp(engine)
    except BaseException:
        if osc is not None:
            osc.close()
        raise
    app.control = osc
    if engine.patch.path is not None:
        app.files.recent.add(engine.patch.path)
        app.menus.refresh_recent()
    try:
        app.run(quit_after, screenshot)
    finally:
        if osc is not None:
            osc.close()
        app.close()
    return 0
