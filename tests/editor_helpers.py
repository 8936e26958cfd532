"""Running the editor in tests: a private X server, editor subprocesses, test nodes.

DearPyGui allows one context (one window) per process, so every editor test runs
the real editor in a subprocess (``tests/editor_scenarios.py`` or ``nodegraph
edit``) against the session's one Xvfb server (``xvfb_display`` in conftest.py).

The test node types stand in for the nodes being built elsewhere (camera, facemesh,
regress, audio) with the interfaces the editor relies on; the frame source sends a
real photo (``skimage.data.astronaut()``).
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import BANG, FRAME, LANDMARKS, NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param
from nodegraph.registry import Registry

import engine_helpers

ROOT = Path(__file__).resolve().parent.parent
REFS = Path(__file__).resolve().parent / "editor_refs"


def editor_env(display: str, tmp: Path) -> dict[str, str]:
    return {**os.environ, "DISPLAY": display, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests'}",
            "XDG_CONFIG_HOME": str(tmp / "config"), "LIBGL_ALWAYS_SOFTWARE": "1"}


def run_scenario(name: str, display: str, tmp: Path, timeout: float = 120,
                 script: str = "editor_scenarios.py") -> dict[str, Any]:
    """Run ``<script>.<name>(tmp)`` (a file in tests/ run as ``script NAME TMP OUT``)
    in an editor subprocess; its JSON result."""
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / f"{name}.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / script), name, str(tmp), str(out)],
        env=editor_env(display, tmp), cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not out.exists():
        raise AssertionError(f"scenario {name} failed (exit {result.returncode}):\n"
                             f"{result.stdout[-3000:]}\n{result.stderr[-6000:]}")
    return json.loads(out.read_text())


# -- real input ---------------------------------------------------------------------------


class FakeInput:
    """Real mouse and keyboard events on an X display, through the XTEST extension
    (libXtst, called with ctypes): the window receives them as from a user."""

    def __init__(self, display: str) -> None:
        try:
            self._x11 = ctypes.CDLL("libX11.so.6")
            self._xtst = ctypes.CDLL("libXtst.so.6")
        except OSError as exc:
            raise RuntimeError(f"real input needs libXtst (apt-get install libxtst6): {exc}")
        x11, xtst = self._x11, self._xtst
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x11.XFlush.argtypes = [ctypes.c_void_p]
        x11.XStringToKeysym.restype = ctypes.c_ulong
        x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
        x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                              ctypes.c_int, ctypes.c_ulong]
        xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                              ctypes.c_ulong]
        xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                           ctypes.c_ulong]
        self._display = x11.XOpenDisplay(display.encode())
        if not self._display:
            raise RuntimeError(f"cannot open display {display}")

    def move(self, x: float, y: float) -> None:
        """Put the pointer at screen pixel (x, y)."""
        self._xtst.XTestFakeMotionEvent(self._display, -1, round(x), round(y), 0)
        self._x11.XFlush(self._display)

    def button(self, down: bool, button: int = 1) -> None:
        self._xtst.XTestFakeButtonEvent(self._display, button, int(down), 0)
        self._x11.XFlush(self._display)

    def key(self, keysym: str, down: bool) -> None:
        """Press or release a key named as X names it ("z", "Control_L", "Return")."""
        code = self._x11.XKeysymToKeycode(self._display, self._x11.XStringToKeysym(keysym.encode()))
        self._xtst.XTestFakeKeyEvent(self._display, code, int(down), 0)
        self._x11.XFlush(self._display)

    def close(self) -> None:
        self._x11.XCloseDisplay(self._display)


class _ClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong),
                ("message_type", ctypes.c_ulong), ("format", ctypes.c_int),
                ("data", ctypes.c_long * 5)]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


def press_close_button(display: str, title_part: str) -> None:
    """What a window manager does when the user clicks a window's close button: send
    it WM_DELETE_WINDOW (libX11 through ctypes)."""
    x11 = ctypes.CDLL("libX11.so.6")
    ulong, pointer = ctypes.c_ulong, ctypes.POINTER
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultRootWindow.restype = ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XQueryTree.argtypes = [ctypes.c_void_p, ulong, pointer(ulong), pointer(ulong),
                               pointer(pointer(ulong)), pointer(ctypes.c_uint)]
    x11.XFetchName.argtypes = [ctypes.c_void_p, ulong, pointer(ctypes.c_char_p)]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ulong, ctypes.c_int, ctypes.c_long,
                               pointer(_XEvent)]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    connection = x11.XOpenDisplay(display.encode())
    root_out, parent, children, count = ulong(), ulong(), pointer(ulong)(), ctypes.c_uint()
    x11.XQueryTree(connection, x11.XDefaultRootWindow(connection), ctypes.byref(root_out),
                   ctypes.byref(parent), ctypes.byref(children), ctypes.byref(count))
    for i in range(count.value):
        name = ctypes.c_char_p()
        if x11.XFetchName(connection, children[i], ctypes.byref(name)) and name.value \
                and title_part.encode() in name.value:
            event = _XEvent()
            event.xclient.type = 33  # ClientMessage
            event.xclient.window = children[i]
            event.xclient.message_type = x11.XInternAtom(connection, b"WM_PROTOCOLS", 0)
            event.xclient.format = 32
            event.xclient.data[0] = x11.XInternAtom(connection, b"WM_DELETE_WINDOW", 0)
            x11.XSendEvent(connection, children[i], 0, 0, ctypes.byref(event))
            x11.XFlush(connection)
            break
    else:
        raise RuntimeError(f"no window titled like {title_part!r}")
    x11.XCloseDisplay(connection)


# -- screenshots ------------------------------------------------------------------------


def read_png(path: Path) -> np.ndarray:
    from skimage.io import imread

    image = imread(path)
    return image[..., :3].astype(np.int16)


def colour_fraction(image: np.ndarray, rgb: tuple[int, int, int], tolerance: int = 12) -> float:
    """Fraction of pixels within ``tolerance`` of ``rgb`` on every channel."""
    close = np.all(np.abs(image - np.array(rgb, dtype=np.int16)) <= tolerance, axis=-1)
    return float(close.mean())


def thumbnail(image: np.ndarray, factor: int = 4) -> np.ndarray:
    """``image`` mean-pooled by ``factor`` (references are kept at this size)."""
    h, w = image.shape[0] // factor * factor, image.shape[1] // factor * factor
    return image[:h, :w].reshape(h // factor, factor, w // factor, factor, 3).mean(axis=(1, 3))


def reference_difference(shot: np.ndarray, name: str, block: int = 16) -> float:
    """Mean absolute difference (0..255) between ``shot`` and ``editor_refs/<name>``
    over block×block tiles: small when the layout matches, whatever the live values
    and text say. With NODEGRAPH_UPDATE_EDITOR_REFS=1 the reference is rewritten."""
    from skimage.io import imsave

    small = thumbnail(shot)
    path = REFS / name
    if os.environ.get("NODEGRAPH_UPDATE_EDITOR_REFS") == "1":
        REFS.mkdir(exist_ok=True)
        imsave(path, np.round(small).astype(np.uint8), check_contrast=False)
    ref = read_png(path).astype(np.float64)
    assert small.shape == ref.shape, f"screenshot is {shot.shape[:2]}, reference {name} is " \
        f"{ref.shape[:2]} at quarter size"
    tile = block // 4
    h, w = small.shape[0] // tile * tile, small.shape[1] // tile * tile

    def tiles(img: np.ndarray) -> np.ndarray:
        return img[:h, :w].reshape(h // tile, tile, w // tile, tile, 3).mean(axis=(1, 3))

    return float(np.abs(tiles(small) - tiles(ref)).mean())


# -- test node types ----------------------------------------------------------------------


class PhotoCamera(Node):
    """Test camera: sends a real face photo (skimage astronaut) at fps."""

    type_name = "t-face"
    category = "source"
    outlets = (Outlet("frame", FRAME, "RGB frame"),)
    fps = Param("float", 15.0, "frames per second", range=(1.0, 60.0))

    def open(self) -> None:
        from skimage.data import astronaut

        self._frame = np.ascontiguousarray(astronaut())
        self._timer = self.ctx.schedule_at(self.ctx.now(), self._tick)

    def _tick(self, t: float) -> None:
        self.ctx.post_latest("frame", self._frame.copy(), t)
        self._timer = self.ctx.schedule_at(t + 1.0 / self.fps, self._tick)

    def close(self) -> None:
        if getattr(self, "_timer", None) is not None:
            self._timer.cancel()


class RingMarks(Node):
    """Test landmarker: a ring of points around the photo's face."""

    type_name = "t-marks"
    category = "vision"
    inlets = (Inlet("frame", FRAME, "RGB frame"),)
    outlets = (Outlet("landmarks", LANDMARKS, "points"), Outlet("features", VECTOR, size=2))

    def process(self, inputs: Inputs) -> dict[str, Any]:
        angle = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        points = np.stack([0.47 + 0.1 * np.cos(angle), 0.25 + 0.13 * np.sin(angle),
                           np.zeros_like(angle)], axis=1).astype(np.float32)
        return {"landmarks": points, "features": points[:2, 0].copy()}


class LinearRegress(Node):
    """Test regressor with the interface the latent map and panel rely on: linear
    predict, recorded examples, bang inlets, a report with progress and loss."""

    type_name = "t-regress"
    category = "learn"
    inlets = (Inlet("input", VECTOR, "features", size=2),
              Inlet("target", VECTOR, "latent to pair", hot=False, size=3),
              Inlet("record", BANG, "record one example"),
              Inlet("train", BANG, "fit"),
              Inlet("run", NUMBER, "nonzero: predict on input"))
    outlets = (Outlet("output", VECTOR, "latent", size=3),)

    def open(self) -> None:
        self._lock = threading.Lock()
        self._inputs = [[0.2, 0.3], [0.8, 0.3], [0.5, 0.9]]
        self._outputs = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        self.progress = 0.0
        self.loss_history: list[float] = []

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        changed = inputs.changed
        if "record" in changed and inputs["input"] is not None:
            with self._lock:
                self._inputs.append(list(map(float, inputs["input"])))
                self._outputs.append(list(map(float, inputs.get("target", np.zeros(3)))))
        if "train" in changed:
            self.progress = 1.0
            self.loss_history = [1.0 / (i + 1) for i in range(20)]
        if "input" in changed and inputs.get("run", 0):
            return {"output": self.predict(inputs["input"][None, :])[0]}
        return None

    def predict(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        weights = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, -0.5]], dtype=np.float32)
        return x @ weights

    def examples(self) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            return np.array(self._inputs, np.float32), np.array(self._outputs, np.float32)

    def report(self) -> dict[str, Any]:
        return {"examples": len(self._inputs), "progress": self.progress,
                "loss_history": list(self.loss_history), "training": False, "running": True}


class TwoBookmarks(Node):
    """Test latent explorer: two named latent points."""

    type_name = "t-bookmarks"
    category = "learn"
    outlets = (Outlet("latent", VECTOR, size=3),)
    point = Param("vector", [0.0, 0.0, 0.0], "latent point", range=(-3.0, 3.0))

    def bookmarks(self) -> dict[str, list[float]]:
        return {"low": [0.0, 0.0, 0.0], "high": [1.0, 1.0, 0.0]}


class LevelMeter(Node):
    """Test audio sink: reports a level meter and stream figures."""

    type_name = "t-meter"
    category = "audio"
    inlets = (Inlet("latent", VECTOR, "latent"),)
    model = Param("path", "", "a model file")

    def report(self) -> dict[str, Any]:
        return {"level_db": -12.0, "underruns": 0, "latency_ms": 23.5}


EDITOR_TYPES = (PhotoCamera, RingMarks, LinearRegress, TwoBookmarks, LevelMeter)


def registry() -> Registry:
    """The real node library, the engine's test types and the editor's."""
    reg = engine_helpers.registry()
    for cls in EDITOR_TYPES:
        reg.register(cls)
    return reg
