"""Background work for the GUI: SymPy builds and critical-point searches off the UI thread.

A :class:`Job` is one call of a plain Python function on a ``QThreadPool`` thread. Its result
comes back by signal, tagged with the generation number of the request, so the receiver can
drop a result that a newer request has made stale. SymPy cannot be interrupted half-way, so
"cancelling" a stale build means never starting it: a :class:`LatestOnlyRunner` runs one job
at a time and keeps at most one waiting, the newest; a request that arrives while another waits
replaces it. Typing ``x^2 + y^2`` letter by letter therefore costs at most two builds, not
eleven.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

from surfaces.errors import DownhillError


class JobSignals(QObject):
    """The signals of one job; created on the UI thread so that they are delivered there.

    Signals:
        succeeded(generation, result)
        failed(generation, error): a DownhillError describing what went wrong.
        finished(generation): after either of the above.
    """

    succeeded = pyqtSignal(int, object)
    failed = pyqtSignal(int, object)
    finished = pyqtSignal(int)


class Job(QRunnable):
    """Run ``function()`` on a pool thread and report its result with ``generation``.

    A ``DownhillError`` is reported as it is. Any other exception from SymPy or NumPy (a
    RecursionError deep in simplification, an overflow, a MemoryError) is reported as a
    DownhillError that names the task: the person typing a formula should read a sentence,
    and the window must not die because one formula broke the library.
    """

    def __init__(self, generation: int, task: str, function: Callable[[], Any],
                 still_wanted: Callable[[int], bool] | None = None):
        super().__init__()
        self.generation = generation
        self.task = task
        self.function = function
        self.still_wanted = still_wanted
        self.signals = JobSignals()
        # The pool must not delete the C++ object while Python still holds the runnable.
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            if self.still_wanted is not None and not self.still_wanted(self.generation):
                return
            result = self.function()
        except DownhillError as error:
            self.signals.failed.emit(self.generation, error)
        except Exception as error:  # noqa: BLE001 - any library failure becomes a message, not a crash
            detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            traceback.print_exc()
            self.signals.failed.emit(self.generation, DownhillError(f"could not {self.task} ({detail})"))
        else:
            self.signals.succeeded.emit(self.generation, result)
        finally:
            self.signals.finished.emit(self.generation)


class LatestOnlyRunner(QObject):
    """Run jobs one at a time on a private pool thread, keeping only the newest waiting request.

    Each :meth:`submit` returns a new generation number; :attr:`generation` is the latest.
    ``succeeded(generation, result)`` and ``failed(generation, error)`` are re-emitted only
    for the latest generation, so receivers never see a stale result. ``busyChanged(bool)``
    tells a busy indicator when work starts and when the last of it ends.
    """

    succeeded = pyqtSignal(int, object)
    failed = pyqtSignal(int, object)
    busyChanged = pyqtSignal(bool)

    def __init__(self, task: str, parent: QObject | None = None):
        super().__init__(parent)
        self.task = task
        self.generation = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._running: Job | None = None
        self._waiting: Job | None = None
        # The last finished job stays referenced until the next one finishes: its ``run`` may
        # still be returning on the pool thread when its ``finished`` signal reaches us.
        self._retired: Job | None = None

    @property
    def busy(self) -> bool:
        return self._running is not None or self._waiting is not None

    def submit(self, function: Callable[[], Any]) -> int:
        """Queue ``function`` as the newest request (replacing any waiting one); return its generation."""
        was_busy = self.busy
        self.generation += 1
        job = Job(self.generation, self.task, function, still_wanted=self._is_latest)
        job.signals.succeeded.connect(self._on_succeeded)
        job.signals.failed.connect(self._on_failed)
        job.signals.finished.connect(self._on_finished)
        if self._running is None:
            self._start(job)
        else:
            self._waiting = job
        if not was_busy:
            self.busyChanged.emit(True)
        return self.generation

    def cancel(self) -> None:
        """Forget every request: a running job finishes but its result is dropped."""
        self.generation += 1
        self._waiting = None

    def wait(self, milliseconds: int = -1) -> bool:
        """Block until the pool is idle (for shutdown and tests); True if it is."""
        return self._pool.waitForDone(milliseconds)

    def _is_latest(self, generation: int) -> bool:
        # Read from the pool thread: an int read is atomic under the GIL.
        return generation == self.generation

    def _start(self, job: Job) -> None:
        self._running = job
        self._pool.start(job)

    def _on_succeeded(self, generation: int, result: object) -> None:
        if generation == self.generation:
            self.succeeded.emit(generation, result)

    def _on_failed(self, generation: int, error: object) -> None:
        if generation == self.generation:
            self.failed.emit(generation, error)

    def _on_finished(self, generation: int) -> None:
        if self._running is not None and self._running.generation == generation:
            self._retired, self._running = self._running, None
        if self._waiting is not None:
            job, self._waiting = self._waiting, None
            self._start(job)
        elif self._running is None:
            self.busyChanged.emit(False)
