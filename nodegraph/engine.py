"""The engine: a patch document, its running nodes, the scheduler, undo history.

One :class:`Engine` owns everything about a loaded patch. Front ends (the command
line, the editor, OSC control) hold no graph state of their own: they read
``engine.patch`` and change it only through :meth:`Engine.do` / ``undo`` / ``redo``,
which check the edited document and apply it to the running graph between ticks,
so the graph keeps running while it is edited.

Life cycle::

    engine = Engine.load("patches/demo.yaml")   # check: PatchError on problems
    engine.open()       # nodes acquire devices/models; a failing node is flagged
    engine.start()      # control thread and audio worker (real time) ...
    engine.stop()       # ... or run_offline(seconds) on a virtual clock
    engine.close()      # every node closed, even after errors

or ``with Engine.load(path) as engine:`` for open/close.

The signal domain (``audio`` ports) is rendered by ``engine.audio``, an
:class:`~nodegraph.audio.engine.AudioEngine`; the engine rebuilds its DSP chain
whenever the plan changes and drives it offline in lockstep with the control graph.

Threads. An edit (``do``/``undo``/``redo``, any thread but the control thread's own
ticks) opens added nodes on the calling thread, then swaps the plan in with a call on
the control thread, which hands the rebuilt chain to the audio worker and returns at
once: neither the control thread nor the editing thread waits for the worker to adopt
it. A removed signal node may still be rendered until the worker adopted the new
chain, so it is *retired*: the worker's adoption posts a call, and on a later tick the
control thread hands it to a short ``close-removed`` thread (a close may join the
node's threads; at once when no worker runs; ``stop`` and ``close`` close whatever is
left and wait for those threads). Other removed nodes are closed by the editing thread as the
edit returns.

Learned state is written by a :class:`~nodegraph.saver.Saver` thread: the control
thread only takes each node's snapshot (``learned``, ``save_learned``) and never does
a node's file I/O; ``save_learned``, ``save`` and ``close`` wait until it is on disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

from .audio.chain import build_chain, is_signal_node
from .audio.engine import AudioEngine
from .clock import Clock, RealClock, VirtualClock
from .confine import WriteRoots
from .context import Context
from .datalock import DataLock
from .edits import Edit
from .errors import COMMAND_LINE, EditError, PatchError, Problem, shown
from .graph import Graph, check_patch
from .names import NameTable
from .node import Node
from .patch import Link, Patch, dump_patch, load_patch, save_patch
from .registry import Registry, default_registry
from .saver import Saver
from .scheduler import RuntimeNode, Scheduler
from .yamlsrc import YamlProblem, parse

log = logging.getLogger("nodegraph.engine")

#: Offline rendering advances the virtual clock in steps of at most this many seconds.
OFFLINE_STEP_S = 0.01


class Engine:
    """A loaded patch and its running graph."""

    def __init__(self, patch: Patch, registry: Registry | None = None,
                 clock: Clock | None = None, allow_write: Iterable[Path] = ()) -> None:
        self.registry = registry or default_registry()
        #: folders beyond the patch's own that its nodes may write in (--allow-write)
        self.allow_write = tuple(allow_write)
        self.clock: Clock = clock or RealClock()
        self.scheduler = Scheduler(self.clock)
        self.graph: Graph = check_patch(patch, self.registry)
        self.patch = patch
        self.runtime: dict[str, RuntimeNode] = {}
        #: node error texts already logged (each is logged once per engine)
        self._logged_errors: set[str] = set()
        #: named message channels (send/receive), shared by every node of this engine
        self.names = NameTable()
        self.audio = AudioEngine(offline=self.clock.virtual)
        self.audio.on_adopted = self._chain_adopted
        #: removed signal nodes waiting for the worker to adopt a chain without them:
        #: (chain generation, nodes); control thread (or with no thread running)
        self._retiring: list[tuple[int, list[RuntimeNode]]] = []
        #: threads closing removed signal nodes (``_retire``), joined by ``stop``
        self._closing: list[threading.Thread] = []
        #: writes learned state off the control thread (requests keyed (rn, folder))
        self._saver = Saver(self._save_failed)
        #: save errors to flag on their nodes when no control thread runs
        self._save_errors: list[tuple[RuntimeNode, BaseException]] = []
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        #: merge key of the edit on top of the undo stack (see ``do``)
        self._merge: object = None
        self._saved_text = dump_patch(patch) if patch.path else None
        self._opened = False
        self._edit_lock = threading.RLock()
        self.started_at: float | None = None
        #: why a node asked to end the run (``Context.end_run``), or None
        self.end_reason: str | None = None
        #: the data folder's lock while open (patches whose nodes learn, saved ones)
        self._data_lock: DataLock | None = None

    @classmethod
    def load(cls, path: str | Path, overrides: Iterable[str] = (),
             registry: Registry | None = None, clock: Clock | None = None,
             allow_write: Iterable[Path] = ()) -> Engine:
        """Read, override (``node.param=value``) and check a patch file."""
        patch = load_patch(path)
        apply_overrides(patch, overrides)
        return cls(patch, registry, clock, allow_write)

    # -- where things live -----------------------------------------------------------

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths in params are resolved against."""
        return self.patch.path.parent if self.patch.path else Path.cwd()

    @property
    def write_roots(self) -> WriteRoots:
        """Where nodes may write: the patch's folder and the allowed ones."""
        return WriteRoots(self.base_dir, self.allow_write)

    def exposures(self) -> list[str]:
        """One sentence per node that opens this machine to others (a listener
        beyond 127.0.0.1), for ``check`` and the start of a run to say."""
        found = []
        for node_id in self.graph.order:
            node = self.graph.nodes[node_id]
            exposure = node.exposure()
            if exposure:
                found.append(f"node {node_id!r} ({node.type_name}) {exposure}")
        return found

    @property
    def data_root(self) -> Path | None:
        return self.patch.data_root

    @property
    def dirty(self) -> bool:
        """True when the document differs from the file it was loaded from/saved to
        (always, for a patch never saved: what it learned is saved with it). Learned
        state of a saved patch is written as it changes (:meth:`learned`)."""
        return self._saved_text != dump_patch(self.patch)

    @property
    def learns(self) -> bool:
        """Whether any node keeps learned state (overrides ``Node.save_state``)."""
        return any(type(node).save_state is not Node.save_state
                   for node in self.graph.nodes.values())

    # -- life cycle --------------------------------------------------------------------

    def open(self) -> None:
        """Open every node in run order. A node whose ``open`` raises is flagged
        ``failed`` and left out; the rest run."""
        if self._opened:
            return
        self.claim_data()
        self._opened = True
        for exposure in self.exposures():
            log.warning("%s", exposure)
        for node_id in self.graph.order:
            self.runtime[node_id] = self._open_node(self.graph.nodes[node_id])
        self._install_plan()

    def _open_node(self, node: Node) -> RuntimeNode:
        rn = RuntimeNode(node, self._logged_errors)
        node.ctx = Context(self, rn)
        try:
            node.open()
        except Exception as exc:
            rn.flag(exc, "failed to open")
            rn.status = "failed"
            _close_quietly(node)
        return rn

    def start(self) -> None:
        """Run the control thread and the audio worker (real-time clock)."""
        self.open()
        self.started_at = self.clock.now()
        self.scheduler.start()
        self.audio.start()

    def stop(self) -> None:
        """Stop the audio worker and the control thread; nodes stay open (``close``
        releases them)."""
        self.audio.stop()
        self.scheduler.stop()
        self._retire(everything=True)  # no worker renders them any more

    def close(self) -> None:
        """Stop, wait for pending saves of learned state, and close every node, last
        first; never raises for a node's error."""
        self.stop()
        self._saver.flush()  # errors were logged, and flagged on their nodes
        self.audio.close()
        for rn in reversed(list(self.runtime.values())):
            _close_quietly(rn.node)
        self._saver.close()  # (what a closing node asked for included)
        self._saver = Saver(self._save_failed)  # the engine may be opened again
        self.runtime.clear()
        self._opened = False
        if self._data_lock is not None:
            self._data_lock.release()
            self._data_lock = None

    def __enter__(self) -> Engine:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request_end(self, reason: str) -> None:
        """End ``run_for`` / ``run_offline`` early (from any thread); the first
        reason given is kept and shown in the run report as ``ended_by``."""
        if self.end_reason is None:
            self.end_reason = reason
            log.info("ending the run: %s", reason)

    def run_for(self, seconds: float | None) -> float:
        """Real time: run until ``seconds`` pass (forever if None), Ctrl-C, or a node
        ends the run. Returns the seconds actually run. The caller closes the engine."""
        self.start()
        start = time.perf_counter()
        deadline = None if seconds is None else start + seconds
        try:
            while (deadline is None or time.perf_counter() < deadline) and self.end_reason is None:
                remaining = 0.05 if deadline is None else deadline - time.perf_counter()
                time.sleep(max(0.0, min(0.05, remaining)))
        except KeyboardInterrupt:
            log.info("interrupted")
        finally:
            self.stop()
        return time.perf_counter() - start

    def run_offline(self, seconds: float, step: float = OFFLINE_STEP_S) -> float:
        """Virtual clock: advance ``seconds`` as fast as the nodes allow (or until a
        node ends the run, or Ctrl-C), in steps of ``step`` seconds, or of one audio block when the
        patch has audio. Each step the control graph runs up to the step's start, then
        the audio chain renders the step from that state (a decoder brings control up
        to each latent frame it starts: ``ctx.catch_up``), so audio and control advance
        in lockstep. Returns once what the nodes learned during the run is on disk (the
        saver writes it as the run goes; the ticks never wait for it)."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise RuntimeError("offline runs need Engine(..., clock=VirtualClock())")
        self.open()
        self.started_at = start = clock.now()
        self.audio.start_offline(start)
        self.audio.control_until = self._control_until
        if self.audio.active:
            step = self.audio.block / self.audio.sr
        end = start + seconds
        t, steps = start, 0
        try:
            while t < end and self.end_reason is None:
                self._control_until(t)
                steps += 1
                t = min(end, start + steps * step)  # no accumulated rounding: ends at `end`
                self.audio.render_until(t, final=t >= end)
            self._control_until(t)
        except KeyboardInterrupt:  # Ctrl-C: stop here; the caller reports what was rendered
            log.info("interrupted after %.2f s", clock.now() - start)
            self.end_reason = "interrupted"
        self.wait_saved()
        return clock.now() - start

    def _control_until(self, t: float) -> None:
        """Offline: run the control graph up to clock time ``t`` (never backwards)."""
        self.scheduler.run_until(max(t, self.clock.now()))

    # -- messages in from outside ----------------------------------------------------

    def send(self, node_id: str, inlet: str, value: Any = True) -> None:
        """Deliver ``value`` to an inlet on a coming tick (editor buttons, scripts)."""
        rn = self.runtime.get(node_id)
        if rn is None:
            raise KeyError(f"no running node {node_id!r}")
        if inlet not in rn.hot:
            raise KeyError(f"{node_id!r} has no inlet {inlet!r}; inlets: {', '.join(rn.hot)}")
        self.scheduler.send(rn, inlet, value)

    # -- editing -------------------------------------------------------------------------

    def do(self, edit: Edit, merge: object = None) -> None:
        """Apply an edit; raises EditError (nothing changed) if it is refused.

        Consecutive edits given the same non-None ``merge`` key form one undo step
        (a slider being dragged: every value applies live, one undo restores the
        value from before the drag). Only merge edits whose first inverse undoes
        them all, such as ``SetParam`` of one param.
        """
        with self._edit_lock:
            inverse = self._apply(edit)
            if merge is None or merge != self._merge or not self._undo:
                self._undo.append(inverse)
            self._merge = merge
            self._redo.clear()

    def undo(self) -> bool:
        """Undo the last edit; False if there is none."""
        with self._edit_lock:
            if not self._undo:
                return False
            self._merge = None
            self._redo.append(self._apply(self._undo.pop()))
            return True

    def redo(self) -> bool:
        with self._edit_lock:
            if not self._redo:
                return False
            self._merge = None
            self._undo.append(self._apply(self._redo.pop()))
            return True

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def _apply(self, edit: Edit) -> Edit:
        patch = self.patch.copy()
        inverse = edit.apply(patch)
        try:
            graph = check_patch(patch, self.registry)
        except PatchError as exc:
            raise EditError("; ".join(p.message for p in exc.problems)) from None
        self._switch(patch, graph)
        return inverse

    def _switch(self, patch: Patch, graph: Graph) -> None:
        """Make ``patch``/``graph`` current, updating the running graph between ticks."""
        if not self._opened:
            self.patch, self.graph = patch, graph
            return
        # A node is kept (with its state) unless its type changed, or it failed to
        # open and its params changed: then a fresh instance gets another try.
        kept = {i for i, rn in self.runtime.items()
                if i in graph.nodes and graph.nodes[i].type_name == rn.node.type_name
                and not (rn.status == "failed" and graph.nodes[i].params != rn.node.params)}
        added = {i: self._open_node(graph.nodes[i]) for i in graph.order if i not in kept}
        removed = [rn for i, rn in self.runtime.items() if i not in kept]
        signal = [rn for rn in removed if is_signal_node(rn.node)]
        changed = [(self.runtime[i], name, value)
                   for i in kept for name, value in graph.nodes[i].params.items()
                   if self.runtime[i].node.params[name] != value]

        def swap() -> None:
            for rn, name, value in changed:
                try:
                    rn.node.set_param(name, value)
                except Exception as exc:
                    rn.flag(exc, f"rejected param {name}")
            for rn in removed:
                del self.runtime[rn.id]
            self.runtime.update(added)
            self.patch, self.graph = patch, graph
            generation = self._install_plan()
            if signal:  # the worker may be rendering them: closed once it moved on
                self._retiring.append((generation, signal))
            self._retire()

        self.scheduler.call(swap).result()
        for rn in removed:
            if rn not in signal:
                _close_quietly(rn.node)

    def _install_plan(self) -> int:
        """Rebuild routes, run order and the DSP chain from ``self.graph``; returns the
        chain's generation (``AudioEngine.install``: handed over, not waited for).
        Runs on the control thread (or before it starts)."""
        graph, runtime = self.graph, self.runtime
        for rn in runtime.values():
            names = [p.name for p in rn.node.inlets]
            if list(rn.hot) != names:  # ports follow params (e.g. pack's count)
                for name in names:
                    rn.inputs.values.setdefault(name, None)
                    rn.inputs.times.setdefault(name, 0.0)
                rn.hot = {p.name: p.hot for p in rn.node.inlets}
        routes: dict[str, dict[str, list]] = {
            i: {p.name: [] for p in rn.node.outlets} for i, rn in runtime.items()}
        signal_links: list[Link] = []
        for link, convert in graph.converters.items():
            src, dst = runtime.get(link.src), runtime.get(link.dst)
            if src is None or dst is None or src.status == "failed" or dst.status == "failed":
                continue
            if src.node.outlet(link.outlet).type.domain == "signal":
                signal_links.append(link)
            else:
                routes[link.src][link.outlet].append((dst, link.inlet, dst.hot[link.inlet], convert))
        for node_id, rn in runtime.items():
            rn.routes = {port: tuple(dsts) for port, dsts in routes[node_id].items()}
            infos = graph.port_infos.get(node_id, {})
            rn.out_sizes = {p.name: infos[p.name].size for p in rn.node.outlets
                            if p.type.name == "vector" and p.name in infos
                            and infos[p.name].size is not None}
        self.scheduler.order = [runtime[i] for i in graph.order
                                if i in runtime and runtime[i].status != "failed"]
        return self.audio.install(
            build_chain(self.scheduler.order, signal_links, self._flag_signal))

    def _chain_adopted(self) -> None:
        """Audio worker, right after adopting a chain: have the control thread retire
        the nodes that chain left out (posting only: the worker never waits)."""
        if self._retiring and self.scheduler.running:
            self.scheduler.call(self._retire)

    def _retire(self, everything: bool = False) -> None:
        """Close the removed signal nodes whose chain the worker has left (all of them,
        here and now, with ``everything``: no worker runs, and closes still under way
        are waited for). Control thread, or no thread running; on the control thread
        the closing itself runs on a short thread of its own, since a node's ``close``
        may join its threads."""
        ready, keep = [], []
        for generation, nodes in self._retiring:
            if everything or self.audio.adopted(generation):
                ready += nodes
            else:
                keep.append((generation, nodes))
        self._retiring = keep
        if everything:
            for rn in ready:
                _close_quietly(rn.node)
            while self._closing:
                self._closing.pop().join()
        elif ready:
            self._closing = [t for t in self._closing if t.is_alive()]
            closer = threading.Thread(target=lambda: [_close_quietly(rn.node) for rn in ready],
                                      name="close-removed", daemon=True)
            closer.start()
            self._closing.append(closer)

    def _flag_signal(self, rn: RuntimeNode, error: BaseException, where: str) -> None:
        """Flag a signal node's error (from the audio thread) on the control thread."""
        self.scheduler.call(lambda: rn.flag(error, where))

    # -- saving ---------------------------------------------------------------------------

    def save(self, path: str | Path | None = None) -> Path:
        """Write the patch (atomically) and every node's learned state beside it.
        Saving under a new name takes that name's data folder lock first (raises
        DataFolderBusy, nothing written, when another process holds it)."""
        with self._edit_lock:
            target = Path(path) if path is not None else self.patch.path
            if target is None:
                raise ValueError("this patch has no file yet: give a path to save to")
            if self._opened and (target != self.patch.path or self._data_lock is None):
                self._lock_data(target.with_name(target.stem + ".data"))
            self.patch.path = target
            text = dump_patch(self.patch)
            save_patch(self.patch, target)
            self._saved_text = text
            self.save_learned()
            return target

    def save_learned(self) -> None:
        """Write every open node's learned state into the data folder (``nodegraph
        run`` on exit, ``/save`` over ``--control``); the patch file is left alone.
        The control thread takes the snapshots; the saver thread writes them, and this
        returns once everything requested so far is on disk (raising the first error
        of those writes). Any thread but the control thread's ticks: it waits on disk."""
        data_root = self.data_root
        if not self._opened or data_root is None:
            return

        def snapshot_states() -> None:
            for rn in self.runtime.values():
                if rn.status != "failed":  # its files stay as they were
                    self._request_save(rn, data_root / rn.id)
        self.scheduler.call(snapshot_states).result()
        errors = self._saver.flush()
        self._flag_save_errors()
        if errors:
            raise errors[0][1]

    def learned(self, rn: RuntimeNode, save: bool) -> None:
        """A node's learned state changed (``Context.learned``; control thread, or a
        node's own thread with ``save=False``). ``save``: have it written with its
        ``save_state`` (atomic files) on the saver thread, from a snapshot taken now
        (``state_snapshot``, see :mod:`nodegraph.saver`); the tick never waits for it.
        Otherwise the node has journaled it itself. A patch never saved has no data
        folder yet: it is dirty, and saving writes it."""
        data_root = self.data_root
        if data_root is None:
            return
        if self._data_lock is None:
            self._lock_data(data_root)  # the patch's first learning node came by an edit
        if save:
            self._flag_save_errors()
            self._request_save(rn, data_root / rn.id)

    def wait_saved(self) -> None:
        """Wait until every save requested so far is on disk (errors were logged and
        flagged on their nodes). Not for the control thread's ticks."""
        self._saver.flush()
        self._flag_save_errors()

    def _request_save(self, rn: RuntimeNode, folder: Path) -> None:
        """Control thread: snapshot ``rn``'s learned state and queue its writing."""
        node = rn.node
        write = node.state_snapshot(folder) or partial(node.save_state, folder)
        self._saver.request((rn, folder), write)

    def _save_failed(self, key: Any, error: BaseException) -> None:
        """Saver thread: a write failed; flag its node on the control thread."""
        rn = key[0]
        if self.scheduler.running:
            self.scheduler.call(lambda: rn.flag(error, "could not save its learned state"))
        else:
            self._save_errors.append((rn, error))

    def _flag_save_errors(self) -> None:
        """Flag the save errors kept while no control thread ran (driving thread)."""
        while self._save_errors:
            rn, error = self._save_errors.pop(0)
            rn.flag(error, "could not save its learned state")

    def claim_data(self) -> None:
        """Take the patch's data folder lock now, if its nodes learn (``open`` does it
        too): raises DataFolderBusy naming the process that holds it. Lets a front end
        check before it lets go of the patch it has open."""
        if self._data_lock is None:
            self._lock_data(self.data_root)

    def _lock_data(self, folder: Path | None) -> None:
        """Hold ``folder``'s lock instead of the current one (patches that learn)."""
        if folder is None or not self.learns:
            return
        lock = DataLock(folder)
        if self._data_lock is not None:
            self._data_lock.release()
        self._data_lock = lock

    # -- reporting -----------------------------------------------------------------------

    def report(self, duration_s: float | None = None) -> dict[str, Any]:
        """The run report, a JSON-able dict::

            {"patch", "duration_s", "mode", "ticks", "ended_by" (when a node ended it),
             "nodes": {node_id: {scheduler stats..., the node's report() figures...}},
             "audio": {engine-wide audio figures..., "nodes": {node_id: figures}},
             "vision": {"nodes": {node_id: figures}}, ...}

        Every node has an entry in ``nodes``: its stats (``type``, ``calls``, ``sent``,
        ``status``, ``last_error``...) and what its ``report()`` gives. A node type with a
        ``report_section`` also appears in that section, under its id: two decoders give
        two entries in ``audio.nodes``. A node that failed to open is not asked for a
        report (its state is partial); its entries show ``status: failed`` and
        ``last_error``. The ``audio`` section is there when the patch has signal nodes."""
        if duration_s is None:
            duration_s = 0.0 if self.started_at is None else self.clock.now() - self.started_at
        nodes: dict[str, Any] = {}
        sections: dict[str, dict[str, Any]] = {}
        for node_id, rn in self.runtime.items():
            own = rn.report()
            nodes[node_id] = {**rn.stats(), **own}
            section = type(rn.node).report_section
            if rn.status == "failed":
                own = {"status": "failed", "last_error": rn.last_error}
            if section and own:
                sections.setdefault(section, {"nodes": {}})["nodes"][node_id] = own
        audio = self.audio.report()
        if audio:
            for node_id, stats in self.audio.chain.stats().items():
                if node_id in nodes:
                    nodes[node_id].update(stats)
            sections["audio"] = {**audio, "nodes": sections.get("audio", {}).get("nodes", {})}
            if audio.get("latency_ms"):
                _state_frame_intervals(audio["latency_ms"]["sources"], nodes)
        return {"patch": str(self.patch.path) if self.patch.path else None,
                "duration_s": round(duration_s, 3),
                "mode": "offline" if self.clock.virtual else "realtime",
                "ticks": self.scheduler.ticks,
                **({"ended_by": self.end_reason} if self.end_reason else {}),
                "nodes": nodes, **sections}


def _state_frame_intervals(sources: dict[str, Any], nodes: dict[str, Any]) -> None:
    """Add ``frame_interval_ms`` to the latency figures of a source type whose node
    reports a frame rate (``fps``: a camera): a motion waits up to that long to be
    captured, on top of its capture → sound latency."""
    for kind, figures in sources.items():
        rate = next((n["fps"] for n in nodes.values() if n.get("type") == kind and n.get("fps")),
                    None)
        if rate and figures is not None:
            figures["frame_interval_ms"] = round(1000.0 / rate, 2)


def apply_overrides(patch: Patch, overrides: Iterable[str]) -> None:
    """Apply ``node.param=value`` strings, and ``name=value`` for params the patch
    declares (its ``params:`` section), to the document (values read as YAML); the
    graph check then validates them. Raises PatchError on a malformed one."""
    problems = []
    for item in overrides:
        target, sep, text = item.partition("=")
        node_id, dot, param = target.partition(".")

        def fail(message: str) -> None:
            problems.append(Problem(f"--set {shown(item)}: {message}", COMMAND_LINE))

        try:
            value = _override_value(text)
        except YamlProblem as exc:
            fail(f"the value: {exc.message}")
            continue
        if sep and not dot and target in patch.params:
            patch.params[target] = value
            continue
        if not sep or not dot or not param:
            declared = f" or name=value ({', '.join(patch.params)})" if patch.params else ""
            fail(f"write node.param=value{declared}")
            continue
        spec = patch.nodes.get(node_id)
        if spec is None:
            fail(f"no node {shown(node_id)}; nodes: {', '.join(patch.nodes)}")
            continue
        spec.params[param] = value
    if problems:
        raise PatchError(problems)


def _override_value(text: str) -> Any:
    """A ``--set`` value read as YAML (plain values only, as in a patch); text that is
    not YAML at all is taken as a string. Raises YamlProblem for a value YAML reads
    but a patch may not hold (tags, nesting too deep)."""
    if not text.strip():
        return ""
    try:
        return parse(text)[0]
    except YamlProblem as exc:
        if exc.syntax:
            return text
        raise


def _close_quietly(node: Node) -> None:
    try:
        node.close()
    except Exception as exc:
        log.error("node %s (%s) failed to close: %s", node.id, node.type_name, exc)
