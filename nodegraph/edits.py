"""Edits: every change to a patch, each with its exact inverse.

An edit mutates a :class:`~nodegraph.patch.Patch` document and returns the edit
that undoes it, such that ``inverse.apply`` restores the document exactly (same
node, link, param and layout order, so the saved text is byte-identical). The
engine checks the result and applies it to the running graph between ticks; the
editor's undo/redo replays the inverses. Edits are plain data: easy to log, send
over OSC or script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from .errors import EditError
from .patch import Link, NodeSpec, Patch, valid_name


class Edit(Protocol):
    def apply(self, patch: Patch) -> Edit:
        """Change ``patch`` in place; return the inverse. Raise EditError (leaving
        ``patch`` unchanged) if the edit does not fit the document."""
        ...


class _Unset:
    """Marks a param that is not written in the patch (its default applies)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _insert(mapping: dict, key: Any, value: Any, index: int | None) -> dict:
    """``mapping`` with ``key`` placed at ``index`` (end when None)."""
    items = [(k, v) for k, v in mapping.items() if k != key]
    items.insert(len(items) if index is None else index, (key, value))
    return dict(items)


def plain(value: Any) -> Any:
    """``value`` as plain YAML-writable data: numpy scalars and arrays (from sliders,
    nodes, scripts) become Python numbers and lists; tuples become lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _require_node(patch: Patch, node_id: str) -> NodeSpec:
    spec = patch.nodes.get(node_id)
    if spec is None:
        raise EditError(f"there is no node {node_id!r}")
    return spec


@dataclass(frozen=True)
class AddNode:
    """Add a node (at ``index`` in node order; at the end when None).

    For a subpatch node, ``type`` is "" and ``include`` (a patch file path) or
    ``subpatch`` (an inline body) says what it holds.
    """

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] | None = None
    index: int | None = None
    layout_index: int | None = None
    include: str | None = None
    subpatch: Patch | None = None

    def apply(self, patch: Patch) -> Edit:
        if not valid_name(self.id):
            raise EditError(f"{self.id!r} is not a valid node id (letters, digits, _ or -)")
        if self.id in patch.nodes:
            raise EditError(f"a node named {self.id!r} already exists")
        spec = NodeSpec(self.type, plain(dict(self.params)), self.include,
                        self.subpatch.copy() if self.subpatch is not None else None)
        patch.nodes = _insert(patch.nodes, self.id, spec, self.index)
        if self.pos is not None:
            patch.layout = _insert(patch.layout, self.id, tuple(plain(self.pos)),
                                   self.layout_index)
        return RemoveNode(self.id)


@dataclass(frozen=True)
class RemoveNode:
    """Remove a node with its links and layout."""

    id: str

    def apply(self, patch: Patch) -> Edit:
        spec = _require_node(patch, self.id)
        index = list(patch.nodes).index(self.id)
        layout_index = list(patch.layout).index(self.id) if self.id in patch.layout else None
        removed = [(i, link) for i, link in enumerate(patch.links)
                   if self.id in (link.src, link.dst)]
        patch.links = [link for link in patch.links if self.id not in (link.src, link.dst)]
        pos = patch.layout.pop(self.id, None)
        del patch.nodes[self.id]
        restore: list[Edit] = [AddNode(self.id, spec.type, dict(spec.params), pos, index,
                                          layout_index, spec.include, spec.subpatch)]
        restore += [Connect(link, i) for i, link in removed]
        return Batch(tuple(restore))


@dataclass(frozen=True)
class Connect:
    """Add a link (at ``index`` in link order; at the end when None)."""

    link: Link
    index: int | None = None

    def apply(self, patch: Patch) -> Edit:
        for node_id in (self.link.src, self.link.dst):
            _require_node(patch, node_id)
        if self.link in patch.links:
            raise EditError(f"{self.link} already exists")
        index = len(patch.links) if self.index is None else self.index
        patch.links.insert(index, self.link)
        return Disconnect(self.link)


@dataclass(frozen=True)
class Disconnect:
    """Remove a link."""

    link: Link

    def apply(self, patch: Patch) -> Edit:
        index = patch.link_index(self.link)
        if index is None:
            raise EditError(f"there is no link {self.link}")
        del patch.links[index]
        return Connect(self.link, index)


@dataclass(frozen=True)
class SetParam:
    """Set a param (``UNSET`` removes it from the patch, restoring the default)."""

    id: str
    name: str
    value: Any
    index: int | None = None

    def apply(self, patch: Patch) -> Edit:
        spec = _require_node(patch, self.id)
        old = spec.params.get(self.name, UNSET)
        old_index = list(spec.params).index(self.name) if self.name in spec.params else None
        if self.value is UNSET:
            spec.params.pop(self.name, None)
        elif self.name in spec.params:
            spec.params[self.name] = plain(self.value)
        else:
            spec.params = _insert(spec.params, self.name, plain(self.value), self.index)
        return SetParam(self.id, self.name, old, old_index)


@dataclass(frozen=True)
class Move:
    """Place a node in the editor's layout (``None`` removes it from the layout)."""

    id: str
    pos: tuple[float, float] | None
    index: int | None = None

    def apply(self, patch: Patch) -> Edit:
        _require_node(patch, self.id)
        old = patch.layout.get(self.id)
        old_index = list(patch.layout).index(self.id) if old is not None else None
        if self.pos is None:
            patch.layout.pop(self.id, None)
        elif self.id in patch.layout:
            patch.layout[self.id] = tuple(plain(self.pos))
        else:
            patch.layout = _insert(patch.layout, self.id, tuple(plain(self.pos)), self.index)
        return Move(self.id, old, old_index)


@dataclass(frozen=True)
class Batch:
    """Several edits applied, and undone, as one."""

    edits: tuple[Edit, ...]

    def apply(self, patch: Patch) -> Edit:
        inverses: list[Edit] = []
        try:
            for edit in self.edits:
                inverses.append(edit.apply(patch))
        except EditError:
            for inverse in reversed(inverses):
                inverse.apply(patch)
            raise
        return Batch(tuple(reversed(inverses)))
