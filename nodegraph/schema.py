"""Declarative node schema: inlets, outlets and params.

A node type states its ports and params as data; the registry, the patch checker,
``nodegraph nodes --json``, the editor and the generated docs all read them from here,
so nothing about a node is written twice.

Params are descriptors declared on the node class::

    class Scale(Node):
        gain = Param("float", 1.0, "multiplier", range=(-100, 100))

and read on an instance as ``self.gain``. They change only through
``Node.set_param`` (the engine's ``SetParam`` command), which validates them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import yaml

from .errors import shown
from .types import PortType

PARAM_TYPES = ("float", "int", "bool", "text", "choice", "path", "vector")


#: Node ids, port and param names: letters, digits, ``_`` and ``-``.
NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
_NAME_RE = re.compile(rf"^{NAME}$")


@lru_cache(maxsize=4096)
def valid_name(name: Any) -> bool:
    """A node id, port or param name: letters, digits, ``_`` and ``-``, starting with
    a letter or ``_``, and read back by YAML as that same string (so not ``on``,
    ``yes`` or ``null``)."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        return False
    return yaml.safe_load(name) == name


def _require_name(name: str, what: str) -> None:
    if not valid_name(name):
        raise TypeError(f"{what} name {name!r} is not usable in a patch (YAML would not "
                        "read it back as a name)")


class ParamError(ValueError):
    """A param value that does not fit its declaration; the message says what fits.

    ``param`` names the param at fault when a node raises this itself (a check that
    involves several params, or a value parsed further, like an expression), so the
    patch checker can point at that param's line.
    """

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Inlet:
    """An input port.

    ``hot`` inlets trigger ``process`` when a message arrives; cold ones only store
    the value for the next hot message (Max's hot/cold inlets). ``size`` is the
    expected vector size: an int, the name of a param holding it, or None (any).
    """

    name: str
    type: PortType
    doc: str = ""
    hot: bool = True
    size: int | str | None = None

    def __post_init__(self) -> None:
        _require_name(self.name, "inlet")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type.name, "hot": self.hot,
                "size": self.size, "doc": self.doc}


@dataclass(frozen=True)
class Outlet:
    """An output port.

    ``size`` as for :class:`Inlet`; ``like`` names an inlet whose size and labels this
    outlet repeats (pass-through nodes such as smooth or scale).
    """

    name: str
    type: PortType
    doc: str = ""
    size: int | str | None = None
    like: str | None = None

    def __post_init__(self) -> None:
        _require_name(self.name, "outlet")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type.name, "size": self.size,
                "like": self.like, "doc": self.doc}


@dataclass(frozen=True)
class PortInfo:
    """What is known at load time about the vectors on a port."""

    size: int | None = None
    labels: tuple[str, ...] | None = None

    def describe(self) -> str:
        return "any size" if self.size is None else f"{self.size} values"


UNKNOWN = PortInfo()


class Param:
    """A node parameter: type, default, doc, and an optional range or choice list.

    Types: ``float``, ``int``, ``bool``, ``text``, ``choice`` (one of ``choices``),
    ``path`` (a file path, relative to the patch file), ``vector`` (a list of floats,
    each within ``range`` if given).
    """

    def __init__(self, type: str, default: Any, doc: str = "", *,
                 range: tuple[float, float] | None = None,
                 choices: tuple[str, ...] | None = None) -> None:
        if type not in PARAM_TYPES:
            raise TypeError(f"param type must be one of {PARAM_TYPES}, got {type!r}")
        if type == "choice" and not choices:
            raise TypeError("a choice param needs choices")
        self.name = ""
        self.type = type
        self.doc = doc
        self.range = range
        self.choices = tuple(choices) if choices else None
        self.default = self.validate(default)

    def __set_name__(self, owner: type, name: str) -> None:
        _require_name(name, "param")
        self.name = name

    def __get__(self, node: Any, owner: type | None = None) -> Any:
        if node is None:
            return self
        return node._param_values[self.name]

    def __set__(self, node: Any, value: Any) -> None:
        raise AttributeError(f"param {self.name!r} changes through Node.set_param")

    def expected(self) -> str:
        """Words for what this param accepts, for error messages."""
        bounds = f" in [{self.range[0]:g}, {self.range[1]:g}]" if self.range else ""
        return {
            "float": f"a number{bounds}",
            "int": f"a whole number{bounds}",
            "bool": "true or false",
            "text": "a string",
            "choice": "one of " + ", ".join(self.choices or ()),
            "path": "a file path (relative to the patch file)",
            "vector": f"a list of numbers{' each' + bounds if bounds else ''}, e.g. [0, 0.5]",
        }[self.type]

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this param's type, or raise :class:`ParamError`."""
        fail = ParamError(f"expected {self.expected()}, got {shown(value)}")
        try:
            return self._coerce(value, fail)
        except OverflowError:  # an integer too large for a float: no param takes it
            raise fail from None

    def _coerce(self, value: Any, fail: ParamError) -> Any:
        t = self.type
        if t == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise fail
            value = float(value)
            self._check_range(value, fail)
        elif t == "int":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise fail
            if isinstance(value, float) and not value.is_integer():
                raise fail
            value = int(value)
            self._check_range(value, fail)
        elif t == "bool":
            if not isinstance(value, bool):
                raise fail
        elif t in ("text", "path"):
            if not isinstance(value, str):
                raise fail
        elif t == "choice":
            if value not in (self.choices or ()):
                raise fail
        elif t == "vector":
            if not isinstance(value, (list, tuple)):
                raise fail
            if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
                raise fail
            value = [float(v) for v in value]
            for v in value:
                self._check_range(v, fail)
        return value

    def _check_range(self, value: float, fail: ParamError) -> None:
        if not math.isfinite(float(value)):
            raise fail
        if self.range and not (self.range[0] <= value <= self.range[1]):
            raise fail

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "default": self.default,
                "range": list(self.range) if self.range else None,
                "choices": list(self.choices) if self.choices else None, "doc": self.doc}

