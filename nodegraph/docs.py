"""The node reference, ``docs/nodes.md``, generated from the registry.

Everything in it comes from the node classes (docstring, ports, params), so nothing
about a node is written twice: change the class, then regenerate with
``nodegraph nodes --markdown > docs/nodes.md``. A test checks the committed file is
current.
"""

from __future__ import annotations

import re
from typing import Any

from .patch import flow
from .registry import Registry

REGENERATE = "PYTHONPATH=. python -m nodegraph nodes --markdown > docs/nodes.md"

_LITERAL = re.compile(r"``(.+?)``")


def node_reference(registry: Registry) -> str:
    """The Markdown text of the node reference for every type in ``registry``."""
    schemas = registry.schemas()
    categories: dict[str, list[dict[str, Any]]] = {}
    for schema in schemas:
        categories.setdefault(schema["category"], []).append(schema)
    out = [
        "# Node reference",
        "",
        f"<!-- Generated from the node registry by `{REGENERATE}`; do not edit. -->",
        "",
        f"{len(schemas)} node types. Ports are shown with default params; where a param",
        "sets the ports (`count`, `inputs`, `keys`), the description says how. Defaults",
        "are written as in a patch file. Subpatches (`include:`, `subpatch:`) are",
        "described in [patch-format.md](patch-format.md#subpatches).",
        "",
        "| category | types |",
        "|---|---|",
    ]
    for category in sorted(categories):
        links = ", ".join(f"[`{s['type']}`](#{s['type']})" for s in categories[category])
        out.append(f"| {category} | {links} |")
    for category in sorted(categories):
        out += ["", f"## {category}"]
        for schema in categories[category]:
            out += ["", *_node_section(schema)]
    return "\n".join(out) + "\n"


def _node_section(schema: dict[str, Any]) -> list[str]:
    out = [f"### `{schema['type']}`", "", _markdown(schema["doc"])]
    realtime = schema["realtime_only"]
    flags = [text for text, shown in (
        ("breaks cycles (sends on a later tick)", schema["breaks_cycles"]),
        ("real time only (wall-clock source)" if realtime is True else
         f"real time only {realtime} (wall-clock source)", realtime)) if shown]
    if flags:
        out += ["", "*" + "; ".join(flags).capitalize() + ".*"]
    if schema["inlets"]:
        out += ["", "| inlet | type | hot | size | doc |", "|---|---|---|---|---|"]
        out += [f"| `{p['name']}` | {p['type']} | {'hot' if p['hot'] else 'cold'} | "
                f"{_size(p['size'])} | {_cell(p['doc'])} |" for p in schema["inlets"]]
    if schema["outlets"]:
        out += ["", "| outlet | type | size | doc |", "|---|---|---|---|"]
        out += [f"| `{p['name']}` | {p['type']} | {_outlet_size(p)} | {_cell(p['doc'])} |"
                for p in schema["outlets"]]
    if schema["params"]:
        out += ["", "| param | type | default | range | doc |", "|---|---|---|---|---|"]
        out += [f"| `{p['name']}` | {p['type']} | `{_cell(flow(p['default']))}` | "
                f"{_range(p)} | {_cell(p['doc'])} |" for p in schema["params"]]
    return out


def _markdown(doc: str) -> str:
    """A docstring as Markdown: reST ``literals`` become `literals`."""
    return _LITERAL.sub(r"`\1`", doc)


def _cell(text: str) -> str:
    return _markdown(text).replace("|", "\\|")


def _size(size: int | str | None) -> str:
    if size is None:
        return ""
    return f"{size}" if isinstance(size, int) else f"`{size}`"


def _outlet_size(outlet: dict[str, Any]) -> str:
    if outlet["like"] and outlet["size"] is None:
        return f"as `{outlet['like']}`"
    return _size(outlet["size"])


def _range(param: dict[str, Any]) -> str:
    if param["choices"]:
        return ", ".join(f"`{c}`" for c in param["choices"])
    if param["range"]:
        lo, hi = param["range"]
        return f"{lo:g} … {hi:g}"
    return ""
