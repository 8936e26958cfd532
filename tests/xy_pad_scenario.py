"""Editor scenario for the xy-pad: real X mouse events on the Perform panel's pad.

Run by ``test_xy_pad.py`` through ``editor_helpers.run_scenario`` as
``python xy_pad_scenario.py xy_pad TMP OUT`` with DISPLAY set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import dearpygui.dearpygui as dpg

from nodegraph.patch import dump_patch

from editor_scenarios import User, open_app

PATCH = """\
format: nodegraph/1
nodes:
  pad: {type: xy-pad, params: {value: [0.25, 0.75]}}
  seen: {type: t-sink}
links:
  - pad.out -> seen.in
layout:
  pad: [20, 20]
  seen: [300, 20]
"""
PAD = "ng/panel/control/pad/xy"


def xy_pad(tmp: Path) -> dict[str, Any]:
    app = open_app(tmp, PATCH)
    user = User(app)
    user.frames(10)
    text = dump_patch(app.engine.patch)
    pad = app.panel.sections["pad"].controls["xy"].pad
    (x0, y0), (x1, y1) = dpg.get_item_rect_min(PAD), dpg.get_item_rect_max(PAD)

    def at(fx: float, fy: float) -> tuple[float, float]:
        """The screen point a fraction (fx right, fy down) into the pad."""
        return user.screen(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0))

    def outputs() -> list[list[float]]:
        user.frames(5)
        app.engine.scheduler.call(lambda: None).result()  # the sent points have ticked
        return [value.tolist() for value, _ in app.engine.runtime["seen"].node.got]

    user.drag(at(0.2, 0.5), at(0.8, 0.7))
    drag = {"outputs": outputs(), "dot": list(dpg.get_item_configuration(pad.dot)["center"])}
    user.drag(at(0.5, 0.5), at(1.4, 1.3))  # beyond the right and bottom edges
    outside = outputs()[-1]
    user.input.move(*at(0.5, 0.5))  # over the pad, no button held
    hover = outputs()[-1]
    user.click(user.centre(f"{PAD}/follow"))
    user.input.move(*at(0.5, 0.5))
    follow = outputs()[-1]
    result = {"drag": drag, "outside": outside, "hover_without_follow": hover,
              "follow": follow, "patch_unchanged": dump_patch(app.engine.patch) == text,
              "status": app.engine.runtime["pad"].status}
    user.input.close()
    app.close()
    return result


def main() -> None:
    name, tmp, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    result = {"xy_pad": xy_pad}[name](tmp)
    out.write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
