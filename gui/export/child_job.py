"""The dialog's side of an export run in a child process (gui.export.child), through a QProcess.

:class:`ChildJob` writes the job file into a work directory of its own, starts
``sys.executable -m gui.export.child JOBFILE --watch-stdin`` and never waits for it: the child's
lines arrive through the event loop (``readyReadStandardOutput``), are split on line ends (a
partial line waits in a buffer for its end) and become signals: ``progressed(done, total)``,
``noted(text)`` and, once the process has ended, ``finished(message)`` with ``""`` (done: the
clip is at ``result``), ``"cancelled"``, or one line saying what went wrong (the child's
``error`` line, or, when the child died without one, how it ended and its last words on
standard error).

**Cleaning up.** The work directory holds the job file and every temporary file the child makes
(gui.export.encoder.ClipWriter's ``temporary_dir``); the dialog makes it beside the clip (same
file system: the child's final rename is atomic) and removes it whole when the process has
ended, whatever the ending: done, failed, cancelled, killed, crashed. :meth:`ChildJob.cancel`
sends SIGTERM, then SIGKILL after :data:`GRACE_MS`; the UI thread never waits on the process.
A job outlives its dialog (no Qt parent; held in a module set until it ends); when the
application quits, :func:`stop_all` kills what still runs and removes its directories, and the
child, which watches its standard input, stops by itself if the app dies.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from PyQt6 import QtCore

#: Milliseconds between SIGTERM and SIGKILL when cancelling.
GRACE_MS = 1000
#: The project's root (so ``-m gui.export.child`` imports this very code).
ROOT = Path(__file__).resolve().parents[2]
#: Bytes of the child's standard error kept for a message (its last words when it dies).
STDERR_TAIL = 4000
JOB_NAME = "job.json"

_RUNNING: set[ChildJob] = set()
_ENDED: set[ChildJob] = set()


def make_work_directory(out: str) -> Path:
    """A private directory beside the clip ``out`` (hidden, ``.NAME.XXXX.export``); raises OSError."""
    target = Path(os.path.normpath(out))
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".export", dir=target.parent))


class ChildJob(QtCore.QObject):
    """One export (or preview) rendered by a child process; see the module docstring.

    Args:
        job: the job file's contents (gui.export.child); its ``work`` key is set here.
        work: the directory made for it (removed when the job ends).
    """

    progressed = QtCore.pyqtSignal(int, int)
    noted = QtCore.pyqtSignal(str)
    finished = QtCore.pyqtSignal(str)

    def __init__(self, job: dict[str, Any], work: Path):
        super().__init__(None)
        self.work = work
        self.job_file = work / JOB_NAME
        self.done = 0
        self.total = 0
        self.result = ""  # the path of a ``done`` line
        self.error = ""  # the text of an ``error`` line
        self.pid = 0
        self._buffer = b""
        self._stderr = b""
        self._cancelled = False
        self._ended = False
        job = dict(job, work=str(work))
        try:
            with open(self.job_file, "x", encoding="utf-8") as stream:
                json.dump(job, stream)
        except OSError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        self.process = QtCore.QProcess(self)
        environment = QtCore.QProcessEnvironment.systemEnvironment()
        paths = [str(ROOT)] + [p for p in environment.value("PYTHONPATH", "").split(os.pathsep) if p]
        environment.insert("PYTHONPATH", os.pathsep.join(paths))
        self.process.setProcessEnvironment(environment)
        self.process.readyReadStandardOutput.connect(self._read_output)
        self.process.readyReadStandardError.connect(self._read_errors)
        self.process.finished.connect(self._on_finished)
        self.process.errorOccurred.connect(self._on_error)
        self._kill_timer = QtCore.QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(GRACE_MS)
        self._kill_timer.timeout.connect(self.process.kill)

    def start(self) -> None:
        """Start the child (asynchronously: fork and exec happen now, its start-up in its own process)."""
        _RUNNING.add(self)
        self.process.start(sys.executable, ["-m", "gui.export.child", str(self.job_file), "--watch-stdin"])
        self.pid = int(self.process.processId() or 0)

    @property
    def running(self) -> bool:
        return not self._ended

    def cancel(self) -> None:
        """Stop the child: SIGTERM now, SIGKILL after GRACE_MS; ``finished("cancelled")`` once it has ended."""
        if self._ended or self._cancelled:
            return
        self._cancelled = True
        if self.process.state() == QtCore.QProcess.ProcessState.NotRunning:
            self._end("cancelled")
            return
        self.process.terminate()
        self._kill_timer.start()

    def stop_now(self) -> None:
        """Kill the child and clean up at once (the application is quitting: no event loop to wait in)."""
        if self._ended:
            return
        self._cancelled = True
        if self.process.state() != QtCore.QProcess.ProcessState.NotRunning:
            self.process.kill()
            self.process.waitForFinished(2000)
        self._end("cancelled")

    # -- the child's output ---------------------------------------------------------------------
    def _read_output(self) -> None:
        self._buffer += bytes(self.process.readAllStandardOutput())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._line(line.decode("utf-8", errors="replace").strip())

    def _read_errors(self) -> None:
        self._stderr = (self._stderr + bytes(self.process.readAllStandardError()))[-STDERR_TAIL:]

    def _line(self, line: str) -> None:
        kind, _, text = line.partition(" ")
        if kind == "progress":
            parts = text.split()
            if len(parts) == 2 and all(part.isdigit() for part in parts):
                self.done, self.total = int(parts[0]), int(parts[1])
                self.progressed.emit(self.done, self.total)
        elif kind == "note":
            self.noted.emit(text)
        elif kind == "done":
            self.result = text
        elif kind == "error":
            self.error = text or "the export failed"

    def _on_error(self, error: QtCore.QProcess.ProcessError) -> None:
        if error == QtCore.QProcess.ProcessError.FailedToStart:  # no finished() follows
            self._end(f"The export could not start {sys.executable}: {self.process.errorString()}")

    def _on_finished(self, code: int, status: QtCore.QProcess.ExitStatus) -> None:
        self._read_output()
        self._read_errors()
        if self._buffer.strip():  # a last line without its line end
            self._line(self._buffer.decode("utf-8", errors="replace").strip())
            self._buffer = b""
        if self._cancelled:
            message = "cancelled"
        elif self.error:
            message = self.error
        elif status == QtCore.QProcess.ExitStatus.NormalExit and code == 0 and self.result:
            message = ""
        else:
            how = ("was killed or crashed" if status == QtCore.QProcess.ExitStatus.CrashExit
                   else f"ended with status {code} and no message")
            last = self.last_words()
            message = (f"The export stopped: its rendering process {how}"
                       + (f" ({last})" if last else "") + "; nothing was written.")
        self._end(message)

    def last_words(self) -> str:
        """The last line the child wrote on standard error, for a message ("" if none)."""
        lines = [line.strip() for line in self._stderr.decode("utf-8", errors="replace").splitlines()]
        lines = [line for line in lines if line]
        return lines[-1][:200] if lines else ""

    def _end(self, message: str) -> None:
        if self._ended:
            return
        self._ended = True
        self._kill_timer.stop()
        try:
            self.finished.emit(message)
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
            _RUNNING.discard(self)
            # Held until the event loop turns: the QProcess may still be inside its own signal
            # (FailedToStart comes from within start()); deleting it there crashes.
            _ENDED.add(self)
            QtCore.QTimer.singleShot(0, lambda: _ENDED.discard(self))


def stop_all() -> None:
    """Kill every child still running and remove its work directory (the application is quitting)."""
    for job in list(_RUNNING):
        job.stop_now()


def _stop_at_exit() -> None:
    """The last resort at interpreter exit (no Qt calls: the objects may be gone): kill, then remove."""
    for job in list(_RUNNING):
        if job.pid:
            try:
                os.kill(job.pid, getattr(signal, "SIGKILL", signal.SIGTERM))  # (Windows has no SIGKILL)
            except OSError:
                pass
        shutil.rmtree(job.work, ignore_errors=True)
    _RUNNING.clear()


atexit.register(_stop_at_exit)


def watch_application_quit() -> None:
    """Connect :func:`stop_all` to the application's aboutToQuit, once."""
    application = QtCore.QCoreApplication.instance()
    if application is not None and not application.property("downhillExportWatch"):
        application.aboutToQuit.connect(stop_all)
        application.setProperty("downhillExportWatch", True)
