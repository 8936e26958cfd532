"""inlet: an input port of an abstraction or inline subpatch."""

from __future__ import annotations

from .control.boundary import Boundary


class SubpatchInlet(Boundary):
    """An input port of the patch it is in; the node id names the port.

    When the patch is used as a subpatch (``include:`` or ``subpatch:``), its inlet
    nodes, in the order they are written, are the ports of the subpatch node, and
    what is linked into a port arrives at this node's ``out``: messages in the same
    tick, audio (``type: audio``) in the same block, without a copy. ``type`` and
    ``size`` are checked against what the including patch links in. In a patch run
    on its own, an inlet receives nothing (silence for audio; the engine can
    ``send`` it messages).
    """

    type_name = "inlet"
