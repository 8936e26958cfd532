"""The patch document: nodes, links, layout; YAML in and out.

The file format (``format: nodegraph/1``) is specified in ``docs/patch-format.md``.
This module only knows the document's shape; whether node types, ports and params
exist is the graph checker's job (:mod:`nodegraph.graph`).

Saving writes the canonical form: loading a canonical file and saving it again
reproduces it byte for byte. Comments are not kept; use ``description``.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import PatchError, Problem
from .schema import NAME, valid_name
from .storage import atomic_write_text
from .yamlsrc import YamlProblem, parse

FORMAT = "nodegraph/1"
TOP_KEYS = ("format", "description", "nodes", "links", "layout")
NODE_KEYS = ("type", "params")
#: Lines longer than this put a node's params on lines of their own.
LINE_WIDTH = 100

_LINK_RE = re.compile(rf"^\s*({NAME})\.({NAME})\s*->\s*({NAME})\.({NAME})\s*$")


@dataclass(frozen=True)
class Link:
    """``src.outlet -> dst.inlet``."""

    src: str
    outlet: str
    dst: str
    inlet: str

    def __str__(self) -> str:
        return f"{self.src}.{self.outlet} -> {self.dst}.{self.inlet}"

    @classmethod
    def parse(cls, text: str) -> Link:
        """Parse ``a.out -> b.in``; raises ValueError saying what is expected."""
        m = _LINK_RE.match(text) if isinstance(text, str) else None
        if not m:
            raise ValueError(f"a link is written 'node.outlet -> node.inlet', got {text!r}")
        return cls(*m.groups())


@dataclass
class NodeSpec:
    """A node as the patch states it: its type and the params written explicitly."""

    type: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Patch:
    """A patch document. ``lines`` maps YAML paths to source lines (errors only)."""

    nodes: dict[str, NodeSpec] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    layout: dict[str, tuple[float, float]] = field(default_factory=dict)
    description: str | None = None
    path: Path | None = None
    lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def data_dir(self) -> Path | None:
        """``<patch>.data/`` beside the file: where learned state lives."""
        return None if self.path is None else self.path.with_name(self.path.stem + ".data")

    def line_of(self, *path: Any) -> int | None:
        """Source line of the deepest known prefix of ``path`` (None if unknown)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, message: str, *path: Any) -> Problem:
        """A :class:`Problem` located at ``path`` in this patch's file."""
        return Problem(message, str(self.path) if self.path else None, self.line_of(*path))

    def link_index(self, link: Link) -> int | None:
        try:
            return self.links.index(link)
        except ValueError:
            return None

    def copy(self) -> Patch:
        """A deep copy (line numbers shared: they describe the file, not the state)."""
        return Patch(nodes=copy.deepcopy(self.nodes), links=list(self.links),
                     layout=dict(self.layout), description=self.description,
                     path=self.path, lines=self.lines)


# -- reading ------------------------------------------------------------------------------


def load_patch(path: str | Path) -> Patch:
    """Read a patch file's structure; raises :class:`PatchError` with every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PatchError([Problem("file not found; check the path", str(path))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PatchError([Problem(f"cannot read the file: {exc}", str(path))]) from None
    return parse_patch(text, path)


def parse_patch(text: str, path: Path | None = None) -> Patch:
    """Build a :class:`Patch` from YAML text; raises :class:`PatchError`."""
    file = str(path) if path else None
    try:
        data, lines = parse(text)
    except YamlProblem as exc:
        raise PatchError([Problem(exc.message, file, exc.line)]) from None
    patch = Patch(path=path, lines=lines)
    problems: list[Problem] = []

    def fail(message: str, *where: Any) -> None:
        problems.append(patch.problem(message, *where))

    if not isinstance(data, dict):
        fail(f"a patch is a mapping starting with 'format: {FORMAT}'")
        raise PatchError(problems)
    for key in data:
        if key not in TOP_KEYS:
            fail(f"unknown section {key!r}; a patch has {', '.join(TOP_KEYS)}", key)
    if data.get("format") != FORMAT:
        if "format" not in data:
            fail(f"missing 'format: {FORMAT}'; add it as the first line")
        else:
            fail(f"format {data['format']!r} is not readable here; this nodegraph reads "
                 f"'{FORMAT}'", "format")
    description = data.get("description")
    if description is not None and not isinstance(description, str):
        fail("description must be text", "description")
    else:
        patch.description = description

    _read_nodes(data.get("nodes"), patch, fail)
    _read_links(data.get("links"), patch, fail)
    _read_layout(data.get("layout"), patch, fail)
    if problems:
        raise PatchError(problems)
    return patch


def _read_nodes(nodes: Any, patch: Patch, fail) -> None:
    if nodes is None:
        fail("missing 'nodes:' section; add the nodes as 'id: {type: name}'")
        return
    if not isinstance(nodes, dict):
        fail("'nodes' must map node ids to {type: ..., params: {...}}", "nodes")
        return
    for node_id, spec in nodes.items():
        if not valid_name(node_id):
            fail(f"node id {node_id!r} must be a name (letters, digits, _ or -, "
                 "starting with a letter)", "nodes", node_id)
            continue
        if not isinstance(spec, dict):
            fail(f"node {node_id!r} must be written {{type: <node type>, params: {{...}}}}",
                 "nodes", node_id)
            continue
        for key in spec:
            if key not in NODE_KEYS:
                fail(f"node {node_id!r} has unknown key {key!r}; a node has "
                     f"{' and '.join(NODE_KEYS)}", "nodes", node_id, key)
        node_type = spec.get("type")
        if not isinstance(node_type, str) or not node_type:
            fail(f"node {node_id!r} needs 'type: <node type>' (nodegraph nodes lists them)",
                 "nodes", node_id)
            continue
        params = spec.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            fail(f"params of {node_id!r} must map param names to values", "nodes", node_id,
                 "params")
            continue
        patch.nodes[node_id] = NodeSpec(node_type, dict(params))


def _read_links(links: Any, patch: Patch, fail) -> None:
    if links is None:
        return
    if not isinstance(links, list):
        fail("'links' must be a list of 'node.outlet -> node.inlet'", "links")
        return
    for i, text in enumerate(links):
        try:
            link = Link.parse(text)
        except ValueError as exc:
            fail(str(exc), "links", i)
            continue
        if link in patch.links:
            fail(f"link {link} appears twice; remove one", "links", i)
            continue
        patch.links.append(link)


def _read_layout(layout: Any, patch: Patch, fail) -> None:
    if layout is None:
        return
    if not isinstance(layout, dict):
        fail("'layout' must map node ids to [x, y]", "layout")
        return
    for node_id, pos in layout.items():
        if not (isinstance(pos, list) and len(pos) == 2 and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in pos)):
            fail(f"layout of {node_id!r} must be [x, y] numbers", "layout", node_id)
            continue
        if node_id not in patch.nodes:
            fail(f"layout names {node_id!r}, which is not a node; remove that line",
                 "layout", node_id)
            continue
        patch.layout[node_id] = (pos[0], pos[1])


# -- writing ------------------------------------------------------------------------------


def flow(value: Any) -> str:
    """``value`` as one line of YAML flow style (how every value is written)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False,
                          width=float("inf"), allow_unicode=True)
    if text.endswith("\n...\n"):
        text = text[:-5]
    return text.rstrip("\n")


def dump_patch(patch: Patch) -> str:
    """The canonical text of a patch."""
    out = [f"format: {FORMAT}"]
    if patch.description is not None:
        out.append(f"description: {flow(patch.description)}")
    if not patch.nodes:
        out.append("nodes: {}")
    else:
        out.append("nodes:")
        for node_id, spec in patch.nodes.items():
            out.extend(_node_lines(node_id, spec))
    if patch.links:
        out.append("links:")
        out.extend(f"  - {link}" for link in patch.links)
    if patch.layout:
        out.append("layout:")
        out.extend(f"  {node_id}: {flow(list(pos))}" for node_id, pos in patch.layout.items())
    return "\n".join(out) + "\n"


def _node_lines(node_id: str, spec: NodeSpec) -> list[str]:
    inline = {"type": spec.type, "params": spec.params} if spec.params else {"type": spec.type}
    line = f"  {node_id}: {flow(inline)}"
    if len(line) <= LINE_WIDTH:
        return [line]
    lines = [f"  {node_id}:", f"    type: {flow(spec.type)}", "    params:"]
    lines.extend(f"      {name}: {flow(value)}" for name, value in spec.params.items())
    return lines


def save_patch(patch: Patch, path: str | Path) -> None:
    """Write the canonical text atomically."""
    atomic_write_text(Path(path), dump_patch(patch))
