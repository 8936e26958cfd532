"""FluCoMa JSON formats: DataSet and MLP, read with errors that say what is wrong.

Field names and layouts follow flucoma-core's ``FluidJSON.hpp`` (docs/architecture.md,
"Interactive ML conventions"):

- DataSet: ``{"cols": N, "data": {"<id>": [N numbers], ...}}``; a regressor's examples
  are two DataSets (inputs and outputs) whose ids match;
- MLP: ``{"layers": [{"weights": [[...]] (rows × cols), "biases": [cols numbers],
  "activation": 0..3, "rows": inputs, "cols": outputs}, ...]}``.

The scalers' formats live with the scalers (:mod:`.scalers`), which use the checked
readers here. Files are written through ``nodegraph.storage`` (atomic).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.api import StateError

from .mlp import Layer, Network


class FormatError(StateError):
    """A file that does not follow its FluCoMa format; the message names the file and
    the field, and says what was expected."""


def read_json_file(path: Path) -> Any:
    """Parse a JSON file, turning syntax errors into a FormatError naming file:line."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise FormatError(f"{path}: not UTF-8 text; is it a JSON file?") from None
    except RecursionError:
        raise FormatError(f"{path}: JSON nested too deep to be a FluCoMa file") from None


def field(obj: Any, key: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise FormatError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    if key not in obj:
        raise FormatError(f"{where}: missing field {key!r} (fields: {', '.join(obj) or 'none'})")
    return obj[key]


def integer(obj: Any, key: str, where: str) -> int:
    value = field(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or value < 0:
        raise FormatError(f"{where}: {key!r} must be a whole number ≥ 0, got {value!r}")
    return int(value)


def number(obj: Any, key: str, where: str) -> float:
    value = field(obj, key, where)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise FormatError(f"{where}: {key!r} must be a finite number, got {value!r}")
    return float(value)


def numbers(value: Any, size: int | None, where: str) -> np.ndarray:
    """A list of finite numbers (of ``size`` when given) as float64."""
    if not isinstance(value, list) or any(
            isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise FormatError(f"{where}: expected a list of numbers")
    array = np.asarray(value, dtype=np.float64)
    if size is not None and array.shape != (size,):
        raise FormatError(f"{where}: expected {size} numbers, got {len(value)}")
    if not np.isfinite(array).all():
        raise FormatError(f"{where}: numbers must be finite")
    return array


def vector_field(obj: Any, key: str, size: int, where: str) -> np.ndarray:
    return numbers(field(obj, key, where), size, f"{where}: {key!r}")


# -- DataSet ------------------------------------------------------------------------------

def dataset_from_json(obj: Any, where: str) -> tuple[list[str], np.ndarray]:
    """Ids and rows (n, cols) float64 of a FluCoMa DataSet object."""
    cols = integer(obj, "cols", where)
    data = field(obj, "data", where)
    if not isinstance(data, dict):
        raise FormatError(f"{where}: 'data' must be an object mapping ids to points")
    ids = list(data)
    rows = np.empty((len(ids), cols), dtype=np.float64)
    for i, point_id in enumerate(ids):
        rows[i] = numbers(data[point_id], cols, f"{where}: point {point_id!r}")
    return ids, rows


def dataset_to_json(ids: Sequence[str], rows: np.ndarray, cols: int) -> dict[str, Any]:
    """A FluCoMa DataSet object (``cols`` given so an empty set keeps its width)."""
    return {"cols": int(cols),
            "data": {point_id: [float(v) for v in row] for point_id, row in zip(ids, rows)}}


def read_dataset(path: Path) -> tuple[list[str], np.ndarray]:
    return dataset_from_json(read_json_file(path), str(path))


def read_pairs(inputs_path: Path, outputs_path: Path
               ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Examples from an inputs and an outputs DataSet, paired by id (inputs' order).

    Every input id must have an output and the other way round: a regressor's
    examples are pairs, and a half pair is a mistake worth reporting.
    """
    in_ids, x = read_dataset(inputs_path)
    out_ids, y = read_dataset(outputs_path)
    position = {point_id: i for i, point_id in enumerate(out_ids)}
    in_set = set(in_ids)
    unmatched = [i for i in in_ids if i not in position] + [i for i in out_ids if i not in in_set]
    if unmatched:
        shown = ", ".join(map(repr, unmatched[:5])) + (" ..." if len(unmatched) > 5 else "")
        raise FormatError(f"{inputs_path} and {outputs_path}: ids must match in both "
                          f"DataSets; unpaired: {shown}")
    order = np.asarray([position[i] for i in in_ids], dtype=np.intp)
    return in_ids, x, y[order]


# -- MLP ------------------------------------------------------------------------------------

def mlp_from_json(obj: Any, where: str) -> Network:
    """The layers of a FluCoMa MLP object, checked for consistent shapes."""
    raw_layers = field(obj, "layers", where)
    if not isinstance(raw_layers, list) or not raw_layers:
        raise FormatError(f"{where}: 'layers' must be a non-empty list")
    layers = []
    for i, raw in enumerate(raw_layers):
        at = f"{where}: layer {i}"
        rows, cols = integer(raw, "rows", at), integer(raw, "cols", at)
        weights = field(raw, "weights", at)
        if not isinstance(weights, list) or len(weights) != rows:
            raise FormatError(f"{at}: 'weights' must be {rows} lists (rows) of {cols} numbers")
        matrix = np.array([numbers(r, cols, f"{at}: weights row {j}")
                           for j, r in enumerate(weights)], dtype=np.float64).reshape(rows, cols)
        biases = vector_field(raw, "biases", cols, at)
        activation = integer(raw, "activation", at)
        if activation > 3:
            raise FormatError(f"{at}: 'activation' must be 0 (identity), 1 (sigmoid), "
                              f"2 (relu) or 3 (tanh), got {activation}")
        if layers and layers[-1].weights.shape[1] != rows:
            raise FormatError(f"{at}: has {rows} rows but the layer before has "
                              f"{layers[-1].weights.shape[1]} outputs")
        layers.append(Layer(matrix, biases, activation))
    return tuple(layers)


def mlp_to_json(layers: Sequence[Layer]) -> dict[str, Any]:
    return {"layers": [{"weights": layer.weights.tolist(), "biases": layer.biases.tolist(),
                        "activation": int(layer.activation),
                        "rows": int(layer.weights.shape[0]), "cols": int(layer.weights.shape[1])}
                       for layer in layers]}
