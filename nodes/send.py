"""send: hand messages to every receive of the same name, without a link."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import ANY, Inlet, Inputs

from .control.names import Named


class Send(Named):
    """Send each message to every receive with the same name and scope.

    Names are local to the patch instance by default (``scope: patch``): inside an
    abstraction included twice, each instance has its own channels. ``scope: global``
    reaches every patch instance in the running engine. The message leaves the
    receivers on a later tick (as from a source), so send/receive may close a loop.
    A message with no receiver is counted in the report (``unheard``).
    """

    type_name = "send"
    inlets = (Inlet("in", ANY, "message to send"),)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: messages sent that no receive heard
        self.unheard = 0

    def open(self) -> None:
        self.unheard = 0

    def process(self, inputs: Inputs) -> None:
        if self.ctx.names.publish(self.key, inputs["in"], inputs.t) == 0:
            self.unheard += 1

    def report(self) -> dict[str, Any]:
        return {"unheard": self.unheard}
