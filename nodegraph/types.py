"""Port types: what travels on a link, and which links are allowed.

Two domains, as in Max. **Message** ports carry discrete values that the control
scheduler delivers tick by tick; **signal** ports carry audio that the audio engine
pulls block by block. A link never crosses domains.

Values on the wire (the contract every node relies on):

==========  =========================================================================
type        value
==========  =========================================================================
frame       ``numpy.ndarray`` uint8, shape (H, W, 3), RGB
landmarks   ``numpy.ndarray`` float32, shape (N, 3), normalized image coordinates
vector      ``numpy.ndarray`` float32, shape (n,); size and labels known at load
number      ``float``
bang        ``True`` (only the arrival matters)
text        ``str``
any         any message value (for routing nodes such as ``delay`` and ``print``)
audio       signal: pulled by the audio engine, never sent as a message
==========  =========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Domain = Literal["message", "signal"]


@dataclass(frozen=True)
class PortType:
    """A named port type in one domain."""

    name: str
    domain: Domain
    doc: str

    def __str__(self) -> str:
        return self.name


FRAME = PortType("frame", "message", "RGB image, uint8 array (H, W, 3)")
LANDMARKS = PortType("landmarks", "message", "float32 array (N, 3), normalized image coordinates")
VECTOR = PortType("vector", "message", "1-D float32 array, optional labels")
NUMBER = PortType("number", "message", "a float")
BANG = PortType("bang", "message", "an event without a value")
TEXT = PortType("text", "message", "a string")
ANY = PortType("any", "message", "any message value")
AUDIO = PortType("audio", "signal", "audio signal, pulled block by block by the audio engine")

ALL_TYPES: dict[str, PortType] = {
    t.name: t for t in (FRAME, LANDMARKS, VECTOR, NUMBER, BANG, TEXT, ANY, AUDIO)
}

Converter = Callable[[Any], Any]


def _number_to_vector(value: Any) -> np.ndarray:
    return np.array([value], dtype=np.float32)


def _to_bang(_value: Any) -> bool:
    return True


def link_converter(src: PortType, dst: PortType) -> tuple[bool, Converter | None]:
    """Whether ``src`` may feed ``dst``, and the conversion applied on delivery.

    Allowed: the same type; ``any`` on either side (messages only); ``number`` into
    ``vector`` (delivered as a 1-element vector); any message into ``bang`` (its value
    is dropped, as Max's bang inlets do). Returns ``(allowed, converter or None)``.
    """
    if src.domain != dst.domain:
        return False, None
    if src == dst or src == ANY or dst == ANY:
        return True, None
    if src == NUMBER and dst == VECTOR:
        return True, _number_to_vector
    if dst == BANG:
        return True, _to_bang
    return False, None


def describe_value(value: Any) -> str:
    """A short human description of a message value, for logs and readouts."""
    if isinstance(value, np.ndarray):
        if value.ndim == 1 and value.size <= 8:
            return "[" + " ".join(f"{v:.3g}" for v in value.tolist()) + "]"
        return f"array{tuple(value.shape)} {value.dtype}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value)
