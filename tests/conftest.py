"""Shared fixtures and the suite's hygiene rules.

Servers. Audio and MIDI are tested for real, without a sound card
(docs/architecture.md, "Real time in Python"): ``jack_server`` starts one ``jackd`` with
the dummy driver (48 kHz, 256-frame periods) for the whole session, under a name of its
own, and points ``JACK_DEFAULT_SERVER`` at it, so PortAudio's JACK host API runs real
callbacks and python-rtmidi's JACK API opens virtual MIDI ports on it. ``xvfb_display``
starts one Xvfb for the editor tests. A missing program skips the tests that need it,
naming the apt package (:func:`require_programs`); ``make test`` installs them all.

Both servers run in a process group of their own, are told to end when this process
dies (``PR_SET_PDEATHSIG``: even a crashed pytest leaves none behind), and are stopped
group and all at the end of the session, also after a failure or Ctrl-C.

Engines. Every ``Engine`` a test opens, however it was made, is closed after the test
in a ``finally`` (:func:`engines_closed_and_threads_joined`); after that no thread the
test started may still be alive: the test fails naming the threads.

Processes. This process adopts orphaned descendants (``PR_SET_CHILD_SUBREAPER``); at
the end of the session any child process still alive fails the run, named, and is
killed (:func:`pytest_sessionfinish`).
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import tqdm

from nodegraph.engine import Engine

# No test may start a JACK server behind our back (libjack autostarts one otherwise).
os.environ["JACK_NO_START_SERVER"] = "1"
# tqdm's progress bars (nodegraph train, in-process) start a monitor thread that lives as
# long as the process; without it every thread a test starts is one it must end.
tqdm.tqdm.monitor_interval = 0

JACK_RATE = 48000
JACK_PERIOD = 256
#: how long threads a test started get to end after its engines are closed
THREAD_END_DEADLINE_S = 10.0
#: how long a server gets to end after SIGTERM before SIGKILL
SERVER_STOP_S = 10.0

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_libc = ctypes.CDLL(None, use_errno=True)


def _prctl(option: int, value: int) -> None:
    """Linux's prctl; nothing elsewhere (the servers then just lack the safety net)."""
    if hasattr(_libc, "prctl"):
        _libc.prctl(option, value, 0, 0, 0)


# Orphaned grandchildren (a server started by a child that died) become our children,
# so the session-end check sees them instead of init.
_prctl(_PR_SET_CHILD_SUBREAPER, 1)


# -- missing programs ---------------------------------------------------------------------


def require_programs(package: str, *programs: str) -> dict[str, str]:
    """The paths of ``programs``; skips the test (naming the apt ``package``) when one is
    missing. The one rule for every external program the suite needs."""
    found = {name: shutil.which(name) for name in programs}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not found: install the apt package {package} "
                    "(make test installs it)")
    return found  # type: ignore[return-value]


# -- servers ------------------------------------------------------------------------------


def _die_with_parent() -> None:  # runs in the child between fork and exec
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


_servers: list[subprocess.Popen] = []


def start_server(args: list[str], **kwargs) -> subprocess.Popen:
    """Start a server in a process group of its own that ends when this process dies."""
    proc = subprocess.Popen(args, start_new_session=True, preexec_fn=_die_with_parent,
                            **kwargs)
    _servers.append(proc)
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after ``SERVER_STOP_S``; waits."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(SERVER_STOP_S)
            break
        except subprocess.TimeoutExpired:
            continue
    proc.wait()
    if proc in _servers:
        _servers.remove(proc)


def _leave_portaudio() -> None:
    """Terminate PortAudio before JACK goes (libjack aborts the process otherwise)."""
    if "sounddevice" in sys.modules:
        import sounddevice

        while sounddevice._initialized:
            sounddevice._terminate()


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The name of the session's JACK server (dummy driver), in JACK_DEFAULT_SERVER: the
    one server for audio (PortAudio) and MIDI (python-rtmidi) tests."""
    paths = require_programs("jackd2", "jackd", "jack_wait")
    name = f"nodegraph-test-{os.getpid()}"
    log = tmp_path_factory.mktemp("jack") / "jackd.log"
    with open(log, "wb") as out:
        proc = start_server([paths["jackd"], "-n", name, "-d", "dummy", "-r", str(JACK_RATE),
                             "-p", str(JACK_PERIOD)], stdout=out, stderr=subprocess.STDOUT)
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        ready = subprocess.run([paths["jack_wait"], "-s", name, "-w", "-t", "10"],
                               capture_output=True)
        if ready.returncode != 0 or proc.poll() is not None:
            pytest.fail(f"jackd did not start: {log.read_text(errors='replace')}")
        if "sounddevice" in sys.modules:  # PortAudio scanned devices before JACK was up
            import sounddevice

            sounddevice._terminate()
            sounddevice._initialize()
        yield name
    finally:
        _leave_portaudio()
        stop_server(proc)
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


SCREEN = "1440x900x24"


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """A running Xvfb server's display name (":N") for the whole session; Xvfb picks the
    number itself (``-displayfd``: no clash with other servers on the machine)."""
    if os.environ.get("NODEGRAPH_TEST_DISPLAY"):  # a display provided from outside
        yield os.environ["NODEGRAPH_TEST_DISPLAY"]
        return
    paths = require_programs("xvfb", "Xvfb")
    read_end, write_end = os.pipe()
    server = start_server(
        [paths["Xvfb"], "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten",
         "tcp", "-noreset"], pass_fds=(write_end,), stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE)
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        number = os.read(read_end, 64).decode().strip() if ready else ""
        if not number:
            stop_server(server)
            raise RuntimeError(f"Xvfb did not start: {server.stderr.read().decode()[-500:]}")
        yield f":{number}"
    finally:
        os.close(read_end)
        stop_server(server)


# -- engines and threads ------------------------------------------------------------------

#: the engines opened during the running test (None between tests)
_opened: list[Engine] | None = None
_engine_open = Engine.open


def _open_and_track(self: Engine) -> None:
    if _opened is not None and not any(e is self for e in _opened):
        _opened.append(self)
    _engine_open(self)


Engine.open = _open_and_track  # type: ignore[method-assign]


def _foreign(thread: threading.Thread) -> bool:
    """Threads Python did not start (PortAudio's and JACK's callbacks seen by Python as
    ``_DummyThread``): nothing a test could join."""
    return isinstance(thread, threading._DummyThread)


def threads_left(before: set[threading.Thread], deadline_s: float) -> list[threading.Thread]:
    """Threads not in ``before`` still alive after waiting up to ``deadline_s`` for them."""
    deadline = time.monotonic() + deadline_s
    while True:
        left = [t for t in threading.enumerate()
                if t not in before and t.is_alive() and not _foreign(t)]
        if not left or time.monotonic() > deadline:
            return left
        left[0].join(max(0.0, min(0.05, deadline - time.monotonic())))


@pytest.fixture(autouse=True)
def engines_closed_and_threads_joined() -> Iterator[list[Engine]]:
    """The one way engines end in tests: every engine opened during the test is closed
    here, in a ``finally``, last opened first; then every thread the test started must
    have ended (within ``THREAD_END_DEADLINE_S``), or the test fails naming them."""
    global _opened
    before = set(threading.enumerate())
    _opened = opened = []
    try:
        yield opened
    finally:
        _opened = None
        problems = []
        for engine in reversed(opened):
            try:
                engine.close()
            except Exception as exc:  # noqa: BLE001 - report every engine, then fail
                problems.append(f"closing an engine raised {exc!r}")
        left = threads_left(before, THREAD_END_DEADLINE_S)
        if left:
            problems.append("threads started by this test are still alive after its "
                            "engines closed: " + ", ".join(
                                f"{t.name} ({getattr(t, '_target', None)!r})" for t in left))
        if problems:
            pytest.fail("; ".join(problems), pytrace=False)


# -- nothing left running -----------------------------------------------------------------


def _children() -> list[tuple[int, str]]:
    """(pid, command line) of this process's live children (zombies are reaped)."""
    if not os.path.isdir("/proc"):
        return []
    me = os.getpid()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses
            state, ppid = stat[stat.rindex(")") + 2:].split()[:2]
            if int(ppid) != me:
                continue
            if state == "Z":
                os.waitpid(int(entry.name), os.WNOHANG)
                continue
            cmd = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except (OSError, ValueError, ChildProcessError):
            continue
        found.append((int(entry.name), cmd))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the servers (also after Ctrl-C, when fixtures may not have ended them); then
    any child process still alive fails the run, named, and is killed."""
    _leave_portaudio()
    for proc in list(_servers):
        stop_server(proc)
    deadline = time.monotonic() + 5.0
    survivors = _children()
    while survivors and time.monotonic() < deadline:  # children that are ending now
        time.sleep(0.05)
        survivors = _children()
    if not survivors:
        return
    for pid, _ in survivors:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    names = "; ".join(f"pid {pid}: {cmd}" for pid, cmd in survivors)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = f"child processes still alive at the end of the session (killed now): {names}"
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(f"ERROR: {message}", red=True)
    else:
        print(message, file=sys.stderr)
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# -- two workers (make test) --------------------------------------------------------------


def pytest_itemcollected(item: pytest.Item) -> None:
    """``make test`` runs the suite on two pytest-xdist workers (``--dist loadgroup``).
    A module's tests run on one worker, so its module-scoped fixtures (a trained model)
    are built once; the tests that use the session's JACK or X server all run on one
    worker, so each server is started once per run. (pytest-xdist groups tests by
    rewriting their node ids, which pytest 9 ignores: hence pytest 8 in the ``dev``
    extra.)"""
    servers = {"jack_server", "xvfb_display"} & set(getattr(item, "fixturenames", ()))
    module = getattr(item, "module", None)
    group = "servers" if servers else module.__name__ if module else item.nodeid
    item.add_marker(pytest.mark.xdist_group(group))
