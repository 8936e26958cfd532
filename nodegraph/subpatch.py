"""Subpatches: expanding ``include:`` and inline ``subpatch:`` nodes into one flat graph.

The document keeps a subpatch as the single node the file writes (so loading and
saving reproduce the file, and the editor shows one node); the engine runs the
**flattened** graph, in which every node of a subpatch instance is a node of its own
with the instance's id as a prefix: node ``osc`` inside ``voice1`` runs as
``voice1/osc``, and ``voice1/sub/osc`` one level deeper.

The rules:

- **Ports.** The ``inlet`` and ``outlet`` nodes of a subpatch (engine built-ins,
  :mod:`nodegraph.subpatch_ports`) are its ports, named
  by their node ids, in the order they are written. A link to ``voice1.freq`` goes
  to the inlet node ``voice1/freq``; a link from ``voice1.out`` leaves the outlet
  node ``voice1/out``. Both are pass-throughs, so messages cross in the same tick.
- **Params.** A patch may declare ``params:`` with defaults; any node param written
  ``$name`` (the whole value, or an item of a list) takes that param's value:
  for an included patch the value the include node passes in its ``params``, else
  the default. ``$$`` starts a literal ``$``.
- **Names.** Flattened ids keep send/receive names local to an instance (see the
  ``send`` node).
- **Files.** ``include`` paths are relative to the including file (or the working
  folder for a patch without one). An include cycle is an error naming the chain,
  ``a.yaml → b.yaml → a.yaml``; includes nest at most ``MAX_DEPTH`` deep, and a patch
  expands to at most ``MAX_NODES`` nodes.
- **Errors** inside a subpatch name the file and line where the offending thing is
  written, followed by the include chain that reached it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PatchError, Problem, shown
from .patch import MAX_PATCH_BYTES, Link, NodeSpec, Patch, load_patch
from .readable import MissingFile, path_problem, regular_file
from .subpatch_ports import IN, OUT, SubpatchInlet, SubpatchOutlet

INLET_TYPE, OUTLET_TYPE = SubpatchInlet.type_name, SubpatchOutlet.type_name
MAX_DEPTH = 16
#: Most nodes a patch may expand to, its subpatches' included: a file that includes
#: another several times, which includes the next several times... (an include bomb)
#: is refused here instead of expanding for minutes.
MAX_NODES = 20_000


@dataclass(frozen=True, eq=False)
class Origin:
    """Where something of the flat graph is written: a document, the YAML path in
    it, and the chain of subpatch nodes that brought it in (outermost first)."""

    patch: Patch
    path: tuple
    chain: tuple[str, ...] = ()

    def problem(self, message: str, *subpath: Any) -> Problem:
        if self.chain:
            message += in_subpatch(self.chain)
        return self.patch.problem(message, *self.path, *subpath)


@dataclass
class FlatNode:
    """A node of the flat graph. ``refs`` maps params given as ``$name`` to that text."""

    id: str
    type: str
    params: dict[str, Any]
    origin: Origin
    refs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class FlatLink:
    """A link of the flat graph, with the text and place the document writes it."""

    link: Link
    origin: Origin
    #: the link as written, and its two ends as written ("voice.freq")
    text: str
    src: str
    dst: str


@dataclass
class Instance:
    """One subpatch node, expanded. Ports are the flat ids of its inlet/outlet nodes."""

    id: str
    source: str
    inlets: list[str]
    outlets: list[str]
    params: dict[str, Any]


@dataclass
class Flat:
    """The flat graph: every node and link of the patch and its subpatches."""

    nodes: dict[str, FlatNode] = field(default_factory=dict)
    links: list[FlatLink] = field(default_factory=list)
    instances: dict[str, Instance] = field(default_factory=dict)
    #: subpatch nodes that could not be expanded (their problem is reported)
    broken: set[str] = field(default_factory=set)


def flatten(patch: Patch, problems: list[Problem]) -> Flat:
    """Expand every subpatch of ``patch``; problems are appended, never raised."""
    flat = Flat()
    stack = ((patch.path.resolve(), str(patch.path)),) if patch.path else ()
    _Expander(flat, problems).expand(patch, "", dict(patch.params), (), stack)
    return flat


def in_subpatch(chain: tuple[str, ...]) -> str:
    """The suffix telling which subpatch instance a problem is in."""
    return f" (in subpatch {' → '.join(chain)})"


def _file(patch: Patch) -> str:
    return str(patch.path) if patch.path else "<patch>"


Stack = tuple[tuple[Path, str], ...]


class _Expander:
    def __init__(self, flat: Flat, problems: list[Problem]) -> None:
        self.flat = flat
        self.problems = problems
        #: included files read so far (each is read once per check)
        self.files: dict[Path, Patch | PatchError] = {}
        #: MAX_NODES was reached (reported once; nothing more is expanded)
        self.over_budget = False

    def expand(self, patch: Patch, prefix: str, values: dict[str, Any],
               chain: tuple[str, ...], stack: Stack) -> None:
        for node_id, spec in patch.nodes.items():
            flat_id = prefix + node_id
            origin = Origin(patch, ("nodes", node_id), chain)
            if len(self.flat.nodes) + len(self.flat.instances) >= MAX_NODES:
                if not self.over_budget:
                    self.over_budget = True
                    self.problems.append(origin.problem(
                        f"the patch expands to more than {MAX_NODES} nodes (subpatches "
                        "included several times, each including more?); include fewer"))
                self.flat.broken.add(flat_id)
                continue
            params, refs = self.substitute(spec.params, values, origin)
            if spec.kind == "type":
                self.flat.nodes[flat_id] = FlatNode(flat_id, spec.type, params, origin, refs)
                continue
            site = f"{flat_id} ({_file(patch)}:{patch.line_of('nodes', node_id)})"
            found = self.child(spec, patch, origin, site, stack)
            if found is None:
                self.flat.broken.add(flat_id)
                continue
            child, source, child_stack = found
            unknown = [name for name in params if name not in child.params]
            for name in unknown:
                self.problems.append(origin.problem(
                    f"node {node_id!r}: {source} declares no param {name!r}; its params: "
                    f"{', '.join(child.params) or 'none'} (declared in its 'params:' "
                    "section)", "params", name))
            ports = {kind: [f"{flat_id}/{i}" for i, s in child.nodes.items() if s.type == kind]
                     for kind in (INLET_TYPE, OUTLET_TYPE)}
            self.flat.instances[flat_id] = Instance(flat_id, source, ports[INLET_TYPE],
                                                    ports[OUTLET_TYPE], dict(child.params))
            given = {k: v for k, v in params.items() if k not in unknown}
            self.expand(child, flat_id + "/", {**child.params, **given}, chain + (site,),
                        child_stack)
        for i, link in enumerate(patch.links):
            self.add_link(patch, prefix, i, link, chain)

    # -- subpatch nodes ------------------------------------------------------------------

    def child(self, spec: NodeSpec, patch: Patch, origin: Origin, site: str,
              stack: Stack) -> tuple[Patch, str, Stack] | None:
        """The patch a subpatch node stands for, a name for it, and the file stack;
        None (with the problem reported) when it cannot be had."""
        node_id = origin.path[-1]
        if len(origin.chain) >= MAX_DEPTH:
            self.problems.append(origin.problem(
                f"node {node_id!r}: subpatches nest more than {MAX_DEPTH} deep"))
            return None
        if spec.kind == "subpatch":
            return spec.subpatch, "the inline subpatch", stack
        unusable = path_problem(spec.include)
        if unusable:
            self.problems.append(origin.problem(
                f"node {node_id!r}: include path {unusable}; give a patch file path, "
                "relative to the including patch's folder", "include"))
            return None
        path = (patch.path.parent if patch.path else Path.cwd()) / spec.include
        try:
            regular_file(path, "included patch", MAX_PATCH_BYTES)
            resolved = path.resolve(strict=True)
        except (ValueError, OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
            reason = f"no such file ({path})" if isinstance(exc, MissingFile) else \
                str(exc).removeprefix(f"{path}: ") if isinstance(exc, ValueError) else \
                f"cannot read it ({exc})"
            self.problems.append(origin.problem(
                f"node {node_id!r}: include {shown(spec.include)}: {reason}; paths are "
                "relative to the including patch's folder", "include"))
            return None
        seen = [r for r, _ in stack]
        if resolved in seen:
            cycle = " → ".join([shown for _, shown in stack[seen.index(resolved):]] + [str(path)])
            self.problems.append(origin.problem(
                f"node {node_id!r}: include cycle {cycle}; a patch cannot include itself",
                "include"))
            return None
        loaded = self.files.get(resolved)
        if loaded is None:
            try:
                loaded = load_patch(path)
            except PatchError as exc:
                loaded = exc
            self.files[resolved] = loaded
        if isinstance(loaded, PatchError):
            suffix = in_subpatch(origin.chain + (site,))
            self.problems.extend(Problem(p.message + suffix, p.file, p.line)
                                 for p in loaded.problems)
            return None
        return loaded, str(path), stack + ((resolved, str(path)),)

    # -- params -------------------------------------------------------------------------------

    def substitute(self, params: dict[str, Any], values: dict[str, Any],
                   origin: Origin) -> tuple[dict[str, Any], dict[str, str]]:
        out: dict[str, Any] = {}
        refs: dict[str, str] = {}
        for name, value in params.items():
            try:
                out[name] = _substitute(value, values)
            except KeyError as exc:
                declared = ", ".join(values) or "none"
                self.problems.append(origin.problem(
                    f"node {origin.path[-1]!r} param {name!r}: ${exc.args[0]} names no param "
                    f"of this patch (declared: {declared}); declare it under 'params:', or "
                    "write $$ for a literal $", "params", name))
                continue
            if out[name] is not value:
                refs[name] = value if isinstance(value, str) else repr(value)
        return out, refs

    # -- links ----------------------------------------------------------------------------------

    def add_link(self, patch: Patch, prefix: str, index: int, link: Link,
                 chain: tuple[str, ...]) -> None:
        origin = Origin(patch, ("links", index), chain)
        src = self.end(link.src, link.outlet, "outlet", prefix, origin, link)
        dst = self.end(link.dst, link.inlet, "inlet", prefix, origin, link)
        if src is None or dst is None:
            return
        self.flat.links.append(FlatLink(Link(*src, *dst), origin, str(link),
                                        f"{link.src}.{link.outlet}", f"{link.dst}.{link.inlet}"))

    def end(self, node: str, port: str, side: str, prefix: str, origin: Origin,
            link: Link) -> tuple[str, str] | None:
        """A link end in flat ids: through a subpatch's port node, or as written."""
        flat_id = prefix + node
        if flat_id in self.flat.broken:
            return None
        instance = self.flat.instances.get(flat_id)
        if instance is None:
            return flat_id, port
        ports = instance.outlets if side == "outlet" else instance.inlets
        names = [p.rpartition("/")[2] for p in ports]
        if port not in names:
            other = instance.inlets if side == "outlet" else instance.outlets
            reverse = (f" (that is an {'inlet' if side == 'outlet' else 'outlet'}: links go "
                       "outlet -> inlet)") if port in [p.rpartition("/")[2] for p in other] else ""
            self.problems.append(origin.problem(
                f"link {link}: {node!r} ({instance.source}) has no {side} {port!r}{reverse}; "
                f"its {side}s: {', '.join(names) or 'none'}"))
            return None
        return f"{flat_id}/{port}", OUT if side == "outlet" else IN


def _substitute(value: Any, values: dict[str, Any]) -> Any:
    """``value`` with ``$name`` strings (whole, or list items) replaced; KeyError(name)
    for an undeclared one. Returns ``value`` itself when nothing changed."""
    if isinstance(value, str) and value.startswith("$"):
        if value.startswith("$$"):
            return value[1:]
        name = value[1:]
        if name not in values:
            raise KeyError(name)
        return values[name]
    if isinstance(value, list):
        items = [_substitute(v, values) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else items
    return value
