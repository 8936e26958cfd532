"""Compiled expressions: a flat stack program, checked for sizes, run with numpy.

The parser emits instructions in postfix order, so running a program is one loop
over a list with a value stack: no recursion, however long the expression. The same
loop over sizes instead of values checks, when the patch loads, that every operation
combines vectors of matching sizes.

Instructions (``op``, ``arg``, ``count``):

==========  =====================================================================
``const``   push ``arg`` (a 1-value array)
``input``   push the value of input ``arg``
``call``    pop ``count`` values, push ``arg(*values)`` (an operator or function)
``index``   pop a vector, push its value at ``arg``
``slice``   pop a vector, push ``vector[arg[0]:arg[1]]``
``join``    pop ``count`` values, push them joined end to end
==========  =====================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ExprError
from .functions import Function

Size = int | None


@dataclass(frozen=True)
class Instruction:
    op: str
    arg: Any
    column: int
    count: int = 0


def _broadcast(sizes: list[Size], what: str, column: int) -> Size:
    known = sorted({s for s in sizes if s is not None and s != 1})
    if len(known) > 1:
        raise ExprError(f"{what} combines vectors of {' and '.join(map(str, known))} values "
                        "(sizes must match, or be 1)", column)
    if known:
        return known[0]
    return None if None in sizes else 1


class Program:
    """An expression compiled for the inputs it names."""

    def __init__(self, text: str, instructions: list[Instruction]) -> None:
        self.text = text
        self.instructions = tuple(instructions)
        self.inputs = frozenset(i.arg for i in instructions if i.op == "input")

    def size(self, input_sizes: Mapping[str, Size]) -> Size:
        """The size of the result given the inputs' sizes (None: unknown).
        ExprError (with the column) where sizes cannot combine."""
        stack: list[Size] = []
        for ins in self.instructions:
            if ins.op == "const":
                stack.append(1)
            elif ins.op == "input":
                stack.append(input_sizes.get(ins.arg))
            elif ins.op == "call":
                args = stack[len(stack) - ins.count:]
                del stack[len(stack) - ins.count:]
                fn: Function = ins.arg
                size = _broadcast(args, repr(fn.name), ins.column)
                stack.append(1 if fn.reduces(ins.count) else size)
            elif ins.op == "index":
                size = stack.pop()
                if size is not None and not -size <= ins.arg < size:
                    raise ExprError(f"index {ins.arg} is outside a vector of {size} values",
                                    ins.column)
                stack.append(1)
            elif ins.op == "slice":
                size = stack.pop()
                stack.append(None if size is None else len(range(size)[slice(*ins.arg)]))
            else:  # join
                parts = stack[len(stack) - ins.count:]
                del stack[len(stack) - ins.count:]
                stack.append(None if None in parts else sum(parts))
        return stack[0]

    def run(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Evaluate with ``values`` (1-D float64 arrays by input name); a 1-D float64
        result (every function maps 1-D float64 arrays to one). Non-finite results (x/0, log(0)) are left for the caller to guard;
        ExprError for sizes that do not combine or an index out of range."""
        stack: list[np.ndarray] = []
        with np.errstate(all="ignore"):
            for ins in self.instructions:
                if ins.op == "const":
                    stack.append(ins.arg)
                elif ins.op == "input":
                    stack.append(values[ins.arg])
                elif ins.op == "call":
                    if ins.count == 2:
                        right = stack.pop()
                        args = [stack.pop(), right]
                    else:
                        args = stack[len(stack) - ins.count:]
                        del stack[len(stack) - ins.count:]
                    stack.append(self._call(ins, args))
                elif ins.op == "index":
                    vector = stack.pop()
                    if not -vector.size <= ins.arg < vector.size:
                        raise ExprError(f"index {ins.arg} is outside a vector of "
                                        f"{vector.size} values", ins.column)
                    stack.append(vector[[ins.arg]])
                elif ins.op == "slice":
                    stack.append(stack.pop()[slice(*ins.arg)])
                else:  # join
                    parts = stack[len(stack) - ins.count:]
                    del stack[len(stack) - ins.count:]
                    stack.append(np.concatenate(parts))
        return stack[0]

    @staticmethod
    def _call(ins: Instruction, args: list[np.ndarray]) -> np.ndarray:
        fn: Function = ins.arg
        try:
            result = fn.impl(*args)
        except ExprError as exc:
            raise ExprError(str(exc), ins.column) from None
        except ValueError:
            _broadcast([a.size for a in args], repr(fn.name), ins.column)
            raise
        return result
