"""YAML with line numbers, safely.

``yaml.safe_load`` forgets where things were; patch errors must name ``file:line``.
This module composes the document with PyYAML's SafeLoader (no tags beyond plain
YAML, so no code can run) and builds plain Python values while recording the line
of every mapping key and sequence item.
"""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[Any, ...]

_PLAIN_TAG = "tag:yaml.org,2002:"

#: More values than a patch could sensibly hold: guards against alias bombs.
MAX_VALUES = 200_000


class YamlProblem(Exception):
    """Malformed YAML (syntax, duplicate keys, non-scalar keys) at a 1-based line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def parse(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML document into plain values and a map path → line.

    Paths are tuples of mapping keys and sequence indexes from the root, e.g.
    ``("nodes", "cam", "params", "source")`` or ``("links", 2)``; ``()`` is the root.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if root is None:
            return None, lines
        return _build(loader, root, (), lines), lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(f"YAML syntax: {exc.problem or exc.context}; check indentation, "
                          "colons and quotes", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML: {exc}", None) from None
    finally:
        loader.dispose()


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> Any:
    if len(lines) > MAX_VALUES:
        raise YamlProblem(f"more than {MAX_VALUES} values (aliases expanding?)", None)
    lines[path] = node.start_mark.line + 1
    if not node.tag.startswith(_PLAIN_TAG) or node.tag.startswith(_PLAIN_TAG + "python/"):
        raise YamlProblem(f"tag {node.tag!r} is not allowed in a patch; write plain values",
                          lines[path])
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a mapping key must be a plain name", line)
            key = loader.construct_object(key_node)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem(f"a mapping key must be a plain name, got {key!r}", line)
            if key in out:
                raise YamlProblem(f"{key!r} appears twice (first at line {lines[path + (key,)]}); "
                                  "keep one", line)
            out[key] = _build(loader, value_node, path + (key,), lines)
            lines[path + (key,)] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node)
