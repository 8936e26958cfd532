"""The node contract.

A node type is a subclass of :class:`Node` in one file of ``nodes/``, with:

- ``type_name``: the name patches use (``type: scale``), kebab-case;
- ``inlets`` / ``outlets``: tuples of :class:`~nodegraph.schema.Inlet` /
  :class:`~nodegraph.schema.Outlet`; a property instead when the ports depend on
  params (``pack`` with ``count`` inlets);
- params: :class:`~nodegraph.schema.Param` class attributes, read as ``self.<name>``;
- the docstring: its first line is the one-line summary shown by ``nodegraph nodes``.

Life cycle, all on the control thread unless stated:

1. ``__init__(node_id, params)`` validates params; nothing else (cheap: the patch
   checker instantiates nodes to ask them about their ports).
2. ``port_info(inlets)`` at load time and after each edit: known vector sizes/labels.
3. ``open()``: acquire devices, load models, start own threads. ``self.ctx`` is set
   before it is called. May run on a thread other than the control thread.
4. ``process(inputs)`` when a hot inlet received a message this tick. Read
   ``inputs[name]``; return ``{outlet: value}`` (or None to send nothing). Must not
   block: long work belongs on the node's own thread.
5. ``close()``: release everything, join own threads. Called even if ``open`` failed
   halfway (and maybe twice), so it must tolerate partial state: declare every runtime
   attribute in ``__init__`` (``self._thread: Thread | None = None``, cheap values
   only) and have ``close`` skip what is still None; never probe with ``hasattr``.
   ``report()`` is not called on a node whose ``open`` failed.

Sources (camera, OSC, metro...) never call other nodes: they hand values to
``self.ctx.post(outlet, value, t)`` from any thread, or use ``self.ctx.schedule``.

Nodes that learn (normalize, regress, latent-explorer) keep their state under
``self.ctx.data_dir`` (the patch's ``<patch>.data/<node id>/`` folder), load it in
``open`` and write it in ``save_state(folder)``. A type whose state can be read from
and written to files of another program (FluCoMa JSON) says so in ``state_files``
and implements ``import_state``/``export_state``: ``nodegraph data import|export``.

Signal nodes
------------
A node with a port of the signal type (``audio``) is a **signal node**; the engine
renders it in the DSP chain (:mod:`nodegraph.audio`), one block at a time, on the
audio worker thread (or on the control thread when rendering offline):

- ``signal_rate()``: the sample rate a source would like the graph to run at (a
  model's rate), or None. Called once the nodes are open.
- ``prepare(sr, block)``: on the audio thread, before the first ``render``: the graph
  runs at ``sr`` Hz in blocks of at most ``block`` frames. Allocate buffers and
  create resamplers here.
- ``render(inputs, frames)``: on the audio thread, once per block. ``inputs`` maps
  each signal inlet to a float32 array ``(frames, channels)`` (the sum of what is
  linked in, silence when nothing is); do not modify them. Return
  ``{outlet: array (frames, channels)}``; an array may be reused by the next
  ``render``. Keep it short and bounded: no waiting on locks, files or the network
  (hand those to a thread of your own), and no more than a few milliseconds of work
  (docs/architecture.md: one or a few model frames per call).
- Message inlets of a signal node work as usual: ``process`` runs on the control
  thread and must only store the newest value, with ``inputs.t``, in a
  :class:`~nodegraph.audio.slot.LatestValue` that ``render`` reads. A node that reads
  it in the middle of a block calls ``self.ctx.catch_up(offset)`` first, so offline
  renders see the value as of that frame; a node that keeps timestamped messages
  applies those stamped up to ``self.ctx.frame_time(offset)``.
- Sinks reach a sound card through ``self.ctx.open_output(...)``; sources say which
  rendered frame first reflects a source event with ``self.ctx.signal_event(...)``,
  so the run report can give source → DAC latency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .schema import UNKNOWN, Inlet, Outlet, Param, ParamError, PortInfo

if TYPE_CHECKING:
    import numpy as np

    from .context import Context


class StateError(ValueError):
    """Files that cannot go into (or come out of) a node's learned state; the message
    names the file and field, or the mismatch, and what to do instead."""


class Inputs:
    """The values at a node's inlets, as ``process`` sees them.

    ``inputs[name]`` is the latest value received on that inlet (None if nothing has
    arrived yet). ``changed`` holds the inlets that received a message since the last
    ``process`` call (hot and cold). ``t`` is the source timestamp (clock seconds) of
    the newest hot message that triggered this call, ``source`` its source's node
    type (``""`` when none); outputs inherit both.
    """

    __slots__ = ("values", "times", "changed", "t", "source")

    def __init__(self, names: list[str]) -> None:
        self.values: dict[str, Any] = dict.fromkeys(names)
        self.times: dict[str, float] = dict.fromkeys(names, 0.0)
        self.changed: set[str] = set()
        self.t = 0.0
        self.source = ""

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def get(self, name: str, default: Any = None) -> Any:
        value = self.values.get(name)
        return default if value is None else value


class Node:
    """Base class of every node type. See the module docstring for the contract."""

    type_name: ClassVar[str] = ""
    #: Groups types in listings and in the editor's add menu.
    category: ClassVar[str] = "control"
    inlets: tuple[Inlet, ...] = ()
    outlets: tuple[Outlet, ...] = ()
    #: True for delay-like nodes whose output leaves on a later tick: the only nodes
    #: a cycle in the graph may pass through.
    breaks_cycles: ClassVar[bool] = False
    #: Whether nodes of this type are paced by the wall clock (a webcam, OSC, MIDI), so
    #: a patch holding one cannot be rendered faster than real time: True, False, or
    #: the condition in words when params decide ("when source is a device").
    realtime_only: ClassVar[bool | str] = False
    #: Name of the run-report section (e.g. "audio", "vision") where this node's
    #: ``report()`` also appears, under its id (``report["audio"]["nodes"][id]``).
    report_section: ClassVar[str | None] = None
    #: What ``nodegraph data import`` takes into this type's learned state, in words
    #: ("a Normalize, Standardize or RobustScale file"); "" for types that take none.
    state_files: ClassVar[str] = ""

    _param_specs_cache: ClassVar[dict[type, tuple[Param, ...]]] = {}

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        self.id = node_id
        self.ctx: Context | None = None
        #: the folder ``path`` params are relative to (the patch file's), set by the
        #: patch checker before ``port_info``; None means the working directory
        self.base_dir: Path | None = None
        specs = {p.name: p for p in self.param_specs()}
        self._param_values: dict[str, Any] = {name: p.default for name, p in specs.items()}
        for name, value in (params or {}).items():
            if name not in specs:
                raise ParamError(f"{self.type_name} has no param {name!r}")
            self._param_values[name] = specs[name].validate(value)

    # -- schema -----------------------------------------------------------------

    @classmethod
    def param_specs(cls) -> tuple[Param, ...]:
        """The params of this type, in declaration order (base classes first)."""
        cached = Node._param_specs_cache.get(cls)
        if cached is None:
            seen: dict[str, Param] = {}
            for klass in reversed(cls.__mro__):
                for name, value in vars(klass).items():
                    if isinstance(value, Param):
                        seen[name] = value
            cached = Node._param_specs_cache[cls] = tuple(seen.values())
        return cached

    @classmethod
    def summary(cls) -> str:
        """First line of the class docstring."""
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""

    def inlet(self, name: str) -> Inlet | None:
        return next((p for p in self.inlets if p.name == name), None)

    def outlet(self, name: str) -> Outlet | None:
        return next((p for p in self.outlets if p.name == name), None)

    @property
    def params(self) -> dict[str, Any]:
        """Current param values (a copy)."""
        return dict(self._param_values)

    def set_param(self, name: str, value: Any) -> None:
        """Validate and store a param, then tell the node through ``on_param``."""
        spec = next((p for p in self.param_specs() if p.name == name), None)
        if spec is None:
            raise ParamError(f"{self.type_name} has no param {name!r}")
        self._param_values[name] = spec.validate(value)
        self.on_param(name, self._param_values[name])

    def on_param(self, name: str, value: Any) -> None:
        """Called on the control thread after a param changed while open."""

    # -- load time ----------------------------------------------------------------

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        """Known sizes/labels of every port, given what arrives at the inlets.

        The result maps each inlet to what it expects and each outlet to what it
        sends. The default reads the ``size``/``like`` declarations; override it when
        the answer depends on more (a model file, a feature list).
        """
        info = {p.name: PortInfo(self._declared_size(p.size)) for p in self.inlets}
        for p in self.outlets:
            if p.like is not None:
                arriving = inlets.get(p.like, UNKNOWN)
                info[p.name] = arriving if arriving.size is not None else info.get(p.like, UNKNOWN)
            else:
                info[p.name] = PortInfo(self._declared_size(p.size))
        return info

    def _declared_size(self, size: int | str | None) -> int | None:
        if size is None or isinstance(size, int):
            return size
        value = self._param_values[size]
        return len(value) if isinstance(value, list) else int(value)

    def resolve_path(self, path: str) -> Path:
        """A ``path`` param made absolute: ``~`` expanded, relative to ``base_dir``."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir or Path.cwd()) / p

    # -- run time -----------------------------------------------------------------

    def open(self) -> None:
        """Acquire devices and models, start own threads; ``self.ctx`` is set."""

    def process(self, inputs: Inputs) -> Mapping[str, Any] | None:
        """React to hot input; return ``{outlet: value}`` or None."""
        return None

    def close(self) -> None:
        """Release everything ``open`` acquired; join own threads."""

    # -- signal domain (see "Signal nodes" in the module docstring) ------------------

    def signal_rate(self) -> float | None:
        """The sample rate this source would like the graph to run at, or None."""
        return None

    def prepare(self, sr: int, block: int) -> None:
        """Audio thread, before the first ``render``: rate ``sr``, blocks ≤ ``block``."""

    def render(self, inputs: Mapping[str, np.ndarray],
               frames: int) -> Mapping[str, np.ndarray] | None:
        """Audio thread, once per block: signal inlets in, signal outlets out."""
        return None

    def paced_by_wall_clock(self) -> bool:
        """Whether this node, as configured, is paced by the wall clock (see
        ``realtime_only``; a type whose params decide overrides this)."""
        return self.realtime_only is True

    def exposure(self) -> str | None:
        """A sentence when this node, as configured, opens the machine to others (a
        network listener beyond 127.0.0.1, e.g. "listens on UDP 0.0.0.0:6448, open
        to other machines"); ``check`` and the start of a run say it. None otherwise."""
        return None

    def param_applies(self, name: str) -> bool:
        """Whether param ``name`` matters with the current params (regress's ``k`` does
        not under ``algorithm: mlp``); the editor's Perform panel hides the rest."""
        return True

    def save_state(self, folder: Path) -> None:
        """Write learned state (datasets, models, bookmarks) into ``folder``. Runs on
        the saver thread (:mod:`nodegraph.saver`) unless ``state_snapshot`` says how."""

    def state_snapshot(self, folder: Path) -> Callable[[], None] | None:
        """Control thread, when learned state is to be saved: copy what ``save_state``
        would write and return a function writing the copies into ``folder`` (the
        saver thread calls it). None (the default): the saver calls ``save_state``
        itself, which is right for state replaced whole, not for containers the
        control thread changes in place."""
        return None

    def import_state(self, folder: Path, files: Sequence[Path], replace: bool,
                     sizes: Mapping[str, int | None]) -> list[str]:
        """``nodegraph data import``, with the patch closed and this node not open:
        check ``files`` (described by ``state_files``) against ``sizes`` (each port's
        vector size in the checked patch: an inlet's as linked in, an outlet's as sent;
        None when unknown), then write them into ``folder`` (``<patch>.data/<id>/``),
        each atomically. Recorded examples are kept unless ``replace``. Returns a line
        per file written; raises StateError before writing anything."""
        raise StateError(f"a {self.type_name} node keeps no state that can be imported")

    def export_state(self, folder: Path, out_dir: Path) -> list[str]:
        """``nodegraph data export``: write this node's learned state, read from
        ``folder`` only, as files into ``out_dir``; a line per file (and per thing
        without a file format, starting ``note:``). StateError when there is nothing."""
        raise StateError(f"a {self.type_name} node keeps no state that can be exported")

    def report(self) -> dict[str, Any]:
        """Live figures for the run report and the editor (JSON-serializable).

        Called from any thread (the editor polls it while the graph runs), so it must
        be cheap and only read state. Keys the editor shows by convention:
        ``progress`` (0..1), ``loss``, ``loss_history`` (list, newest last, ≤ 200),
        ``examples`` (count), ``training``/``running`` (bools), ``fps``, ``level_db``.
        """
        return {}
