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
#: Deeper nesting than a patch could sensibly hold: guards the composer's and our own
#: recursion (and an anchor that contains itself, which would nest forever).
MAX_NESTING = 64


class YamlProblem(Exception):
    """Malformed YAML (syntax, duplicate keys, non-scalar keys) at a 1-based line."""

    def __init__(self, message: str, line: int | None, syntax: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        #: the text is not YAML at all (as opposed to YAML a patch may not hold)
        self.syntax = syntax


def parse(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse one YAML document into plain values and a map path → line.

    Paths are tuples of mapping keys and sequence indexes from the root, e.g.
    ``("nodes", "cam", "params", "source")`` or ``("links", 2)``; ``()`` is the root.
    """
    loader = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if root is None:
            return None, lines
        return _build(loader, root, (), lines, 0), lines
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(f"YAML: {exc.problem}; write plain values (merge keys and "
                          "other tags are not read in a patch)",
                          mark.line + 1 if mark else None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(f"YAML syntax: {exc.problem or exc.context}; check indentation, "
                          "colons and quotes", mark.line + 1 if mark else None,
                          syntax=True) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(text, str) else None
        code = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or "\0")
        raise YamlProblem(f"character U+{code:04X} cannot be in a YAML file; remove it "
                          "(control characters other than tab and newline are not "
                          "allowed)", line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML: {exc}", None) from None
    finally:
        if loader is not None:
            loader.dispose()


class _Loader(yaml.SafeLoader):
    """The SafeLoader, refusing nesting deeper than ``MAX_NESTING`` while composing
    (PyYAML's composer recurses once per level)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise YamlProblem(f"nested more than {MAX_NESTING} deep; flatten it",
                                  self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct(loader: yaml.SafeLoader, node: yaml.ScalarNode, line: int) -> Any:
    """A scalar's value; an explicit tag the text does not fit (``!!int abc``,
    ``!!bool maybe``) is a YamlProblem at ``line``."""
    try:
        return loader.construct_object(node)
    except yaml.YAMLError:
        raise
    except Exception:
        tag = node.tag.removeprefix(_PLAIN_TAG)
        value = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        raise YamlProblem(f"{value!r} is not a valid !!{tag}; fix the value or remove "
                          "the tag", line) from None


def _build(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict[Path_, int],
           depth: int) -> Any:
    if len(lines) > MAX_VALUES:
        raise YamlProblem(f"more than {MAX_VALUES} values (aliases expanding?)",
                          node.start_mark.line + 1)
    if depth > MAX_NESTING:
        raise YamlProblem(f"nested more than {MAX_NESTING} deep (an anchor that contains "
                          "itself?); flatten it", node.start_mark.line + 1)
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
            key = _construct(loader, key_node, line)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlProblem(f"a mapping key must be a plain name, got {key!r}", line)
            if key in out:
                raise YamlProblem(f"{key!r} appears twice (first at line {lines[path + (key,)]}); "
                                  "keep one", line)
            out[key] = _build(loader, value_node, path + (key,), lines, depth + 1)
            lines[path + (key,)] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, path + (i,), lines, depth + 1)
                for i, item in enumerate(node.value)]
    return _construct(loader, node, lines[path])
