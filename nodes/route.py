"""route: send a message out of the outlet whose key matches its first element."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nodegraph.api import ANY, Inlet, Inputs, Node, Outlet, Param, ParamError

MAX_KEYS = 32


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _rest(items: list[Any]) -> Any:
    """What follows the selector: nothing → bang, one number → that number, several
    numbers → a vector, anything else → the items as they are."""
    if not items:
        return True
    numbers = [_number(i) if isinstance(i, str) else i for i in items]
    if all(isinstance(n, (int, float, np.floating, np.integer)) and not isinstance(n, bool)
           for n in numbers):
        if len(numbers) == 1:
            return float(numbers[0])
        return np.asarray(numbers, dtype=np.float32)
    if all(isinstance(i, str) for i in items):
        return " ".join(items)
    return items[0] if len(items) == 1 else tuple(items)


class Route(Node):
    """Route by address or index, as Max's route: the first element selects.

    ``keys`` lists the selectors, separated by spaces: words (``mouth jaw`` or OSC
    addresses ``/face/mouth``) or numbers (``0 1 2``). A message whose first element
    equals key i leaves ``out<i>`` without that element: nothing left → a bang, one
    number → a number, several → a vector. The first element of a message is: the
    first word of a text (``"mouth 0.5"``), the first item of a tuple or list
    (``("/jaw", 0.3)``), the first value of a vector (``[1, 0.2, 0.7]`` selects key
    ``1``), or a lone number. Anything unmatched leaves ``other`` unchanged.
    """

    type_name = "route"
    category = "routing"
    keys = Param("text", "0 1", "selectors, separated by spaces (words or numbers)")
    inlets = (Inlet("in", ANY, "message whose first element selects the outlet"),)

    def __init__(self, node_id: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(node_id, params)
        words = self.keys.split()
        if not words:
            raise ParamError("keys is empty; list the selectors, e.g. 'mouth jaw' or '0 1'",
                             "keys")
        if len(words) > MAX_KEYS:
            raise ParamError(f"{len(words)} keys; at most {MAX_KEYS}", "keys")
        if len(set(words)) != len(words):
            raise ParamError(f"keys repeat: {self.keys!r}; list each once", "keys")
        self._keys = [(w, _number(w)) for w in words]

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return tuple(Outlet(f"out{i}", ANY, f"the rest of messages selected by {word!r}")
                     for i, (word, _) in enumerate(self._keys)) + (
            Outlet("other", ANY, "messages no key matches, unchanged"),)

    def _split(self, message: Any) -> tuple[Any, list[Any]] | None:
        if isinstance(message, str):
            words = message.split()
            return (words[0], words[1:]) if words else None
        if isinstance(message, np.ndarray):
            values = message.reshape(-1).tolist()
            return (values[0], values[1:]) if values else None
        if isinstance(message, (tuple, list)):
            return (message[0], list(message[1:])) if message else None
        if isinstance(message, (int, float)) and not isinstance(message, bool):
            return message, []
        return None

    def _match(self, selector: Any) -> int | None:
        if isinstance(selector, str):
            text, number = selector, _number(selector)
        elif isinstance(selector, (int, float)) and not isinstance(selector, bool):
            text, number = None, float(selector)
        else:
            return None
        for i, (word, key_number) in enumerate(self._keys):
            if word == text or (number is not None and key_number is not None
                                and number == key_number):
                return i
        return None

    def process(self, inputs: Inputs) -> dict[str, Any]:
        message = inputs["in"]
        split = self._split(message)
        index = None if split is None else self._match(split[0])
        if index is None:
            return {"other": message}
        return {f"out{index}": _rest(split[1])}
