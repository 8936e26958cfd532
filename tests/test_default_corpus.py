"""The default model's corpus recipe: seeded melodies written with mido, rendered by the real
fluidsynth with the FluidR3 GM sound font (Debian packages that ``make`` setup installs)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import torch

from nodes.models import default_corpus, dsp
from nodes.models.model import analysis_windows


def test_melodies_are_seeded_and_stay_in_their_register():
    a = default_corpus.melody(73, 67, 96, seed=5)
    b = default_corpus.melody(73, 67, 96, seed=5)
    notes = [m.note for m in a.tracks[0] if m.type == "note_on"]
    assert notes == [m.note for m in b.tracks[0] if m.type == "note_on"]
    assert notes != [m.note for m in default_corpus.melody(73, 67, 96, seed=6).tracks[0]
                     if m.type == "note_on"]
    assert min(notes) >= 67 and max(notes) <= 96 and len(notes) >= 8
    assert a.length >= default_corpus.MELODY_SECONDS * 0.9


def test_fluidsynth_renders_the_melody_at_its_pitch(tmp_path):
    if not default_corpus.SOUND_FONT.is_file():
        pytest.fail("FluidR3_GM.sf2 not found: apt-get install fluidsynth fluid-soundfont-gm "
                    "(make test installs them)")
    song = default_corpus.melody(73, 67, 96, seed=1)   # a flute line
    out = tmp_path / "flute.wav"
    default_corpus.render(song, out)
    audio, rate = soundfile.read(out, always_2d=True)
    assert rate == dsp.SR and len(audio) > 10 * rate
    mono = torch.from_numpy(audio.mean(axis=1).astype(np.float32))[None]
    f0, aperiodicity = dsp.yin(analysis_windows(mono))
    pitched = f0[aperiodicity < 0.1].numpy()
    assert len(pitched) > 100
    midi = 69 + 12 * np.log2(pitched / 440.0)
    played = {m.note for m in song.tracks[0] if m.type == "note_on"}
    near = np.min(np.abs(midi[:, None] - np.array(sorted(played))[None, :]), axis=1)
    assert np.median(near) < 0.3   # within 30 cents of a note that was written
