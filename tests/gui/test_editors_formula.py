"""The formula editor with the real SceneController: debounce, errors, typesetting, sliders, recents."""

from __future__ import annotations

import numpy as np
import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtGui import QImage

from gui.editors.formula_editor import DEBOUNCE_MS, FormulaEditor
from gui.editors.parameter_sliders import SLIDER_STEPS, nice_half_range
from gui.editors.recent_formulas import SETTINGS_KEY, RecentFormulas

BUILD_TIMEOUT = 20_000
CONTROLLER_SCENE = "saddle-noise"  # the conftest's controller fixture opens it


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def editor(show_widget, controller, settings):
    widget = show_widget(FormulaEditor(controller, settings=settings), 560, 640)
    yield widget
    widget.typeset_view.wait()


def record_calls(monkeypatch, controller, name):
    """Record the arguments of every call of controller.<name> (the call still goes through)."""
    calls = []
    original = getattr(controller, name)

    def recorder(*arguments):
        calls.append(arguments)
        return original(*arguments)

    monkeypatch.setattr(controller, name, recorder)
    return calls


def type_formula(qtbot, editor, text):
    editor.field.clear()
    qtbot.keyClicks(editor.field, text)


def image_array(image: QImage) -> np.ndarray:
    """(h, w, 4) uint8 copy of a QImage, channels B, G, R, A."""
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    pointer = image.constBits()
    pointer.setsize(image.sizeInBytes())
    rows = np.frombuffer(pointer, np.uint8).reshape(image.height(), image.bytesPerLine() // 4, 4)
    return rows[:, :image.width()].copy()


def test_typing_sends_one_build_after_the_pause(qtbot, monkeypatch, editor, controller):
    calls = record_calls(monkeypatch, controller, "set_formula")
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT) as changed:
        type_formula(qtbot, editor, "x^2 + 3*y^2")
        assert calls == []  # nothing is sent while the keys arrive
        qtbot.waitUntil(lambda: len(calls) == 1, timeout=BUILD_TIMEOUT)
    qtbot.wait(2 * DEBOUNCE_MS)
    assert calls == [("x^2 + 3*y^2",)]  # one build for eleven keystrokes
    assert changed.args[0].text == "x^2 + 3*y^2"
    assert controller.surface.text == "x^2 + 3*y^2"
    assert not editor.error_label.isVisible()


def test_enter_sends_at_once(qtbot, monkeypatch, editor, controller):
    calls = record_calls(monkeypatch, controller, "set_formula")
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        type_formula(qtbot, editor, "x^4 + y^2")
        qtbot.keyClick(editor.field, Qt.Key.Key_Return)
        assert calls == [("x^4 + y^2",)]
    qtbot.wait(2 * DEBOUNCE_MS)
    assert calls == [("x^4 + y^2",)]  # the pending debounce was cancelled by Enter


def marked_pixels(field) -> np.ndarray:
    """Columns (x, in field pixels) where the error mark's pink box or red ink shows."""
    pixels = image_array(field.grab().toImage()).astype(int)
    blue, green, red = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    reddish = (red > 150) & (red - green > 40) & (red - blue > 20)
    return np.nonzero(reddish.any(axis=0))[0]


def test_error_keeps_the_surface_shows_the_message_and_marks_the_column(qtbot, editor, controller):
    previous = controller.surface
    text = "x^2 + 3*sin(x y)) - y"  # the ')' at column 17 has no '('
    with qtbot.waitSignal(controller.formulaError, timeout=BUILD_TIMEOUT) as failed:
        type_formula(qtbot, editor, text)
        qtbot.keyClick(editor.field, Qt.Key.Key_Return)
    error = failed.args[0]
    assert error.column == 17
    assert controller.surface is previous
    assert editor.error_label.isVisible()
    assert "no matching" in editor.error_label.text()
    assert editor.field.marked_column == 17
    assert editor.field.text() == text  # the teacher's text is left to fix, not replaced

    # The mark is drawn over the 17th character: between the cursor positions before and after it.
    editor.field.setCursorPosition(16)
    left = editor.field.cursorRect().center().x()
    editor.field.setCursorPosition(17)
    right = editor.field.cursorRect().center().x()
    columns = marked_pixels(editor.field)
    assert columns.size > 0
    assert left - 2 <= columns.min() and columns.max() <= right + 2

    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow, timeout=BUILD_TIMEOUT)
    editor.show_error_position()
    assert editor.field.cursorPosition() == 16
    qtbot.waitUntil(editor.field.hasFocus, timeout=BUILD_TIMEOUT)

    # The typeset derivatives still describe the live (previous) surface.
    editor.typeset_view.wait()
    assert editor.typeset_view._shown == (previous.latex, previous.gradient_latex, previous.hessian_latex)

    # Fixing the formula clears the error and its mark.
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        type_formula(qtbot, editor, "x^2 + 3*sin(x y) - y")
        qtbot.keyClick(editor.field, Qt.Key.Key_Return)
    assert not editor.error_label.isVisible()
    assert editor.field.marked_column is None
    assert marked_pixels(editor.field).size == 0


def test_escape_restores_the_live_formula(qtbot, editor, controller):
    type_formula(qtbot, editor, "x^2 +")
    popup = editor.field.completer().popup()
    if popup.isVisible():  # the first Escape closes the recent-formula suggestions
        qtbot.keyClick(popup, Qt.Key.Key_Escape)
    qtbot.keyClick(editor.field, Qt.Key.Key_Escape)
    assert editor.field.text() == controller.surface.text
    qtbot.wait(2 * DEBOUNCE_MS)
    assert not controller.building


def test_derivatives_are_typeset(qtbot, editor, controller):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("x^2*y + sin(y)")
    view = editor.typeset_view
    assert view._shown[0] == controller.surface.latex
    qtbot.waitUntil(lambda: not view.busy, timeout=BUILD_TIMEOUT)
    assert len(view.gradient.cells) == 2 and len(view.hessian.cells) == 4
    cells = [*view.formula.cells, *view.gradient.cells, *view.hessian.cells]
    assert all(cell.image is not None and not cell.image.isNull() for cell in cells)
    # Each drawn as an image once the layout has given the grids their new widths (a pass of the event loop).
    qtbot.waitUntil(lambda: not any(view.gradient.drawn_as_text + view.hessian.drawn_as_text), timeout=BUILD_TIMEOUT)
    # The plain forms (tooltips) are the derivatives: d/dx (x^2 y + sin y) = 2xy, d2/dy2 = -sin(y).
    assert view.gradient.cells[0].plain == "2*x*y"
    assert view.hessian.cells[3].plain == "-sin(y)"
    assert view.hessian.cells[1].plain == view.hessian.cells[2].plain == "2*x"
    # At 560 px the vector and the matrix sit side by side; in a narrow dock one above the other.
    assert view.side_by_side
    gradient, hessian = view.gradient.geometry(), view.hessian.geometry()
    assert hessian.left() >= gradient.right() and hessian.top() < gradient.bottom()  # same row
    editor.resize(260, 640)
    qtbot.waitUntil(lambda: view.side_by_side is False, timeout=BUILD_TIMEOUT)
    qtbot.waitUntil(lambda: view.hessian.geometry().top() >= view.gradient.geometry().bottom(), timeout=BUILD_TIMEOUT)
    editor.resize(560, 640)
    qtbot.waitUntil(lambda: view.side_by_side, timeout=BUILD_TIMEOUT)
    # Something was drawn: the grids have a size and ink.
    for grid in (view.formula, view.gradient, view.hessian):
        assert grid.sizeHint().width() > 100 and grid.sizeHint().height() > 20
        pixels = image_array(grid.grab().toImage())
        assert (pixels[..., :3].min(axis=2) < 100).sum() > 50


def test_sliders_set_parameters_live_without_a_rebuild(qtbot, monkeypatch, editor, controller):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("a*x^2 + b*y^2")
    controller.wait_for_build()
    qtbot.waitUntil(lambda: set(editor.sliders.rows) == {"a", "b"})
    assert editor.parameters_box.isVisible()
    for _ in range(5):
        controller.step_once()
    steps_before = controller.step_index
    calls = record_calls(monkeypatch, controller, "set_parameter")
    builds = record_calls(monkeypatch, controller, "set_formula")
    row = editor.sliders.rows["a"]
    assert row.half_range == 5.0
    # Three-quarters of the way along [-5, 5] is 2.5.
    row.slider.setValue(3 * SLIDER_STEPS // 4)
    assert calls == [("a", 2.5)]
    assert controller.surface.parameter_values["a"] == 2.5
    assert row.spin.value() == 2.5
    assert builds == []
    assert controller.step_index == steps_before  # the balls were not restarted
    # The surface the simulation descends is the new one: f(1, 0) = a.
    assert controller.simulation.surface.value(np.array([[1.0, 0.0]]))[0] == pytest.approx(2.5)

    # Typing a value beyond the range widens the slider to a round range that holds it.
    row.spin.setValue(12.0)
    assert calls[-1] == ("a", 12.0)
    assert row.half_range == 20.0
    assert row.slider.value() == round((12.0 + 20.0) / 40.0 * SLIDER_STEPS)


def test_nice_half_range():
    assert nice_half_range(0.3) == 5.0
    assert nice_half_range(3.0) == 5.0
    assert nice_half_range(-5.0) == 10.0  # room on both sides: the value is not at the end
    assert nice_half_range(7.0) == 20.0
    assert nice_half_range(12.0) == 20.0
    assert nice_half_range(-400.0) == 1000.0


def test_recent_formulas_persist(qtbot, tmp_path, controller):
    path = str(tmp_path / "recent.ini")
    first = FormulaEditor(controller, settings=QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(first)
    for formula in ("x^2 + y^2", "x^2 - y^2"):
        with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
            type_formula(qtbot, first, formula)
            qtbot.keyClick(first.field, Qt.Key.Key_Return)
    assert first.recent.items[:2] == ("x^2 - y^2", "x^2 + y^2")
    first.typeset_view.wait()

    # A new editor (a new session) reads them back from the settings file.
    second = FormulaEditor(controller, settings=QSettings(path, QSettings.Format.IniFormat))
    qtbot.addWidget(second)
    assert second.recent.items[:2] == ("x^2 - y^2", "x^2 + y^2")
    second._fill_recent_menu()
    texts = [action.text() for action in second._recent_menu.actions()]
    assert "x^2 - y^2" in texts and "x^2 + y^2" in texts
    assert second.field.completer().model().stringList()[:2] == ["x^2 - y^2", "x^2 + y^2"]
    second.typeset_view.wait()


def test_recent_list_is_bounded_and_deduplicated(tmp_path):
    settings = QSettings(str(tmp_path / "r.ini"), QSettings.Format.IniFormat)
    recent = RecentFormulas(settings, limit=15)
    for index in range(20):
        recent.add(f"x^2 + {index}*y^2")
    recent.add("x^2 + 3*y^2")  # again: moves to the front, not duplicated
    assert len(recent.items) == 15
    assert recent.items[0] == "x^2 + 3*y^2"
    assert recent.items.count("x^2 + 3*y^2") == 1
    settings.sync()
    assert RecentFormulas(QSettings(str(tmp_path / "r.ini"), QSettings.Format.IniFormat)).items == recent.items
    # A single stored string (how INI files hold a one-item list) reads back as one item.
    settings.setValue(SETTINGS_KEY, "x*y")
    assert RecentFormulas(settings).items == ("x*y",)


def test_choosing_a_recent_formula_loads_it(qtbot, editor, controller, settings):
    editor.recent.add("x^2 + 2*y^2")
    editor._fill_recent_menu()
    action = next(a for a in editor._recent_menu.actions() if a.text() == "x^2 + 2*y^2")
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        action.trigger()
    assert controller.surface.text == "x^2 + 2*y^2"
    assert editor.field.text() == "x^2 + 2*y^2"


def test_preset_menu_loads_a_preset(qtbot, editor, controller):
    menu = editor.presets_button.menu()
    action = next(a for a in menu.actions() if a.data() == "himmelblau")
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        action.trigger()
    assert controller.surface.name == "himmelblau"
    assert editor.field.text().strip() in ("himmelblau", controller.surface.text)


def test_scene_load_shows_its_formula(qtbot, editor, controller):
    from physics.preset_scenes import PRESET_SCENES

    scene = PRESET_SCENES["ravine-momentum"]
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.load_scene(scene)
    assert editor.field.text() == controller.surface.text


def test_folding_the_derivatives_shrinks_the_editor_and_says_so(qtbot, editor, controller):
    qtbot.waitUntil(lambda: not editor.typeset_view.busy and editor.typeset_view.formula.label is not None,
                    timeout=BUILD_TIMEOUT)
    unfolded = editor.sizeHint().height()
    assert unfolded > editor.typeset_view.heightForWidth(editor.typeset_scroll.viewport().width())
    with qtbot.waitSignal(editor.contentHeightChanged):
        editor.typeset_button.click()
    assert not editor.typeset_shown and not editor.typeset_scroll.isVisible()
    assert editor.sizeHint().height() < unfolded - 100
    with qtbot.waitSignal(editor.contentHeightChanged):
        editor.typeset_button.click()
    assert editor.typeset_shown and editor.typeset_scroll.isVisible()
    assert editor.sizeHint().height() == unfolded
