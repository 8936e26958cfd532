"""The loop surface: the steering loop's controls, first and large, atop the Perform tab.

Shown when the patch has a node that learns by example (inlets ``record``,
``record_while``, ``train``, ``run``, ``delete`` and an ``examples()`` method: regress)
and, feeding its ``target``, a point chooser (inlets ``randomize``, ``bookmark``,
``recall``, ``point``; ``bookmarks()``, ``candidates()``: latent-explorer). Everything
goes through ``engine.send``, like the panel's buttons:

- **buttons** Randomize, Bookmark, Record, Train (Cancel while training), Run, Undo
  round, each with its key (twice as large in presentation mode); the example count and rounds, a training progress bar
  with the loss, and a count-in readout;
- **record modes**: ``one`` (one example), ``hold`` (records while the key is held;
  the button starts and stops), ``toggle`` (press to start, press to stop),
  ``count-in`` (counts ``count_in`` seconds down, then records for ``seconds``) and
  ``play-along`` (Wekinator's: each bookmark and candidate in turn is recalled, then
  after the count-in recorded for ``seconds`` while the performer follows it; one round
  each);
- **latent sliders** that follow the current point (after a randomize or a recall)
  and move one axis at a time (sending the whole point, so the others stay);
- **bookmarks and candidates** as buttons that audition on click (``recall``; while
  not running, regress plays the target at once);
- **examples** grouped by round, newest first (within a round too), each with audition (its target to the
  chooser's ``point``) and delete (``delete`` with its id).

Keys (not while a text field has the keyboard): D randomize, B bookmark (named b1,
b2...), R record (in the chosen mode; again stops a count-in), M the next record mode,
T train / cancel, P run on/off, U undo the last round, 1–9 audition the n-th bookmark
or candidate. GUI thread only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dearpygui.dearpygui as dpg
import numpy as np

from ..graph import Graph
from ..node import Node
from .theme import DIM_TEXT

if TYPE_CHECKING:
    from .app import EditorApp

LEARNER_INLETS = frozenset({"record", "record_while", "train", "run", "delete"})
CHOOSER_INLETS = frozenset({"randomize", "bookmark", "recall", "point"})
RECORD_MODES = ("one", "hold", "toggle", "count-in", "play-along")
BUTTON_W, BUTTON_H = 112, 40
#: Presentation mode (the panel fills the window): bigger buttons and sliders.
LARGE_BUTTON_W, LARGE_BUTTON_H = 240, 72
SLIDER_H, LARGE_SLIDER_H = 90, 180
#: Examples listed at most (newest rounds first); the rest are counted.
EXAMPLES_SHOWN = 120
BUTTONS_PER_ROW = 4
SLIDER_RANGE = 3.0

#: key → loop action (see the module docstring).
KEYS: dict[int, str] = {
    dpg.mvKey_D: "randomize", dpg.mvKey_B: "bookmark", dpg.mvKey_R: "record",
    dpg.mvKey_T: "train", dpg.mvKey_P: "run", dpg.mvKey_U: "undo_round",
    dpg.mvKey_M: "mode",
    **{getattr(dpg, f"mvKey_{n}"): f"audition_{n}" for n in range(1, 10)},
}


def is_learner(node: Node) -> bool:
    return LEARNER_INLETS <= {p.name for p in node.inlets} and hasattr(node, "examples")


def is_chooser(node: Node) -> bool:
    return CHOOSER_INLETS <= {p.name for p in node.inlets} and hasattr(node, "bookmarks")


def find_pair(graph: Graph) -> tuple[str | None, str | None]:
    """The learner the loop drives and the chooser feeding its ``target`` (or the first
    chooser in the patch)."""
    learner = next((i for i in graph.order if is_learner(graph.nodes[i])), None)
    choosers = [i for i in graph.order if is_chooser(graph.nodes[i])]
    feeding = [link.src for link in graph.converters
               if link.dst == learner and link.inlet == "target" and link.src in choosers]
    return learner, (feeding or choosers or [None])[0]


@dataclass
class _Schedule:
    """Timed recording under way: ``(monotonic seconds, action, bookmark)`` events in
    time order, action "recall", "on" (record_while 1) or "off" (record_while 0)."""

    events: list[tuple[float, str, str]]
    recording: bool = False
    #: the bookmark being played along with, and its place in the sequence
    playing: str = ""
    step: int = 0
    steps: int = 1


class LoopSurface:
    """The loop's controls inside ``parent``; rebuilt when the pair of nodes changes."""

    def __init__(self, app: EditorApp, parent: int | str) -> None:
        self.app = app
        self.root = dpg.add_group(parent=parent, tag="ng/loop")
        self.learner: str | None = None
        self.chooser: str | None = None
        self.drawn_graph: Graph | None = None
        self._key: tuple | None = None
        self._names: tuple[str, ...] = ()
        self._example_ids: tuple[str, ...] = ()
        self._point: list[float] = []
        self._timed: _Schedule | None = None
        self._holding = False
        self._large = False
        self._lit = {"on": _button_theme((40, 110, 70)), "rec": _button_theme((170, 40, 40))}
        self._shown_lights: dict[str, str | None] = {}
        with dpg.handler_registry():
            dpg.add_key_press_handler(callback=self._key_pressed, tag="ng/loop/keys")
            dpg.add_key_release_handler(callback=self._key_released, tag="ng/loop/keys-up")

    # -- building ---------------------------------------------------------------------

    def sync(self) -> None:
        graph = self.app.engine.graph
        if graph is self.drawn_graph:
            return
        self.drawn_graph = graph
        learner, chooser = find_pair(graph)
        size = None
        if chooser is not None:
            out = graph.port_infos.get(chooser, {}).get("out")
            size = out.size if out is not None else None
        key = (learner, chooser, size)
        if key == self._key:
            return
        self._key, self.learner, self.chooser = key, learner, chooser
        self._build(size or 0)

    def _build(self, size: int) -> None:
        dpg.delete_item(self.root, children_only=True)
        self._names, self._example_ids, self._shown_lights = (), (), {}
        self._timed = None  # a count-in under way was for the nodes shown before
        if self.learner is None:
            return
        p = {"parent": self.root}
        dpg.add_text(f"Loop: {self.chooser or '(no point chooser)'} -> {self.learner}",
                     color=DIM_TEXT, **p)
        rows = (("randomize", "Randomize [D]"), ("bookmark", "Bookmark [B]"),
                ("record", "Record [R]")), (("train", "Train [T]"), ("run", "Run [P]"),
                                            ("undo_round", "Undo round [U]"))
        for row in rows:
            with dpg.group(horizontal=True, **p):
                for action, label in row:
                    dpg.add_button(label=label, width=BUTTON_W, height=BUTTON_H,
                                   tag=f"ng/loop/{action}", user_data=action,
                                   callback=lambda s, a, u: self.act(u))
        with dpg.group(horizontal=True, **p):
            dpg.add_combo(RECORD_MODES, default_value="one", width=100, tag="ng/loop/mode")
            dpg.add_text("in", color=DIM_TEXT)
            dpg.add_input_float(default_value=3.0, width=58, step=0, format="%.1f s",
                                tag="ng/loop/count_in", min_value=0.0, min_clamped=True)
            dpg.add_text("take", color=DIM_TEXT)
            dpg.add_input_float(default_value=2.0, width=58, step=0, format="%.1f s",
                                tag="ng/loop/seconds", min_value=0.1, min_clamped=True)
        dpg.add_text("", tag="ng/loop/state", **p)
        dpg.add_progress_bar(width=-1, tag="ng/loop/progress", **p)
        if self.chooser is not None and size:
            with dpg.group(horizontal=True, **p):
                for i in range(size):
                    dpg.add_slider_float(vertical=True, height=SLIDER_H, width=22, format="",
                                         min_value=-SLIDER_RANGE, max_value=SLIDER_RANGE,
                                         tag=f"ng/loop/axis/{i}", user_data=i,
                                         callback=lambda s, a, u: self._axis_moved(u, a))
            dpg.add_text("bookmarks and candidates (1-9)", color=DIM_TEXT, **p)
            dpg.add_group(tag="ng/loop/points", **p)
        dpg.add_text("examples, newest first: > audition, x delete", color=DIM_TEXT, **p)
        dpg.add_child_window(height=170, tag="ng/loop/examples", **p)
        dpg.add_separator(**p)
        self.set_large(self._large)

    def set_large(self, large: bool) -> None:
        """Presentation mode: the loop's buttons and sliders grow to play from a
        distance (and back)."""
        self._large = large
        w, h = (LARGE_BUTTON_W, LARGE_BUTTON_H) if large else (BUTTON_W, BUTTON_H)
        for action in ("randomize", "bookmark", "record", "train", "run", "undo_round"):
            if dpg.does_item_exist(f"ng/loop/{action}"):
                dpg.configure_item(f"ng/loop/{action}", width=w, height=h)
        i = 0
        while dpg.does_item_exist(f"ng/loop/axis/{i}"):
            dpg.configure_item(f"ng/loop/axis/{i}", height=LARGE_SLIDER_H if large else SLIDER_H,
                               width=44 if large else 22)
            i += 1

    # -- actions (buttons and keys) -----------------------------------------------------

    def act(self, action: str) -> None:
        """Run one loop action by name (what a button or key does)."""
        if self.learner is None:
            return
        learner, chooser = self.learner, self.chooser
        report = self._report(learner)
        self.app.status.info(f"loop: {action.replace('_', ' ')}")  # a refusal says why after
        if action == "randomize" and chooser:
            self._send(chooser, "randomize")
        elif action == "bookmark" and chooser:
            self._send(chooser, "bookmark", self._new_bookmark_name())
        elif action == "record":
            self._record_pressed(report)
        elif action == "train":
            self._send(learner, "cancel" if report.get("training") else "train")
        elif action == "run":
            self._send(learner, "run", 0.0 if report.get("running") else 1.0)
        elif action == "undo_round":
            self._send(learner, "delete_last")
        elif action == "mode":
            mode = dpg.get_value("ng/loop/mode")
            dpg.set_value("ng/loop/mode",
                          RECORD_MODES[(RECORD_MODES.index(mode) + 1) % len(RECORD_MODES)])
        elif action.startswith("audition_") and chooser:
            names = self._point_names()
            n = int(action.rpartition("_")[2])
            if n <= len(names):
                self._send(chooser, "recall", names[n - 1])


    def _record_pressed(self, report: dict[str, Any]) -> None:
        mode = dpg.get_value("ng/loop/mode")
        if mode == "one":
            self._send(self.learner, "record")
        elif mode in ("count-in", "play-along"):
            if self._timed is not None:  # pressed again: stop
                self._stop_timed()
                return
            names = self._point_names() if mode == "play-along" else [""]
            if not names:
                self.app.status.error("play-along: bookmark some sounds first (B)")
                return
            count = float(dpg.get_value("ng/loop/count_in"))
            take = float(dpg.get_value("ng/loop/seconds"))
            now = time.monotonic()
            events = []
            for i, name in enumerate(names):
                start = now + i * (count + take)
                if name:
                    events.append((start, "recall", name))
                events += [(start + count, "on", name), (start + count + take, "off", name)]
            self._timed = _Schedule(events, steps=len(names))
        else:  # hold (the key's release stops it; the button toggles) or toggle
            on = not report.get("recording")
            self._holding = on and mode == "hold"
            self._send(self.learner, "record_while", 1.0 if on else 0.0)

    def _stop_timed(self) -> None:
        if self._timed is not None and self._timed.recording:
            self._send(self.learner, "record_while", 0.0)
        self._timed = None

    def _key_pressed(self, _sender: int, key: int) -> None:
        action = KEYS.get(key)
        if action is None or self.app.palette.shown or _ctrl_down():
            return
        from .shortcuts import typing

        if typing():
            return
        if action == "record" and self._holding:
            return  # key repeat while held
        self.act(action)

    def _key_released(self, _sender: int, key: int) -> None:
        if KEYS.get(key) == "record" and self._holding and self.learner:
            self._holding = False
            self._send(self.learner, "record_while", 0.0)

    def _axis_moved(self, axis: int, value: float) -> None:
        if self.chooser is None or axis >= len(self._point):
            return
        self._point[axis] = float(value)
        self._send(self.chooser, "point", np.array(self._point, dtype=np.float32))

    def _new_bookmark_name(self) -> str:
        taken = set(self._chooser_points()[0])
        n = 1
        while f"b{n}" in taken:
            n += 1
        return f"b{n}"

    # -- live -------------------------------------------------------------------------------

    def update(self) -> None:
        """Every frame: the count-in and play-along clock (cheap)."""
        timed = self._timed
        if timed is None or self.learner is None:
            return
        now = time.monotonic()
        while timed.events and timed.events[0][0] <= now:
            _, action, name = timed.events.pop(0)
            if action == "recall":
                timed.playing, timed.step = name, timed.step + 1
                self._send(self.chooser, "recall", name)
            else:
                timed.recording = action == "on"
                self._send(self.learner, "record_while", 1.0 if timed.recording else 0.0)
        if not timed.events:
            self._timed = None

    def update_live(self) -> None:
        """At the live rate: readouts, sliders, point buttons, the example list."""
        if self.learner is None:
            return
        report = self._report(self.learner)
        phase = "RECORDING" if report.get("recording") else ""
        timed = self._timed
        if timed is not None and timed.events:
            left = timed.events[0][0] - time.monotonic()
            phase = f"RECORDING {left:.1f} s left" if timed.recording else \
                f"count-in {left:.1f} s"
            if timed.playing:
                phase += f"  play-along {timed.step}/{timed.steps}: {timed.playing}"
        running = "running" if report.get("running") else "not running"
        trained = report.get("regressor") or "nothing trained"
        dpg.set_value("ng/loop/state", f"examples {report.get('examples', 0)} in "
                      f"{report.get('rounds', 0)} rounds | {trained} | {running}  {phase}")
        progress = float(report.get("progress") or 0.0)
        loss = report.get("loss")
        dpg.set_value("ng/loop/progress", progress if report.get("training") or loss else 0.0)
        dpg.configure_item("ng/loop/progress", overlay=(
            f"training {100 * progress:.0f}%" if report.get("training") else
            report.get("last_training") or "not trained yet") + (
            f"  loss {loss:.3g}" if isinstance(loss, float) else ""))
        dpg.configure_item("ng/loop/train", label="Cancel [T]" if report.get("training")
                           else "Train [T]")
        dpg.configure_item("ng/loop/run", label="Running [P]" if report.get("running")
                           else "Run [P]")
        recording = bool(report.get("recording") or timed is not None)
        dpg.configure_item("ng/loop/record", label="Stop [R]" if recording else "Record [R]")
        self._light("ng/loop/record", "rec" if recording else None)
        self._light("ng/loop/run", "on" if report.get("running") else None)
        if self.chooser is not None:
            self._show_point()
            self._show_point_buttons()
        self._show_examples()

    def _light(self, tag: str, light: str | None) -> None:
        """Colour a button: "on" green, "rec" red, None the default."""
        if self._shown_lights.get(tag, None) != light:
            self._shown_lights[tag] = light
            dpg.bind_item_theme(tag, self._lit[light] if light else 0)

    def _show_point(self) -> None:
        values = self._report(self.chooser).get("values")
        if not isinstance(values, list):
            return
        self._point = [float(v) for v in values]
        for i, v in enumerate(self._point):
            tag = f"ng/loop/axis/{i}"
            if dpg.does_item_exist(tag) and not dpg.is_item_active(tag):
                dpg.set_value(tag, v)

    def _show_point_buttons(self) -> None:
        names = tuple(self._point_names())
        if names == self._names or not dpg.does_item_exist("ng/loop/points"):
            return
        self._names = names
        dpg.delete_item("ng/loop/points", children_only=True)
        for start in range(0, len(names), BUTTONS_PER_ROW):
            with dpg.group(horizontal=True, parent="ng/loop/points"):
                for n, name in enumerate(names[start:start + BUTTONS_PER_ROW], start + 1):
                    label = f"{n}: {name}" if n <= 9 else name
                    dpg.add_button(label=label, width=84, tag=f"ng/loop/point/{name}",
                                   user_data=name, callback=lambda s, a, u: self._send(
                                       self.chooser, "recall", u))

    def _show_examples(self) -> None:
        rn = self.app.engine.runtime.get(self.learner)
        if rn is None:
            return
        ids, _, targets = rn.node.examples()
        if tuple(ids) == self._example_ids:
            return
        self._example_ids = tuple(ids)
        box = "ng/loop/examples"
        dpg.delete_item(box, children_only=True)
        rounds: dict[str, list[int]] = {}
        for index, point_id in enumerate(ids):
            rounds.setdefault(point_id.partition("-")[0], []).append(index)
        shown = 0
        for round_name, indices in reversed(rounds.items()):
            if shown >= EXAMPLES_SHOWN:
                dpg.add_text(f"... and {len(ids) - shown} older examples", parent=box,
                             color=DIM_TEXT)
                break
            dpg.add_text(f"round {round_name}: {len(indices)}", parent=box, color=DIM_TEXT)
            for index in reversed(indices[-max(0, EXAMPLES_SHOWN - shown):]):
                point_id, target = ids[index], targets[index]
                with dpg.group(horizontal=True, parent=box):
                    dpg.add_button(label=f"> {point_id}", width=110,
                                   tag=f"ng/loop/example/{point_id}", user_data=target,
                                   callback=lambda s, a, u: self._audition(u))
                    dpg.add_button(label="x", width=24, tag=f"ng/loop/delete/{point_id}",
                                   user_data=point_id, callback=lambda s, a, u: self._send(
                                       self.learner, "delete", u))
                    dpg.add_text(_short(target), color=DIM_TEXT)
                shown += 1

    def _audition(self, target: np.ndarray) -> None:
        if self.chooser is not None:
            self._send(self.chooser, "point", np.asarray(target, dtype=np.float32))

    # -- reading the nodes ---------------------------------------------------------------------

    def _report(self, node_id: str | None) -> dict[str, Any]:
        rn = self.app.engine.runtime.get(node_id) if node_id else None
        if rn is None:
            return {}
        report = rn.report()
        return {} if "report_error" in report else report

    def _chooser_points(self) -> tuple[list[str], list[str]]:
        rn = self.app.engine.runtime.get(self.chooser) if self.chooser else None
        if rn is None or not hasattr(rn.node, "candidates"):
            return [], []
        try:
            return list(rn.node.bookmarks()), list(rn.node.candidates())
        except AttributeError:  # failed to open
            return [], []

    def _point_names(self) -> list[str]:
        bookmarks, candidates = self._chooser_points()
        return bookmarks + [c for c in candidates if c not in bookmarks]

    def _send(self, node_id: str | None, inlet: str, value: Any = True) -> None:
        if node_id is not None:
            self.app.actions.send(node_id, inlet, value)


def _button_theme(colour: tuple[int, int, int]) -> int | str:
    with dpg.theme() as theme:
        with dpg.theme_component(dpg.mvButton):
            dpg.add_theme_color(dpg.mvThemeCol_Button, colour)
            dpg.add_theme_color(dpg.mvThemeCol_ButtonHovered, tuple(min(255, c + 30)
                                                                     for c in colour))
    return theme


def _ctrl_down() -> bool:
    return any(dpg.is_key_down(k) for k in (dpg.mvKey_ModCtrl, dpg.mvKey_LControl,
                                              dpg.mvKey_RControl))


def _short(values: np.ndarray) -> str:
    shown = " ".join(f"{v:.2f}" for v in np.asarray(values)[:4])
    return f"[{shown}{' ...' if len(values) > 4 else ''}]"
