"""The line between the engine and the node library (docs/architecture.md): the
library imports the engine only through ``nodegraph.api``; the engine imports
nothing from the library and finds it through entry points."""

from __future__ import annotations

import ast
from pathlib import Path

import nodegraph.api
from nodegraph.commands import library_commands
from nodegraph.registry import Registry

ROOT = Path(__file__).resolve().parents[1]


def _imports(package: str) -> list[tuple[str, int, str]]:
    """(file, line, imported module) for every absolute import in ``package``'s files,
    including imports inside functions and ``TYPE_CHECKING`` blocks."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.append((str(path.relative_to(ROOT)), node.lineno, node.module))
    return found


def test_the_library_uses_only_the_node_author_api():
    outside = [f"{file}:{line}: {module}" for file, line, module in _imports("nodes")
               if module.split(".")[0] == "nodegraph" and module != "nodegraph.api"]
    assert outside == [], "nodes/ must import the engine through nodegraph.api only"


def test_the_engine_imports_nothing_from_the_library():
    inside = [f"{file}:{line}: {module}" for file, line, module in _imports("nodegraph")
              if module.split(".")[0] == "nodes"]
    assert inside == []
    named = [f"{path.relative_to(ROOT)}" for path in (ROOT / "nodegraph").rglob("*.py")
             if "import_module(\"nodes" in path.read_text(encoding="utf-8")]
    assert named == []


def test_the_api_names_exist_and_are_listed():
    assert sorted(nodegraph.api.__all__) == sorted(set(nodegraph.api.__all__))
    missing = [name for name in nodegraph.api.__all__ if not hasattr(nodegraph.api, name)]
    assert missing == []


def test_a_bare_registry_has_only_the_engine_built_ins():
    assert Registry().names() == ["inlet", "outlet"]


def test_the_library_registers_its_types_and_commands_through_entry_points():
    registry = Registry().discover()
    assert {"regress", "rave-decode", "camera", "inlet", "outlet"} <= set(registry.names())
    assert registry.broken == {}
    commands = library_commands()
    assert {"model", "train"} <= set(commands)
    assert all(not isinstance(module, str) for module in commands.values())
