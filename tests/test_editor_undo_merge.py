"""Engine support the editor relies on: a slider drag is one undo step."""

from __future__ import annotations

from nodegraph.edits import SetParam
from nodegraph.patch import dump_patch

from engine_helpers import engine_from

PATCH = """\
format: nodegraph/1
nodes:
  s: {type: scale, params: {out_hi: 2.0}}
"""


def test_edits_with_one_merge_key_undo_as_one_step():
    engine = engine_from(PATCH)
    before = dump_patch(engine.patch)
    for value in (3.0, 4.0, 5.0):
        engine.do(SetParam("s", "out_hi", value), merge=("drag", 1))
    for value in (0.5, 0.25):
        engine.do(SetParam("s", "out_lo", value), merge=("drag", 2))
    assert engine.patch.nodes["s"].params == {"out_hi": 5.0, "out_lo": 0.25}
    assert engine.undo()
    assert engine.patch.nodes["s"].params == {"out_hi": 5.0}
    assert engine.undo()
    assert dump_patch(engine.patch) == before
    assert not engine.can_undo
    assert engine.redo() and engine.redo()
    assert engine.patch.nodes["s"].params == {"out_hi": 5.0, "out_lo": 0.25}


def test_a_new_drag_after_undo_is_a_new_step():
    engine = engine_from(PATCH)
    engine.do(SetParam("s", "out_hi", 3.0), merge="k")
    engine.undo()
    engine.do(SetParam("s", "out_hi", 4.0), merge="k")
    engine.do(SetParam("s", "out_hi", 6.0), merge="k")
    assert engine.undo()
    assert engine.patch.nodes["s"].params == {"out_hi": 2.0}
    assert not engine.can_undo
