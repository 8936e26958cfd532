"""The editor's parts that need no window: clipboard, add-node search, readouts,
frame previews, latent map arithmetic, shortcuts, the engine thread, recent files."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import dearpygui.dearpygui as dpg

from nodegraph.editor.clipboard import copy_text, paste_edit, unique_id
from nodegraph.editor.shortcuts import shortcut
from nodegraph.editor.files import RecentFiles
from nodegraph.editor.latent_map import (MapRequest, as_table, collect_bookmarks,
                                         compute_field, field_colours, grid_inputs,
                                         is_regressor, map_bounds, union_bounds)
from nodegraph.editor.palette import rank_types
from nodegraph.editor.previews import fit_frame, fitted_box
from nodegraph.editor.readouts import colour_map, meter_fraction, short_value
from nodegraph.editor.widgets import inlet_control_kind
from nodegraph.editor.worker import EngineWorker
from nodegraph.engine import Engine
from nodegraph.errors import EditError
from nodegraph.patch import dump_patch, parse_patch
from nodegraph.registry import Registry, default_registry

import editor_helpers

PATCH = """\
format: nodegraph/1
nodes:
  clock: {type: metro}
  point: {type: constant, params: {value: [1.0, 2.0]}}
  widen: {type: scale}
  show: {type: print}
links:
  - clock.bang -> point.bang
  - point.out -> widen.in
  - widen.out -> show.in
layout:
  point: [20, 120]
  widen: [220, 120]
"""


def test_unique_ids_count_up_from_two():
    assert unique_id("metro", {"clock"}) == "metro"
    assert unique_id("metro", {"metro"}) == "metro2"
    assert unique_id("metro2", {"metro", "metro2"}) == "metro3"
    assert unique_id("rave-decode", {"rave-decode", "rave-decode2"}) == "rave-decode3"


def test_copy_is_patch_text_and_paste_is_one_undoable_edit():
    engine = Engine(parse_patch(PATCH))
    text = copy_text(engine.patch, ["widen", "point"])
    assert text == ("format: nodegraph/1\nnodes:\n"
                    "  point: {type: constant, params: {value: [1.0, 2.0]}}\n"
                    "  widen: {type: scale}\nlinks:\n  - point.out -> widen.in\n"
                    "layout:\n  point: [20, 120]\n  widen: [220, 120]\n")
    before = dump_patch(engine.patch)
    edit, ids = paste_edit(engine.patch, text)
    assert ids == ["point2", "widen2"]
    engine.do(edit)
    assert engine.patch.layout["point2"] == (60, 160)
    assert str(engine.patch.links[-1]) == "point2.out -> widen2.in"
    engine.undo()
    assert dump_patch(engine.patch) == before and not engine.can_undo


@pytest.mark.parametrize("text", ["", "hello", "format: nodegraph/1\nnodes: {}\n"])
def test_pasting_what_is_not_nodes_says_so(text):
    with pytest.raises(ValueError, match="no nodegraph nodes"):
        paste_edit(parse_patch(PATCH), text)


def test_add_box_ranks_names_before_descriptions():
    registry = Registry()
    for name in ("metro", "scale", "constant", "print", "delay"):
        registry.register(default_registry().types[name])
    assert rank_types(registry, "met") == ["metro"]
    assert rank_types(registry, "cale") == ["scale"]
    # starts with it, then contains it, then only its category or summary does:
    # (inlet and outlet are the engine's own types, in every registry)
    assert rank_types(registry, "s") == ["scale", "constant", "delay", "inlet", "metro",
                                         "outlet", "print"]
    assert rank_types(registry, "interval") == ["metro"]  # a word of its summary
    assert rank_types(registry, "zzzz") == []
    assert rank_types(registry, "") == registry.names()


def test_inlets_get_buttons_and_toggles_from_their_schema():
    registry = editor_helpers.registry()
    regress = registry.get("t-regress")()
    kinds = {p.name: inlet_control_kind(p) for p in regress.inlets}
    assert kinds == {"input": None, "target": None, "record": "bang", "train": "bang",
                     "run": "toggle"}
    metro = registry.get("metro")()
    assert inlet_control_kind(metro.inlet("toggle")) == "toggle"  # "nonzero starts"
    explorer = registry.get("latent-explorer")()
    assert inlet_control_kind(explorer.inlet("bookmark")) == "text"
    pack = registry.get("pack")()
    assert inlet_control_kind(pack.inlet("in0")) is None


def test_readouts():
    assert short_value(np.array([1, 2, 3], np.float32)) == "[1 2 3]"
    long = short_value(np.arange(100, dtype=np.float32))
    assert long.startswith("[100] 0 1 2") and len(long) <= 28
    assert meter_fraction(0.0) == 1.0 and meter_fraction(-30.0) == 0.5
    assert meter_fraction(-120.0) == 0.0 and meter_fraction(float("-inf")) == 0.0
    colours = colour_map(np.array([0.0, 5.0, 10.0]))
    assert colours.shape == (3, 3) and colours[0].sum() < colours[2].sum()
    assert np.allclose(colour_map(np.ones(4)), colour_map(np.ones(4))[0])


def test_frames_fit_the_preview_keeping_their_aspect():
    frame = np.zeros((100, 400, 3), np.uint8)
    frame[:, :200] = 255
    small = fit_frame(frame, 160, 120)
    assert small.shape == (120, 160, 3)
    assert small[:40].max() == 0 and small[80:].max() == 0  # letterbox bars
    assert small[60, :79].min() == 255 and small[60, 81:].max() == 0
    assert fitted_box((100, 400, 3), 160, 120) == pytest.approx((0.0, 1 / 3, 1.0, 2 / 3))


def test_latent_map_grid_sweeps_two_dimensions_from_the_top():
    grid = grid_inputs(np.array([9.0, 9.0, 9.0]), (0, 2), ((0.0, 1.0), (10.0, 20.0)), n=3)
    assert grid.shape == (9, 3)
    assert grid[:, 1].tolist() == [9.0] * 9
    assert grid[:3, 0].tolist() == [0.0, 0.5, 1.0] and grid[:3, 2].tolist() == [20.0] * 3
    assert grid[-1].tolist() == [1.0, 9.0, 10.0]


def test_latent_map_bounds_cover_examples_and_live_input():
    (x0, x1), (y0, y1) = map_bounds(np.array([[0.0, 0.0], [1.0, 2.0]]), np.array([3.0, 1.0]))
    assert x0 < 0.0 and x1 > 3.0 and y0 < 0.0 and y1 > 2.0
    (x0, x1), (y0, y1) = map_bounds(np.zeros((0, 2)), None)
    assert x0 < 0.5 < x1 and y0 < 0.5 < y1
    (x0, x1), _ = map_bounds(np.array([[2.0, 0.0], [2.0, 1.0]]), None)
    assert x0 < 2.0 < x1


def test_latent_map_view_only_grows():
    a = ((0.0, 1.0), (2.0, 3.0))
    assert union_bounds(a, ((0.5, 2.0), (-1.0, 2.5))) == ((0.0, 2.0), (-1.0, 3.0))
    assert union_bounds(a, a) == a


def test_latent_map_colours_by_axis_or_nearest_bookmark():
    outputs = np.array([[0.0, 0.0], [1.0, 1.0], [0.9, 0.8]], np.float32)
    by_axis = field_colours(outputs, 0, None)
    assert not np.allclose(by_axis[0], by_axis[1])
    marks = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    by_mark = field_colours(outputs, None, marks)
    assert np.allclose(by_mark[1], by_mark[2]) and not np.allclose(by_mark[0], by_mark[1])


def test_examples_become_tables_even_when_there_are_none():
    assert as_table([]).shape == (0, 0)
    assert as_table(np.zeros((0, 3))).shape == (0, 0)
    assert as_table([[1, 2], [3, 4]]).shape == (2, 2)
    assert as_table(np.arange(3.0)).shape == (3, 1)


def test_latent_map_reads_the_regressor_interface():
    registry = editor_helpers.registry()
    engine = Engine(parse_patch("format: nodegraph/1\nnodes:\n  r: {type: t-regress}\n"
                                "  b: {type: t-bookmarks}\n  s: {type: scale}\n"), registry)
    engine.open()
    reg, marks_node = engine.runtime["r"].node, engine.runtime["b"].node
    assert is_regressor(reg) and not is_regressor(engine.runtime["s"].node)
    names, marks = collect_bookmarks([reg, marks_node], 3)
    assert names == ["low", "high"] and marks.shape == (2, 3)
    assert collect_bookmarks([marks_node], 4) == ([], None)
    request = MapRequest("r", reg.predict, np.zeros(2, np.float32), (0, 1),
                         ((0.0, 1.0), (0.0, 1.0)), 0, None)
    texture = compute_field(request)
    assert texture.shape == (48 * 48 * 3,) and texture.dtype == np.float32
    image = texture.reshape(48, 48, 3)
    assert image[0, -1].sum() > image[0, 0].sum()  # latent 0 = x grows to the right


def test_shortcuts():
    assert shortcut(dpg.mvKey_Z, True, False) == "undo"
    assert shortcut(dpg.mvKey_Z, True, True) == "redo"
    assert shortcut(dpg.mvKey_Y, True, False) == "redo"
    assert shortcut(dpg.mvKey_S, True, False) == "save"
    assert shortcut(dpg.mvKey_S, True, True) == "save_as"
    assert shortcut(dpg.mvKey_D, True, False) == "duplicate"
    assert shortcut(dpg.mvKey_Delete, False, False) == "delete"
    assert shortcut(dpg.mvKey_Z, False, False) is None


def test_engine_thread_runs_jobs_in_order_and_hands_results_back():
    worker = EngineWorker()
    seen: list[int] = []
    gate = threading.Event()
    finished = []
    first = worker.submit("wait", gate.wait)
    jobs = [worker.submit(f"job {i}", lambda i=i: seen.append(i) or i, finished.append)
            for i in range(3)]
    failing = worker.submit("fail", lambda: (_ for _ in ()).throw(EditError("no")),
                            finished.append)
    older = worker.submit("drag 1", lambda: seen.append(10), key="drag")
    newer = worker.submit("drag 2", lambda: seen.append(20), key="drag")
    assert worker.busy and not jobs[0].done
    gate.set()
    assert newer.wait(5) and older.done and isinstance(older.error, RuntimeError)
    assert seen == [0, 1, 2, 20]
    assert finished == []  # on_done runs only in poll (the GUI thread)
    worker.poll()
    assert [job.label for job in finished] == ["job 0", "job 1", "job 2", "fail"]
    assert isinstance(failing.error, EditError) and jobs[2].result == 2
    assert first.done and not worker.busy
    worker.close()


def test_recent_files_newest_first_without_duplicates(tmp_path):
    recent = RecentFiles(tmp_path / "config" / "recent.json")
    assert recent.list() == []
    for name in ("a.yaml", "b.yaml", "a.yaml"):
        recent.add(tmp_path / name)
    assert recent.list() == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    (tmp_path / "config" / "recent.json").write_text("{broken")
    assert recent.list() == []
