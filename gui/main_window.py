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
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PyQt6.QtCore import QPoint, QSize, Qt, QTimer
from PyQt6.QtGui import (
    QAction,
    QCloseEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QKeySequence,
    QPainter,
    QResizeEvent,
    QShowEvent,
)
from PyQt6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from gui.controller import ACTIVITIES
from gui.keyboard_focus import EnterHandsBack
from gui.persistence import AppSettings, Autosaver, unsaved_content
from gui.restart_offer import RestartOffer
from gui.screen_fit import DEFAULT_SIZE, available_geometry, fitted_frame, initial_size, is_short, keep_readable
from gui.screen_text import on_screen
from gui.transport import SHORTCUTS, Transport
from surfaces.errors import DownhillError

#: The overlays of the contour map: its name, the scene file's name, the menu label.
OVERLAYS = (
    ("trails", "trails", "&Trails"),
    ("gradient", "gradient", "&Gradient arrows (−∇f)"),
    ("step", "step", "Last &step"),
    ("velocity", "velocity", "&Velocity / first moment"),
    ("eigen", "eigenvectors", "&Eigen-directions of the Hessian"),
    ("critical", "critical_points", "&Critical points"),
)
#: Height of the row of panels under the views (pixels): at 900 pixels the editors on the left
#: keep room for the formula and most of a ball's settings. Never less than the plots need
#: (gui.screen_fit.keep_readable).
PANELS_HEIGHT = 245
#: Width of the left column of editors (pixels), and of the Read-outs dock, at DEFAULT_SIZE's width;
#: a narrower window gives them the same share of its width, no less than the least widths.
EDITORS_WIDTH = 440
READOUTS_WIDTH = 400
LEAST_EDITORS_WIDTH = 380
LEAST_READOUTS_WIDTH = 300
#: The map's share of the views' width in the layout for low screens (the 3D view has the rest).
SHORT_MAP_SHARE = 0.62
#: Most of the left column's height the Formula dock takes when fitted to its contents.
FORMULA_SHARE = 0.55
#: Set this environment variable (to anything but 0) to open without the 3D view, e.g. on a
#: machine whose OpenGL driver misbehaves.
NO_3D_VARIABLE = "DOWNHILL_NO_3D"
#: Narrowest the 3D view and the map may be made by the splitter (pixels).
MIN_VIEW_WIDTH = 200
#: How long after the window first shows the 3D view must have made its OpenGL context.
GL_CHECK_DELAY_MS = 1000
SCENE_FILTER = "Downhill scenes (*.json);;All files (*)"
HINT = "Click the map to drop a ball · Shift+click moves the selected ball's start · Space plays, R resets"
#: Most characters of the formula an untitled scene's window title shows.
TITLE_FORMULA_CHARS = 48


class MainWindow(QMainWindow):
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
        self.setObjectName("downhillMainWindow")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.resize(initial_size(available_geometry(self)))

        self.transport = Transport(controller, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.transport.toolbar())
        self._build_centre()
        self._build_docks()
        # Enter in any editor gives Space, Right and R back to the views (no keyboard trap).
        self._enter_hands_back = EnterHandsBack(self, self.focus_views)
        self._build_status_bar()
        self._build_menus()
        self._default_state = self.saveState()
        self._default_splitter = self.splitter.saveState()

        self._recovering: Path | None = None  # an accepted autosave being opened
        self._formula_error = ""  # the status bar's "Formula not accepted" message, until one is
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

    # -- construction --------------------------------------------------------------------------
    def _build_centre(self) -> None:
        from gui.views import gl_status
        from gui.views.contour_map import ContourMapView

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("viewSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.view3d = None
        self.gl_note: QLabel | None = None
        self._gl_checked = False
        self._shown_once = False
        self._busy_cursor = False
        available, reason = gl_status()
        if os.environ.get(NO_3D_VARIABLE, "").strip() not in ("", "0"):
            available, reason = False, f"it is switched off ({NO_3D_VARIABLE} is set)"
        if available:
            from gui.views.landscape3d import Landscape3DView

            self.view3d = Landscape3DView(self.controller)
            self.splitter.addWidget(self.view3d)
        else:
            self.splitter.addWidget(self._make_gl_note(reason))
        self.map_view = ContourMapView(self.controller)
        self.map_view.pointClicked.connect(self._on_map_clicked)
        self.map_view.startDragged.connect(self._on_start_dragged)
        self.splitter.addWidget(self.map_view)
        for index in range(2):
            self.splitter.widget(index).setMinimumWidth(MIN_VIEW_WIDTH)
            self.splitter.setStretchFactor(index, 1)
        # Equal halves: the GL view's size hint is empty, and a zero-width GL view never gets a context.
        self.splitter.setSizes([DEFAULT_SIZE.width(), DEFAULT_SIZE.width()])
        self.setCentralWidget(self.splitter)

    def _make_gl_note(self, reason: str) -> QLabel:
        self.gl_note = QLabel(
            "<h2>No 3D view</h2>"
            f"<p>The 3D landscape needs OpenGL: {html.escape(reason.rstrip('.'))}.</p>"
            "<p>Everything else works: the contour map on the right shows the same landscape and balls.</p>"
            "<p>To get the 3D view, install your graphics driver's OpenGL (on Debian/Ubuntu "
            "<code>sudo apt-get install libgl1 libegl1 libgl1-mesa-dri</code>).</p>")
        self.gl_note.setObjectName("noGlNote")
        self.gl_note.setWordWrap(True)
        self.gl_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.gl_note.setMargin(24)
        self.gl_note.setMinimumWidth(220)
        return self.gl_note

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._formula_fit.start()  # a taller or shorter column: the formula keeps what it needs

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

    def _check_gl_context(self) -> None:
        view = self.view3d
        if view is None or not view.isVisible():
            return
        if not view.gl_widget.isValid():
            self._replace_3d_view("the OpenGL context could not be created")

    def _replace_3d_view(self, reason: str) -> None:
        """Swap a failed 3D view for the note (the map and everything else carry on)."""
        view = self.view3d
        if view is None:
            return
        index = self.splitter.indexOf(view)
        self.splitter.replaceWidget(index, self._make_gl_note(reason))
        self.view3d = None
        view.deleteLater()
        self.reset_camera_action.setEnabled(False)
        self.show_message(f"3D view off: {reason}", error=True)

    def _build_docks(self) -> None:
        from gui.editors.ball_list import BallListEditor
        from gui.editors.formula_editor import FormulaEditor
        from gui.editors.presets_gallery import PresetsGallery
        from gui.panels import EigenvaluePanel, GradientPanel, LossPanel, ReadoutPanel, StepPanel

        self.formula_editor = FormulaEditor(self.controller)
        # Enter builds the formula; the keyboard then goes to the views, so Space plays it.
        self.formula_editor.field.returnPressed.connect(self.focus_views)
        self.presets_gallery = PresetsGallery(self.controller)
        self.presets_gallery.may_replace_scene = self.may_replace_scene  # its Scenes tab asks first too
        self.ball_list = BallListEditor(self.controller)
        self.eigenvalue_panel = EigenvaluePanel(self.controller)
        self.step_size_panel = StepPanel(self.controller)
        self.loss_panel = LossPanel(self.controller)
        self.gradient_norm_panel = GradientPanel(self.controller)
        self.readout_panel = ReadoutPanel(self.controller)

        left = Qt.DockWidgetArea.LeftDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.formula_dock = self._dock("Formula", "formulaDock", self.formula_editor, left)
        self.balls_dock = self._dock("Balls", "ballsDock", self.ball_list, left)
        self.presets_dock = self._dock("Presets", "presetsDock", self.presets_gallery, left)
        self.tabifyDockWidget(self.balls_dock, self.presets_dock)
        self.balls_dock.raise_()

        self.eigenvalue_dock = self._dock("Eigenvalues", "eigenvalueDock", self.eigenvalue_panel, bottom)
        self.step_size_dock = self._dock("Step size", "stepSizeDock", self.step_size_panel, bottom)
        self.loss_dock = self._dock("Loss", "lossDock", self.loss_panel, bottom)
        self.gradient_norm_dock = self._dock("Gradient norm", "gradientNormDock", self.gradient_norm_panel, bottom)
        self.readout_dock = self._dock("Read-outs", "readoutDock", self.readout_panel, bottom)
        previous = self.eigenvalue_dock
        for dock in (self.step_size_dock, self.loss_dock, self.gradient_norm_dock, self.readout_dock):
            self.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
            previous = dock
        # The panels run under the whole width: five plots side by side need it more than the editors.
        self.setCorner(Qt.Corner.BottomLeftCorner, bottom)
        self.setCorner(Qt.Corner.BottomRightCorner, bottom)
        for panel in (self.eigenvalue_panel, self.step_size_panel, self.loss_panel, self.gradient_norm_panel):
            keep_readable(panel)
        if is_short(available_geometry(self)):
            self.use_short_layout()
        self._size_docks(self.width())
        # The Formula dock takes the height its contents want (again whenever they change: sliders,
        # derivatives folded away); the Balls dock below takes the rest, for the ball's settings.
        self._formula_fit = QTimer(self)
        self._formula_fit.setSingleShot(True)
        self._formula_fit.setInterval(0)  # after the layouts have taken the change in
        self._formula_fit.timeout.connect(self.fit_formula_dock)
        self.formula_editor.contentHeightChanged.connect(self._formula_fit.start)

    def _size_docks(self, width: int) -> None:
        """The docks' starting sizes for a window ``width`` pixels wide: the editors' and read-outs'
        share of DEFAULT_SIZE's width (no less than their least), the four plots the rest equally."""
        share = width / DEFAULT_SIZE.width()
        editors = max(LEAST_EDITORS_WIDTH, round(EDITORS_WIDTH * share))
        readouts = max(LEAST_READOUTS_WIDTH, round(READOUTS_WIDTH * share))
        plots = max(1, (width - readouts) // 4)
        self.resizeDocks([self.formula_dock], [editors], Qt.Orientation.Horizontal)
        self.resizeDocks([self.eigenvalue_dock], [PANELS_HEIGHT], Qt.Orientation.Vertical)
        self.resizeDocks(list(self.docks[3:]), [plots] * 4 + [readouts], Qt.Orientation.Horizontal)

    def use_short_layout(self) -> None:
        """The Formula, Balls and Presets docks as three tabs of one place (Formula shown), for a
        screen too low to stack them above a readable row of plots (gui.screen_fit.is_short)."""
        self.tabifyDockWidget(self.formula_dock, self.balls_dock)
        self.tabifyDockWidget(self.balls_dock, self.presets_dock)
        self.formula_dock.raise_()
        # The map is where balls are dropped: wide enough for its legend's two columns, which
        # leaves it half again as tall as under a one-column legend in so low a window.
        self.splitter.setSizes([round(1000 * (1 - SHORT_MAP_SHARE)), round(1000 * SHORT_MAP_SHARE)])

    def fit_to_screen(self) -> None:
        """Make the window's frame fit the available geometry of its screen: moved inside it, shrunk if
        larger (a saved geometry from a larger screen, a frame larger than guessed), and the editors
        tabbed if the window could not otherwise be made low enough."""
        available = available_geometry(self)
        if available.isEmpty() or self.isMaximized() or self.isFullScreen():
            return
        frame, geometry = self.frameGeometry(), self.geometry()
        extra = QSize(frame.width() - geometry.width(), frame.height() - geometry.height())
        stacked = not self.tabifiedDockWidgets(self.formula_dock)
        if stacked and self.minimumSizeHint().height() + extra.height() > available.height():
            self.use_short_layout()
        fitted = fitted_frame(frame, available, self.minimumSizeHint() + extra)
        if fitted.size() != frame.size():
            self.resize(fitted.size() - extra)
        if fitted.topLeft() != frame.topLeft():
            self.move(fitted.topLeft())  # a top-level window's position is its frame's

    def fit_formula_dock(self) -> None:
        """Make the Formula dock as tall as its contents want, and give the Balls dock below the rest.

        The formula takes at most FORMULA_SHARE of the two docks' height, so that long derivatives
        (they scroll) never squeeze the ball's settings out of sight. Nothing happens while the
        docks float or have been moved elsewhere by the teacher.
        """
        formula = self.formula_dock
        area = self.dockWidgetArea(formula)
        if formula.isFloating() or area not in (Qt.DockWidgetArea.LeftDockWidgetArea,
                                                Qt.DockWidgetArea.RightDockWidgetArea):
            return
        if self.tabifiedDockWidgets(formula):
            return  # a tab (a low screen's layout): it has the whole column when shown
        # The dock below: Balls, or Presets when its tab is the one shown.
        below = next((dock for dock in (self.balls_dock, self.presets_dock)
                      if dock.isVisible() and not dock.isFloating() and self.dockWidgetArea(dock) == area), None)
        if below is None:
            return
        total = formula.height() + below.height()
        if total <= 0:
            return  # before the window is first laid out (showEvent fits it again)
        # Asking for the share is enough: the editor's size policy stops the dock at the height it
        # wants, exactly (a request of that height itself lands some pixels off, as Qt shares out
        # the space of the tab bar and the separator in proportion).
        share = max(formula.minimumSizeHint().height(), int(FORMULA_SHARE * total))
        self.resizeDocks([formula, below], [share, total - share], Qt.Orientation.Vertical)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    @property
    def docks(self) -> tuple[QDockWidget, ...]:
        return (self.formula_dock, self.balls_dock, self.presets_dock, self.eigenvalue_dock, self.step_size_dock,
                self.loss_dock, self.gradient_norm_dock, self.readout_dock)

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

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self._add(file_menu, "&Open scene…", self.open_scene_dialog, QKeySequence.StandardKey.Open)
        self._add(file_menu, "&Save scene", self.save_scene, QKeySequence.StandardKey.Save)
        self._add(file_menu, "Save scene &as…", self.save_scene_as_dialog, QKeySequence.StandardKey.SaveAs)
        self.scenes_menu = file_menu.addMenu("Scenes &gallery")
        self._fill_scenes_menu()
        self.recent_files_menu = file_menu.addMenu("&Recent files")
        self.recent_files_menu.aboutToShow.connect(self._fill_recent_files_menu)
        self._fill_recent_files_menu()
        file_menu.addSeparator()
        self._add(file_menu, "Screens&hot…", self.screenshot_dialog, "Ctrl+Shift+P")
        file_menu.addSeparator()
        self._add(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        surface_menu = menus.addMenu("S&urface")
        self._add(surface_menu, "&Edit formula", self.focus_formula, "Ctrl+L")
        from gui.editors.presets_gallery import presets_menu

        presets = presets_menu(self.controller, surface_menu)
        presets.setTitle("&Presets")
        presets.setToolTipsVisible(True)
        surface_menu.addMenu(presets)
        self.recent_formulas_menu = surface_menu.addMenu("&Recent formulas")
        self.recent_formulas_menu.aboutToShow.connect(self._fill_recent_formulas_menu)
        self._fill_recent_formulas_menu()

        simulation_menu = menus.addMenu("&Simulation")
        for action in (self.transport.play, self.transport.step, self.transport.reset):
            simulation_menu.addAction(action)
        simulation_menu.addSeparator()
        simulation_menu.addAction(self.transport.faster)
        simulation_menu.addAction(self.transport.slower)
        simulation_menu.addSeparator()
        self._add(simulation_menu, "&Add a ball", self.add_ball_at_centre, "Ctrl+B")
        simulation_menu.addAction(self.transport.seed)

        view_menu = menus.addMenu("&View")
        overlays = view_menu.addMenu("&Map overlays")
        self.overlay_actions: dict[str, QAction] = {}
        view = self.controller.view
        for name, scene_name, label in OVERLAYS:
            action = overlays.addAction(label)
            action.setCheckable(True)
            action.setChecked(view.overlay(scene_name))
            self.map_view.set_overlay(name, view.overlay(scene_name))
            action.toggled.connect(lambda shown, n=name: self.set_overlay(n, shown))
            self.overlay_actions[name] = action
        view_menu.addSeparator()
        self.show_3d_action = view_menu.addAction("The &3D view")
        self.show_map_action = view_menu.addAction("The contour &map")
        for action in (self.show_3d_action, self.show_map_action):
            action.setCheckable(True)
            action.setChecked(True)
            action.toggled.connect(lambda _shown, a=action: self._on_layout_toggled(a))
        docks_menu = view_menu.addMenu("&Panels and editors")
        for dock in self.docks:
            docks_menu.addAction(dock.toggleViewAction())
        view_menu.addSeparator()
        self.reset_camera_action = self._add(view_menu, "Reset the 3D &camera", self.reset_camera, "Ctrl+0")
        self.reset_camera_action.setEnabled(self.view3d is not None)
        self._add(view_menu, "Reset the &layout", self.reset_layout)

        help_menu = menus.addMenu("&Help")
        self._add(help_menu, "&Keyboard and mouse", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._add(help_menu, "&About Downhill", self.show_about)

    def _add(self, menu: QMenu, text: str, slot: Callable[[], object],
             shortcut: QKeySequence.StandardKey | str | None = None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    # -- menus' contents -------------------------------------------------------------------------
    def _fill_scenes_menu(self) -> None:
        from physics.preset_scenes import PRESET_SCENES

        self.scenes_menu.setToolTipsVisible(True)
        for name, scene in PRESET_SCENES.items():
            action = self.scenes_menu.addAction(on_screen(scene.title or name))
            action.setStatusTip(scene.note)
            action.setToolTip(scene.note)
            action.triggered.connect(lambda _checked=False, n=name: self.open_preset_scene(n))

    def _fill_recent_files_menu(self) -> None:
        self.recent_files_menu.clear()
        files = self.settings.recent_files()
        if not files:
            self.recent_files_menu.addAction("(no recent scene files)").setEnabled(False)
            return
        for number, path in enumerate(files, start=1):
            action = self.recent_files_menu.addAction(f"&{number % 10}  {Path(path).name}")
            action.setStatusTip(path)
            action.setToolTip(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_scene_file(p))
        self.recent_files_menu.addSeparator()
        self.recent_files_menu.addAction("Clear the list", self.settings.clear_recent_files)

    def _fill_recent_formulas_menu(self) -> None:
        self.recent_formulas_menu.clear()
        items = self.formula_editor.recent.items
        if not items:
            self.recent_formulas_menu.addAction("(no recent formulas yet)").setEnabled(False)
            return
        for text in items:
            action = self.recent_formulas_menu.addAction(text)
            action.triggered.connect(lambda _checked=False, t=text: self.use_formula(t))

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

    def set_overlay(self, name: str, shown: bool) -> None:
        """Switch an overlay of the map; the scene remembers it (Save keeps it)."""
        self.map_view.set_overlay(name, shown)
        if self.overlay_actions[name].isChecked() != shown:
            self.overlay_actions[name].setChecked(shown)
        self.sync_view()

    def sync_view(self) -> None:
        """Tell the controller how the scene is shown now: overlays, layout and the 3D camera."""
        view = self.controller.view
        overlays = dict(view.overlays)
        for name, scene_name, _label in OVERLAYS:
            overlays[scene_name] = self.overlay_actions[name].isChecked()
        changes: dict[str, object] = {"overlays": tuple(overlays.items()), "layout": self._layout()}
        if self.view3d is not None:
            camera = self.view3d.camera()  # distance in surface units, as the scene file keeps it
            distance = camera["distance"]
            changes.update(azimuth=_angle(camera["azimuth"], 360.0), elevation=_angle(camera["elevation"], 90.0),
                           distance=distance if math.isfinite(distance) and distance > 0 else None)
        self.controller.set_view(replace(view, **changes))

    def apply_view(self) -> None:
        """Show the scene as its view settings say: overlays, which views, the 3D camera."""
        view = self.controller.view
        for name, scene_name, _label in OVERLAYS:
            shown = view.overlay(scene_name)
            self.map_view.set_overlay(name, shown)
            action = self.overlay_actions[name]
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        for action, shown in ((self.show_3d_action, view.layout in ("both", "3d")),
                              (self.show_map_action, view.layout in ("both", "2d"))):
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)
        self._show_layout()
        if self.view3d is not None:
            self.view3d.reset_view()
            # The scene's angles, framed for them; then its own distance (surface units), if it has one.
            self.view3d.set_camera(azimuth=view.azimuth, elevation=view.elevation, distance=None)
            if view.distance is not None:
                self.view3d.set_camera(distance=view.distance)

    def _layout(self) -> str:
        """The scene file's name for which views are shown: "both", "3d" or "2d"."""
        three_d, two_d = self.show_3d_action.isChecked(), self.show_map_action.isChecked()
        return "both" if three_d == two_d else ("3d" if three_d else "2d")

    def _show_layout(self) -> None:
        layout = self._layout()
        self.splitter.widget(0).setVisible(layout in ("both", "3d"))
        self.splitter.widget(1).setVisible(layout in ("both", "2d"))

    def _on_layout_toggled(self, toggled: QAction) -> None:
        if not (self.show_3d_action.isChecked() or self.show_map_action.isChecked()):
            # One view at least: switching the last one off shows the other instead.
            other = self.show_map_action if toggled is self.show_3d_action else self.show_3d_action
            other.setChecked(True)
            return
        self._show_layout()
        self.sync_view()

    def reset_camera(self) -> None:
        if self.view3d is not None:
            self.view3d.reset_view()

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        self.splitter.restoreState(self._default_splitter)
        for dock in self.docks:
            dock.show()
        self.formula_editor.set_typeset_shown(True)
        self._formula_fit.start()

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

    # -- files ---------------------------------------------------------------------------------
    def open_scene_dialog(self) -> None:
        directory = str(self.scene_path.parent) if self.scene_path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open a scene", directory, SCENE_FILTER)
        if path:
            self.open_scene_file(path)

    def open_scene_file(self, path: str | Path) -> None:
        """Open a scene file (read and built in the background; a problem is shown in a message box).
        Unsaved changes are saved or let go first (may_replace_scene), or nothing is opened."""
        if not self.may_replace_scene():
            return
        self.show_message(f"Opening {Path(path).name}…")
        self.controller.open_file(Path(path).resolve())

    def _on_scene_file_opened(self, path: str) -> None:
        if self._recovering is not None and Path(path) == self._recovering:
            self._recovering = None
            self.scene_path = None
            self._saved_json = None  # it exists only in the autosave: unsaved until Save
            self._update_title()
            if self._autosaver is not None:
                self._autosaver.release()
                self._autosaver.save_now()  # the restored scene is the session's autosave from now on
            self.show_message("Restored the autosaved scene")
        else:
            self.adopt_scene_file(Path(path))
            self.show_message(f"Opened {self.scene_path}")
        # The editor that had the keyboard before File > Open would keep Space and Right for itself.
        self.focus_views()

    def adopt_scene_file(self, path: Path) -> None:
        """The live scene came from ``path`` (e.g. ``--scene FILE``): Save writes there; it is a recent file."""
        self.scene_path = Path(path).resolve()
        self._mark_saved()
        self._remember_file(self.scene_path)
        self._update_title()

    def _on_scene_file_failed(self, path: str, error: object) -> None:
        if self._recovering is not None and Path(path) == self._recovering:
            self._recovery_failed(str(error))
            return
        self.show_message(f"Could not open {Path(path).name}", error=True)
        QMessageBox.warning(self, "Cannot open the scene", str(error))

    def open_preset_scene(self, name: str) -> None:
        from physics.preset_scenes import PRESET_SCENES

        if self.may_replace_scene():
            self.controller.load_scene(PRESET_SCENES[name])

    def save_scene(self) -> bool:
        if self.scene_path is None:
            return self.save_scene_as_dialog()
        return self.save_scene_file(self.scene_path)

    def save_scene_as_dialog(self) -> bool:
        suggestion = self.scene_path or Path.home() / f"{_file_stem(self.controller.scene.title)}.json"
        path, _ = QFileDialog.getSaveFileName(self, "Save the scene", str(suggestion), SCENE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self.save_scene_file(path)

    def save_scene_file(self, path: str | Path) -> bool:
        """Write the live scene (atomically) to ``path``; a problem is shown in a message box."""
        from physics.scene_files import save_scene

        self.sync_view()
        scene = self.controller.current_scene()
        try:
            save_scene(scene, path)
        except (DownhillError, OSError) as error:
            message = str(error) if isinstance(error, DownhillError) else (error.strerror or str(error))
            QMessageBox.warning(self, "Cannot save the scene", f"{Path(path).name}: {message}")
            return False
        self.scene_path = Path(path).resolve()
        self._saved_json = unsaved_content(scene)
        self._discarded = False
        self._remember_file(self.scene_path)
        self._update_title()
        self.show_message(f"Saved {self.scene_path}")
        return True

    def _remember_file(self, path: Path) -> None:
        self.settings.add_recent_file(path)

    def screenshot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save a screenshot", str(Path.home() / "downhill.png"),
                                              "PNG images (*.png)")
        if not path:
            return
        if not Path(path).suffix:
            path += ".png"
        if self.grab_window_image().save(path):
            self.show_message(f"Screenshot saved to {path}")
        else:
            QMessageBox.warning(self, "Cannot save the screenshot", f"Could not write {path}")

    def grab_window_image(self) -> QImage:
        """The whole window as an image, the OpenGL view's pixels included.

        ``QWidget.grab`` renders widgets through Qt's painter, which may leave an OpenGL
        surface blank; the 3D view's own framebuffer is painted over its place to be sure.
        """
        image = self.grab().toImage()
        view = self.view3d
        if view is not None and view.isVisible():
            frame = view.render_image()
            if not frame.isNull():
                painter = QPainter(image)
                target = view.gl_widget.mapTo(self, QPoint(0, 0))
                ratio = image.devicePixelRatio() or 1.0
                size = view.gl_widget.size() * ratio
                painter.drawImage(target, frame if frame.size() == size else frame.scaled(size))
                painter.end()
        return image

    # -- settings ------------------------------------------------------------------------------
    def restore_layout(self) -> None:
        """Window geometry, docks, splitter and overlays as they were at the last clean exit."""
        if not self.remember_layout:
            return
        geometry = self.settings.window_geometry()
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.splitter_state()
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.fit_to_screen()  # saved on another (larger) screen, perhaps
        unchanged = not self.has_unsaved_changes()
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

    def set_autosaver(self, autosaver: Autosaver) -> None:
        self._autosaver = autosaver
        autosaver.prepare = self.sync_view
        autosaver.failed.connect(lambda message: self.show_message(message, error=True, timeout=30_000))

    def offer_recovery(self, path: Path, ask: Callable[[str], bool] | None = None) -> bool | None:
        """Offer back the autosave the last session left; nothing is written over it meanwhile.

        The question does not block: the answer comes later, when the teacher clicks (the window
        may close first, and then the autosave stays for the next start). With ``ask`` (scripts,
        tests) the answer is ``ask(question)`` at once, and the return value says whether it was
        accepted; otherwise None. Restore opens the autosave (a failure sets it aside and says
        where it is); Discard deletes it.
        """
        crashed = self._autosaver is not None and self._autosaver.guard.crashed
        question = ("Downhill did not close properly last time.\n\n" if crashed else
                    "Downhill was closed with unsaved changes last time.\n\n")
        question += "Restore the scene it was showing (saved automatically)?"
        self._recovery_offered = Path(path).resolve()
        if self._autosaver is not None:
            self._autosaver.hold()
        if ask is not None:
            return self._answer_recovery(ask(question))
        box = QMessageBox(QMessageBox.Icon.Question, "Restore the last scene?", question,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("recoveryQuestion")
        box.button(QMessageBox.StandardButton.Yes).setText("Restore")
        box.button(QMessageBox.StandardButton.No).setText("Discard")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: self._answer_recovery(box.standardButton(button) == QMessageBox.StandardButton.Yes))
        box.open()
        return None

    def _answer_recovery(self, accepted: bool) -> bool:
        path = self._recovery_offered
        if path is None or self._close_accepted:
            return False  # closed before the answer: the autosave stays for the next start
        self._recovery_offered = None
        if not accepted:
            if self._autosaver is not None:
                self._autosaver.guard.discard_autosave()
                self._autosaver.release()
            return False
        self._recovering = path
        self.controller.open_file(path)
        return True

    def _recovery_failed(self, reason: str) -> None:
        """The accepted autosave could not be opened: keep it aside, say where, autosave afresh."""
        path, self._recovering = self._recovering, None
        aside = self._autosaver.guard.set_aside() if self._autosaver is not None else None
        if aside is not None:
            self._autosaver.release()
            where = f"it is kept as {aside}"
        else:
            # Not moved: autosave stays off rather than write over it.
            where = f"it is kept at {path}; autosave is off for this session"
        self.show_message(f"The autosaved scene could not be restored ({reason}); {where}", error=True,
                          timeout=0)

    def _on_build_finished(self) -> None:
        if self._recovering is not None:
            # The autosave's build ended without opening it (a newer request replaced it, or an
            # error the file reader did not catch): it was not restored.
            self._recovery_failed("it did not build")

    # -- unsaved changes -----------------------------------------------------------------------
    def has_unsaved_changes(self) -> bool:
        """Whether the live scene differs from the one last opened or saved (turning the camera
        aside), or exists nowhere else (a restored autosave)."""
        return self._saved_json is None or unsaved_content(self.controller.current_scene()) != self._saved_json

    def _mark_saved(self) -> None:
        """The live scene is the one to compare with from now on (opened, loaded or saved)."""
        self._saved_json = unsaved_content(self.controller.current_scene())
        self._discarded = False

    def autosave_needed(self) -> bool:
        """Whether the autosave holds work found nowhere else (the app then keeps it at exit)."""
        if self._recovery_offered is not None or self._recovering is not None:
            return True  # the last session's work, not restored yet
        return not self._discarded and self.has_unsaved_changes()

    def close_without_asking(self) -> None:
        """Close at once without a question (SIGTERM, Ctrl+C in the terminal): nobody may be there
        to answer it. Unsaved work stays in the autosave for the next start."""
        self._closing_on_signal = True
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog is not self:
            dialog.reject()  # a question being asked returns, and its caller sees the flag
        self.close()

    def _may_close(self) -> bool:
        """Whether the window may close now: unsaved changes are saved, discarded or autosaved."""
        if (not self.has_unsaved_changes() or self._recovery_offered is not None
                or self._recovering is not None):
            return True
        if self._closing_on_signal or not self.ask_to_save:
            self._flush_autosave()
            return True
        answer = self._ask_to_save("closing")
        if answer == QMessageBox.StandardButton.Save and self.save_scene():
            return True
        if answer == QMessageBox.StandardButton.Discard:
            self._discarded = True
            return True
        if self._closing_on_signal:  # a signal came while the question was open
            self._flush_autosave()
            return True
        return False

    def may_replace_scene(self) -> bool:
        """Whether another whole scene may replace the live one now (File > Open, Recent files, the
        Scenes menu, the Presets tab's scenes): every such path asks here first.

        With unsaved changes (and ``ask_to_save``) the teacher answers Save / Discard / Cancel:
        Save proceeds only once the scene is saved; Cancel leaves everything as it was. Without
        the question (scripts, tests) the autosave still follows the new scene, as before.
        """
        if (not self.ask_to_save or not self.has_unsaved_changes() or self._recovery_offered is not None
                or self._recovering is not None):
            return True
        answer = self._ask_to_save("opening another scene")
        if answer == QMessageBox.StandardButton.Save:
            return self.save_scene()
        return answer == QMessageBox.StandardButton.Discard

    def _ask_to_save(self, before: str) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel on the unsaved changes, ``before`` e.g. "closing"; Cancel if dismissed."""
        name = self.scene_path.name if self.scene_path else on_screen(self.controller.scene.title or "untitled scene")
        box = QMessageBox(QMessageBox.Icon.Warning, "Save the changes?",
                          f"The scene “{name}” has changes that are not saved.\n\nSave them before {before}?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("saveChangesQuestion")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)
        box.exec()  # safe: QMessageBox.exec runs the dialog's event loop; no text is evaluated
        clicked = box.clickedButton()
        answer = box.standardButton(clicked) if clicked is not None else QMessageBox.StandardButton.Cancel
        box.deleteLater()
        return answer

    def _flush_autosave(self) -> None:
        if self._autosaver is not None:
            self._autosaver.save_now()

    # -- status and title ----------------------------------------------------------------------
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

    # -- dialogs -------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard and mouse")
        table = QTableWidget(len(SHORTCUTS), 2, dialog)
        table.setHorizontalHeaderLabels(["Key or gesture", "What it does"])
        table.verticalHeader().hide()
        for row, (key, meaning) in enumerate(SHORTCUTS):
            table.setItem(row, 0, QTableWidgetItem(key))
            table.setItem(row, 1, QTableWidgetItem(meaning))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel("The keys work anywhere in the window except while you type in a text field."))
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(620, 420)
        dialog.exec()  # safe: QDialog.exec runs the dialog's event loop; no text is evaluated

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Downhill",
            "<h3>Downhill</h3><p>A ball rolling down a loss landscape.</p>"
            "<p>Type a surface f(x, y); SymPy differentiates it exactly, and balls descend it under "
            "gradient descent, its noisy and accelerated variants, adaptive and second-order methods. "
            "The panels show what the textbooks only say: a zero gradient is often a saddle, noise "
            "knocks a ball off it, the plateau is the real trap, and a learning rate above "
            "2/λ<sub>max</sub> oscillates.</p>")

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


def _elide(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis when longer."""
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _file_stem(title: str) -> str:
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in title.strip().lower()).strip("-")
    return "-".join(part for part in stem.split("-") if part) or "scene"


def _angle(value: float, limit: float) -> float:
    """An angle in degrees brought into [-limit, limit] (azimuth wraps, elevation is clamped)."""
    value = float(value)
    if limit >= 360.0:
        return (value + 360.0) % 720.0 - 360.0 if abs(value) > 360.0 else value
    return max(-limit, min(limit, value))
