"""Recursive-descent parser: tokens straight into a stack program.

Each rule of :data:`GRAMMAR` is one method; it emits the
instructions of what it parsed, operands before operators, so no syntax tree is
kept. Names are resolved while parsing: an input, a constant, or (followed by ``(``)
a function of :mod:`.functions`; anything else is an error naming the column.

Bounds: at most ``MAX_LENGTH`` characters and ``MAX_DEPTH`` levels of nesting
(parentheses, calls, brackets, signs, powers), so recursion stays far below
Python's limit whatever the input.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .errors import ExprError
from .functions import BINARY, CONSTANTS, FUNCTIONS, NEGATE
from .program import Instruction, Program
from .tokens import Token, tokenize

#: The language's grammar (``^`` and ``**`` are the same operator); shown in the
#: ``expr`` node's documentation.
GRAMMAR = """\
expression := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum]
sum        := product (("+" | "-") product)*
product    := unary (("*" | "/" | "%") unary)*
unary      := ("-" | "+") unary | power
power      := postfix [("^" | "**") unary]          (right-associative)
postfix    := atom ["[" index "]"]
index      := integer | [integer] ":" [integer]      (integer: [-]digits)
atom       := number | name | name "(" expression ("," expression)* ")"
            | "(" expression ")" | "[" expression ("," expression)* "]"
"""

MAX_LENGTH = 1000
MAX_DEPTH = 32
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def compile_expression(text: str, inputs: Iterable[str]) -> Program:
    """Compile ``text`` for the given input names; ExprError says what and where."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty; write one, e.g. a * 2")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"the expression is {len(text)} characters long; at most {MAX_LENGTH}")
    return _Parser(tokenize(text), frozenset(inputs)).parse(text)


class _Parser:
    def __init__(self, tokens: list[Token], inputs: frozenset[str]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.inputs = inputs
        self.depth = 0
        self.code: list[Instruction] = []

    # -- helpers ---------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def at(self, *texts: str) -> bool:
        return self.token.kind == "op" and self.token.text in texts

    def expect(self, text: str, opened: Token) -> None:
        if not self.at(text):
            raise ExprError(f"expected {text!r} to close {opened.text!r} from column "
                            f"{opened.column}, found {self._shown(self.token)}", self.token.column)
        self.take()

    @staticmethod
    def _shown(token: Token) -> str:
        return "end of expression" if token.kind == "end" else repr(token.text)

    def emit(self, op: str, arg: object, column: int, count: int = 0) -> None:
        self.code.append(Instruction(op, arg, column, count))

    def nested(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"nested more than {MAX_DEPTH} levels deep", token.column)

    # -- grammar ---------------------------------------------------------------------------

    def parse(self, text: str) -> Program:
        self.expression()
        if self.token.kind != "end":
            raise ExprError(f"unexpected {self._shown(self.token)}; expected an operator "
                            "or the end", self.token.column)
        return Program(text, self.code)

    def expression(self) -> None:
        self.sum()
        if self.at(*_COMPARISONS):
            op = self.take()
            self.sum()
            self.emit("call", BINARY[op.text], op.column, 2)
            if self.at(*_COMPARISONS):
                raise ExprError("comparisons do not chain; combine two with *",
                                self.token.column)

    def sum(self) -> None:
        self.product()
        while self.at("+", "-"):
            op = self.take()
            self.product()
            self.emit("call", BINARY[op.text], op.column, 2)

    def product(self) -> None:
        self.unary()
        while self.at("*", "/", "%"):
            op = self.take()
            self.unary()
            self.emit("call", BINARY[op.text], op.column, 2)

    def unary(self) -> None:
        if self.at("-", "+"):
            op = self.take()
            self.nested(op)
            self.unary()
            self.depth -= 1
            if op.text == "-":
                self.emit("call", NEGATE, op.column, 1)
            return
        self.power()

    def power(self) -> None:
        self.postfix()
        if self.at("^", "**"):
            op = self.take()
            self.nested(op)
            self.unary()
            self.depth -= 1
            self.emit("call", BINARY[op.text], op.column, 2)

    def postfix(self) -> None:
        self.atom()
        if not self.at("["):
            return
        opened = self.take()
        start = self.integer()
        if self.at(":"):
            self.take()
            stop = self.integer()
            self.emit("slice", (start, stop), opened.column)
        elif start is None:
            raise ExprError(f"expected a whole number index, found {self._shown(self.token)}",
                            self.token.column)
        else:
            self.emit("index", start, opened.column)
        self.expect("]", opened)
        if self.at("["):
            raise ExprError("one index per value: v[i] is already a number", self.token.column)

    def integer(self) -> int | None:
        """An optional ``[-]digits`` literal inside brackets."""
        sign = 1
        if self.at("-"):
            self.take()
            sign = -1
            if self.token.kind != "number":
                raise ExprError("an index is a whole number literal", self.token.column)
        if self.token.kind != "number":
            if self.at(":", "]"):
                return None
            raise ExprError("an index is a whole number literal (not an expression)",
                            self.token.column)
        token = self.take()
        if not token.text.isascii() or not token.text.isdigit():
            raise ExprError(f"an index is a whole number, got {token.text}", token.column)
        return sign * int(token.text)

    def atom(self) -> None:
        token = self.token
        if token.kind == "number":
            self.take()
            value = float(token.text)
            if not np.isfinite(value):
                raise ExprError(f"{token.text} is too large", token.column)
            self.emit("const", np.array([value]), token.column)
        elif token.kind == "name":
            self.name()
        elif self.at("("):
            opened = self.take()
            self.nested(opened)
            self.expression()
            self.depth -= 1
            self.expect(")", opened)
        elif self.at("["):
            opened = self.take()
            self.nested(opened)
            count = self.items("]", opened)
            self.depth -= 1
            self.emit("join", None, opened.column, count)
        else:
            raise ExprError(f"unexpected {self._shown(token)}; expected a number, a name or "
                            "'('", token.column)

    def items(self, closing: str, opened: Token) -> int:
        """Comma-separated expressions up to ``closing``; returns how many."""
        count = 0
        while True:
            self.expression()
            count += 1
            if self.at(","):
                self.take()
                continue
            self.expect(closing, opened)
            return count

    def name(self) -> None:
        token = self.take()
        name = token.text
        if self.at("("):
            function = FUNCTIONS.get(name)
            if function is None:
                what = "an input" if name in self.inputs else "not a function"
                raise ExprError(f"{name!r} is {what}; functions: {', '.join(sorted(FUNCTIONS))}",
                                token.column)
            opened = self.take()
            self.nested(opened)
            count = 0 if self.at(")") else self.items(")", opened)
            if count == 0:
                self.take()
            self.depth -= 1
            if not function.accepts(count):
                raise ExprError(f"{name}() takes {function.describe_arity()}, got {count}",
                                token.column)
            self.emit("call", function, token.column, count)
        elif name in self.inputs:
            self.emit("input", name, token.column)
        elif name in CONSTANTS:
            self.emit("const", np.array([CONSTANTS[name]]), token.column)
        elif name in FUNCTIONS:
            raise ExprError(f"{name} is a function; call it as {name}(...)", token.column)
        else:
            inputs = ", ".join(sorted(self.inputs)) or "none"
            raise ExprError(f"unknown name {name!r}; inputs: {inputs}; constants: "
                            f"{', '.join(CONSTANTS)}", token.column)
