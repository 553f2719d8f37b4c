"""Running an experiment off the UI thread, with progress, Cancel and latest-wins.

:class:`ExperimentRunner` runs ``physics.experiments.base.run_experiment`` on a private pool
thread (one at a time). The run reports ``progress(done, total)`` between chunks of its vectorised
work; the runner relays it to the UI thread as ``progressed(done, total)`` (at most every
``PROGRESS_INTERVAL`` s) and answers False once the run is cancelled or a newer request arrived,
so the run stops at its next chunk (physics.experiments.base.Cancelled). ``submit`` with new
settings therefore replaces the running work (latest wins); a cached result is delivered without
a thread. Results reach the UI thread as ``finished(spec, result)``; failures as
``failed(spec, message)`` (one line); ``busyChanged(bool)`` drives a progress bar.
"""

from __future__ import annotations

import threading
import time
import traceback
from typing import Any

from PyQt6.QtCore import QObject, QRunnable, QThreadPool, QTimer, pyqtSignal

from physics.experiments.base import Cancelled, ExperimentSpec, cached_result, run_experiment
from surfaces.errors import DownhillError

#: Seconds between two progress reports that reach the UI thread.
PROGRESS_INTERVAL = 0.05


class _Signals(QObject):
    progressed = pyqtSignal(int, int, int)  # generation, done, total
    succeeded = pyqtSignal(int, object)
    failed = pyqtSignal(int, str)
    ended = pyqtSignal(int)


class _Run(QRunnable):
    def __init__(self, runner: ExperimentRunner, generation: int, spec: ExperimentSpec, surface: Any,
                 scene: Any, seed: int) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.runner, self.generation = runner, generation
        self.spec, self.surface, self.scene, self.seed = spec, surface, scene, seed
        self.signals = _Signals()
        self._last = 0.0

    def _progress(self, done: int, total: int) -> bool:
        if not self.runner.wanted(self.generation):
            return False
        now = time.monotonic()
        if now - self._last >= PROGRESS_INTERVAL or done >= total:
            self._last = now
            self.signals.progressed.emit(self.generation, int(done), int(total))
        return True

    def run(self) -> None:
        try:
            if not self.runner.wanted(self.generation):
                return
            result = run_experiment(self.spec, self.surface, self.scene, self.seed, self._progress)
        except Cancelled:
            pass
        except DownhillError as error:
            self.signals.failed.emit(self.generation, str(error))
        except Exception as error:  # noqa: BLE001 - a failed experiment is a message, not a crash
            traceback.print_exc()
            self.signals.failed.emit(self.generation, f"the experiment failed ({type(error).__name__}: {error})")
        else:
            self.signals.succeeded.emit(self.generation, result)
        finally:
            self.signals.ended.emit(self.generation)


class ExperimentRunner(QObject):
    """One experiment at a time on a private pool thread; the newest request wins.

    Signals:
        progressed(done, total): the latest run's progress (UI thread).
        finished(spec, result): the latest request's result.
        failed(spec, message): the latest request failed (one line).
        cancelled(): the latest request was cancelled with :meth:`cancel`.
        busyChanged(bool): work started / the last of it ended.
    """

    progressed = pyqtSignal(int, int)
    finished = pyqtSignal(object, object)
    failed = pyqtSignal(object, str)
    cancelled = pyqtSignal()
    busyChanged = pyqtSignal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._lock = threading.Lock()
        self._runs: dict[int, _Run] = {}
        #: Generations still computing (a run whose result or failure has arrived is done, though its
        #: ``ended`` signal may still be on its way: busy goes False with the result, not after it).
        self._working: set[int] = set()
        self._specs: dict[int, ExperimentSpec] = {}
        self._busy = False
        self._retired: _Run | None = None
        #: The spec of the latest request (None after cancel).
        self.spec: ExperimentSpec | None = None

    @property
    def busy(self) -> bool:
        return self._busy

    def wanted(self, generation: int) -> bool:
        """Whether run ``generation`` is still the latest request (read from the pool thread)."""
        return generation == self.generation

    def submit(self, spec: ExperimentSpec, surface: Any, scene: Any = None, seed: int = 0) -> int:
        """Run ``spec`` on ``surface`` (the newest request; any older run stops at its next chunk)."""
        self.generation += 1
        generation = self.generation
        self.spec = spec
        found = cached_result(spec, surface, scene, seed)
        if found is not None:
            self._set_busy(bool(self._working))
            # Delivered from the event loop, as a computed result is: the caller's state is settled.
            QTimer.singleShot(0, lambda: self._deliver(generation, spec, found))
            return generation
        run = _Run(self, generation, spec, surface, scene, seed)
        run.signals.progressed.connect(self._on_progress)
        run.signals.succeeded.connect(self._on_succeeded)
        run.signals.failed.connect(self._on_failed)
        run.signals.ended.connect(self._on_ended)
        self._runs[generation] = run
        self._specs[generation] = spec
        self._working.add(generation)
        self._set_busy(True)
        self._pool.start(run)
        return generation

    def cancel(self) -> None:
        """Stop the running request (at its next chunk) and drop its result."""
        was = self.spec is not None and self._busy
        self.generation += 1
        self.spec = None
        if was:
            self.cancelled.emit()
        self._set_busy(bool(self._working))

    def wait(self, milliseconds: int = -1) -> bool:
        """Block until no run is left (for shutdown and tests)."""
        return self._pool.waitForDone(milliseconds)

    def _deliver(self, generation: int, spec: ExperimentSpec, result: Any) -> None:
        if generation == self.generation:
            self.finished.emit(spec, result)

    def _on_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self.generation:
            self.progressed.emit(done, total)

    def _on_succeeded(self, generation: int, result: object) -> None:
        self._done_working(generation)
        if generation == self.generation:
            self.finished.emit(self._specs[generation], result)

    def _on_failed(self, generation: int, message: str) -> None:
        self._done_working(generation)
        if generation == self.generation:
            self.failed.emit(self._specs[generation], message)

    def _done_working(self, generation: int) -> None:
        self._working.discard(generation)
        self._set_busy(bool(self._working))

    def _on_ended(self, generation: int) -> None:
        # The run object stays referenced until here: its signals must outlive its last emit.
        self._retired = self._runs.pop(generation, None)  # (its run() may still be returning)
        self._specs.pop(generation, None)
        self._done_working(generation)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)
