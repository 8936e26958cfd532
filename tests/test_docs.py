"""The generated node reference is current and complete; the patch-format example is real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from nodegraph.docs import REGENERATE, node_reference
from nodegraph.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
NODES_MD = ROOT / "docs" / "nodes.md"


def test_docs_nodes_md_is_current():
    expected = node_reference(default_registry())
    assert NODES_MD.read_text() == expected, (
        f"docs/nodes.md is out of date with the node classes; regenerate it: {REGENERATE}")


def test_every_node_appears_with_its_ports_and_params():
    text = node_reference(default_registry())
    sections = {chunk.split("`", 2)[1]: chunk for chunk in text.split("\n### ")[1:]}
    registry = default_registry()
    assert set(sections) == set(registry.names())
    for schema in registry.schemas():
        section = sections[schema["type"]]
        assert schema["summary"].replace("``", "`") in section
        for port in schema["inlets"] + schema["outlets"] + schema["params"]:
            assert f"| `{port['name']}` |" in section, (schema["type"], port["name"])


def test_cli_prints_the_same_reference():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "nodegraph", "nodes", "--markdown"],
                            capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert result.returncode == 0 and result.stdout == NODES_MD.read_text()


def test_patch_format_shows_the_shipped_subpatch_example():
    doc = (ROOT / "docs" / "patch-format.md").read_text()
    example = doc.split("## Subpatches", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    assert example == (ROOT / "patches" / "subpatches.yaml").read_text()
