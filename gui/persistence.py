"""What Downhill remembers between sessions: settings, recent lists, autosave and crash recovery.

Everything lives in two places (both overridable with ``DOWNHILL_CONFIG_DIR``, which tests use
so that they never touch the real user configuration):

- the settings file ``Downhill/Downhill.ini`` (QSettings, INI format) in the configuration
  directory: window geometry and dock layout (and whether the derivatives are shown), the last
  formula, the speed, recent files
  (and the formula editor's recent formulas);
- the data directory: ``autosave.json`` (the current scene, written atomically by
  ``physics.scene_files.save_scene`` a moment after each change) and ``session.lock`` (a QLockFile
  held while the app runs). A lock left behind by a process that no longer exists means the
  previous session crashed, and its autosave is offered back.

No lost work: the autosave is deleted at exit only when its content is safe elsewhere (the
scene is unchanged since it was opened or saved, or the teacher chose to discard it); otherwise
it stays and the next start offers it back. One that cannot be restored is renamed aside
(``autosave-unreadable-<time>.json``) and kept. Settings may be corrupted or written by another
version: every reader checks the type of what it gets and falls back to a default rather than
raising. A folder that cannot be created or written (a file in the way, a read-only disk) turns
settings or autosave off with a sentence saying why, never stops the app.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import (
    QByteArray,
    QCoreApplication,
    QLockFile,
    QObject,
    QSettings,
    QStandardPaths,
    QTimer,
    pyqtSignal,
)

from physics.scene_files import save_scene
from physics.scenes import Scene, ViewSettings
from surfaces.errors import DownhillError

ORGANIZATION = "Downhill"
APPLICATION = "Downhill"
CONFIG_ENVIRONMENT_VARIABLE = "DOWNHILL_CONFIG_DIR"
RECENT_FILES_LIMIT = 10
AUTOSAVE_DELAY_MS = 1500
AUTOSAVE_PERIOD_MS = 60_000


def configure_settings() -> Path:
    """Make every ``QSettings()`` of the process read and write one INI file; return its path.

    Sets the organisation and application names, the INI format (the same on every platform,
    readable, easy to reset by deleting it) and, when ``$DOWNHILL_CONFIG_DIR`` is set, the
    directory of that file. Call before the first ``QSettings()`` is made: widgets that keep
    their own keys (the formula editor's recent formulas) then share the file with the app.
    """
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    override = os.environ.get(CONFIG_ENVIRONMENT_VARIABLE)
    if override:
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, override)
    return Path(QSettings().fileName())


def data_directory() -> Path:
    """Where the autosave and the session lock live: ``$DOWNHILL_CONFIG_DIR`` or the app data location."""
    override = os.environ.get(CONFIG_ENVIRONMENT_VARIABLE)
    if override:
        return Path(override)
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) if location else Path.home() / ".local" / "share" / APPLICATION.lower()


_FILE_IN_THE_WAY = " is a file, not a folder"


def prepare_directory(directory: Path) -> str:
    """Create ``directory`` (and its parents) if needed; "" when it is usable, else why not, in words."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        blocker = next((path for path in (directory, *directory.parents) if path.exists()), None)
        if blocker is not None and not blocker.is_dir():
            reason = f"{blocker}{_FILE_IN_THE_WAY}"
            return reason if blocker == directory else f"cannot create the folder {directory}: {reason}"
        return f"cannot create the folder {directory} ({error.strerror or error})"
    # os.access, not a trial write: it sees a read-only mount without leaving anything behind.
    if not os.access(directory, os.W_OK | os.X_OK):
        return f"cannot write in the folder {directory}"
    return ""


def start_up_notice(settings_problem: str, autosave_problem: str, settings_damage: str = "") -> str:
    """The one status-bar line about what the app cannot remember this session ("" if all is well).

    Args:
        settings_problem: :meth:`AppSettings.problem`'s answer.
        autosave_problem: :attr:`SessionGuard.problem` after ``begin()``.
        settings_damage: :meth:`AppSettings.damage`'s answer.
    """
    if settings_problem and autosave_problem:
        # One cause (a file where the folders should be) is said once.
        causes = {problem.rpartition(": ")[2] for problem in (settings_problem, autosave_problem)}
        if len(causes) == 1 and next(iter(causes)).endswith(_FILE_IN_THE_WAY):
            why = next(iter(causes)) + " (settings and autosave need folders there)"
        elif settings_problem == autosave_problem:
            why = settings_problem
        else:
            why = f"{settings_problem}; {autosave_problem}"
        return f"Settings and autosave are off: {why}"
    parts = [f"Settings are off: {settings_problem}" if settings_problem else settings_damage,
             f"Autosave is off: {autosave_problem}" if autosave_problem else ""]
    return " · ".join(part for part in parts if part)


def unsaved_content(scene: Scene) -> str:
    """The scene as the unsaved-changes check compares it: its JSON without the 3D camera.

    Turning the camera is looking, not editing: a teacher who only turned it is not asked to
    save (Save still writes the camera).
    """
    default = ViewSettings()
    view = replace(scene.view, azimuth=default.azimuth, elevation=default.elevation, distance=default.distance)
    return replace(scene, view=view).to_json()


def push_recent(items: Sequence[str], item: str, limit: int) -> list[str]:
    """``item`` first, then the others without duplicates, at most ``limit`` long."""
    return [item, *(other for other in items if other != item)][:limit]


class AppSettings:
    """Typed, corruption-tolerant access to the app's keys in the settings file.

    Args:
        settings: the store; by default ``QSettings()`` as :func:`configure_settings` set it up.
    """

    def __init__(self, settings: QSettings | None = None):
        self._settings = settings if settings is not None else QSettings()

    @property
    def path(self) -> Path:
        return Path(self._settings.fileName())

    def sync(self) -> None:
        self._settings.sync()

    @property
    def ok(self) -> bool:
        """False when the file could not be read or written (the app then runs on defaults)."""
        return self._settings.status() == QSettings.Status.NoError

    def problem(self) -> str:
        """Why the settings cannot be kept this session, in words; "" when they can.

        The settings' folder is created here (QSettings would only fail silently at exit).
        """
        folder_problem = prepare_directory(self.path.parent)
        if folder_problem:
            return folder_problem
        if self._settings.status() == QSettings.Status.AccessError or not self._settings.isWritable():
            return f"cannot read or write the settings file {self.path}"
        return ""

    def damage(self) -> str:
        """A sentence when the settings file could not be wholly read (it is rewritten at exit), else ""."""
        if self._settings.status() == QSettings.Status.FormatError:
            return f"The settings file {self.path} was damaged: what could not be read is back to its default"
        return ""

    # -- raw typed readers -------------------------------------------------------------------
    def _bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def _text(self, key: str, default: str = "") -> str:
        value = self._settings.value(key)
        return value if isinstance(value, str) else default

    def _string_list(self, key: str) -> list[str]:
        # Stored as JSON text: QSettings turns a one-element list into a bare string in INI files.
        try:
            value = json.loads(self._text(key, "[]"))
        except ValueError:
            return []
        return [item for item in value if isinstance(item, str) and item] if isinstance(value, list) else []

    def _bool(self, key: str, default: bool) -> bool:
        value = self._settings.value(key)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return default

    def _int(self, key: str, default: int, minimum: int, maximum: int) -> int:
        value = self._settings.value(key)
        try:
            number = int(value)
        except (TypeError, ValueError):
            return default
        return number if minimum <= number <= maximum else default

    # -- window ------------------------------------------------------------------------------
    def window_geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def splitter_state(self) -> QByteArray | None:
        return self._bytes("window/splitter")

    def save_window(self, geometry: QByteArray, state: QByteArray, splitter: QByteArray) -> None:
        self._settings.setValue("window/geometry", geometry)
        self._settings.setValue("window/state", state)
        self._settings.setValue("window/splitter", splitter)

    # -- formula, speed --------------------------------------------------------------
    def last_formula(self) -> str:
        return self._text("formula/last").strip()

    def set_last_formula(self, text: str) -> None:
        self._settings.setValue("formula/last", text)

    def typeset_shown(self) -> bool:
        """Whether the formula dock shows the typeset f, grad f and H (a teacher may fold them away)."""
        return self._bool("window/typeset_shown", True)

    def set_typeset_shown(self, shown: bool) -> None:
        self._settings.setValue("window/typeset_shown", bool(shown))

    def speed(self, default: int) -> int:
        return self._int("simulation/speed", default, 1, 100_000)

    def set_speed(self, speed: int) -> None:
        self._settings.setValue("simulation/speed", int(speed))

    def presentation_hints_seen(self) -> bool:
        """Whether presentation mode has shown its fading key hints once already."""
        return self._bool("present/hints_seen", False)

    def set_presentation_hints_seen(self) -> None:
        self._settings.setValue("present/hints_seen", True)

    # -- recent lists ------------------------------------------------------------------------
    def recent_files(self) -> list[str]:
        """Recently opened or saved scene files, newest first, only those that still exist."""
        return [path for path in self._string_list("recent/files") if Path(path).is_file()]

    def add_recent_file(self, path: str | Path) -> list[str]:
        items = push_recent(self.recent_files(), str(Path(path).resolve()), RECENT_FILES_LIMIT)
        self._settings.setValue("recent/files", json.dumps(items))
        return items

    def clear_recent_files(self) -> None:
        self._settings.setValue("recent/files", "[]")


class SessionGuard:
    """The session lock and the autosave file, which together keep a scene through a crash.

    ``begin()`` takes the lock and returns the autosave a previous session left (if any) so the
    app can offer it back: after a crash (the lock was left behind too: :attr:`crashed`), or
    after a close that kept unsaved work (a SIGTERM). ``end()`` releases the lock and deletes
    the autosave unless told to keep it. When another live instance holds the lock, or the
    folder cannot be used, this one runs without autosave and :attr:`problem` says why.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else data_directory()
        self.lock_path = self.directory / "session.lock"
        self.autosave_path = self.directory / "autosave.json"
        self._lock: QLockFile | None = None
        self.active = False
        #: Why autosave is off, in words ("" while it is on, or before ``begin``).
        self.problem = ""
        #: Whether the autosave ``begin`` returned was left by a crash (rather than kept on purpose).
        self.crashed = False

    def begin(self) -> Path | None:
        """Take the session lock; return the autosave a previous session left, or None."""
        self.problem = prepare_directory(self.directory)
        if self.problem:
            return None
        left_behind = self.lock_path.exists()
        lock = QLockFile(str(self.lock_path))
        # A long-lived lock (Qt's advice): stale only when the process named in it is gone.
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):
            if lock.error() == QLockFile.LockError.LockFailedError:
                self.problem = "another Downhill window is open (it autosaves its own scene)"
            else:
                self.problem = f"cannot create the lock file {self.lock_path}"
            return None
        self._lock = lock
        self.active = True
        self.crashed = left_behind
        return self.autosave_path if self.autosave_path.is_file() else None

    def set_aside(self) -> Path | None:
        """Rename the autosave to ``autosave-unreadable-<time>.json`` and return that path (None
        if it could not be renamed). It is kept for the teacher; a fresh autosave may follow."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.directory / f"autosave-unreadable-{stamp}.json"
        number = 1
        while target.exists():
            number += 1
            target = self.directory / f"autosave-unreadable-{stamp}-{number}.json"
        try:
            self.autosave_path.rename(target)
        except OSError:
            return None
        return target

    def discard_autosave(self) -> None:
        if self.active:
            self._delete_autosave()

    def end(self, keep_autosave: bool = False) -> None:
        """Release the lock; delete the autosave unless ``keep_autosave`` (it holds unsaved work)."""
        if self._lock is not None and self.active:
            if not keep_autosave:
                self._delete_autosave()
            self._lock.unlock()
        self.active = False

    def _delete_autosave(self) -> None:
        try:
            self.autosave_path.unlink(missing_ok=True)
        except OSError:
            pass  # something else stands there (a folder): not ours to delete, and not a reason to stay locked


class Autosaver(QObject):
    """Writes ``controller.current_scene()`` to the session's autosave a moment after each change.

    Changes (a new surface, a ball edited, a scene loaded) restart a short single-shot timer so
    that a slider drag writes once, not sixty times a second; a slow periodic timer catches
    anything the signals do not announce. Identical scenes are not rewritten. The write is
    atomic (``physics.scene_files.save_scene``), so a crash during a save leaves the previous one.
    While :meth:`hold` is in force (an autosave of the last session is being offered back)
    nothing is written, so that file is not overwritten by the scene on screen.

    Signals:
        failed(str): the first failure of a run of failures, as a sentence for the status bar
            (autosave is a safety net: it never interrupts the lesson, and says so once).
    """

    failed = pyqtSignal(str)

    def __init__(self, controller: QObject, guard: SessionGuard, parent: QObject | None = None,
                 delay_ms: int = AUTOSAVE_DELAY_MS, period_ms: int = AUTOSAVE_PERIOD_MS):
        super().__init__(parent)
        self.controller = controller
        self.guard = guard
        self.last_error: str = ""
        #: Called before each save (the window uses it to record the 3D camera in the scene).
        self.prepare: Callable[[], None] | None = None
        self._last_text: str | None = None
        self._held = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(delay_ms)
        self._debounce.timeout.connect(self.save_now)
        self._periodic = QTimer(self)
        self._periodic.setInterval(period_ms)
        self._periodic.timeout.connect(self.save_now)
        for name in ("surfaceChanged", "ballsChanged", "sceneChanged"):
            getattr(controller, name).connect(self.schedule)
        if guard.active:
            self._periodic.start()

    @property
    def held(self) -> bool:
        return self._held

    def hold(self) -> None:
        """Write nothing until :meth:`release` (the autosave file holds the last session's work)."""
        self._held = True
        self._debounce.stop()

    def release(self) -> None:
        self._held = False

    def schedule(self, *_: object) -> None:
        if self.guard.active and not self._held:
            self._debounce.start()

    def save_now(self) -> bool:
        """Write the autosave if the scene changed since the last write; False on failure."""
        if not self.guard.active or self._held:
            return False
        if self.prepare is not None:
            self.prepare()
        scene = self.controller.current_scene()
        text = scene.to_json()
        if text == self._last_text and self.guard.autosave_path.is_file():
            return True
        try:
            save_scene(scene, self.guard.autosave_path)
        except (DownhillError, OSError) as error:
            message = str(error) if isinstance(error, DownhillError) else (error.strerror or str(error))
            if not self.last_error:
                self.failed.emit(f"Autosave failed: {message}. Save the scene with File > Save to keep it")
            self.last_error = message
            return False
        self._last_text = text
        self.last_error = ""
        return True

    def stop(self) -> None:
        self._debounce.stop()
        self._periodic.stop()
