"""nodegraph: a real-time dataflow node graph for playing neural audio models.

The engine (this package) knows nothing about cameras, models or windows: it runs
typed nodes from ``nodes/`` wired together in YAML patches. Node authors need
:class:`Node`, :class:`Inlet`, :class:`Outlet`, :class:`Param` and the port types.
"""

from .engine import Engine
from .errors import EditError, PatchError, Problem
from .node import Inputs, Node
from .schema import Inlet, Outlet, Param, ParamError, PortInfo
from .types import ANY, AUDIO, BANG, FRAME, LANDMARKS, NUMBER, TEXT, VECTOR

__version__ = "0.1.0"

__all__ = [
    "ANY", "AUDIO", "BANG", "FRAME", "LANDMARKS", "NUMBER", "TEXT", "VECTOR",
    "EditError", "Engine", "Inlet", "Inputs", "Node", "Outlet", "Param", "ParamError",
    "PatchError", "PortInfo", "Problem",
]
