"""Reading message values at vector inlets, and per-dimension params.

The rule every math node here follows: an inlet value becomes a 1-D float32 array
(a number is a 1-value vector); a value that is not numeric, not 1-D, or holds NaN or
infinity raises a ValueError that names the inlet, so the node is flagged, sends
nothing and holds its last output (the engine's fault rule) rather than passing
garbage on to a decoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nodegraph.api import ParamError, PortInfo


def as_vector(value: Any, inlet: str) -> np.ndarray:
    """``value`` as a finite 1-D float32 array; ValueError naming ``inlet`` if not."""
    if isinstance(value, (bool, str)) or value is None:
        raise ValueError(f"inlet {inlet!r} takes numbers or vectors, got {value!r}")
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"inlet {inlet!r} takes numbers or vectors, got "
                         f"{type(value).__name__}") from None
    if array.ndim == 0:
        array = array.reshape(1)
    elif array.ndim != 1:
        raise ValueError(f"inlet {inlet!r} takes a 1-D vector, got shape {array.shape}")
    if not np.isfinite(array).all():
        bad = int(array.size - np.isfinite(array).sum())
        raise ValueError(f"inlet {inlet!r} received {bad} NaN/infinite value(s); "
                         "holding the last output")
    return array


def per_dim_size(params: dict[str, Sequence[float]]) -> int | None:
    """The vector size a set of per-dimension params implies: the common length of
    those with more than one value (None if all have one, which broadcasts).
    ParamError names the first param that disagrees."""
    size = None
    for name, values in params.items():
        if len(values) == 0:
            raise ParamError(f"{name} needs at least one value", name)
        if len(values) == 1:
            continue
        if size is None:
            size = len(values)
        elif len(values) != size:
            raise ParamError(f"{name} has {len(values)} values but the other per-dimension "
                             f"params have {size}; give each 1 value (applies to every "
                             f"dimension) or {size}", name)
    return size


def check_arriving(inlets: dict[str, PortInfo], inlet: str, size: int | None,
                   param: str) -> None:
    """Raise ParamError (blaming ``param``) when the vectors arriving at ``inlet``
    are known to have a size other than ``size``."""
    arriving = inlets.get(inlet)
    if size is not None and arriving is not None and arriving.size is not None \
            and arriving.size != size:
        raise ParamError(f"{param} has {size} values but {inlet!r} receives "
                         f"{arriving.size}; give {arriving.size} values or 1", param)


def broadcast(values: Sequence[float], size: int, name: str) -> np.ndarray:
    """A per-dimension param as an array of ``size`` (one value repeats)."""
    array = np.asarray(values, dtype=np.float32)
    if array.size == 1:
        return np.full(size, array[0], dtype=np.float32)
    if array.size != size:
        raise ValueError(f"{name} has {array.size} values but the input has {size}")
    return array
