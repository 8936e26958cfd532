"""The functions, operators and constants an expression may use: nothing else.

Every value is a 1-D float64 array (a number has one value), and every function
returns one (reductions a 1-value array). A function has a set of
argument counts it accepts, an implementation over arrays, and a size rule used to
check sizes when the patch loads:

- ``elementwise``: arguments broadcast (sizes equal, or 1); the result has that size;
- ``reduce``: the result is one value;
- ``reduce-one``: reduces when given one argument, elementwise otherwise (min, max).

Functions: sin cos tan asin acos atan sinh cosh tanh exp log (natural) log2 log10
sqrt abs sign floor ceil round (halves up); atan2(y, x) pow(x, y); min and max of
two or more arguments (elementwise) or of one vector (its smallest/largest value);
clip(x, lo, hi); mix(a, b, t) = lerp(a, b, t) = a + (b - a) t; where(c, x, y) (x
where c is not 0, else y); sum mean norm (Euclidean length) of a vector; dot(a, b).
Constants: pi, e.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import ExprError

Array = np.ndarray
ELEMENTWISE, REDUCE, REDUCE_ONE = "elementwise", "reduce", "reduce-one"


@dataclass(frozen=True)
class Function:
    """A callable of the language, with the argument counts it accepts."""

    name: str
    impl: Callable[..., Array]
    arities: tuple[int, ...]
    rule: str = ELEMENTWISE

    def accepts(self, count: int) -> bool:
        return count in self.arities

    def reduces(self, count: int) -> bool:
        """Whether a call with ``count`` arguments gives one value."""
        return self.rule == REDUCE or (self.rule == REDUCE_ONE and count == 1)

    def describe_arity(self) -> str:
        if len(self.arities) > 2:
            return f"{self.arities[0]} to {self.arities[-1]} arguments"
        counts = " or ".join(str(a) for a in self.arities)
        return f"{counts} argument{'s' if self.arities != (1,) else ''}"


def _reduce(fn: Callable[[Array], float], what: str) -> Callable[[Array], Array]:
    def reduced(x: Array) -> Array:
        if x.size == 0:
            raise ExprError(f"{what} of an empty vector has no value")
        return np.array([fn(x)])
    return reduced


def _min(*args: Array) -> Array:
    if len(args) == 1:
        return _reduce(np.min, "min")(args[0])
    return np.minimum.reduce(np.broadcast_arrays(*args))


def _max(*args: Array) -> Array:
    if len(args) == 1:
        return _reduce(np.max, "max")(args[0])
    return np.maximum.reduce(np.broadcast_arrays(*args))


def _mix(a: Array, b: Array, t: Array) -> Array:
    return a + (b - a) * t


#: min(v) / max(v) of one vector reduce it; with 2 to 8 arguments they are elementwise.
_MIN_MAX_ARITIES = tuple(range(1, 9))

_ELEMENTWISE_1 = {
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin, "acos": np.arccos,
    "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh, "exp": np.exp,
    "log": np.log, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt, "abs": np.abs,
    "sign": np.sign, "floor": np.floor, "ceil": np.ceil,
    "round": lambda x: np.floor(x + 0.5),
}

FUNCTIONS: dict[str, Function] = {
    **{name: Function(name, impl, (1,)) for name, impl in _ELEMENTWISE_1.items()},
    "atan2": Function("atan2", np.arctan2, (2,)),
    "pow": Function("pow", np.power, (2,)),
    "clip": Function("clip", np.clip, (3,)),
    "mix": Function("mix", _mix, (3,)),
    "lerp": Function("lerp", _mix, (3,)),
    "where": Function("where", lambda c, x, y: np.where(c != 0, x, y), (3,)),
    "min": Function("min", _min, _MIN_MAX_ARITIES, REDUCE_ONE),
    "max": Function("max", _max, _MIN_MAX_ARITIES, REDUCE_ONE),
    "sum": Function("sum", lambda x: np.array([np.sum(x)]), (1,), REDUCE),
    "mean": Function("mean", _reduce(np.mean, "mean"), (1,), REDUCE),
    "norm": Function("norm", lambda x: np.array([np.linalg.norm(x)]), (1,), REDUCE),
    "dot": Function("dot", lambda a, b: np.array([np.sum(a * b)]), (2,), REDUCE),
}

CONSTANTS: dict[str, float] = {"pi": float(np.pi), "e": float(np.e)}


def _compare(fn: Callable[[Array, Array], Array]) -> Callable[[Array, Array], Array]:
    return lambda a, b: fn(a, b).astype(np.float64)


#: Binary operators, by token.
BINARY: dict[str, Function] = {
    "+": Function("+", np.add, (2,)),
    "-": Function("-", np.subtract, (2,)),
    "*": Function("*", np.multiply, (2,)),
    "/": Function("/", np.divide, (2,)),
    "%": Function("%", np.mod, (2,)),
    "^": Function("^", np.power, (2,)),
    "**": Function("^", np.power, (2,)),
    "<": Function("<", _compare(np.less), (2,)),
    "<=": Function("<=", _compare(np.less_equal), (2,)),
    ">": Function(">", _compare(np.greater), (2,)),
    ">=": Function(">=", _compare(np.greater_equal), (2,)),
    "==": Function("==", _compare(np.equal), (2,)),
    "!=": Function("!=", _compare(np.not_equal), (2,)),
}

NEGATE = Function("-", np.negative, (1,))


def reserved(name: str) -> bool:
    """True for names an expression reserves (functions and constants)."""
    return name in FUNCTIONS or name in CONSTANTS
