"""The node-author API: everything a node library may import from the engine.

A node type (``nodes/`` or a plugin package registered under the ``nodegraph.nodes``
entry point, see :mod:`nodegraph.registry`) imports from this module and from
nowhere else in ``nodegraph``; ``tests/test_boundary.py`` enforces it, and that the
engine imports nothing from ``nodes/``. What is here, by job:

- **Declaring a node**: :class:`Node`, its :class:`Inlet`/:class:`Outlet`/:class:`Param`
  declarations, the port types, :class:`PortInfo` (what a port carries, ``UNKNOWN``
  size until the graph is checked), :class:`ParamError`, :class:`Inputs` (what a tick
  hands ``process``), :class:`Context` (``self.ctx``: posting, timers, files, logs).
- **Learned state**: :class:`StateError` for a node's ``import_state``/``export_state``
  (``nodegraph data``), and the atomic file writers every saved file goes through.
- **Audio**: :class:`AudioRing` (one writer, one reader, lock-free), :class:`LatestValue`
  (control → audio thread hand-off), :class:`Resampler` (a stream at another rate),
  :class:`Output` (a device or file stream opened with ``ctx.open_output``),
  :class:`WavWriter`, the engine's block and latency constants and
  :func:`latency_floor`.
- **Trust**: :func:`untrusted_active`/:func:`note_untrusted_skipped` (``nodegraph check``
  must not run code from a patch it was handed: docs/safety.md).
- **Extensions**: a library adds commands to ``nodegraph`` (``nodegraph.commands``
  entry points, :mod:`nodegraph.commands`) and ``--control`` surfaces
  (``nodegraph.controls``, :mod:`nodegraph.controls`), which drive an :class:`Engine`.
"""

from .audio.engine import DEFAULT_BLOCK, DEFAULT_SAFETY_MS, RENDER_HEADROOM
from .audio.latency import latency_floor
from .audio.outputs import Output
from .audio.resample import HOLD_BACK_FRAMES, Resampler
from .audio.ring import AudioRing
from .audio.slot import LatestValue
from .audio.wav import SUBTYPES as WAV_SUBTYPES
from .audio.wav import WavWriter, check_writable
from .context import Context
from .engine import Engine
from .errors import shown
from .node import Inputs, Node, StateError
from .readable import regular_file
from .scheduler import Timer, TimerHandle
from .schema import UNKNOWN, Inlet, Outlet, Param, ParamError, PortInfo, valid_name
from .storage import (atomic_write_json, atomic_write_npz, read_npz, remove_stale_temps,
                      writable)
from .trust import note_untrusted_skipped, untrusted_active
from .types import (ALL_TYPES, ANY, AUDIO, BANG, FRAME, LANDMARKS, NUMBER, TEXT, VECTOR,
                    PortType, describe_value)

__all__ = [
    "ALL_TYPES", "ANY", "AUDIO", "BANG", "DEFAULT_BLOCK", "DEFAULT_SAFETY_MS", "FRAME",
    "HOLD_BACK_FRAMES", "LANDMARKS", "NUMBER", "RENDER_HEADROOM", "TEXT", "UNKNOWN", "VECTOR",
    "WAV_SUBTYPES",
    "AudioRing", "Context", "Engine", "Inlet", "Inputs", "LatestValue", "Node", "Outlet", "Output",
    "Param", "ParamError", "PortInfo", "PortType", "Resampler", "StateError", "Timer",
    "TimerHandle", "WavWriter",
    "atomic_write_json", "atomic_write_npz", "check_writable", "describe_value",
    "latency_floor", "note_untrusted_skipped", "read_npz", "regular_file",
    "remove_stale_temps", "shown", "untrusted_active", "valid_name", "writable",
]
