"""The table of panels and the docks the window builds from it.

Each row of :data:`PANELS` is one dock: the widget's class (constructed with the controller), the
dock's title, where it goes and its starting width. The window builds the docks, the View >
Panels and editors entries that show and hide them, and their default sizes from the table alone:
adding a panel is a row here plus the panel's own class.

Layout (at DEFAULT_SIZE, 1600 x 900; a projector is the design target):

    left column (LEFT): Formula above; Balls and Presets as two tabs below it (Balls in front)
    bottom row (BOTTOM), under the whole width: the plots side by side, equal shares of what the
    rows with a width (Read-outs) leave, PANELS_HEIGHT pixels tall.
    right (RIGHT), hidden until called for: the Race board (Simulation > Race...), beside the views.

On a screen too low to stack the left column above a readable row of plots
(gui.screen_fit.is_short), Formula, Balls and Presets become three tabs of one place.
"""

from __future__ import annotations

from typing import NamedTuple

from PyQt6.QtCore import QSize, Qt, QTimer
from PyQt6.QtWidgets import QDockWidget, QWidget

from gui.editors.ball_list import BallListEditor
from gui.editors.formula_editor import FormulaEditor
from gui.editors.presets_gallery import PresetsGallery
from gui.experiments.basins_panel import BasinsPanel
from gui.experiments.escape_panel import EscapePanel
from gui.experiments.highdim_panel import HighDimPanel
from gui.experiments.stability_panel import StabilityPanel
from gui.panels import BasinSharePanel, EigenvaluePanel, GradientPanel, LossPanel, ReadoutPanel, StepPanel
from gui.race.board import FinishBoardPanel
from gui.screen_fit import DEFAULT_SIZE, fitted_frame, is_short, keep_readable

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


class Panel(NamedTuple):
    """One dock of the window.

    Attributes:
        name: the dock's stem: the window keeps the dock as ``<name>_dock``, and its object name
            (the key of its place in the saved layout) is ``<name>`` in camel case + ``Dock``.
        attribute: the window attribute that holds the widget (``window.loss_panel``).
        title: the dock's title, also its View > Panels and editors entry.
        widget: the widget's class, constructed with the SceneController.
        area: LEFT (the editors' column), BOTTOM (the row of panels under the views) or RIGHT.
        tab_of: the name of the dock this one is a tab behind (the first of the tabs stays in
            front), or None to have its own place.
        width: starting width in pixels at DEFAULT_SIZE's width (a narrower window gives it the
            same share of its width), or None: in the bottom row, an equal share of what is left.
        least_width: the least starting width, pixels.
        plot: a plot, kept readable (gui.screen_fit.keep_readable: at least MIN_PLOT_HEIGHT
            tall, its legend whole).
        shown: shown when the window first opens (False: hidden until its View entry or a
            command shows it).
    """

    name: str
    attribute: str
    title: str
    widget: type[QWidget]
    area: Qt.DockWidgetArea
    tab_of: str | None = None
    width: int | None = None
    least_width: int = 0
    plot: bool = False
    shown: bool = True


#: The window's docks, in the order the View > Panels and editors menu lists them. Within an area
#: the order is the layout's: down the left column, left to right along the bottom row.
PANELS: tuple[Panel, ...] = (
    Panel("formula", "formula_editor", "Formula", FormulaEditor, LEFT, width=440, least_width=380),
    Panel("balls", "ball_list", "Balls", BallListEditor, LEFT),
    Panel("presets", "presets_gallery", "Presets", PresetsGallery, LEFT, tab_of="balls"),
    Panel("eigenvalue", "eigenvalue_panel", "Eigenvalues", EigenvaluePanel, BOTTOM, plot=True),
    Panel("step_size", "step_size_panel", "Step size", StepPanel, BOTTOM, plot=True),
    Panel("loss", "loss_panel", "Loss", LossPanel, BOTTOM, plot=True),
    Panel("gradient_norm", "gradient_norm_panel", "Gradient norm", GradientPanel, BOTTOM, plot=True),
    Panel("readout", "readout_panel", "Read-outs", ReadoutPanel, BOTTOM, width=400, least_width=300),
    Panel("race", "race_board", "Race", FinishBoardPanel, RIGHT, shown=False),
    Panel("basins", "basins_panel", "Basins", BasinsPanel, RIGHT, tab_of="race", shown=False),
    # (Shown by itself when a scene with a swarm opens: gui.panels.basin_share_panel.)
    Panel("basin_share", "basin_share_panel", "Basin share", BasinSharePanel, RIGHT, tab_of="race", shown=False),
    Panel("stability", "stability_panel", "Stability", StabilityPanel, RIGHT, tab_of="race", shown=False),
    Panel("escape", "escape_panel", "Saddle escape", EscapePanel, RIGHT, tab_of="race", shown=False),
    Panel("highdim", "highdim_panel", "High dimensions", HighDimPanel, RIGHT, tab_of="race", shown=False),
)
#: Height of the row of panels under the views (pixels): at 900 pixels the editors on the left
#: keep room for the formula and most of a ball's settings. Never less than the plots need
#: (gui.screen_fit.keep_readable).
PANELS_HEIGHT = 245
#: The map's share of the views' width in the layout for low screens (the 3D view has the rest).
SHORT_MAP_SHARE = 0.62
#: Most of the left column's height the Formula dock takes when fitted to its contents.
FORMULA_SHARE = 0.55


def object_name(panel: Panel) -> str:
    """The dock's object name, its key in a saved layout: ``step_size`` -> ``stepSizeDock``."""
    first, *rest = panel.name.split("_")
    return first + "".join(word.capitalize() for word in rest) + "Dock"


class DockLayout:
    """The docks of PANELS, mixed into the QMainWindow. Reads ``controller``, ``splitter`` (gui.window.centre)
    and ``_screen()`` (the screen's available geometry) from the window."""

    def dock(self, panel: Panel) -> QDockWidget:
        """The dock of a row of PANELS."""
        return getattr(self, f"{panel.name}_dock")

    @property
    def docks(self) -> tuple[QDockWidget, ...]:
        """Every dock, in the order of PANELS."""
        return tuple(self.dock(panel) for panel in PANELS)

    def _build_docks(self) -> None:
        for panel in PANELS:
            widget = panel.widget(self.controller)
            setattr(self, panel.attribute, widget)
            dock = QDockWidget(panel.title, self)
            dock.setObjectName(object_name(panel))
            dock.setWidget(widget)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
            self.addDockWidget(panel.area, dock)
            setattr(self, f"{panel.name}_dock", dock)
            if panel.plot:
                keep_readable(widget)
            if not panel.shown:
                dock.hide()
        for panel in PANELS:
            if panel.tab_of is not None:
                self.tabifyDockWidget(getattr(self, f"{panel.tab_of}_dock"), self.dock(panel))
                getattr(self, f"{panel.tab_of}_dock").raise_()
        # The bottom row side by side (the left column stacks by itself).
        row = [self.dock(panel) for panel in PANELS if panel.area == BOTTOM and panel.tab_of is None]
        for previous, dock in zip(row, row[1:], strict=False):
            self.splitDockWidget(previous, dock, Qt.Orientation.Horizontal)
        # The panels run under the whole width: five plots side by side need it more than the editors.
        self.setCorner(Qt.Corner.BottomLeftCorner, BOTTOM)
        self.setCorner(Qt.Corner.BottomRightCorner, BOTTOM)
        if is_short(self._screen()):
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
        """The docks' starting sizes for a window ``width`` pixels wide: the rows with a width get
        their share of DEFAULT_SIZE's width (no less than their least), the other bottom docks the
        rest equally; the bottom row is PANELS_HEIGHT tall."""
        share = width / DEFAULT_SIZE.width()

        def wanted(panel: Panel) -> int:
            return max(panel.least_width, round(panel.width * share))

        column = [panel for panel in PANELS if panel.area == LEFT and panel.width is not None]
        self.resizeDocks([self.dock(panel) for panel in column], [wanted(panel) for panel in column],
                         Qt.Orientation.Horizontal)
        row = [panel for panel in PANELS if panel.area == BOTTOM and panel.tab_of is None]
        self.resizeDocks([self.dock(row[0])], [PANELS_HEIGHT], Qt.Orientation.Vertical)
        fixed = sum(wanted(panel) for panel in row if panel.width is not None)
        sharing = sum(panel.width is None for panel in row) or 1  # none: every dock has its width
        equal = max(1, (width - fixed) // sharing)
        self.resizeDocks([self.dock(panel) for panel in row],
                         [equal if panel.width is None else wanted(panel) for panel in row],
                         Qt.Orientation.Horizontal)

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
        available = self._screen()
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

    def reset_layout(self) -> None:
        """Docks and splitter as the window first laid them out, every dock shown."""
        self.restoreState(self._default_state)
        self.lessons.sync_visibility()  # the caption band and Lesson dock stay while a lesson is open
        self.splitter.restoreState(self._default_splitter)
        for dock in self.docks:
            dock.show()
        self.formula_editor.set_typeset_shown(True)
        self._formula_fit.start()
