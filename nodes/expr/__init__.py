"""A small, safe expression language for the ``expr`` node.

Expressions are arithmetic over named inputs (numbers or vectors), compiled by a
hand-written tokenizer and recursive-descent parser into a short stack program that
numpy evaluates. Nothing here ever reaches Python's ``eval``, ``exec``, ``compile``,
attributes or imports: the only names an expression can mention are its inputs, the
constants and the functions of :mod:`nodes.expr.functions`, so a patch file from someone else cannot
run code. Length and nesting are bounded, so no input can exhaust the stack.

The grammar is :data:`nodes.expr.parser.GRAMMAR`.

Values are vectors; a number is a vector of one value and broadcasts against any
vector. Operators and most functions work element by element; sizes that differ
(other than 1) are an error, reported when the patch loads if the sizes are known
then. Comparisons give 1 or 0. ``[a, b, 0]`` joins its parts into one vector;
``v[i]`` is one value (negative counts from the end), ``v[i:j]`` a slice.

See :mod:`nodes.expr.functions` for the functions and constants.
"""

from .errors import ExprError
from .parser import compile_expression
from .program import Program

__all__ = ["ExprError", "Program", "compile_expression"]
