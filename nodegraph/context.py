"""What the engine hands a node: posting, timers, files, logs, port facts.

A node reaches the rest of the system only through ``self.ctx``. Every method here
is safe to call from any thread unless its docstring says otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .names import NameTable
from .audio.engine import DEFAULT_BLOCK, DEFAULT_SAFETY_MS
from .schema import UNKNOWN, PortInfo
from .scheduler import Timer, TimerHandle

if TYPE_CHECKING:
    from .audio.outputs import Output
    from .engine import Engine
    from .scheduler import RuntimeNode


class RateLimit(logging.Filter):
    """Lets a warning (or worse) through at most once per ``WINDOW_S`` for each message
    text ("run: nothing trained yet..."), so a flood of messages cannot bury the log;
    the next one through says how many were dropped. Keeps at most ``MAX_KEYS`` texts."""

    WINDOW_S = 5.0
    MAX_KEYS = 1000

    def __init__(self) -> None:
        super().__init__()
        self._last: dict[tuple[str, int], float] = {}
        self._dropped: dict[tuple[str, int], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.getMessage(), record.levelno)
        if len(self._last) > self.MAX_KEYS:
            self._last.clear()
            self._dropped.clear()
        last = self._last.get(key)
        if last is not None and record.created - last < self.WINDOW_S:
            self._dropped[key] = self._dropped.get(key, 0) + 1
            return False
        self._last[key] = record.created
        dropped = self._dropped.pop(key, 0)
        if dropped:
            record.msg = f"{key[0]} ({dropped} more like this in the last " \
                         f"{record.created - last:.0f} s)"
            record.args = ()
        return True


class Context:
    """The engine as one node sees it. ``log`` is the node's logger; its warnings are
    rate-limited (:class:`RateLimit`)."""

    def __init__(self, engine: Engine, rn: RuntimeNode) -> None:
        self._engine = engine
        self._rn = rn
        self.id = rn.id
        self.log = logging.getLogger(f"nodegraph.node.{rn.id}")
        if not any(isinstance(f, RateLimit) for f in self.log.filters):
            self.log.addFilter(RateLimit())

    @property
    def offline(self) -> bool:
        """True when rendering offline on a virtual clock (faster than real time)."""
        return self._engine.clock.virtual

    def now(self) -> float:
        """Current time in seconds on the engine's clock (timestamps use it)."""
        return self._engine.clock.now()

    def post(self, outlet: str, value: Any, t: float | None = None) -> None:
        """Send ``value`` out of ``outlet`` on a coming tick; ``t`` is the source
        event's timestamp (default: now). For sources and node-owned threads."""
        self._engine.scheduler.post(self._rn, outlet, value, t)

    def post_latest(self, outlet: str, value: Any, t: float | None = None) -> None:
        """Like ``post`` for streams where only the newest value matters (frames): a
        value not yet taken by a tick is replaced and counted in ``dropped``."""
        self._engine.scheduler.post_latest(self._rn, outlet, value, t)

    @property
    def names(self) -> NameTable:
        """The engine's named channels (send/receive); see :mod:`nodegraph.names`."""
        return self._engine.names

    @property
    def dropped(self) -> int:
        """Values this node posted with ``post_latest`` that a newer one replaced
        before a tick took them."""
        return self._rn.dropped

    def end_run(self, reason: str) -> None:
        """Ask a headless run (``Engine.run_for`` / ``run_offline``) to finish now,
        e.g. when a video file has played to its end. The editor ignores it."""
        self._engine.request_end(f"{self.id}: {reason}")

    def schedule_at(self, t: float, fn: Callable[[float], None]) -> TimerHandle:
        """Call ``fn(t)`` on the control thread when the clock reaches ``t``."""
        return self._engine.scheduler.schedule_at(t, fn)

    def timer(self) -> Timer:
        """A :class:`~nodegraph.scheduler.Timer`: one pending call on the engine clock."""
        return Timer(self._engine.scheduler)

    def call_soon(self, fn: Callable[[], Any]) -> None:
        """Run ``fn`` on the control thread between ticks (e.g. to apply a trained
        model that a background thread produced)."""
        self._engine.scheduler.call(fn)

    def error(self, error: BaseException | str) -> None:
        """Flag this node with an error raised on one of its own threads."""
        self._engine.scheduler.call(lambda: self._rn.flag(error, "reported"))

    def resolve(self, path: str) -> Path:
        """A path param made absolute: ``~`` expanded, relative to the patch file."""
        return self._rn.node.resolve_path(path)

    def write_path(self, path: str, what: str | None = None) -> Path:
        """:meth:`resolve` for a file or folder this node will write: WriteRefused
        (a PermissionError saying how to allow it) unless it lies in the patch's
        folder or one the user allowed (:mod:`nodegraph.confine`)."""
        return self._engine.write_roots.check(self.resolve(path), what or self.id)

    @property
    def data_dir(self) -> Path | None:
        """``<patch>.data/<node id>/`` for learned state, or None for an unsaved
        patch. Not created until the node writes there."""
        root = self._engine.data_root
        return None if root is None else root / self.id

    def learned(self, save: bool = True) -> None:
        """Say that this node's learned state changed, so that nothing learned is lost.

        With a data folder, ``save=True`` (control thread only) has it written without
        waiting: the node's ``state_snapshot(folder)``, if it has one, is called now and
        returns a function holding copies of its state, which the engine's saver thread
        calls to write them; otherwise ``save_state(folder)`` itself runs on the saver
        thread, reading the node's state then (fine for state replaced whole, not for
        containers changed in place). Repeated requests not yet written coalesce; the
        files are written atomically (:mod:`nodegraph.saver`). ``save=False`` means the
        node already put it on disk itself (a journal). A patch never saved has no data
        folder: it shows as unsaved, and saving it writes every node's learned state."""
        self._engine.learned(self._rn, save)

    def inlet_info(self, inlet: str) -> PortInfo:
        """What the patch check learned about the vectors arriving at ``inlet``."""
        return self._engine.graph.arriving(self.id, inlet)

    def outlet_info(self, outlet: str) -> PortInfo:
        """What the patch check learned about the vectors this node sends."""
        return self._engine.graph.port_infos.get(self.id, {}).get(outlet, UNKNOWN)

    # -- signal domain ---------------------------------------------------------------

    def open_output(self, device: str = "", sample_rate: int = 0, block: int = DEFAULT_BLOCK,
                    channels: int = 0, safety_ms: float = DEFAULT_SAFETY_MS) -> Output:
        """An audio output for this sink (call in ``open``; close it in ``close``).

        ``device``: "" for the default, an index, or part of a name. ``sample_rate``
        0 and ``channels`` 0 take the device's. ``safety_ms``: how long before the
        device needs a block it is rendered, beyond the measured render time. With
        no device there is a silent real-time output (and a warning); offline, an
        output that only feeds recorders. Raises DeviceError when the device exists
        but cannot play as asked. ``render`` writes each block with ``write``.
        """
        return self._engine.audio.open_output(self.id, device, sample_rate, block, channels,
                                              safety_ms)

    def catch_up(self, offset: int) -> None:
        """Audio thread, in ``render``, before reading a message inlet's slot: offline,
        run the control graph up to the time of frame ``offset`` of this block, so
        the slot holds what a live run would have had by then; live, do nothing."""
        self._engine.audio.catch_up(offset)

    def frame_time(self, offset: int) -> float | None:
        """Audio thread, in ``render``: offline, the clock time of frame ``offset`` of
        this block; live, None. A node applying timestamped control messages applies,
        offline, only those stamped up to this time: another node may already have run
        the control graph further into the block (``catch_up`` never goes back), and
        its newer messages are not due yet. Live, whatever has arrived is due."""
        return self._engine.audio.frame_time(offset)

    def signal_event(self, offset: int, t: float, source: str = "") -> None:
        """Audio thread, in ``render``: the frame ``offset`` frames from the start of
        this block (it may lie in a later block) is the first to reflect the source
        event stamped ``t`` from a node of type ``source`` (``inputs.source``). The
        engine reports source → DAC latency from these, per source type."""
        self._engine.audio.mark(offset, t, source)
