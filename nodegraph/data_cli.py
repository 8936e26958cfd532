"""``nodegraph data import/export``: files in and out of a node's learned state.

``nodegraph data import PATCH NODE FILE...`` hands the files to ``NODE``'s
``import_state`` (the node type says what it takes in ``state_files``: FluCoMa JSON
for normalize and regress), which checks them against the patch and writes them
into the node's folder of ``<patch>.data/``; ``nodegraph data export PATCH NODE DIR``
has ``export_state`` write the node's state as files into ``DIR``. The contract is
:class:`nodegraph.node.Node`'s. Exit status 0 when done, 1 with a message naming the
file and field (or the mismatch) otherwise; nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .datalock import DataFolderBusy, DataLock
from .engine import Engine
from .errors import PatchError
from .node import Node, StateError


def add_parser(sub: Any) -> None:
    """Add the ``data`` command to the ``nodegraph`` subparsers ``sub``."""
    data = sub.add_parser("data", help="files in and out of a node's learned state "
                          "(FluCoMa JSON)")
    actions = data.add_subparsers(metavar="ACTION")
    about = ("copy files into a node's learned state: a regress node takes FluCoMa JSON "
             "files, the inputs DataSet and the outputs DataSet (in that order) and/or an "
             "MLP; a normalize node a Normalize, Standardize or RobustScale file")
    read = actions.add_parser("import", help=about, description=about)
    read.add_argument("patch", type=Path)
    read.add_argument("node", help="node id (inside a subpatch: instance/node)")
    read.add_argument("files", type=Path, nargs="+", metavar="FILE")
    read.add_argument("--replace", action="store_true",
                      help="discard the examples the node has recorded")
    read.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                      dest="overrides", help="as for run: the sizes the files are checked "
                      "against follow the patch as it will run")
    read.set_defaults(func=cmd_import)
    about = "write a node's learned state as files (FluCoMa JSON) into DIR"
    write = actions.add_parser("export", help=about, description=about)
    write.add_argument("patch", type=Path)
    write.add_argument("node", help="node id (inside a subpatch: instance/node)")
    write.add_argument("dir", type=Path, metavar="DIR", help="folder for the files (created)")
    write.set_defaults(func=cmd_export, overrides=[])


def cmd_import(args: argparse.Namespace) -> int:
    def locked_import(engine: Engine, node: Node, folder: Path) -> list[str]:
        # Not while the patch runs elsewhere: a running patch that learns holds its
        # data folder's lock (and so the folder exists).
        lock = DataLock(folder.parent) if folder.parent.is_dir() else None
        try:
            return node.import_state(folder, args.files, args.replace,
                                     _port_sizes(engine, node.id))
        finally:
            if lock is not None:
                lock.release()

    return _run(args, locked_import)


def cmd_export(args: argparse.Namespace) -> int:
    return _run(args, lambda engine, node, folder: node.export_state(folder, args.dir))


def _run(args: argparse.Namespace,
         action: Callable[[Engine, Node, Path], list[str]]) -> int:
    try:
        if not args.patch.is_file():
            raise StateError(f"{args.patch}: no such patch file")
        engine = Engine.load(args.patch, args.overrides)
        node = _state_node(engine, args.node)
        lines = action(engine, node, engine.data_root / node.id)
    except PatchError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except (StateError, OSError, DataFolderBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


def _state_node(engine: Engine, node_id: str) -> Node:
    """The node ``node_id`` of the checked patch, if its type keeps importable state."""
    nodes = engine.graph.nodes
    holders = ", ".join(f"{i} ({n.type_name}: {n.state_files})"
                        for i, n in nodes.items() if n.state_files) or "none"
    node = nodes.get(node_id)
    if node is None:
        raise StateError(f"{engine.patch.path} has no node {node_id!r}; nodes with "
                         f"learned state: {holders}")
    if not node.state_files:
        raise StateError(f"node {node_id!r} is a {node.type_name}, which keeps no state "
                         f"that files can hold; nodes that do: {holders}")
    return node


def _port_sizes(engine: Engine, node_id: str) -> dict[str, int | None]:
    """Each port's vector size in the checked patch: inlets as linked in, outlets as
    sent (None when unknown)."""
    graph = engine.graph
    node = graph.nodes[node_id]
    sizes = {p.name: graph.arriving(node_id, p.name).size for p in node.inlets}
    infos = graph.port_infos.get(node_id, {})
    sizes.update({p.name: infos[p.name].size if p.name in infos else None
                  for p in node.outlets})
    return sizes
