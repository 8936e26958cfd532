"""Helpers for the vocabulary tests: a patch around the node under test, fed by
``engine.send`` and read at ``t-sink`` nodes, on a virtual clock."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nodegraph.engine import Engine
from nodegraph.errors import PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import parse_patch

from engine_helpers import engine_from, registry


def rig(body: str) -> Engine:
    """An opened engine for ``format: nodegraph/1`` plus ``body`` (nodes, links)."""
    return engine_from("format: nodegraph/1\n" + body)


def feed(engine: Engine, node: str, inlet: str, value: Any = True) -> None:
    """Deliver ``value`` to ``node.inlet`` and run the graph until it settles."""
    engine.send(node, inlet, value)
    engine.scheduler.run_pending()


def got(engine: Engine, sink: str = "out") -> list[Any]:
    """Values the ``t-sink`` node ``sink`` received, oldest first."""
    return [value for value, _ in engine.runtime[sink].node.got]


def stamps(engine: Engine, sink: str = "out") -> list[float]:
    return [t for _, t in engine.runtime[sink].node.got]


def vec(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def load_error(body: str) -> str:
    """The PatchError text for an invalid ``body``; fails the test if it loads."""
    with pytest.raises(PatchError) as info:
        check_patch(parse_patch("format: nodegraph/1\n" + body), registry())
    return str(info.value)
