"""Every way a patch file can be wrong gives file:line and what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodegraph.errors import PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import load_patch, parse_patch

from engine_helpers import registry

VALID = """\
format: nodegraph/1
nodes:
  a: {type: t-vec, params: {size: 3}}
  s: {type: scale, params: {out_lo: -1.0}}
  b: {type: t-vec-in, params: {size: 3}}
links:
  - a.out -> s.in
  - s.out -> b.in
layout:
  a: [0, 0]
"""

# (what is wrong, patch text, expected line, words the message must contain)
MALFORMED = [
    ("yaml syntax", "format: nodegraph/1\nnodes:\n  a: {type: metro\n", 4, "YAML syntax"),
    ("not a mapping", "- a\n- b\n", 1, "a patch is a mapping"),
    ("no format", "nodes:\n  a: {type: metro}\n", 1, "missing 'format: nodegraph/1'"),
    ("wrong format", "format: nodegraph/9\nnodes: {}\n", 1, "this nodegraph reads 'nodegraph/1'"),
    ("unknown section", "format: nodegraph/1\nnodes: {}\nwires: []\n", 3, "unknown section 'wires'"),
    ("unknown type", "format: nodegraph/1\nnodes:\n  m: {type: metr}\n", 3, "did you mean metro"),
    ("missing type", "format: nodegraph/1\nnodes:\n  m: {params: {}}\n", 3, "needs 'type: <node type>'"),
    ("bad id", "format: nodegraph/1\nnodes:\n  2x: {type: metro}\n", 3, "must be a name"),
    ("duplicate id", "format: nodegraph/1\nnodes:\n  m: {type: metro}\n  m: {type: metro}\n", 4,
     "appears twice"),
    ("unknown param", "format: nodegraph/1\nnodes:\n  m:\n    type: metro\n    params:\n"
     "      intervall_ms: 5\n", 6, "did you mean 'interval_ms'"),
    ("param out of range", "format: nodegraph/1\nnodes:\n  m: {type: metro, params: {interval_ms: -5}}\n",
     3, "expected a number in [1, 600000], got -5"),
    ("param wrong type", "format: nodegraph/1\nnodes:\n  m:\n    type: metro\n    params:\n"
     "      autostart: maybe\n", 6, "expected true or false"),
    ("link syntax", "format: nodegraph/1\nnodes:\n  m: {type: metro}\nlinks:\n  - m.bang => x.in\n",
     5, "node.outlet -> node.inlet"),
    ("link to missing node", "format: nodegraph/1\nnodes:\n  m: {type: metro}\nlinks:\n"
     "  - m.bang -> p.in\n", 5, "no node named 'p'"),
    ("unknown outlet", "format: nodegraph/1\nnodes:\n  m: {type: metro}\n  p: {type: print}\n"
     "links:\n  - m.out -> p.in\n", 6, "its outlets: bang"),
    ("unknown inlet", "format: nodegraph/1\nnodes:\n  m: {type: metro}\n  p: {type: print}\n"
     "links:\n  - m.bang -> p.input\n", 6, "its inlets: in"),
    ("backwards link", "format: nodegraph/1\nnodes:\n  c: {type: constant}\n  s: {type: scale}\n"
     "links:\n  - s.in -> c.out\n", 6, "links go outlet -> inlet"),
    ("type mismatch", "format: nodegraph/1\nnodes:\n  m: {type: metro}\n  u: {type: unpack}\n"
     "links:\n  - u.out0 -> m.toggle\n  - m.bang -> u.in\n", 7,
     "m.bang sends bang but u.in takes vector"),
    ("size mismatch", "format: nodegraph/1\nnodes:\n  a: {type: t-vec, params: {size: 4}}\n"
     "  b: {type: t-vec-in}\nlinks:\n  - a.out -> b.in\n", 6,
     "a.out sends 4 values but b.in expects 3 values"),
    ("size mismatch through a pass-through", "format: nodegraph/1\nnodes:\n"
     "  a: {type: t-vec, params: {size: 2}}\n  s: {type: scale}\n  b: {type: t-vec-in}\n"
     "links:\n  - a.out -> s.in\n  - s.out -> b.in\n", 8, "s.out sends 2 values but b.in expects 3"),
    ("cycle", "format: nodegraph/1\nnodes:\n  x: {type: t-add}\n  y: {type: t-add}\nlinks:\n"
     "  - x.out -> y.a\n  - y.out -> x.a\n", 6, "must pass through a 'delay' node"),
    ("node-level error", "format: nodegraph/1\nnodes:\n  s: {type: scale, params: {in_lo: 1.0}}\n",
     3, "in_lo and in_hi are equal"),
    ("layout of missing node", "format: nodegraph/1\nnodes:\n  m: {type: metro}\nlayout:\n"
     "  q: [0, 0]\n", 5, "not a node"),
    ("duplicate link", "format: nodegraph/1\nnodes:\n  c: {type: constant}\n  p: {type: print}\n"
     "links:\n  - c.out -> p.in\n  - c.out -> p.in\n", 7, "appears twice"),
]


@pytest.mark.parametrize("what,text,line,words", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_patch_names_file_line_and_fix(tmp_path, what, text, words, line):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PatchError) as info:
        check_patch(load_patch(path), registry())
    problems = info.value.problems
    match = [p for p in problems if words in p.message]
    assert match, f"no problem mentions {words!r}: {[str(p) for p in problems]}"
    assert match[0].file == str(path)
    assert match[0].line == line
    assert str(match[0]).startswith(f"{path}:{line}: " if line else f"{path}: ")


def test_all_problems_reported_at_once():
    text = ("format: nodegraph/1\nnodes:\n  a: {type: nope}\n"
            "  b: {type: metro, params: {autostart: 3}}\n")
    with pytest.raises(PatchError) as info:
        check_patch(parse_patch(text), registry())
    assert [p.line for p in info.value.problems] == [3, 4]


def test_valid_patch_checks():
    graph = check_patch(parse_patch(VALID), registry())
    assert graph.order == ["a", "s", "b"]
    assert graph.port_infos["s"]["out"].size == 3


def test_cycle_through_delay_is_allowed():
    text = ("format: nodegraph/1\nnodes:\n  x: {type: t-add}\n  d: {type: delay}\n"
            "links:\n  - x.out -> d.in\n  - d.out -> x.a\n")
    assert check_patch(parse_patch(text), registry()).order == ["x", "d"]


def test_missing_file_is_a_patch_error(tmp_path):
    with pytest.raises(PatchError, match="file not found"):
        load_patch(tmp_path / "nope.yaml")


def test_alias_bomb_is_refused():
    bomb = "format: nodegraph/1\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += f"{'b' * i}: &{'b' * i} [*{'b' * (i - 1) if i > 1 else 'a'}" + \
                f", *{'b' * (i - 1) if i > 1 else 'a'}" * 9 + "]\n"
    with pytest.raises(PatchError):
        parse_patch(bomb)


def test_python_tags_are_refused():
    text = "format: nodegraph/1\nnodes: !!python/object/apply:os.system ['echo hi']\n"
    with pytest.raises(PatchError, match="not allowed in a patch"):
        parse_patch(text)


@st.composite
def mutated(draw):
    """The valid patch text with a few random character-level edits."""
    text = VALID
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["delete", "insert", "replace", "swap-lines"]))
        char = draw(st.sampled_from(list("{}[]:,-> .\n'\"&*!#|?@`0a%\t")))
        if op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "insert":
            text = text[:i] + char + text[i:]
        elif op == "replace":
            text = text[:i] + char + text[i + 1:]
        else:
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
    return text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_random_mutations_raise_only_patch_errors(text):
    try:
        check_patch(parse_patch(text, Path("mutant.yaml")), registry())
    except PatchError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
