"""Errors a user sees: problems in a patch file, refused edits."""

from __future__ import annotations

from dataclasses import dataclass


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
