"""Hostile patches for the patch reader: mutations of valid patch text, includes and
``--set`` values, and the one thing every outcome must be.

Used by ``tests/test_patch_fuzz.py`` (hypothesis, bounded) and ``bench/fuzz_patches.py``
(at scale, seeded). A mutation is a :class:`Mutant`: the main patch text, the texts of
the files it may include, and ``--set`` arguments. :func:`outcome` writes it into a
folder that also holds hostile files (a symlink loop, a FIFO, a folder, a device),
reads and checks it the way ``nodegraph check``/``run`` do, and says "valid",
"error" (a PatchError whose every problem names a file and line, or the command line),
or returns the traceback of anything else, which is a bug.
"""

from __future__ import annotations

import os
import random
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from nodegraph.engine import apply_overrides
from nodegraph.errors import COMMAND_LINE, PatchError
from nodegraph.graph import check_patch
from nodegraph.patch import load_patch
from nodegraph.registry import Registry

MAIN = """\
format: nodegraph/1
description: a patch to mutate
params:
  gain: 2.0
nodes:
  m: {type: metro, params: {interval_ms: 50}}
  c: {type: constant, params: {value: [0.0, 0.5, 1.0]}}
  s: {type: scale, params: {out_hi: $gain}}
  v: {include: voice.yaml, params: {k: 3.0}}
  w:
    subpatch:
      nodes:
        i: {type: inlet, params: {type: vector}}
        o: {type: outlet, params: {type: vector}}
      links:
        - i.out -> o.in
  p: {type: print}
  f: {type: audio-file, params: {path: tone.wav}}
links:
  - m.bang -> c.bang
  - c.out -> s.in
  - s.out -> v.x
  - v.y -> w.i
  - w.o -> p.in
layout:
  m: [0, 0]
  c: [100, 0]
"""

VOICE = """\
format: nodegraph/1
params:
  k: 1.0
nodes:
  x: {type: inlet, params: {type: vector}}
  g: {type: latent-adjust, params: {scale: [$k]}}
  y: {type: outlet, params: {type: vector}}
  n: {include: leaf.yaml}
links:
  - x.out -> g.in
  - g.out -> y.in
"""

LEAF = """\
format: nodegraph/1
nodes:
  t: {type: print}
"""

INCLUDES = {"voice.yaml": VOICE, "leaf.yaml": LEAF}

#: Characters the character-level edits insert.
CHARS = list("{}[]:,-> .\n'\"&*!#|?@`0a%\t$\\") + ["\x00", "\x07", "\x1b", "\ufeff", "\u2028"]

#: Whole values spliced in place of a value (hostile ones first).
VALUES = [
    "!!int abc", "!!bool maybe", "!!timestamp nope", "!!float x", "!!binary '%%%'",
    "!!set {a, b}", "!!omap [a: 1]", "!!pairs [1]", "!!str", "!!null x", "!!python/name:os.system",
    "!!merge x", "<<: {a: 1}", "&a [*a]", "&b {k: *b}", "9" * 400, "-" + "9" * 400, "1e999",
    ".nan", "-.inf", "[" * 200 + "]" * 200, "{a: " * 100 + "1" + "}" * 100,
    '"\\0.yaml"', '"\\ud800.yaml"', "a" * 5000 + ".yaml", "/a" * 3000, "loop.yaml",
    "fifo.yaml", "folder.yaml", "/dev/zero", "zero.yaml", "fifo.wav", "zero.wav", "folder",
    "main.yaml", "$nope", "*undefined",
]
#: Plain values, so that some mutations stay valid or fail only late (in the check).
PLAIN = ["leaf.yaml", "voice.yaml", "~", "null", "[]", "{}", "''", "0", "-1", "1.5", "true",
         "[1, 2, 3]", "$gain", "$$x", "&anchor 1", "tone.wav", "default", "50", "[0.5]"]

#: Lines spliced in as whole nodes.
NODE_LINES = [
    "  z: {include: $v}", "  z: {type: $v}", "  z: {type: metro, params: {interval_ms: $v}}",
    "  z: {type: constant, params: {value: $v}}", "  z: {type: audio-file, params: {path: $v}}",
    "  z: {type: rave-decode, params: {model: $v}}", "  z: {subpatch: $v}",
    "  z: {include: voice.yaml, params: {k: $v}}", "  $v: {type: print}",
]

SET_TARGETS = ["m.interval_ms", "c.value", "s.out_hi", "gain", "v.k", "f.path", "nope.x", "m",
               "", "m.", ".x"]


@dataclass
class Mutant:
    """One hostile input: main patch text, include texts by file name, --set args."""

    main: str
    includes: dict[str, str] = field(default_factory=lambda: dict(INCLUDES))
    sets: list[str] = field(default_factory=list)


def mutate(rng: random.Random) -> Mutant:
    """A random mutation of the corpus: 1-3 edits spread over the main patch, its
    includes and --set arguments."""
    mutant = Mutant(MAIN)
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(["main", "main", "main", "include", "set"])
        if target == "set":
            value = _value(rng) if rng.random() < 0.7 else _edit(rng, _value(rng))
            mutant.sets.append(f"{rng.choice(SET_TARGETS)}={value}")
        elif target == "include":
            name = rng.choice(sorted(mutant.includes))
            mutant.includes[name] = _edit(rng, mutant.includes[name])
        else:
            mutant.main = _edit(rng, mutant.main)
    return mutant


def _value(rng: random.Random) -> str:
    return rng.choice(VALUES if rng.random() < 0.6 else PLAIN)


def _edit(rng: random.Random, text: str) -> str:
    op = rng.choice(["delete", "insert", "replace", "swap-lines", "value", "value", "node",
                     "duplicate"])
    i = rng.randint(0, len(text))
    if op == "delete":
        return text[:i] + text[i + rng.randint(1, 8):]
    if op == "insert":
        return text[:i] + rng.choice(CHARS) + text[i:]
    if op == "replace":
        return text[:i] + rng.choice(CHARS) + text[i + 1:]
    lines = text.split("\n")
    if op == "swap-lines":
        a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
    elif op == "duplicate":
        a = rng.randrange(len(lines))
        lines.insert(a, lines[a])
    elif op == "node":
        at = next((n + 1 for n, line in enumerate(lines) if line.startswith("nodes:")), 1)
        lines.insert(at, rng.choice(NODE_LINES).replace("$v", _value(rng)))
    else:  # a value after some ': ' or '[' is replaced by a hostile one
        candidates = [n for n, line in enumerate(lines) if ": " in line]
        if not candidates:
            return text + _value(rng)
        n = rng.choice(candidates)
        head = lines[n].rsplit(": ", 1)[0]
        closing = "}" * (lines[n].count("{") - lines[n].count("}"))
        lines[n] = f"{head}: {_value(rng)}{closing}"
    return "\n".join(lines)


def prepare_folder(folder: Path) -> None:
    """Hostile files beside the patch: a symlink loop, a FIFO, a folder, links to
    /dev/zero, and a tiny valid WAV."""
    import numpy as np
    import soundfile

    (folder / "loop.yaml").symlink_to(folder / "loop.yaml")
    os.mkfifo(folder / "fifo.yaml")
    os.mkfifo(folder / "fifo.wav")
    (folder / "folder.yaml").mkdir()
    (folder / "folder").mkdir()
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "zero.wav").symlink_to("/dev/zero")
    soundfile.write(folder / "tone.wav", np.zeros(64, np.float32), 8000)


def outcome(folder: Path, mutant: Mutant, registry: Registry) -> str:
    """Read and check ``mutant`` in ``folder`` (see :func:`prepare_folder`) as
    ``nodegraph check``/``run --set`` do: "valid", "error", or, for anything but a
    well-formed PatchError, a description with the traceback (a bug)."""
    main = folder / "main.yaml"
    _write(main, mutant.main)
    for name, text in mutant.includes.items():
        _write(folder / name, text)
    try:
        patch = load_patch(main)
        apply_overrides(patch, mutant.sets)
        check_patch(patch, registry)
    except PatchError as exc:
        unplaced = [str(p) for p in exc.problems
                    if not p.message or (p.file != COMMAND_LINE and p.file is None)
                    or (p.file not in (COMMAND_LINE, None) and p.line is None)]
        if unplaced or not exc.problems:
            return f"problems without file:line: {unplaced}"
        return "error"
    except BaseException:  # noqa: BLE001 - the point is to catch everything
        return traceback.format_exc()
    return "valid"


def _write(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
