"""Keys for named channels (send/receive): a name plus the scope it lives in.

``patch`` scope (the default) keeps a name inside one patch instance, as Pd's
``$0-`` prefix does: an abstraction included twice gets two separate channels. A
node's instance is its id up to the last ``/`` (the engine runs subpatches
flattened, with ids such as ``voice1/osc``), so ``voice1/snd`` and ``voice1/rcv``
share a scope while ``voice2/rcv`` does not. ``global`` scope spans the whole running
engine: the top patch and every subpatch instance in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import Node, Param, ParamError

SCOPES = ("patch", "global")


def channel_key(node_id: str, name: str, scope: str) -> tuple[str, ...]:
    """The name-table key for ``name`` seen from node ``node_id``."""
    if scope == "global":
        return ("global", name)
    return ("patch", node_id.rpartition("/")[0], name)


class Named(Node):
    """Base of send and receive: a channel name and its scope."""

    category = "routing"
    name = Param("text", "bus", "channel name: a send reaches the receives of the same name")
    scope = Param("choice", "patch", "patch: this patch instance only; global: the whole "
                  "running engine", choices=SCOPES)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        if not self.name.strip():
            raise ParamError(f"{self.type_name} needs a name, e.g. name: latent", "name")

    @property
    def key(self) -> tuple[str, ...]:
        return channel_key(self.id, self.name, self.scope)
