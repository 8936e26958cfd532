"""Checking a patch against the node types: the graph that can run.

:func:`check_patch` turns a :class:`~nodegraph.patch.Patch` into a :class:`Graph`
or raises :class:`~nodegraph.errors.PatchError` listing every problem with its
``file:line`` and what to do:

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
from .schema import UNKNOWN, ParamError, PortInfo
from .types import Converter, link_converter


@dataclass
class Graph:
    """A checked patch: fresh node instances, run order and port facts."""

    patch: Patch
    nodes: dict[str, Node]
    #: node ids in topological order (edges out of cycle-breaking nodes ignored)
    order: list[str]
    #: node id → port name → what is known about its vectors
    port_infos: dict[str, dict[str, PortInfo]]
    #: (node id, inlet) → what arrives there
    arriving_infos: dict[tuple[str, str], PortInfo] = field(default_factory=dict)
    converters: dict[Link, Converter | None] = field(default_factory=dict)

    def arriving(self, node_id: str, inlet: str) -> PortInfo:
        return self.arriving_infos.get((node_id, inlet), UNKNOWN)


def check_patch(patch: Patch, registry: Registry) -> Graph:
    """Validate ``patch``; raise PatchError listing every problem found."""
    problems: list[Problem] = []
    nodes = _instantiate(patch, registry, problems)
    converters = _check_links(patch, nodes, problems)
    order = _order(patch, nodes, converters, problems)
    graph = Graph(patch, nodes, order, {}, converters=converters)
    if order:
        _propagate_sizes(graph, problems)
    if problems:
        raise PatchError(problems)
    return graph


def _instantiate(patch: Patch, registry: Registry, problems: list[Problem]) -> dict[str, Node]:
    nodes: dict[str, Node] = {}
    for node_id, spec in patch.nodes.items():
        cls = registry.get(spec.type)
        if cls is None:
            problems.append(patch.problem(f"node {node_id!r}: {registry.unknown_type_hint(spec.type)}",
                                          "nodes", node_id, "type"))
            continue
        specs = {p.name: p for p in cls.param_specs()}
        bad = False
        for name, value in spec.params.items():
            param = specs.get(name)
            where = ("nodes", node_id, "params", name)
            if param is None:
                close = difflib.get_close_matches(name, specs, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(patch.problem(
                    f"node {node_id!r} ({spec.type}) has no param {name!r}; {hint}"
                    f"its params: {', '.join(specs) or 'none'}", *where))
                bad = True
                continue
            try:
                param.validate(value)
            except ParamError as exc:
                problems.append(patch.problem(f"node {node_id!r} param {name!r}: {exc}", *where))
                bad = True
        if not bad:
            try:
                nodes[node_id] = cls(node_id, spec.params)
                nodes[node_id].base_dir = patch.path.parent if patch.path else None
            except Exception as exc:
                problems.append(patch.problem(f"node {node_id!r} ({spec.type}): {exc}",
                                              "nodes", node_id))
    return nodes


def _port_list(names: list[str]) -> str:
    return ", ".join(names) if names else "none"


def _check_links(patch: Patch, nodes: dict[str, Node],
                 problems: list[Problem]) -> dict[Link, Converter | None]:
    converters: dict[Link, Converter | None] = {}
    for i, link in enumerate(patch.links):
        def fail(message: str) -> None:
            problems.append(patch.problem(f"link {link}: {message}", "links", i))

        missing = [n for n in (link.src, link.dst) if n not in patch.nodes]
        if missing:
            fail(f"no node named {' or '.join(map(repr, missing))}; nodes: "
                 f"{_port_list(list(patch.nodes))}")
            continue
        src, dst = nodes.get(link.src), nodes.get(link.dst)
        if src is None or dst is None:
            continue  # that node's own problem is already reported
        outlet, inlet = src.outlet(link.outlet), dst.inlet(link.inlet)
        if outlet is None:
            reverse = " (that is an inlet: links go outlet -> inlet)" if src.inlet(link.outlet) else ""
            fail(f"{link.src!r} ({src.type_name}) has no outlet {link.outlet!r}{reverse}; "
                 f"its outlets: {_port_list([p.name for p in src.outlets])}")
            continue
        if inlet is None:
            reverse = " (that is an outlet: links go outlet -> inlet)" if dst.outlet(link.inlet) else ""
            fail(f"{link.dst!r} ({dst.type_name}) has no inlet {link.inlet!r}{reverse}; "
                 f"its inlets: {_port_list([p.name for p in dst.inlets])}")
            continue
        allowed, convert = link_converter(outlet.type, inlet.type)
        if not allowed:
            fail(f"{link.src}.{link.outlet} sends {outlet.type} but {link.dst}.{link.inlet} "
                 f"takes {inlet.type}; these types cannot be linked")
            continue
        converters[link] = convert
    return converters


def _message_edges(patch: Patch, nodes: dict[str, Node],
                   converters: dict[Link, Converter | None]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    for link in converters:
        if not nodes[link.src].breaks_cycles:
            g.add_edge(link.src, link.dst)
    return g


def _order(patch: Patch, nodes: dict[str, Node], converters: dict[Link, Converter | None],
           problems: list[Problem]) -> list[str]:
    g = _message_edges(patch, nodes, converters)
    position = {node_id: i for i, node_id in enumerate(patch.nodes)}
    try:
        return list(nx.lexicographical_topological_sort(g, key=position.__getitem__))
    except nx.NetworkXUnfeasible:
        pass
    for cycle in list(nx.simple_cycles(g))[:5]:
        cycle_links = [l for l in converters if l.src in cycle and l.dst in cycle]
        index = patch.link_index(cycle_links[0]) if cycle_links else None
        path = " -> ".join(cycle + cycle[:1])
        problems.append(patch.problem(
            f"cycle {path}: a loop must pass through a 'delay' node, which sends on a later "
            "tick; insert one", *(("links", index) if index is not None else ("links",))))
    return []


def _propagate_sizes(graph: Graph, problems: list[Problem]) -> None:
    patch = graph.patch
    incoming: dict[str, list[Link]] = {n: [] for n in graph.nodes}
    for link in graph.converters:
        incoming[link.dst].append(link)
    for node_id in graph.order:
        node = graph.nodes[node_id]
        arriving: dict[str, PortInfo] = {}
        for link in incoming[node_id]:
            info = graph.port_infos.get(link.src, {}).get(link.outlet, UNKNOWN)
            if graph.converters[link] is not None:
                info = UNKNOWN if node.inlet(link.inlet).type.name == "bang" else PortInfo(1)
            known = arriving.get(link.inlet, UNKNOWN)
            if known.size is not None and info.size is not None and known.size != info.size:
                problems.append(patch.problem(
                    f"link {link}: {link.dst}.{link.inlet} already receives {known.describe()} "
                    f"from another link, this one sends {info.describe()}",
                    "links", patch.link_index(link)))
                continue
            if info.size is not None or link.inlet not in arriving:
                arriving[link.inlet] = info
        try:
            infos = node.port_info(arriving)
        except Exception as exc:
            problems.append(patch.problem(f"node {node_id!r} ({node.type_name}): {exc}",
                                          "nodes", node_id))
            infos = {}
        graph.port_infos[node_id] = infos
        for inlet, info in arriving.items():
            graph.arriving_infos[(node_id, inlet)] = info
        for link in incoming[node_id]:
            sent = graph.port_infos.get(link.src, {}).get(link.outlet, UNKNOWN)
            expected = infos.get(link.inlet, UNKNOWN)
            if graph.converters[link] is None and sent.size is not None \
                    and expected.size is not None and sent.size != expected.size:
                problems.append(patch.problem(
                    f"link {link}: {link.src}.{link.outlet} sends {sent.describe()} but "
                    f"{link.dst}.{link.inlet} expects {expected.describe()}; make the sizes "
                    "match (check both nodes' params)", "links", patch.link_index(link)))
