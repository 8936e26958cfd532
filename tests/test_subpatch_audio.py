"""Audio through subpatch ports: ``inlet``/``outlet`` nodes of ``type: audio``."""

from __future__ import annotations

import numpy as np
import pytest

import model_builders as mb
from nodegraph.api import AUDIO
from nodegraph.errors import PatchError

from signal_helpers import captured, rig

LEVEL = """\
format: nodegraph/1
description: 'Abstraction: a gain, as a subpatch with audio ports.'
params:
  level: 1.0
nodes:
  in: {type: inlet, params: {type: audio, doc: the signal}}
  g: {type: gain, params: {gain: $level}}
  out: {type: outlet, params: {type: audio, doc: the signal times level}}
links:
  - in.out -> g.in
  - g.out -> out.in
"""

TWICE = """\
nodes:
  src: {type: t-dc, params: {value: 1.0, channels: 2}}
  soft: {include: level.yaml, params: {level: 0.5}}
  loud: {include: level.yaml, params: {level: 2.0}}
  cap: {type: t-capture}
  one: {type: t-capture}
links:
  - src.out -> soft.in
  - src.out -> loud.in
  - soft.out -> cap.in
  - loud.out -> cap.in
  - soft.out -> one.in
"""


def test_an_abstraction_with_gain_used_twice(tmp_path):
    (tmp_path / "level.yaml").write_text(LEVEL)
    engine = rig(TWICE, tmp_path)
    engine.run_offline(0.1)
    assert np.allclose(captured(engine), 2.5) and captured(engine).shape == (4800, 2)
    assert np.allclose(captured(engine, "one"), 0.5)
    interface = engine.graph.subpatches["soft"]
    assert [(p.name, p.type) for p in interface.inlets] == [("in", AUDIO)]
    assert [(p.name, p.type) for p in interface.outlets] == [("out", AUDIO)]
    stats = engine.report()["nodes"]
    assert stats["soft/g"]["renders"] == stats["loud/g"]["renders"] == 3


def test_crossing_a_port_copies_no_audio(tmp_path):
    (tmp_path / "level.yaml").write_text(LEVEL)
    engine = rig(TWICE, tmp_path)
    engine.run_offline(0.01)
    steps = {step.rn.id: step for step in engine.audio.chain.steps}
    assert steps["soft/in"].rendered["out"] is steps["src"].rendered["out"]
    assert steps["soft/out"].rendered["out"] is steps["soft/g"].rendered["out"]


def test_a_decoder_inside_an_abstraction(tmp_path):
    mb.save(mb.SineStreaming(), tmp_path / "sine.ts")
    (tmp_path / "voice.yaml").write_text("""\
format: nodegraph/1
params:
  model: sine.ts
nodes:
  latent: {type: inlet, params: {type: vector}}
  dec: {type: rave-decode, params: {model: $model}}
  audio: {type: outlet, params: {type: audio}}
links:
  - latent.out -> dec.latent
  - dec.audio -> audio.in
""")
    engine = rig("""\
nodes:
  point: {type: constant, params: {value: [0.5, 0.0, 0.0, 0.0]}}
  v: {include: voice.yaml}
  cap: {type: t-capture}
links:
  - point.out -> v.latent
  - v.audio -> cap.in
""", tmp_path)
    engine.run_offline(0.5)
    out = captured(engine)[:, 0]
    assert engine.audio.sr == 44100  # the model inside sets the graph rate
    assert np.sqrt(np.mean(out[4410:] ** 2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.01)


def test_an_abstraction_with_audio_ports_runs_on_its_own(tmp_path):
    (tmp_path / "level.yaml").write_text(LEVEL)
    from nodegraph.clock import VirtualClock
    from nodegraph.engine import Engine

    engine = Engine.load(tmp_path / "level.yaml", clock=VirtualClock())
    engine.run_offline(0.1)
    report = engine.report()
    engine.close()
    assert not any(n["errors"] for n in report["nodes"].values())


@pytest.mark.parametrize("body, words", [
    ("""\
nodes:
  v: {type: constant, params: {value: [1.0]}}
  s: {include: level.yaml}
links:
  - v.out -> s.in
""", "v.out sends vector but s.in takes audio"),
    ("""\
nodes:
  src: {type: t-dc}
  s: {include: level.yaml}
  p: {type: print}
links:
  - src.out -> s.in
  - s.out -> p.in
""", "s.out sends audio but p.in takes any"),
    ("""\
nodes:
  s:
    subpatch:
      nodes:
        in: {type: inlet, params: {type: audio, size: 2}}
""", "size is for message ports"),
])
def test_audio_port_errors_name_the_line(tmp_path, body, words):
    (tmp_path / "level.yaml").write_text(LEVEL)
    with pytest.raises(PatchError) as info:
        rig(body, tmp_path)
    assert words in str(info.value) and f"{tmp_path / 'patch.yaml'}:" in str(info.value)
