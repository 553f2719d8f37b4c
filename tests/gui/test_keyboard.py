"""No keyboard traps: after Enter in any editor, or after opening a scene, Space, Right and R drive the run.

The transport's keys are window shortcuts, but a focused text field or spin box claims Space,
R and the arrows for itself (Qt's ShortcutOverride). So whatever the user last typed into, Enter
must hand the keyboard back to the views, as the formula field does, and so must opening a scene
and starting the app. These tests press the real keys (pytest-qt) and look at the simulation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QAbstractSpinBox, QApplication, QWidget

from gui.main_window import MainWindow
from physics.preset_scenes import PRESET_SCENES
from physics.scene_files import save_scene

BUILD_TIMEOUT = 20_000
#: A scene whose formula has a parameter, so the formula editor shows a slider and its spin box.
CONTROLLER_SCENE = "plateau-trap"


@pytest.fixture
def window(active_window):
    return active_window


def views_have_the_keyboard(window: MainWindow) -> bool:
    focus = QApplication.focusWidget()
    views = [window.map_view] + ([window.view3d] if window.view3d is not None else [])
    return focus is not None and any(view is focus or view.isAncestorOf(focus) for view in views)


def press_enter_in(qtbot, editor: QWidget, text: str | None = None) -> None:
    """Click into ``editor``, optionally replace its text, and press Enter, as a user does."""
    qtbot.mouseClick(editor, Qt.MouseButton.LeftButton)
    editor.setFocus(Qt.FocusReason.MouseFocusReason)
    assert editor.hasFocus()
    if text is not None:
        editor.selectAll()
        qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QApplication.processEvents()


def assert_the_keys_drive_the_run(qtbot, window: MainWindow, controller) -> None:
    steps = controller.step_index
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Right)
    assert controller.step_index == steps + 1
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Space)
    assert controller.playing
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Space)
    assert not controller.playing
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_R)
    assert controller.step_index == 0


def test_at_start_the_views_have_the_keyboard(qtbot, window, controller):
    assert views_have_the_keyboard(window)
    assert_the_keys_drive_the_run(qtbot, window, controller)


def test_enter_in_a_ball_editor_number_field_hands_the_keyboard_back(qtbot, window, controller):
    box = window.ball_list.form.hyperparameters.editors["lr"].box
    press_enter_in(qtbot, box, "0.2")
    assert dict(controller.balls[0].hyperparameters)["lr"] == pytest.approx(0.2)
    assert views_have_the_keyboard(window)
    assert_the_keys_drive_the_run(qtbot, window, controller)


def test_enter_in_the_start_field_hands_the_keyboard_back(qtbot, window, controller):
    box = window.ball_list.form.start_x
    press_enter_in(qtbot, box, "-1.5")
    assert controller.balls[0].start[0] == pytest.approx(-1.5)
    assert views_have_the_keyboard(window)
    assert_the_keys_drive_the_run(qtbot, window, controller)


def test_enter_in_a_formula_parameter_hands_the_keyboard_back(qtbot, window, controller):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        window.use_formula("a*x^2 + y^2")
    row = window.formula_editor.sliders.rows["a"]
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        press_enter_in(qtbot, row.spin, "2")
    assert views_have_the_keyboard(window)
    press_enter_in(qtbot, row.slider)
    assert views_have_the_keyboard(window)
    assert_the_keys_drive_the_run(qtbot, window, controller)


def test_every_number_field_of_the_window_gives_the_keyboard_back(qtbot, window, controller):
    boxes = [box for box in window.findChildren(QAbstractSpinBox) if box.isVisible() and box.isEnabled()]
    assert len(boxes) >= 3
    for box in boxes:
        press_enter_in(qtbot, box)
        assert views_have_the_keyboard(window), box.accessibleName() or box.objectName() or type(box).__name__


def test_after_opening_a_scene_file_the_keys_drive_the_run(qtbot, window, controller, tmp_path: Path):
    path = tmp_path / "ravine.json"
    save_scene(PRESET_SCENES["ravine-momentum"], path)
    # The user was last typing in a number field, then chose File > Open.
    press_enter_in(qtbot, window.ball_list.form.start_x)
    window.ball_list.form.start_x.setFocus()
    with qtbot.waitSignal(controller.sceneFileOpened, timeout=BUILD_TIMEOUT):
        window.open_scene_file(path)
    qtbot.waitUntil(lambda: controller.surface is not None and not controller.building, timeout=BUILD_TIMEOUT)
    assert len(controller.balls) == 3
    assert views_have_the_keyboard(window)
    assert_the_keys_drive_the_run(qtbot, window, controller)
