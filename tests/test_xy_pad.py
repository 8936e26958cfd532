"""xy-pad: headless (value param, xy inlet) and in the editor (a real drag on the pad)."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.edits import SetParam
from nodegraph.errors import PatchError

from editor_helpers import FakeInput, run_scenario
from engine_helpers import engine_from

PATCH = """\
format: nodegraph/1
nodes:
  pad: {type: xy-pad, params: {value: [0.25, 0.75]}}
  seen: {type: t-sink}
links:
  - pad.out -> seen.in
"""


def sent(engine) -> list[list[float]]:
    engine.scheduler.run_pending()
    return [value.tolist() for value, _ in engine.runtime["seen"].node.got]


def test_the_value_param_is_sent_at_open_and_when_edited_and_the_inlet_moves_the_point():
    engine = engine_from(PATCH)
    assert sent(engine) == [[0.25, 0.75]]
    engine.send("pad", "xy", np.array([0.5, 0.125], np.float32))
    engine.send("pad", "xy", np.array([-3.0, 7.0], np.float32))  # clipped to the pad
    assert sent(engine)[1:] == [[0.5, 0.125], [0.0, 1.0]]
    text = engine.patch.nodes["pad"].params
    assert text == {"value": [0.25, 0.75]}  # moving the point is not an edit
    engine.do(SetParam("pad", "value", [1.0, 0.0]))
    assert sent(engine)[3:] == [[1.0, 0.0]]
    assert engine.graph.port_infos["pad"]["out"].labels == ("x", "y")


def test_a_point_that_is_not_finite_flags_the_node_and_the_last_point_stays():
    engine = engine_from(PATCH)
    engine.send("pad", "xy", np.array([np.nan, 0.5], np.float32))
    assert sent(engine) == [[0.25, 0.75]]
    rn = engine.runtime["pad"]
    assert rn.status == "error" and "not a point" in rn.last_error


@pytest.mark.parametrize("value, message", [
    ("[0.5]", "value must be two numbers, x and y"),
    ("[0.5, 2.0]", "expected a list of numbers each in [0, 1]"),
])
def test_a_bad_value_is_refused_at_load_with_the_line(value, message):
    with pytest.raises(PatchError) as caught:
        engine_from(f"format: nodegraph/1\nnodes:\n  pad: {{type: xy-pad, params: {{value: "
                    f"{value}}}}}\n")
    text = str(caught.value)
    assert ":3:" in text and message in text


def test_dragging_on_the_pad_moves_the_output(xvfb_display, tmp_path):
    """Real X mouse events (XTEST) on the Perform panel's pad: a drag, a drag that
    leaves the pad, and follow mouse with no button held."""
    try:
        FakeInput(xvfb_display).close()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    result = run_scenario("xy_pad", xvfb_display, tmp_path, script="xy_pad_scenario.py")
    start, end = result["drag"]["outputs"][0], result["drag"]["outputs"][-1]
    assert start == [0.25, 0.75]  # the value param, before the pad was touched
    assert len(result["drag"]["outputs"]) > 3  # the point moved during the drag
    assert end == pytest.approx([0.8, 0.3], abs=0.02)  # where the pointer was let go
    assert result["drag"]["dot"] == pytest.approx([0.8 * 200, 0.7 * 200], abs=4)
    assert result["outside"] == pytest.approx([1.0, 0.0], abs=1e-6)  # clipped at the edge
    assert result["hover_without_follow"] == result["outside"]
    assert result["follow"] == pytest.approx([0.5, 0.5], abs=0.02)
    assert result["patch_unchanged"] is True
    assert result["status"] == "ok"
