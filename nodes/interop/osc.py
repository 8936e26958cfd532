"""OSC over UDP for osc-in and osc-out: shared listening ports, a sending client.

**One server per port, many subscribers.** A UDP port can be bound once, but a
patch often wants several addresses on one port (Wekinator's conventions put
``/wek/inputs`` and every ``/wekinator/control/*`` message on 6448; see
docs/architecture.md). :func:`listen` hands each ``osc-in`` node a :class:`Subscription`
to the :class:`OscServer` of its (host, port): the first subscription binds the
socket and starts the server's thread, the last one to close stops the thread,
joins it and closes the socket. Subscribing and closing are thread-safe.

**Threads.** Each server runs python-osc's blocking UDP server loop
(``BlockingOSCUDPServer``) on one thread of its own. A blocking server handles
datagrams one at a time in arrival order, so messages from one sender stay in
order, and the thread count stays one per port however fast packets come (the
threading variant would start a thread per datagram). Subscriber callbacks run on
that thread while the server holds its lock: they must be quick and never block
(``osc-in`` only posts into the engine's inbox). Once :meth:`Subscription.close`
has returned, its callback is never called again.

**Bad input.** Each datagram is parsed inside a ``try``: whatever python-osc
cannot parse (it raises ``ParseError``, but also ``UnicodeDecodeError`` for
strings that are not UTF-8 and ``RecursionError`` for deeply nested bundles) is
counted in ``malformed`` and dropped; the server never stops for a packet.
python-osc also logs one root-logger warning for each packet it half understands;
those warnings are filtered out, so a flood of garbage cannot flood the log.
Bundle time tags are ignored: messages are handled when they arrive.

**Addresses.** A subscription's address is matched by python-osc's dispatcher:
``*`` in it matches any text (``/fader/*``), and an incoming address may itself be
an OSC pattern (``/fader/[1-3]``), as the OSC 1.0 spec allows.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from collections.abc import Callable
from typing import Any

import pythonosc
from pythonosc.dispatcher import Dispatcher, Handler
from pythonosc.osc_packet import OscPacket
from pythonosc.osc_server import BlockingOSCUDPServer
from pythonosc.udp_client import SimpleUDPClient

log = logging.getLogger("nodegraph.osc")

#: How often an idle server thread checks whether it should stop (seconds); the
#: longest ``Subscription.close`` waits for the thread.
POLL_S = 0.05
#: Recent unmatched addresses kept for the run report.
UNMATCHED_KEPT = 8
#: Longest address text kept in the report (addresses come from the network).
ADDRESS_KEPT_CHARS = 100

Callback = Callable[..., Any]


def check_address(address: str) -> None:
    """Raise ValueError, saying what to write, unless ``address`` is a usable OSC
    address: it starts with ``/`` and has no spaces or ``#`` (OSC 1.0)."""
    if not address.startswith("/"):
        raise ValueError(f"OSC address {address!r} must start with '/', e.g. /wek/inputs")
    if any(c.isspace() or c == "#" for c in address):
        raise ValueError(f"OSC address {address!r} may not contain spaces or '#'")


def check_host(host: str) -> None:
    """Refuse an empty host, which sockets read as every interface."""
    if not host.strip():
        raise ValueError("host is empty; write 127.0.0.1 (this machine only) or 0.0.0.0 "
                         "(every network interface)")


def is_loopback(host: str) -> bool:
    """Whether ``host`` reaches this machine only (127.x.x.x, ::1, localhost)."""
    import ipaddress

    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip()).is_loopback
    except ValueError:
        return False


class OscServer(BlockingOSCUDPServer):
    """A bound UDP socket, its thread, and the subscribers of each address.

    Counters (written by the server thread, readable from any thread):
    ``datagrams`` received, ``malformed`` ones dropped, ``unmatched`` messages (well
    formed, but no subscriber's address matched) and the last few of their
    addresses in ``unmatched_addresses``.
    """

    #: The largest UDP payload, so that no valid message is cut short.
    max_packet_size = 65535

    def __init__(self, host: str, port: int) -> None:
        super().__init__((host, port), Dispatcher())
        self.lock = threading.Lock()
        self.subscriptions = 0
        self.datagrams = 0
        self.malformed = 0
        self.unmatched = 0
        self.unmatched_addresses: tuple[str, ...] = ()
        self.label = "%s:%d" % self.server_address[:2]
        self._thread = threading.Thread(target=self.serve_forever, args=(POLL_S,),
                                        name=f"osc-server {self.label}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop, join the thread, close the socket. Not from the server thread."""
        if self._thread.is_alive():
            self.shutdown()
            self._thread.join()
        self.server_close()

    def subscribe(self, address: str, callback: Callback) -> Handler:
        with self.lock:
            self.subscriptions += 1
            return self.dispatcher.map(address, callback)

    def unsubscribe(self, address: str, handler: Handler) -> None:
        with self.lock:
            self.dispatcher.unmap(address, handler)
            self.subscriptions -= 1

    # -- the server thread ---------------------------------------------------------

    def verify_request(self, request: Any, client_address: Any) -> bool:
        return True  # every datagram reaches finish_request, where bad ones are counted

    def finish_request(self, request: Any, client_address: Any) -> None:
        """Handle one datagram (server thread). Never raises."""
        self.datagrams += 1
        try:
            messages = [timed.message for timed in OscPacket(request[0]).messages]
        except Exception:  # python-osc raises more than ParseError on garbage
            self.malformed += 1
            return
        with self.lock:
            for message in messages:
                handlers = list(self.dispatcher.handlers_for_address(message.address))
                if not handlers:
                    self._count_unmatched(message.address)
                for handler in handlers:
                    try:
                        handler.invoke(client_address, message)
                    except Exception:  # a subscriber's bug must not stop the port
                        log.exception("OSC subscriber on %s failed for %s",
                                      self.label, message.address)

    def _count_unmatched(self, address: str) -> None:
        self.unmatched += 1
        address = address[:ADDRESS_KEPT_CHARS]
        if address not in self.unmatched_addresses:
            self.unmatched_addresses = (*self.unmatched_addresses[-(UNMATCHED_KEPT - 1):],
                                        address)


class Subscription:
    """One address on a shared server; :meth:`close` when done (idempotent)."""

    def __init__(self, key: tuple[str, int], server: OscServer, address: str,
                 handler: Handler) -> None:
        self.key = key
        self.server = server
        self.address = address
        self._handler: Handler | None = handler

    def close(self) -> None:
        with _servers_lock:
            if self._handler is None:
                return
            self.server.unsubscribe(self.address, self._handler)
            self._handler = None
            if self.server.subscriptions == 0:
                del _servers[self.key]
                self.server.stop()


_servers: dict[tuple[str, int], OscServer] = {}
_servers_lock = threading.Lock()


def listen(host: str, port: int, address: str, callback: Callback) -> Subscription:
    """Call ``callback(address, *args)`` on the server thread for each message whose
    address matches ``address``, arriving on UDP ``host:port``.

    Starts the port's server if this is its first subscription. Raises OSError with
    a message that says what to do when the port cannot be bound.
    """
    check_address(address)
    key = _resolve(host, port)
    with _servers_lock:
        server = _servers.get(key)
        if server is None:
            server = _bind(host, port)
            _servers[key] = server
            _quiet_python_osc_warnings()
            server.start()
        handler = server.subscribe(address, callback)
    return Subscription(key, server, address, handler)


def open_client(host: str, port: int) -> SimpleUDPClient:
    """A python-osc UDP client for ``host:port``; OSError naming the host if it
    cannot be resolved."""
    try:
        return SimpleUDPClient(host, port)
    except socket.gaierror as exc:
        raise OSError(f"cannot send OSC to {host}:{port}: unknown host ({exc.strerror})") from None


def _resolve(host: str, port: int) -> tuple[str, int]:
    """The numeric (address, port) a socket bound to ``host:port`` would have, so
    ``localhost`` and ``127.0.0.1`` share one server."""
    check_host(host)
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise OSError(f"cannot listen for OSC on {host}:{port}: unknown host "
                      f"({exc.strerror})") from None
    return info[0][4][0], port


_BIND_HINTS = {
    errno.EADDRINUSE: "the port is already in use (by another program such as Wekinator, "
                      "or another nodegraph); choose another port or stop that program",
    errno.EACCES: "permission denied (ports below 1024 need privileges); use a port "
                  "above 1023",
    errno.EADDRNOTAVAIL: "this machine has no such address; use 127.0.0.1 or 0.0.0.0",
}


def _bind(host: str, port: int) -> OscServer:
    try:
        return OscServer(host, port)
    except OSError as exc:
        reason = _BIND_HINTS.get(exc.errno, exc.strerror or str(exc))
        raise OSError(f"cannot listen for OSC on {host}:{port}: {reason}") from None


_PYTHON_OSC_DIR = os.path.dirname(pythonosc.__file__)


class _PythonOscWarnings(logging.Filter):
    """Drops records that python-osc logs on the root logger about packets it
    half understands (unknown type tags, undecodable bundle elements): one line per
    packet would let any sender flood the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.pathname.startswith(_PYTHON_OSC_DIR)


_QUIET = _PythonOscWarnings()


def _quiet_python_osc_warnings() -> None:
    root = logging.getLogger()
    if _QUIET not in root.filters:
        root.addFilter(_QUIET)
