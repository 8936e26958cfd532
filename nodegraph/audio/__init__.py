"""The signal domain: the DSP chain, the audio worker, outputs, latency. No torch here.

How audio flows (docs/architecture.md, "Threads"):

1. **Control thread.** A signal node's message inlets (``rave-decode``'s ``latent``)
   run ``process`` as any node does; it stores the newest value and its source
   timestamp in a :class:`~nodegraph.audio.slot.LatestValue`.
2. **Audio worker** (:mod:`.engine`). Renders the DSP chain (:mod:`.chain`) one block
   at a time: each signal node exactly once per block, in topological order of the
   signal links. A source reads its slot when it needs new input (a decoder: once
   per latent frame), resamples to the graph rate (:mod:`.resample`), and returns
   ``(frames, channels)`` float32 arrays; sinks write theirs to an output.
3. **Output consumer** (:mod:`.outputs`, :mod:`.device`). The PortAudio callback (or
   a clock thread when there is no device) only copies from the output's
   preallocated ring (:mod:`.ring`), zero-fills and counts an underrun when short.

The worker keeps each ring just ahead of its callback, by the measured render time
plus a safety margin, because the ring's look-ahead is latency. Latency is measured
from each source event's timestamp to the DAC time PortAudio gives for the block
that plays it (:mod:`.latency`). Offline, the same chain renders on the control
thread in lockstep with the virtual clock, faster than real time.

Writing a signal node: see "Signal nodes" in :mod:`nodegraph.node`. The smallest
one, a gain::

    class Gain(Node):
        \"\"\"Multiply a signal by a factor.\"\"\"
        type_name = "gain"
        category = "audio"
        inlets = (Inlet("in", AUDIO, "signal"),)
        outlets = (Outlet("out", AUDIO, "scaled signal"),)
        factor = Param("float", 1.0, "multiplier", range=(0.0, 4.0))

        def render(self, inputs, frames):
            return {"out": inputs["in"] * self.factor}
"""
