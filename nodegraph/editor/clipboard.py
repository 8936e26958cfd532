"""Copy, paste and duplicate as patch text (no DearPyGui here).

Copied nodes are written in the patch format itself (``format: nodegraph/1`` with
the nodes, the links among them and their layout), so a selection pasted into a text
editor is a valid patch, and a patch snippet from a text editor pastes as nodes.
Pasting is one :class:`~nodegraph.edits.Batch`: one undo step.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from ..edits import AddNode, Batch, Edit, Connect
from ..errors import PatchError
from ..patch import Link, Patch, dump_patch, parse_patch

#: Pasted nodes land this far (grid units) from where they were copied.
PASTE_OFFSET = (40, 40)


def unique_id(base: str, taken: Collection[str]) -> str:
    """``base`` if free, else ``base`` with the smallest number ≥ 2 appended
    (trailing digits of ``base`` replaced): metro, metro2, metro3..."""
    if base not in taken:
        return base
    stem = re.sub(r"\d+$", "", base) or base
    n = 2
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def copy_text(patch: Patch, ids: Iterable[str]) -> str:
    """The nodes ``ids`` (in patch order), the links among them and their layout,
    as patch text."""
    chosen = set(ids)
    sub = Patch()
    sub.nodes = {i: spec for i, spec in patch.nodes.items() if i in chosen}
    sub.links = [link for link in patch.links if link.src in chosen and link.dst in chosen]
    sub.layout = {i: pos for i, pos in patch.layout.items() if i in chosen}
    return dump_patch(sub)


def paste_edit(patch: Patch, text: str,
                  offset: tuple[int, int] = PASTE_OFFSET) -> tuple[Edit, list[str]]:
    """The edit that adds the nodes in ``text`` to ``patch``, renamed where their ids
    are taken, moved by ``offset``; and the new ids. Raises ValueError when ``text``
    holds no nodes."""
    try:
        snippet = parse_patch(text)
    except PatchError:
        raise ValueError("the clipboard holds no nodegraph nodes") from None
    if not snippet.nodes:
        raise ValueError("the clipboard holds no nodegraph nodes")
    taken = set(patch.nodes)
    renamed: dict[str, str] = {}
    for old in snippet.nodes:
        renamed[old] = unique_id(old, taken)
        taken.add(renamed[old])
    edits: list[Edit] = []
    for old, spec in snippet.nodes.items():
        pos = snippet.layout.get(old)
        if pos is not None:
            pos = (round(pos[0] + offset[0]), round(pos[1] + offset[1]))
        edits.append(AddNode(renamed[old], spec.type, dict(spec.params), pos))
    for link in snippet.links:
        edits.append(Connect(Link(renamed[link.src], link.outlet, renamed[link.dst],
                                     link.inlet)))
    return Batch(tuple(edits)), list(renamed.values())
