"""The DSP chain: the signal nodes of a patch, rendered block by block.

Like Max's DSP chain, it is rebuilt from the patch whenever the signal links change,
and rendered by one thread (the audio worker, or the control thread offline):

- a **signal node** is a node with a port of the signal type (``audio``); a
  **sink** is a signal node without signal outlets (``audio-out``, ``wav-out``, a
  meter); the chain holds the sinks and every signal node that feeds one;
- each block, every node of the chain renders **exactly once**, in topological
  order of the links, so two sinks reading one decoder never advance it twice;
- a signal inlet receives the **sum** of the signals linked into it (a mono signal
  is broadcast against a wider one), or silence when nothing is linked;
- a node whose ``prepare`` or ``render`` raises is flagged like a node that raises
  in ``process``, with status ``muted``, and renders silence until the chain is
  rebuilt (any edit);
- the per-node render time and count are kept for the run report (across rebuilds:
  the engine hands each new step its node's :class:`RenderStats`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from ..node import Node
    from ..patch import Link
    from ..scheduler import RuntimeNode

Flag = Callable[["RuntimeNode", BaseException, str], None]


def is_signal_node(node: Node) -> bool:
    """True when ``node`` has a port in the signal domain."""
    return any(p.type.domain == "signal" for p in (*node.inlets, *node.outlets))


@dataclass
class RenderStats:
    """How often a node rendered and for how long (kept across chain rebuilds)."""

    renders: int = 0
    seconds: float = 0.0


@dataclass(eq=False)
class Step:
    """One node's place in the chain: where each signal inlet reads from."""

    rn: RuntimeNode
    #: inlet name → the (step index, outlet) pairs summed into it
    sources: dict[str, tuple[tuple[int, str], ...]]
    stats: RenderStats = field(default_factory=RenderStats)
    muted: bool = False
    #: outlet name → the block this step rendered last
    rendered: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def node(self) -> Node:
        return self.rn.node


class SignalChain:
    """The chain for one patch state; see the module docstring."""

    def __init__(self, steps: Sequence[Step], flag: Flag) -> None:
        self.steps = tuple(steps)
        self._flag = flag
        self._silence = np.zeros((0, 1), np.float32)

    def prepare(self, step: Step, sr: int, block: int) -> None:
        """Tell a node the graph rate and block size; mute it if it raises."""
        try:
            step.node.prepare(sr, block)
        except Exception as exc:
            self._fail(step, exc, "raised in prepare")

    def render(self, frames: int) -> None:
        """Render one block of ``frames`` frames through every step, in order."""
        if len(self._silence) < frames:
            self._silence = np.zeros((frames, 1), np.float32)
            self._silence.flags.writeable = False
        silence = self._silence[:frames]
        steps = self.steps
        for step in steps:
            if step.muted:
                continue
            inputs = {}
            for inlet, pairs in step.sources.items():
                signal = None
                for index, outlet in pairs:
                    source = steps[index].rendered.get(outlet, silence)
                    signal = source if signal is None else signal + source
                inputs[inlet] = silence if signal is None else signal
            start = perf_counter()
            try:
                out = step.node.render(inputs, frames)
            except Exception as exc:
                self._fail(step, exc, "raised in render")
                continue
            finally:
                step.stats.seconds += perf_counter() - start
                step.stats.renders += 1
            step.rendered = out or {}

    def _fail(self, step: Step, exc: BaseException, where: str) -> None:
        step.muted = True
        step.rendered = {}
        self._flag(step.rn, exc, where)
        step.rn.status = "muted"

    def stats(self) -> dict[str, dict[str, float]]:
        """Render count and seconds per node id."""
        return {step.rn.id: {"renders": step.stats.renders,
                             "render_s": round(step.stats.seconds, 6)} for step in self.steps}


def build_chain(order: Sequence[RuntimeNode], links: Iterable[Link], flag: Flag) -> SignalChain:
    """The chain of the signal nodes in ``order`` (the run order, failed nodes left
    out) joined by the signal ``links``."""
    signal_nodes = {rn.id: rn for rn in order if is_signal_node(rn.node)}
    feeds: dict[str, list[Link]] = {}
    for link in links:
        if link.src in signal_nodes and link.dst in signal_nodes:
            feeds.setdefault(link.dst, []).append(link)
    members = {i for i, rn in signal_nodes.items()
               if not any(p.type.domain == "signal" for p in rn.node.outlets)}
    frontier = list(members)
    while frontier:
        for link in feeds.get(frontier.pop(), ()):
            if link.src not in members:
                members.add(link.src)
                frontier.append(link.src)
    ids = [rn.id for rn in order if rn.id in members]
    index = {node_id: i for i, node_id in enumerate(ids)}
    steps = []
    for node_id in ids:
        rn = signal_nodes[node_id]
        sources = {p.name: tuple((index[link.src], link.outlet)
                                 for link in feeds.get(node_id, ()) if link.inlet == p.name)
                  for p in rn.node.inlets if p.type.domain == "signal"}
        steps.append(Step(rn, sources))
        if rn.status == "muted":  # a new chain renders it again
            rn.status = "ok"
    return SignalChain(steps, flag)


def fit_channels(block: np.ndarray, channels: int) -> np.ndarray:
    """``block`` (frames, c) as ``channels`` channels: mono is copied to every
    channel, several channels mix down to mono by their mean, otherwise channels
    repeat in order (for sinks: mono/stereo adapt at the sink)."""
    have = block.shape[1]
    if have == channels:
        return block
    if have == 1:
        return np.repeat(block, channels, axis=1)
    if channels == 1:
        return block.mean(axis=1, keepdims=True)
    return block[:, [i % have for i in range(channels)]]
