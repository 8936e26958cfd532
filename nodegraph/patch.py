"""The patch document: nodes, links, layout; YAML in and out.

The file format (``format: nodegraph/1``) is specified in ``docs/patch-format.md``.
This module only knows the document's shape; whether node types, ports and params
exist is the graph checker's job (:mod:`nodegraph.graph`), and expanding subpatches
(``include:`` and inline ``subpatch:`` nodes) is :mod:`nodegraph.subpatch`'s. The
document keeps a subpatch as the single node the file writes.

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
from .readable import regular_file
from .storage import atomic_write_text
from .yamlsrc import YamlProblem, parse

FORMAT = "nodegraph/1"
TOP_KEYS = ("format", "description", "params", "nodes", "links", "layout")
#: The sections of an inline ``subpatch:`` body.
BODY_KEYS = ("description", "params", "nodes", "links", "layout")
#: A node has exactly one of these ...
NODE_KINDS = ("type", "include", "subpatch")
#: ... and optionally params.
NODE_KEYS = NODE_KINDS + ("params",)
#: Lines longer than this put a node's params on lines of their own.
LINE_WIDTH = 100
#: Larger files are refused unread (the biggest shipped patch is a few KiB).
MAX_PATCH_BYTES = 4 * 2**20

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
    """A node as the patch states it: what it is, and the params written explicitly.

    A node is one of: a node type (``type``); an abstraction in another patch file
    (``include``: its path, relative to this patch's file; ``type`` is ""); or an
    inline subpatch (``subpatch``: the nested patch body; ``type`` is "").
    """

    type: str
    params: dict[str, Any] = field(default_factory=dict)
    include: str | None = None
    subpatch: Patch | None = None

    @property
    def kind(self) -> str:
        """"type", "include" or "subpatch"."""
        if self.include is not None:
            return "include"
        return "subpatch" if self.subpatch is not None else "type"


@dataclass
class Patch:
    """A patch document. ``lines`` maps YAML paths to source lines (errors only)."""

    nodes: dict[str, NodeSpec] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    layout: dict[str, tuple[float, float]] = field(default_factory=dict)
    description: str | None = None
    #: params this patch declares, with their defaults (``$name`` in node params)
    params: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    lines: dict[tuple, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def data_root(self) -> Path | None:
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
                     params=copy.deepcopy(self.params), path=self.path, lines=self.lines)


# -- reading ------------------------------------------------------------------------------


def load_patch(path: str | Path) -> Patch:
    """Read a patch file's structure; raises :class:`PatchError` with every problem."""
    path = Path(path)
    try:
        regular_file(path, "patch", MAX_PATCH_BYTES)
        data = path.read_bytes()
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PatchError([Problem("not UTF-8 text; save the file as UTF-8", str(path),
                                  data.count(b"\n", 0, exc.start) + 1)]) from None
    except ValueError as exc:
        raise PatchError([Problem(str(exc).removeprefix(f"{path}: "), str(path))]) from None
    except OSError as exc:
        raise PatchError([Problem(f"cannot read the file: {exc.strerror or exc}",
                                  str(path))]) from None
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
    _read_body(data, patch, problems)
    if problems:
        raise PatchError(problems)
    return patch


def _read_body(data: dict, patch: Patch, problems: list[Problem]) -> None:
    """Read the sections shared by a patch file and an inline subpatch."""

    def fail(message: str, *where: Any) -> None:
        problems.append(patch.problem(message, *where))

    description = data.get("description")
    if description is not None and not isinstance(description, str):
        fail("description must be text", "description")
    else:
        patch.description = description
    _read_params(data.get("params"), patch, fail)
    _read_nodes(data.get("nodes"), patch, fail, problems)
    _read_links(data.get("links"), patch, fail)
    _read_layout(data.get("layout"), patch, fail)


def _read_params(params: Any, patch: Patch, fail) -> None:
    if params is None:
        return
    if not isinstance(params, dict):
        fail("'params' must map param names to default values", "params")
        return
    for name, value in params.items():
        if not valid_name(name):
            fail(f"param name {name!r} must be a name (letters, digits, _ or -, starting "
                 "with a letter)", "params", name)
            continue
        patch.params[name] = value


def _read_nodes(nodes: Any, patch: Patch, fail, problems: list[Problem]) -> None:
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
                     f"{', '.join(NODE_KINDS)} (one of them) and params", "nodes", node_id, key)
        kinds = [k for k in NODE_KINDS if k in spec]
        if not kinds:
            fail(f"node {node_id!r} needs 'type: <node type>' ('nodegraph nodes' lists them), "
                 "or 'include: <file.yaml>', or 'subpatch: {nodes: ...}'", "nodes", node_id)
            continue
        if len(kinds) > 1:
            fail(f"node {node_id!r} has {' and '.join(kinds)}; keep one", "nodes", node_id)
            continue
        params = spec.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
            fail(f"params of {node_id!r} must map param names to values", "nodes", node_id,
                 "params")
            continue
        node = _read_node(node_id, kinds[0], spec[kinds[0]], patch, fail, problems)
        if node is not None:
            node.params = dict(params)
            patch.nodes[node_id] = node


def _read_node(node_id: str, kind: str, value: Any, patch: Patch, fail,
               problems: list[Problem]) -> NodeSpec | None:
    where = ("nodes", node_id, kind)
    if kind == "type":
        if not isinstance(value, str) or not value:
            fail(f"node {node_id!r} needs 'type: <node type>' (nodegraph nodes lists them)",
                 *where)
            return None
        return NodeSpec(value)
    if kind == "include":
        if not isinstance(value, str) or not value.strip():
            fail(f"node {node_id!r}: include takes a patch file path, e.g. "
                 "'include: voice.yaml' (relative to this file)", *where)
            return None
        return NodeSpec("", include=value)
    if not isinstance(value, dict):
        fail(f"node {node_id!r}: subpatch takes a patch body: {{nodes: {{...}}, links: "
             "[...]}", *where)
        return None
    body = Patch(path=patch.path, lines=_subtree(patch.lines, where))
    for key in value:
        if key not in BODY_KEYS:
            problems.append(body.problem(f"unknown section {key!r} in subpatch {node_id!r}; "
                                         f"a subpatch has {', '.join(BODY_KEYS)}", key))
    before = len(problems)
    _read_body(value, body, problems)
    return NodeSpec("", subpatch=body) if len(problems) == before else None


def _subtree(lines: dict[tuple, int], prefix: tuple) -> dict[tuple, int]:
    """The line map of the YAML under ``prefix``, with paths relative to it."""
    n = len(prefix)
    return {path[n:]: line for path, line in lines.items() if path[:n] == prefix}


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
    return "\n".join([f"format: {FORMAT}", *_body_lines(patch, "")]) + "\n"


def _body_lines(patch: Patch, indent: str) -> list[str]:
    """The sections of ``patch`` at ``indent`` (a file, or an inline subpatch body)."""
    out = []
    if patch.description is not None:
        out.append(f"{indent}description: {flow(patch.description)}")
    if patch.params:
        out.append(f"{indent}params:")
        out.extend(f"{indent}  {name}: {flow(value)}" for name, value in patch.params.items())
    if not patch.nodes:
        out.append(f"{indent}nodes: {{}}")
    else:
        out.append(f"{indent}nodes:")
        for node_id, spec in patch.nodes.items():
            out.extend(_node_lines(node_id, spec, indent + "  "))
    if patch.links:
        out.append(f"{indent}links:")
        out.extend(f"{indent}  - {link}" for link in patch.links)
    if patch.layout:
        out.append(f"{indent}layout:")
        out.extend(f"{indent}  {node_id}: {flow(list(pos))}"
                   for node_id, pos in patch.layout.items())
    return out


def _node_lines(node_id: str, spec: NodeSpec, indent: str) -> list[str]:
    head = {"include": spec.include} if spec.kind == "include" else {"type": spec.type}
    if spec.kind != "subpatch":
        inline = {**head, "params": spec.params} if spec.params else head
        line = f"{indent}{node_id}: {flow(inline)}"
        if len(line) <= LINE_WIDTH:
            return [line]
        (key, value), = head.items()
        lines = [f"{indent}{node_id}:", f"{indent}  {key}: {flow(value)}"]
    else:
        lines = [f"{indent}{node_id}:", f"{indent}  subpatch:",
                 *_body_lines(spec.subpatch, indent + "    ")]
    if spec.params:
        lines.append(f"{indent}  params:")
        lines.extend(f"{indent}    {name}: {flow(value)}" for name, value in spec.params.items())
    return lines


def save_patch(patch: Patch, path: str | Path) -> None:
    """Write the canonical text atomically."""
    atomic_write_text(Path(path), dump_patch(patch))
