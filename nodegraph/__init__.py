"""nodegraph: a real-time dataflow node graph for playing neural audio models.

The engine (this package) knows nothing about cameras, models or windows: it runs
typed nodes from installed node libraries (this project's is ``nodes/``) wired
together in YAML patches. A host loads and runs patches with :class:`Engine`; node
authors import from :mod:`nodegraph.api` and nothing else. How it works, in reading
order: docs/architecture.md.
"""

from .engine import Engine
from .errors import EditError, PatchError, Problem

__version__ = "0.1.0"

__all__ = ["EditError", "Engine", "PatchError", "Problem"]
