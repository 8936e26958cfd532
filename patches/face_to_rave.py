"""The seed's workflow on ``face-to-rave.yaml``, scripted; it records the learned state
the patch ships with (``face-to-rave.data/``)::

    python -m patches.face_to_rave record          # from the repository root; ~20 s
    python -m patches.face_to_rave figures out/demo.wav   # what a render sounds like

Everything runs offline on a virtual clock through the real nodes (the camera's test
face, MediaPipe, the default model), so the same machine records the same state:

1. **Calibrate** ``norm``: the test face moves through its built-in performance for
   :data:`CALIBRATION_S` seconds, then ``fit``.
2. **Explore** (:func:`choose_sounds`): points drawn as ``latent-explorer``'s
   ``randomize`` draws them, each decoded held still with the model and measured (pitch,
   spectral centroid, loudness); of the audible ones (:data:`AUDIBLE_DB`), one point is
   kept per role in :data:`SOUNDS` — the highest and lowest pitch, the brightest and
   darkest pitched sound, the loudest, the most middling — and bookmarked in
   ``explorer`` under that name.
3. **Pair**: for each pose in :data:`POSES` the test face holds the pose, ``explorer``
   recalls its sound, and ``map`` records every frame for :data:`RECORD_S` seconds.
4. **Train** ``map`` (its MLP) and save the patch's learned state.

:class:`Session` is what a script (or a test) uses to play the performer.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nodegraph.clock import VirtualClock
from nodegraph.edits import SetParam
from nodegraph.engine import Engine

PATCH = Path(__file__).resolve().parent / "face-to-rave.yaml"

#: Pose name → the camera's ``pose`` param (test face held still) and the sound
#: (an explorer bookmark) paired with it: turning changes pitch, tilting brightness,
#: opening the mouth loudness.
POSES: dict[str, tuple[str, str]] = {
    "neutral": ("yaw=0", "middle"),
    "turn-left": ("yaw=25", "high"),
    "turn-right": ("yaw=-25", "low"),
    "tilt-left": ("roll=10", "bright"),
    "tilt-right": ("roll=-10", "dark"),
    "mouth-open": ("mouth=1", "loud"),
}
#: Sound roles in the order they are picked (each from the candidates still free).
SOUNDS = ("high", "low", "bright", "dark", "loud", "middle")

CALIBRATION_S = 12.0   # covers every movement of the test face at least once
SETTLE_S = 0.4         # face tracking settles on a new pose (measured: ≤ 11 frames)
RECORD_S = 0.5         # one example per camera frame: 15 per pose at 30 fps
CANDIDATES = 300       # points decoded while exploring
HOLD_S = 0.3           # each is held this long; the last MEASURE_SAMPLES are measured
MEASURE_SAMPLES = 4096
AUDIBLE_DB = -32.0     # quieter candidates are not kept (A-weighted, re full-scale sine)


class Session:
    """A performer at a patch: holds poses, sends messages, waits — on a virtual clock.

    Node ids are those of ``face-to-rave.yaml``: ``cam``, ``explorer``, ``map``...
    """

    def __init__(self, path: Path) -> None:
        self.engine = Engine.load(path, clock=VirtualClock())
        self.engine.open()
        self.frame_s = 1.0 / 30.0

    def node(self, node_id: str) -> Any:
        return self.engine.runtime[node_id].node

    def wait(self, seconds: float) -> None:
        self.engine.run_offline(seconds)

    def send(self, node_id: str, inlet: str, value: Any = True) -> None:
        """Send a message and let it take effect (one camera frame)."""
        self.engine.send(node_id, inlet, value)
        self.wait(self.frame_s)

    def hold(self, pose: str) -> None:
        """The test face holds ``pose`` (camera ``pose`` text; "" moves again) until
        face tracking has settled on it."""
        self.engine.do(SetParam("cam", "pose", pose))
        self.wait(SETTLE_S)

    def record_while(self, seconds: float = RECORD_S) -> None:
        """Record an example at every frame for ``seconds`` (one round)."""
        self.send("map", "record_while", 1.0)
        self.wait(seconds)
        self.send("map", "record_while", 0.0)

    def last(self, node_id: str, outlet: str = "out") -> np.ndarray:
        """The last vector ``node_id`` sent from ``outlet``."""
        return np.asarray(self.engine.runtime[node_id].last_out[outlet], dtype=np.float64)

    def close(self) -> None:
        self.engine.close()


@dataclass(frozen=True)
class Sound:
    """A latent point and what it sounds like, held still."""

    point: np.ndarray
    pitch_hz: float      # NaN when unvoiced
    centroid_hz: float
    loudness_db: float   # A-weighted, 0 dB = a full-scale 1 kHz sine


def measure(audio: np.ndarray) -> tuple[float, float, float]:
    """Median YIN pitch (Hz; NaN if aperiodic), mean spectral centroid (Hz) and mean
    A-weighted loudness (dB) of mono audio at the default model's rate (44.1 kHz)."""
    from nodes.models import evaluate

    frames = evaluate.frames_of(np.asarray(audio, dtype=np.float64))
    f0, aperiodicity = evaluate.pitch_hz(frames)
    loudness = float(evaluate.loudness_db(frames).mean())
    voiced = np.median(aperiodicity) < 0.2 and loudness > evaluate.SILENT_DB
    return (float(np.median(f0)) if voiced else float("nan"),
            float(evaluate.centroid_hz(frames).mean()), loudness)


def decode_held(points: np.ndarray, model: str = "default") -> list[Sound]:
    """Decode each point held still for :data:`HOLD_S` seconds, one after another in
    one stream, and measure the last :data:`MEASURE_SAMPLES` samples of each. A pitch that
    the :data:`MEASURE_SAMPLES` before reads differently (by over half a semitone: YIN
    hesitating between harmonics of a dark sound) counts as no pitch."""
    from nodes.neural.model import decode, load_model, model_file

    loaded = load_model(model_file(model))
    hold = int(np.ceil(HOLD_S * loaded.info.sr / loaded.info.ratio))
    sounds = []
    for point in points:
        z = np.repeat(point[:, None], hold, axis=1).astype(np.float32)
        audio = decode(loaded.module, z)[0, -2 * MEASURE_SAMPLES:]
        pitch, centroid, loudness = measure(audio[MEASURE_SAMPLES:])
        earlier = measure(audio[:MEASURE_SAMPLES])[0]
        if not abs(12.0 * np.log2(pitch / earlier)) < 0.5:
            pitch = float("nan")
        sounds.append(Sound(point, pitch, centroid, loudness))
    return sounds


def choose_sounds(count: int = CANDIDATES, seed: int = 0) -> dict[str, Sound]:
    """One point per role of :data:`SOUNDS`, from ``count`` points drawn as the
    explorer's ``randomize`` draws them (each axis normal, deviation 1)."""
    from nodes.neural.model import inspect_model, model_file

    size = inspect_model(model_file("default")).latent_size
    points = np.random.default_rng(seed).normal(0.0, 1.0, (count, size))
    free = [s for s in decode_held(points) if s.loudness_db >= AUDIBLE_DB]
    voiced = [s for s in free if not np.isnan(s.pitch_hz)]
    logs = np.array([[np.log2(s.centroid_hz), s.loudness_db / 6.0] for s in free])
    middle = np.median(logs, axis=0)

    def typical(s: Sound) -> float:
        return float(np.abs([np.log2(s.centroid_hz), s.loudness_db / 6.0] - middle).sum())

    pick = {"high": (voiced, lambda s: -s.pitch_hz),
            "low": (voiced, lambda s: s.pitch_hz),
            "bright": (voiced, lambda s: -s.centroid_hz),
            "dark": (voiced, lambda s: s.centroid_hz),
            "loud": (voiced, lambda s: -s.loudness_db),
            "middle": (voiced, typical)}
    chosen: dict[str, Sound] = {}
    for role in SOUNDS:
        pool, key = pick[role]
        taken = [id(s) for s in chosen.values()]
        chosen[role] = min((s for s in pool if id(s) not in taken), key=key)
    return chosen


def calibrate(session: Session, seconds: float = CALIBRATION_S) -> None:
    """Step 1: the test face moves through its range; ``norm`` is fitted on it."""
    session.hold("")
    session.wait(seconds)
    session.send("norm", "fit")


def record_state(patch: Path = PATCH) -> dict[str, Sound]:
    """Record the learned state of ``patch`` from scratch (steps 1–4) and put it in
    ``<patch>.data/``, replacing what was there. Returns the sounds chosen."""
    sounds = choose_sounds()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / patch.name
        shutil.copyfile(patch, work)
        session = Session(work)
        try:
            calibrate(session)
            for name, sound in sounds.items():
                session.send("explorer", "point", sound.point.astype(np.float32))
                session.send("explorer", "bookmark", name)
            for pose, sound_name in POSES.values():
                session.hold(pose)
                session.send("explorer", "recall", sound_name)
                session.record_while()
            session.send("map", "train")
            session.hold("")
            session.engine.save()
        finally:
            session.close()
        data = patch.with_suffix(".data")
        shutil.rmtree(data, ignore_errors=True)
        shutil.copytree(work.with_suffix(".data"), data)
    return sounds


def figures(wav: Path) -> list[dict[str, float]]:
    """Per second of a render of the patch: the test face's built-in pose at the middle
    of that second (yaw, roll in degrees, mouth 0..1) and what the audio measures."""
    import soundfile

    from nodes.vision.testface import choreography

    audio, sr = soundfile.read(str(wav), dtype="float64", always_2d=True)
    mono = audio.mean(axis=1)
    rows = []
    for second in range(len(mono) // sr):
        pose = choreography(second + 0.5)
        pitch, centroid, loudness = measure(mono[second * sr:(second + 1) * sr])
        rows.append({"second": second, "yaw": pose.yaw, "roll": pose.roll,
                     "mouth": pose.mouth, "pitch_hz": pitch, "centroid_hz": centroid,
                     "loudness_db": loudness})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m patches.face_to_rave",
                                     description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("record", help=f"record {PATCH.with_suffix('.data').name}/ again")
    show = sub.add_parser("figures", help="per-second pose and sound of a render (a WAV)")
    show.add_argument("wav", type=Path)
    args = parser.parse_args(argv)
    if args.command == "record":
        for name, s in record_state().items():
            print(f"{name:>7}: pitch {s.pitch_hz:6.1f} Hz, centroid {s.centroid_hz:6.0f} Hz, "
                  f"loudness {s.loudness_db:5.1f} dB, point {np.round(s.point, 2).tolist()}")
        print(f"wrote {PATCH.with_suffix('.data')}")
        return 0
    print(f"{args.wav}, second by second: the test face's pose and what was heard")
    print("   s    yaw   roll  mouth    pitch  centroid  loudness")
    for r in figures(args.wav):
        pitch = "unvoiced" if np.isnan(r["pitch_hz"]) else f"{r['pitch_hz']:5.0f} Hz"
        print(f"{r['second']:4d} {r['yaw']:6.1f} {r['roll']:6.1f} {r['mouth']:6.2f} "
              f"{pitch:>8s} {r['centroid_hz']:6.0f} Hz  {r['loudness_db']:5.1f} dB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
