"""The window built from tables (issue 13, item 5): the docks, their menu entries and default sizes
from gui.window.docks.PANELS; the overlay menu, the map and the scene keys from physics.overlays."""

from __future__ import annotations

from pathlib import Path

import pytest
from PyQt6.QtCore import QSettings
from PyQt6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.main_window import MainWindow
from gui.persistence import AppSettings
from gui.window import docks
from gui.window.docks import BOTTOM, PANELS, Panel, object_name
from physics.overlays import OVERLAY_NAMES, OVERLAYS
from physics.scene_files import load_scene


def open_window(qtbot, controller, tmp_path: Path) -> MainWindow:
    window = MainWindow(controller, AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def menu(window: MainWindow, *titles: str):
    """The submenu reached through ``titles`` (access-key ampersands ignored)."""
    actions = window.menuBar().actions()
    for title in titles:
        action = next(action for action in actions if action.text().replace("&", "") == title)
        actions = action.menu().actions()
    return actions


@pytest.fixture
def window(qtbot, controller, tmp_path):
    window = open_window(qtbot, controller, tmp_path)
    yield window
    controller.pause()
    window.close()


def test_every_overlay_of_the_table_has_its_menu_entry_in_order(window):
    entries = [action.text() for action in menu(window, "View", "Map overlays")]
    assert entries == [overlay.label for overlay in OVERLAYS]
    assert list(window.overlay_actions) == list(OVERLAY_NAMES)
    assert [name for name, _ in window.controller.current_scene().view.overlays] == list(OVERLAY_NAMES)


def test_the_contours_entry_switches_the_lines_and_is_saved_and_reopened(qtbot, window, controller, tmp_path):
    lines = (window.map_view.major_contours, window.map_view.minor_contours)
    assert all(item.isVisible() for item in lines)
    window.overlay_actions["contours"].trigger()
    assert not window.map_view.overlay("contours") and not any(item.isVisible() for item in lines)
    path = tmp_path / "no-contours.json"
    assert window.save_scene_file(path)
    assert load_scene(path).view.overlay("contours") is False

    other_controller = type(controller)()
    other = open_window(qtbot, other_controller, tmp_path / "other")
    try:
        with qtbot.waitSignal(other_controller.sceneFileOpened, timeout=20_000):
            other.open_scene_file(path)
        qtbot.waitUntil(lambda: not other.overlay_actions["contours"].isChecked(), timeout=20_000)
        assert not other.map_view.major_contours.isVisible()
    finally:
        other_controller.pause()
        other.close()
        other_controller.shutdown()


def test_every_panel_of_the_table_has_its_dock_and_menu_entry(window):
    assert [dock.objectName() for dock in window.docks] == [object_name(panel) for panel in PANELS]
    assert [action.text() for action in menu(window, "View", "Panels and editors")] == [p.title for p in PANELS]
    for panel, dock in zip(PANELS, window.docks, strict=True):
        assert dock.widget() is getattr(window, panel.attribute)
        assert isinstance(dock.widget(), panel.widget)
        assert window.dockWidgetArea(dock) == panel.area
    # The saved layouts of earlier versions name the docks so (new docks come after them).
    assert [object_name(panel) for panel in PANELS][:8] == [
        "formulaDock", "ballsDock", "presetsDock", "eigenvalueDock", "stepSizeDock", "lossDock",
        "gradientNormDock", "readoutDock"]


class NotesPanel(QWidget):
    """A panel of the kind a teacher might add: it only needs the controller."""

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        QVBoxLayout(self).addWidget(QLabel("Notes"))


def test_adding_a_panel_is_one_row_of_the_table(qtbot, controller, tmp_path, monkeypatch):
    row = Panel("notes", "notes_panel", "Notes", NotesPanel, BOTTOM)
    readout = [panel.name for panel in PANELS].index("readout")  # (docks tabbed behind it may follow it)
    monkeypatch.setattr(docks, "PANELS", (*PANELS[:readout], row, *PANELS[readout:]))
    window = open_window(qtbot, controller, tmp_path)
    try:
        assert isinstance(window.notes_panel, NotesPanel) and window.notes_panel.controller is controller
        assert window.notes_dock.objectName() == "notesDock" and window.notes_dock in window.docks
        assert "Notes" in [action.text() for action in menu(window, "View", "Panels and editors")]
        assert window.dockWidgetArea(window.notes_dock) == BOTTOM
        # Side by side with the plots in the bottom row, sharing its width.
        row_docks = [window.loss_dock, window.notes_dock, window.readout_dock]
        assert len({dock.y() for dock in row_docks}) == 1
        assert window.loss_dock.x() < window.notes_dock.x() < window.readout_dock.x()
        window.notes_dock.toggleViewAction().trigger()
        assert not window.notes_dock.isVisible()
        window.reset_layout()
        assert window.notes_dock.isVisible()
    finally:
        controller.pause()
        window.close()
