"""Tokenizer: expression text into numbers, names and operators, with columns.

Only these characters can appear: digits, letters, ``_``, whitespace, and the
operator characters ``+ - * / % ^ < > = ! ( ) [ ] , : .`` (the dot only inside a
number). Anything else, a quote, or a dot after a name stops the tokenizer with an
error naming the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ExprError

_DIGITS = "0123456789"
_NUMBER = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TWO_CHAR = ("**", "<=", ">=", "==", "!=")
_ONE_CHAR = "+-*/%^<>()[],:"


@dataclass(frozen=True)
class Token:
    """``kind`` is ``number``, ``name``, ``op`` or ``end``; ``column`` is 1-based."""

    kind: str
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; ExprError on a bad one."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        column = i + 1
        if ch.isspace():
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            tokens.append(Token("number", m.group(), column))
            i = m.end()
            if i < n and (text[i] == "." or text[i].isalnum() or text[i] == "_"):
                raise ExprError(f"unexpected {text[i]!r} after the number {m.group()!r}", i + 1)
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME.match(text, i)
            tokens.append(Token("name", m.group(), column))
            i = m.end()
            continue
        if text.startswith(_TWO_CHAR, i):
            tokens.append(Token("op", text[i:i + 2], column))
            i += 2
            continue
        if ch in _ONE_CHAR:
            tokens.append(Token("op", ch, column))
            i += 1
            continue
        raise ExprError(_why_not(ch), column)
    tokens.append(Token("end", "", n + 1))
    return tokens


def _why_not(ch: str) -> str:
    if ch in "'\"":
        return "text in quotes is not part of the language (only numbers)"
    if ch == ".":
        return "'.' is not part of the language (no attribute access)"
    if ch == "=":
        return "'=' alone is not part of the language (compare with ==)"
    return f"unexpected character {ch!r}"
