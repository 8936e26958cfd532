"""Real recordings for the tests: public-domain samples from Debian's ``sonic-pi-samples``.

The package (freesound.org recordings placed in the public domain, CC0) is installed by ``make``
setup; a test that needs it fails with the install hint when it is missing, as the audio tests
do for jackd.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SAMPLES = Path("/usr/share/sonic-pi/samples")
#: A drone, a guitar, a drum loop and a bass: harmonic, noisy and percussive material, 8.6 s.
FEW = ("ambi_choir.flac", "guit_e_fifths.flac", "loop_amen.flac", "bass_voxy_c.flac")


def sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_file():
        pytest.fail(f"{path} not found: the training tests need real recordings from the "
                    f"sonic-pi-samples package (apt-get install sonic-pi-samples; make test "
                    f"installs it)")
    return path


def copy_few(folder: Path, names: tuple[str, ...] = FEW) -> Path:
    """Copy the named samples into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copyfile(sample(name), folder / name)
    return folder
