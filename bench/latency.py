"""Source event → DAC latency, through a real JACK server.

A metro fires every ``--interval-ms`` (97 by default: out of step with 46.4 ms latent
frames, so events land at every phase of a frame); each bang makes a constant send
the latent again, stamped with the metro's time; rave-decode decodes it at its next
latent frame; audio-out plays it through PortAudio on a JACK server (dummy driver,
48 kHz, 256-frame periods) that this script starts and stops by its pid. For every
event the engine takes the DAC time PortAudio gives for the first sample of the
first frame decoded from it, minus the event's timestamp. The model's own delay
(impulse in → first output change) comes on top and is reported apart.

An event waits up to one latent frame (46 ms at ratio 2048 and 44.1 kHz) for the
next frame to start: that wait is part of the figures, as in the issue's targets.

    python bench/latency.py [MODEL] [--seconds 20] [--interval-ms 97] [--safety-ms MS]

MODEL defaults to the model shipped with nodegraph (``default``);
``python tests/model_builders.py sine OUT.ts`` saves a small one.
Final line: JSON ``{"p50_ms", "p95_ms", "max_ms", "events", "underruns", ...}``.
Targets at block 256: p50 ≤ 40 ms, p95 ≤ 60 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodegraph.engine import Engine  # noqa: E402
from nodegraph.patch import parse_patch  # noqa: E402
from nodes.audio_out import AudioOut  # noqa: E402
from nodes.neural.model import inspect_model  # noqa: E402
from nodes.rave_decode import RaveDecode  # noqa: E402

PATCH = """\
format: nodegraph/1
nodes:
  clock: {{type: metro, params: {{interval_ms: {interval}}}}}
  point: {{type: constant, params: {{value: {latent}}}}}
  dec: {{type: rave-decode, params: {{model: '{model}', threads: {threads}}}}}
  out: {{type: audio-out, params: {{block_size: {block}, safety_ms: {safety}}}}}
links:
  - clock.bang -> point.bang
  - point.out -> dec.latent
  - dec.audio -> out.audio
"""


def start_jack(rate: int, period: int) -> tuple[subprocess.Popen, str]:
    """A JACK server on the dummy driver under a name of its own."""
    jackd, jack_wait = shutil.which("jackd"), shutil.which("jack_wait")
    if jackd is None or jack_wait is None:
        sys.exit("needs jackd and jack_wait (apt-get install jackd2)")
    name = f"nodegraph-bench-{os.getpid()}"
    log = open(Path(tempfile.gettempdir()) / f"{name}.log", "wb")
    proc = subprocess.Popen([jackd, "-n", name, "-d", "dummy", "-r", str(rate), "-p", str(period)],
                            stdout=log, stderr=subprocess.STDOUT)
    if subprocess.run([jack_wait, "-s", name, "-w", "-t", "10"]).returncode != 0:
        proc.kill()
        sys.exit(f"jackd did not start; see {log.name}")
    return proc, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", default="default")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval-ms", type=float, default=97.0)
    parser.add_argument("--safety-ms", type=float, default=AudioOut.safety_ms.default,
                        help="audio-out's safety_ms (default: its default)")
    parser.add_argument("--block", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    model = RaveDecode("dec", {"model": args.model}).model_path().resolve()
    interface = inspect_model(model)

    jack, name = start_jack(48000, args.block)
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ["JACK_NO_START_SERVER"] = "1"
    try:
        patch = PATCH.format(interval=args.interval_ms, model=model, threads=args.threads,
                             latent=[0.5] + [0.0] * (interface.latent_size - 1),
                             block=args.block, safety=args.safety_ms)
        engine = Engine(parse_patch(patch))
        engine.open()
        engine.run_for(args.seconds)
        report = engine.report()
        engine.close()
        import sounddevice

        sounddevice._terminate()  # leave JACK before stopping it
    finally:
        jack.terminate()
        jack.wait(timeout=10)

    audio = report["audio"]
    latency = audio["latency_ms"] or {}
    delay = audio["model_delay_samples"]
    print(json.dumps({
        "p50_ms": latency.get("p50"), "p95_ms": latency.get("p95"),
        "max_ms": latency.get("max"), "events": latency.get("count"),
        "underruns": audio["underruns"], "xruns": audio["xruns"], "ring_min": audio["ring_min"],
        "block": args.block, "safety_ms": args.safety_ms, "sr": audio["sr"],
        "device": audio["device"], "frame_ms": round(1000 * interface.frame_seconds, 2),
        "model_delay_ms": None if delay is None else round(1000 * delay / interface.sr, 2),
        "render_ms_max": audio["render_ms_max"], "decode_rtf": audio["decode_rtf"],
        "cpu_load": audio["cpu_load"], "realtime_priority": audio["realtime_priority"],
        "model": str(model)}))


if __name__ == "__main__":
    main()
