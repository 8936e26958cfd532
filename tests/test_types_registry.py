"""Port types, params and the node registry."""

from __future__ import annotations

import sys
import textwrap

import numpy as np
import pytest

from nodegraph import types as T
from nodegraph.registry import Registry, default_registry
from nodegraph.schema import Param, ParamError


@pytest.mark.parametrize("src,dst,allowed", [
    (T.VECTOR, T.VECTOR, True),
    (T.FRAME, T.LANDMARKS, False),
    (T.FRAME, T.VECTOR, False),
    (T.VECTOR, T.NUMBER, False),
    (T.NUMBER, T.VECTOR, True),
    (T.VECTOR, T.BANG, True),
    (T.TEXT, T.ANY, True),
    (T.ANY, T.LANDMARKS, True),
    (T.AUDIO, T.AUDIO, True),
    (T.AUDIO, T.ANY, False),
    (T.VECTOR, T.AUDIO, False),
])
def test_link_compatibility(src, dst, allowed):
    assert T.link_converter(src, dst)[0] is allowed


def test_number_into_vector_is_converted():
    _, convert = T.link_converter(T.NUMBER, T.VECTOR)
    out = convert(0.5)
    assert out.dtype == np.float32 and out.tolist() == [0.5]


@pytest.mark.parametrize("param,value,expected", [
    (Param("float", 0.0, range=(0, 1)), 1, 1.0),
    (Param("int", 1), 3.0, 3),
    (Param("vector", [0.0]), [1, 2], [1.0, 2.0]),
    (Param("choice", "a", choices=("a", "b")), "b", "b"),
])
def test_param_coercion(param, value, expected):
    assert param.validate(value) == expected


@pytest.mark.parametrize("param,value,words", [
    (Param("float", 0.0, range=(0, 1)), 2.0, "a number in [0, 1]"),
    (Param("float", 0.0), "x", "a number"),
    (Param("float", 0.0), float("nan"), "a number"),
    (Param("int", 1), 1.5, "a whole number"),
    (Param("bool", True), 1, "true or false"),
    (Param("choice", "a", choices=("a", "b")), "c", "one of a, b"),
    (Param("vector", [0.0], range=(-1, 1)), [0, 5], "each in [-1, 1]"),
])
def test_param_errors_say_what_fits(param, value, words):
    with pytest.raises(ParamError, match=words.replace("[", r"\[").replace("]", r"\]")):
        param.validate(value)


def test_default_registry_lists_builtin_nodes():
    names = default_registry().names()
    for name in ("constant", "metro", "scale", "pack", "unpack", "print", "delay"):
        assert name in names


def test_schema_describes_ports_and_params():
    schema = default_registry().schema("pack")
    assert [p["name"] for p in schema["inlets"]] == ["in0", "in1"]
    assert [p["hot"] for p in schema["inlets"]] == [True, False]
    assert schema["params"][0]["name"] == "count" and schema["params"][0]["default"] == 2
    assert schema["summary"].startswith("Combine")


def test_unknown_type_hint_offers_close_names():
    hint = default_registry().unknown_type_hint("metr")
    assert "did you mean metro" in hint


def test_entry_point_plugins_are_discovered(tmp_path, monkeypatch):
    """A separately installed package adds a node type through its entry point."""
    (tmp_path / "my_nodes.py").write_text(textwrap.dedent('''
        from nodegraph.api import NUMBER, Node, Outlet

        class Seven(Node):
            """Always seven."""
            type_name = "seven"
            outlets = (Outlet("out", NUMBER),)
    '''))
    dist = tmp_path / "my_nodes-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-nodes\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[nodegraph.nodes]\nmine = my_nodes\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry().discover()
    assert registry.get("seven").summary() == "Always seven."
    sys.modules.pop("my_nodes", None)


def test_broken_plugin_does_not_break_the_rest(tmp_path, monkeypatch):
    (tmp_path / "broken_nodes.py").write_text("raise ImportError('needs libfoo')\n")
    dist = tmp_path / "broken_nodes-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-nodes\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[nodegraph.nodes]\nbroken = broken_nodes\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry().discover()
    assert "metro" in registry.types
    assert "needs libfoo" in registry.broken["broken_nodes"]
