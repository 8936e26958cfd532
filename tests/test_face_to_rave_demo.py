"""The demo: face-to-rave with its shipped learned state, listened to by figures.

The patch runs offline as ``make demo`` runs it (moving test face, default model, a WAV
recorded). Checked: the sound is steered from the first frame; over the moving part the
per-second pitch follows the head's turn and the spectral centroid its tilt; and when
the face holds a recorded pose, the output latent comes back to that pose's sound (the
explorer bookmark it was recorded with) and the audio measures as that sound does.
"""

from __future__ import annotations

import shutil

import numpy as np
import soundfile

from patches.face_to_rave import PATCH, POSES, Session, decode_held, measure

MOVING_S = 10.0
HOLD_S = 1.0
#: the MLP's output at a recorded pose, against the target (see test_face_to_rave.py)
MLP_TOLERANCE = 0.05


WINDOW_S = 0.5
RELIABLE_PITCH_HZ = 100.0


def per_window(audio: np.ndarray, sr: int, count: int) -> np.ndarray:
    """(pitch in semitones re 440 Hz or NaN, log2 centroid, loudness dB) of each of the
    first ``count`` windows of WINDOW_S seconds."""
    rows = []
    size = int(WINDOW_S * sr)
    for i in range(count):
        pitch, centroid, loudness = measure(audio[i * size:(i + 1) * size])
        rows.append((12.0 * np.log2(pitch / 440.0), np.log2(centroid), loudness))
    return np.array(rows)


def test_the_demo_is_steered_from_the_first_frame_and_follows_the_face(tmp_path):
    path = tmp_path / PATCH.name
    shutil.copyfile(PATCH, path)
    shutil.copytree(PATCH.with_suffix(".data"), path.with_suffix(".data"))
    s = Session(path)
    wav = tmp_path / "demo.wav"
    s.engine.audio.record(wav)
    holds = {}
    try:
        s.wait(0.001)                                  # the first frame, the first block
        regress = s.node("map")
        assert regress.report()["running"] and regress.report()["trained"]  # no training
        first = s.last("map")
        assert np.allclose(first, regress.predict(s.last("norm")[None])[0], atol=1e-6)
        assert np.abs(first).max() > 0.5              # not the explorer's origin
        decode = s.engine.runtime["decode"]
        assert np.array_equal(decode.inputs["latent"], s.last("smooth").astype(np.float32))
        assert decode.node.report()["frames_decoded"] >= 1

        features = []                                  # the moving test face
        while s.engine.clock.now() < MOVING_S - 1e-9:
            s.wait(s.frame_s)
            features.append(s.last("features", "features"))

        bookmarks = s.node("explorer").bookmarks()
        for name, (pose, sound) in POSES.items():      # back to each recorded pose
            s.hold(pose)
            s.wait(HOLD_S - 0.4)
            start = s.engine.clock.now()
            s.wait(0.5)
            holds[name] = (start, sound)
            target = bookmarks[sound]
            error = np.abs(s.last("map") - target).max() / np.abs(target).max()
            assert error < MLP_TOLERANCE, (name, error)
    finally:
        s.close()

    audio, sr = soundfile.read(wav, dtype="float64")
    mono = audio.mean(axis=1)
    windows = int(MOVING_S / WINDOW_S)
    figures = per_window(mono, sr, windows)
    face = np.array(features).reshape(windows, -1, 3).mean(axis=1)  # yaw, roll, mouth_open
    voiced = ~np.isnan(figures[:, 0])
    assert voiced.sum() >= 10
    # Measured 0.82 and 0.91 (20 windows: chance alone reaches 0.6 in 0.3 % of cases).
    assert np.corrcoef(face[voiced, 0], figures[voiced, 0])[0, 1] > 0.5  # turn → pitch
    assert np.corrcoef(face[:, 1], figures[:, 1])[0, 1] > 0.6            # tilt → brightness
    assert np.ptp(figures[voiced, 0]) > 12.0           # over an octave of pitch
    assert np.ptp(figures[:, 1]) > 2.0                 # two octaves of centroid
    assert np.ptp(figures[:, 2]) > 10.0                # 10 dB of loudness

    expected = {sound: shown for sound, shown in
                zip(bookmarks, decode_held(np.array(list(bookmarks.values()))))}
    for name, (start, sound) in holds.items():
        heard = measure(mono[int(start * sr):int((start + 0.5) * sr)])
        wanted = expected[sound]
        assert abs(np.log2(heard[1] / wanted.centroid_hz)) < 0.5, name   # half an octave
        assert abs(heard[2] - wanted.loudness_db) < 3.0, name            # 3 dB
        # Below ~100 Hz YIN on these buzzy sounds slips between subharmonics from one
        # stretch of audio to the next (the same held point measured 59 and 89 Hz), so
        # pitch is compared where it is measured reliably; the latent (checked above to
        # 5 %), centroid and loudness cover the rest.
        if wanted.pitch_hz >= RELIABLE_PITCH_HZ:
            assert abs(12.0 * np.log2(heard[0] / wanted.pitch_hz)) < 1.0, name  # a semitone
