"""inlet: an input port of an abstraction or inline subpatch."""

from __future__ import annotations

from .control.boundary import Boundary


class SubpatchInlet(Boundary):
    """An input port of the patch it is in; the node id names the port.

    When the patch is used as a subpatch (``include:`` or ``subpatch:``), its inlet
    nodes, in the order they are written, are the ports of the subpatch node, and
    what is linked into a port arrives at this node's ``out``. ``type`` and ``size``
    are checked against what the including patch links in. In a patch run on its
    own, an inlet receives nothing (the engine can ``send`` to it).
    """

    type_name = "inlet"
