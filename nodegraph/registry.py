"""Where node types come from.

The engine knows no node library by name. Its own types (``inlet``, ``outlet``:
:mod:`nodegraph.subpatch_ports`) are in every registry; the rest come from the
``nodegraph.nodes`` entry-point group. This project's library declares itself there
(``nodes = "nodes"`` in ``pyproject.toml``), and a user's package adds nodes the
same way::

    [project.entry-points."nodegraph.nodes"]
    my_nodes = "my_package.my_nodes"    # a module: every Node subclass defined in it
    my_library = "my_package.library"   # a package: each of its top-level modules

A module that fails to import is remembered with its error rather than breaking
the rest; asking for a type it would have provided says why it is missing.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import logging
import pkgutil
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

from .node import Node
from .subpatch_ports import BUILT_IN_TYPES

log = logging.getLogger("nodegraph.registry")

ENTRY_POINT_GROUP = "nodegraph.nodes"


class Registry:
    """Node types by name; the engine's own types from the start."""

    def __init__(self) -> None:
        self.types: dict[str, type[Node]] = {}
        #: module name → import error text, for modules that failed to load
        self.broken: dict[str, str] = {}
        for cls in BUILT_IN_TYPES:
            self.register(cls)

    def register(self, cls: type[Node]) -> type[Node]:
        """Add a node type (usable as a class decorator)."""
        if not (inspect.isclass(cls) and issubclass(cls, Node) and cls.type_name):
            raise TypeError(f"{cls!r} is not a Node subclass with a type_name")
        existing = self.types.get(cls.type_name)
        if existing is not None and existing is not cls:
            raise ValueError(f"node type {cls.type_name!r} is defined twice: "
                             f"{existing.__module__} and {cls.__module__}")
        self.types[cls.type_name] = cls
        return cls

    def register_module(self, module: ModuleType) -> None:
        """Register the Node subclasses defined in ``module``."""
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Node) and cls.type_name and cls.__module__ == module.__name__:
                self.register(cls)

    def discover(self) -> Registry:
        """Load the ``nodegraph.nodes`` entry points: each names a module (its Node
        subclasses) or a package (each of its top-level modules, one type per file)."""
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded = ep.load()
            except Exception as exc:  # a broken library must not break the rest
                self.broken[ep.value] = f"{type(exc).__name__}: {exc}"
                log.warning("node library %s failed to load: %s", ep.value, exc)
                continue
            if inspect.ismodule(loaded) and hasattr(loaded, "__path__"):
                self.register_package(loaded)
            elif inspect.ismodule(loaded):
                self.register_module(loaded)
            else:
                self.register(loaded)
        return self

    def register_package(self, package: ModuleType) -> None:
        """Import ``package``'s top-level modules and register their node types."""
        for info in pkgutil.iter_modules(package.__path__):
            if not info.ispkg:
                self._import(f"{package.__name__}.{info.name}")

    def _import(self, name: str) -> None:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            self.broken[name] = f"{type(exc).__name__}: {exc}"
            log.warning("node module %s failed to import: %s", name, exc)
            return
        self.register_module(module)

    def get(self, name: str) -> type[Node] | None:
        return self.types.get(name)

    def unknown_type_hint(self, name: str) -> str:
        """What to tell a user who asked for a type that does not exist."""
        close = difflib.get_close_matches(name, self.types, n=3, cutoff=0.6)
        hint = f"unknown node type {name!r}"
        if close:
            hint += f"; did you mean {' or '.join(close)}?"
        broken = [f"{m} ({err})" for m, err in self.broken.items() if name.replace("-", "_") in m]
        if broken:
            hint += f" Its module failed to import: {'; '.join(broken)}"
        return hint + " ('nodegraph nodes' lists every type)"

    def names(self) -> list[str]:
        return sorted(self.types)

    def schema(self, name: str) -> dict[str, Any]:
        """The full schema of one type (ports as with default params)."""
        cls = self.types[name]
        node = cls()
        return {
            "type": name,
            "category": cls.category,
            "summary": cls.summary(),
            "doc": inspect.cleandoc(cls.__doc__ or ""),
            "module": cls.__module__,
            "inlets": [p.to_dict() for p in node.inlets],
            "outlets": [p.to_dict() for p in node.outlets],
            "params": [p.to_dict() for p in cls.param_specs()],
            "breaks_cycles": cls.breaks_cycles,
            "realtime_only": cls.realtime_only,
        }

    def schemas(self, names: Iterable[str] | None = None) -> list[dict[str, Any]]:
        return [self.schema(n) for n in (names if names is not None else self.names())]


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The engine's types and every installed library's, discovered once."""
    return Registry().discover()
