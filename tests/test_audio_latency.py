"""Latency accounting on synthetic timelines: known event times and DAC times give
known percentiles, jitter and per-source figures (no clocks involved)."""

from __future__ import annotations

import numpy as np
import pytest

from nodegraph.audio.latency import LatencyMeter
from nodegraph.audio.outputs import Output
from nodegraph.engine import _state_frame_intervals

SR = 1000  # one frame per millisecond
BLOCK = 10


def _play(events: list[tuple[int, float, str]], blocks: int, dac0: float = 1.0) -> dict:
    """Mark ``(frame, event time, source)`` events, then drain ``blocks`` blocks of
    an output whose block ``k`` reaches the DAC at ``dac0 + k * BLOCK / SR``, and
    resolve after every few blocks, as the audio worker does."""
    output = Output(SR, BLOCK, 1, 0.0)
    output.write(np.zeros((blocks * BLOCK, 1), np.float32))
    meter = LatencyMeter()
    for frame, t, source in events:
        meter.mark(frame, t, source)
    scratch = np.empty((BLOCK, 1), np.float32)
    for k in range(blocks):
        dac = dac0 + k * BLOCK / SR
        output._drain(scratch, now=dac - 0.005, dac=dac)
        if k % 3 == 2:
            meter.update(output)
    meter.update(output)
    return meter.summary()


def _dac(frame: int, dac0: float = 1.0) -> float:
    return dac0 + frame / SR


def test_percentiles_and_jitter_of_a_known_timeline():
    # event i (1..100) sounds at frame 20 * i, exactly i ms after it happened
    events = [(20 * i, _dac(20 * i) - i / 1000, "midi-in") for i in range(1, 101)]
    summary = _play(events, blocks=205)
    latencies = np.arange(1, 101, dtype=float)
    p5, p50, p95, p99 = np.percentile(latencies, (5, 50, 95, 99))
    expected = {"p5": p5, "p50": p50, "p95": p95, "p99": p99, "max": 100.0,
                "jitter": p95 - p5, "count": 100}
    assert {k: summary[k] for k in expected} == pytest.approx(expected, abs=0.011)
    assert summary["jitter"] == pytest.approx(89.1, abs=0.011)  # 95.05 - 5.95
    assert summary["sources"]["midi-in"] == {k: v for k, v in summary.items() if k != "sources"}


def test_a_steady_answer_has_no_jitter_whatever_its_latency():
    events = [(15 * i + 3, _dac(15 * i + 3) - 0.012, "osc-in") for i in range(1, 60)]
    summary = _play(events, blocks=95)
    assert summary["p5"] == summary["p99"] == summary["max"] == pytest.approx(12.0)
    assert summary["jitter"] == pytest.approx(0.0)


def test_figures_per_source_type():
    events = []
    for i in range(1, 41):  # a fader every 25 ms, answered in 8 ms; camera frames 30 or 40 ms
        frame = 25 * i
        events.append((frame, _dac(frame) - 0.008, "midi-in"))
        events.append((frame + 5, _dac(frame + 5) - (0.030 if i % 2 else 0.040), "camera"))
    summary = _play(events, blocks=110)
    midi, camera = summary["sources"]["midi-in"], summary["sources"]["camera"]
    assert set(summary["sources"]) == {"midi-in", "camera"}
    assert (midi["count"], camera["count"], summary["count"]) == (40, 40, 80)
    assert midi["p50"] == midi["max"] == pytest.approx(8.0) and midi["jitter"] == 0.0
    assert camera["p5"] == pytest.approx(30.0) and camera["max"] == pytest.approx(40.0)
    assert camera["jitter"] == pytest.approx(10.0)
    assert summary["p5"] == pytest.approx(8.0) and summary["max"] == pytest.approx(40.0)


def test_events_from_before_the_stream_and_unresolved_marks_do_not_count():
    events = [(5, 0.5, "xy-pad"),                   # stamped before the first DAC time
              (35, _dac(35) - 0.004, "xy-pad"),
              (5000, 0.0, "xy-pad")]                # not played yet
    summary = _play(events, blocks=10)
    assert summary["count"] == 1 and summary["p50"] == pytest.approx(4.0)
    assert LatencyMeter().summary() is None


def test_a_source_that_reports_a_frame_rate_gets_its_frame_interval_stated():
    sources = {"camera": {"p50": 50.0}, "midi-in": {"p50": 9.0}}
    nodes = {"cam": {"type": "camera", "fps": 30.0}, "dec": {"type": "rave-decode"}}
    _state_frame_intervals(sources, nodes)
    assert sources == {"camera": {"p50": 50.0, "frame_interval_ms": 33.33},
                       "midi-in": {"p50": 9.0}}
