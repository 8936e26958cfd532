"""Shared fixtures: a real JACK server for audio tests.

Audio is tested for real, without a sound card (docs/architecture.md, "Real time in Python"):
``jack_server`` starts ``jackd`` with the dummy driver (48 kHz, 256-frame periods)
under a name of its own, points ``JACK_DEFAULT_SERVER`` at it, so PortAudio's JACK
host API runs real callbacks, and stops it by its pid at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

# No test may start a JACK server behind our back (libjack autostarts one otherwise).
os.environ["JACK_NO_START_SERVER"] = "1"

JACK_RATE = 48000
JACK_PERIOD = 256


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory):
    """The name of a running JACK server (dummy driver) that PortAudio plays to."""
    jackd, jack_wait = shutil.which("jackd"), shutil.which("jack_wait")
    if jackd is None or jack_wait is None:
        pytest.fail("jackd not found: audio tests need the jackd2 and libportaudio2 packages "
                    "(make test installs them)")
    name = f"nodegraph-test-{os.getpid()}"
    log = tmp_path_factory.mktemp("jack") / "jackd.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([jackd, "-n", name, "-d", "dummy", "-r", str(JACK_RATE),
                                 "-p", str(JACK_PERIOD)], stdout=out, stderr=subprocess.STDOUT)
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        ready = subprocess.run([jack_wait, "-s", name, "-w", "-t", "10"], capture_output=True)
        if ready.returncode != 0 or proc.poll() is not None:
            pytest.fail(f"jackd did not start: {log.read_text(errors='replace')}")
        if "sounddevice" in sys.modules:  # PortAudio scanned devices before JACK was up
            import sounddevice

            sounddevice._terminate()
            sounddevice._initialize()
        yield name
    finally:
        if "sounddevice" in sys.modules:  # leave JACK before it goes (libjack aborts otherwise)
            import sounddevice

            while sounddevice._initialized:
                sounddevice._terminate()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
