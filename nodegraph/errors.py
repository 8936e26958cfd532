"""Errors a user sees: problems in a patch file, refused edits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The ``file`` of a problem in a command-line argument (``--set``).
COMMAND_LINE = "command line"


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages about values a user
    wrote (a 400-digit number, a 5000-character path)."""
    try:
        text = repr(value)
    except ValueError:  # an int beyond Python's digit limit for str()
        return "a number too large to show"
    return text if len(text) <= limit else text[:limit - 3] + "..."


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a patch: where (file, 1-based line) and what to do."""

    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or "<patch>"
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}"


class PatchError(Exception):
    """A patch that cannot be loaded or run; ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class EditError(ValueError):
    """A live edit the engine refused; the graph is unchanged. The message says why."""
