"""Recorded examples: (x, y) pairs in memory, on disk from the moment they are recorded.

A regress node's folder (``<patch>.data/<node id>/``) holds:

- ``inputs.json`` and ``outputs.json``: the examples as two FluCoMa DataSets whose ids
  match (REFERENCE.md), the snapshot written on save;
- ``journal.jsonl``: one JSON line per change since that snapshot (``add``, ``delete``,
  ``clear``), appended as the change happens.

**Crash safety.** Each change is a single ``os.write`` of a whole line to the journal
(opened with ``O_APPEND``) before the call returns, so a crash of the process loses no
recorded example. A helper thread fsyncs behind the writes, so an operating-system crash
or power cut loses at most the examples recorded since its last fsync (normally the last
one). Opening replays the journal over the snapshot, skipping a torn last line, then
compacts (new snapshot, empty journal). Replaying is idempotent, so a crash between
writing the snapshot and emptying the journal is harmless: in that window the two
DataSets may disagree, and the journal settles it.

Ids are ``r<round>-<n>``. A round is one ``record`` or one ``record_while`` pass: the unit
``delete_last`` removes. Ids from elsewhere (a DataSet written in Max) count as one round
each.

Thread use: changes come from the control thread; :meth:`ExampleStore.arrays` may be
called from any thread (the editor's latent map). A lock guards both, held briefly.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path

import numpy as np

from nodegraph.storage import atomic_write_json

from . import flucoma

log = logging.getLogger("nodegraph.iml.dataset")

INPUTS_FILE = "inputs.json"
OUTPUTS_FILE = "outputs.json"
JOURNAL_FILE = "journal.jsonl"

_ID = re.compile(r"^r(\d+)-(\d+)$")


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
        """Load what ``folder`` holds (snapshot + journal) and journal changes there."""
        self._folder = folder
        if folder is not None and self.read(folder):
            self._write_snapshot(folder)
            (folder / JOURNAL_FILE).write_bytes(b"")

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
        self._write_snapshot(folder)
        if not live:
            return
        if self._folder != folder and self._journal is not None:
            self._journal.close()
            self._journal = None
        self._folder = folder
        (folder / JOURNAL_FILE).write_bytes(b"")

    def close(self) -> None:
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
        if self._folder is None:
            return
        if self._journal is None:
            self._journal = _Journal(self._folder / JOURNAL_FILE)
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
        lines = journal.read_bytes().split(b"\n")
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number >= len(lines) - 1:
                    log.warning("%s: skipped a torn last line (a crash while writing it)", journal)
                    continue
                raise flucoma.FormatError(f"{journal}:{number}: not a JSON line") from None
            where = f"{journal}:{number}"
            op = flucoma.field(record, "op", where)
            if op == "add":
                x = flucoma.numbers(flucoma.field(record, "x", where), None, where)
                y = flucoma.numbers(flucoma.field(record, "y", where), None, where)
                self._insert(str(flucoma.field(record, "id", where)), x, y)
            elif op == "delete":
                self._delete([str(i) for i in flucoma.field(record, "ids", where)])
            elif op == "clear":
                self._clear()
            else:
                raise flucoma.FormatError(f"{where}: unknown op {op!r} (add, delete, clear)")

    def _write_snapshot(self, folder: Path) -> None:
        ids, x, y = self.arrays()
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

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._dirty = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._sync_loop, name="iml-journal-fsync",
                                        daemon=True)
        self._thread.start()

    def append(self, record: dict) -> None:
        data = (json.dumps(record, allow_nan=False) + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # a short write (rare: a full disk) raises on retry
            written += os.write(self._fd, data[written:])
        self._dirty.set()

    def _sync_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            os.fsync(self._fd)
            if self._closing:
                return

    def close(self) -> None:
        self._closing = True
        self._dirty.set()
        self._thread.join()
        os.close(self._fd)
