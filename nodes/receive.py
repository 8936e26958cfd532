"""receive: messages from every send of the same name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import ANY, Outlet

from .control.names import Named


class Receive(Named):
    """Send out every message that a send of the same name and scope received.

    Messages keep their source timestamps and leave on the tick after the send ran.
    See ``send`` for scopes.
    """

    type_name = "receive"
    category = "routing"
    outlets = (Outlet("out", ANY, "messages sent to this name"),)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        #: the channel subscribed to, None while not subscribed
        self._subscribed: tuple[str, ...] | None = None

    def open(self) -> None:
        self._subscribed = self.key
        self.ctx.names.subscribe(self._subscribed, self._deliver)

    def _deliver(self, value: Any, t: float) -> None:
        self.ctx.post("out", value, t)

    def on_param(self, name: str, value: Any) -> None:
        if self.key != self._subscribed:
            self.ctx.names.unsubscribe(self._subscribed, self._deliver)
            self.open()

    def close(self) -> None:
        if self._subscribed is not None:
            self.ctx.names.unsubscribe(self._subscribed, self._deliver)
            self._subscribed = None
