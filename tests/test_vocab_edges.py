"""Edge cases across the vector nodes: empty vectors and NaN inputs."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.edits import Connect
from nodegraph.patch import Link

from vocab_helpers import feed, got, rig, vec

# (node, inlet fed, output for an empty vector: a list, or words of the error)
NODES = [
    ("{type: scale}", "in", []),
    ("{type: map}", "in", []),
    ("{type: clip}", "in", []),
    ("{type: latent-adjust, params: {offset: [1.0]}}", "in", []),
    ("{type: jitter}", "in", []),
    ("{type: line}", "target", []),
    ("{type: select-dims}", "in", "dims [0] out of range for a vector of 0 values"),
    ("{type: threshold}", "in", "dim 0 is outside a vector of 0 values"),
    ("{type: expr, params: {expression: a * 2 + 1}}", "a", []),
    ("{type: expr, params: {expression: 'max(a)'}}", "a", "max of an empty vector has no value"),
    ("{type: concat, params: {count: 2}}", "in0", []),
    ("{type: interpolate}", "a", []),
]


def node_rig(node: str):
    engine = rig(f"nodes:\n  n: {node}\n  out: {{type: t-sink}}\nlinks:\n")
    first_outlet = engine.runtime["n"].node.outlets[0].name
    engine.do(Connect(Link("n", first_outlet, "out", "in")))
    return engine


def prime(engine, node: str) -> None:
    """Fill the other inlets of multi-input nodes so the fed one decides."""
    if "concat" in node:
        feed(engine, "n", "in1", vec())
    if "interpolate" in node:
        feed(engine, "n", "b", vec())


@pytest.mark.parametrize("node,inlet,expected", NODES, ids=[n[0] for n in NODES])
def test_empty_vectors_give_empty_output_or_a_clear_error(node, inlet, expected):
    engine = node_rig(node)
    prime(engine, node)
    feed(engine, "n", inlet, vec())
    rn = engine.runtime["n"]
    if isinstance(expected, list):
        assert rn.errors == 0, rn.last_error
        assert [np.asarray(v).tolist() for v in got(engine)][-1] == expected
    else:
        assert got(engine) == [] and expected in rn.last_error


@pytest.mark.parametrize("node,inlet,_", NODES, ids=[n[0] for n in NODES])
def test_nan_inputs_are_refused_with_a_message_naming_the_inlet(node, inlet, _):
    engine = node_rig(node)
    prime(engine, node)
    feed(engine, "n", inlet, vec(0.5, np.nan))
    rn = engine.runtime["n"]
    assert got(engine) == [] and rn.status == "error"
    assert f"inlet '{inlet}' received 1 NaN/infinite value(s)" in rn.last_error
