"""normalize: scale each dimension of a vector (min-max, standard or robust), fitted live."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import BANG, TEXT, VECTOR, Inlet, Inputs, Node, Outlet, Param, atomic_write_json
from nodes.iml import flucoma, scalers
from nodes.interop import flucoma_files
from nodes.iml.scalers import METHODS, SCALERS, Scaler

#: Most recent inputs kept for fitting, whatever ``window_s`` says.
MAX_WINDOW = 100_000


class Normalize(Node):
    """Scale each dimension to a common range (FluCoMa's Normalize, Standardize, RobustScale).

    Move through your whole range of motion, then bang ``fit``: the scaler is fitted on
    the inputs of the last ``window_s`` seconds and kept (saved with the patch). Until
    the first fit values pass unchanged. ``minmax`` maps to [0, 1], ``standard`` to zero
    mean and unit deviation, ``robust`` subtracts the median and divides by the 25–75
    percentile range (outliers barely matter). Dimensions that did not move keep their
    offset only, rather than blowing float noise up to full scale.

    ``read`` a FluCoMa JSON file: a DataSet (e.g. a regress node's ``inputs.json``, or
    one written in Max) is fitted on with ``method``; a Normalize, Standardize or
    RobustScale file is imported and used as it is. ``write`` exports the scaler as
    FluCoMa JSON, into the patch's folder unless the run allows more
    (``--allow-write``). Fit before recording examples downstream: refitting changes what
    recorded inputs mean.
    """

    type_name = "normalize"
    category = "learning"
    inlets = (Inlet("in", VECTOR, "values to scale"),
              Inlet("fit", BANG, "fit on the inputs of the last window_s seconds"),
              Inlet("read", TEXT, "path of a FluCoMa JSON file: a scaler to import, or a "
                                  "DataSet to fit on"),
              Inlet("write", TEXT, "path to export the scaler to, as FluCoMa JSON"))
    outlets = (Outlet("out", VECTOR, "the scaled values", like="in"),)
    method = Param("choice", "minmax", "what fit uses. minmax: to [0, 1]; standard: zero "
                   "mean, unit deviation; robust: median and 25-75 percentile range",
                   choices=METHODS)
    window_s = Param("float", 10.0, "seconds of recent input that fit uses",
                     range=(0.01, 86_400.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._scaler: Scaler | None = None
        #: recent input (time, vector) that fit uses
        self._window: deque[tuple[float, np.ndarray]] = deque(maxlen=MAX_WINDOW)
        #: open got as far as reading the state (save_state writes it back only then)
        self._ready = False

    def open(self) -> None:
        self._scaler = None
        self._window.clear()
        folder = self.ctx.data_dir
        for method in (self.method, *METHODS) if folder is not None else ():
            path = folder / self._file_name(method)  # one file at most, unless copied in
            if path.exists():
                self._scaler = scalers.from_json(flucoma.read_json_file(path), str(path))
                break
        self._ready = True

    @staticmethod
    def _file_name(method: str) -> str:
        return f"{SCALERS[method].flucoma_name}.json"

    def process(self, inputs: Inputs) -> dict[str, Any] | None:
        changed = inputs.changed
        if "in" in changed:
            t = inputs.times["in"]
            self._window.append((t, np.array(inputs["in"], dtype=np.float64)))
            while self._window and self._window[0][0] < t - self.window_s:
                self._window.popleft()
        if "read" in changed:
            self._read(self.ctx.resolve(inputs["read"]))
        if "fit" in changed:
            self._fit_window()
        if "write" in changed:
            self._write(self.ctx.write_path(inputs["write"], "write"))
        if "in" in changed:
            scaler = self._scaler
            x = inputs["in"]
            return {"out": x if scaler is None else scaler.transform(x)}
        return None

    def _fit_window(self) -> None:
        if not self._window:
            raise ValueError("fit: no input has arrived yet; send values to 'in' first")
        size = self._window[-1][1].shape
        points = np.stack([x for _, x in self._window if x.shape == size])
        self._install(scalers.fit(self.method, points), f"{len(points)} inputs")

    def _read(self, path: Path) -> None:
        obj = flucoma.read_json_file(path)
        if isinstance(obj, dict) and "data" in obj and "cols" in obj:
            _, points = flucoma.dataset_from_json(obj, str(path))
            if len(points) == 0:
                raise ValueError(f"read: {path} holds no points to fit on")
            self._install(scalers.fit(self.method, points), f"{len(points)} points of {path}")
        else:
            self._install(scalers.from_json(obj, str(path)), str(path))

    def _install(self, scaler: Scaler, source: str) -> None:
        self._scaler = scaler
        if scaler.constant_dims:
            self.ctx.log.warning("dimensions %s did not move in %s; they are offset, not "
                                 "scaled", list(scaler.constant_dims), source)
        self.ctx.log.info("fitted %s on %s", scaler.method, source)
        self.ctx.learned()  # written now: examples recorded next depend on this fit

    def _write(self, path: Path) -> None:
        if self._scaler is None:
            raise ValueError("write: nothing fitted yet; bang fit first")
        atomic_write_json(path, self._scaler.to_json())

    def save_state(self, folder: Path) -> None:
        if not self._ready:
            return  # open failed (a bad file?): leave what is on disk alone
        scaler = self._scaler
        for method in METHODS:
            if scaler is None or method != scaler.method:
                (folder / self._file_name(method)).unlink(missing_ok=True)
        if scaler is not None:
            atomic_write_json(folder / self._file_name(scaler.method), scaler.to_json())

    state_files = "a FluCoMa Normalize, Standardize or RobustScale file"

    def import_state(self, folder: Path, files: Sequence[Path], replace: bool,
                     sizes: Mapping[str, int | None]) -> list[str]:
        return flucoma_files.import_scaler(self.id, folder, files, sizes.get("in"))

    def export_state(self, folder: Path, out_dir: Path) -> list[str]:
        return flucoma_files.export_scaler(self.id, folder, out_dir, self.method)

    def report(self) -> dict[str, Any]:
        scaler = self._scaler
        return {"fitted": scaler is not None,
                "method": scaler.method if scaler is not None else None,
                "constant_dims": list(scaler.constant_dims) if scaler is not None else [],
                "window": len(self._window)}
