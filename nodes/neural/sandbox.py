"""Reading a model's interface without trusting the model: in a child process that
cannot write a file, open a TCP connection, or signal another process.

A TorchScript file is code: ``torch.jit.load`` runs a module's ``__setstate__``, which
can write files (``torch.from_file(..., shared=True)``). ``nodegraph check`` must be
safe to run on a patch from elsewhere, so while files are untrusted (the
``check`` command) :func:`nodes.neural.model.inspect_model` asks :func:`read_interface`,
which runs ``python -m nodes.neural.sandbox FILE`` and reads the interface back as
JSON. The child locks itself down before it imports torch or opens the model:

- **Landlock** (Linux 5.13 and later, unprivileged): every right that changes the
  file system (write, truncate, create, remove, rename, link) is denied everywhere;
  reading stays allowed (torch and the model must be read). Where the kernel has them
  (Landlock ABI 4 and 6), TCP bind/connect and signals to processes outside the
  sandbox are denied too. ``no_new_privs`` is set first, as Landlock requires.
- **Limits**: 60 s of CPU, and the parent kills it after 120 s of wall clock.

Why Landlock: it needs no privileges, no helper binary and no extra package, and a
process can apply it to itself, so the rule is stated here in a few lines; seccomp
filters by syscall and could not tell a read from a write on the same ``openat``, and
namespaces or containers need privileges or setup a user may not have.

Without Landlock (another OS, an old kernel) models are not loaded by ``check`` at
all: :func:`read_interface` answers None, the latent-size checks that need the model
are skipped, and ``check`` says so (``--trust-models`` loads them in-process).
"""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

#: Landlock syscalls (the same numbers on every Linux architecture).
_CREATE_RULESET, _RESTRICT_SELF = 444, 446
_CREATE_RULESET_VERSION = 1
_PR_SET_NO_NEW_PRIVS = 38
#: File-system rights that change something, by the Landlock ABI that added them.
_FS_WRITE_V1 = ((1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9)
                | (1 << 10) | (1 << 11) | (1 << 12))  # write file, remove, make *
_FS_REFER_V2 = 1 << 13
_FS_TRUNCATE_V3 = 1 << 14
_NET_TCP_V4 = (1 << 0) | (1 << 1)  # bind, connect
_SCOPE_SIGNAL_V6 = 1 << 1
CPU_SECONDS = 60
WALL_SECONDS = 120

def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 without Landlock."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0),
                           ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(0, version)


def read_interface(path: Path) -> dict[str, Any] | None:
    """The interface fields of the model at ``path`` read in a sandboxed child (as
    :func:`nodes.neural.model.interface_of` gives them), None when this system has no
    Landlock; ModelError (the child's own message) when the file is unusable."""
    from nodegraph.api import note_untrusted_skipped  # not in the child: it stays light

    from .model import ModelError

    if not landlock_abi():
        note_untrusted_skipped(path)
        return None
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        result = subprocess.run([sys.executable, "-B", "-m", "nodes.neural.sandbox", str(path)],
                                capture_output=True, text=True, env=env, timeout=WALL_SECONDS,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ModelError(f"{path}: reading its interface took more than {WALL_SECONDS} s; "
                         "is it a model?") from None
    lines = result.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        answer = {}
    if result.returncode == 0 and "interface" in answer:
        return answer["interface"]
    error = answer.get("error") or (result.stderr.strip().splitlines() or ["it crashed"])[-1]
    raise ModelError(error if error.startswith(str(path)) else f"{path}: {error}")


def lock_down() -> None:
    """Apply the sandbox to this process (see the module docstring); OSError when the
    kernel refuses."""
    abi = landlock_abi()
    if not abi:
        raise OSError("Landlock is not available")
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    fs = _FS_WRITE_V1 | (_FS_REFER_V2 if abi >= 2 else 0) | (_FS_TRUNCATE_V3 if abi >= 3 else 0)
    net = _NET_TCP_V4 if abi >= 4 else 0
    scoped = _SCOPE_SIGNAL_V6 if abi >= 6 else 0
    attr = (ctypes.c_uint64 * 3)(fs, net, scoped)
    size = 24 if abi >= 6 else 16 if abi >= 4 else 8
    libc = ctypes.CDLL(None, use_errno=True)
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size),
                           ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)


def main() -> None:
    """The child: lock down, then read the interface of ``argv[1]``; one JSON line out."""
    path = Path(sys.argv[1])
    try:
        lock_down()
    except OSError as exc:
        print(json.dumps({"error": f"{path}: the sandbox could not be set up ({exc})"}))
        sys.exit(1)
    from dataclasses import asdict

    from .model import ModelError, interface_of, read_model_file, script_module

    hint = ("; read in a sandbox that cannot write files (docs/safety.md): a model that "
            "writes when loaded fails here, and --trust-models would let it")
    try:
        module = script_module(read_model_file(path), path)
    except ModelError as exc:
        print(json.dumps({"error": str(exc) + (hint if "cannot load" in str(exc) else "")}))
        sys.exit(1)
    try:
        interface = interface_of(module, path)
    except ModelError as exc:
        print(json.dumps({"error": str(exc)}))
        sys.exit(1)
    except Exception as exc:  # the model's own code failed: say what, not a traceback
        print(json.dumps({"error": f"{path}: {type(exc).__name__}: {exc}{hint}"}))
        sys.exit(1)
    print(json.dumps({"interface": asdict(interface)}))


if __name__ == "__main__":
    main()
