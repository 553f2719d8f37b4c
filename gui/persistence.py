"""What Downhill remembers between sessions: settings, recent lists, autosave and crash recovery.

Everything lives in two places (both overridable with ``DOWNHILL_CONFIG_DIR``, which tests use
so that they never touch the real user configuration):

- the settings file ``Downhill/Downhill.ini`` (QSettings, INI format) in the configuration
  directory: window geometry and dock layout (and whether the derivatives are shown), the last
  formula, the speed, recent files
  (and the formula editor's recent formulas);
- the data directory: ``autosave.json`` (the current scene, written atomically by
  ``physics.scenes.save_scene`` a moment after each change) and ``session.lock`` (a QLockFile
  held while the app runs). A lock left behind by a process that no longer exists means the
  previous session crashed, and its autosave is offered back.

Settings may be corrupted or written by another version: every reader checks the type of what
it gets and falls back to a default rather than raising.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from PyQt6.QtCore import QByteArray, QCoreApplication, QLockFile, QObject, QSettings, QStandardPaths, QTimer

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
    """The session lock and the autosave file, which together detect a crashed session.

    ``begin()`` takes the lock. If a lock file was already there and could be taken anyway,
    its owner died without cleaning up: the previous session crashed, and ``begin`` returns
    the autosave it left (if any) so the app can offer it back. ``end()`` (a clean exit)
    releases the lock and deletes the autosave. When another live instance holds the lock,
    this one runs without autosave rather than overwrite the other's.
    """

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else data_directory()
        self.lock_path = self.directory / "session.lock"
        self.autosave_path = self.directory / "autosave.json"
        self._lock: QLockFile | None = None
        self.active = False

    def begin(self) -> Path | None:
        """Take the session lock; return the autosave of a crashed previous session, or None."""
        self.directory.mkdir(parents=True, exist_ok=True)
        left_behind = self.lock_path.exists()
        self._lock = QLockFile(str(self.lock_path))
        # A long-lived lock (Qt's advice): stale only when the process named in it is gone.
        self._lock.setStaleLockTime(0)
        self.active = self._lock.tryLock(0)
        if not self.active:
            return None
        if left_behind and self.autosave_path.is_file():
            return self.autosave_path
        return None

    def discard_autosave(self) -> None:
        if self.active:
            self.autosave_path.unlink(missing_ok=True)

    def end(self) -> None:
        """A clean exit: forget the autosave and release the lock."""
        if self._lock is not None and self.active:
            self.autosave_path.unlink(missing_ok=True)
            self._lock.unlock()
        self.active = False


class Autosaver(QObject):
    """Writes ``controller.current_scene()`` to the session's autosave a moment after each change.

    Changes (a new surface, a ball edited, a scene loaded) restart a short single-shot timer so
    that a slider drag writes once, not sixty times a second; a slow periodic timer catches
    anything the signals do not announce. Identical scenes are not rewritten. The write is
    atomic (``physics.scenes.save_scene``), so a crash during a save leaves the previous one.
    """

    def __init__(self, controller: QObject, guard: SessionGuard, parent: QObject | None = None,
                 delay_ms: int = AUTOSAVE_DELAY_MS, period_ms: int = AUTOSAVE_PERIOD_MS):
        super().__init__(parent)
        self.controller = controller
        self.guard = guard
        self.last_error: str = ""
        #: Called before each save (the window uses it to record the 3D camera in the scene).
        self.prepare: Callable[[], None] | None = None
        self._last_text: str | None = None
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

    def schedule(self, *_: object) -> None:
        if self.guard.active:
            self._debounce.start()

    def save_now(self) -> bool:
        """Write the autosave if the scene changed since the last write; False on failure."""
        from physics.scenes import save_scene

        if not self.guard.active:
            return False
        if self.prepare is not None:
            self.prepare()
        scene = self.controller.current_scene()
        text = scene.to_json()
        if text == self._last_text and self.guard.autosave_path.is_file():
            return True
        try:
            save_scene(scene, self.guard.autosave_path)
        except OSError as error:
            # Autosave is a safety net: report it once in the status bar, never interrupt the lesson.
            self.last_error = f"autosave failed: {error.strerror or error}"
            return False
        self._last_text = text
        self.last_error = ""
        return True

    def stop(self) -> None:
        self._debounce.stop()
        self._periodic.stop()
