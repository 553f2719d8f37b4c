"""The formula editor: type f(x, y), see its derivatives typeset, move its parameters.

Typing restarts a short timer; when the typing pauses (:data:`DEBOUNCE_MS`) or Enter is pressed
the text goes to ``controller.set_formula`` once. The controller builds the surface on a worker
and answers with ``surfaceChanged`` or ``formulaError``; an error leaves the previous surface
live, shows the message under the field and marks the column it names. Named parameters become
sliders that call ``controller.set_parameter`` live (no rebuild: the balls keep rolling).
Accepted formulas go to a recent list kept in QSettings; a Presets button opens the gallery's menu.
The editor is as tall as its contents; the typeset block can be folded away (the "∇f, H" button)
to give the dock below more height, and ``contentHeightChanged`` tells the window when the
height it wants changes.
"""

from __future__ import annotations

import html

from PyQt6.QtCore import QSettings, QSize, QStringListModel, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeyEvent
from PyQt6.QtWidgets import (
    QCompleter,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.controller_link import EditorLink
from gui.editors.formula_field import ERROR_INK, FormulaField
from gui.editors.parameter_sliders import ParameterSliders
from gui.editors.presets_gallery import presets_menu
from gui.editors.recent_formulas import RecentFormulas
from gui.editors.typeset_view import TypesetView

#: Pause in typing (milliseconds) after which the formula is sent to be built.
DEBOUNCE_MS = 350
#: Shown beside the title while a build runs.
BUSY_TEXT = "building…"


class _FittedScrollArea(QScrollArea):
    """A scroll area that asks for the height its height-for-width contents need at its width.

    A plain QScrollArea hints a fixed size whatever it holds, so a dock would either cut the
    derivatives off or leave space under them.
    """

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        hint = super().sizeHint()
        content = self.widget()
        if content is None:
            return hint
        width = max(self.viewport().width(), 1) if self.isVisible() else max(self.width(), 1)
        height = content.heightForWidth(width) if content.hasHeightForWidth() else -1
        if height < 0:
            height = content.sizeHint().height()
        margins = self.contentsMargins()
        return QSize(hint.width(), height + margins.top() + margins.bottom())


class FormulaEditor(QWidget):
    """Formula field, error line, parameter sliders and the typeset f, grad f and H.

    Args:
        controller: the SceneController (signals surfaceChanged, formulaError, buildStarted,
            buildFinished; commands set_formula, set_parameter).
        settings: where the recent formulas live (QSettings() of the application by default).

    Signals:
        contentHeightChanged(): sliders or derivatives appeared, went or changed size; the
            editor's size hint is the height it now wants.
    """

    contentHeightChanged = pyqtSignal()

    def __init__(self, controller: EditorLink, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.controller = controller
        self.recent = RecentFormulas(settings)
        self._surface = None
        self._submitted: str | None = None
        self._error = None

        self.field = FormulaField()
        self.field.setAccessibleName("formula f(x, y)")
        self.field.setToolTip("Type f(x, y): x^2 - y^2, sin(x) cos(y), a*x^2 + b*y^2 (a, b become sliders).\n"
                              "The surface rebuilds when you pause typing or press Enter; Esc restores the live one.")
        self.field.textEdited.connect(self._on_text_edited)
        self.field.returnPressed.connect(self.submit)
        self.field.installEventFilter(self)

        self._recent_model = QStringListModel(list(self.recent.items), self)
        completer = QCompleter(self._recent_model, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.activated.connect(lambda text: self._load_text(text))
        self.field.setCompleter(completer)

        self.recent_button = QToolButton()
        self.recent_button.setText("Recent")
        self.recent_button.setToolTip("Formulas used recently")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self._recent_menu = QMenu(self.recent_button)
        self._recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_button.setMenu(self._recent_menu)

        self.presets_button = QToolButton()
        self.presets_button.setText("Presets")
        self.presets_button.setToolTip("Load a preset surface (saddles, plateaus, ravines, test functions)")
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.presets_button.setMenu(presets_menu(controller, self.presets_button))

        title = QLabel("f(x, y) =")
        title.setFont(self.field.font())

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.RichText)
        self.error_label.setStyleSheet(f"color: {ERROR_INK}; font-weight: bold;")
        self.error_label.linkActivated.connect(lambda _link: self.show_error_position())
        self.error_label.hide()

        # Its text comes and goes, its size stays: a label that appeared would make the window lay
        # out the docks again and repaint them all, which with the 3D view in the window costs a
        # software-OpenGL machine a frozen half second at the start of every build.
        self.busy_label = QLabel()
        self.busy_label.setStyleSheet("color: palette(mid);")
        self.busy_label.setToolTip("The surface is being built in the background")
        metrics = self.busy_label.fontMetrics()
        self.busy_label.setFixedSize(metrics.horizontalAdvance(BUSY_TEXT) + 8, metrics.height() + 4)

        self.sliders = ParameterSliders()
        self.sliders.parameterChanged.connect(self._on_parameter)
        self.parameters_box = QGroupBox("Parameters")
        box_layout = QVBoxLayout(self.parameters_box)
        box_layout.addWidget(self.sliders)
        self.parameters_box.hide()

        self.typeset_view = TypesetView()
        self.typeset_scroll = _FittedScrollArea()
        self.typeset_scroll.setWidget(self.typeset_view)
        self.typeset_scroll.setWidgetResizable(True)
        self.typeset_scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The grids fit the width; only a dock made shorter than the derivatives scrolls.
        self.typeset_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.typeset_scroll.viewport().setAutoFillBackground(False)
        self.typeset_view.setAutoFillBackground(False)
        self.typeset_scroll.setToolTip("The surface, its gradient ∇f and its Hessian H, as SymPy derived them")
        self.typeset_view.typeset.connect(self._on_typeset)

        # The typeset block can be folded away to give the Balls dock below more height.
        self.typeset_button = QToolButton()
        self.typeset_button.setText("∇f, H")
        self.typeset_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.typeset_button.setToolTip("Show or hide the typeset formula, its gradient ∇f and its Hessian H")
        self.typeset_button.setAccessibleName("show the derivatives")
        self.typeset_button.clicked.connect(lambda: self.set_typeset_shown(not self._typeset_shown))

        title_row = QHBoxLayout()
        title_row.addWidget(title)
        title_row.addStretch(1)
        title_row.addWidget(self.busy_label)
        title_row.addWidget(self.typeset_button)
        title_row.addWidget(self.recent_button)
        title_row.addWidget(self.presets_button)
        layout = QVBoxLayout(self)
        layout.setSpacing(5)
        layout.addLayout(title_row)
        layout.addWidget(self.field)
        layout.addWidget(self.error_label)
        layout.addWidget(self.parameters_box)
        layout.addWidget(self.typeset_scroll, 1)
        # As tall as the contents and no taller: the dock below gets the rest of the height.
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.set_typeset_shown(True)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.submit)

        controller.surfaceChanged.connect(self._on_surface)
        controller.formulaError.connect(self._on_error)
        controller.buildStarted.connect(lambda: self.busy_label.setText(BUSY_TEXT))
        controller.buildFinished.connect(self.busy_label.clear)
        if getattr(controller, "surface", None) is not None:
            self._on_surface(controller.surface)

    # -- commands -----------------------------------------------------------------------------

    def submit(self) -> None:
        """Send the field's formula to be built now (the debounce timer's target)."""
        self._timer.stop()
        text = self.field.text().strip()
        if not text:
            return
        surface = self._surface
        if surface is not None and _names(surface, text):
            # Back to what is live: nothing to build, and an old error no longer applies.
            self._submitted = text
            self._clear_error()
            return
        self._submitted = text
        self.controller.set_formula(text)

    def set_typeset_shown(self, shown: bool) -> None:
        """Show or fold away the typeset f, ∇f and H (the window keeps the choice with its layout)."""
        self._typeset_shown = bool(shown)
        self.typeset_button.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)
        self.typeset_scroll.setVisible(shown)
        self._content_changed()

    @property
    def typeset_shown(self) -> bool:
        return self._typeset_shown

    def show_error_position(self) -> None:
        """Put the cursor on the column the current error names."""
        if self._error is not None and self._error.column is not None:
            self.field.move_cursor_to_column(self._error.column)

    @property
    def error(self) -> object:
        """The DownhillError shown, or None."""
        return self._error

    # -- reactions ----------------------------------------------------------------------------

    def _on_text_edited(self, _text: str) -> None:
        self._timer.start()

    def _load_text(self, text: str) -> None:
        self.field.setText(text)
        self.submit()

    def _on_parameter(self, name: str, value: float) -> None:
        self.controller.set_parameter(name, value)

    def _on_surface(self, surface: object) -> None:
        previous = self._surface
        self._surface = surface
        rebuilt = previous is None or previous.text != surface.text or previous.name != surface.name
        if rebuilt and not self._timer.isActive():
            if not _names(surface, self.field.text()):
                self.field.setText(surface.text)
                self.field.setCursorPosition(0)  # show a long formula from its beginning
            self._clear_error()
            if self.recent.add(self.field.text()):
                self._recent_model.setStringList(list(self.recent.items))
        elif not rebuilt and _names(surface, self.field.text()):
            self._clear_error()
        self.sliders.set_parameters(surface.parameters)
        had_parameters = self.parameters_box.isVisibleTo(self)
        self.parameters_box.setVisible(bool(surface.parameters))
        self.typeset_view.show_surface(surface)
        if had_parameters != bool(surface.parameters):
            self._content_changed()

    def _on_typeset(self) -> None:
        self.typeset_scroll.updateGeometry()  # the derivatives' height depends on the formula
        self._content_changed()

    def _content_changed(self) -> None:
        """The height the editor wants changed (sliders, derivatives): the window may fit its dock to it."""
        self.updateGeometry()
        self.contentHeightChanged.emit()

    def _on_error(self, error: object) -> None:
        self._error = error
        text = str(error)
        message = html.escape(text[:1].upper() + text[1:])
        column = getattr(error, "column", None)
        text_matches = not self._timer.isActive() and self.field.text().strip() == (self._submitted or "")
        if column is not None and text_matches:
            # The field may hold leading spaces that were stripped before sending.
            offset = len(self.field.text()) - len(self.field.text().lstrip())
            self.field.mark_column(column + offset)
            link = f'&nbsp;&nbsp;<a href="column">go to column {column}</a>'
        else:
            self.field.mark_column(None)
            link = ""
        self.error_label.setText(f"{message}{link}<br><span style='font-weight: normal'>"
                                 "The previous surface stays until the formula is fixed.</span>")
        self.error_label.show()

    def _clear_error(self) -> None:
        self._error = None
        self.field.mark_column(None)
        self.error_label.hide()
        self.error_label.clear()

    def _fill_recent_menu(self) -> None:
        self._recent_menu.clear()
        if not self.recent.items:
            self._recent_menu.addAction("(no recent formulas yet)").setEnabled(False)
            return
        for text in self.recent.items:
            action = self._recent_menu.addAction(text)
            action.triggered.connect(lambda _checked=False, t=text: self._load_text(t))
        self._recent_menu.addSeparator()
        self._recent_menu.addAction("Clear the list", self._clear_recent)

    def _clear_recent(self) -> None:
        self.recent.clear()
        self._recent_model.setStringList([])

    def eventFilter(self, watched: object, event: object) -> bool:  # noqa: N802 (Qt override)
        if watched is self.field and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress \
                and event.key() == Qt.Key.Key_Escape and self._surface is not None \
                and not (self.field.completer() and self.field.completer().popup().isVisible()):
            self._timer.stop()
            self.field.setText(self._surface.text)
            self._clear_error()
            return True
        return super().eventFilter(watched, event)


def _names(surface: object, text: str) -> bool:
    """Whether ``text`` is what ``surface`` was built from (its formula, or its preset's name)."""
    text = text.strip()
    return bool(text) and text in (surface.text.strip(), surface.name)
