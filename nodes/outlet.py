"""outlet: an output port of an abstraction or inline subpatch."""

from __future__ import annotations

from .control.boundary import Boundary


class SubpatchOutlet(Boundary):
    """An output port of the patch it is in; the node id names the port.

    When the patch is used as a subpatch, its outlet nodes, in the order they are
    written, are the subpatch node's outlets: what arrives at this node's ``in``
    leaves the subpatch node there, messages in the same tick, audio (``type:
    audio``) in the same block, without a copy.
    """

    type_name = "outlet"
