"""One regressor per output, as Wekinator trains them: each output with its own algorithm and
its own inputs.

A regress node's ``outputs`` param lists one entry per output value, separated by
spaces: ``ALGORITHM`` (trained on every input) or ``ALGORITHM:I,J`` (trained on those
inputs only, counted from 0), e.g. ``knn knn mlp:0,2 linear:1`` for four outputs. Each
output's regressor is trained with the node's other params (``k``, ``hidden``, ``degree``...)
on that output alone, one after the other on the training thread; progress runs over
all of them. ``train_more`` continues each MLP whose algorithm and inputs are unchanged.

On disk, beside the examples: ``per-output.json``, ``{"outputs": [{"algorithm",
"inputs", "folder"}]}`` (``inputs`` null for all), and each output's own regressor file (the
formats of docs/iml.md) in ``output-<i>/``. The index is written last, so a crash while
saving leaves the previous index pointing at complete files or at none.
"""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nodegraph.api import atomic_write_json

from . import algorithms, flucoma
from .algorithms import ALGORITHMS, REGRESSORS, Job, Regressor, Settings

FILE_NAME = "per-output.json"
FOLDER_PREFIX = "output-"


@dataclass(frozen=True)
class OutputSpec:
    """One output's regressor: its algorithm, and its inputs (None: all of them)."""

    algorithm: str
    inputs: tuple[int, ...] | None = None

    def text(self) -> str:
        if self.inputs is None:
            return self.algorithm
        return f"{self.algorithm}:{','.join(map(str, self.inputs))}"


def parse_outputs(text: str) -> tuple[OutputSpec, ...]:
    """The ``outputs`` param as specs (empty text: none, one joint regressor). ValueError
    naming the entry and what to write."""
    specs = []
    for n, entry in enumerate(text.split(), 1):
        algorithm, colon, inputs = entry.partition(":")
        if algorithm not in ALGORITHMS:
            raise ValueError(f"outputs entry {n} ({entry!r}): the algorithm is one of "
                             f"{', '.join(ALGORITHMS)}, e.g. 'knn' or 'mlp:0,2'")
        if not colon:
            specs.append(OutputSpec(algorithm))
            continue
        try:
            indices = tuple(int(i) for i in inputs.split(","))
        except ValueError:
            indices = ()
        if not indices or min(indices) < 0 or len(set(indices)) != len(indices):
            raise ValueError(f"outputs entry {n} ({entry!r}): after ':' list input numbers "
                             f"from 0, separated by commas, each once, e.g. 'mlp:0,2'")
        specs.append(OutputSpec(algorithm, indices))
    return tuple(specs)


class PerOutputRegressor(Regressor):
    """One single-output regressor per output, each on its chosen inputs."""

    algorithm = "per-output"
    file_name = FILE_NAME

    def __init__(self, specs: tuple[OutputSpec, ...], regressors: list[Regressor],
                 n_inputs: int) -> None:
        self.specs = specs
        self.regressors = tuple(regressors)
        self._n_inputs = n_inputs

    @property
    def n_inputs(self) -> int:
        return self._n_inputs

    @property
    def n_outputs(self) -> int:
        return len(self.regressors)

    def _predict(self, x: np.ndarray) -> np.ndarray:
        return np.concatenate([regressor.predict(x if spec.inputs is None else x[:, spec.inputs])
                               for spec, regressor in zip(self.specs, self.regressors)], axis=1)

    def save(self, folder: Path) -> None:
        entries = []
        for i, (spec, regressor) in enumerate(zip(self.specs, self.regressors)):
            sub = folder / f"{FOLDER_PREFIX}{i}"
            sub.mkdir(parents=True, exist_ok=True)
            regressor.save(sub)
            algorithms.remove_other_regressors(sub, regressor)
            entries.append({"algorithm": spec.algorithm,
                            "inputs": spec.inputs and list(spec.inputs), "folder": sub.name})
        atomic_write_json(folder / FILE_NAME, {"inputs": self._n_inputs, "outputs": entries})
        for stale in folder.glob(f"{FOLDER_PREFIX}*"):
            number = stale.name[len(FOLDER_PREFIX):]
            if stale.is_dir() and (not number.isdigit() or int(number) >= len(entries)):
                shutil.rmtree(stale)

    @classmethod
    def load(cls, path: Path) -> PerOutputRegressor:
        obj = flucoma.read_json_file(path)
        where = str(path)
        n_inputs = flucoma.integer(obj, "inputs", where)
        entries = flucoma.field(obj, "outputs", where)
        if not isinstance(entries, list) or not entries:
            raise flucoma.FormatError(f"{where}: 'outputs' must list one regressor per output")
        specs, regressors = [], []
        for i, entry in enumerate(entries):
            at = f"{where}: outputs[{i}]"
            algorithm = flucoma.field(entry, "algorithm", at)
            inputs = flucoma.field(entry, "inputs", at)
            folder = flucoma.field(entry, "folder", at)
            if algorithm not in REGRESSORS or not isinstance(folder, str) or "/" in folder \
                    or not (inputs is None or (isinstance(inputs, list) and inputs and all(
                        isinstance(j, int) and 0 <= j < n_inputs for j in inputs))):
                raise flucoma.FormatError(f"{at}: expected an algorithm "
                                          f"({', '.join(REGRESSORS)}), inputs (null, or input "
                                          f"numbers below {n_inputs}) and a folder name")
            kind = REGRESSORS[algorithm]
            regressor = kind.load(path.parent / folder / kind.file_name)
            spec = OutputSpec(algorithm, None if inputs is None else tuple(inputs))
            if regressor.n_outputs != 1 or regressor.n_inputs != (
                    n_inputs if spec.inputs is None else len(spec.inputs)):
                raise flucoma.FormatError(f"{at}: its regressor maps {regressor.n_inputs} inputs "
                                          f"to {regressor.n_outputs} outputs; expected one output")
            specs.append(spec)
            regressors.append(regressor)
        return cls(tuple(specs), regressors, n_inputs)


class _Part:
    """A job as one output's fit sees it: progress mapped into its share of the whole."""

    def __init__(self, job: Job, index: int, count: int) -> None:
        self._job, self._index, self._count = job, index, count

    def step(self, progress: float, loss: float) -> None:
        self._job.step((self._index + progress) / self._count, loss)


def fit(specs: tuple[OutputSpec, ...], settings: Settings, x: np.ndarray, y: np.ndarray,
        job: Job, previous: Regressor | None = None) -> PerOutputRegressor:
    """Train one regressor per output (see the module docstring); ``previous`` (a
    PerOutputRegressor) continues each output whose spec is unchanged."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(specs) != y.shape[1]:
        raise ValueError(f"outputs lists {len(specs)} regressors but the target has {y.shape[1]} "
                         f"values; give one entry per output value")
    for spec in specs:
        if spec.inputs is not None and max(spec.inputs) >= x.shape[1]:
            raise ValueError(f"outputs entry {spec.text()!r}: x has {x.shape[1]} values, "
                             f"numbered 0 to {x.shape[1] - 1}")
    before = previous.specs if isinstance(previous, PerOutputRegressor) else ()
    regressors = []
    for i, spec in enumerate(specs):
        warm = previous.regressors[i] if i < len(before) and before[i] == spec else None
        inputs = x if spec.inputs is None else x[:, spec.inputs]
        regressors.append(algorithms.fit(dataclasses.replace(settings, algorithm=spec.algorithm),
                                         inputs, y[:, [i]], _Part(job, i, len(specs)), warm))
    return PerOutputRegressor(specs, regressors, x.shape[1])


def load_regressor(folder: Path, per_output: bool, prefer: str) -> Regressor | None:
    """The regressor saved in ``folder``: per-output first when ``per_output``, else the
    ``prefer`` algorithm's file first; None when there is none."""
    path = folder / FILE_NAME
    if per_output and path.exists():
        return PerOutputRegressor.load(path)
    regressor = algorithms.load_regressor(folder, prefer)
    if regressor is None and path.exists():
        return PerOutputRegressor.load(path)
    return regressor


def remove_other_regressors(folder: Path, keep: Regressor | None) -> None:
    """Delete regressor files in ``folder`` other than ``keep``'s (per-output ones included)."""
    per_output = isinstance(keep, PerOutputRegressor)
    algorithms.remove_other_regressors(folder, None if per_output else keep)
    if not per_output:
        (folder / FILE_NAME).unlink(missing_ok=True)
        for stale in folder.glob(f"{FOLDER_PREFIX}*"):
            if stale.is_dir() and stale.name[len(FOLDER_PREFIX):].isdigit():
                shutil.rmtree(stale)
