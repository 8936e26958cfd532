"""Hostile patch input: every failure is a file:line PatchError with the fix, never a
traceback, and reading stays bounded (deep nesting, anchors, include bombs, FIFOs)."""

from __future__ import annotations

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nodegraph.engine import Engine, apply_overrides
from nodegraph.errors import COMMAND_LINE, PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import load_patch, parse_patch
from nodegraph.subpatch import MAX_NODES, flatten

from engine_helpers import registry
from patch_mutants import MAIN, Mutant, mutate, outcome, prepare_folder

HEAD = "format: nodegraph/1\nnodes:\n"


def only_problem(path, text, registry_=None):
    """The problems of patch ``text`` written at ``path``, checked as ``check`` does."""
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    with pytest.raises(PatchError) as info:
        check_patch(load_patch(path), registry_ or registry())
    return info.value.problems


# (what, patch text, line, words)
HOSTILE = [
    ("deep list nesting", HEAD + "  m: " + "[" * 3000 + "]" * 3000 + "\n", 3, "nested more than"),
    ("deep map nesting", HEAD + "  m: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n", 3,
     "nested more than"),
    ("anchor containing itself", HEAD + "  m: &a [*a]\n", 3, "anchor that contains itself"),
    ("anchor map containing itself", HEAD + "  m: &a {k: *a}\n", 3, "anchor that contains"),
    ("!!int abc", HEAD + "  m: {type: metro, params: {interval_ms: !!int abc}}\n", 3,
     "'abc' is not a valid !!int"),
    ("!!bool maybe", HEAD + "  m: {type: metro, params: {autostart: !!bool maybe}}\n", 3,
     "'maybe' is not a valid !!bool"),
    ("!!timestamp nope", HEAD + "  m:\n    type: metro\n    params: {x: !!timestamp nope}\n",
     5, "'nope' is not a valid !!timestamp"),
    ("!!float on a key", HEAD + "  !!float m: {type: metro}\n", 3, "not a valid !!float"),
    ("bell character", HEAD + "  m: {type: metro}\n  \x07\n", 4, "U+0007"),
    ("NUL character", "format: nodegraph/1\x00\nnodes: {}\n", 1, "U+0000"),
    ("400-digit int param", HEAD + "  m: {type: metro, params: {interval_ms: " + "9" * 400 + "}}\n",
     3, "expected a number"),
    ("400-digit int in a vector", HEAD + "  c: {type: constant, params: {value: [1, -" + "9" * 400
     + "]}}\n", 3, "expected a list of numbers"),
    ("merge key", HEAD + "  m: {<<: {type: metro}}\n", 3, "merge keys"),
    ("include with NUL", HEAD + '  v: {include: "a\\0b.yaml"}\n', 3, "NUL"),
    ("include with a lone surrogate", HEAD + '  v: {include: "\\ud800.yaml"}\n', 3,
     "characters no file name can have"),
    ("include too long", HEAD + "  v: {include: " + "a" * 5000 + ".yaml}\n", 3, "longer than"),
    ("include name too long for the system", HEAD + "  v: {include: " + "a" * 300 + ".yaml}\n", 3,
     "cannot read the included patch"),
    ("include of a symlink loop", HEAD + "  v: {include: loop.yaml}\n", 3,
     "Too many levels of symbolic links"),
    ("include of a FIFO", HEAD + "  v: {include: fifo.yaml}\n", 3, "is a pipe (FIFO)"),
    ("include of /dev/zero", HEAD + "  v: {include: zero.yaml}\n", 3, "is a device"),
    ("include of a folder", HEAD + "  v: {include: folder.yaml}\n", 3, "is a folder"),
    ("audio file that is a FIFO", HEAD + "  f: {type: audio-file, params: {path: fifo.wav}}\n", 3,
     "is a pipe (FIFO)"),
    ("audio file that is /dev/zero", HEAD + "  f: {type: audio-file, params: {path: zero.wav}}\n",
     3, "is a device"),
    ("model that is a FIFO", HEAD + "  d: {type: rave-decode, params: {model: fifo.wav}}\n", 3,
     "is a pipe (FIFO)"),
    ("model that is /dev/zero", HEAD + "  d: {type: rave-decode, params: {model: /dev/zero}}\n", 3,
     "is a device"),
]


@pytest.mark.parametrize("what,text,line,words", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_patch_is_a_file_line_error(tmp_path, what, text, line, words):
    prepare_folder(tmp_path)
    path = tmp_path / "main.yaml"
    problems = only_problem(path, text)
    match = [p for p in problems if words in p.message]
    assert match, f"no problem mentions {words!r}: {[str(p) for p in problems]}"
    assert (match[0].file, match[0].line) == (str(path), line), str(match[0])


def test_a_fifo_or_device_as_the_patch_itself_is_refused_unread(tmp_path):
    prepare_folder(tmp_path)
    for name, words in (("fifo.yaml", "is a pipe (FIFO)"), ("zero.yaml", "is a device")):
        with pytest.raises(PatchError, match=words.replace("(", r"\(").replace(")", r"\)")):
            load_patch(tmp_path / name)


def test_a_patch_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"format: nodegraph/1\nnodes:\n  m: {type: \xff}\n")
    with pytest.raises(PatchError) as info:
        load_patch(path)
    assert str(info.value.problems[0]) == f"{path}:3: not UTF-8 text; save the file as UTF-8"


def test_an_include_bomb_stops_at_the_node_budget(tmp_path):
    """11 files, each including the next 4 times: 4**10 instances unless bounded."""
    for i in range(11):
        body = "".join(f"  n{k}: {{include: b{i + 1}.yaml}}\n" for k in range(4)) if i < 10 \
            else "  p: {type: print}\n"
        (tmp_path / f"b{i}.yaml").write_text(HEAD + body)
    problems: list = []
    flat = flatten(load_patch(tmp_path / "b0.yaml"), problems)
    assert len(flat.nodes) + len(flat.instances) <= MAX_NODES
    budget = [p for p in problems if f"more than {MAX_NODES} nodes" in p.message]
    assert len(budget) == 1 and budget[0].line is not None and budget[0].file


SETS = [
    ("m.interval_ms=!!int abc", "'abc' is not a valid !!int"),
    ("m.autostart=!!bool maybe", "'maybe' is not a valid !!bool"),
    ("m.interval_ms=!!timestamp x", "not a valid !!timestamp"),
    ("m.interval_ms=&a [*a]", "anchor that contains itself"),
    ("m.interval_ms=" + "[" * 500, None),  # not YAML: taken as text, refused by the param
    ("m.interval_ms=" + "9" * 400, "expected a number"),
    ("m.interval_ms=\x07", "U+0007"),
    ("m.interval_ms=!!python/object/apply:os.system [ls]", "not allowed in a patch"),
]


@pytest.mark.parametrize("item,words", SETS, ids=[s[0][:30] for s in SETS])
def test_hostile_set_values_are_errors_naming_the_argument(tmp_path, item, words):
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + "  m: {type: metro}\n")
    with pytest.raises(PatchError) as info:
        Engine.load(path, [item], registry=registry())
    problem = info.value.problems[0]
    assert problem.file in (COMMAND_LINE, str(path))
    assert problem.file == COMMAND_LINE or problem.line == 3
    if words:
        assert words in problem.message, str(problem)


def test_set_of_a_plain_value_still_works():
    patch = parse_patch(HEAD + "  m: {type: metro}\n")
    apply_overrides(patch, ["m.interval_ms=25", "m.autostart=no"])
    assert patch.nodes["m"].params == {"interval_ms": 25, "autostart": False}


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32 - 1))
def test_mutated_patches_includes_and_sets_are_valid_or_file_line_errors(tmp_path_factory, seed):
    folder = tmp_path_factory.mktemp("mutant")
    prepare_folder(folder)
    mutant = mutate(random.Random(seed))
    result = outcome(folder, mutant, registry())
    assert result in ("valid", "error"), f"{mutant!r}\n{result}"


def test_the_unmutated_corpus_is_valid(tmp_path):
    prepare_folder(tmp_path)
    assert outcome(tmp_path, Mutant(MAIN), registry()) == "valid"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_check_cli_on_a_fifo_include_returns_promptly_with_the_line(tmp_path, capsys):
    from nodegraph.cli import main

    prepare_folder(tmp_path)
    path = tmp_path / "main.yaml"
    path.write_text(HEAD + "  v: {include: fifo.yaml}\n")
    assert main(["check", str(path)]) == 1
    assert f"{path}:3: node 'v': include 'fifo.yaml': is a pipe (FIFO)" in capsys.readouterr().err
