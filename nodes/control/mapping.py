"""Range mapping shared by ``scale`` (one range for every value) and ``map`` (a
range per dimension).

A value x is first placed in its input range, u = (x - in_lo) / (in_hi - in_lo)
(0 at in_lo, 1 at in_hi), then shaped into the output range:

- ``linear``: out_lo + u (out_hi - out_lo);
- ``exp``: out_lo (out_hi / out_lo)^u, equal ratios for equal steps (frequencies,
  gains); out_lo and out_hi must be nonzero with the same sign;
- ``curve``: out_lo + g(u) (out_hi - out_lo) with g(u) = (e^(k u) - 1) / (e^k - 1),
  k = ``curve``: 0 is linear, k > 0 starts slow and ends fast, k < 0 the reverse
  (the shape of Max's ``curve~`` segments).

With ``clip``, u is limited to [0, 1] first, so outputs stay within the output range.
Without it, inputs outside the input range extrapolate.
"""

from __future__ import annotations

import numpy as np

from nodegraph.api import ParamError

MODES = ("linear", "exp", "curve")


def check_ranges(in_lo: np.ndarray, in_hi: np.ndarray, out_lo: np.ndarray,
                 out_hi: np.ndarray, mode: str) -> None:
    """ParamError (naming the param to fix) for ranges the mapping cannot use."""
    if np.any(np.asarray(in_lo) == np.asarray(in_hi)):
        raise ParamError("in_lo and in_hi are equal (for some dimension), so every input "
                         "would map to one point; give them different values", "in_hi")
    if mode == "exp":
        lo, hi = np.asarray(out_lo), np.asarray(out_hi)
        if np.any(lo == 0) or np.any(hi == 0) or np.any(np.sign(lo) != np.sign(hi)):
            raise ParamError("mode exp needs out_lo and out_hi nonzero with the same sign "
                             "(e.g. 20 and 20000); use mode curve for ranges through 0",
                             "out_lo")


def map_values(x: np.ndarray, in_lo: np.ndarray | float, in_hi: np.ndarray | float,
               out_lo: np.ndarray | float, out_hi: np.ndarray | float, mode: str,
               curve: float, clip: bool) -> np.ndarray:
    """Map ``x`` (float32, 1-D) as the module docstring says; float32 result.

    Raises ValueError if an input far outside the input range overflows ``exp`` or
    ``curve`` (enable ``clip`` to prevent it).
    """
    in_lo, in_hi, out_lo, out_hi = (np.asarray(v, dtype=np.float64)
                                    for v in (in_lo, in_hi, out_lo, out_hi))
    u = (x.astype(np.float64) - in_lo) / (in_hi - in_lo)
    if clip:
        u = np.clip(u, 0.0, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        if mode == "exp":
            y = out_lo * np.power(out_hi / out_lo, u)
        else:
            if mode == "curve" and curve != 0.0:
                u = np.expm1(curve * u) / np.expm1(curve)
            y = out_lo + u * (out_hi - out_lo)
    if not np.isfinite(y).all():
        raise ValueError(f"an input far outside [in_lo, in_hi] overflows the {mode} mapping; "
                         "set clip: true")
    return y.astype(np.float32)
