"""Opening another scene over unsaved changes asks Save / Discard / Cancel, on every path that
replaces the whole scene: File > Open, Recent files, the Scenes menu and the Presets tab's scenes.

Each test edits a scene saved as ``lesson.json`` (a new formula, a ball dropped on the map), opens
another scene by that path, clicks a button of the real question, and checks the live scene and
``lesson.json`` on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings, Qt
from PyQt6.QtWidgets import QFileDialog, QMessageBox

from gui.editors.presets_gallery import NAME_ROLE
from gui.main_window import MainWindow
from gui.persistence import AppSettings
from physics.preset_scenes import PRESET_SCENES
from physics.scene_files import load_scene, save_scene

BUILD_TIMEOUT = 20_000
EDITED_FORMULA = "x^2 - y^2 + 0.5*x"
#: The scene each path opens (as a preset, or saved to other.json for the file paths).
OTHER = "saddle-noise"
Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot, controller, tmp_path) -> Iterator[MainWindow]:
    """The window, asking on unsaved changes as in the app (off again at teardown, so that the
    fixture's close asks nothing), with the plateau scene saved as lesson.json and then edited."""
    window = MainWindow(controller, AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    # Not qtbot.addWidget: its close comes before ask_to_save is off again (conftest closes the window).
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()  # window shortcuts (Ctrl+O) need the active window; Xvfb has no window manager
    qtbot.waitUntil(window.isActiveWindow, timeout=BUILD_TIMEOUT)
    assert window.save_scene_file(tmp_path / "lesson.json")
    window.ask_to_save = True
    try:
        yield window
    finally:
        window.ask_to_save = False
        window.close()


def edit_scene(qtbot, window: MainWindow) -> None:
    """A new formula typed (Enter) and a ball dropped on the map: changes worth saving."""
    field = window.formula_editor.field
    with qtbot.waitSignal(window.controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
        field.selectAll()
        qtbot.keyClicks(field, EDITED_FORMULA)
        qtbot.keyClick(field, Qt.Key.Key_Return)
    # The builder is idle once its worker's later "finished" signal arrives, not with the surface.
    qtbot.waitUntil(lambda: not window.controller.building, timeout=BUILD_TIMEOUT)
    viewport = window.map_view.plot_widget.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     window.map_view.data_to_widget(0.4, 0.3))
    assert window.has_unsaved_changes() and window.windowTitle().endswith("(modified)")


# -- the paths that replace the whole scene: each opens OTHER ------------------------------------------
def other_file(tmp_path: Path) -> Path:
    path = tmp_path / "other.json"
    if not path.exists():
        save_scene(PRESET_SCENES[OTHER], path)
    return path


def open_with_the_file_dialog(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    """File > Open scene (Ctrl+O on the map), the file dialog answering other.json."""
    chosen = str(other_file(tmp_path))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *_args, **_kw: (chosen, "")))
    qtbot.keyClick(window.map_view.plot_widget, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)


def open_a_recent_file(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    """File > Recent files > other.json."""
    path = str(other_file(tmp_path).resolve())
    window.settings.add_recent_file(path)
    window.recent_files_menu.aboutToShow.emit()  # the menu fills itself as it opens
    action = next(a for a in window.recent_files_menu.actions() if a.statusTip() == path)
    action.trigger()


def open_from_the_scenes_menu(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    """File > Scenes gallery > the OTHER scene."""
    title = PRESET_SCENES[OTHER].title
    action = next(a for a in window.scenes_menu.actions() if a.text() == title)
    action.trigger()


def open_from_the_presets_tab(qtbot, window: MainWindow, tmp_path: Path, monkeypatch) -> None:
    """Presets dock, Scenes tab: click the OTHER scene, then Load."""
    gallery = window.presets_gallery
    window.presets_dock.show()
    window.presets_dock.raise_()
    gallery.tabs.setCurrentWidget(gallery.scenes)
    item = next(gallery.scenes.item(row) for row in range(gallery.scenes.count())
                if gallery.scenes.item(row).data(NAME_ROLE) == OTHER)
    gallery.scenes.scrollToItem(item)
    qtbot.mouseClick(gallery.scenes.viewport(), Qt.MouseButton.LeftButton,
                     pos=gallery.scenes.visualItemRect(item).center())
    assert gallery.scenes.currentItem() is item
    qtbot.mouseClick(gallery.load_button, Qt.MouseButton.LeftButton)


OpenPath = Callable[..., None]
PATHS = [
    pytest.param(open_with_the_file_dialog, id="file-open"),
    pytest.param(open_a_recent_file, id="recent-files"),
    pytest.param(open_from_the_scenes_menu, id="scenes-menu"),
    pytest.param(open_from_the_presets_tab, id="presets-tab"),
]


def other_is_open(window: MainWindow) -> bool:
    other = PRESET_SCENES[OTHER]
    return window.controller.surface.name == other.formula and len(window.controller.balls) == len(other.balls)


# -- the tests -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("open_other", PATHS)
def test_cancel_leaves_the_scene_and_its_file_as_they_were(qtbot, answer_save_question,
                                                           window, tmp_path, monkeypatch, open_other):
    lesson = tmp_path / "lesson.json"
    on_disk = lesson.read_bytes()
    edit_scene(qtbot, window)
    balls = window.controller.balls
    seen = answer_save_question(Button.Cancel)
    open_other(qtbot, window, tmp_path, monkeypatch)
    assert seen and "lesson.json" in seen[0] and "opening another scene" in seen[0]
    # Nothing was even asked of the controller: no scene is being read or built.
    assert not window.controller.building
    assert window.controller.surface.text == EDITED_FORMULA and window.controller.balls == balls
    assert window.has_unsaved_changes() and window.scene_path == lesson.resolve()
    assert lesson.read_bytes() == on_disk


@pytest.mark.parametrize("open_other", PATHS)
def test_discard_opens_the_other_scene_and_leaves_the_file_alone(qtbot, answer_save_question,
                                                                 window, tmp_path, monkeypatch, open_other):
    lesson = tmp_path / "lesson.json"
    on_disk = lesson.read_bytes()
    edit_scene(qtbot, window)
    seen = answer_save_question(Button.Discard)
    with qtbot.waitSignal(window.controller.sceneChanged, timeout=BUILD_TIMEOUT):
        open_other(qtbot, window, tmp_path, monkeypatch)
    assert seen
    qtbot.waitUntil(lambda: other_is_open(window), timeout=BUILD_TIMEOUT)
    assert not window.has_unsaved_changes()
    assert lesson.read_bytes() == on_disk  # the edit was let go, as the teacher chose


@pytest.mark.parametrize("open_other", PATHS)
def test_save_writes_the_changes_then_opens_the_other_scene(qtbot, answer_save_question,
                                                            window, tmp_path, monkeypatch, open_other):
    lesson = tmp_path / "lesson.json"
    edit_scene(qtbot, window)
    balls = window.controller.balls
    seen = answer_save_question(Button.Save)
    with qtbot.waitSignal(window.controller.sceneChanged, timeout=BUILD_TIMEOUT):
        open_other(qtbot, window, tmp_path, monkeypatch)
    assert seen
    saved = load_scene(lesson)
    assert saved.formula == EDITED_FORMULA and saved.balls == balls
    qtbot.waitUntil(lambda: other_is_open(window), timeout=BUILD_TIMEOUT)
    assert not window.has_unsaved_changes()


def test_save_that_does_not_happen_opens_nothing(qtbot, answer_save_question, controller, tmp_path, monkeypatch):
    """An untitled scene: Save asks where; cancelling that dialog keeps the scene (nothing saved, nothing opened)."""
    window = MainWindow(controller, AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)),
                        ask_to_save=True)
    window.show()
    qtbot.waitExposed(window)
    try:
        edit_scene(qtbot, window)
        balls = window.controller.balls
        asked_where: list[str] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            staticmethod(lambda *args, **_kw: (asked_where.append(args[1]), ("", ""))[1]))
        seen = answer_save_question(Button.Save)
        open_from_the_scenes_menu(qtbot, window, tmp_path, monkeypatch)
        assert seen and asked_where == ["Save the scene"]
        assert not window.controller.building
        assert window.controller.surface.text == EDITED_FORMULA and window.controller.balls == balls
        assert window.has_unsaved_changes() and list(tmp_path.glob("*.json")) == []
    finally:
        window.ask_to_save = False


@pytest.mark.parametrize("open_other", PATHS)
def test_nothing_is_asked_without_unsaved_changes(qtbot, window, tmp_path, monkeypatch, open_other):
    asked: list[str] = []
    monkeypatch.setattr(window, "_ask_to_save", lambda before: asked.append(before) or Button.Cancel)
    with qtbot.waitSignal(window.controller.sceneChanged, timeout=BUILD_TIMEOUT):
        open_other(qtbot, window, tmp_path, monkeypatch)
    qtbot.waitUntil(lambda: other_is_open(window), timeout=BUILD_TIMEOUT)
    assert asked == []
