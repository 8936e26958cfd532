"""expr: compute a formula over numbers and vectors, in a small safe language."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import (NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param, ParamError,
                           PortInfo, valid_name)

from .control.values import as_vector
from .expr import ExprError, compile_expression
from .expr.functions import CONSTANTS, FUNCTIONS, reserved
from .expr.parser import GRAMMAR

OUTPUTS = ("vector", "number")
MAX_INPUTS = 16
_INPUT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ZERO = np.zeros(1)


class Expr(Node):
    """Compute the expression over the inputs and send the result.

    Each name in ``inputs`` is an inlet and a variable: with ``inputs: mouth jaw``,
    write ``mouth * 2 + jaw``. Values are vectors (a number is a 1-value vector that
    broadcasts); operators ``+ - * / % ^`` and comparisons (1 or 0) work element by
    element; ``[a, 0]`` joins, ``v[0]`` and ``v[1:3]`` index. Functions: {functions};
    constants: {constants}. No other name exists: the language has no attributes,
    strings, imports or calls outside this list, so a patch cannot run code
    through it.

    Inputs not yet received count as 0. Every input is hot unless listed in
    ``cold``. A result value that is not a finite number (a division by zero, log
    of 0, an overflow) is sent as 0 and counted in the report as ``guarded``.
    Syntax errors and vector sizes that cannot combine are reported when the patch
    loads, with the column in the expression.
    """

    type_name = "expr"
    category = "control"
    inputs = Param("text", "a", "input names separated by spaces; each is an inlet")
    expression = Param("text", "a", "the formula, e.g. 'a * 2 + sin(b)'")
    cold = Param("text", "", "inputs that only store their value (cold), separated by spaces")
    output = Param("choice", "vector", "send a vector, or a number (then the result must "
                   "be one value)", choices=OUTPUTS)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        self._names = _input_names(self.inputs)
        cold = self.cold.split()
        unknown = [c for c in cold if c not in self._names]
        if unknown:
            raise ParamError(f"cold names {', '.join(unknown)}, which are not inputs "
                             f"({', '.join(self._names)})", "cold")
        self._cold = frozenset(cold)
        try:
            self._program = compile_expression(self.expression, self._names)
        except ExprError as exc:
            raise ParamError(f"{_quoted(self.expression)}: {exc}", "expression") from None
        #: values that were not finite numbers, sent as 0
        self.guarded = 0

    @property
    def inlets(self) -> tuple[Inlet, ...]:
        return tuple(Inlet(name, VECTOR, f"the value of {name} in the expression",
                           hot=name not in self._cold) for name in self._names)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        port_type = NUMBER if self.output == "number" else VECTOR
        return (Outlet("out", port_type, "the result"),)

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        sizes = {name: inlets[name].size for name in self._names if name in inlets}
        try:
            size = self._program.size(sizes)
        except ExprError as exc:
            raise ParamError(f"{_quoted(self.expression)}: {exc}", "expression") from None
        if self.output == "number" and size not in (None, 1):
            raise ParamError(f"output is number but {_quoted(self.expression)} gives {size} "
                             "values; reduce it (sum, mean, v[0]...) or send a vector",
                             "output")
        info = {name: PortInfo() for name in self._names}
        info["out"] = PortInfo() if self.output == "number" else PortInfo(size)
        return info

    def open(self) -> None:
        self.guarded = 0

    def process(self, inputs: Inputs) -> dict[str, Any]:
        values = {name: _ZERO if inputs[name] is None
                  else as_vector(inputs[name], name).astype(np.float64)
                  for name in self._names}
        try:
            result = self._program.run(values)
        except ExprError as exc:
            raise ValueError(f"{_quoted(self.expression)}: {exc}") from None
        finite = np.isfinite(result)
        if not finite.all():
            if self.guarded == 0:
                self.ctx.log.warning("%s gave a value that is not a finite number (division "
                                     "by zero, log of 0, overflow...); sent as 0 and counted "
                                     "as 'guarded'", _quoted(self.expression))
            self.guarded += int(result.size - finite.sum())
            result = np.where(finite, result, 0.0)
        if self.output == "number":
            if result.size != 1:
                raise ValueError(f"output is number but the result has {result.size} values")
            return {"out": float(result[0])}
        return {"out": result.astype(np.float32)}

    def report(self) -> dict[str, Any]:
        return {"guarded": self.guarded}


# The lists and the grammar come from the language itself, so they are written once.
Expr.__doc__ = Expr.__doc__.replace("{functions}", ", ".join(FUNCTIONS)).replace(
    "{constants}", ", ".join(CONSTANTS)) + "\n    Grammar (``^`` and ``**`` are one operator):\n\n" \
    + "".join(f"        {line}\n" for line in GRAMMAR.splitlines())


def _quoted(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")


def _input_names(text: str) -> tuple[str, ...]:
    names = text.split()
    if not names:
        raise ParamError("inputs is empty; name at least one, e.g. 'a b'", "inputs")
    if len(names) > MAX_INPUTS:
        raise ParamError(f"{len(names)} inputs; at most {MAX_INPUTS}", "inputs")
    for name in names:
        if not _INPUT_NAME.match(name) or not valid_name(name):
            raise ParamError(f"input name {name!r} must be letters, digits and _, starting "
                             "with a letter (and not a YAML word like 'on')", "inputs")
        if reserved(name):
            raise ParamError(f"input name {name!r} is a function or constant of the "
                             "language; choose another", "inputs")
    if len(set(names)) != len(names):
        raise ParamError(f"inputs repeat a name: {text!r}", "inputs")
    return tuple(names)
