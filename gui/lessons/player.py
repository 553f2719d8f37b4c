"""The LessonPlayer: which lesson is open and which of its scenes is live, loaded into the controller.

Going to a scene loads it the way opening a scene file does (the window's unsaved-changes question
first, then the surface built in the background): paused, at its opening frame (step 0), at the
scene's own speed. The main window holds one player as ``window.lesson_player``; the caption band,
the notes dock and the presentation window (gui.present) read ``current`` and ``upcoming`` and
call ``next()`` / ``previous()`` on Page Down / Page Up.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QObject, pyqtSignal

from physics.lessons import Lesson, LessonScene


class LessonPlayer(QObject):
    """Steps through one lesson's scenes on a SceneController.

    Args:
        controller: the SceneController the scenes are loaded into.
        may_replace_scene: asked before the live scene is replaced (the window's Save / Discard /
            Cancel on unsaved changes); False leaves everything as it was. None: always allowed.

    Signals:
        changed: the lesson, or the scene within it, changed (also on close).

    Attributes:
        lesson: the open lesson, or None.
        index: the live scene's position in ``lesson.scenes`` (-1 when no lesson is open).
    """

    changed = pyqtSignal()

    def __init__(self, controller, may_replace_scene: Callable[[], bool] | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self.may_replace_scene = may_replace_scene or (lambda: True)
        self.lesson: Lesson | None = None
        self.index = -1

    @property
    def current(self) -> LessonScene | None:
        """The live scene of the lesson, or None."""
        if self.lesson is None or not 0 <= self.index < len(self.lesson.scenes):
            return None
        return self.lesson.scenes[self.index]

    @property
    def upcoming(self) -> LessonScene | None:
        """The scene after the live one, or None at the end (or with no lesson)."""
        if self.lesson is None or not 0 <= self.index + 1 < len(self.lesson.scenes):
            return None
        return self.lesson.scenes[self.index + 1]

    def open(self, lesson: Lesson, index: int = 0) -> bool:
        """Open ``lesson`` at scene ``index`` (the first by default). False (nothing changes) when the
        live scene's unsaved changes were not let go."""
        if not lesson.scenes or not self.may_replace_scene():
            return False
        self.lesson = lesson
        self._load(max(0, min(index, len(lesson.scenes) - 1)))
        return True

    def close(self) -> None:
        """Close the lesson; the live scene stays as it is."""
        if self.lesson is None:
            return
        self.lesson, self.index = None, -1
        self.changed.emit()

    def next(self) -> bool:
        """Go to the next scene; False at the end (or when the question was cancelled)."""
        return self.go(self.index + 1)

    def previous(self) -> bool:
        """Go to the previous scene; False at the start (or when the question was cancelled)."""
        return self.go(self.index - 1)

    def go(self, index: int) -> bool:
        """Load scene ``index`` paused at step 0 with its speed; False if there is none or the
        unsaved changes were not let go."""
        if self.lesson is None or not 0 <= index < len(self.lesson.scenes):
            return False
        if not self.may_replace_scene():
            return False
        self._load(index)
        return True

    def replace_lesson(self, lesson: Lesson) -> None:
        """The open lesson edited (a scene put back into it): same position, nothing reloaded."""
        self.lesson = lesson
        self.index = min(self.index, len(lesson.scenes) - 1)
        self.changed.emit()

    def _load(self, index: int) -> None:
        assert self.lesson is not None
        self.index = index
        # Paused before the switch: the session resumes playing after a scene switch if it was playing.
        self.controller.pause()
        self.controller.load_scene(self.lesson.scenes[index].scene)
        self.changed.emit()
