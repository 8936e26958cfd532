"""The ring between the audio worker and the device callback, and the latency
bookkeeping built on its positions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nodegraph.audio.latency import LatencyMeter
from nodegraph.audio.outputs import TIMING_ROWS, Output
from nodegraph.audio.ring import AudioRing


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=1, max_size=40))
def test_ring_hands_over_every_frame_in_order(steps):
    """Whatever the interleaving of writes and reads, frames come out in the order
    they went in, none twice, and a full ring refuses rather than overwrites."""
    ring = AudioRing(32, 2)
    sent, got, counter = [], [], 0
    for write, read in steps:
        block = np.arange(counter, counter + write, dtype=np.float32)[:, None].repeat(2, 1)
        taken = ring.write(block)
        assert taken == min(write, 32 - len(sent) + len(got))
        sent.extend(block[:taken, 0])
        counter += taken
        out = np.full((read, 2), -1.0, np.float32)
        n = ring.read_into(out)
        assert n == min(read, len(sent) - len(got))
        assert (out[n:] == -1.0).all()  # frames past n untouched
        got.extend(out[:n, 0])
        assert ring.fill == len(sent) - len(got)
    assert got == sent[:len(got)]


def test_drain_zero_fills_and_counts_an_underrun():
    output = Output(48000, 4, 1, 0.0)
    output.counting = True
    output.write(np.full((6, 1), 0.5, np.float32))  # below the limiter's threshold
    block = np.empty((4, 1), np.float32)
    output._drain(block, now=1.0, dac=1.01)
    assert block[:, 0].tolist() == [0.5] * 4 and output.underruns == 0
    output._drain(block, now=1.1, dac=1.11)
    assert block[:, 0].tolist() == [0.5, 0.5, 0, 0] and output.underruns == 1
    assert output.ring_min == 2
    assert output.timing[1].tolist() == [4, 2, 1.11]  # ring position, frames, DAC time


def test_latency_is_dac_time_of_the_marked_frame_minus_its_source_time():
    output = Output(1000, 10, 1, 0.0)  # 1 kHz: one frame per millisecond
    output.write(np.zeros((40, 1), np.float32))
    meter = LatencyMeter()
    meter.mark(3, t=0.5)      # frame 3, event at 0.5 s: before the stream reached the DAC
    meter.mark(15, t=0.612)   # frame 15 (second block), event at 0.612 s
    meter.mark(25, t=0.615)   # frame 25 (third block), event at 0.615 s
    block = np.empty((10, 1), np.float32)
    output._drain(block, now=0.6, dac=0.61)   # frames 0-9 reach the DAC from 0.61 s
    meter.update(output)
    assert meter.count == 0  # the stream starting is not latency
    output._drain(block, now=0.61, dac=0.62)  # frames 10-19 from 0.62 s
    output._drain(block, now=0.62, dac=0.63)  # frames 20-29 from 0.63 s
    meter.update(output)
    summary = meter.summary()
    # frame 15 plays at 0.62 + 5 ms, 13 ms after its event; frame 25 at 0.63 + 5 ms: 20 ms
    assert summary["count"] == 2
    assert summary["max"] == pytest.approx(20.0)
    assert summary["p50"] == pytest.approx(16.5)


def test_latency_marks_of_blocks_that_left_the_table_are_skipped():
    output = Output(1000, 1, 1, 0.0)
    meter = LatencyMeter()
    meter.mark(0, t=0.0)
    block = np.empty((1, 1), np.float32)
    for i in range(TIMING_ROWS + 5):
        output.write(np.zeros((1, 1), np.float32))
        output._drain(block, now=i, dac=i)
    meter.update(output)
    assert meter.count == 0 and meter.summary() is None
