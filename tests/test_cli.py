"""The nodegraph command line, run as a user runs it (subprocesses)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "patches" / "demo.yaml"


def nodegraph(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "nodegraph", *args], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120, **kwargs)


def test_check_valid_and_invalid(tmp_path):
    assert nodegraph("check", str(DEMO)).returncode == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: nodegraph/1\nnodes:\n  m: {type: metr}\n")
    result = nodegraph("check", str(DEMO), str(bad))
    assert result.returncode == 1
    assert f"{bad}:3: node 'm': unknown node type 'metr'; did you mean metro" in result.stderr


def test_run_writes_the_report(tmp_path):
    report = tmp_path / "r.json"
    result = nodegraph("run", str(DEMO), "--duration", "0.6", "--report", str(report),
                       "--set", "clock.interval_ms=100")
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert 0.6 <= data["duration_s"] < 2.0
    assert set(data["nodes"]) == {"clock", "point", "widen", "show"}
    show = data["nodes"]["show"]
    assert show["type"] == "print" and show["errors"] == 0 and show["calls"] >= 5
    assert show["last"] == [-0.5, 0.0, 0.5]
    assert set(show) >= {"type", "calls", "time_s", "errors"}


def test_offline_run_renders_on_the_virtual_clock(tmp_path):
    report = tmp_path / "r.json"
    result = nodegraph("run", str(DEMO), "--offline", "--duration", "30", "--report", str(report))
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["mode"] == "offline" and data["duration_s"] == 30.0
    assert data["nodes"]["clock"]["sent"] == 121  # 0, 0.25, ... 30.0 s


def test_bad_override_exits_1():
    result = nodegraph("run", str(DEMO), "--duration", "0.1", "--set", "clock.interval_ms=fast")
    assert result.returncode == 1
    assert "param 'interval_ms': expected a number" in result.stderr


def test_ctrl_c_stops_cleanly_and_still_reports(tmp_path):
    report = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "nodegraph", "run", str(DEMO), "--report",
                             str(report)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    watchdog = threading.Timer(60, proc.kill)  # the deadline: EOF ends the wait below
    watchdog.start()
    try:  # Ctrl-C once the patch runs: its print node has logged a value
        lines = []
        while not lines or (" show: " not in lines[-1] and lines[-1]):
            lines.append(proc.stderr.readline())
        assert lines[-1], f"the patch never printed: {''.join(lines)}"
    finally:
        watchdog.cancel()
        watchdog.join()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(report.read_text())["nodes"]["show"]["calls"] >= 1


def test_nodes_lists_types_and_json_schemas():
    listing = nodegraph("nodes")
    assert listing.returncode == 0 and "metro" in listing.stdout
    schemas = json.loads(nodegraph("nodes", "--json").stdout)
    metro = next(s for s in schemas if s["type"] == "metro")
    assert metro["outlets"][0] == {"name": "bang", "type": "bang", "size": None, "like": None,
                                   "doc": "one bang per interval"}
    assert {p["name"] for p in metro["params"]} == {"interval_ms", "autostart"}


def test_model_info_default_shows_the_interface_and_the_card_figures():
    result = nodegraph("model", "info", "default")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "latent_size  8" in out and "ratio        256" in out and "sr           44100 Hz" in out
    assert "streaming    yes" in out
    assert "model card:" in out and "f0 error" in out and "real time" in out
