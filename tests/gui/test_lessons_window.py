"""Lessons in the window: Page Down / Page Up, the caption band, the Lesson dock, opening and saving."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QFileDialog, QMessageBox

from gui.window.docks import PANELS
from physics.lessons import PANEL_NAMES, Lesson, LessonScene, builtin_lesson_titles, load_lesson
from physics.preset_scenes import PRESET_SCENES

CONTROLLER_SCENE = "ravine-momentum"


def _lesson() -> Lesson:
    def stop(name: str, speed: int, number: int) -> LessonScene:
        scene = replace(PRESET_SCENES[name], speed=speed)
        return LessonScene(f"Title {number}: {name}", f"Story {number} for the room.", f"Notes {number} for me.",
                           scene, source=name, panels=("loss",))

    return Lesson("Three scenes", "a test lesson", (stop("saddle-noise", 3, 1), stop("plateau-trap", 7, 2),
                                                    stop("learning-rate-edge", 2, 3)))


def _open(qtbot, window, lesson: Lesson) -> None:
    assert window.lesson_player.open(lesson)
    qtbot.waitUntil(lambda: window.controller.scene == lesson.scenes[0].scene, timeout=20_000)


def _check_scene(qtbot, window, lesson: Lesson, index: int) -> None:
    """Scene ``index`` is live: paused at step 0 at its speed, its caption and notes shown."""
    item = lesson.scenes[index]
    controller = window.controller
    qtbot.waitUntil(lambda: controller.scene == item.scene and not controller.building, timeout=20_000)
    assert window.lesson_player.index == index and window.lesson_player.current is item
    assert not controller.playing and controller.step_index == 0 and controller.speed == item.scene.speed
    speed = item.scene.speed
    assert window.transport.speed_label.text() == f"{speed} step{'s' if speed != 1 else ''}/frame"
    caption = window.lessons.caption
    assert window.lessons.caption_bar.isVisible() and caption.isVisible()
    assert caption.title.text() == item.title and caption.story.text() == item.story
    notes = window.lessons.notes
    assert window.lessons.dock.isVisible()
    assert notes.position.text() == f"Scene {index + 1} of {len(lesson.scenes)}: {item.title}"
    assert notes.notes.text() == item.notes
    following = lesson.scenes[index + 1].title if index + 1 < len(lesson.scenes) else None
    assert notes.upcoming.text() == (f"Next: {following}" if following else "Next: the end of the lesson")


def test_page_down_and_up_load_each_scene_paused_at_step_zero_with_its_speed(qtbot, active_window) -> None:
    window, lesson = active_window, _lesson()
    assert not window.lessons.caption_bar.isVisible()
    _open(qtbot, window, lesson)
    _check_scene(qtbot, window, lesson, 0)
    map_widget = window.map_view.plot_widget
    window.focus_views()
    for index in (1, 2):
        qtbot.keyClick(map_widget, Qt.Key.Key_Space)  # playing: the next scene must still open paused
        qtbot.waitUntil(lambda: window.controller.step_index > 0, timeout=10_000)
        qtbot.keyClick(map_widget, Qt.Key.Key_PageDown)
        _check_scene(qtbot, window, lesson, index)
    qtbot.keyClick(map_widget, Qt.Key.Key_PageDown)  # at the end: nothing happens
    assert window.lesson_player.index == 2
    qtbot.keyClick(map_widget, Qt.Key.Key_PageUp)
    _check_scene(qtbot, window, lesson, 1)
    window.lessons.close_action.trigger()
    assert window.lesson_player.lesson is None and window.lesson_player.current is None
    assert not window.lessons.caption_bar.isVisible() and not window.lessons.dock.isVisible()


def test_page_down_in_a_text_field_stays_the_text_fields(qtbot, active_window) -> None:
    window, lesson = active_window, _lesson()
    _open(qtbot, window, lesson)
    field = window.formula_editor.field
    window.focus_formula()
    qtbot.waitUntil(field.hasFocus, timeout=5_000)
    qtbot.keyClick(field, Qt.Key.Key_PageDown)
    assert window.lesson_player.index == 0
    window.focus_views()
    qtbot.waitUntil(window.map_view.plot_widget.hasFocus, timeout=5_000)
    qtbot.keyClick(window.map_view.plot_widget, Qt.Key.Key_PageDown)
    _check_scene(qtbot, window, lesson, 1)


def test_unsaved_changes_are_asked_about_before_the_next_scene(qtbot, active_window, answer_save_question) -> None:
    window, lesson = active_window, _lesson()
    _open(qtbot, window, lesson)
    window.ask_to_save = True
    window.controller.set_seed(12345)  # an edit of the live scene
    assert window.has_unsaved_changes()
    seen = answer_save_question(QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(window.map_view.plot_widget, Qt.Key.Key_PageDown)
    assert seen and window.lesson_player.index == 0 and window.controller.seed == 12345
    seen = answer_save_question(QMessageBox.StandardButton.Discard)
    qtbot.keyClick(window.map_view.plot_widget, Qt.Key.Key_PageDown)
    assert seen
    _check_scene(qtbot, window, lesson, 1)


def test_a_builtin_lesson_opens_from_the_lessons_menu(qtbot, active_window) -> None:
    window = active_window
    title = builtin_lesson_titles()["whole-story"][0]
    action = next(a for a in window.lessons_menu.actions() if a.text() == title)
    action.trigger()
    qtbot.waitUntil(lambda: window.lesson_player.lesson is not None, timeout=30_000)
    lesson = window.lesson_player.lesson
    assert lesson.title == title and lesson.scenes[0].source == "zero-gradient"
    _check_scene(qtbot, window, lesson, 0)


def test_a_hostile_lesson_file_is_refused_with_a_message(qtbot, active_window, tmp_path: Path,
                                                         monkeypatch) -> None:
    window = active_window
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", staticmethod(lambda _parent, _title, text: warnings.append(text)))
    path = tmp_path / "evil.json"
    path.write_text(json.dumps({"version": 1, "title": "x", "scenes": [
        {"title": "a", "scene": {"version": 1, "formula": "__import__('os').system('touch pwned')"}}]}))
    window.lessons.open_file(path)
    qtbot.waitUntil(lambda: bool(warnings), timeout=20_000)
    assert "scenes[0].scene.formula" in warnings[0] and "\n" not in warnings[0]
    assert window.lesson_player.lesson is None and not (Path.cwd() / "pwned").exists()


@pytest.mark.parametrize("answer", [QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No])
def test_save_lesson_as_offers_to_put_the_edited_scene_into_the_lesson(qtbot, active_window, tmp_path: Path,
                                                                       monkeypatch, answer) -> None:
    window, lesson = active_window, _lesson()
    _open(qtbot, window, lesson)
    window.lesson_player.next()
    _check_scene(qtbot, window, lesson, 1)
    asked: list[bool] = []
    monkeypatch.setattr(window.lessons, "ask_put_back", lambda: asked.append(True) or answer)
    target = tmp_path / "mine"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *_a, **_k: (str(target), "")))
    assert window.lessons.save_dialog() and not asked  # nothing edited: no question
    assert load_lesson(tmp_path / "mine.json") == lesson
    window.controller.set_speed(50)
    assert window.lessons.save_dialog() and asked == [True]
    saved = load_lesson(tmp_path / "mine.json")
    if answer == QMessageBox.StandardButton.Yes:
        assert saved.scenes[1].scene.speed == 50 and saved.scenes[1].source == "plateau-trap"
        assert saved.scenes[0] == lesson.scenes[0] and saved.scenes[2] == lesson.scenes[2]
        assert window.lesson_player.lesson == saved
    else:
        assert saved == lesson


def test_the_lesson_panels_are_the_windows_panels() -> None:
    assert set(PANEL_NAMES) <= {panel.name for panel in PANELS}


def test_a_scene_given_at_start_keeps_its_own_speed(qtbot, tmp_path: Path, controller) -> None:
    from PyQt6.QtCore import QSettings

    from gui.main_window import MainWindow
    from gui.persistence import AppSettings

    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    settings.set_speed(20)  # the last session's speed
    controller.session.apply_scene(PRESET_SCENES["plateau-trap"], PRESET_SCENES["plateau-trap"].surface())
    window = MainWindow(controller, settings)
    qtbot.addWidget(window)
    window.restore_layout(keep_scene_speed=True)  # what the app does for `main.py --scene NAME`
    assert controller.speed == PRESET_SCENES["plateau-trap"].speed == 3 and not window.has_unsaved_changes()
    window.restore_layout()  # no scene given: the last session's speed, as before
    assert controller.speed == 20


def test_a_restored_layout_shows_the_lesson_band_only_with_a_lesson(qtbot, active_window) -> None:
    from gui.main_window import MainWindow

    window = active_window
    _open(qtbot, window, _lesson())
    window.reset_layout()  # with a lesson open the band and the notes stay
    assert window.lessons.caption_bar.isVisible() and window.lessons.dock.isVisible()
    window.save_layout()  # saved while they show
    again = MainWindow(window.controller, window.settings)
    qtbot.addWidget(again)
    again.show()
    again.restore_layout()
    assert again.lesson_player.lesson is None
    assert not again.lessons.caption_bar.isVisible() and not again.lessons.dock.isVisible()
    again.close()


def test_a_detour_to_another_scene_hides_the_caption_until_the_lesson_resumes(qtbot, active_window) -> None:
    window, lesson = active_window, _lesson()
    _open(qtbot, window, lesson)
    other = PRESET_SCENES["swarm-saddle"]
    window.controller.load_scene(other)
    qtbot.waitUntil(lambda: window.controller.scene == other, timeout=20_000)
    assert not window.lessons.caption_bar.isVisible() and window.lessons.dock.isVisible()
    qtbot.keyClick(window.map_view.plot_widget, Qt.Key.Key_PageDown)
    _check_scene(qtbot, window, lesson, 1)
