"""The editor's engine thread: engine calls run here, one at a time, in order.

An edit can wait on the engine (the control thread finishing a tick, a new node
opening a camera or loading a model, a save writing learned state), so the GUI never
calls the engine's blocking methods itself: it submits a :class:`Job` and keeps
rendering. Finished jobs come back on the GUI thread through :meth:`EngineWorker.poll`,
which runs their ``on_done``. A job submitted with a ``key`` replaces a job with the
same key that has not started yet (a dragged slider sends only its newest value).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Hashable
from typing import Any

log = logging.getLogger("nodegraph.editor")


class Job:
    """One engine call. ``done``, ``result`` and ``error`` are set on the worker
    thread; ``on_done(job)`` runs later on the GUI thread."""

    __slots__ = ("label", "fn", "on_done", "key", "result", "error", "_finished")

    def __init__(self, label: str, fn: Callable[[], Any],
                 on_done: Callable[[Job], None] | None, key: Hashable | None) -> None:
        self.label = label
        self.fn = fn
        self.on_done = on_done
        self.key = key
        self.result: Any = None
        self.error: BaseException | None = None
        self._finished = threading.Event()

    @property
    def done(self) -> bool:
        return self._finished.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._finished.wait(timeout)


class EngineWorker:
    """A thread running submitted jobs in order."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._finished: deque[Job] = deque()
        self._running: Job | None = None
        self._closing = False
        self._thread = threading.Thread(target=self._loop, name="nodegraph-editor-engine",
                                        daemon=True)
        self._thread.start()

    def submit(self, label: str, fn: Callable[[], Any],
               on_done: Callable[[Job], None] | None = None,
               key: Hashable | None = None) -> Job:
        """Queue ``fn``; returns its job at once (any thread)."""
        job = Job(label, fn, on_done, key)
        with self._cond:
            if key is not None:
                for i, waiting in enumerate(self._waiting):
                    if waiting.key == key:
                        del self._waiting[i]
                        waiting.error = RuntimeError("replaced by a newer value")
                        waiting._finished.set()
                        break
            self._waiting.append(job)
            self._cond.notify()
        return job

    @property
    def busy(self) -> bool:
        """True while a job waits or runs, or a finished one awaits ``poll``."""
        with self._cond:
            return bool(self._waiting or self._running or self._finished)

    def poll(self) -> None:
        """GUI thread: run ``on_done`` of every job finished since the last poll."""
        while True:
            with self._cond:
                if not self._finished:
                    return
                job = self._finished.popleft()
            if job.on_done is not None:
                job.on_done(job)

    def close(self) -> None:
        """Finish the waiting jobs, then stop the thread."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closing:
                    self._cond.wait()
                if not self._waiting:
                    return
                job = self._running = self._waiting.popleft()
            try:
                job.result = job.fn()
            except Exception as exc:  # handed to the GUI, which shows it
                job.error = exc
            with self._cond:
                self._running = None
                self._finished.append(job)
            job._finished.set()
