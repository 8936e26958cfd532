"""A patch writes only inside its own folder (and its .data/) unless the run allows
more; a listener beyond 127.0.0.1 is announced by check and at start."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from audio_helpers import registry
from nodegraph.cli import main
from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine


def engine_for(folder, text, allow=()):
    (folder / "p.yaml").write_text("format: nodegraph/1\n" + text)
    engine = Engine.load(folder / "p.yaml", registry=registry(), clock=VirtualClock(),
                         allow_write=allow)
    engine.open()
    return engine


@pytest.fixture
def home(tmp_path):
    (tmp_path / "patch").mkdir()
    return tmp_path / "patch"


WAV = "nodes:\n  r: {{type: t-ramp}}\n  w: {{type: wav-out, params: {{path: '{}'}}}}\n" \
      "links:\n  - r.out -> w.audio\n"


def test_wav_out_outside_the_patch_folder_is_refused_and_says_how_to_allow_it(home):
    engine = engine_for(home, WAV.format("../elsewhere/out.wav"))
    rn = engine.runtime["w"]
    engine.close()
    assert rn.status == "failed"
    assert "is outside the patch's folder" in rn.last_error
    assert f"--allow-write {home.parent / 'elsewhere'}" in rn.last_error
    assert not (home.parent / "elsewhere").exists()


def test_a_symlink_out_of_the_folder_is_outside_too(home, tmp_path):
    (tmp_path / "away").mkdir()
    (home / "link").symlink_to(tmp_path / "away")
    engine = engine_for(home, WAV.format("link/out.wav"))
    assert engine.runtime["w"].status == "failed"


def test_allow_write_lets_the_patch_write_there(home, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    engine = engine_for(home, WAV.format("../elsewhere/out.wav"), allow=[tmp_path / "elsewhere"])
    engine.run_offline(0.1)
    assert engine.runtime["w"].status != "failed"
    engine.close()
    assert (tmp_path / "elsewhere" / "out.wav").stat().st_size > 0


def test_inside_the_folder_needs_no_permission(home):
    (home / "takes").mkdir()
    engine = engine_for(home, WAV.format("takes/out.wav"))
    engine.run_offline(0.1)
    engine.close()
    assert (home / "takes" / "out.wav").exists()


@pytest.mark.parametrize("params", ["{folder: ../frames}", "{folder: frames, prefix: ../../x}"])
def test_frame_writer_stays_in_the_patch_folder(home, params):
    engine = engine_for(home, f"nodes:\n  f: {{type: frame-writer, params: {params}}}\n")
    rn = engine.runtime["f"]
    engine.close()
    assert rn.status == "failed" and "outside the patch's folder" in rn.last_error
    assert not (home.parent / "frames").exists()


def test_a_path_arriving_as_a_message_cannot_write_outside(home):
    engine = engine_for(home, "nodes:\n  n: {type: normalize}\n")
    engine.send("n", "in", np.array([0.0, 1.0]))
    engine.send("n", "in", np.array([1.0, 3.0]))
    engine.send("n", "fit")
    engine.send("n", "write", "../../stolen/scaler.json")
    engine.run_offline(0.05)
    assert "outside the patch's folder" in engine.runtime["n"].last_error
    assert not (home.parent.parent / "stolen").exists()
    engine.send("n", "write", "exports/scaler.json")
    engine.run_offline(0.05)
    engine.close()
    assert (home / "exports" / "scaler.json").exists()


OSC = "nodes:\n  o: {{type: osc-in, params: {{host: '{}', port: 50123}}}}\n"


def test_check_notes_a_listener_open_to_other_machines(home, capsys):
    (home / "p.yaml").write_text("format: nodegraph/1\n" + OSC.format("0.0.0.0"))
    assert main(["check", str(home / "p.yaml")]) == 0
    assert "note: node 'o' (osc-in) listens on UDP 0.0.0.0:50123, open to other machines" \
        in capsys.readouterr().out
    (home / "p.yaml").write_text("format: nodegraph/1\n" + OSC.format("127.0.0.1"))
    assert main(["check", str(home / "p.yaml")]) == 0
    assert "note:" not in capsys.readouterr().out


def test_opening_warns_about_a_listener_open_to_other_machines(home, caplog):
    (home / "p.yaml").write_text("format: nodegraph/1\n" + OSC.format("0.0.0.0"))
    engine = Engine.load(home / "p.yaml")
    with caplog.at_level(logging.WARNING):
        engine.open()
    engine.close()
    assert "listens on UDP 0.0.0.0:50123, open to other machines" in caplog.text
