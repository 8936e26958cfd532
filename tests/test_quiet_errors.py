"""Noise that hides real errors: a busy OSC port is one clear line, not one traceback
per node; Ctrl-C during an offline render writes the report; repeated warnings are
rate-limited; recording stops at a cap."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nodegraph.context import RateLimit
from nodes.iml.dataset import MAX_EXAMPLES, ExampleStore

from engine_helpers import wait_for

ROOT = Path(__file__).resolve().parents[1]


def nodegraph(*args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "nodegraph", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def test_a_busy_osc_port_is_one_clear_line_without_tracebacks(tmp_path):
    busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    busy.bind(("127.0.0.1", 0))
    port = busy.getsockname()[1]
    patch = tmp_path / "p.yaml"
    patch.write_text("format: nodegraph/1\nnodes:\n" + "".join(
        f"  in{i}: {{type: osc-in, params: {{port: {port}, address: /a{i}}}}}\n"
        for i in range(9)))
    proc = nodegraph("run", str(patch), "--duration", "0.3")
    out, err = proc.communicate(timeout=120)
    busy.close()
    assert "Traceback" not in err
    assert err.count(f"cannot listen for OSC on 127.0.0.1:{port}: the port is already in "
                     "use") == 1
    assert out.count("failed") == 9  # every node's status still says so


def test_ctrl_c_during_an_offline_render_writes_the_report(tmp_path):
    patch = tmp_path / "p.yaml"
    patch.write_text("""\
format: nodegraph/1
nodes:
  point: {type: constant, params: {value: [0, 0, 0, 0, 0, 0, 0, 0]}}
  dec: {type: rave-decode, params: {model: default}}
  out: {type: audio-out}
links:
  - point.out -> dec.latent
  - dec.audio -> out.audio
""")
    report, take = tmp_path / "r.json", tmp_path / "take.wav"
    proc = nodegraph("run", str(patch), "--offline", "--duration", "100000", "--report",
                     str(report), "--out", str(take))
    deadline = time.monotonic() + 120
    lines = []
    while time.monotonic() < deadline:  # wait until it runs
        line = proc.stderr.readline()
        lines.append(line)
        if "running" in line or not line:
            break
    wait_for(lambda: take.exists() and take.stat().st_size > 100_000 or proc.poll() is not None,
             "a second of the render written")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    err = "".join(lines) + err
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    written = json.loads(report.read_text())
    assert 0 < written["duration_s"] < 100000
    assert written["ended_by"] == "interrupted"


def test_a_repeated_warning_is_rate_limited_and_counts_what_it_dropped(caplog):
    log = logging.getLogger("nodegraph.node.test-rate-limit")
    log.addFilter(RateLimit())
    with caplog.at_level(logging.INFO, logger=log.name):
        for _ in range(1000):
            log.warning("run: nothing trained yet; the target passes through")
            log.info("fitted")
    warned = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1  # the same template within 5 s
    assert sum(r.getMessage() == "fitted" for r in caplog.records) == 1000  # info untouched
    later = logging.LogRecord(log.name, logging.WARNING, "", 0,
                              "run: nothing trained yet; the target passes through", (), None)
    later.created = warned[0].created + RateLimit.WINDOW_S + 1
    for handler_filter in log.filters:
        assert handler_filter.filter(later)
    assert "(999 more like this in the last" in later.getMessage()


def test_recording_stops_at_the_cap_with_a_clear_error(tmp_path):
    store = ExampleStore()
    store.open(None)  # memory only: the cap holds the same on disk
    x, y = np.zeros(2), np.zeros(1)
    for _ in range(MAX_EXAMPLES):
        store.add(x, y, 1)
    with pytest.raises(ValueError, match=f"{MAX_EXAMPLES} examples is the most"):
        store.add(x, y, 1)
    assert len(store) == MAX_EXAMPLES
