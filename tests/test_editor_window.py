"""The node editor in a real window under Xvfb.

Each test runs one scenario of ``editor_scenarios.py`` in an editor subprocess (one
DearPyGui context per process) on the session's private X server, then asserts on
what the engine, the window's items and its screenshots show. Reference screenshots
in ``tests/editor_refs/`` (kept at quarter size) are compared loosely (16×16-pixel
tile means), so live values and font details may differ while the layout may not;
``NODEGRAPH_UPDATE_EDITOR_REFS=1`` rewrites them after an intended change.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nodegraph.engine import Engine

from editor_helpers import (ROOT, FakeInput, colour_fraction, editor_env, read_png,
                            reference_difference, run_scenario)
from editor_scenarios import SAVE_EDITS

#: Tile-mean difference (0..255) below which a screenshot matches its reference (runs
#: differ by about 0.1; the demo moved 40 px differs by about 4).
MATCHES_REFERENCE = 2.0
#: Colours that must appear in a screenshot of a running patch (nodegraph.editor.theme).
OK_TITLE = (40, 110, 70)
VECTOR_PIN = (64, 160, 240)
FRAME_LINK = (230, 126, 34)
LANDMARKS_OVERLAY = (80, 255, 120)


def test_loaded_patch_is_drawn_and_keeps_ticking_while_rendering(xvfb_display, tmp_path):
    result = run_scenario("draw", xvfb_display, tmp_path)
    assert result["nodes"] == ["clock", "point", "show", "widen"]
    assert result["node_items"] == 4
    assert result["links"] == result["patch_links"] and result["link_items"] == 3
    assert result["positions"] == {"clock": [20, 20], "point": [20, 220], "widen": [240, 220],
                                   "show": [460, 220]}
    ticks_before, ticks_after = result["ticks"]
    printed_before, printed_after = result["printed"]
    assert result["frames"] > 10
    assert ticks_after > ticks_before and printed_after >= printed_before + 3
    assert result["status"]["widen"] == "ok"
    assert result["readout_widen"] == "[-0.5 0 0.5]"
    assert result["map_message"].startswith("No regress node")

    shot = read_png(result["screenshot"])
    assert shot.shape[:2] == (860, 1440)
    assert colour_fraction(shot, OK_TITLE) > 0.002
    assert colour_fraction(shot, VECTOR_PIN) > 0.0001  # pins and links
    assert reference_difference(shot, "demo.png") < MATCHES_REFERENCE


def test_every_edit_undoes_and_redoes_exactly(xvfb_display, tmp_path):
    result = run_scenario("undo", xvfb_display, tmp_path)
    texts, views = result["texts"], result["views"]
    assert len(texts) == 9 and len(set(texts)) == 9  # each gesture changed the patch
    assert "print: {type: print}" in texts[1]
    assert "widen.out -> print.in" in texts[2]
    assert "out_hi: 3.0" in texts[3] and "out_hi: 1.5" not in texts[3]  # one drag, one step
    assert "value: [0.25, 0.9, 0.75]" in texts[4]
    assert "point: [60, 330]" in texts[5]
    assert "point2: {type: constant" in texts[6] and "point2.out -> widen2.in" in texts[6]
    assert "point.out -> widen.in" not in texts[7]
    assert "show" not in texts[8]
    for step, (text, view) in enumerate(reversed(result["undone"])):
        assert text == texts[step], f"undo to step {step} differs"
        assert view == views[step], f"canvas after undo to step {step} differs from the patch"
    for step, (text, view) in enumerate(result["redone"], start=1):
        assert text == texts[step] and view == views[step]
    for view, text in zip(views, texts):
        assert view["node_items"] == len(view["nodes"]) and view["link_items"] == len(view["links"])
    assert "widen2" in result["runtime_after_redo"] and "show" not in result["runtime_after_redo"]


def test_refused_links_change_nothing_and_say_why(xvfb_display, tmp_path):
    result = run_scenario("refused", xvfb_display, tmp_path)
    attempts = result["attempts"]
    for attempt in attempts.values():
        assert attempt["is_error"] and attempt["text_unchanged"]
        assert attempt["link_items"] == result["links_before"]
    assert "clock.bang sends bang but widen.in takes vector" in attempts["bang->vector"]["status"]
    assert "already exists" in attempts["duplicate"]["status"]
    assert "from an outlet" in attempts["inlet->inlet"]["status"]
    param = result["param"]
    assert "in_lo and in_hi are equal" in param["status"] and param["text_unchanged"]
    assert param["widget"] == 1.0 and param["panel_widget"] == 1.0  # back to the engine's
    assert not result["can_undo"]


def test_saving_writes_what_the_engine_writes(xvfb_display, tmp_path):
    result = run_scenario("save", xvfb_display, tmp_path / "editor")
    reference = Engine.load(ROOT / "patches" / "demo.yaml")
    for edit in SAVE_EDITS:
        reference.do(edit)
    reference.save(tmp_path / "engine.yaml")
    expected = (tmp_path / "engine.yaml").read_text()
    assert result["saved"] == expected
    assert result["copy"] == expected
    assert result["titles"] == ["patch.yaml - nodegraph", "patch.yaml* - nodegraph",
                                "patch.yaml - nodegraph"]
    assert result["recent"][:2] == [str(tmp_path / "editor" / "copy.yaml"),
                                    str(tmp_path / "editor" / "patch.yaml")]
    assert result["prompt_shown"] and result["cancelled_keeps_running"]
    opened = result["opened"]  # File > Open replaced the patch, drawn and playing
    assert opened["nodes"] == ["count", "tick"] and opened["links"] == ["tick.bang -> count.in"]
    assert opened["node_items"] == 2 and opened["link_items"] == 1
    assert opened["title"] == "other.yaml - nodegraph"
    assert opened["recent"] == str(tmp_path / "editor" / "other.yaml")
    assert result["quit_after_discard"]
    assert result["file_after_discard"] == expected  # "Don't save" wrote nothing


def test_performance_panel_and_latent_map(xvfb_display, tmp_path):
    result = run_scenario("perform", xvfb_display, tmp_path)
    assert result["examples"] == [3, 4]  # the panel's record button recorded one
    panel = result["panel"]
    assert panel["examples"] == "examples: 4"
    assert panel["progress"] == 1.0 and panel["loss_curve_points"] == 20
    assert panel["level_db"] == pytest.approx(0.8)  # -12 dBFS on a -60..0 meter
    assert panel["underruns"] == "underruns: 0" and panel["latency_ms"] == "latency_ms: 23.5"
    assert panel["explore_sliders"] == [True, True, True]
    assert panel["explore_point"] == [0.0, 0.0, 1.5]
    assert panel["picker_shown"] and panel["picker_closed"]
    assert panel["model_param"] == str(tmp_path / "model.ts")

    failing = result["failing"]
    assert failing["line"].startswith("error") and "ValueError: negative input" in failing["line"]
    assert failing["hover"] == "ValueError: negative input"
    assert not {"error", "failed"} & set(failing["others"].values())  # the rest plays on

    latent = result["map"]
    assert latent["node"] == "map" and latent["dims"] == [0, 1]
    assert latent["colour_by"] == [0, None]
    assert latent["bookmarks"] == [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    (x0, x1), (y0, y1) = latent["bounds"]
    live_x, live_y = latent["live"]
    assert x0 < 0.2 and x1 > 0.8 and y0 < 0.3 and y1 > 0.9  # the examples fit
    assert x0 < live_x < x1 and y0 < live_y < y1

    panel_shot, map_shot = (read_png(p) for p in result["screenshots"])
    assert colour_fraction(panel_shot, FRAME_LINK) > 0.0001  # camera → landmarker link
    assert colour_fraction(panel_shot, LANDMARKS_OVERLAY, 30) > 0.0002  # drawn on the preview
    assert reference_difference(panel_shot, "perform.png") < MATCHES_REFERENCE
    assert reference_difference(map_shot, "map.png") < MATCHES_REFERENCE
    bookmark_red, bookmark_blue = (230, 77, 64), (64, 153, 230)  # readouts.CATEGORY_COLOURS
    assert colour_fraction(map_shot, bookmark_red, 20) > 0.01
    assert colour_fraction(map_shot, bookmark_blue, 20) > 0.01


def test_edit_command_renders_runs_and_screenshots(xvfb_display, tmp_path):
    shot = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, "-m", "nodegraph", "edit", str(ROOT / "patches" / "demo.yaml"),
         "--screenshot", str(shot), "--quit-after", "1.5"],
        env=editor_env(xvfb_display, tmp_path), cwd=ROOT, capture_output=True, text=True,
        timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    image = read_png(shot)
    assert image.shape[:2] == (860, 1440)
    assert colour_fraction(image, OK_TITLE) > 0.002  # nodes ran while the window rendered
    assert "show: [-0.5 0 0.5]" in result.stderr


def test_edit_command_takes_loop_actions_over_osc(xvfb_display, tmp_path):
    """``nodegraph edit --control osc:PORT``: a foot switch (here python-osc) bookmarks
    and records in the open editor; both are on disk at once."""
    import json
    import socket
    import time

    from pythonosc.udp_client import SimpleUDPClient

    patch = tmp_path / "foot.yaml"
    patch.write_text("format: nodegraph/1\nnodes:\n"
                     "  explorer: {type: latent-explorer, params: {size: 2}}\n"
                     "  map: {type: regress, params: {algorithm: knn}}\n"
                     "links:\n  - explorer.out -> map.target\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nodegraph", "edit", str(patch), "--control", f"osc:{port}",
         "--quit-after", "60"], env=editor_env(xvfb_display, tmp_path), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bookmarks = tmp_path / "foot.data" / "explorer" / "bookmarks.json"
    journal = tmp_path / "foot.data" / "map" / "journal.jsonl"
    osc = SimpleUDPClient("127.0.0.1", port)
    try:
        deadline = time.monotonic() + 50
        while not (bookmarks.exists() and journal.exists() and journal.read_text()):
            assert proc.poll() is None and time.monotonic() < deadline, "nothing arrived"
            osc.send_message("/explorer/bookmark", "foot")
            osc.send_message("/map/x", [0.5])
            osc.send_message("/map/record", [])
            time.sleep(0.3)
    finally:
        proc.kill()
        proc.wait()
    assert list(json.loads(bookmarks.read_text())["bookmarks"]) == ["foot"]


def test_edit_command_without_a_display_says_what_to_do(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "nodegraph", "edit", "x.yaml"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "xvfb-run" in result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_edit_command_reports_a_broken_patch(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: nodegraph/1\nnodes:\n  m: {type: metr}\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPLAY": ":nonexistent"}
    result = subprocess.run([sys.executable, "-m", "nodegraph", "edit", str(bad)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"{bad}:3: node 'm': unknown node type 'metr'; did you mean metro" in result.stderr
    assert bad.read_text() == "format: nodegraph/1\nnodes:\n  m: {type: metr}\n"


def test_a_user_patches_with_mouse_and_keyboard(xvfb_display, tmp_path):
    """Real X input events (XTEST): drag links and nodes, type, shortcuts, add box."""
    try:
        FakeInput(xvfb_display).close()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    steps = run_scenario("real_input", xvfb_display, tmp_path)
    assert "widen.out -> show.in" in steps["link"]["links"]
    assert steps["link"]["link_items"] == 3
    refused = steps["refused"]
    assert refused["text"] == steps["link"]["text"] and refused["link_items"] == 3
    assert "clock.bang sends bang but widen.in takes vector" in refused["status"]
    assert steps["move"]["positions"]["show"] == [660, 360]
    assert "show: [660, 360]" in steps["move"]["text"]
    assert steps["typing"] == {"field": "an", "nodes": ["clock", "point", "widen", "show"]}
    assert "label: an" in steps["label"]["text"]
    assert steps["undo"]["text"] == steps["move"]["text"]  # Ctrl+Z
    assert steps["redo"]["text"] == steps["label"]["text"]  # Ctrl+Shift+Z
    assert steps["selected_links"] == ["widen.out -> show.in"]  # clicked on its curve
    assert "widen.out -> show.in" not in steps["unlink"]["links"]  # Delete
    assert steps["unlink"]["link_items"] == 2
    assert steps["detach"]["status"] == "disconnect widen.out -> show.in"  # after Ctrl+Z,
    assert steps["detach"]["links"] == steps["unlink"]["links"]  # Ctrl+drag unplugged it
    assert steps["selected"] == ["widen"]
    assert steps["delete"]["nodes"] == ["clock", "point", "show"]
    assert steps["delete"]["links"] == ["clock.bang -> point.bang"]
    assert steps["palette"] is True
    assert steps["add"]["nodes"] == ["clock", "metro", "point", "show"]
    assert steps["add"]["positions"]["metro"] == steps["mouse_grid"]  # where the mouse was
    assert steps["playing_after_space"] is False
    assert steps["title"] == "patch.yaml - nodegraph"  # Ctrl+S saved
    assert steps["saved"] == steps["add"]["text"]


def test_the_real_face_chain_records_trains_and_runs_from_the_panel(xvfb_display, tmp_path):
    """camera (test face) → facemesh → face-features → regress ← latent-explorer."""
    result = run_scenario("face_chain", xvfb_display, tmp_path)
    assert result["landmarks_overlaid"] == 478  # facemesh drawn over the camera preview
    assert result["sliders"] == [True, True, True, True, False]  # one per latent axis
    assert result["explorer_values"] == [-1.0, 0.5, 0.0, 0.0]
    assert result["bookmarks"] == {"bright": [1.0, 0.0, 0.0, 0.0], "dark": [-1.0, 0.5, 0.0, 0.0]}
    assert result["report"] == {"examples": 6, "trained": True, "running": True, "progress": 1.0}
    assert result["panel"] == {"examples": "examples: 6", "progress": 1.0,
                               "trained": "* trained", "running": "* running"}
    assert len(result["smooth_out"]) == 4 and any(v != 0.0 for v in result["smooth_out"])
    assert result["map"]["node"] == "map" and result["map"]["message"].startswith("map: predicted")
    assert result["map"]["bookmarks"] == [[1.0, 0.0, 0.0, 0.0], [-1.0, 0.5, 0.0, 0.0]]
    assert not {"error", "failed"} & set(result["statuses"].values())
    panel_shot, map_shot = (read_png(p) for p in result["screenshots"])
    assert colour_fraction(panel_shot, LANDMARKS_OVERLAY, 30) > 0.001
    assert colour_fraction(map_shot, (230, 77, 64), 20) > 0.005  # bookmark colours
    assert colour_fraction(map_shot, (64, 153, 230), 20) > 0.005


def test_a_performer_rehearses_the_loop_with_keys_and_the_mouse(xvfb_display, tmp_path):
    """The loop surface on the real nodes, from an empty dataset, real X input only."""
    try:
        FakeInput(xvfb_display).close()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    steps = run_scenario("loop", xvfb_display, tmp_path)
    assert steps["loop"] == ["map", "explorer"]
    shown = {name for name, on in steps["params_shown"].items() if on}
    assert shown == {"algorithm", "k", "autorun"}  # knn: the mlp's params are hidden
    assert steps["sliders_follow"] == pytest.approx(steps["first"], abs=1e-6)
    assert steps["bookmarks"] == ["b1", "b2"]
    assert steps["auditioned"] == pytest.approx(steps["first"], abs=1e-6)
    assert steps["mode"] == "count-in"
    assert steps["count_in_text"].endswith(" s") and "count-in" in steps["count_in_text"]
    assert steps["rounds"] == 3 and all(n >= 2 for n in steps["per_round"])
    assert steps["recorded_targets_match"]  # each pose paired with the sound playing
    assert steps["running_plays_pose_2"]
    assert steps["after_delete"] == steps["examples_before_delete"] - 1
    assert steps["retrained"]
    assert steps["play_mode"] == "play-along"
    assert steps["play_along_rounds"] == 2  # one round per bookmark, each with its sound
    assert steps["play_along_targets"] == steps["bookmark_points"]
    assert steps["presentation_button"][0] >= 200  # Ctrl+E: the loop's buttons grow
    assert not {"error", "failed"} & set(steps["statuses"].values())
    shot = read_png(steps["screenshot"])
    assert shot.shape[:2] == (860, 1440)
