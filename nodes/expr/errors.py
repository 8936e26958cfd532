"""The one error type of the expression language."""

from __future__ import annotations


class ExprError(ValueError):
    """A problem in an expression; ``column`` (1-based) says where, when known."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message if column is None else f"{message} at column {column}")
        self.column = column
