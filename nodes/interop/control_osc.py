"""``nodegraph run PATCH --control osc:PORT``: drive a running patch over OSC (a
``nodegraph.controls`` entry point: :mod:`nodegraph.controls`).

Every inlet of every node is an OSC address, so a performer (a foot switch through a
MIDI-to-OSC bridge, TouchOSC, a script) drives record, train, run and save without
editing the patch. The address space (docs/interop.md#headless-control):

- ``/<node>/<inlet> [args]``: deliver a message to that inlet, as the editor's
  buttons do. The arguments become the inlet's type: a bang ignores them; a number
  takes the first one (true/false count as 1/0), so ``/map/run 1`` switches a
  regress node on; text joins the arguments with spaces (``/explorer/recall low``);
  a vector takes the numeric ones as float32; ``any`` takes one argument as it is,
  several as a vector. A node inside a subpatch is ``/<instance>/<node>/<inlet>``.
- ``/save``: write every node's learned state into the patch's data folder (what is
  learned is written as it changes anyway; this also compacts the example journals).
  The patch file is not rewritten (``--set`` overrides stay out of it).

Listens on 127.0.0.1 unless ``osc:HOST:PORT`` names another interface. The port is
shared with the patch's own ``osc-in`` nodes when they listen on the same one. An
address that names no node or inlet is logged once, with what exists.

Threads: messages arrive on the OSC server's thread and are handed to the engine with
``Engine.send`` (its inbox); ``/save`` runs on a short thread of its own, since it
waits for the control thread.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from nodegraph.api import ANY, BANG, NUMBER, TEXT, VECTOR

from . import osc

if TYPE_CHECKING:
    from nodegraph.api import Engine

log = logging.getLogger("nodegraph.control")

DEFAULT_HOST = "127.0.0.1"
SAVE_ADDRESS = "/save"


class OscControl:
    """The engine's inlets and ``/save`` as OSC addresses on ``host:port``."""

    @staticmethod
    def parse(spec: str) -> tuple[str, int]:
        """``PORT`` or ``HOST:PORT`` (after ``osc:``) → (host, port); ValueError
        saying what to write."""
        host, _, port = spec.rpartition(":")
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"write osc:PORT (listening on {DEFAULT_HOST}) or "
                             "osc:HOST:PORT, e.g. osc:9000")
        return host or DEFAULT_HOST, int(port)

    def __init__(self, engine: Engine, address: tuple[str, int]) -> None:
        """Start listening on ``address`` (host, port); OSError saying what to do when
        the port cannot be bound."""
        host, port = address
        #: where messages go (the editor points it at a patch it opens later)
        self.engine = engine
        self._warned: set[str] = set()
        self._subscription = osc.listen(host, port, "/*", self._message)
        log.info("control: OSC on %s:%d (/<node>/<inlet> args, %s)", host, port, SAVE_ADDRESS)

    def close(self) -> None:
        """Stop listening (idempotent); no message is delivered after it returns."""
        self._subscription.close()

    # -- the OSC server's thread ------------------------------------------------------

    def _message(self, address: str, *args: Any) -> None:
        if address == SAVE_ADDRESS:
            threading.Thread(target=self._save, name="control-save", daemon=True).start()
            return
        node_id, _, inlet = address[1:].rpartition("/")
        rn = self.engine.runtime.get(node_id)
        if rn is None or inlet not in rn.hot:
            self._warn_once(address, node_id, rn)
            return
        port = next(p for p in rn.node.inlets if p.name == inlet)
        try:
            value = _value(port.type, args)
        except ValueError as exc:
            self._warn_once(address, node_id, rn, str(exc))
            return
        self.engine.send(node_id, inlet, value)

    def _save(self) -> None:
        try:
            self.engine.save_learned()
        except Exception as exc:  # reported, never fatal to the run
            log.error("control: %s failed: %s: %s", SAVE_ADDRESS, type(exc).__name__, exc)
        else:
            log.info("control: learned state saved in %s", self.engine.data_root)

    def _warn_once(self, address: str, node_id: str, rn: Any, problem: str = "") -> None:
        if address in self._warned:
            return
        self._warned.add(address)
        if problem:
            log.warning("control: %s: %s", address, problem)
        elif rn is None:
            log.warning("control: %s names no node; nodes: %s (and %s)", address,
                        ", ".join(self.engine.runtime), SAVE_ADDRESS)
        else:
            log.warning("control: %s: %r has no inlet %r; inlets: %s", address, node_id,
                        address.rpartition("/")[2], ", ".join(rn.hot))


def _value(port_type: Any, args: tuple[Any, ...]) -> Any:
    """An OSC message's arguments as a value for an inlet of ``port_type``."""
    if port_type == BANG:
        return True
    numbers = [float(a) for a in args if isinstance(a, (bool, int, float))]
    if port_type == NUMBER:
        if not numbers:
            raise ValueError("a number inlet needs a numeric argument, e.g. 1")
        return numbers[0]
    if port_type == TEXT:
        return " ".join(a if isinstance(a, str) else f"{a:g}" if isinstance(a, float)
                        else str(a) for a in args)
    if port_type == VECTOR:
        if not numbers:
            raise ValueError("a vector inlet needs numeric arguments")
        return np.array(numbers, dtype=np.float32)
    if port_type == ANY and len(args) == 1:
        return args[0]
    if port_type == ANY and numbers:
        return np.array(numbers, dtype=np.float32)
    raise ValueError(f"a {port_type.name} inlet cannot be sent over OSC")
