"""Named channels: how ``send`` reaches ``receive`` without a link.

One :class:`NameTable` per engine. A receiver subscribes a callback under a key; a
sender publishes a value under that key and every callback subscribed there is
called with ``(value, t)``. What a key looks like (a name, plus the scope that keeps
it local to one patch instance) is the nodes' business; the table only matches keys.

Callbacks are expected to post into the engine's inbox (``ctx.post``) and return, so
a message sent by name leaves the receiver on a later tick, exactly like a message
from a source: a send/receive pair can close a loop without spinning.

Thread safety: any thread may subscribe, unsubscribe or publish. Publishing reads an
immutable tuple of callbacks, so it never waits on a subscriber.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

Receiver = Callable[[Any, float], None]


class NameTable:
    """Callbacks by key, for named message channels."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._receivers: dict[Hashable, tuple[Receiver, ...]] = {}

    def subscribe(self, key: Hashable, receiver: Receiver) -> None:
        """Call ``receiver(value, t)`` for every value published under ``key``."""
        with self._lock:
            self._receivers[key] = self._receivers.get(key, ()) + (receiver,)

    def unsubscribe(self, key: Hashable, receiver: Receiver) -> None:
        """Stop calling ``receiver`` for ``key`` (no error if it was not subscribed)."""
        with self._lock:
            left = tuple(r for r in self._receivers.get(key, ()) if r != receiver)
            if left:
                self._receivers[key] = left
            else:
                self._receivers.pop(key, None)

    def publish(self, key: Hashable, value: Any, t: float) -> int:
        """Hand ``value`` (source timestamp ``t``) to every receiver of ``key``;
        returns how many there were."""
        receivers = self._receivers.get(key, ())
        for receiver in receivers:
            receiver(value, t)
        return len(receivers)
