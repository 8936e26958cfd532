"""Recorded examples: (x, y) pairs in memory, on disk from the moment they are recorded.

A regress node's folder (``<patch>.data/<node id>/``) holds:

- ``inputs.json`` and ``outputs.json``: the examples as two FluCoMa DataSets whose ids
  match (docs/architecture.md), the snapshot written on save;
- ``journal.jsonl``: one JSON line per change since that snapshot (``add``, ``delete``,
  ``clear``), appended as the change happens.

**Crash safety.** Each change is a single ``os.write`` of a whole line to the journal
(opened with ``O_APPEND``) before the call returns, so a crash of the process loses no
recorded example. A write that fails (a full disk) is cut back off the journal and the
change is refused with a clear error, so the journal never holds half a line and the
example is not in memory either: all or nothing. A helper thread fsyncs behind the
writes, so an operating-system crash or power cut loses at most the examples recorded
since its last fsync (normally the last one). Opening replays the journal over the
snapshot, skipping a line it cannot read (a torn last line, or one damaged by other
means) with a warning naming ``file:line``, then compacts (new snapshot, empty
journal). Replaying is idempotent, so a crash between writing the snapshot and emptying
the journal is harmless: in that window the two DataSets may disagree, and the journal
settles it. Temporary files left by a killed save are removed on opening.

**Read-only folders.** A folder that cannot be written (a read-only medium, no
permission) is read, and the examples are used from memory, with a warning that new
ones will not be saved.

Ids are ``r<round>-<n>``. A round is one ``record`` or one ``record_while`` pass: the unit
``delete_last`` removes. Ids from elsewhere (a DataSet written in Max) count as one round
each.

Thread use: changes come from the control thread; :meth:`ExampleStore.arrays` may be
called from any thread (the editor's latent map). A lock guards both, held briefly.
:meth:`ExampleStore.snapshot` copies the examples on the control thread and returns
the write, which the engine's saver thread does later; a second lock keeps journal
appends apart from the saver emptying the journal (held for one truncate at most).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from nodegraph.api import atomic_write_json, remove_stale_temps, writable

from . import flucoma

log = logging.getLogger("nodegraph.iml.dataset")

INPUTS_FILE = "inputs.json"
OUTPUTS_FILE = "outputs.json"
JOURNAL_FILE = "journal.jsonl"

_ID = re.compile(r"^r(\d+)-(\d+)$")
#: The most examples a store records (a flood of OSC messages while recording would
#: otherwise fill memory and disk); far more than a playable regressor is trained on.
MAX_EXAMPLES = 50_000


class ExampleStore:
    """Examples in recording order, journaled to a folder (or only in memory)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._x: dict[str, np.ndarray] = {}
        self._y: dict[str, np.ndarray] = {}
        self._round: dict[str, int] = {}
        self._next_round = 1
        self._next_seq = 1
        self._folder: Path | None = None
        self._journal: _Journal | None = None
        #: guards _journal, _folder and _fresh_journal against the saver thread
        self._journal_lock = threading.Lock()
        #: the next journal opened starts empty (a save-as moved to a new folder)
        self._fresh_journal = False

    # -- reading (any thread) -------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._x)

    @property
    def folder(self) -> Path | None:
        """Where changes are journaled (None: memory only)."""
        return self._folder

    @property
    def rounds(self) -> int:
        with self._lock:
            return len(set(self._round.values()))

    def arrays(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Copies of the ids, inputs (n, d_in) and outputs (n, d_out), float64."""
        with self._lock:
            ids = list(self._x)
            if not ids:
                return [], np.zeros((0, 0)), np.zeros((0, 0))
            return ids, np.stack([self._x[i] for i in ids]), np.stack([self._y[i] for i in ids])

    # -- changing (control thread) ----------------------------------------------------------

    def open(self, folder: Path | None) -> None:
        """Load what ``folder`` holds (snapshot + journal) and journal changes there;
        a folder that cannot be written is read and then left alone (memory only)."""
        self._folder = folder
        if folder is None:
            return
        recovering = self.read(folder)
        if not writable(folder):
            self._read_only(folder, "it is read-only")
            return
        remove_stale_temps(folder)
        if recovering:
            try:
                self._write_snapshot(folder)
                (folder / JOURNAL_FILE).write_bytes(b"")
            except OSError as exc:
                self._read_only(folder, f"writing it failed ({exc.strerror or exc})")

    def _read_only(self, folder: Path, why: str) -> None:
        log.warning("%s: %s; its %d examples are used from memory, and new ones will not "
                    "be saved (save the patch somewhere writable to keep them)",
                    folder, why, len(self))
        self._folder = None

    def read(self, folder: Path) -> bool:
        """Load what ``folder`` holds (snapshot, then the journal over it) without
        writing anything, so that another process may be recording there; True when
        the journal held changes."""
        journal = folder / JOURNAL_FILE
        recovering = journal.exists() and journal.stat().st_size > 0
        inputs, outputs = folder / INPUTS_FILE, folder / OUTPUTS_FILE
        if inputs.exists() or outputs.exists():
            self._load_snapshot(inputs, outputs, recovering)
        if recovering:
            self._replay(journal)
        return recovering

    def new_round(self) -> int:
        """Start a round (one ``record``, or one ``record_while`` pass)."""
        self._next_round += 1
        return self._next_round - 1

    def add(self, x: np.ndarray, y: np.ndarray, round_: int) -> str:
        """Record one pair; returns its id once it is on disk (or in memory only)."""
        if len(self._x) >= MAX_EXAMPLES:
            raise ValueError(f"record: {MAX_EXAMPLES} examples is the most a node keeps; "
                             "delete or clear some, or train on these")
        x = _checked("x", x)
        y = _checked("target", y)
        self._check_sizes(x, y)
        point_id = f"r{round_}-{self._next_seq}"
        self._next_seq += 1
        self._log({"op": "add", "id": point_id, "x": x.tolist(), "y": y.tolist()})
        with self._lock:
            self._x[point_id], self._y[point_id], self._round[point_id] = x, y, round_
        return point_id

    def delete_last_round(self) -> int:
        """Delete the most recent round's examples; returns how many."""
        if not self._round:
            return 0
        last = self._round[next(reversed(self._round))]
        doomed = [i for i, r in self._round.items() if r == last]
        self._log({"op": "delete", "ids": doomed})
        self._delete(doomed)
        return len(doomed)

    def delete(self, ids: list[str]) -> int:
        """Delete these examples (unknown ids are ignored); returns how many."""
        doomed = [i for i in dict.fromkeys(ids) if i in self._x]
        if doomed:
            self._log({"op": "delete", "ids": doomed})
            self._delete(doomed)
        return len(doomed)

    def clear(self) -> None:
        self._log({"op": "clear"})
        self._clear()

    def save(self, folder: Path, live: bool) -> None:
        """Write the snapshot into ``folder``. ``live``: ``folder`` is where the patch now
        lives (a save, or a save-as), so later changes are journaled there."""
        self.snapshot(folder, live)()

    def snapshot(self, folder: Path, live: bool) -> Callable[[], None]:
        """Control thread: copy the examples now; the returned function writes them into
        ``folder`` (any thread, later: the engine's saver). ``live`` as for :meth:`save`:
        changes from now on are journaled in ``folder``, and the write empties the
        journal only when it holds nothing the copy lacks; otherwise the journal stays
        whole until a later save or the next open (replaying changes a snapshot already
        holds is harmless)."""
        ids, x, y = self.arrays()
        old_journal = None
        if live and self._folder != folder:
            with self._journal_lock:
                old_journal, self._journal = self._journal, None
                self._folder = folder
                self._fresh_journal = True
            if old_journal is not None:
                old_journal.close(wait=False)
        journal = self._journal
        offset = journal.size if journal is not None else 0

        def write() -> None:
            self._write_arrays(folder, ids, x, y)
            if not live:
                return
            with self._journal_lock:
                if self._folder != folder:
                    return  # moved to another folder since
                if self._journal is None:  # nothing journaled since the copy
                    (folder / JOURNAL_FILE).write_bytes(b"")
                    self._fresh_journal = False
                elif self._journal is journal:
                    journal.empty_if(offset)
                # else: a journal opened since the copy holds only later changes
        return write

    def close(self) -> None:
        with self._journal_lock:
            if self._journal is not None:
                self._journal.close()
                self._journal = None

    # -- internals ----------------------------------------------------------------------------

    def _check_sizes(self, x: np.ndarray, y: np.ndarray) -> None:
        if not self._x:
            return
        first = next(iter(self._x))
        for name, value, recorded in (("x", x, self._x[first]), ("target", y, self._y[first])):
            if value.shape != recorded.shape:
                raise ValueError(
                    f"{name} has {value.shape[0]} values but the recorded examples have "
                    f"{recorded.shape[0]}; clear the examples to record a different size")

    def _log(self, record: dict) -> None:
        with self._journal_lock:
            if self._folder is None:
                return
            if self._journal is None:
                self._journal = _Journal(self._folder / JOURNAL_FILE, self._fresh_journal)
                self._fresh_journal = False
            self._journal.append(record)

    def _insert(self, point_id: str, x: np.ndarray, y: np.ndarray) -> None:
        match = _ID.match(point_id)
        if match:
            round_, seq = int(match[1]), int(match[2])
        else:
            round_, seq = self._next_round, 0
        self._next_round = max(self._next_round, round_ + 1)
        self._next_seq = max(self._next_seq, seq + 1)
        with self._lock:
            self._x[point_id], self._y[point_id], self._round[point_id] = x, y, round_

    def _delete(self, ids: list[str]) -> None:
        with self._lock:
            for point_id in ids:
                self._x.pop(point_id, None)
                self._y.pop(point_id, None)
                self._round.pop(point_id, None)

    def _clear(self) -> None:
        with self._lock:
            self._x.clear()
            self._y.clear()
            self._round.clear()

    def _load_snapshot(self, inputs: Path, outputs: Path, recovering: bool) -> None:
        missing = [p.name for p in (inputs, outputs) if not p.exists()]
        if missing and not recovering:
            raise flucoma.FormatError(f"{inputs.parent}: {missing[0]} is missing; examples "
                                      f"need both {INPUTS_FILE} and {OUTPUTS_FILE}")
        if missing:
            return
        if recovering:  # a crash may have left the two halves of a snapshot apart
            in_ids, x = flucoma.read_dataset(inputs)
            out_ids, y = flucoma.read_dataset(outputs)
            outs = dict(zip(out_ids, y))
            pairs = [(i, row, outs[i]) for i, row in zip(in_ids, x) if i in outs]
        else:
            ids, x, y = flucoma.read_pairs(inputs, outputs)
            pairs = list(zip(ids, x, y))
        for point_id, xi, yi in pairs:
            self._insert(point_id, xi, yi)

    def _replay(self, journal: Path) -> None:
        """Apply the journal's changes; a line that cannot be applied is skipped with a
        warning naming ``file:line`` (the rest of the examples are kept)."""
        lines = journal.read_bytes().split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{journal}:{number}"
            try:
                self._apply(json.loads(line), where)
            except (ValueError, TypeError) as exc:  # JSONDecodeError, FormatError included
                torn = number >= len(lines) - 1 and isinstance(exc, json.JSONDecodeError)
                log.warning("%s: skipped %s (%s)", where,
                            "a torn last line (a crash while writing it)" if torn
                            else "a line that cannot be read", exc)

    def _apply(self, record: object, where: str) -> None:
        if not isinstance(record, dict):
            raise flucoma.FormatError(f"{where}: not a JSON object")
        op = flucoma.field(record, "op", where)
        if op == "add":
            x = _checked("x", flucoma.numbers(flucoma.field(record, "x", where), None, where))
            y = _checked("target", flucoma.numbers(flucoma.field(record, "y", where), None, where))
            if self._x:
                self._check_sizes(x, y)
            self._insert(str(flucoma.field(record, "id", where)), x, y)
        elif op == "delete":
            ids = flucoma.field(record, "ids", where)
            if not isinstance(ids, list):
                raise flucoma.FormatError(f"{where}: 'ids' must be a list")
            self._delete([str(i) for i in ids])
        elif op == "clear":
            self._clear()
        else:
            raise flucoma.FormatError(f"{where}: unknown op {op!r} (add, delete, clear)")

    def _write_snapshot(self, folder: Path) -> None:
        self._write_arrays(folder, *self.arrays())

    @staticmethod
    def _write_arrays(folder: Path, ids: list[str], x: np.ndarray, y: np.ndarray) -> None:
        n_in = x.shape[1] if ids else 0
        n_out = y.shape[1] if ids else 0
        atomic_write_json(folder / INPUTS_FILE, flucoma.dataset_to_json(ids, x, n_in))
        atomic_write_json(folder / OUTPUTS_FILE, flucoma.dataset_to_json(ids, y, n_out))


def _checked(name: str, value: np.ndarray) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name} is empty; nothing to record")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} contains NaN or infinity; example not recorded")
    return array


class _Journal:
    """An append-only file: whole-line writes now, fsyncs on a helper thread."""

    def __init__(self, path: Path, empty: bool = False) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT
                           | (os.O_TRUNC if empty else 0), 0o644)
        #: bytes in the file (what this object wrote, after what was there)
        self.size = os.fstat(self._fd).st_size
        self._dirty = threading.Event()
        self._closing = False
        self._detached = False
        self._thread = threading.Thread(target=self._sync_loop, name="iml-journal-fsync",
                                        daemon=True)
        self._thread.start()

    def append(self, record: dict) -> None:
        """Write ``record`` as one line, all or nothing: when the write fails (or
        stops short: a full disk), what it wrote is cut off again and OSError says
        the change was not recorded."""
        data = (json.dumps(record, allow_nan=False) + "\n").encode("utf-8")
        start = os.fstat(self._fd).st_size
        written = 0
        try:
            while written < len(data):
                n = os.write(self._fd, data[written:])
                if n == 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += n
        except OSError as exc:
            if written:
                try:
                    os.ftruncate(self._fd, start)
                except OSError as cut:
                    log.error("%s: could not cut back a partial line (%s); the next open "
                              "skips it", self.path, cut)
            raise OSError(exc.errno, f"{self.path}: could not write ({exc.strerror or exc}); "
                          "the change was not recorded. Free some space and try again") \
                from None
        self.size = start + written
        self._dirty.set()

    def empty_if(self, size: int) -> None:
        """Empty the file if it holds exactly ``size`` bytes (nothing appended since a
        snapshot took them all in); the caller keeps appends out meanwhile."""
        if os.fstat(self._fd).st_size == size:
            os.ftruncate(self._fd, 0)
            self.size = 0
            self._dirty.set()

    def _sync_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            os.fsync(self._fd)
            if self._closing:
                if self._detached:
                    os.close(self._fd)
                return

    def close(self, wait: bool = True) -> None:
        """Fsync and close; ``wait=False`` leaves both to the helper thread (a caller
        that must not wait on disk: the control thread)."""
        self._closing = True
        self._detached = not wait
        self._dirty.set()
        if wait:
            self._thread.join()
            os.close(self._fd)
