"""A model file is code: ``nodegraph check`` reads a model's interface in a child
process that cannot write files (Landlock), so a crafted model cannot touch anything
during a check; ``--trust-models`` loads it in-process (and then it can)."""

from __future__ import annotations

import pytest

import model_builders as mb
from nodegraph.cli import main
from nodes.neural import sandbox

pytestmark = pytest.mark.skipif(not sandbox.landlock_abi(),
                                reason="needs Landlock (Linux 5.13 or later)")


def crafted(tmp_path):
    """A victim file, a model that overwrites it when loaded, and a patch using it."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    model = mb.save(mb.WritesOnLoad(str(victim)), tmp_path / "crafted.ts")
    victim.write_text("precious\n")  # saving loaded nothing, but be sure
    patch = tmp_path / "p.yaml"
    patch.write_text(f"""\
format: nodegraph/1
nodes:
  point: {{type: constant, params: {{value: [0, 0, 0, 0]}}}}
  dec: {{type: rave-decode, params: {{model: '{model}'}}}}
links:
  - point.out -> dec.latent
""")
    return victim, patch


def test_check_never_lets_a_model_write_while_reading_it(tmp_path, capsys):
    victim, patch = crafted(tmp_path)
    assert main(["check", str(patch)]) == 1  # its load tried to write, and failed
    err = capsys.readouterr().err
    assert err.startswith(f"{patch}:4: node 'dec' (rave-decode): ")
    assert "read in a sandbox that cannot write files" in err
    assert victim.read_text() == "precious\n"


def test_the_sandboxed_check_reads_the_latent_size_of_a_plain_model(tmp_path, capsys):
    model = mb.save(mb.SineStreaming(latent=4), tmp_path / "sine.ts")
    patch = tmp_path / "p.yaml"
    text = (f"format: nodegraph/1\nnodes:\n  point: {{type: constant, params: {{value: "
            f"VALUE}}}}\n  dec: {{type: rave-decode, params: {{model: '{model}'}}}}\n"
            "links:\n  - point.out -> dec.latent\n")
    patch.write_text(text.replace("VALUE", "[0, 0, 0, 0]"))
    assert main(["check", str(patch)]) == 0
    patch.write_text(text.replace("VALUE", "[0, 0]"))
    assert main(["check", str(patch)]) == 1
    assert "point.out sends 2 values but dec.latent expects 4 values" in capsys.readouterr().err


def test_a_broken_model_is_still_a_file_line_error_from_the_sandbox(tmp_path, capsys):
    model = mb.save(mb.NoDecode(), tmp_path / "nodecode.ts")
    patch = tmp_path / "p.yaml"
    patch.write_text(f"format: nodegraph/1\nnodes:\n  dec: {{type: rave-decode, params: "
                     f"{{model: '{model}'}}}}\n")
    assert main(["check", str(patch)]) == 1
    assert f"{patch}:3: node 'dec' (rave-decode): {model}: has no decode method" \
        in capsys.readouterr().err


def test_trust_models_loads_in_process_which_is_what_the_sandbox_prevents(tmp_path, capsys):
    victim, patch = crafted(tmp_path)
    assert main(["check", "--trust-models", str(patch)]) == 0
    assert victim.read_text() == "XXXXXXXX\n"
