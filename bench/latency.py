"""Control event → DAC latency and jitter, through a real JACK server: one case.

A child process sends OSC messages to an ``osc-in`` node at random intervals
(``--interval-ms`` on average, uniform between half and one and a half of it, so
events land at every phase of a latent frame and of a block), each a new latent;
``rave-decode`` decodes it at its next latent frame; ``audio-out`` plays through
PortAudio on a JACK server (dummy driver, 48 kHz, periods of ``--block`` frames)
that this script starts and stops by its pid. For every event the engine takes the
DAC time PortAudio gives for the first sample of the first frame decoded from it,
minus the event's timestamp (osc-in stamps a message when it arrives). The model's
own delay comes on top and is reported apart.

With ``--face`` the face chain of ``patches/face-to-rave.yaml`` (camera on the test
face → facemesh → features → normalize → regress → smooth) runs too and also steers
the decoder, on the same cores: the report then has figures per source (``osc-in``,
``camera``: capture → sound).

    python bench/latency.py [MODEL] [--block 128] [--seconds 20] [--face]

MODEL defaults to the model shipped with nodegraph (``default``);
``python tests/model_builders.py small-r256 OUT.ts`` saves a small one.
Final line: JSON with the measured ``p5_ms`` ... ``jitter_ms`` (all events), the
figures per source, underruns and xruns, and ``floor``: the least latency the
model's ratio and the block allow at the decode speed the run measured
(``ModelInfo.latency_floor``). Events replaced before their frame are not measured:
for a ratio-2048 model, give ``--interval-ms`` well above its 46 ms frame (150).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nodegraph.edits import AddNode, Connect  # noqa: E402
from nodegraph.engine import Engine  # noqa: E402
from nodegraph.patch import Link, parse_patch  # noqa: E402
from nodes.audio_out import AudioOut  # noqa: E402
from nodes.neural.model import ModelInfo, load_model  # noqa: E402
from nodes.rave_decode import RaveDecode  # noqa: E402

RATE = 48000
FACE_PATCH = ROOT / "patches" / "face-to-rave.yaml"
PATCH = """\
format: nodegraph/1
nodes:
  decode: {{type: rave-decode, params: {{model: '{model}', threads: {threads}}}}}
  out: {{type: audio-out, params: {{block_size: {block}, safety_ms: {safety}}}}}
links:
  - decode.audio -> out.audio
"""
#: The OSC sender (a child process): argv = port, latent size, seconds, mean interval ms.
SENDER = """\
import random, sys, time
from pythonosc.udp_client import SimpleUDPClient
port, size, seconds, interval = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), \\
    float(sys.argv[4]) / 1000
client, rng = SimpleUDPClient("127.0.0.1", port), random.Random(0)
end, i = time.monotonic() + seconds, 0
while time.monotonic() < end:
    time.sleep(interval * rng.uniform(0.5, 1.5))
    i += 1
    client.send_message("/latent", [0.2 + 0.3 * (i % 2)] + [0.0] * (size - 1))
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build(args: argparse.Namespace, model: Path, latent_size: int, port: int) -> Engine:
    """The engine for one case: decode → out, steered by osc-in (and the face chain)."""
    if args.face:
        engine = Engine.load(FACE_PATCH, [f"decode.model={model}",
                                          f"decode.threads={args.threads}",
                                          f"out.block_size={args.block}",
                                          f"out.safety_ms={args.safety_ms}"])
    else:
        engine = Engine(parse_patch(PATCH.format(model=model, threads=args.threads,
                                                 block=args.block, safety=args.safety_ms)))
    engine.do(AddNode("osc", "osc-in", {"address": "/latent", "port": port,
                                        "size": latent_size}))
    engine.do(Connect(Link("osc", "out", "decode", "latent")))
    engine.open()
    return engine


def live_floor(info: ModelInfo, decode_rtf: float | None, block: int) -> dict[str, float]:
    """The model's latency floor at ``block`` frames, with the decode speed the run
    measured (the one measured at load time wanders with the machine's load)."""
    if decode_rtf:
        info = dataclasses.replace(info, decode_ms_per_frame=1000 * info.frame_seconds / decode_rtf)
    return info.latency_floor(block, RATE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", nargs="?", default="default")
    parser.add_argument("--block", type=int, default=128)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval-ms", type=float, default=25.0,
                        help="mean time between OSC events")
    parser.add_argument("--face", action="store_true", help="run the face chain too")
    parser.add_argument("--safety-ms", type=float, default=AudioOut.safety_ms.default,
                        help="audio-out's safety_ms (default: its default)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    model = RaveDecode("dec", {"model": args.model}).model_path().resolve()
    info = load_model(model, args.threads).info

    jack, name = start_jack(RATE, args.block)
    os.environ["JACK_DEFAULT_SERVER"] = name
    os.environ["JACK_NO_START_SERVER"] = "1"
    port = free_port()
    try:
        engine = build(args, model, info.latent_size, port)
        sender = subprocess.Popen([sys.executable, "-c", SENDER, str(port),
                                   str(info.latent_size), str(args.seconds - 1.0),
                                   str(args.interval_ms)])
        engine.run_for(args.seconds)
        sender.wait(timeout=10)
        report = engine.report()
        engine.close()
        import sounddevice

        sounddevice._terminate()  # leave JACK before stopping it
    finally:
        jack.terminate()
        jack.wait(timeout=10)

    audio = report["audio"]
    decode = audio["nodes"]["decode"]  # the decoder's own figures, under its id
    latency = audio["latency_ms"] or {}
    delay = decode["model_delay_samples"]
    print(json.dumps({
        "model": str(model), "ratio": info.ratio, "block": args.block, "face": args.face,
        **{f"{k}_ms": latency.get(k) for k in ("p5", "p50", "p95", "p99", "max", "jitter")},
        "events": latency.get("count"), "sources": latency.get("sources"),
        "floor": live_floor(info, decode["decode_rtf"], args.block),
        "underruns": audio["underruns"], "xruns": audio["xruns"], "ring_min": audio["ring_min"],
        "safety_ms": args.safety_ms, "sr": audio["sr"], "seconds": args.seconds,
        "frame_ms": round(1000 * info.frame_seconds, 2),
        "model_delay_ms": None if delay is None else round(1000 * delay / info.sr, 2),
        "decode_ms_per_frame": info.decode_ms_per_frame,
        "render_ms_max": audio["render_ms_max"], "decode_rtf": decode["decode_rtf"],
        "cpu_load": audio["cpu_load"], "realtime_priority": audio["realtime_priority"],
        "load_avg": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
