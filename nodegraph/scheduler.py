"""The control scheduler: one thread, an inbox, glitch-free ticks.

Execution semantics (the contract the rest of the engine relies on):

- **Inbox.** Any thread may post: a source's output (``post``), a message straight
  into an inlet (``send``), a timer (``schedule_at``), or a call to run on the control
  thread between ticks (``call``: live edits, state changes). Posting never blocks
  and never runs a node. ``post_latest`` is for streams where only the newest value
  matters (camera frames): a value still waiting on that outlet is replaced, not
  queued, and counted as dropped.
- **Ticks.** The control thread drains the inbox into a tick. A tick takes pending
  messages in arrival order until one would repeat a port already in the tick (that
  one waits for the next tick, so no message is ever dropped), delivers them, then
  visits the nodes in topological order: a node runs at most once per tick, after
  all its upstream nodes, and only if a **hot** inlet received a message; **cold**
  inlets only store. Calls run between ticks, in arrival order.
- **Timestamps.** Every message carries the timestamp of the source event it came
  from and that source's node type (``midi-in``, ``camera``...; ``send`` for a value
  sent in from outside the graph); a node's outputs inherit the newest timestamp
  among the hot messages that triggered it, and its source. A node that posts from a
  timer or a thread of its own (a timed delay, a receive, a glide) is the source of
  what it posts.
- **Delays.** A node whose type ``breaks_cycles`` posts its outputs to the inbox
  instead of delivering them, so they leave on a later tick; that is what lets a
  cycle exist.
- **Faults.** A node that raises is flagged (``status = "error"``, counted, the
  message kept), sends nothing that tick, and is called again on later input; the
  rest of the graph runs on. A node that failed to open is left out of the order.
- **Time.** Timers run on the scheduler's clock. With a virtual clock nothing runs
  in the background: ``run_until(t)`` advances time and runs everything due, on the
  calling thread (offline rendering, deterministic tests).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from time import perf_counter
from typing import Any

import numpy as np

from .clock import Clock, VirtualClock
from .node import Inputs, Node
from .types import Converter

log = logging.getLogger("nodegraph.scheduler")

# Inbox item kinds.
_OUT, _IN, _CALL, _TIMER, _LATEST = range(5)

#: Ticks run at one instant of virtual time before the scheduler decides a
#: zero-delay feedback loop is spinning and moves on.
MAX_TICKS_PER_INSTANT = 10_000

Route = tuple["RuntimeNode", str, bool, Converter | None]


class RuntimeNode:
    """A node instance plus what the scheduler keeps about it.

    ``routes`` maps each outlet to its destinations ``(node, inlet, hot, converter)``;
    ``out_sizes`` the known vector size of each outlet (checked on send). The stats
    (``calls``, ``sent`` messages, ``time_s``, ``errors``, ``last_error``, ``status``) are written by the
    control thread only and may be read from any thread.
    """

    __slots__ = ("id", "node", "inputs", "hot", "routes", "out_sizes", "triggered",
                 "defers", "calls", "sent", "dropped", "time_s", "errors", "last_error", "status",
                 "last_call", "last_out", "_logged")

    def __init__(self, node: Node, logged: set[str] | None = None) -> None:
        self.id = node.id
        self.node = node
        self.inputs = Inputs([p.name for p in node.inlets])
        self.hot = {p.name: p.hot for p in node.inlets}
        self.routes: dict[str, tuple[Route, ...]] = {p.name: () for p in node.outlets}
        self.out_sizes: dict[str, int] = {}
        self.triggered = False
        self.defers = node.breaks_cycles
        self.calls = 0
        self.sent = 0
        #: values replaced by a newer one before a tick took them (post_latest)
        self.dropped = 0
        self.time_s = 0.0
        self.errors = 0
        self.last_error = ""
        #: "idle" (never called), "ok", "error" (last call raised), "failed" (open
        #: failed), "muted" (its render raised: it plays silence until the chain is
        #: rebuilt; ``last_error`` says why)
        self.status = "idle"
        self.last_call = 0.0
        self.last_out: dict[str, Any] = {}
        #: error texts already logged: shared by the nodes of one engine, so nine
        #: nodes failing alike (one busy port) log it once
        self._logged: set[str] = set() if logged is None else logged

    def flag(self, error: BaseException | str, where: str) -> None:
        """Record an error; log it the first time its text is seen. A traceback
        follows only for an unexpected error (a bug), not for OSError or ValueError,
        whose message is meant for the user (a busy port, a bad value)."""
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self.errors += 1
        self.last_error = text
        if self.status not in ("failed", "muted"):
            self.status = "error"
        if text not in self._logged:
            self._logged.add(text)
            expected = isinstance(error, (str, OSError, ValueError))
            detail = "" if expected else "\n" + "".join(
                traceback.format_exception(error)).rstrip()
            log.error("node %s (%s) %s: %s%s", self.id, self.node.type_name, where, text, detail)
            if expected and not isinstance(error, str):  # -v shows where it came from
                log.debug("traceback of the above:\n%s",
                          "".join(traceback.format_exception(error)).rstrip())

    def report(self) -> dict[str, Any]:
        """The node's own figures (``Node.report``) for the run report and the editor;
        {} for a node that failed to open, whose ``report`` is never called (its state
        is partial: ``status`` and ``last_error`` say why). A ``report`` that raises
        gives ``{"report_error": text}``."""
        if self.status == "failed":
            return {}
        try:
            return self.node.report()
        except Exception as exc:  # a node's bug must not stop the report or the editor
            return {"report_error": f"{type(exc).__name__}: {exc}"}

    def stats(self) -> dict[str, Any]:
        return {"type": self.node.type_name, "calls": self.calls, "sent": self.sent,
                "dropped": self.dropped,
                "time_s": round(self.time_s, 6), "errors": self.errors,
                "status": self.status, "last_error": self.last_error}


class TimerHandle:
    """Returned by ``schedule_at``; ``cancel()`` stops a timer that has not fired."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timer:
    """A node's one pending call on the engine clock (a metro's next tick, a glide's
    next step, a rate limit's next slot): ``at(t, fn)`` replaces whatever was pending,
    ``cancel()`` drops it; ``due`` is its time, None when nothing is pending. Used on
    the control thread (and in ``open``)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._handle: TimerHandle | None = None
        self.due: float | None = None

    @property
    def pending(self) -> bool:
        return self._handle is not None

    def at(self, t: float, fn: Callable[[float], None]) -> None:
        """Call ``fn(t)`` when the clock reaches ``t``, instead of what was pending."""
        self.cancel()

        def fire(due: float) -> None:
            self._handle, self.due = None, None
            fn(due)

        self._handle, self.due = self._scheduler.schedule_at(t, fire), t

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle, self.due = None, None


class Scheduler:
    """Runs the control graph. See the module docstring for the semantics."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.order: list[RuntimeNode] = []
        self.ticks = 0
        self._inbox: queue.SimpleQueue[tuple] = queue.SimpleQueue()
        self._pending: deque[tuple] = deque()
        self._timers: list[tuple[float, int, TimerHandle, Callable[[float], None]]] = []
        self._seq = itertools.count()
        self._latest: dict[tuple[RuntimeNode, str], tuple[Any, float, str]] = {}
        self._latest_lock = threading.Lock()
        #: held while ticks run and while calls run outside the control thread
        self._driving = threading.RLock()
        self._thread: threading.Thread | None = None
        self._thread_id: int | None = None
        self._stopping = False

    # -- posting (any thread) ---------------------------------------------------------

    def post(self, rn: RuntimeNode, outlet: str, value: Any, t: float | None = None,
             source: str | None = None) -> None:
        """A value leaving ``rn`` on ``outlet`` (sources, delays); ``source``: the
        source's node type, ``rn``'s by default."""
        self._inbox.put((_OUT, rn, outlet, value, self.clock.now() if t is None else t,
                         source or rn.node.type_name))

    def post_latest(self, rn: RuntimeNode, outlet: str, value: Any,
                    t: float | None = None) -> None:
        """Like ``post``, but replaces a value still waiting on the same outlet."""
        key = (rn, outlet)
        stamped = (value, self.clock.now() if t is None else t, rn.node.type_name)
        with self._latest_lock:
            waiting = key in self._latest
            self._latest[key] = stamped
        if waiting:
            rn.dropped += 1
        else:
            self._inbox.put((_LATEST, rn, outlet))

    def send(self, rn: RuntimeNode, inlet: str, value: Any, t: float | None = None) -> None:
        """A value arriving at ``rn``'s ``inlet`` from outside the graph."""
        self._inbox.put((_IN, rn, inlet, value, self.clock.now() if t is None else t, "send"))

    def schedule_at(self, t: float, fn: Callable[[float], None]) -> TimerHandle:
        """Run ``fn(t)`` on the control thread once the clock reaches ``t``."""
        handle = TimerHandle()
        self._inbox.put((_TIMER, t, handle, fn))
        return handle

    def call(self, fn: Callable[[], Any]) -> Future:
        """Run ``fn`` on the control thread between ticks; the future gets its result.

        With a control thread running, another thread's call waits in the inbox. Without
        one (before ``start``, after ``stop``, offline runs driven by ``run_until``), it
        runs at once on the calling thread, holding the lock that ticks hold, so it never
        overlaps a tick (a training thread's hand-over during an offline render is safe).
        """
        future: Future = Future()
        if self._thread is not None and threading.get_ident() != self._thread_id:
            self._inbox.put((_CALL, fn, future))
            return future
        with self._driving:
            _run_call(fn, future)
        return future

    # -- running ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Start the control thread (real-time clocks only)."""
        if isinstance(self.clock, VirtualClock):
            raise RuntimeError("a virtual clock is driven by run_until, not by a thread")
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="nodegraph-control", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the control thread after its current tick and join it."""
        thread = self._thread
        if thread is None:
            return
        self._stopping = True
        self._inbox.put((_CALL, lambda: None, Future()))
        thread.join()
        self._thread = None
        self._thread_id = None
        self.run_pending()  # calls posted while stopping (e.g. final edits) still run

    def _loop(self) -> None:
        self._thread_id = threading.get_ident()
        while not self._stopping:
            timeout = 0.25
            if self._timers:
                timeout = min(timeout, max(0.0, self._timers[0][0] - self.clock.now()))
            try:
                self._accept(self._inbox.get(timeout=timeout))
            except queue.Empty:
                pass
            self.run_pending()

    def run_pending(self, max_ticks: int | None = None) -> int:
        """Run due timers, calls and ticks until nothing is pending; returns ticks run."""
        with self._driving:
            return self._run_pending(max_ticks)

    def _run_pending(self, max_ticks: int | None) -> int:
        ticks = 0
        while True:
            self._drain_inbox()
            self._fire_due_timers()
            if not self._pending or (max_ticks is not None and ticks >= max_ticks):
                return ticks
            if self._tick():
                ticks += 1

    def run_until(self, t: float) -> None:
        """Virtual clock only: advance to ``t``, running every timer and tick due."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise RuntimeError("run_until needs a virtual clock")
        with self._driving:  # nothing due on the way (a decoder's catch-up, mostly): jump
            if not self._pending and self._inbox.empty() and \
                    not (self._timers and self._timers[0][0] <= t):
                clock.advance_to(max(clock.now(), t))
                return
        while True:
            if self.run_pending(MAX_TICKS_PER_INSTANT) >= MAX_TICKS_PER_INSTANT:
                log.warning("a zero-delay feedback loop is spinning at t=%.3f s", clock.now())
            self._drain_inbox()
            if self._timers and self._timers[0][0] <= t:
                clock.advance_to(max(clock.now(), self._timers[0][0]))
                continue
            clock.advance_to(t)
            self.run_pending(MAX_TICKS_PER_INSTANT)
            return

    # -- internals (control thread) ---------------------------------------------------

    def _drain_inbox(self) -> None:
        inbox = self._inbox
        while True:
            try:
                item = inbox.get_nowait()
            except queue.Empty:
                return
            self._accept(item)

    def _accept(self, item: tuple) -> None:
        if item[0] == _TIMER:
            heapq.heappush(self._timers, (item[1], next(self._seq), item[2], item[3]))
        else:
            self._pending.append(item)

    def _fire_due_timers(self) -> None:
        timers = self._timers
        now = self.clock.now()
        while timers and timers[0][0] <= now:
            due, _, handle, fn = heapq.heappop(timers)
            if not handle.cancelled:
                try:
                    fn(due)
                except Exception as exc:  # a timer belongs to a node; keep running
                    log.exception("timer callback failed: %s", exc)
        self._drain_inbox()

    def _tick(self) -> bool:
        """Deliver one batch of pending messages and propagate. False if the head of
        the queue was only calls."""
        pending = self._pending
        taken: set[tuple] = set()
        while pending:
            item = pending[0]
            kind = item[0]
            if kind == _CALL:
                if taken:
                    break
                pending.popleft()
                _run_call(item[1], item[2])
                continue
            if kind == _LATEST:
                kind = _OUT
                with self._latest_lock:
                    value, t, source = self._latest.pop((item[1], item[2]))
                item = (_OUT, item[1], item[2], value, t, source)
                pending[0] = item
            key = (kind, item[1], item[2])
            if key in taken:
                break
            taken.add(key)
            pending.popleft()
            _, rn, port, value, t, source = item
            if kind == _OUT:
                self._emit(rn, port, value, t, source)
            else:
                self._deliver(rn, port, value, t, source, rn.hot.get(port, False))
        if not taken:
            return False
        self.ticks += 1
        for rn in self.order:
            if rn.triggered:
                rn.triggered = False
                self._run_node(rn)
        return True

    def _run_node(self, rn: RuntimeNode) -> None:
        inputs = rn.inputs
        t, source = inputs.t, inputs.source
        start = perf_counter()
        try:
            out = rn.node.process(inputs)
        except Exception as exc:
            out = None
            rn.flag(exc, "raised in process")
        else:
            if rn.status != "muted":
                rn.status = "ok"
        end = perf_counter()
        rn.time_s += end - start
        rn.calls += 1
        rn.last_call = end
        inputs.changed.clear()
        inputs.t = 0.0
        inputs.source = ""
        if not out:
            return
        for port, value in out.items():
            if port not in rn.routes:
                rn.flag(f"process returned unknown outlet {port!r} "
                        f"(outlets: {', '.join(rn.routes) or 'none'})", "sent")
                continue
            size = rn.out_sizes.get(port)
            if size is not None and isinstance(value, np.ndarray) and value.shape[0] != size:
                rn.flag(f"outlet {port!r} sent {value.shape[0]} values, declared {size}", "sent")
                continue
            if rn.defers:
                self.post(rn, port, value, t, source)
            else:
                self._emit(rn, port, value, t, source)

    def _emit(self, rn: RuntimeNode, outlet: str, value: Any, t: float, source: str) -> None:
        rn.sent += 1
        rn.last_out[outlet] = value
        for dst, inlet, hot, convert in rn.routes.get(outlet, ()):
            self._deliver(dst, inlet, value if convert is None else convert(value), t, source,
                          hot)

    @staticmethod
    def _deliver(dst: RuntimeNode, inlet: str, value: Any, t: float, source: str,
                 hot: bool) -> None:
        inputs = dst.inputs
        inputs.values[inlet] = value
        inputs.times[inlet] = t
        inputs.changed.add(inlet)
        if hot:
            dst.triggered = True
            if t >= inputs.t:
                inputs.t = t
                inputs.source = source


def _run_call(fn: Callable[[], Any], future: Future) -> None:
    try:
        future.set_result(fn())
    except BaseException as exc:  # handed to whoever waits on the future
        future.set_exception(exc)
