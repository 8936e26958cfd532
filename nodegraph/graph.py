"""Checking a patch against the node types: the graph that can run.

:func:`check_patch` turns a :class:`~nodegraph.patch.Patch` into a :class:`Graph`
or raises :class:`~nodegraph.errors.PatchError` listing every problem with its
``file:line`` and what to do:

- subpatches (``include:``, ``subpatch:``) expand into one flat graph (see
  :mod:`nodegraph.subpatch`); problems inside one name the file and line where they
  are written and the include chain;
- node types exist; params fit their declarations;
- links name existing nodes and ports, go outlet → inlet, join compatible types;
- the message graph has no cycle except through a node whose type breaks cycles
  (``delay``);
- vector sizes agree wherever both ends know them (propagated in topological order
  through each node's ``port_info``), so a mismatch is reported at load time rather
  than as a crash later.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import networkx as nx

from .errors import PatchError, Problem
from .node import Node
from .patch import Link, Patch
from .registry import Registry
from .schema import UNKNOWN, Inlet, Outlet, ParamError, PortInfo
from .subpatch import Flat, FlatLink, Instance, flatten
from .subpatch_ports import IN, OUT
from .types import Converter, link_converter


@dataclass(frozen=True)
class Interface:
    """A subpatch node as its including patch sees it: ports and declared params.

    ``inlets``/``outlets`` come from the ``inlet``/``outlet`` nodes inside, in the
    order they are written; ``source`` is the included file (or "the inline
    subpatch"); ``params`` the declared params with their defaults.
    """

    source: str
    inlets: tuple[Inlet, ...]
    outlets: tuple[Outlet, ...]
    params: dict


@dataclass
class Graph:
    """A checked patch: fresh node instances, run order and port facts.

    Node ids are those of the flat graph: a node ``osc`` inside the subpatch node
    ``voice`` is ``voice/osc``. ``subpatches`` describes each subpatch node (by its
    flat id), and ``port_infos`` has an entry for it too, by port name.
    """

    patch: Patch
    nodes: dict[str, Node]
    #: node ids in topological order (edges out of cycle-breaking nodes ignored)
    order: list[str]
    #: node id → port name → what is known about its vectors
    port_infos: dict[str, dict[str, PortInfo]]
    #: (node id, inlet) → what arrives there
    arriving_infos: dict[tuple[str, str], PortInfo] = field(default_factory=dict)
    converters: dict[Link, Converter | None] = field(default_factory=dict)
    subpatches: dict[str, Interface] = field(default_factory=dict)

    def arriving(self, node_id: str, inlet: str) -> PortInfo:
        return self.arriving_infos.get((node_id, inlet), UNKNOWN)


def check_patch(patch: Patch, registry: Registry) -> Graph:
    """Validate ``patch``; raise PatchError listing every problem found."""
    problems: list[Problem] = []
    flat = flatten(patch, problems)
    nodes = _instantiate(flat, registry, problems)
    links = _check_links(flat, nodes, problems)
    converters = {fl.link: convert for fl, convert in links.items()}
    order = _order(flat, nodes, links, problems)
    graph = Graph(patch, nodes, order, {}, converters=converters)
    if order:
        _propagate_sizes(graph, flat, links, problems)
    graph.subpatches = {i: _interface(instance, graph) for i, instance in flat.instances.items()}
    if problems:
        raise PatchError(problems)
    return graph


def _instantiate(flat: Flat, registry: Registry, problems: list[Problem]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for node_id, fn in flat.nodes.items():
        name = fn.origin.path[-1]
        cls = registry.get(fn.type)
        if cls is None:
            problems.append(fn.origin.problem(
                f"node {name!r}: {registry.unknown_type_hint(fn.type)}", "type"))
            continue
        specs = {p.name: p for p in cls.param_specs()}
        bad = False
        for param_name, value in fn.params.items():
            param = specs.get(param_name)
            where = ("params", param_name)
            if param is None:
                close = difflib.get_close_matches(param_name, specs, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(fn.origin.problem(
                    f"node {name!r} ({fn.type}) has no param {param_name!r}; {hint}"
                    f"its params: {', '.join(specs) or 'none'}", *where))
                bad = True
                continue
            try:
                param.validate(value)
            except ParamError as exc:
                given = f" (given as {fn.refs[param_name]})" if param_name in fn.refs else ""
                problems.append(fn.origin.problem(
                    f"node {name!r} param {param_name!r}: {exc}{given}", *where))
                bad = True
        if not bad:
            try:
                node = nodes[node_id] = cls(node_id, fn.params)
                path = fn.origin.patch.path  # paths are relative to the file that writes them
                node.base_dir = path.parent if path else None
            except Exception as exc:
                problems.append(fn.origin.problem(f"node {name!r} ({fn.type}): {exc}",
                                                  *_where_raised(exc)))
    return nodes


def _where_raised(exc: Exception) -> tuple:
    """The YAML path (below the node) to blame for a node's exception: the param a
    ParamError names (its line, when the patch writes it), else the node itself."""
    param = exc.param if isinstance(exc, ParamError) else None
    return ("params", param) if param else ()


def _port_list(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _check_links(flat: Flat, nodes: dict[str, Node],
                 problems: list[Problem]) -> dict[FlatLink, Converter | None]:
    checked: dict[FlatLink, Converter | None] = {}
    for fl in flat.links:
        link = fl.link

        def fail(message: str) -> None:
            problems.append(fl.origin.problem(f"link {fl.text}: {message}"))

        src_name, dst_name = fl.src.partition(".")[0], fl.dst.partition(".")[0]
        missing = [name for name, node_id in ((src_name, link.src), (dst_name, link.dst))
                   if node_id not in flat.nodes]
        if missing:
            fail(f"no node named {' or '.join(map(repr, missing))}; nodes: "
                 f"{_port_list(list(fl.origin.patch.nodes))}")
            continue
        src, dst = nodes.get(link.src), nodes.get(link.dst)
        if src is None or dst is None:
            continue  # that node's own problem is already reported
        outlet, inlet = src.outlet(link.outlet), dst.inlet(link.inlet)
        if outlet is None:
            reverse = " (that is an inlet: links go outlet -> inlet)" if src.inlet(link.outlet) else ""
            fail(f"{src_name!r} ({src.type_name}) has no outlet {link.outlet!r}{reverse}; "
                 f"its outlets: {_port_list([p.name for p in src.outlets])}")
            continue
        if inlet is None:
            reverse = " (that is an outlet: links go outlet -> inlet)" if dst.outlet(link.inlet) else ""
            fail(f"{dst_name!r} ({dst.type_name}) has no inlet {link.inlet!r}{reverse}; "
                 f"its inlets: {_port_list([p.name for p in dst.inlets])}")
            continue
        allowed, convert = link_converter(outlet.type, inlet.type)
        if not allowed:
            fail(f"{fl.src} sends {outlet.type} but {fl.dst} takes {inlet.type}; these types "
                 "cannot be linked")
            continue
        checked[fl] = convert
    return checked


def _order(flat: Flat, nodes: dict[str, Node], links: dict[FlatLink, Converter | None],
           problems: list[Problem]) -> list[str]:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    for fl in links:
        if not nodes[fl.link.src].breaks_cycles:
            g.add_edge(fl.link.src, fl.link.dst)
    position = {node_id: i for i, node_id in enumerate(flat.nodes)}
    try:
        return list(nx.lexicographical_topological_sort(g, key=position.__getitem__))
    except nx.NetworkXUnfeasible:
        pass
    for cycle in list(nx.simple_cycles(g))[:5]:
        start = cycle.index(min(cycle, key=position.__getitem__))
        cycle = cycle[start:] + cycle[:start]
        inside = [fl for fl in links if fl.link.src in cycle and fl.link.dst in cycle]
        # blame the outermost link of the loop: the one the user is looking at
        first = min(inside, key=lambda fl: len(fl.origin.chain), default=None)
        path = " -> ".join(cycle + cycle[:1])
        message = (f"cycle {path}: a loop must pass through a 'delay' node, which sends on "
                   "a later tick; insert one")
        if first is None:
            problems.append(Problem(message))
        else:
            problems.append(first.origin.problem(message))
    return []


def _propagate_sizes(graph: Graph, flat: Flat, links: dict[FlatLink, Converter | None],
                     problems: list[Problem]) -> None:
    incoming: dict[str, list[FlatLink]] = {n: [] for n in graph.nodes}
    for fl in links:
        incoming[fl.link.dst].append(fl)
    for node_id in graph.order:
        node = graph.nodes[node_id]
        arriving: dict[str, PortInfo] = {}
        for fl in incoming[node_id]:
            link = fl.link
            info = graph.port_infos.get(link.src, {}).get(link.outlet, UNKNOWN)
            if links[fl] is not None:
                info = UNKNOWN if node.inlet(link.inlet).type.name == "bang" else PortInfo(1)
            known = arriving.get(link.inlet, UNKNOWN)
            if known.size is not None and info.size is not None and known.size != info.size:
                problems.append(fl.origin.problem(
                    f"link {fl.text}: {fl.dst} already receives {known.describe()} from "
                    f"another link, this one sends {info.describe()}"))
                continue
            if info.size is not None or link.inlet not in arriving:
                arriving[link.inlet] = info
        try:
            infos = node.port_info(arriving)
        except Exception as exc:
            origin = flat.nodes[node_id].origin
            problems.append(origin.problem(
                f"node {origin.path[-1]!r} ({node.type_name}): {exc}", *_where_raised(exc)))
            infos = {}
        graph.port_infos[node_id] = infos
        for inlet, info in arriving.items():
            graph.arriving_infos[(node_id, inlet)] = info
        for fl in incoming[node_id]:
            link = fl.link
            sent = graph.port_infos.get(link.src, {}).get(link.outlet, UNKNOWN)
            expected = infos.get(link.inlet, UNKNOWN)
            if links[fl] is None and sent.size is not None \
                    and expected.size is not None and sent.size != expected.size:
                problems.append(fl.origin.problem(
                    f"link {fl.text}: {fl.src} sends {sent.describe()} but {fl.dst} expects "
                    f"{expected.describe()}; make the sizes match (check both nodes' params)"))


def _interface(instance: Instance, graph: Graph) -> Interface:
    """The ports of a subpatch node, from its inlet/outlet nodes; also records their
    port facts under the subpatch node's id."""
    infos = graph.port_infos.setdefault(instance.id, {})
    inlets: list[Inlet] = []
    outlets: list[Outlet] = []
    for port_id in instance.inlets:
        node = graph.nodes.get(port_id)
        if node is None:
            continue
        name = port_id.rpartition("/")[2]
        info = graph.port_infos.get(port_id, {}).get(IN, UNKNOWN)
        hot = [graph.nodes[link.dst].inlet(link.inlet).hot for link in graph.converters
               if link.src == port_id and link.dst in graph.nodes]
        inlets.append(Inlet(name, node.inlets[0].type, node.params.get("doc", ""),
                            hot=any(hot) or not hot, size=info.size))
        infos[name] = info
    for port_id in instance.outlets:
        node = graph.nodes.get(port_id)
        if node is None:
            continue
        name = port_id.rpartition("/")[2]
        info = graph.port_infos.get(port_id, {}).get(OUT, UNKNOWN)
        outlets.append(Outlet(name, node.outlets[0].type, node.params.get("doc", ""),
                              size=info.size))
        infos[name] = info
    return Interface(instance.source, tuple(inlets), tuple(outlets), dict(instance.params))
