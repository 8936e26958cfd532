"""FluCoMa files in and out of a patch's learned state (``nodegraph data import/export``).

Which node keeps which FluCoMa object, as files of its folder ``<patch>.data/<node id>/``
(formats: docs/architecture.md, "Interactive ML conventions"; :mod:`nodes.iml.flucoma`):

=========  =============================================  =================================
node       FluCoMa object                                 file in the node's folder
=========  =============================================  =================================
regress    two DataSets, inputs and outputs (ids match)   ``inputs.json``, ``outputs.json``
regress    MLPRegressor                                   ``mlp.json``
normalize  Normalize, Standardize or RobustScale          ``normalize.json``,
                                                          ``standardize.json`` or
                                                          ``robustscale.json``
=========  =============================================  =================================

Files are recognised by their fields and read with the nodes' own readers, so an
error names the file and the field. **Import** checks every file, and its sizes
against what the patch connects to the node, before it writes anything; each file
is written atomically. Recorded examples are never replaced unless asked
(``replace``). A node keeps one trained regressor and one scaler: importing one removes
the node's others. Import while the patch is closed: a running patch writes its
own state when saved. **Export** only reads (a patch running elsewhere may be
recording into the folder): the examples are the snapshot with the journal
replayed over it, as the node would load them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import StateError, atomic_write_json
from nodes.iml import algorithms, flucoma, scalers
from nodes.iml.algorithms import MLPRegressor
from nodes.iml.dataset import INPUTS_FILE, JOURNAL_FILE, OUTPUTS_FILE, ExampleStore

class DataError(StateError):
    """What cannot be imported or exported, and what to do instead."""


@dataclass(frozen=True)
class _File:
    path: Path
    kind: str  # "dataset", "mlp" or "scaler"
    obj: Any


def _read(path: Path) -> _File:
    obj = flucoma.read_json_file(path)
    if isinstance(obj, dict):
        if "layers" in obj:
            return _File(path, "mlp", obj)
        if "data" in obj and "cols" in obj:
            return _File(path, "dataset", obj)
        if {"data_min", "mean", "median"} & set(obj):
            return _File(path, "scaler", obj)
    raise flucoma.FormatError(
        f"{path}: not a FluCoMa DataSet (cols, data), MLP (layers), Normalize (data_min, "
        "data_max, min, max), Standardize (mean, std) or RobustScale (median, range, ...) "
        "JSON object")


def _check_size(what: str, got: int, expected: int | None, where: str) -> None:
    if expected is not None and got != expected:
        raise DataError(f"{what} has {got} values per point but {where} has {expected} in "
                        "the patch; make them match (the patch's sizes, or another file)")


# -- import -------------------------------------------------------------------------------------

def read_files(paths: Sequence[Path]) -> list[_File]:
    """Each of ``paths`` read and recognised; FormatError naming the file and field."""
    if not paths:
        raise DataError("give at least one FluCoMa JSON file to import")
    return [_read(Path(p)) for p in paths]


def import_scaler(node_id: str, folder: Path, paths: Sequence[Path],
                  x_size: int | None) -> list[str]:
    """A normalize node's import: one scaler file, checked against ``x_size`` values
    in, written into ``folder`` in place of the node's other scalers."""
    files = read_files(paths)
    kinds = [f.kind for f in files]
    if kinds != ["scaler"]:
        hint = "; to fit a scaler on a DataSet, send the file's path to the node's read " \
               "inlet" if "dataset" in kinds else ""
        raise DataError(f"a normalize node takes one Normalize, Standardize or RobustScale "
                        f"file, got {', '.join(f'{f.path} ({f.kind})' for f in files)}{hint}")
    file = files[0]
    scaler = scalers.from_json(file.obj, str(file.path))
    _check_size(str(file.path), scaler.cols, x_size, f"{node_id}.in")
    target = folder / f"{scaler.flucoma_name}.json"
    atomic_write_json(target, scaler.to_json())
    for cls in scalers.SCALERS.values():
        if cls.flucoma_name != scaler.flucoma_name:
            (folder / f"{cls.flucoma_name}.json").unlink(missing_ok=True)
    return [f"{target}: {type(scaler).__name__} of {scaler.cols} columns"]


def import_regress(node_id: str, folder: Path, paths: Sequence[Path], replace: bool,
                   sizes: tuple[int | None, int | None], algorithm: str) -> list[str]:
    """A regress node's import: two DataSets (inputs, outputs) and/or an MLP, checked
    against ``sizes`` (values in, values out), written into ``folder``; recorded
    examples are kept unless ``replace``. ``algorithm``: the node's, for a note when
    it would train something other than the imported MLP."""
    files = read_files(paths)
    x_size, y_size = sizes
    datasets = [f for f in files if f.kind == "dataset"]
    mlps = [f for f in files if f.kind == "mlp"]
    for f in files:
        if f.kind == "scaler":
            raise DataError(f"{f.path} is a scaler: it belongs to a normalize node "
                            f"(nodegraph data import PATCH <normalize node> {f.path.name})")
    if len(datasets) not in (0, 2) or len(mlps) > 1:
        raise DataError(f"a regress node takes the inputs DataSet and the outputs DataSet, "
                        f"in that order, and/or one MLP; got {len(datasets)} DataSet(s) and "
                        f"{len(mlps)} MLP(s)")
    written: list[str] = []
    plan = []
    if datasets:
        ids, x, y = flucoma.read_pairs(datasets[0].path, datasets[1].path)
        x_cols = flucoma.integer(datasets[0].obj, "cols", str(datasets[0].path))
        y_cols = flucoma.integer(datasets[1].obj, "cols", str(datasets[1].path))
        _check_size(str(datasets[0].path), x_cols, x_size, f"{node_id}.x")
        _check_size(str(datasets[1].path), y_cols, y_size, f"{node_id}.out")
        held = len(_examples(folder)[0])
        if held and not replace:
            raise DataError(f"{node_id} already holds {held} recorded examples in "
                            f"{folder}; add --replace to discard them (nodegraph data "
                            "export keeps a copy first)")
        plan.append(lambda: _write_examples(folder, ids, x, y, x_cols, y_cols))
        written += [f"{folder / INPUTS_FILE}: {len(ids)} inputs of {x_cols} values",
                    f"{folder / OUTPUTS_FILE}: {len(ids)} outputs of {y_cols} values"]
    if mlps:
        file = mlps[0]
        regressor = MLPRegressor(flucoma.mlp_from_json(file.obj, str(file.path)))
        _check_size(str(file.path), regressor.n_inputs, x_size, f"{node_id}.x")
        _check_size(str(file.path), regressor.n_outputs, y_size, f"{node_id}.out")
        if datasets and (regressor.n_inputs, regressor.n_outputs) != (x_cols, y_cols):
            raise DataError(f"{file.path} maps {regressor.n_inputs} → {regressor.n_outputs} "
                            f"values but the DataSets hold {x_cols} → {y_cols}")
        plan.append(lambda: _write_regressor(folder, regressor))
        widths = [regressor.n_inputs] + [layer.weights.shape[1] for layer in regressor.layers]
        sizes = " → ".join(map(str, widths))
        written.append(f"{folder / regressor.file_name}: MLP {sizes}")
        if algorithm != "mlp":
            written.append(f"note: {node_id}'s algorithm is {algorithm}: "
                           "training again replaces the imported MLP")
    for write in plan:
        write()
    return written


def _write_examples(folder: Path, ids: list[str], x: np.ndarray, y: np.ndarray,
                    x_cols: int, y_cols: int) -> None:
    atomic_write_json(folder / INPUTS_FILE, flucoma.dataset_to_json(ids, x, x_cols))
    atomic_write_json(folder / OUTPUTS_FILE, flucoma.dataset_to_json(ids, y, y_cols))
    (folder / JOURNAL_FILE).unlink(missing_ok=True)  # changes to the examples replaced


def _write_regressor(folder: Path, regressor: MLPRegressor) -> None:
    regressor.save(folder)
    algorithms.remove_other_regressors(folder, regressor)


# -- export -------------------------------------------------------------------------------------

def _examples(folder: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    store = ExampleStore()
    if folder.is_dir():
        store.read(folder)
    return store.arrays()


def exported(node_id: str, folder: Path, lines: list[str]) -> list[str]:
    """``lines`` of an export, or DataError when they wrote no file."""
    if not any(not line.startswith("note:") for line in lines):
        raise DataError(f"{node_id} holds nothing to export in {folder} "
                        f"(record examples or train it, or fit it, first)"
                        + "".join(f"; {line}" for line in lines))
    return lines


def export_scaler(node_id: str, folder: Path, out_dir: Path, method: str) -> list[str]:
    """A normalize node's scaler (the one it would load: ``method``'s first) as a
    FluCoMa file in ``out_dir``; reads ``folder`` only."""
    for name in (method, *scalers.METHODS):  # the order the node loads
        path = folder / f"{scalers.SCALERS[name].flucoma_name}.json"
        if path.exists():
            scaler = scalers.from_json(flucoma.read_json_file(path), str(path))
            target = Path(out_dir) / path.name
            atomic_write_json(target, scaler.to_json())
            return [f"{target}: {type(scaler).__name__} of {scaler.cols} columns"]
    return exported(node_id, folder, [])


def export_regress(node_id: str, folder: Path, out_dir: Path) -> list[str]:
    """A regress node's examples (snapshot with the journal replayed) as two DataSets
    and its MLP, if it trained one, as FluCoMa files in ``out_dir``; reads ``folder``
    only."""
    out_dir = Path(out_dir)
    lines = []
    ids, x, y = _examples(folder)
    if ids:
        for name, values in ((INPUTS_FILE, x), (OUTPUTS_FILE, y)):
            atomic_write_json(out_dir / name, flucoma.dataset_to_json(ids, values,
                                                                      values.shape[1]))
            lines.append(f"{out_dir / name}: {len(ids)} points of {values.shape[1]} values")
    regressor = algorithms.load_regressor(folder, "mlp") if folder.is_dir() else None
    if isinstance(regressor, MLPRegressor):
        regressor.save(out_dir)
        lines.append(f"{out_dir / regressor.file_name}: MLP")
    elif regressor is not None:
        lines.append(f"note: the trained {regressor.algorithm} regressor has no FluCoMa format; "
                     "not exported")
    return exported(node_id, folder, lines)
