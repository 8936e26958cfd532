"""osc-out: vectors, numbers and bangs to the network as OSC messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nodegraph.api import BANG, VECTOR, Inlet, Inputs, Node, Param, Timer

from .interop import osc


class OscOut(Node):
    """Send each vector, number or bang as an OSC message to host:port.

    A vector (or a number linked into ``in``) goes out as float32 arguments, a
    bang as the bare address (a status message such as Wekinator's
    ``/wekinator/status/done-training``). ``max_rate`` caps the messages per
    second: a message that arrives before its slot waits, replaced by any newer
    one (counted in ``coalesced``), and leaves when the slot opens, so the
    receiver always ends up with the latest values. The socket is opened once, in
    ``open``; a send that fails flags the node with the reason.
    """

    type_name = "osc-out"
    category = "sink"
    inlets = (Inlet("in", VECTOR, "values to send as float arguments"),
              Inlet("bang", BANG, "send the address with no arguments"))
    address = Param("text", "/wek/outputs", "OSC address of the messages sent")
    host = Param("text", "127.0.0.1", "where to send: an IP address or a host name")
    port = Param("int", 12000, "UDP port to send to", range=(1, 65535))
    max_rate = Param("float", 0.0, "most messages per second; 0 sends every message "
                                   "at once", range=(0.0, 100_000.0))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        osc.check_address(self.address)
        osc.check_host(self.host)
        #: messages sent; messages replaced by a newer one before their slot (max_rate)
        self.messages = 0
        self.coalesced = 0
        self._next_slot = float("-inf")
        self._pending: list[float] | None = None
        self._timer: Timer | None = None
        self._client: osc.SimpleUDPClient | None = None

    def open(self) -> None:
        self.messages = 0
        self.coalesced = 0
        self._next_slot = float("-inf")
        self._pending = None
        self._timer = self.ctx.timer()
        self._client = osc.open_client(self.host, self.port)

    def on_param(self, name: str, value: Any) -> None:
        if name in ("host", "port"):
            self._client.close()
            self._client = osc.open_client(self.host, self.port)
        elif name == "max_rate" and self._timer.pending:
            self._timer.cancel()
            self._flush(self.ctx.now())

    def process(self, inputs: Inputs) -> None:
        if "in" in inputs.changed:
            self._offer(inputs["in"].tolist())
        if "bang" in inputs.changed:
            self._offer([])

    def _offer(self, args: list[float]) -> None:
        """Send now if the rate allows, else keep ``args`` as the pending message."""
        now = self.ctx.now()
        if now >= self._next_slot:
            if self._timer.pending:  # the slot opened before the timer fired
                self._timer.cancel()
                self._pending = None
                self.coalesced += 1
            self._send(args, now)
            return
        if self._pending is not None:
            self.coalesced += 1
        self._pending = args
        if not self._timer.pending:
            self._timer.at(self._next_slot, self._flush)

    def _flush(self, _due: float) -> None:
        """Timer (control thread): send the pending message."""
        args, self._pending = self._pending, None
        if args is None:
            return
        try:
            self._send(args, self.ctx.now())
        except OSError as exc:
            self.ctx.error(exc)

    def _send(self, args: list[float], now: float) -> None:
        try:
            self._client.send_message(self.address, args)
        except OSError as exc:
            raise OSError(f"cannot send OSC to {self.host}:{self.port}: {exc}") from None
        self.messages += 1
        self._next_slot = now + (1.0 / self.max_rate if self.max_rate else 0.0)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def report(self) -> dict[str, Any]:
        return {"sending_to": f"{self.host}:{self.port}", "messages": self.messages,
                "coalesced": self.coalesced}
