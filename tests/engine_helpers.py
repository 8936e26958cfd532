"""Small node types and helpers for the engine's own tests."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from nodegraph.api import ANY, NUMBER, VECTOR, Inlet, Inputs, Node, Outlet, Param
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.patch import parse_patch
from nodegraph.registry import Registry, default_registry


class Emit(Node):
    """Test source: sends what the test posts on ``out``."""

    type_name = "t-emit"
    outlets = (Outlet("out", NUMBER),)


class Add(Node):
    """Test node: a + b, with ``a`` hot and ``b`` cold unless ``both_hot``."""

    type_name = "t-add"
    inlets = (Inlet("a", NUMBER), Inlet("b", NUMBER, hot=False))
    outlets = (Outlet("out", NUMBER),)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"out": (inputs.get("a", 0.0)) + (inputs.get("b", 0.0))}


class Join(Node):
    """Test node: records every call's (a, b) — both inlets hot."""

    type_name = "t-join"
    inlets = (Inlet("a", NUMBER), Inlet("b", NUMBER))
    outlets = (Outlet("out", NUMBER),)

    def open(self) -> None:
        self.calls: list[tuple[Any, Any, float]] = []

    def process(self, inputs: Inputs) -> dict[str, Any]:
        self.calls.append((inputs["a"], inputs["b"], inputs.t))
        return {"out": (inputs["a"] or 0.0) + (inputs["b"] or 0.0)}


class Boom(Node):
    """Test node: raises when it receives a negative number."""

    type_name = "t-boom"
    inlets = (Inlet("in", NUMBER),)
    outlets = (Outlet("out", NUMBER),)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        if inputs["in"] < 0:
            raise ValueError("negative input")
        return {"out": inputs["in"]}


class BadOpen(Node):
    """Test node: fails to open while ``unplugged``."""

    type_name = "t-bad-open"
    inlets = (Inlet("in", ANY),)
    unplugged = Param("bool", True, "fail in open")

    def open(self) -> None:
        if self.unplugged:
            raise OSError("device unplugged")


class Sink(Node):
    """Test sink: keeps every message with its timestamp, and its source's type."""

    type_name = "t-sink"
    inlets = (Inlet("in", ANY),)

    def open(self) -> None:
        self.got: list[tuple[Any, float]] = []
        self.sources: list[str] = []

    def process(self, inputs: Inputs) -> None:
        self.got.append((inputs["in"], inputs.t))
        self.sources.append(inputs.source)


class Vec(Node):
    """Test source of vectors of ``size`` values."""

    type_name = "t-vec"
    outlets = (Outlet("out", VECTOR, size="size"),)
    size = Param("int", 3, "vector size", range=(1, 100))


class VecIn(Node):
    """Test sink that expects vectors of ``size`` values."""

    type_name = "t-vec-in"
    inlets = (Inlet("in", VECTOR, size="size"),)
    size = Param("int", 3, "vector size", range=(1, 100))


class WrongSize(Node):
    """Test node that declares 3 values and sends 2."""

    type_name = "t-wrong-size"
    inlets = (Inlet("in", NUMBER),)
    outlets = (Outlet("out", VECTOR, size=3),)

    def process(self, inputs: Inputs) -> dict[str, Any]:
        return {"out": np.zeros(2, np.float32)}


TEST_TYPES = (Emit, Add, Join, Boom, BadOpen, Sink, Vec, VecIn, WrongSize)


def registry() -> Registry:
    """The real node library plus the test types."""
    reg = Registry()
    reg.types.update(default_registry().types)
    for cls in TEST_TYPES:
        reg.register(cls)
    return reg


def engine_from(text: str, virtual: bool = True) -> Engine:
    """An opened engine for patch text (virtual clock unless told otherwise)."""
    engine = Engine(parse_patch(text), registry(), clock=VirtualClock() if virtual else None)
    engine.open()
    return engine


def wait_for(condition: Callable[[], bool], what: str, deadline_s: float = 30.0) -> None:
    """Wait until ``condition()`` holds (polling every 2 ms); fail naming ``what`` after
    ``deadline_s``. For tests on the wall clock: wait on what happens, not for a time."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.002)


def free_port() -> int:
    """A UDP port on 127.0.0.1 that nothing is bound to right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
