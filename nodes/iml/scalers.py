"""Per-dimension scaling, as FluCoMa's Normalize, Standardize and RobustScale objects.

Each fitted scaler is an affine map per dimension, ``y = (x - shift) * gain + offset``,
and saves itself in its FluCoMa JSON format (field names from flucoma-core's
``FluidJSON.hpp``; docs/architecture.md, "Interactive ML conventions"):

==============  ===========  =================================================================
method          FluCoMa      JSON fields
==============  ===========  =================================================================
``minmax``      Normalize    ``cols, data_min, data_max, min, max`` → [min, max]
``standard``    Standardize  ``cols, mean, std`` → zero mean, unit deviation
``robust``      RobustScale  ``cols, median, range, data_low, data_high, low, high``
                             (``low``/``high`` percentiles, 25/75) → (x - median) / range
==============  ===========  =================================================================

**Zero-range guard** (a known bug class: docs/architecture.md). A dimension whose spread is
below float32 resolution at its magnitude (inputs travel as float32) is treated as
having spread 1, as FluCoMa and scikit-learn do for exact zeros, instead of dividing by
nearly nothing and turning float noise into full-scale jumps. ``constant_dims`` lists
them. Imported files are guarded the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from . import flucoma

#: Below this many float32 steps of a dimension's magnitude, its spread counts as zero.
_GUARD_STEPS = 10.0
_EPS32 = float(np.finfo(np.float32).eps)

METHODS = ("minmax", "standard", "robust")


def guard(spread: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``spread`` with zero-like entries replaced by 1, and the mask of those entries.

    ``level`` is the typical magnitude of each dimension (float32 resolution scales
    with it)."""
    spread = np.asarray(spread, dtype=np.float64)
    tiny = spread <= _GUARD_STEPS * _EPS32 * np.maximum(1.0, np.abs(level))
    return np.where(tiny, 1.0, spread), tiny


@dataclass(frozen=True, eq=False)
class Scaler(ABC):
    """A fitted scaler: per-dimension ``(x - shift) * gain + offset``. Immutable, so the
    node can swap one in atomically while another thread reads it."""

    method: ClassVar[str]
    #: FluCoMa object name, also the file name stem (``normalize.json``...)
    flucoma_name: ClassVar[str]
    shift: np.ndarray = field(repr=False)
    gain: np.ndarray = field(repr=False)
    offset: np.ndarray = field(repr=False)
    constant_dims: tuple[int, ...] = ()

    @property
    def cols(self) -> int:
        return int(self.shift.shape[0])

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Scale ``x`` (..., cols); float32 in, float32 out."""
        if x.shape[-1] != self.cols:
            raise ValueError(f"this scaler was fitted on {self.cols} values, got {x.shape[-1]}; "
                             "fit it again on the current input")
        return ((x - self.shift) * self.gain + self.offset).astype(np.float32, copy=False)

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The FluCoMa JSON object for this scaler."""


def _floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in values]


@dataclass(frozen=True, eq=False)
class MinMax(Scaler):
    method: ClassVar[str] = "minmax"
    flucoma_name: ClassVar[str] = "normalize"
    data_min: np.ndarray = field(default=None, repr=False)
    data_max: np.ndarray = field(default=None, repr=False)
    out_min: float = 0.0
    out_max: float = 1.0

    @classmethod
    def make(cls, data_min: np.ndarray, data_max: np.ndarray,
             out_min: float = 0.0, out_max: float = 1.0) -> MinMax:
        spread, tiny = guard(data_max - data_min, np.maximum(abs(data_min), abs(data_max)))
        out_range = out_max - out_min if out_max != out_min else 1.0
        return cls(shift=data_min, gain=out_range / spread, offset=np.full_like(spread, out_min),
                   constant_dims=tuple(np.flatnonzero(tiny).tolist()),
                   data_min=data_min, data_max=data_max, out_min=out_min, out_max=out_max)

    @classmethod
    def fit(cls, x: np.ndarray) -> MinMax:
        return cls.make(x.min(axis=0), x.max(axis=0))

    @classmethod
    def from_json(cls, obj: Any, where: str) -> MinMax:
        cols = flucoma.integer(obj, "cols", where)
        return cls.make(flucoma.vector_field(obj, "data_min", cols, where),
                        flucoma.vector_field(obj, "data_max", cols, where),
                        flucoma.number(obj, "min", where), flucoma.number(obj, "max", where))

    def to_json(self) -> dict[str, Any]:
        return {"cols": self.cols, "data_min": _floats(self.data_min),
                "data_max": _floats(self.data_max), "min": self.out_min, "max": self.out_max}


@dataclass(frozen=True, eq=False)
class Standard(Scaler):
    method: ClassVar[str] = "standard"
    flucoma_name: ClassVar[str] = "standardize"
    mean: np.ndarray = field(default=None, repr=False)
    std: np.ndarray = field(default=None, repr=False)

    @classmethod
    def make(cls, mean: np.ndarray, std: np.ndarray) -> Standard:
        spread, tiny = guard(std, mean)
        return cls(shift=mean, gain=1.0 / spread, offset=np.zeros_like(spread),
                   constant_dims=tuple(np.flatnonzero(tiny).tolist()), mean=mean, std=std)

    @classmethod
    def fit(cls, x: np.ndarray) -> Standard:
        return cls.make(x.mean(axis=0), x.std(axis=0))

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Standard:
        cols = flucoma.integer(obj, "cols", where)
        return cls.make(flucoma.vector_field(obj, "mean", cols, where),
                        flucoma.vector_field(obj, "std", cols, where))

    def to_json(self) -> dict[str, Any]:
        return {"cols": self.cols, "mean": _floats(self.mean), "std": _floats(self.std)}


@dataclass(frozen=True, eq=False)
class Robust(Scaler):
    method: ClassVar[str] = "robust"
    flucoma_name: ClassVar[str] = "robustscale"
    median: np.ndarray = field(default=None, repr=False)
    data_range: np.ndarray = field(default=None, repr=False)
    data_low: np.ndarray = field(default=None, repr=False)
    data_high: np.ndarray = field(default=None, repr=False)
    low: float = 25.0
    high: float = 75.0

    @classmethod
    def make(cls, median: np.ndarray, data_range: np.ndarray, data_low: np.ndarray,
             data_high: np.ndarray, low: float = 25.0, high: float = 75.0) -> Robust:
        spread, tiny = guard(data_range, median)
        return cls(shift=median, gain=1.0 / spread, offset=np.zeros_like(spread),
                   constant_dims=tuple(np.flatnonzero(tiny).tolist()), median=median,
                   data_range=data_range, data_low=data_low, data_high=data_high,
                   low=low, high=high)

    @classmethod
    def fit(cls, x: np.ndarray) -> Robust:
        low, median, high = np.percentile(x, [25.0, 50.0, 75.0], axis=0)
        return cls.make(median, high - low, low, high)

    @classmethod
    def from_json(cls, obj: Any, where: str) -> Robust:
        cols = flucoma.integer(obj, "cols", where)
        return cls.make(*(flucoma.vector_field(obj, key, cols, where)
                          for key in ("median", "range", "data_low", "data_high")),
                        flucoma.number(obj, "low", where), flucoma.number(obj, "high", where))

    def to_json(self) -> dict[str, Any]:
        return {"cols": self.cols, "median": _floats(self.median),
                "range": _floats(self.data_range), "data_low": _floats(self.data_low),
                "data_high": _floats(self.data_high), "low": self.low, "high": self.high}


SCALERS: dict[str, type[Scaler]] = {cls.method: cls for cls in (MinMax, Standard, Robust)}


def fit(method: str, x: np.ndarray) -> Scaler:
    """Fit ``method`` on ``x`` (n, cols), n ≥ 1."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError("fitting a scaler needs at least one point")
    return SCALERS[method].fit(x)


def from_json(obj: Any, where: str) -> Scaler:
    """A scaler from any of the three FluCoMa objects, recognised by its fields."""
    if isinstance(obj, dict):
        if "data_min" in obj:
            return MinMax.from_json(obj, where)
        if "median" in obj:
            return Robust.from_json(obj, where)
        if "mean" in obj:
            return Standard.from_json(obj, where)
    raise flucoma.FormatError(
        f"{where}: not a FluCoMa Normalize (data_min, data_max, min, max), Standardize "
        "(mean, std) or RobustScale (median, range, data_low, data_high, low, high) object")
