"""Crash recovery in the window: the autosave offered back, and closing without losing work.

The app (gui.app) finds the autosave the last session left and asks :meth:`CrashRecovery.offer_recovery`;
nothing is written over it until the teacher answers. Restore opens it like a scene file (it then
counts as unsaved: it exists nowhere else); Discard deletes it. Closing keeps unsaved work: the
teacher saves or discards it, or (a signal, a script) it stays in the autosave for the next start.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QDialog, QMessageBox

from gui.persistence import Autosaver


class CrashRecovery:
    """The autosave and closing, mixed into the QMainWindow. Keeps ``_autosaver``,
    ``_recovery_offered`` (an autosave offered back, not yet answered), ``_recovering`` (an
    accepted autosave being opened), ``_close_accepted`` and ``_closing_on_signal``. Reads the
    scene-file state and commands of gui.window.scene_files from the window."""

    def set_autosaver(self, autosaver: Autosaver) -> None:
        self._autosaver = autosaver
        autosaver.prepare = self.sync_view
        autosaver.failed.connect(lambda message: self.show_message(message, error=True, timeout=30_000))

    def offer_recovery(self, path: Path, ask: Callable[[str], bool] | None = None) -> bool | None:
        """Offer back the autosave the last session left; nothing is written over it meanwhile.

        The question does not block: the answer comes later, when the teacher clicks (the window
        may close first, and then the autosave stays for the next start). With ``ask`` (scripts,
        tests) the answer is ``ask(question)`` at once, and the return value says whether it was
        accepted; otherwise None. Restore opens the autosave (a failure sets it aside and says
        where it is); Discard deletes it.
        """
        crashed = self._autosaver is not None and self._autosaver.guard.crashed
        question = ("Downhill did not close properly last time.\n\n" if crashed else
                    "Downhill was closed with unsaved changes last time.\n\n")
        question += "Restore the scene it was showing (saved automatically)?"
        self._recovery_offered = Path(path).resolve()
        if self._autosaver is not None:
            self._autosaver.hold()
        if ask is not None:
            return self._answer_recovery(ask(question))
        box = QMessageBox(QMessageBox.Icon.Question, "Restore the last scene?", question,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.setObjectName("recoveryQuestion")
        box.button(QMessageBox.StandardButton.Yes).setText("Restore")
        box.button(QMessageBox.StandardButton.No).setText("Discard")
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(
            lambda button: self._answer_recovery(box.standardButton(button) == QMessageBox.StandardButton.Yes))
        box.open()
        return None

    def _answer_recovery(self, accepted: bool) -> bool:
        path = self._recovery_offered
        if path is None or self._close_accepted:
            return False  # closed before the answer: the autosave stays for the next start
        self._recovery_offered = None
        if not accepted:
            if self._autosaver is not None:
                self._autosaver.guard.discard_autosave()
                self._autosaver.release()
            return False
        self._recovering = path
        self.controller.open_file(path)
        return True

    def _recovered(self) -> None:
        """The accepted autosave is open: it is unsaved (it exists nowhere else) and is this
        session's autosave from now on."""
        self._recovering = None
        self.scene_path = None
        self._saved_json = None  # it exists only in the autosave: unsaved until Save
        self._update_title()
        if self._autosaver is not None:
            self._autosaver.release()
            self._autosaver.save_now()  # the restored scene is the session's autosave from now on
        self.show_message("Restored the autosaved scene")

    def _recovery_failed(self, reason: str) -> None:
        """The accepted autosave could not be opened: keep it aside, say where, autosave afresh."""
        path, self._recovering = self._recovering, None
        aside = self._autosaver.guard.set_aside() if self._autosaver is not None else None
        if aside is not None:
            self._autosaver.release()
            where = f"it is kept as {aside}"
        else:
            # Not moved: autosave stays off rather than write over it.
            where = f"it is kept at {path}; autosave is off for this session"
        self.show_message(f"The autosaved scene could not be restored ({reason}); {where}", error=True,
                          timeout=0)

    def _on_build_finished(self) -> None:
        if self._recovering is not None:
            # The autosave's build ended without opening it (a newer request replaced it, or an
            # error the file reader did not catch): it was not restored.
            self._recovery_failed("it did not build")

    def autosave_needed(self) -> bool:
        """Whether the autosave holds work found nowhere else (the app then keeps it at exit)."""
        if self._recovery_offered is not None or self._recovering is not None:
            return True  # the last session's work, not restored yet
        return not self._discarded and self.has_unsaved_changes()

    def close_without_asking(self) -> None:
        """Close at once without a question (SIGTERM, Ctrl+C in the terminal): nobody may be there
        to answer it. Unsaved work stays in the autosave for the next start."""
        self._closing_on_signal = True
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog) and dialog is not self:
            dialog.reject()  # a question being asked returns, and its caller sees the flag
        self.close()

    def _may_close(self) -> bool:
        """Whether the window may close now: unsaved changes are saved, discarded or autosaved."""
        if (not self.has_unsaved_changes() or self._recovery_offered is not None
                or self._recovering is not None):
            return True
        if self._closing_on_signal or not self.ask_to_save:
            self._flush_autosave()
            return True
        answer = self._ask_to_save("closing")
        if answer == QMessageBox.StandardButton.Save and self.save_scene():
            return True
        if answer == QMessageBox.StandardButton.Discard:
            self._discarded = True
            return True
        if self._closing_on_signal:  # a signal came while the question was open
            self._flush_autosave()
            return True
        return False

    def _flush_autosave(self) -> None:
        if self._autosaver is not None:
            self._autosaver.save_now()
