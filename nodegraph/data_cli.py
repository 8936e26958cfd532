"""``nodegraph data import/export``: FluCoMa files in and out of a patch's learned state.

``nodegraph data import PATCH NODE FILE...`` checks FluCoMa JSON files (DataSet,
MLP, Normalize/Standardize/RobustScale) and writes them into ``NODE``'s folder of
``<patch>.data/``; ``nodegraph data export PATCH NODE DIR`` writes the node's state
as FluCoMa JSON into ``DIR``. What goes where: :mod:`nodes.interop.flucoma_files`.
Exit status 0 when done, 1 with a message naming the file and field (or the
mismatch) otherwise; nothing is written then.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .datalock import DataFolderBusy, DataLock
from .engine import Engine
from .errors import PatchError


def add_parser(sub: Any) -> None:
    """Add the ``data`` command to the ``nodegraph`` subparsers ``sub``."""
    data = sub.add_parser("data", help="FluCoMa files in and out of a patch's learned state")
    actions = data.add_subparsers(metavar="ACTION")
    about = ("copy FluCoMa JSON files into a node's learned state: a regress node takes "
             "the inputs DataSet and the outputs DataSet (in that order) and/or an MLP; a "
             "normalize node a Normalize, Standardize or RobustScale file")
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
    about = "write a node's learned state as FluCoMa JSON files into DIR"
    write = actions.add_parser("export", help=about, description=about)
    write.add_argument("patch", type=Path)
    write.add_argument("node", help="node id (inside a subpatch: instance/node)")
    write.add_argument("dir", type=Path, metavar="DIR", help="folder for the files (created)")
    write.set_defaults(func=cmd_export, overrides=[])


def cmd_import(args: argparse.Namespace) -> int:
    from nodes.interop.flucoma_files import import_files

    def locked_import(holder: Any) -> list[str]:
        # Not while the patch runs elsewhere: a running patch that learns holds its
        # data folder's lock (and so the folder exists).
        root = holder.folder.parent
        lock = DataLock(root) if root.is_dir() else None
        try:
            return import_files(holder, args.files, args.replace)
        finally:
            if lock is not None:
                lock.release()

    return _run(args, locked_import)


def cmd_export(args: argparse.Namespace) -> int:
    from nodes.interop.flucoma_files import export_files

    return _run(args, lambda holder: export_files(holder, args.dir))


def _run(args: argparse.Namespace, action: Any) -> int:
    from nodes.iml.flucoma import FormatError
    from nodes.interop.flucoma_files import DataError

    try:
        lines = action(_holder(args.patch, args.node, args.overrides))
    except PatchError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except (DataError, FormatError, OSError, DataFolderBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


def _holder(patch: Path, node_id: str, overrides: list[str]) -> Any:
    """The node ``node_id`` of the checked patch, with its folder and port sizes."""
    from nodes.interop.flucoma_files import HOLDERS, DataError, Holder

    if not patch.is_file():
        raise DataError(f"{patch}: no such patch file")
    engine = Engine.load(patch, overrides)
    graph = engine.graph
    node = graph.nodes.get(node_id)
    if node is None:
        holders = [f"{i} ({n.type_name})" for i, n in graph.nodes.items()
                   if n.type_name in HOLDERS]
        raise DataError(f"{patch} has no node {node_id!r}; nodes with learned state: "
                        f"{', '.join(holders) or 'none'}")
    x_inlet = "in" if node.type_name == "normalize" else "x"
    out = graph.port_infos.get(node_id, {}).get("out")
    return Holder(node_id, node, engine.data_root / node_id,
                  x_size=graph.arriving(node_id, x_inlet).size,
                  y_size=out.size if out is not None and node.type_name == "regress" else None)
