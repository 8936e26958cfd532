"""The routing example patches check, are canonical, and render headless."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nodegraph.clock import VirtualClock
from nodegraph.engine import Engine
from nodegraph.graph import check_patch
from nodegraph.patch import dump_patch, load_patch
from nodegraph.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
PATCHES = sorted((ROOT / "patches").rglob("*.yaml"))


@pytest.mark.parametrize("path", PATCHES, ids=[str(p.relative_to(ROOT)) for p in PATCHES])
def test_patch_checks_is_canonical_and_renders_without_errors(path):
    patch = load_patch(path)
    check_patch(patch, default_registry())
    assert dump_patch(patch) == path.read_text()
    engine = Engine.load(path, clock=VirtualClock())
    engine.run_offline(5.0)
    report = engine.report()
    bad = {i: n["last_error"] for i, n in report["nodes"].items() if n["errors"]}
    assert not bad
    probes = [n for n in report["nodes"].values() if n["type"] == "print"]
    assert all(p["count"] > 0 for p in probes)


def test_latent_offset_jitter_sends_the_adjusted_latent():
    engine = Engine.load(ROOT / "patches" / "latent-offset-jitter.yaml", clock=VirtualClock())
    engine.run_offline(2.0)
    latent = engine.runtime["latent"].node.last
    knobs = engine.runtime["knobs"].last_out["out"]
    engine.close()
    assert latent.shape == (8,)
    assert abs(latent - knobs).max() < 0.5  # drift is small next to the knobs' output


def test_switch_sources_switches_between_both_sources():
    engine = Engine.load(ROOT / "patches" / "switch-sources.yaml", clock=VirtualClock())
    seen = set()
    for _ in range(12):  # the test face turns its head both ways within 6 s
        engine.run_offline(0.5)
        seen.add(engine.runtime["source"].node.report()["selected"])
    count = engine.runtime["latent"].node.count
    engine.close()
    assert seen == {1, 2} and count > 100


def test_an_example_renders_from_the_command_line(tmp_path):
    report = tmp_path / "r.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "nodegraph", "run", "patches/subpatches.yaml",
         "--offline", "--duration", "3", "--report", str(report)],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    nodes = json.loads(report.read_text())["nodes"]
    assert nodes["tilt/knobs"]["calls"] == nodes["show1"]["count"] > 20
