"""The Help menu's dialogs: the keys and gestures (gui.transport.SHORTCUTS, then gui.present.keys), and About."""

from __future__ import annotations

from PyQt6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QTableWidget, QTableWidgetItem, QVBoxLayout

from gui.present.keys import help_rows
from gui.transport import SHORTCUTS


class HelpDialogs:
    """Help > Keyboard and mouse, Help > About, mixed into the QMainWindow (their parent)."""

    def show_shortcuts(self) -> None:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard and mouse")
        rows = (*SHORTCUTS, *help_rows())  # then presentation mode's keys (gui.present.keys)
        table = QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["Key or gesture", "What it does"])
        table.verticalHeader().hide()
        for row, (key, meaning) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(key))
            table.setItem(row, 1, QTableWidgetItem(meaning))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel("The keys work anywhere in the window except while you type in a text field."))
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(620, 420)
        dialog.exec()  # safe: QDialog.exec runs the dialog's event loop; no text is evaluated

    def show_about(self) -> None:
        QMessageBox.about(
            self, "About Downhill",
            "<h3>Downhill</h3><p>A ball rolling down a loss landscape.</p>"
            "<p>Type a surface f(x, y); SymPy differentiates it exactly, and balls descend it under "
            "gradient descent, its noisy and accelerated variants, adaptive and second-order methods. "
            "The panels show what the textbooks only say: a zero gradient is often a saddle, noise "
            "knocks a ball off it, the plateau is the real trap, and a learning rate above "
            "2/λ<sub>max</sub> oscillates.</p>")
