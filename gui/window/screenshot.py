"""Screenshots of the window (File > Screenshot…, and what ``--screenshot`` saves)."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QPoint
from PyQt6.QtGui import QImage, QPainter
from PyQt6.QtWidgets import QFileDialog, QMessageBox


class Screenshots:
    """The window as an image, mixed into the QMainWindow. Reads ``view3d`` and ``show_message``."""

    def screenshot_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save a screenshot", str(Path.home() / "downhill.png"),
                                              "PNG images (*.png)")
        if not path:
            return
        if not Path(path).suffix:
            path += ".png"
        if self.grab_window_image().save(path):
            self.show_message(f"Screenshot saved to {path}")
        else:
            QMessageBox.warning(self, "Cannot save the screenshot", f"Could not write {path}")

    def grab_window_image(self) -> QImage:
        """The whole window as an image, the OpenGL view's pixels included.

        ``QWidget.grab`` renders widgets through Qt's painter, which may leave an OpenGL
        surface blank; the 3D view's own framebuffer is painted over its place to be sure.
        """
        image = self.grab().toImage()
        view = self.view3d
        if view is not None and view.isVisible():
            frame = view.render_image()
            if not frame.isNull():
                painter = QPainter(image)
                target = view.gl_widget.mapTo(self, QPoint(0, 0))
                ratio = image.devicePixelRatio() or 1.0
                size = view.gl_widget.size() * ratio
                painter.drawImage(target, frame if frame.size() == size else frame.scaled(size))
                painter.end()
        return image
