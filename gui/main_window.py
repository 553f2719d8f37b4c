"""The main window: 3D view and contour map side by side, panels and editors in docks, menus.

Layout (a lecture-hall projector is the design target, 1600 x 900 or bigger):

    ┌ toolbar: Play · Step · Reset · Slower [speed] Faster · step n ───────────────────────┐
    │ Formula  │  3D landscape                 │  contour map                              │
    │ (dock)   │  (pyqtgraph.opengl)           │  (click drops a ball)                     │
    │──────────│                               │                                           │
    │ Balls |  │                               │                                           │
    │ Presets  │                               │                                           │
    ├──────────┴───────────────────────────────┴───────────────────────────────────────────┤
    │ Eigenvalues │ Step size │ Loss │ Gradient norm │ Read-outs      (docks)              │
    └ status: what the app is doing · display note · hint ─────────────────────────────────┘

The window holds no physics: it wires the views, panels and editors to the SceneController,
turns menu commands and map clicks into controller commands, and reads and writes files.
MainWindow composes one part per job (gui.window): the docks built from the table of panels,
the views in the centre, the menus, the view settings kept in step with the scene, scene files,
crash recovery, screenshots and the Help dialogs; what is left here is the status bar and title,
the commands of the map and the menus, and the window's own settings.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QRect, Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QFont, QFontMetrics, QGuiApplication, QResizeEvent, QShowEvent
from PyQt6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from gui.controller import ACTIVITIES
from gui.explain import attach_explainer
from gui.keyboard_focus import EnterHandsBack
from gui.persistence import AppSettings, Autosaver, unsaved_content
from gui.restart_offer import RestartOffer
from gui.screen_fit import available_geometry, initial_size
from gui.screen_text import on_screen
from gui.transport import Transport
from gui.window.centre import GL_CHECK_DELAY_MS, NO_3D_VARIABLE, ViewsCentre
from gui.window.docks import FORMULA_SHARE, PANELS, DockLayout
from gui.window.help_dialogs import HelpDialogs
from gui.window.menus import WindowMenus
from gui.window.recovery import CrashRecovery
from gui.window.scene_files import SceneFiles
from gui.window.screenshot import Screenshots
from gui.window.view_sync import ViewSync
from surfaces.errors import DownhillError

__all__ = ["FORMULA_SHARE", "NO_3D_VARIABLE", "PANELS", "MainWindow"]

HINT = "Click the map to drop a ball · Shift+click moves the selected ball's start · Space plays, R resets"
#: Most characters of the formula an untitled scene's window title shows.
TITLE_FORMULA_CHARS = 48


class MainWindow(DockLayout, ViewsCentre, WindowMenus, ViewSync, SceneFiles, CrashRecovery, Screenshots,
                 HelpDialogs, QMainWindow):
    """The Downhill window around one SceneController.

    Args:
        controller: the SceneController every part observes and commands.
        settings: where layout, recent files and the last formula are kept.
        remember_layout: False for scripted use (--screenshot): nothing is read from or written
            to the settings about the window.
        ask_to_save: True in the app: closing with unsaved changes asks Save / Discard / Cancel.
            Off by default, so that scripts and tests close windows without a dialog.
    """

    def __init__(self, controller, settings: AppSettings, remember_layout: bool = True,
                 parent: QWidget | None = None, ask_to_save: bool = False):
        super().__init__(parent)
        self.controller = controller
        self.settings = settings
        self.remember_layout = remember_layout
        self.ask_to_save = ask_to_save
        self.scene_path: Path | None = None
        # The scene as last opened or saved (unsaved_content); None: the live scene exists nowhere
        # else (a restored autosave), so it counts as unsaved.
        self._saved_json: str | None = unsaved_content(controller.current_scene())
        self._autosaver: Autosaver | None = None
        self._discarded = False  # the teacher chose Discard on closing: the autosave goes too
        self._close_accepted = False
        self._closing_on_signal = False
        self._rebase_on_formula: str | None = None  # see restore_last_formula
        self._recovery_offered: Path | None = None  # an autosave offered back, not yet answered
        self._recovering: Path | None = None  # an accepted autosave being opened
        self._formula_error = ""  # the status bar's "Formula not accepted" message, until one is
        self._shown_once = False
        self._busy_cursor = False
        self.setObjectName("downhillMainWindow")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.resize(initial_size(self._screen()))

        self.transport = Transport(controller, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.transport.toolbar())
        self._build_centre()
        self._build_docks()
        # Enter builds the formula; the keyboard then goes to the views, so Space plays it.
        self.formula_editor.field.returnPressed.connect(self.focus_views)
        self.presets_gallery.may_replace_scene = self.may_replace_scene  # its Scenes tab asks first too
        # Enter in any editor gives Space, Right and R back to the views (no keyboard trap).
        self._enter_hands_back = EnterHandsBack(self, self.focus_views)
        self._build_status_bar()
        # Lessons: the player (P's presentation window reads it), caption band, Lesson dock, keys.
        from gui.lessons.desk import LessonDesk

        self.lessons = LessonDesk(self)
        self.lesson_player = self.lessons.player
        self._build_menus()
        # The step-by-step explainer (E), at the end of the Simulation menu.
        self.explainer = attach_explainer(self, self.map_view, controller)
        next(entry.menu() for entry in self.menuBar().actions()
             if entry.text() == "&Simulation").addAction(self.explainer.action)
        # The Experiments menu (gui.experiments.menu: basins of attraction, ...), before View.
        from gui.experiments.menu import attach_experiments

        self.experiments_menu = attach_experiments(self)
        self._default_state = self.saveState()
        self._default_splitter = self.splitter.saveState()

        controller.sceneChanged.connect(self._on_scene_changed)
        controller.sceneFileOpened.connect(self._on_scene_file_opened)
        controller.sceneFileFailed.connect(self._on_scene_file_failed)
        controller.surfaceChanged.connect(self._on_surface_changed)
        controller.ballsChanged.connect(self._update_title)
        controller.formulaError.connect(self._on_formula_error)
        controller.buildFinished.connect(self._on_build_finished)
        controller.activityChanged.connect(self._on_activity)
        controller.notice.connect(self.show_message)
        self._update_title()
        self._on_activity(controller.activity)
        QTimer.singleShot(0, self.apply_view)

    def _screen(self) -> QRect:
        """The available geometry of the window's screen (the one place the window reads it)."""
        return available_geometry(self)

    # -- Qt events -----------------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._formula_fit.start()  # a taller or shorter column: the formula keeps what it needs
        self.lessons.fit_caption()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            QTimer.singleShot(0, self.fit_to_screen)  # once the frame (title bar, borders) is known
            self.focus_views()  # so that Space plays at once, not types into the formula field
            self._formula_fit.start()
        if self.view3d is not None and not self._gl_checked:
            self._gl_checked = True
            # The context is made when the 3D widget is first painted; look once that had time to happen.
            QTimer.singleShot(GL_CHECK_DELAY_MS, self._check_gl_context)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        self.controller.pause()
        if not self._close_accepted:
            if not self._may_close():
                event.ignore()
                return
            self._close_accepted = True
        if self._busy_cursor:
            self._busy_cursor = False
            QApplication.restoreOverrideCursor()
        self.save_layout()
        if self._autosaver is not None:
            self._autosaver.stop()
        super().closeEvent(event)

    # -- status and title ----------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        # The busy indicator is a label and the "working in the background" cursor, not an
        # animated bar: each repaint of a window holding an OpenGL view recomposes the whole
        # window, which costs real time on software OpenGL while SymPy is competing for the CPU.
        self.activity_label = QLabel()
        self.activity_label.setObjectName("activityLabel")
        self.activity_label.setStyleSheet("QLabel { color: #8a5a00; font-weight: bold; padding: 0 6px; }")
        # A fixed size: a label that grew with its text would relayout (and repaint) the whole window.
        bold = QFont(self.activity_label.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        widest = max(ACTIVITIES, key=metrics.horizontalAdvance)
        self.activity_label.setFixedSize(metrics.horizontalAdvance(f"⏳ {widest}") + 16, metrics.height() + 4)
        bar.addPermanentWidget(self.activity_label)
        # A ball added mid-run lags the others: offer to restart them all (gui.restart_offer).
        self.restart_offer = RestartOffer(self.controller)
        self.restart_offer.restartRequested.connect(self.controller.reset)
        bar.addPermanentWidget(self.restart_offer)
        # The note on clipped or compressed heights is not repeated here: each view shows it in its corner.
        self.show_message(HINT, timeout=0)

    def show_message(self, text: str, error: bool = False, timeout: int = 8000) -> None:
        bar = self.statusBar()
        bar.setStyleSheet("QStatusBar { color: #b00020; font-weight: bold; }" if error else "")
        bar.showMessage(text, timeout)

    def _on_activity(self, text: str) -> None:
        self.activity_label.setText(f"⏳ {text}" if text else "")
        busy = bool(text)
        if busy != self._busy_cursor:
            self._busy_cursor = busy
            if busy:
                QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
            else:
                QApplication.restoreOverrideCursor()

    def _on_formula_error(self, error: object) -> None:
        self._rebase_on_formula = None
        if self._recovering is not None:
            self._recovery_failed(str(error))
            return
        self._formula_error = f"Formula not accepted: {error}"
        self.show_message(self._formula_error, error=True)

    def _on_scene_changed(self, scene: object) -> None:
        if not self.controller.scene_file:
            # A preset scene (gallery, menu): Save must ask where, not overwrite the file open before.
            self.scene_path = None
        self._rebase_on_formula = None
        self._mark_saved()  # a scene just loaded has no changes (the controller's state is complete)
        # After every view has taken the new surface (the 3D view reframes on a new domain).
        QTimer.singleShot(0, self.apply_view)
        self._update_title()
        note = on_screen(getattr(scene, "note", ""))
        if note:
            self.show_message(note, timeout=15000)

    def _on_surface_changed(self, surface: object) -> None:
        if self.remember_layout:
            self.settings.set_last_formula(surface.name or surface.text)
        if self._rebase_on_formula is not None and self._rebase_on_formula in (surface.text, surface.name):
            self._mark_saved()
        self._rebase_on_formula = None
        self._update_title()
        # A formula accepted: the red "Formula not accepted" no longer holds (other messages stay).
        if self._formula_error and self.statusBar().currentMessage() == self._formula_error:
            self.show_message(HINT, timeout=0)
        self._formula_error = ""

    def _update_title(self) -> None:
        scene = self.controller.scene
        # A new formula leaves the scene untitled (the controller drops the old demo's words); the
        # title then says which landscape it is.
        untitled = f"untitled scene: f = {_elide(self.controller.surface.text, TITLE_FORMULA_CHARS)}"
        name = self.scene_path.name if self.scene_path else (on_screen(scene.title) or untitled)
        modified = self.has_unsaved_changes()
        self.setWindowTitle(f"Downhill — {name}{' (modified)' if modified else ''}")

    # -- commands ------------------------------------------------------------------------------
    def use_formula(self, text: str) -> None:
        """Put ``text`` in the formula field and build it (as if typed and Enter pressed)."""
        self.formula_editor.field.setText(text)
        self.formula_editor.submit()

    def focus_views(self) -> None:
        """Give the keyboard to the map, where Space, Right, R, + and - drive the transport."""
        self.map_view.plot_widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_formula(self) -> None:
        self.formula_dock.show()
        self.formula_dock.raise_()
        self.formula_editor.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.formula_editor.field.selectAll()

    def add_ball_at_centre(self) -> None:
        try:
            self.controller.add_ball()
        except DownhillError as error:
            self.show_message(str(error), error=True)

    def _on_start_dragged(self, index: int, x: float, y: float) -> None:
        """A start marker was dragged to (x, y): that ball runs again from there."""
        try:
            self.controller.set_ball_start(index, (x, y))
        except DownhillError as error:
            self.show_message(str(error), error=True)
            self.controller.ballsChanged.emit()  # the views redraw the start where it still is
            return
        self.show_message(f"{self.controller.balls[index].name} now starts at ({x:.3g}, {y:.3g})")

    def _on_map_clicked(self, x: float, y: float) -> None:
        """A click drops a ball; with Shift it moves the selected ball's start instead."""
        modifiers = QGuiApplication.keyboardModifiers()
        selected = self.controller.selected
        try:
            if modifiers & Qt.KeyboardModifier.ShiftModifier and selected >= 0:
                self.controller.set_ball_start(selected, (x, y))
                self.show_message(f"{self.controller.balls[selected].name} now starts at ({x:.3g}, {y:.3g})")
            else:
                index = self.controller.add_ball(start=(x, y))
                self.show_message(f"{self.controller.balls[index].name} dropped at ({x:.3g}, {y:.3g}) · "
                                  "Space runs it · Shift+click moves it")
        except DownhillError as error:
            self.show_message(str(error), error=True)

    # -- settings ------------------------------------------------------------------------------
    def restore_layout(self, keep_scene_speed: bool = False) -> None:
        """Window geometry, docks, splitter and overlays as they were at the last clean exit; the
        last session's speed too, unless ``keep_scene_speed`` (a scene given at start plays at its own pace)."""
        if not self.remember_layout:
            return
        geometry = self.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
            self.lessons.sync_visibility()  # the caption band and Lesson dock show only with a lesson open
        splitter = self.settings.splitter_state()
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.fit_to_screen()  # saved on another (larger) screen, perhaps
        unchanged = not self.has_unsaved_changes()
        if not keep_scene_speed:
            self.controller.set_speed(self.settings.speed(self.controller.speed))
        if unchanged:
            self._mark_saved()  # the last session's speed is a preference, not an edit of this scene
        self.formula_editor.set_typeset_shown(self.settings.typeset_shown())

    def restore_last_formula(self) -> None:
        """Rebuild the formula of the last session (when the app was opened without --scene)."""
        text = self.settings.last_formula()
        surface = self.controller.surface
        if text and text not in (surface.text, surface.name):
            # Coming back where the last session left off is not an edit: once built, it is the
            # scene the unsaved-changes check compares with.
            self._rebase_on_formula = text if not self.has_unsaved_changes() else None
            self.controller.set_formula(text)

    def save_layout(self) -> None:
        if not self.remember_layout:
            return
        self.settings.save_window(self.saveGeometry(), self.saveState(), self.splitter.saveState())
        self.settings.set_typeset_shown(self.formula_editor.typeset_shown)
        self.settings.set_speed(self.controller.speed)
        self.settings.sync()


def _elide(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
