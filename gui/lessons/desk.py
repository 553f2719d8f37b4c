"""The lesson desk of the main window: the caption band, the Lesson dock, the keys, the menus and files.

While a lesson is open the laptop screen shows:

- a caption band under the toolbar: the scene's title and its story for the audience, which
  stays (it is not a status-bar message that vanishes) while the lesson's scene is on screen (a
  detour to another scene hides it until Page Down or Up comes back);
- the "Lesson" dock: "Scene 3 of 9", the speaker notes, and the next scene's title;
- Page Down / Page Up step through the scenes. They are window shortcuts (the clicker's keys),
  except while a text field has the keyboard (the formula, a number being typed, the notes
  being edited elsewhere): there Page Down and Page Up keep their text-field meaning.

File > Open lesson… and Save lesson as…, and the Lessons menu (the built-in lessons, Next and
Previous scene, Close the lesson). Reading a lesson builds its scenes' surfaces, which may take
SymPy a second: it happens on a worker thread (gui.workers), never on the UI thread.

Save lesson as… writes the open lesson. When the scene on screen differs from the lesson's live
scene (the teacher edited a ball, a formula, the speed), it first asks whether to put the scene on
screen into the lesson in place of scene N: Yes puts it in (embedded in the file), No saves the
lesson as it was opened, Cancel saves nothing.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import QObject, Qt, QTimer
from PyQt6.QtGui import QAction, QFont, QKeySequence
from PyQt6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from gui.lessons.player import LessonPlayer
from gui.persistence import unsaved_content
from gui.screen_fit import available_geometry, is_short
from gui.screen_text import on_screen
from gui.workers import LatestOnlyRunner
from physics.lessons import Lesson, builtin_lesson_titles, builtin_lessons, load_lesson, save_lesson, with_scene
from surfaces.errors import DownhillError

LESSON_FILTER = "Downhill lessons (*.json);;All files (*)"
NEXT_KEYS = ("PgDown",)
PREVIOUS_KEYS = ("PgUp",)
#: Pixels of the window's width the caption's text does not count on (the toolbar's margins, handle).
CAPTION_SLACK = 40
#: The caption's title and story type, times the window's (the projector's own sizes are gui.present's).
TITLE_SCALE = 1.35
STORY_SCALE = 1.1
#: The Lesson dock's width when it first shows (pixels): the notes read as paragraphs, not a column.
NOTES_WIDTH = 340


def is_text_field(widget: QWidget | None) -> bool:
    """Whether ``widget`` takes typed text (Page Up / Page Down mean something there)."""
    if isinstance(widget, QLineEdit | QAbstractSpinBox | QTextEdit | QPlainTextEdit):
        return not (isinstance(widget, QTextEdit | QPlainTextEdit) and widget.isReadOnly())
    return isinstance(widget, QComboBox) and widget.isEditable()


class LessonCaption(QWidget):
    """The caption band: the scene's title (large, bold) and its story, word-wrapped."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lessonCaption")
        # As wide as the toolbar's row (a toolbar gives an expanding widget the room), as tall as the text.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 6)
        layout.setSpacing(1)
        self.title = QLabel()
        self.title.setObjectName("lessonCaptionTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * TITLE_SCALE)
        font.setBold(True)
        self.title.setFont(font)
        self.story = QLabel()
        self.story.setObjectName("lessonCaptionStory")
        self.story.setWordWrap(True)
        story_font = QFont(self.story.font())
        story_font.setPointSizeF(story_font.pointSizeF() * STORY_SCALE)
        self.story.setFont(story_font)
        for label in (self.title, self.story):
            label.setTextFormat(Qt.TextFormat.PlainText)  # lesson files are untrusted: no rich text
            layout.addWidget(label)

    def show_scene(self, title: str, story: str) -> None:
        self.title.setText(on_screen(title))
        self.story.setText(on_screen(story))
        self.story.setVisible(bool(story))
        self.fit(self.width())

    def fit(self, width: int) -> None:
        """Be as tall as the wrapped story needs at ``width`` pixels (a toolbar does not ask)."""
        margins = self.layout().contentsMargins()
        # Some pixels spare for the toolbar's own margins and handle, so the last line is never cut.
        inner = max(200, width - margins.left() - margins.right() - CAPTION_SLACK)
        height = self.title.sizeHint().height() + margins.top() + margins.bottom() + self.layout().spacing()
        if self.story.isVisibleTo(self):
            height += self.story.heightForWidth(inner)
        self.setFixedHeight(height)


class LessonNotes(QWidget):
    """The Lesson dock's contents: where we are, the speaker notes, what comes next, and two buttons."""

    def __init__(self, player: LessonPlayer, parent: QWidget | None = None):
        super().__init__(parent)
        self.player = player
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        self.lesson_title = QLabel()
        self.lesson_title.setObjectName("lessonTitle")
        self.lesson_title.setWordWrap(True)
        self.position = QLabel()
        self.position.setObjectName("lessonPosition")
        bold = QFont(self.position.font())
        bold.setBold(True)
        self.position.setFont(bold)
        self.position.setWordWrap(True)
        self.notes = QLabel()
        self.notes.setObjectName("lessonNotes")
        self.notes.setWordWrap(True)
        self.notes.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        notes_font = QFont(self.notes.font())
        notes_font.setPointSizeF(notes_font.pointSizeF() * 1.15)
        self.notes.setFont(notes_font)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.notes)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Page Down is the clicker's, not the scroll area's
        self.upcoming = QLabel()
        self.upcoming.setObjectName("lessonUpcoming")
        self.upcoming.setWordWrap(True)
        for label in (self.lesson_title, self.position, self.notes, self.upcoming):
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.previous_button = QPushButton("◀ Previous (Page Up)")
        self.next_button = QPushButton("Next (Page Down) ▶")
        for button in (self.previous_button, self.next_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space must not "click" a focused button
        self.previous_button.clicked.connect(player.previous)
        self.next_button.clicked.connect(player.next)
        layout.addWidget(self.lesson_title)
        layout.addWidget(self.position)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.upcoming)
        layout.addWidget(self.previous_button)
        layout.addWidget(self.next_button)
        player.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        player = self.player
        current = player.current
        if player.lesson is None or current is None:
            self.lesson_title.setText("No lesson is open: Lessons menu, or File > Open lesson…")
            for label in (self.position, self.notes, self.upcoming):
                label.setText("")
            self.previous_button.setEnabled(False)
            self.next_button.setEnabled(False)
            return
        total = len(player.lesson.scenes)
        self.lesson_title.setText(on_screen(player.lesson.title))
        self.position.setText(f"Scene {player.index + 1} of {total}: {on_screen(current.title)}")
        self.notes.setText(on_screen(current.notes) or "(no notes for this scene)")
        upcoming = player.upcoming
        self.upcoming.setText(f"Next: {on_screen(upcoming.title)}" if upcoming is not None
                              else "Next: the end of the lesson")
        self.previous_button.setEnabled(player.index > 0)
        self.next_button.setEnabled(upcoming is not None)


class LessonDesk(QObject):
    """The lesson side of one main window (see the module docstring).

    Attributes:
        player: the LessonPlayer (the window keeps it as ``window.lesson_player``).
        caption: the caption band (a LessonCaption in ``caption_bar``, a toolbar of its own row).
        notes: the LessonNotes in ``dock`` (object name ``lessonDock``, right of the views).
        next_action, previous_action, close_action: the Lessons menu's commands (Page Down, Page Up).
    """

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.player = LessonPlayer(window.controller, window.may_replace_scene, self)
        self.lesson_path: Path | None = None

        self.caption = LessonCaption()
        self.caption_bar = QToolBar("Lesson caption", window)
        self.caption_bar.setObjectName("lessonCaptionBar")
        self.caption_bar.setMovable(False)
        self.caption_bar.setFloatable(False)
        self.caption_bar.addWidget(self.caption)
        window.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        window.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.caption_bar)
        self.caption_bar.toggleViewAction().setVisible(False)  # shown exactly while a lesson is open
        self.caption_bar.hide()

        self.notes = LessonNotes(self.player)
        self.dock = QDockWidget("Lesson", window)
        self.dock.setObjectName("lessonDock")
        self.dock.setWidget(self.notes)
        self.dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                              | QDockWidget.DockWidgetFeature.DockWidgetMovable
                              | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()

        self.next_action = self._action("&Next scene", NEXT_KEYS, self.player.next)
        self.previous_action = self._action("&Previous scene", PREVIOUS_KEYS, self.player.previous)
        self.close_action = self._action("&Close the lesson", (), self.close)
        self._keys_in_text_field = False
        QApplication.instance().focusChanged.connect(self._on_focus_changed)

        self._reader = LatestOnlyRunner("read the lesson", self)
        self._reader.succeeded.connect(self._on_lesson_read)
        self._reader.failed.connect(self._on_lesson_failed)
        self._reading = ""

        # The live scene as it was when the lesson's scene had just opened (the controller writes the
        # surface's domain out where the preset left it null): what "edited" is measured against.
        self._baseline: str | None = None
        window.controller.sceneChanged.connect(self._on_scene_changed)
        self.player.changed.connect(self._on_changed)
        self._on_changed()

    # -- the menu -------------------------------------------------------------------------------
    def fill_menu(self, menu: QMenu) -> None:
        """The Lessons menu: the built-in lessons, then Next, Previous, the dock and Close."""
        menu.setToolTipsVisible(True)
        for name, (title, description) in builtin_lesson_titles().items():
            action = menu.addAction(on_screen(title))
            action.setToolTip(on_screen(description))
            action.setStatusTip(on_screen(description))
            action.triggered.connect(lambda _checked=False, n=name: self.open_builtin(n))
        menu.addSeparator()
        menu.addAction(self.next_action)
        menu.addAction(self.previous_action)
        menu.addAction(self.dock.toggleViewAction())
        menu.addAction(self.close_action)

    def _action(self, text: str, keys: tuple[str, ...], slot) -> QAction:
        action = QAction(text, self.window)
        action.setShortcuts([QKeySequence(key) for key in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        action.setData(keys)
        self.window.addAction(action)
        return action

    def _on_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Page Up / Page Down belong to a text field while it has the keyboard."""
        in_text = is_text_field(new)
        if in_text == self._keys_in_text_field:
            return
        self._keys_in_text_field = in_text
        for action, keys in ((self.next_action, NEXT_KEYS), (self.previous_action, PREVIOUS_KEYS)):
            action.setShortcuts([] if in_text else [QKeySequence(key) for key in keys])

    # -- opening -------------------------------------------------------------------------------
    def open_builtin(self, name: str) -> None:
        """Open a built-in lesson at its first scene (read on a worker the first time)."""
        self._read(name, lambda: builtin_lessons()[name], None)

    def open_dialog(self) -> None:
        directory = str(self.lesson_path.parent) if self.lesson_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a lesson", directory, LESSON_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> None:
        """Read a lesson file in the background, then open it (a problem is shown in a message box)."""
        target = Path(path).resolve()
        self._read(target.name, lambda: load_lesson(target), target)

    def _read(self, label: str, function, path: Path | None) -> None:
        self._reading = label
        self._reading_path = path
        self.window.show_message(f"Opening the lesson {label}…")
        self._reader.submit(function)

    def _on_lesson_read(self, _generation: int, lesson: Lesson) -> None:
        if self.player.open(lesson):
            self.lesson_path = self._reading_path
            self.window.show_message(f"Lesson: {on_screen(lesson.title)} · Page Down for the next scene")

    def _on_lesson_failed(self, _generation: int, error: object) -> None:
        self.window.show_message(f"Could not open the lesson {self._reading}", error=True)
        QMessageBox.warning(self.window, "Cannot open the lesson", str(error))

    def wait(self, milliseconds: int = 30_000) -> bool:
        """Block until a lesson being read is read (scripts and tests only)."""
        return self._reader.wait(milliseconds)

    def close(self) -> None:
        self.player.close()
        self.lesson_path = None

    # -- saving --------------------------------------------------------------------------------
    def _on_scene_changed(self, scene: object) -> None:
        current = self.player.current
        loaded = current is not None and scene == current.scene
        self._baseline = unsaved_content(self.window.controller.current_scene()) if loaded else None
        if current is not None:
            # A detour to another scene (a preset, a file): the caption would describe what is not on
            # screen. The lesson stays open; Page Down or Up comes back into it.
            self.caption_bar.setVisible(loaded)

    def scene_edited(self) -> bool:
        """Whether the scene on screen differs from the lesson's live scene as it opened (the camera aside)."""
        if self.player.current is None:
            return False
        return unsaved_content(self.window.controller.current_scene()) != self._baseline

    def edited_scene(self):
        """The lesson's live scene as edited on screen: only its speed when that is the one change
        (so a preset stays a preset, by name), else the whole scene on screen."""
        current = self.player.current
        live = self.window.controller.current_scene()
        if unsaved_content(replace(live, speed=current.scene.speed)) == self._baseline:
            return replace(current.scene, speed=live.speed)
        return live

    def ask_put_back(self) -> QMessageBox.StandardButton:
        """Yes / No / Cancel: put the edited scene on screen into the lesson before saving?"""
        index = self.player.index + 1
        box = QMessageBox(QMessageBox.Icon.Question, "Put the scene into the lesson?",
                          f"The scene on screen differs from scene {index} of the lesson.\n\n"
                          f"Yes: save the lesson with the scene on screen as scene {index}.\n"
                          "No: save the lesson as it was opened.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.setObjectName("putSceneIntoLesson")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.exec()  # safe: QMessageBox.exec, a modal dialog; no text is evaluated
        clicked = box.clickedButton()
        answer = box.standardButton(clicked) if clicked is not None else QMessageBox.StandardButton.Cancel
        box.deleteLater()
        return answer

    def save_dialog(self) -> bool:
        lesson = self.player.lesson
        if lesson is None:
            self.window.show_message("No lesson is open: open one from the Lessons menu first", error=True)
            return False
        put_back = False
        if self.scene_edited():
            answer = self.ask_put_back()
            if answer == QMessageBox.StandardButton.Cancel:
                return False
            put_back = answer == QMessageBox.StandardButton.Yes
        suggestion = self.lesson_path or Path.home() / f"{_file_stem(lesson.title)}.json"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the lesson", str(suggestion), LESSON_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self.save_file(path, put_back)

    def save_file(self, path: str | Path, put_back: bool = False) -> bool:
        """Write the open lesson to ``path`` atomically; ``put_back``: with the scene on screen in
        place of the live lesson scene. A problem is shown in a message box."""
        lesson = self.player.lesson
        if lesson is None:
            return False
        if put_back:
            self.window.sync_view()
            lesson = with_scene(lesson, self.player.index, self.edited_scene())
        try:
            save_lesson(lesson, path)
        except (DownhillError, OSError) as error:
            message = str(error) if isinstance(error, DownhillError) else (error.strerror or str(error))
            QMessageBox.warning(self.window, "Cannot save the lesson", f"{Path(path).name}: {message}")
            return False
        if put_back:
            self.player.replace_lesson(lesson)
            self._baseline = unsaved_content(self.window.controller.current_scene())  # no longer an edit
        self.lesson_path = Path(path).resolve()
        self.window.show_message(f"Saved the lesson {self.lesson_path}")
        return True

    # -- showing -------------------------------------------------------------------------------
    def _on_changed(self) -> None:
        current = self.player.current
        open_ = current is not None
        for action in (self.next_action, self.previous_action, self.close_action):
            action.setEnabled(open_)
        if not open_:
            self.caption_bar.hide()
            self.dock.hide()
            return
        self.next_action.setEnabled(self.player.upcoming is not None)
        self.previous_action.setEnabled(self.player.index > 0)
        newly_shown = not self.caption_bar.isVisible()
        self.caption_bar.show()
        self.caption.show_scene(current.title, current.story)
        self.caption.fit(self.window.width() - 24)
        if newly_shown and self.window.isVisible():
            # The band makes the window taller: on a low screen the editors become tabs to make room.
            QTimer.singleShot(0, self.window.fit_to_screen)
        if not self.dock.isVisible():
            self.dock.show()
            if self.dock.isFloating():
                pass
            elif is_short(available_geometry(self.window)) and not self.window.tabifiedDockWidgets(self.dock):
                # A low screen has no room for a column more: the notes go in front of the editors' tabs.
                self.window.tabifyDockWidget(self.window.formula_dock, self.dock)
                self.dock.raise_()
            elif self.window.dockWidgetArea(self.dock) == Qt.DockWidgetArea.RightDockWidgetArea:
                self.window.resizeDocks([self.dock], [NOTES_WIDTH], Qt.Orientation.Horizontal)

    def sync_visibility(self) -> None:
        """Caption band and Lesson dock shown exactly while a lesson is open (after a layout was
        restored: a saved layout may hold them shown, or hidden)."""
        if self.player.current is None:
            self.caption_bar.hide()
            self.dock.hide()
        else:
            self.caption_bar.show()
            self.dock.show()

    def fit_caption(self) -> None:
        """The caption's height for the window's width (call on resize)."""
        if self.caption_bar.isVisible():
            self.caption.fit(self.window.width() - 24)


def _file_stem(title: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in title.strip().lower()).strip("-")
    return "-".join(part for part in stem.split("-") if part)[:60] or "lesson"
