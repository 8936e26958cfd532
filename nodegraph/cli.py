"""The ``nodegraph`` command line.

``nodegraph run PATCH``     run a patch (``--duration``, ``--report``, ``--set``, ``--offline``)
``nodegraph edit [PATCH]``  the node editor (``--screenshot FILE.png --quit-after S``)
``nodegraph check PATCH..`` exit 0 when every patch is valid, 1 with file:line problems
``nodegraph nodes``         list node types (``--json`` full schemas, ``--markdown`` the reference)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

from .clock import RealClock, VirtualClock
from .docs import node_reference
from .engine import Engine
from .errors import PatchError
from .registry import default_registry
from .storage import atomic_write_json

log = logging.getLogger("nodegraph")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return args.func(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nodegraph", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="run a patch")
    run.add_argument("patch", type=Path)
    run.add_argument("--headless", action="store_true", help="no window (the default for now)")
    run.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    run.add_argument("--offline", action="store_true",
                     help="render on a virtual clock, faster than real time (needs --duration)")
    run.add_argument("--report", type=Path, metavar="FILE.json", help="write the run report")
    run.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                     dest="overrides", help="override a param (value read as YAML)")
    run.set_defaults(func=cmd_run)

    edit = sub.add_parser("edit", help="open a patch (or a new one) in the node editor")
    edit.add_argument("patch", type=Path, nargs="?",
                      help="patch file; created on first save if it does not exist")
    edit.add_argument("--screenshot", type=Path, metavar="FILE.png",
                      help="save a screenshot of the window when --quit-after ends")
    edit.add_argument("--quit-after", type=float, metavar="S",
                      help="run the graph and render for S seconds, then exit")
    edit.set_defaults(func=cmd_edit)

    check = sub.add_parser("check", help="validate patches")
    check.add_argument("patches", type=Path, nargs="+")
    check.set_defaults(func=cmd_check)

    nodes = sub.add_parser("nodes", help="list node types")
    nodes.add_argument("--json", action="store_true", help="full schemas as JSON")
    nodes.add_argument("--markdown", action="store_true",
                       help="the node reference (docs/nodes.md) as Markdown")
    nodes.set_defaults(func=cmd_nodes)
    return parser


def _print_problems(exc: PatchError) -> None:
    for problem in exc.problems:
        print(problem, file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    failed = False
    for path in args.patches:
        try:
            Engine.load(path)
        except PatchError as exc:
            _print_problems(exc)
            failed = True
        else:
            print(f"{path}: ok")
    return 1 if failed else 0


def cmd_edit(args: argparse.Namespace) -> int:
    if args.screenshot and args.quit_after is None:
        print("--screenshot needs --quit-after S (how long to run before the shot)",
              file=sys.stderr)
        return 2
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        print("nodegraph edit needs a display: no DISPLAY is set (on a server, run it "
              "under 'xvfb-run -a nodegraph edit ...')", file=sys.stderr)
        return 2
    from .editor.app import edit, open_engine  # dearpygui only when editing

    try:
        engine = open_engine(args.patch)
    except PatchError as exc:
        _print_problems(exc)
        return 1
    return edit(engine, args.screenshot, args.quit_after)


def cmd_run(args: argparse.Namespace) -> int:
    if args.offline and args.duration is None:
        print("--offline needs --duration S", file=sys.stderr)
        return 2
    try:
        engine = Engine.load(args.patch, args.overrides,
                             clock=VirtualClock() if args.offline else RealClock())
    except PatchError as exc:
        _print_problems(exc)
        return 1
    live = [rn_id for rn_id, node in engine.graph.nodes.items() if node.realtime_only]
    if args.offline and live:
        print(f"--offline: {', '.join(live)} need(s) the wall clock; run without --offline",
              file=sys.stderr)
        return 2
    try:
        engine.open()
        log.info("running %s%s", args.patch,
                 f" for {args.duration:g} s" if args.duration else " (Ctrl-C stops)")
        if args.offline:
            duration = engine.run_offline(args.duration)
        else:
            duration = engine.run_for(args.duration)
        report = engine.report(duration)
    finally:
        engine.close()
    _print_summary(report)
    if args.report:
        atomic_write_json(args.report, report)
        log.info("report written to %s", args.report)
    return 0


def _print_summary(report: dict[str, Any]) -> None:
    print(f"ran {report['duration_s']:.2f} s ({report['mode']}), {report['ticks']} ticks")
    print(f"{'node':<16} {'type':<16} {'calls':>7} {'sent':>7} {'ms/call':>8} {'errors':>6}  status")
    for node_id, stats in report["nodes"].items():
        per_call = 1000 * stats["time_s"] / stats["calls"] if stats["calls"] else 0.0
        print(f"{node_id:<16} {stats['type']:<16} {stats['calls']:>7} {stats['sent']:>7} "
              f"{per_call:>8.3f} {stats['errors']:>6}  {stats['status']}")


def cmd_nodes(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.json:
        print(json.dumps(registry.schemas(), indent=1))
        return 0
    if args.markdown:
        sys.stdout.write(node_reference(registry))
        return 0
    by_category: dict[str, list[str]] = {}
    for name in registry.names():
        by_category.setdefault(registry.types[name].category, []).append(name)
    for category in sorted(by_category):
        print(f"{category}:")
        for name in by_category[category]:
            print(f"  {name:<18} {registry.types[name].summary()}")
    for module, error in registry.broken.items():
        print(f"(not available: {module}: {error})", file=sys.stderr)
    return 0
