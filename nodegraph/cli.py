"""The ``nodegraph`` command line.

``nodegraph run PATCH``         run a patch (``--duration``, ``--report``, ``--set``,
                                ``--offline``, ``--out FILE.wav``, ``--allow-write PATH``,
                                ``--control osc:PORT``)
``nodegraph edit [PATCH]``      the node editor (``--screenshot FILE.png --quit-after S``)
``nodegraph check PATCH..``     exit 0 when every patch is valid, 1 with file:line problems
``nodegraph nodes``             list node types (``--json`` full schemas, ``--markdown``
                                the reference)
``nodegraph model info FILE``   what a TorchScript model offers (``--json``)
``nodegraph train SOUNDS.. --out NAME.ts``  a streaming model of your recordings
``nodegraph data import|export``  FluCoMa files in and out of a node's learned state
``nodegraph devices``           audio output devices

When ``run`` renders offline: with ``--offline``, and by itself when a ``--duration``
is given for a patch with audio (signal) nodes, none of its nodes needs the wall
clock (``realtime_only``: camera, OSC, MIDI...) and there is no audio output device
to play to. Then nothing could be heard anyway, and the same audio path renders
faster than real time (``--out`` records it). Otherwise ``run`` plays in real time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from . import trust
from .audio.chain import is_signal_node
from .clock import RealClock, VirtualClock
from .commands import add_parsers as add_library_parsers
from .commands import library_commands, parses_own_arguments
from .controls import parse_control
from .data_cli import add_parser as add_data_parser
from .datalock import DataFolderBusy
from .docs import node_reference
from .engine import Engine
from .errors import PatchError
from .registry import default_registry
from .storage import atomic_write_json

log = logging.getLogger("nodegraph")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = library_commands()
    command = commands.get(argv[0]) if argv else None
    if command is not None and parses_own_arguments(command):
        return command.main(argv[1:])
    parser = _parser(commands)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except KeyboardInterrupt:  # Ctrl-C outside a run's own loop (loading, closing)
        print("interrupted", file=sys.stderr)
        return 130


def _parser(commands: dict[str, ModuleType | str]) -> argparse.ArgumentParser:
    """The command line: the engine's commands and the libraries' ``commands``."""
    parser = argparse.ArgumentParser(prog="nodegraph", description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(metavar="COMMAND")

    run = sub.add_parser("run", help="run a patch")
    run.add_argument("patch", type=Path)
    run.add_argument("--duration", type=float, metavar="S", help="stop after S seconds")
    run.add_argument("--offline", action="store_true",
                     help="render on a virtual clock, faster than real time (needs --duration)")
    run.add_argument("--out", type=Path, metavar="FILE.wav",
                     help="also write what audio-out plays to a WAV file")
    run.add_argument("--report", type=Path, metavar="FILE.json", help="write the run report")
    run.add_argument("--allow-write", action="append", default=[], type=Path, metavar="PATH",
                     help="let the patch write in PATH too (it writes only in its own "
                     "folder otherwise); repeatable")
    run.add_argument("--set", action="append", default=[], metavar="NODE.PARAM=VALUE",
                     dest="overrides", help="override a node's param, or NAME=VALUE a param "
                     "the patch declares (value read as YAML)")
    run.add_argument("--control", metavar="osc:PORT",
                     help="drive the patch over OSC: /NODE/INLET args for any inlet, /save "
                     "for the learned state (127.0.0.1; osc:HOST:PORT for another "
                     "interface; docs/interop.md)")
    run.set_defaults(func=cmd_run)

    edit = sub.add_parser("edit", help="open a patch (or a new one) in the node editor")
    edit.add_argument("patch", type=Path, nargs="?",
                      help="patch file; created on first save if it does not exist")
    edit.add_argument("--screenshot", type=Path, metavar="FILE.png",
                      help="save a screenshot of the window when --quit-after ends")
    edit.add_argument("--quit-after", type=float, metavar="S",
                      help="run the graph and render for S seconds, then exit")
    edit.add_argument("--control", metavar="osc:PORT",
                      help="also drive the patch over OSC, as run --control does (a foot "
                      "switch through an OSC bridge)")
    edit.set_defaults(func=cmd_edit)

    check = sub.add_parser("check", help="validate patches")
    check.add_argument("patches", type=Path, nargs="+")
    check.add_argument("--trust-models", action="store_true",
                       help="load model files in this process to read their interface "
                       "(a model file runs code: by default check reads it in a sandboxed "
                       "child process that cannot write files; docs/safety.md)")
    check.set_defaults(func=cmd_check)

    nodes = sub.add_parser("nodes", help="list node types")
    nodes.add_argument("--json", action="store_true", help="full schemas as JSON")
    nodes.add_argument("--markdown", action="store_true",
                       help="the node reference (docs/nodes.md) as Markdown")
    nodes.set_defaults(func=cmd_nodes)

    add_data_parser(sub)
    add_library_parsers(sub, commands)

    devices = sub.add_parser("devices", help="list audio output devices")
    devices.set_defaults(func=cmd_devices)
    return parser


def _print_problems(exc: PatchError) -> None:
    for problem in exc.problems:
        print(problem, file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    failed = False
    for path in args.patches:
        try:
            with contextlib.nullcontext() if args.trust_models else trust.untrusted():
                engine = Engine.load(path)
        except PatchError as exc:
            _print_problems(exc)
            failed = True
        else:
            print(f"{path}: ok")
            for exposure in engine.exposures():
                print(f"{path}: note: {exposure}")
        for model in trust.take_skipped():
            print(f"{path}: note: {model} was not loaded (no sandbox on this system: a "
                  "model file runs code); its latent size was not checked. "
                  "--trust-models loads it")
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
    control = None
    if args.control:
        try:
            control = parse_control(args.control)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    from .editor.app import edit, open_engine  # dearpygui only when editing

    try:
        engine = open_engine(args.patch)
        engine.open()
    except PatchError as exc:
        _print_problems(exc)
        return 1
    except DataFolderBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return edit(engine, args.screenshot, args.quit_after, control)
    except OSError as exc:  # the control port
        print(f"--control: {exc}", file=sys.stderr)
        engine.close()
        return 2


def cmd_run(args: argparse.Namespace) -> int:
    if args.offline and args.duration is None:
        print("--offline needs --duration S", file=sys.stderr)
        return 2
    control = None
    if args.control:
        if args.offline:
            print("--control needs real time; run without --offline", file=sys.stderr)
            return 2
        try:
            control = parse_control(args.control)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    try:
        engine = Engine.load(args.patch, args.overrides,
                             clock=VirtualClock() if args.offline else RealClock(),
                             allow_write=args.allow_write)
    except PatchError as exc:
        _print_problems(exc)
        return 1
    live = [rn_id for rn_id, node in engine.graph.nodes.items() if node.paced_by_wall_clock()]
    if args.offline and live:
        print(f"--offline: {', '.join(live)} need(s) the wall clock; run without --offline",
              file=sys.stderr)
        return 2
    if not args.offline and not control and _renders_offline(engine, args.duration, live):
        engine = Engine(engine.patch, engine.registry, VirtualClock(), args.allow_write)
    stack = contextlib.ExitStack()
    try:
        try:
            engine.open()
        except DataFolderBusy as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if args.out:
            try:
                engine.audio.record(args.out)
            except (ValueError, OSError) as exc:
                print(f"--out: {exc}", file=sys.stderr)
                return 2
        if control is not None:
            try:
                server = control.open(engine)
            except (OSError, ValueError) as exc:
                print(f"--control: {exc}", file=sys.stderr)
                return 2
            stack.callback(server.close)
        log.info("running %s%s", args.patch,
                 f" for {args.duration:g} s" if args.duration else " (Ctrl-C stops)")
        with _terminate_ends_run(engine):
            if engine.clock.virtual:
                duration = engine.run_offline(args.duration)
            else:
                duration = engine.run_for(args.duration)
        stack.close()  # no control message after the run
        report = engine.report(duration)
        engine.save_learned()  # what was learned during the run (Ctrl-C included)
        if engine.data_root is not None and engine.learns:
            log.info("learned state saved in %s", engine.data_root)
    finally:
        stack.close()
        engine.close()
    _print_summary(report)
    if args.report:
        atomic_write_json(args.report, report)
        log.info("report written to %s", args.report)
    recorder = engine.audio.recorder
    if recorder is not None:
        if recorder.error:
            print(f"--out: {recorder.path}: {recorder.error}", file=sys.stderr)
            return 1
        print(f"wrote {recorder.path} ({recorder.frames / recorder.sr:.2f} s)")
    return 0


@contextlib.contextmanager
def _terminate_ends_run(engine: Engine) -> Iterator[None]:
    """SIGTERM ends the run as Ctrl-C does, so that learned state is saved."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: engine.request_end("SIGTERM"))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _renders_offline(engine: Engine, duration: float | None, live: list[str]) -> bool:
    """Whether ``run`` renders offline by itself (see the module docstring)."""
    if duration is None or live:
        return False
    if not any(is_signal_node(node) for node in engine.graph.nodes.values()):
        return False
    from .audio.device import has_output_device

    if has_output_device():
        return False
    log.info("no audio output device: rendering offline, faster than real time")
    return True


def _print_summary(report: dict[str, Any]) -> None:
    print(f"ran {report['duration_s']:.2f} s ({report['mode']}), {report['ticks']} ticks")
    print(f"{'node':<16} {'type':<16} {'calls':>7} {'sent':>7} {'ms/call':>8} {'errors':>6}  status")
    for node_id, stats in report["nodes"].items():
        per_call = 1000 * stats["time_s"] / stats["calls"] if stats["calls"] else 0.0
        print(f"{node_id:<16} {stats['type']:<16} {stats['calls']:>7} {stats['sent']:>7} "
              f"{per_call:>8.3f} {stats['errors']:>6}  {_status(stats)}")
    audio = report.get("audio")
    if audio and audio.get("sr"):
        line = (f"audio: {audio['seconds_out']:.2f} s at {audio['sr']} Hz "
                f"({audio['output'] or 'no output'}"
                f"{': ' + audio['device'] if audio.get('device') else ''}), "
                f"{audio['underruns']} underruns")
        latency = audio.get("latency_ms")
        if latency:
            line += (f", latency p50 {latency['p50']:.1f} / p95 {latency['p95']:.1f} ms, "
                     f"jitter {latency['jitter']:.1f} ms")
        rates = {node_id: figures["decode_rtf"]
                 for node_id, figures in audio.get("nodes", {}).items()
                 if figures.get("decode_rtf")}
        if len(rates) == 1:
            line += f", decode {next(iter(rates.values())):.1f}x real time"
        elif rates:
            line += ", decode " + ", ".join(f"{node_id} {rate:.1f}x"
                                            for node_id, rate in rates.items()) + " real time"
        print(line)


def _status(stats: dict[str, Any]) -> str:
    """A node's status for the summary; a muted node says why ("muted: NaN from
    decode")."""
    if stats["status"] == "muted":
        return f"muted: {stats['last_error'].partition(': ')[2] or stats['last_error']}"
    return stats["status"]


def cmd_devices(args: argparse.Namespace) -> int:
    from .audio.device import NoDevice, output_devices

    try:
        devices = output_devices()
    except NoDevice as exc:
        print(exc, file=sys.stderr)
        return 1
    if not devices:
        print("no audio output device (PortAudio lists none)", file=sys.stderr)
        return 1
    for d in devices:
        print(f"{d['index']:>3}  {d['name']}  ({d['hostapi']}, {d['channels']} channels, "
              f"{d['default_samplerate']:g} Hz)")
    return 0


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
