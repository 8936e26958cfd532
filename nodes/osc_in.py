"""osc-in: OSC messages from the network as vectors, bangs and text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import BANG, TEXT, UNKNOWN, VECTOR, Node, Outlet, Param, PortInfo

from .interop import osc


class OscIn(Node):
    """Receive OSC messages sent to one address: numbers out as a vector, plus a bang.

    Listens on UDP ``host:port``: 127.0.0.1 by default, so only programs on this
    machine can send; 0.0.0.0 opens the port to every network. Several osc-in
    nodes may share one port, each with its own address; a Wekinator patch has one
    for ``/wek/inputs`` and one per ``/wekinator/control/*`` message, all on 6448.

    For each message whose address matches: its numeric arguments (ints, floats,
    true/false as 1/0) leave on ``out`` as a float32 vector, its string arguments
    on ``text`` (joined by spaces), and ``bang`` fires; a message without arguments
    (a Wekinator control message) only bangs. Other argument types (blobs, arrays,
    MIDI) are ignored. With ``size`` > 0, a message carrying another number of
    numeric arguments is dropped, counted (``wrong_size``) and logged once per new
    count; one whose values are not finite in float32 is dropped and counted
    (``non_finite``). Packets that are not OSC are counted per port
    (``malformed``) and never stop the server. Messages leave with their arrival
    time as timestamp.
    """

    type_name = "osc-in"
    category = "source"
    realtime_only = True
    outlets = (Outlet("out", VECTOR, "the numeric arguments", size="size"),
               Outlet("bang", BANG, "every accepted message, with or without arguments"),
               Outlet("text", TEXT, "the string arguments, joined by spaces"))
    address = Param("text", "/wek/inputs",
                    "OSC address to receive; * matches any text, e.g. /fader/*")
    port = Param("int", 6448, "UDP port to listen on", range=(1, 65535))
    host = Param("text", "127.0.0.1", "interface to listen on: 127.0.0.1 this machine "
                                      "only, 0.0.0.0 every network")
    size = Param("int", 0, "numeric arguments each message must carry (others are "
                           "dropped); 0 accepts any number", range=(0, 65535))

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        osc.check_address(self.address)
        osc.check_host(self.host)
        #: messages posted; dropped for their count of numbers; dropped as not finite
        self.messages = 0
        self.wrong_size = 0
        self.non_finite = 0
        self._warned_counts: set[int] = set()
        self._subscription: osc.Subscription | None = None

    def exposure(self) -> str | None:
        if osc.is_loopback(self.host):
            return None
        return (f"listens on UDP {self.host}:{self.port}, open to other machines on the "
                "network; set host: 127.0.0.1 unless that is meant")

    def port_info(self, inlets: Mapping[str, PortInfo]) -> dict[str, PortInfo]:
        info = super().port_info(inlets)
        if self.size == 0:
            info["out"] = UNKNOWN
        return info

    # -- life cycle (control thread) ------------------------------------------------

    def open(self) -> None:
        self.messages = 0
        self.wrong_size = 0
        self.non_finite = 0
        self._warned_counts = set()
        self._subscription = None
        self._subscribe()

    def on_param(self, name: str, value: Any) -> None:
        if name in ("address", "port", "host"):
            self._unsubscribe()
            self._subscribe()

    def close(self) -> None:
        self._unsubscribe()

    def _subscribe(self) -> None:
        self._subscription = osc.listen(self.host, self.port, self.address, self._receive)

    def _unsubscribe(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            subscription.close()

    # -- the port's server thread -----------------------------------------------------

    def _receive(self, address: str, *args: Any) -> None:
        """One matching message (server thread): post, never call other nodes."""
        t = self.ctx.now()
        numbers = [float(a) for a in args if isinstance(a, (int, float))]  # bool is an int
        texts = [a for a in args if isinstance(a, str)]
        if self.size and len(numbers) != self.size:
            self.wrong_size += 1
            if len(numbers) not in self._warned_counts:
                self._warned_counts.add(len(numbers))
                self.ctx.log.warning("%s carried %d numbers, expected %d (size); dropped",
                                     address, len(numbers), self.size)
            return
        with np.errstate(over="ignore"):  # too large for float32: inf, refused below
            vector = np.asarray(numbers, dtype=np.float32)
        if not np.isfinite(vector).all():
            self.non_finite += 1
            return
        self.messages += 1
        if numbers:
            self.ctx.post("out", vector, t)
        if texts:
            self.ctx.post("text", " ".join(texts), t)
        self.ctx.post("bang", True, t)

    # -- any thread ------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        subscription = self._subscription
        if subscription is None:  # a port change failed to listen
            return {}
        server = subscription.server
        return {"listening": server.label, "messages": self.messages,
                "wrong_size": self.wrong_size, "non_finite": self.non_finite,
                "malformed": server.malformed, "unmatched": server.unmatched,
                "unmatched_addresses": list(server.unmatched_addresses)}
