"""The training thread: one fit at a time, off the control and audio threads.

:class:`Trainer` runs a fit on a thread of its own (or inline on the caller's thread for
offline renders, which must be deterministic) and hands the :class:`Outcome` to a
callback on that thread. The caller installs a trained regressor by swapping one reference,
so the control thread never waits for training.

- **Progress.** The fit reports after each chunk (:meth:`TrainingJob.step`); ``progress``,
  ``loss`` and ``loss_history`` are plain attributes any thread may read.
- **Cancel** sets a flag and returns at once; the fit stops at its next chunk (≈0.1 s).
- **Rollback.** A fit whose loss or weights stop being finite (or whose loss explodes
  past :data:`EXPLODED_LOSS`) ends as ``diverged`` and the caller keeps its previous
  regressor; so does a cancelled or failed one.
- **Sharing two cores and the GIL.** The thread runs at nice +10 (Linux), so the control
  and audio threads win the CPU, and fits keep BLAS single-threaded
  (:func:`.algorithms.fit`). scikit-learn's training loop holds the GIL between short
  numpy calls; a thread waiting for it gets it within the interpreter's switch interval
  (5 ms by default). ``bench/iml.py`` measures the control tick gaps while training.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .algorithms import Cancelled, Diverged, Regressor

log = logging.getLogger("nodegraph.iml.training")

#: Values kept in ``loss_history`` (the editor plots them).
HISTORY = 200
#: A loss above this counts as diverged even while finite: losses are in standardised
#: output units, where always predicting the mean scores 1.
EXPLODED_LOSS = 1e6


@dataclass(frozen=True)
class Outcome:
    """How a training ended: ``status`` is trained, cancelled, diverged or failed."""

    status: str
    regressor: Regressor | None
    message: str
    seconds: float


class TrainingJob:
    """One training run as its fit and its readers see it."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self.progress = 0.0
        self.loss: float | None = None
        self.history: deque[float] = deque(maxlen=HISTORY)

    def step(self, progress: float, loss: float) -> None:
        """Called by the fit after each chunk; raises Diverged or Cancelled."""
        if not math.isfinite(loss) or loss > EXPLODED_LOSS:
            raise Diverged(f"the loss reached {loss:.3g}")
        self.progress = min(1.0, progress)
        self.loss = loss
        self.history.append(loss)
        if self._cancel.is_set():
            raise Cancelled

    def cancel(self) -> None:
        self._cancel.set()


class Trainer:
    """Runs fits one at a time; ``on_done(outcome)`` is called on the training thread."""

    def __init__(self, on_done: Callable[[Outcome], None]) -> None:
        self._on_done = on_done
        self._thread: threading.Thread | None = None
        self._busy = False
        self.job: TrainingJob | None = None
        self.last: Outcome | None = None

    @property
    def training(self) -> bool:
        return self._busy

    def start(self, fit: Callable[[TrainingJob], Regressor],
              background: bool = True) -> TrainingJob:
        """Start ``fit(job)``; raises RuntimeError if a training is running."""
        if self._busy:
            raise RuntimeError("a training is already running; cancel it or wait for it")
        self._busy = True
        job = self.job = TrainingJob()
        if background:
            self._thread = threading.Thread(target=self._run, args=(job, fit, True),
                                            name="iml-training", daemon=True)
            self._thread.start()
        else:
            self._run(job, fit, False)
        return job

    def cancel(self) -> None:
        """Ask the running fit to stop (returns at once; no-op when idle)."""
        job = self.job
        if job is not None and self._busy:
            job.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the running training to end; False on timeout (scripts, tests, close)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self._busy

    def close(self) -> None:
        """Cancel and wait for the thread (a chunk of work at most)."""
        self.cancel()
        self.wait(timeout=30.0)

    def _run(self, job: TrainingJob, fit: Callable[[TrainingJob], Regressor],
             background: bool) -> None:
        if background:
            _lower_priority()
        started = time.perf_counter()
        try:
            with np.errstate(all="ignore"):  # divergence is reported, not warned about
                regressor = fit(job)
            outcome = Outcome("trained", regressor, "", time.perf_counter() - started)
        except Cancelled:
            outcome = Outcome("cancelled", None, "training cancelled; kept the previous regressor",
                              time.perf_counter() - started)
        except Diverged as exc:
            outcome = Outcome("diverged", None, f"training diverged ({exc}); kept the previous "
                              "regressor: lower learning_rate or use solver lbfgs",
                              time.perf_counter() - started)
        except Exception as exc:  # reported to the node; the thread must end cleanly
            log.debug("training failed", exc_info=True)
            outcome = Outcome("failed", None, f"training failed: {type(exc).__name__}: {exc}",
                              time.perf_counter() - started)
        self.last = outcome
        try:
            self._on_done(outcome)
        finally:
            self._busy = False


def _lower_priority() -> None:
    """Nice the calling thread (Linux applies setpriority to one thread by its id)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass
