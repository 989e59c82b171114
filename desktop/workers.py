"""Background work for the shell: run a function on a thread pool, get the
answer on the GUI thread.

`TaskRunner.submit(key, fn, *args)` runs the module-level function `fn(*args)`
on the runner's own `QThreadPool` and delivers its result (`done`) or its
exception (`error`) on the GUI thread through a queued signal. Submitting
again under the same key cancels the previous run of that key: a queued run is
taken off the pool, a running one is told through its `Task` and its answer is
dropped whatever it is. Functions that want progress or to stop early take a
`task` keyword (`with_task=True`): `task.cancelled`, `task.check()`,
`task.progress(fraction, text)`.

Rules (STYLE §3): one Session per run, opened and closed inside `fn`; `fn`
returns frozen snapshots (dataclasses, tuples, dicts of plain values), never
ORM objects; widgets are touched only in the callbacks, which run on the GUI
thread. In the spirit of Orange's `concurrent.py` and Picard's `thread.py`.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QMetaMethod, QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

_OK, _FAILED, _SKIPPED = 0, 1, 2


class Cancelled(Exception):
    """Raised by `Task.check()` in a run that was cancelled."""


class Task:
    """What a running function may ask: was I cancelled? and where it may report progress."""

    def __init__(self, relay: _Relay, run_id: int) -> None:
        self._flag = threading.Event()
        self._relay = relay
        self.run_id = run_id

    @property
    def cancelled(self) -> bool:
        return self._flag.is_set()

    def cancel(self) -> None:
        self._flag.set()

    def check(self) -> None:
        if self._flag.is_set():
            raise Cancelled()

    def progress(self, fraction: float, text: str = "") -> None:
        if not self._flag.is_set():
            try:
                self._relay.progressed.emit(self.run_id, float(fraction), text)
            except RuntimeError:  # the runner is gone
                self._flag.set()


class _Relay(QObject):
    """Lives on the GUI thread; workers emit on it, the runner receives queued."""

    finished = Signal(int, int, object)  # run id, _OK/_FAILED/_SKIPPED, result or exception
    progressed = Signal(int, float, str)


class _Runnable(QRunnable):
    def __init__(self, run_id: int, fn: Callable[..., Any], args: tuple, task: Task, with_task: bool,
                 relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the runner holds the Python object until the answer is delivered
        self.run_id, self.fn, self.args, self.task, self.with_task, self.relay = (
            run_id, fn, args, task, with_task, relay)

    def run(self) -> None:
        if self.task.cancelled:
            self._answer(_SKIPPED, None)
            return
        try:
            result = self.fn(*self.args, task=self.task) if self.with_task else self.fn(*self.args)
        except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread, not lost
            self._answer(_FAILED, exc)
        else:
            self._answer(_OK, result)

    def _answer(self, status: int, payload: object) -> None:
        try:
            self.relay.finished.emit(self.run_id, status, payload)
        except RuntimeError:  # the runner was deleted while this ran (shutdown timed out): nobody to tell
            pass


@dataclass
class _Run:
    key: str
    runnable: _Runnable
    on_done: Callable[[Any], None] | None
    on_error: Callable[[BaseException], None] | None
    on_progress: Callable[[float, str], None] | None


class TaskRunner(QObject):
    """Runs functions off the GUI thread; answers arrive on the GUI thread.

    Signals carry the key: `done(key, result)`, `error(key, exception)`,
    `progress(key, fraction, text)`; per-run callbacks can be given to `submit`.
    """

    done = Signal(str, object)
    error = Signal(str, object)
    progress = Signal(str, float, str)

    def __init__(self, parent: QObject | None = None, *, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        if max_threads is not None:
            self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._relay.finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)
        self._relay.progressed.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._ids = itertools.count(1)
        self._runs: dict[int, _Run] = {}
        self._current: dict[str, int] = {}  # key -> the run whose answer is wanted
        self._closed = False

    # --- starting and stopping ----------------------------------------------------
    def submit(self, key: str, fn: Callable[..., Any], *args: Any,
               on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None,
               on_progress: Callable[[float, str], None] | None = None,
               with_task: bool = False) -> Task:
        """Run `fn(*args)` (plus `task=` if `with_task`) under `key`, cancelling the key's previous run."""
        if self._closed:
            raise RuntimeError("TaskRunner is shut down")
        self.cancel(key)
        run_id = next(self._ids)
        task = Task(self._relay, run_id)
        runnable = _Runnable(run_id, fn, args, task, with_task, self._relay)
        self._runs[run_id] = _Run(key, runnable, on_done, on_error, on_progress)
        self._current[key] = run_id
        self._pool.start(runnable)
        return task

    def cancel(self, key: str) -> None:
        """Cancel the key's run: never delivered; taken off the pool if it has not started."""
        run_id = self._current.pop(key, None)
        if run_id is None:
            return
        run = self._runs.get(run_id)
        if run is None:
            return
        run.runnable.task.cancel()
        if self._pool.tryTake(run.runnable):  # had not started: no answer will come
            self._runs.pop(run_id, None)

    def cancel_all(self) -> None:
        for key in list(self._current):
            self.cancel(key)

    def is_running(self, key: str | None = None) -> bool:
        """A run of `key` (of any key if None) is queued or running and its answer is wanted."""
        return bool(self._current) if key is None else key in self._current

    def active_count(self) -> int:
        """Runs started and not yet answered (cancelled ones included, until they return)."""
        return len(self._runs)

    def shutdown(self, wait_ms: int = 3000) -> bool:
        """Cancel everything and wait up to `wait_ms` for running functions; True if all returned."""
        self._closed = True
        self.cancel_all()
        return self._pool.waitForDone(wait_ms)

    # --- answers (GUI thread) -------------------------------------------------------
    @Slot(int, int, object)
    def _on_finished(self, run_id: int, status: int, payload: object) -> None:
        run = self._runs.pop(run_id, None)
        if run is None or self._current.get(run.key) != run_id or run.runnable.task.cancelled:
            return  # superseded or cancelled: dropped
        del self._current[run.key]
        if status == _SKIPPED:
            return
        if status == _OK:
            if run.on_done is not None:
                run.on_done(payload)
            self.done.emit(run.key, payload)
            return
        exc = payload if isinstance(payload, BaseException) else RuntimeError(str(payload))
        if run.on_error is None and not self.isSignalConnected(QMetaMethod.fromSignal(self.error)):
            log.error("background task %r failed", run.key, exc_info=(type(exc), exc, exc.__traceback__))
        if run.on_error is not None:
            run.on_error(exc)
        self.error.emit(run.key, exc)

    @Slot(int, float, str)
    def _on_progress(self, run_id: int, fraction: float, text: str) -> None:
        run = self._runs.get(run_id)
        if run is None or self._current.get(run.key) != run_id:
            return
        if run.on_progress is not None:
            run.on_progress(fraction, text)
        self.progress.emit(run.key, fraction, text)


__all__ = ["Cancelled", "Task", "TaskRunner"]
