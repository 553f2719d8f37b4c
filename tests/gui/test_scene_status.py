"""What the window says about the scene: its title after a new formula, a formula error once fixed,
the Greek λ, and the offer to restart every ball when one joins a run under way (pytest-qt)."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QFileDialog

from gui.main_window import MainWindow
from physics.preset_scenes import PRESET_SCENES

BUILD_TIMEOUT = 20_000
CONTROLLER_SCENE = "plateau-trap"


@pytest.fixture
def window(active_window):
    return active_window


def enter_formula(qtbot, window: MainWindow, text: str) -> None:
    field = window.formula_editor.field
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)


def suggested_save_name(window: MainWindow, monkeypatch) -> str:
    """The file name the Save dialog proposes (the dialog itself is answered with Cancel)."""
    asked: list[str] = []

    def answer(_parent, _caption, suggestion, _filter):
        asked.append(suggestion)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    assert not window.save_scene_as_dialog()
    return asked[0]


def test_a_new_formula_makes_an_untitled_scene(qtbot, window, controller, monkeypatch):
    old_title = PRESET_SCENES[CONTROLLER_SCENE].title
    assert old_title in window.windowTitle()
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        enter_formula(qtbot, window, "x^2 + 3*y^2")
    title = window.windowTitle()
    assert old_title not in title and "untitled scene" in title and "x^2 + 3*y^2" in title, title
    assert "plateau" not in suggested_save_name(window, monkeypatch).lower()
    assert controller.current_scene().title == "" and controller.current_scene().note == ""
    # A parameter moved on the same formula is the same scene: nothing more is dropped.
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        enter_formula(qtbot, window, "a*x^2 + 3*y^2")
    controller.set_parameter("a", 2.0)
    assert "a*x^2 + 3*y^2" in window.windowTitle()


def test_a_scene_keeps_its_title_while_its_formula_stays(qtbot, window, controller):
    title = PRESET_SCENES[CONTROLLER_SCENE].title
    controller.step_once()
    controller.reset()
    assert title in window.windowTitle() and controller.current_scene().title == title


def test_the_formula_error_leaves_the_status_bar_once_a_formula_is_accepted(qtbot, window, controller):
    with qtbot.waitSignal(controller.formulaError, timeout=BUILD_TIMEOUT):
        enter_formula(qtbot, window, "x^2 +* y")
    assert "Formula not accepted" in window.statusBar().currentMessage()
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        enter_formula(qtbot, window, "x^2 + y")
    assert "Formula not accepted" not in window.statusBar().currentMessage()
    assert "color: #b00020" not in window.statusBar().styleSheet()


def test_an_accepted_formula_leaves_other_messages_alone(qtbot, window, controller):
    window.show_message("Could not open lesson.json", error=True, timeout=0)
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        enter_formula(qtbot, window, "x^2 + y^2")
    assert window.statusBar().currentMessage() == "Could not open lesson.json"


def test_the_app_writes_lambda_as_the_greek_letter(qtbot, window, controller):
    from gui.editors.presets_gallery import NOTE_ROLE, TITLE_ROLE

    # On screen: the gallery's titles and notes, the Scenes menu, the window title, the scene's note.
    scenes = window.presets_gallery.scenes
    shown = [scenes.item(row).data(role) or "" for row in range(scenes.count()) for role in (TITLE_ROLE, NOTE_ROLE)]
    shown += [scenes.item(row).toolTip() for row in range(scenes.count())]
    shown += [action.text() for action in window.scenes_menu.actions()]
    assert not [text for text in shown if "lambda" in text]
    assert any("λ_max" in text for text in shown) and any("lr × λ_max" in text for text in shown)
    with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT):
        window.presets_gallery.load_scene("learning-rate-edge")
    assert "2 / λ_max" in window.windowTitle() and "lambda" not in window.windowTitle()
    assert window.statusBar().currentMessage().startswith("lr × λ_max = 1.99")
    # Still found by the word a keyboard types.
    window.presets_gallery.search.setText("lambda_max")
    assert not scenes.item(list(PRESET_SCENES).index("learning-rate-edge")).isHidden()


def test_the_preset_texts_stay_ascii_for_the_command_line():
    # `main.py presets` prints them, also to terminals that cannot encode λ (LC_ALL=C).
    for name, scene in PRESET_SCENES.items():
        for text in (scene.title, scene.note, scene.description):
            assert text.isascii(), (name, text)


@pytest.mark.parametrize("text, shown", [
    ("A learning rate just under and just over 2 / lambda_max", "A learning rate just under and just over 2 / λ_max"),
    ("lr x lambda_max = 1.95 converges", "lr × λ_max = 1.95 converges"),
    ("lambda_min < 0 < lambda", "λ_min < 0 < λ"),
    ("x^2 + lambdas, relax the max", "x^2 + lambdas, relax the max"),   # only whole words
    ("the x axis", "the x axis"),
])
def test_screen_text_writes_lambda_in_greek(text, shown):
    from gui.screen_text import on_screen

    assert on_screen(text) == shown


def drop_ball(qtbot, window: MainWindow, x: float, y: float) -> None:
    viewport = window.map_view.plot_widget.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     window.map_view.data_to_widget(x, y))


def test_a_ball_added_mid_run_offers_to_restart_every_ball(qtbot, window, controller):
    offer = window.restart_offer
    for _ in range(5):
        qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Right)
    assert controller.step_index == 5 and not offer.isVisible()
    count = len(controller.balls)
    drop_ball(qtbot, window, 1.0, -1.0)
    assert len(controller.balls) == count + 1
    assert offer.isVisible() and "step 5" in offer.label.text()
    qtbot.mouseClick(offer.button, Qt.MouseButton.LeftButton)
    assert controller.step_index == 0 and not offer.isVisible()
    # Every ball, the new one too, runs from its start again: a fair race.
    for index, ball in enumerate(controller.balls):
        assert tuple(controller.state(index).positions[0]) == pytest.approx(ball.start)
    assert len(controller.history(count).steps) == len(controller.history(0).steps) == 1
    # The keyboard stayed with the views: Right steps every ball again.
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Right)
    assert controller.step_index == 1


def test_no_offer_before_the_run_starts_and_r_withdraws_it(qtbot, window, controller):
    offer = window.restart_offer
    drop_ball(qtbot, window, 1.0, -1.0)
    assert not offer.isVisible()   # at step 0 every ball starts together anyway
    controller.step_once()
    drop_ball(qtbot, window, -1.0, 1.0)
    assert offer.isVisible()
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_R)
    assert controller.step_index == 0 and not offer.isVisible()
