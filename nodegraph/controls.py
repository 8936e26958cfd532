"""Control surfaces: ``nodegraph run|edit PATCH --control KIND:SPEC`` drives a running
patch from outside (``osc:9000``: every inlet an OSC address, docs/interop.md).

The kinds come from the ``nodegraph.controls`` entry-point group, name → a class
with:

- ``parse(spec: str)`` (a static method): what follows ``KIND:``, checked; a
  ValueError saying what to write otherwise. Called before the patch loads.
- ``__init__(engine, parsed)``: start (OSError or ValueError when it cannot, e.g. a
  port in use); from then on it may call ``engine.send`` and ``engine.save_learned``
  from its own threads. Its ``engine`` attribute may be repointed (the editor does
  when it opens another patch).
- ``close()``: stop; idempotent; nothing reaches the engine after it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .engine import Engine

ENTRY_POINT_GROUP = "nodegraph.controls"


class Control(Protocol):
    """A started control surface (see the module doc)."""

    engine: Engine

    def close(self) -> None: ...


@dataclass(frozen=True)
class ControlSpec:
    """A ``--control`` value, parsed: which class, with what."""

    text: str
    kind: type
    parsed: Any

    def open(self, engine: Engine) -> Control:
        """Start the control surface on ``engine``; OSError/ValueError when it cannot."""
        return self.kind(engine, self.parsed)


def parse_control(text: str) -> ControlSpec:
    """``KIND:SPEC`` → a ControlSpec; ValueError saying what to write."""
    kind, _, spec = text.partition(":")
    kinds = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if kind not in kinds:
        raise ValueError(f"--control {text!r}: write KIND:..., KIND one of "
                         f"{', '.join(sorted(kinds)) or 'none installed'} (e.g. osc:9000)")
    cls = kinds[kind].load()
    try:
        return ControlSpec(text, cls, cls.parse(spec))
    except ValueError as exc:
        raise ValueError(f"--control {text!r}: {exc}") from None
