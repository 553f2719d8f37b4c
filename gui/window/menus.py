"""The window's menu bar: File, Surface, Simulation, View, Help.

The View menu's overlay entries come from physics.overlays.OVERLAYS and its panel entries from
gui.window.docks.PANELS (through the window's docks): neither list is written out here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtGui import QAction, QKeySequence
from PyQt6.QtWidgets import QMenu

from gui.export.menu_entries import copy_views, export_clip, export_figure
from gui.race.dialog import open_race_dialog
from gui.screen_text import on_screen
from physics.overlays import OVERLAYS


class WindowMenus:
    """The menu bar, mixed into the QMainWindow: sets ``scenes_menu``, ``recent_files_menu``,
    ``recent_formulas_menu``, ``overlay_actions`` (by overlay name), ``show_3d_action``,
    ``show_map_action`` and ``reset_camera_action``. Its entries call the window's commands."""

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        self._add(file_menu, "&Open scene…", self.open_scene_dialog, QKeySequence.StandardKey.Open)
        self._add(file_menu, "&Save scene", self.save_scene, QKeySequence.StandardKey.Save)
        self._add(file_menu, "Save scene &as…", self.save_scene_as_dialog, QKeySequence.StandardKey.SaveAs)
        self._add(file_menu, "Open &lesson…", self.lessons.open_dialog)
        self._add(file_menu, "Sa&ve lesson as…", self.lessons.save_dialog)
        self.scenes_menu = file_menu.addMenu("Scenes &gallery")
        self._fill_scenes_menu()
        self.recent_files_menu = file_menu.addMenu("&Recent files")
        self.recent_files_menu.aboutToShow.connect(self._fill_recent_files_menu)
        self._fill_recent_files_menu()
        file_menu.addSeparator()
        self._add(file_menu, "Screens&hot…", self.screenshot_dialog, "Ctrl+Shift+P")
        self._add(file_menu, "Export &clip…", lambda: export_clip(self), "Ctrl+E")
        self._add(file_menu, "Export &figure…", lambda: export_figure(self), "Ctrl+Shift+E")
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
        self._add(simulation_menu, "&Race…", lambda: open_race_dialog(self))
        simulation_menu.addAction(self.transport.seed)

        view_menu = menus.addMenu("&View")
        overlays = view_menu.addMenu("&Map overlays")
        self.overlay_actions: dict[str, QAction] = {}
        view = self.controller.view
        for overlay in OVERLAYS:
            action = overlays.addAction(overlay.label)
            action.setCheckable(True)
            action.setChecked(view.overlay(overlay.name))
            self.map_view.set_overlay(overlay.name, view.overlay(overlay.name))
            action.toggled.connect(lambda shown, n=overlay.name: self.set_overlay(n, shown))
            self.overlay_actions[overlay.name] = action
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
        self._add(view_menu, "Cop&y image", lambda: copy_views(self), "Ctrl+Shift+C")
        self.reset_camera_action = self._add(view_menu, "Reset the 3D &camera", self.reset_camera, "Ctrl+0")
        self.reset_camera_action.setEnabled(self.view3d is not None)
        self._add(view_menu, "Reset the &layout", self.reset_layout)
        view_menu.addSeparator()
        self._add(view_menu, "&Present (Esc leaves)", self.toggle_presentation, "F5")

        self.lessons_menu = menus.addMenu("&Lessons")
        self.lessons.fill_menu(self.lessons_menu)

        help_menu = menus.addMenu("&Help")
        self._add(help_menu, "&Keyboard and mouse", self.show_shortcuts, QKeySequence.StandardKey.HelpContents)
        self._add(help_menu, "&About Downhill", self.show_about)

    def toggle_presentation(self) -> None:
        """Enter presentation mode, or leave it (gui.present; imported on first use: not at start-up)."""
        from gui.present.window import toggle_presentation

        toggle_presentation(self)

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
