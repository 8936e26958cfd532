"""The saver: learned state written to disk off the control thread.

The control thread never waits on disk (docs/architecture.md, Threads). When a node's
learned state changes (``Context.learned``) or the whole patch's learned state is
saved (``Engine.save_learned``), the control thread takes a **snapshot** of what is to
be written and hands the writing to the saver's one thread:

- a node whose ``state_snapshot(folder)`` returns a function ``write()`` (called on
  the control thread, holding copies of its state) has it called by the saver
  later; a node whose ``state_snapshot`` returns None (the default) has its
  ``save_state(folder)`` called on the saver thread, which is right for state
  replaced whole (one reference read once), not for containers the control thread
  changes in place;
- requests run one at a time, in the order they were first made; a request for a
  (node, folder) that is still waiting **coalesces** with it: only the newest
  snapshot is written;
- :meth:`Saver.flush` waits until everything requested before it is on disk, and
  returns the errors those writes raised. Front ends' explicit saves and closing the
  engine call it; the tick never does.

Files stay atomic (temp, fsync, rename: :mod:`nodegraph.storage`); the saver only
moves that work to its own thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable

log = logging.getLogger("nodegraph.saver")

#: failed writes kept for ``flush`` to return
MAX_ERRORS = 100

Write = Callable[[], None]
OnError = Callable[[Hashable, BaseException], None]


class Saver:
    """One thread writing requested snapshots in order; see the module docstring."""

    def __init__(self, on_error: OnError | None = None) -> None:
        self._on_error = on_error
        self._cond = threading.Condition()
        #: key → (write, sequence number of its newest request); insertion ordered
        self._jobs: dict[Hashable, tuple[Write, int]] = {}
        #: sequence number of the request being written (None: idle)
        self._busy: int | None = None
        self._seq = 0
        #: (sequence number, key, error) of failed writes not yet returned by flush
        self._errors: list[tuple[int, Hashable, BaseException]] = []
        self._thread: threading.Thread | None = None
        self._closing = False

    def request(self, key: Hashable, write: Write) -> None:
        """Have ``write()`` run on the saver thread; replaces a request for ``key`` that
        is still waiting. Any thread; never waits on disk (a lock held for a few
        dictionary operations)."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the saver is closed")
            self._seq += 1
            self._jobs[key] = (write, self._seq)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nodegraph-saver",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()

    @property
    def pending(self) -> int:
        """Requests waiting or being written (any thread)."""
        with self._cond:
            return len(self._jobs) + (self._busy is not None)

    def flush(self) -> list[tuple[Hashable, BaseException]]:
        """Wait until every request made before this call is written; returns the
        ``(key, error)`` of those whose write raised. Never call it from a tick."""
        with self._cond:
            target = self._seq
            self._cond.wait_for(lambda: self._oldest() > target)
            errors = [(key, exc) for seq, key, exc in self._errors if seq <= target]
            self._errors = [e for e in self._errors if e[0] > target]
            return errors

    def close(self) -> list[tuple[Hashable, BaseException]]:
        """Flush, then stop the thread; later requests raise RuntimeError."""
        errors = self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()
        return errors

    def _oldest(self) -> float:
        """The sequence number of the oldest request not yet written (inf: none)."""
        seqs = [seq for _, seq in self._jobs.values()]
        if self._busy is not None:
            seqs.append(self._busy)
        return min(seqs, default=float("inf"))

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._jobs or self._closing)
                if not self._jobs:
                    return  # closing, nothing left
                key = next(iter(self._jobs))
                write, seq = self._jobs.pop(key)
                self._busy = seq
            try:
                write()
            except BaseException as exc:  # handed to flush and to the owner
                log.error("saving %s failed: %s: %s", key, type(exc).__name__, exc)
                with self._cond:
                    self._errors.append((seq, key, exc))
                    del self._errors[:-MAX_ERRORS]  # nobody flushed: keep the newest
                if self._on_error is not None:
                    try:
                        self._on_error(key, exc)
                    except Exception:
                        log.exception("the saver's error callback failed")
            finally:
                with self._cond:
                    self._busy = None
                    self._cond.notify_all()
