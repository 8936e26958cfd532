"""The control → audio hand-off: a latest-value slot.

A signal node with message inlets (``rave-decode``'s ``latent``) stores each value
from ``process`` (control thread) here, with the timestamp and the node type of the
source event it came from; its ``render`` (audio worker) reads the newest one whenever it needs one.
There is no lock and no queue: storing replaces one tuple attribute, which is atomic
under the GIL, so the worker never waits on the control thread (docs/architecture.md: control →
audio crosses through a latest-value slot, never a lock the callback waits on).
Values the worker never read are simply superseded, as a slider's intermediate
positions are.
"""

from __future__ import annotations

from typing import Any


class LatestValue:
    """The newest ``(value, t, source)`` stored, or None before the first."""

    __slots__ = ("_item",)

    def __init__(self) -> None:
        self._item: tuple[Any, float, str] | None = None

    def set(self, value: Any, t: float, source: str = "") -> None:
        """Store ``value`` stamped with source time ``t`` and source node type
        ``source`` (any thread)."""
        self._item = (value, t, source)

    def get(self) -> tuple[Any, float, str] | None:
        """The newest ``(value, t, source)``, or None if nothing was stored yet (any
        thread)."""
        return self._item
