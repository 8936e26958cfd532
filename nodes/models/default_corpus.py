"""The default model's training recordings: ``python -m nodes.models.default_corpus OUT_DIR``.

Two sources, both Debian packages that ``make`` setup installs, both free to use:

* ``sonic-pi-samples`` — 166 recordings from freesound.org placed in the public domain (CC0):
  ambient drones, choir, piano, guitars, basses, drums, tabla, loops, vinyl, electronic
  sounds. Copied as they are to ``OUT_DIR/sonic-pi/``.
* ``fluid-soundfont-gm`` — the FluidR3 General MIDI sound font (MIT licence), played by
  ``fluidsynth`` from melodies written here with mido: for each of ``INSTRUMENTS`` a seeded
  monophonic line (a random walk in a scale, varied note lengths, dynamics and rests, some
  legato) rendered dry (no reverb or chorus) to ``OUT_DIR/fluidsynth/NN-name.wav`` at 44.1 kHz.
  Being monophonic, these clips also carry the model's pitch figures.

Seeded: the same seed writes the same MIDI; fluidsynth renders it deterministically. Then
``nodegraph train OUT_DIR --out nodes/models/default.ts`` makes the shipped model.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

import mido
import numpy as np

SONIC_PI_SAMPLES = Path("/usr/share/sonic-pi/samples")
SOUND_FONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
MELODY_SECONDS = 20.0
TEMPO_BPM = 96
#: General MIDI programs (0-based) and the register of each line (lowest and highest note).
INSTRUMENTS = (
    ("flute", 73, 67, 96), ("clarinet", 71, 52, 84), ("oboe", 68, 60, 88),
    ("alto-sax", 65, 49, 80), ("trumpet", 56, 55, 82), ("trombone", 57, 40, 70),
    ("french-horn", 60, 41, 72), ("violin", 40, 55, 93), ("cello", 42, 36, 69),
    ("acoustic-bass", 32, 28, 55), ("nylon-guitar", 24, 40, 76), ("piano", 0, 36, 90),
    ("choir-aahs", 52, 48, 76), ("voice-oohs", 53, 48, 76), ("harmonica", 22, 60, 84),
    ("marimba", 12, 48, 84),
)
SCALES = ((0, 2, 4, 5, 7, 9, 11), (0, 2, 3, 5, 7, 8, 10), (0, 2, 4, 7, 9), (0, 3, 5, 6, 7, 10))


def melody(program: int, low: int, high: int, seed: int) -> mido.MidiFile:
    """A seeded monophonic line for one instrument, about ``MELODY_SECONDS`` long."""
    rng = np.random.default_rng(seed)
    tonic = int(rng.integers(0, 12))
    scale = SCALES[int(rng.integers(len(SCALES)))]
    notes = [n for n in range(low, high + 1) if (n - tonic) % 12 in scale]
    song = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    song.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(TEMPO_BPM)))
    track.append(mido.Message("program_change", program=program, channel=0))
    beats = MELODY_SECONDS * TEMPO_BPM / 60.0
    index, beat, wait = len(notes) // 2, 0.0, 0
    while beat < beats:
        index = int(np.clip(index + rng.choice([-3, -2, -1, -1, 0, 1, 1, 2, 3]), 0, len(notes) - 1))
        length = float(rng.choice([0.25, 0.5, 0.5, 1.0, 1.0, 1.5, 2.0, 3.0]))
        velocity = int(np.clip(rng.normal(80, 25), 20, 127))
        gap = 0.0 if rng.random() < 0.6 else float(rng.choice([0.05, 0.25, 0.5, 1.0]))
        played = int(480 * length * (1.0 if gap == 0.0 else 0.9))
        track.append(mido.Message("note_on", note=notes[index], velocity=velocity, time=wait))
        track.append(mido.Message("note_off", note=notes[index], velocity=0, time=played))
        wait = int(480 * (length + gap)) - played
        beat += length + gap
    track.append(mido.Message("control_change", control=123, value=0, time=wait + 960))
    return song


def render(song: mido.MidiFile, out: Path) -> None:
    """Play ``song`` through fluidsynth with the FluidR3 GM font into a 44.1 kHz WAV."""
    with tempfile.TemporaryDirectory() as tmp:
        midi = Path(tmp) / "song.mid"
        song.save(str(midi))
        subprocess.run(["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-r", "44100", "-g", "0.6", "-F", str(out),
                        str(SOUND_FONT), str(midi)], check=True, capture_output=True, timeout=120)


def make(out: Path, seed: int = 0) -> list[Path]:
    """Write the corpus into ``out`` and return its files. Needs the two Debian packages."""
    for need, package in ((SONIC_PI_SAMPLES, "sonic-pi-samples"), (SOUND_FONT, "fluid-soundfont-gm"),
                          (shutil.which("fluidsynth"), "fluidsynth")):
        if need is None or not Path(need).exists():
            raise SystemExit(f"missing {package}: apt-get install sonic-pi-samples fluidsynth "
                             f"fluid-soundfont-gm (make setup installs them)")
    (out / "sonic-pi").mkdir(parents=True, exist_ok=True)
    (out / "fluidsynth").mkdir(parents=True, exist_ok=True)
    files = []
    for sample in sorted(SONIC_PI_SAMPLES.glob("*.flac")):
        files.append(Path(shutil.copyfile(sample, out / "sonic-pi" / sample.name)))
    for i, (name, program, low, high) in enumerate(INSTRUMENTS):
        path = out / "fluidsynth" / f"{i:02d}-{name}.wav"
        render(melody(program, low, high, seed * 1000 + i), path)
        files.append(path)
    return files


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m nodes.models.default_corpus",
                                description=__doc__.split("\n")[0])
    p.add_argument("out", type=Path, help="folder to write the recordings into")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    files = make(args.out, args.seed)
    print(f"wrote {len(files)} recordings to {args.out}")


if __name__ == "__main__":
    main()
