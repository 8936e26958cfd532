"""Editor cost: GUI frame time, live readouts, edit latency, and the control thread's pace.

A patch of N chains ``metro → constant → scale → print`` (4N nodes, metros at
``--interval`` ms) is opened in the editor and played. Measured:

- ``frame_ms``: one editor frame (callbacks, engine results, sync, live refresh,
  render) without the frame cap; ``render_ms`` the DearPyGui render call within it
  (the raw library cost: software OpenGL under Xvfb) and ``editor_python_ms`` the
  rest, the editor's own work;
- ``live_ms``: one refresh of every node's status, time and outlet values (canvas)
  and of the performance panel (run 15 times a second);
- ``edit_applied_ms`` / ``edit_shown_ms``: a param change from the widget callback
  until the running graph has it (engine thread) / until the canvas drew it;
- ``bangs_ratio``: bangs the control thread delivered while the editor rendered,
  against the same patch headless for the same time (1.0 = the GUI costs the graph
  nothing).

    xvfb-run -a -s "-screen 0 1440x900x24" python bench/editor_frame.py [--chains N]

Final line: JSON with those figures. Targets: editor_python_ms < 2 at 100 nodes,
bangs_ratio ≥ 0.95 (a real GPU renders in about a millisecond; Xvfb's software
renderer takes tens).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import dearpygui.dearpygui as dpg

import nodegraph.editor.app as editor_app
from nodegraph.editor.app import EditorApp
from nodegraph.engine import Engine


def chain_patch(chains: int, interval_ms: float) -> str:
    lines = ["format: nodegraph/1", "nodes:"]
    links, layout = [], []
    for i in range(chains):
        lines += [f"  clock{i}: {{type: metro, params: {{interval_ms: {interval_ms}}}}}",
                  f"  point{i}: {{type: constant, params: {{value: [0.1, 0.2, 0.3]}}}}",
                  f"  widen{i}: {{type: scale}}",
                  f"  show{i}: {{type: print, params: {{quiet: true}}}}"]
        links += [f"  - clock{i}.bang -> point{i}.bang", f"  - point{i}.out -> widen{i}.in",
                  f"  - widen{i}.out -> show{i}.in"]
        layout += [f"  {name}{i}: [{x}, {20 + 260 * i}]"
                   for name, x in (("clock", 20), ("point", 260), ("widen", 500), ("show", 740))]
    return "\n".join(lines + ["links:"] + links + ["layout:"] + layout) + "\n"


def bangs(engine: Engine, chains: int) -> int:
    return sum(engine.runtime[f"show{i}"].node.count for i in range(chains))


def headless_bangs(path: Path, chains: int, seconds: float) -> int:
    engine = Engine.load(path)
    engine.open()
    engine.start()
    time.sleep(seconds)
    count = bangs(engine, chains)
    engine.close()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=10, help="4 nodes per chain")
    parser.add_argument("--interval", type=float, default=5.0, help="metro interval, ms")
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="nodegraph-bench-") as folder:
        path = Path(folder) / "chains.yaml"
        path.write_text(chain_patch(args.chains, args.interval))
        print(json.dumps(measure(path, args)))


def measure(path: Path, args: argparse.Namespace) -> dict:
    baseline = headless_bangs(path, args.chains, args.seconds)

    editor_app.MAX_FPS = 1e9  # measure frames, not the cap
    renders: list[float] = []
    render = dpg.render_dearpygui_frame

    def timed_render() -> None:
        t0 = time.perf_counter()
        render()
        renders.append(time.perf_counter() - t0)

    editor_app.dpg.render_dearpygui_frame = timed_render
    app = EditorApp(Engine.load(path))
    app.settle(app.actions.play())
    start_bangs, started = bangs(app.engine, args.chains), time.monotonic()
    frames, ours = [], []
    while time.monotonic() - started < args.seconds:
        t0 = time.perf_counter()
        app.step()
        frames.append(time.perf_counter() - t0)
        ours.append(frames[-1] - renders[-1])
        time.sleep(max(0.0, 1 / 60 - frames[-1]))  # the editor's own pace
    gui_bangs = bangs(app.engine, args.chains) - start_bangs
    rendered = renders[-len(frames):]
    live = []
    for _ in range(50):
        t0 = time.perf_counter()
        app.canvas.update_live()
        app.panel.update_live()
        live.append(time.perf_counter() - t0)
    applied, edits = [], []
    for i in range(20):
        value = 2.0 + i
        t0 = time.perf_counter()
        app.run_callbacks([(dpg.get_item_callback("ng/param/widen0/out_hi"),
                            "ng/param/widen0/out_hi", value, None)])
        while app.engine.patch.nodes["widen0"].params.get("out_hi") != value:
            time.sleep(0.0002)
        applied.append(time.perf_counter() - t0)
        app.run_until(lambda v=value: app.canvas.drawn_graph is app.engine.graph)
        edits.append(time.perf_counter() - t0)
    app.close()

    def ms(values: list[float], q: float = 0.5) -> float:
        return round(1000 * statistics.quantiles(values, n=100)[int(q * 100) - 1], 3)

    result = {"nodes": 4 * args.chains, "frame_ms": ms(frames), "frame_p95_ms": ms(frames, 0.95),
              "render_ms": ms(rendered), "editor_python_ms": ms(ours),
              "editor_python_p95_ms": ms(ours, 0.95),
              "frame_over_render": round(statistics.median(frames) / statistics.median(rendered), 2),
              "live_ms": ms(live), "edit_applied_ms": ms(applied), "edit_shown_ms": ms(edits),
              "bangs_gui": gui_bangs, "bangs_headless": baseline,
              "bangs_ratio": round(gui_bangs / baseline, 3)}
    return result


if __name__ == "__main__":
    main()
