"""The journal against a full disk and a read-only folder, with real OS limits: a
short write (RLIMIT_FSIZE, the same short write and error a full disk gives) leaves
no half line and loses nothing recorded; a read-only folder (a read-only tmpfs mount
as root, permissions otherwise) is usable from memory. Saves keep file modes; stale
temporary files are removed."""

from __future__ import annotations

import logging
import os
import resource
import signal
import subprocess
import time

import numpy as np
import pytest

from nodegraph.storage import STALE_AFTER_S, atomic_write_json, writable
from nodes.iml.dataset import JOURNAL_FILE

from store_helpers import close_stores, opened  # noqa: F401 (close_stores: autouse)


def record(store, n, start=0):
    for i in range(start, start + n):
        store.add(np.array([i, 0.5]), np.array([-i]), store.new_round())


@pytest.fixture
def file_size_limit():
    """Set the soft RLIMIT_FSIZE (bytes) for this process until the test ends; a write
    past it stops short and the next one fails with EFBIG (SIGXFSZ ignored)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def limit(size):
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))

    yield limit
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    signal.signal(signal.SIGXFSZ, previous)


def test_a_write_that_stops_short_is_cut_back_and_the_example_refused(tmp_path,
                                                                      file_size_limit):
    store = opened(tmp_path)
    record(store, 3)
    journal = tmp_path / JOURNAL_FILE
    before = journal.read_bytes()
    file_size_limit(len(before) + 20)  # the next line is longer: a short write
    with pytest.raises(OSError, match="could not write .*the change was not recorded"):
        record(store, 1, start=3)
    assert journal.read_bytes() == before  # no half line
    assert len(store) == 3  # nor in memory: all or nothing
    file_size_limit(resource.RLIM_INFINITY)
    record(store, 2, start=10)  # space again: recording goes on
    store.close()
    ids, x, _ = opened(tmp_path).arrays()
    assert x[:, 0].tolist() == [0, 1, 2, 10, 11]


@pytest.fixture
def read_only_folder(tmp_path):
    """A function that makes a folder read-only: a tmpfs remounted read-only when
    running as root (who ignores permissions), else permissions 0555."""
    mounts = []

    def make(populate):
        folder = tmp_path / "ro"
        folder.mkdir()
        if os.geteuid() == 0:
            ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
                                capture_output=True).returncode == 0
            if not ok:
                pytest.skip("root without the right to mount a tmpfs")
            mounts.append(folder)
        populate(folder)
        if mounts:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        else:
            folder.chmod(0o555)
        return folder

    yield make
    for folder in mounts:
        subprocess.run(["umount", str(folder)], check=True)
    if (tmp_path / "ro").exists():
        (tmp_path / "ro").chmod(0o755)


def test_a_read_only_folder_with_a_pending_journal_is_used_from_memory(read_only_folder,
                                                                       caplog):
    def populate(folder):
        store = opened(folder)
        record(store, 4)
        store.close()  # journal pending: opening it would compact

    folder = read_only_folder(populate)
    assert not writable(folder)
    with caplog.at_level(logging.WARNING):
        store = opened(folder)
    assert len(store) == 4 and store.folder is None
    assert "read-only; its 4 examples are used from memory" in caplog.text
    record(store, 1, start=4)  # recording works, in memory
    assert len(store) == 5


def test_saves_keep_the_file_mode_and_new_files_follow_the_umask(tmp_path):
    path = tmp_path / "shared.json"
    atomic_write_json(path, {"a": 1})
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o664)
    atomic_write_json(path, {"a": 2})
    assert path.stat().st_mode & 0o777 == 0o664


def test_opening_removes_stale_temporary_files_only(tmp_path):
    stale = tmp_path / ".inputs.json.1a2b3c4d.tmp"
    fresh = tmp_path / ".outputs.json.5e6f7a8b.tmp"
    stale.write_text("half a save")
    fresh.write_text("a save in progress")
    old = time.time() - STALE_AFTER_S - 60
    os.utime(stale, (old, old))
    opened(tmp_path)
    assert not stale.exists() and fresh.exists()


@pytest.mark.parametrize("name,data,words", [
    ("inputs.json", b"\xff\xfe not text", "not UTF-8 text"),
    ("inputs.json", b"[" * 100_000, "nested too deep"),
])
def test_a_corrupt_snapshot_is_an_error_naming_the_file(tmp_path, name, data, words):
    from nodes.iml import flucoma

    (tmp_path / name).write_bytes(data)
    (tmp_path / "outputs.json").write_text('{"cols": 1, "data": {}}')
    with pytest.raises(flucoma.FormatError, match=words) as info:
        opened(tmp_path)
    assert str(info.value).startswith(str(tmp_path / name))


def test_a_corrupt_npz_is_an_error_naming_the_file(tmp_path):
    from nodegraph.storage import read_npz

    (tmp_path / "knn.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValueError, match="not a readable npz file") as info:
        read_npz(tmp_path / "knn.npz")
    assert str(info.value).startswith(str(tmp_path / "knn.npz"))
