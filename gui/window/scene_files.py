"""Scene files in the window: open, save, save as, the presets, and the unsaved-changes question.

Whether the live scene has unsaved changes is decided on its content (gui.persistence.unsaved_content:
the scene turned to JSON without the camera), compared with the scene as last opened or saved.
Every path that replaces the whole scene asks :meth:`SceneFiles.may_replace_scene` first.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtWidgets import QFileDialog, QMessageBox

from gui.persistence import unsaved_content
from gui.screen_text import on_screen
from surfaces.errors import DownhillError

SCENE_FILTER = "Downhill scenes (*.json);;All files (*)"


class SceneFiles:
    """Scene files, mixed into the QMainWindow. Keeps ``scene_path`` (the file Save writes, or
    None), ``_saved_json`` (the scene as last opened or saved; None: it exists nowhere else) and
    ``_discarded``. Reads ``controller``, ``settings``, ``ask_to_save`` and the recovery state
    (``_recovering``, ``_recovery_offered``, gui.window.recovery) from the window."""

    # -- unsaved changes -----------------------------------------------------------------------
    def has_unsaved_changes(self) -> bool:
        """Whether the live scene differs from the one last opened or saved (turning the camera
        aside), or exists nowhere else (a restored autosave)."""
        return self._saved_json is None or unsaved_content(self.controller.current_scene()) != self._saved_json

    def _mark_saved(self) -> None:
        """The live scene is the one to compare with from now on (opened, loaded or saved)."""
        self._saved_json = unsaved_content(self.controller.current_scene())
        self._discarded = False

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

    # -- opening -------------------------------------------------------------------------------
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
            self._recovered()
        else:
            self.adopt_scene_file(Path(path))
            self.show_message(f"Opened {self.scene_path}")
        # The editor that had the keyboard before File > Open would keep Space and Right for itself.
        self.focus_views()

    def adopt_scene_file(self, path: Path) -> None:
        """The live scene came from ``path`` (e.g. ``--scene FILE``): Save writes there; it is a recent file."""
        self.scene_path = Path(path).resolve()
        self._mark_saved()
        self.settings.add_recent_file(self.scene_path)
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

    # -- saving --------------------------------------------------------------------------------
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
        self.settings.add_recent_file(self.scene_path)
        self._update_title()
        self.show_message(f"Saved {self.scene_path}")
        return True


def _file_stem(title: str) -> str:
    """A file name stem from a scene's title: letters, digits, - and _ ("scene" if none is left)."""
    stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in title.strip().lower()).strip("-")
    return "-".join(part for part in stem.split("-") if part) or "scene"
