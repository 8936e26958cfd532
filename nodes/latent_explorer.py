"""latent-explorer: a point in a model's latent space, from sliders, dice, bookmarks or sound."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import (BANG, NUMBER, TEXT, UNKNOWN, VECTOR, Inlet, Inputs, Node, Outlet,
                           Param, PortInfo, atomic_write_json)
from nodes.iml import flucoma
from nodes.iml.sound import Encoder, distinct_frames, load_encoder

STATE_FILE = "bookmarks.json"


class LatentExplorer(Node):
    """Choose a point in the latent space: sliders, random draws, bookmarks, sound.

    The output has one value per latent axis: ``size`` of them, or the model's latent
    size when ``model`` is set. ``values`` are the sliders; ``randomize`` draws a point
    (each axis normal with deviation ``scale``, as a RAVE prior); ``bookmark`` names the
    current point and ``recall`` returns to it; ``mix`` moves between bookmarks ``mix_a``
    (0) and ``mix_b`` (1). **Points from sound**: give ``sound`` (an audio file) and a
    model, and the file is encoded with the model's ``encode`` method (in the
    background); its ``points`` most distinct frames become candidates named
    ``<file stem>-1``, ``-2``... in time order, recalled like bookmarks — aim at sounds
    you know. Bookmarks and candidates are saved with the patch.
    """

    type_name = "latent-explorer"
    category = "learning"
    inlets = (
        Inlet("point", VECTOR, "go to this point (one value per axis)"),
        Inlet("randomize", BANG, "go to a random point (normal, deviation scale)"),
        Inlet("bookmark", TEXT, "save the current point under this name"),
        Inlet("recall", TEXT, "go to the bookmark or candidate point of this name"),
        Inlet("forget", TEXT, "delete the bookmark of this name"),
        Inlet("mix", NUMBER, "go between bookmarks mix_a (0) and mix_b (1); beyond "
                             "extrapolates"),
    )
    outlets = (Outlet("out", VECTOR, "the current point", size="size"),)
    size = Param("int", 8, "number of axes (when no model is given)", range=(1, 1024))
    model = Param("path", "", "TorchScript model file, or 'default': gives the number of "
                  "axes and encodes sound")
    values = Param("vector", [], "the point the sliders set (empty: the origin)")
    scale = Param("float", 1.0, "randomize: deviation of each axis", range=(0.0, 100.0))
    sound = Param("path", "", "audio file whose most distinct frames become candidate "
                  "points (needs a model)")
    points = Param("int", 8, "how many candidate points sound gives", range=(1, 256))
    mix_a = Param("text", "", "mix: the bookmark at 0")
    mix_b = Param("text", "", "mix: the bookmark at 1")

    def model_path(self) -> Path:
        """The model file the ``model`` param names (``default``: the shipped model)."""
        from nodes.neural.model import model_file

        return model_file(self.model, self.base_dir)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        """The output's size: the model's latent size (read from the file, cached) when
        ``model`` is set, else ``size``."""
        if self.model:
            from nodes.neural.model import inspect_model

            interface = inspect_model(self.model_path())  # None: not read (check, no sandbox)
            size, what = (interface.latent_size if interface else None), "the model's latent size"
        else:
            size, what = self.size, "size"
        if self.values and size is not None and len(self.values) != size:
            raise ValueError(f"values has {len(self.values)} numbers but {what} is {size}; "
                             "give one value per axis, or none")
        info = {p.name: UNKNOWN for p in self.inlets}
        info["point"] = info["out"] = PortInfo(size)
        return info

    # -- life cycle ----------------------------------------------------------------------------

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._bookmarks: dict[str, np.ndarray] = {}
        #: points from sound (name → point) and the (sound, model) they came from
        self._candidates: dict[str, np.ndarray] = {}
        self._candidates_from: dict[str, Any] | None = None
        self._encoder: Encoder | None = None
        #: bumped by close and each new encoding: older results are dropped
        self._generation = 0
        self._worker: threading.Thread | None = None
        self._rng: np.random.Generator | None = None
        self._point: np.ndarray | None = None
        #: open got as far as loading the state (save_state writes it back only then)
        self._ready = False

    def open(self) -> None:
        self._bookmarks = {}
        self._candidates = {}
        self._candidates_from = None
        self._encoder = None
        self._generation = 0
        self._worker = None
        self._rng = np.random.default_rng(0 if self.ctx.offline else None)
        if self.model:
            self._encoder = load_encoder(self.model_path())
        self._point = self._slider_point()
        self._load_state()
        self._ready = True
        self.ctx.post("out", self._vector())
        if (self.sound or self._candidates) and self._candidates_from != self._source():
            self._prepare(reload_model=False)

    def close(self) -> None:
        self._generation += 1  # results arriving now are dropped
        if self._worker is not None:
            self._worker.join(timeout=30.0)

    def save_state(self, folder: Path) -> None:
        self.state_snapshot(folder)()

    def state_snapshot(self, folder: Path) -> Callable[[], None]:
        """Control thread: the state as it is now, written into ``folder`` by the
        returned function later (the engine's saver thread). Points are replaced, never
        changed in place, so copying the dicts is enough."""
        if not self._ready:
            return lambda: None  # open failed (a bad file?): leave what is on disk alone
        bookmarks, candidates = dict(self._bookmarks), dict(self._candidates)
        source = self._candidates_from

        def write() -> None:
            path = folder / STATE_FILE
            if not bookmarks and not candidates:
                path.unlink(missing_ok=True)
                return
            atomic_write_json(path, {
                "bookmarks": {name: p.tolist() for name, p in bookmarks.items()},
                "candidates": {name: p.tolist() for name, p in candidates.items()},
                "candidates_from": source})
        return write

    def _load_state(self) -> None:
        folder = self.ctx.data_dir
        path = folder / STATE_FILE if folder is not None else None
        if path is None or not path.exists():
            return
        state = flucoma.read_json_file(path)
        where = str(path)
        for key, target in (("bookmarks", self._bookmarks), ("candidates", self._candidates)):
            points = flucoma.field(state, key, where)
            if not isinstance(points, dict):
                raise flucoma.FormatError(f"{where}: {key!r} must map names to points")
            for name, values in points.items():
                target[name] = flucoma.numbers(values, None, f"{where}: {key} {name!r}")
        self._candidates_from = state.get("candidates_from")

    # -- params ----------------------------------------------------------------------------------

    @property
    def latent_size(self) -> int:
        return self._encoder.info.latent_size if self._encoder is not None else self.size

    def _slider_point(self) -> np.ndarray:
        n = self.latent_size
        if not self.values:
            return np.zeros(n)
        if len(self.values) != n:
            raise ValueError(f"values has {len(self.values)} numbers but the latent space has "
                             f"{n} axes")
        return np.array(self.values, dtype=np.float64)

    def on_param(self, name: str, value: Any) -> None:
        if name == "values":
            self._point = self._slider_point()
        elif name == "size" and self._encoder is None:
            self._point = _resized(self._point, value)
        elif name == "model":
            self._prepare(reload_model=True)
            return
        elif name in ("sound", "points"):
            self._prepare(reload_model=False)
            return
        else:
            return
        self.ctx.post("out", self._vector())

    # -- messages --------------------------------------------------------------------------------

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        changed = inputs.changed
        moves = [n for n in ("point", "randomize", "recall", "mix") if n in changed]
        # A bookmark names the point as it was when the bookmark arrived: after a move
        # that arrived before it in the same tick (a script's randomize, bookmark).
        bookmark_later = "bookmark" in changed and any(
            inputs.times[n] <= inputs.times["bookmark"] for n in moves)
        if "bookmark" in changed and not bookmark_later:
            self._bookmark(inputs["bookmark"])
        if "forget" in changed:
            if self._bookmarks.pop(str(inputs["forget"]).strip(), None) is None:
                raise ValueError(f"forget: no bookmark {inputs['forget']!r}; "
                                 f"bookmarks: {', '.join(self._bookmarks) or 'none'}")
            self.ctx.learned()
        moved = True
        if "point" in changed:
            self._goto(np.asarray(inputs["point"], dtype=np.float64), "point")
        elif "randomize" in changed:
            self._point = self._rng.normal(0.0, self.scale, self.latent_size)
        elif "recall" in changed:
            name = str(inputs["recall"]).strip()
            self._goto(self._lookup(name), f"recall {name!r}")
        elif "mix" in changed:
            t = float(inputs["mix"])
            a, b = self._lookup(self.mix_a), self._lookup(self.mix_b)
            self._goto((1.0 - t) * a + t * b, "mix")
        else:
            moved = False
        if bookmark_later:
            self._bookmark(inputs["bookmark"])
        return {"out": self._vector()} if moved else None

    def _bookmark(self, name: Any) -> None:
        name = str(name).strip()
        if not name:
            raise ValueError("bookmark: give the point a name")
        self._bookmarks[name] = self._point.copy()
        self.ctx.learned()

    def _lookup(self, name: str) -> np.ndarray:
        point = self._bookmarks.get(name)
        if point is None:
            point = self._candidates.get(name)
        if point is None:
            raise ValueError(f"no bookmark or candidate named {name!r}; bookmarks: "
                             f"{', '.join(self._bookmarks) or 'none'}; candidates: "
                             f"{', '.join(self._candidates) or 'none'}")
        return point

    def _goto(self, point: np.ndarray, what: str) -> None:
        if point.shape != (self.latent_size,):
            raise ValueError(f"{what}: {point.size} values, but the latent space has "
                             f"{self.latent_size} axes")
        self._point = point.copy()

    def _vector(self) -> np.ndarray:
        return self._point.astype(np.float32)

    # -- points from sound (own thread) ---------------------------------------------------------

    def _source(self) -> dict[str, Any]:
        return {"sound": self.sound, "model": self.model, "points": self.points}

    def _prepare(self, reload_model: bool) -> None:
        """(Re)load the model and/or encode ``sound`` off the control thread (inline for
        offline renders); the results are installed on the control thread."""
        self._generation += 1
        generation = self._generation
        source = self._source()
        model_file = self.model_path() if self.model else None
        sound_file = self.ctx.resolve(self.sound) if self.sound else None
        encoder = self._encoder
        k = self.points

        def work() -> None:
            try:
                loaded = encoder
                if reload_model:
                    loaded = load_encoder(model_file) if model_file else None
                candidates = _candidates(loaded, sound_file, k) if sound_file else {}
            except Exception as exc:  # reported on the node; the control thread goes on
                self.ctx.error(f"points from sound: {type(exc).__name__}: {exc}")
                return
            self.ctx.call_soon(lambda: self._install(generation, loaded, candidates, source))

        if self.ctx.offline:
            work()
        else:
            self._worker = threading.Thread(target=work, name="explorer-encode", daemon=True)
            self._worker.start()

    def _install(self, generation: int, encoder: Encoder | None,
                 candidates: dict[str, np.ndarray], source: dict[str, Any]) -> None:
        if generation != self._generation:
            return  # a newer request superseded this one
        size_before = self.latent_size
        self._encoder = encoder
        self._candidates, self._candidates_from = candidates, source
        if candidates:
            self.ctx.log.info("points from sound: %s", ", ".join(candidates))
        self.ctx.learned()
        if self.latent_size != size_before:
            self._point = _resized(self._point, self.latent_size)
            self.ctx.post("out", self._vector())

    # -- any thread -----------------------------------------------------------------------------

    def bookmarks(self) -> dict[str, np.ndarray]:
        """Copies of the bookmarks (name → point)."""
        return {name: p.copy() for name, p in dict(self._bookmarks).items()}

    def candidates(self) -> dict[str, np.ndarray]:
        """Copies of the candidate points from sound (name → point), in time order."""
        return {name: p.copy() for name, p in dict(self._candidates).items()}

    def report(self) -> dict[str, Any]:
        worker = self._worker
        return {"size": self.latent_size, "values": self._point.tolist(),
                "bookmarks": list(self._bookmarks), "candidates": list(self._candidates),
                "encoding": worker is not None and worker.is_alive()}


def _candidates(encoder: Encoder | None, sound: Path, k: int) -> dict[str, np.ndarray]:
    if encoder is None:
        raise ValueError("points from sound need a model: set the model param")
    z = encoder.encode_file(sound)
    if z.shape[1] != encoder.info.latent_size:
        raise ValueError(f"the model encodes {z.shape[1]} latent channels but decodes "
                         f"{encoder.info.latent_size}")
    return {f"{sound.stem}-{i + 1}": z[frame] for i, frame in enumerate(distinct_frames(z, k))}


def _resized(point: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros(size)
    n = min(size, point.size)
    out[:n] = point[:n]
    return out
