"""The app's export commands: File > Export clip..., File > Export figure..., View > Copy image.

:class:`ExportClipDialog` sets up a clip of the live scene (format, size preset or custom, fps,
length, layout, theme, quality, overlays, annotations, title), shows its first frame as a
preview, and renders it with a progress bar and Cancel. The export works on its own copy of the
scene (``controller.current_scene()`` when the dialog opens): the live scene goes on untouched.
The window stays responsive while it runs: one frame is rendered per turn of the event loop
(:class:`ClipJob`, a zero-interval QTimer) and the encoder works on its own thread
(gui.export.encoder); the final pass (a GIF's palette, moving the MP4 index) runs on a thread
too, polled by the same timer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.export.annotations import ANNOTATIONS, THEMES
from gui.export.options import RenderSettings, default_steps_per_frame
from gui.export.render import LAYOUTS, ClipRenderer, frames_until_rest, gl_problem
from physics.overlays import OVERLAYS
from physics.scenes import Scene
from surfaces.errors import DownhillError
from surfaces.surface import Surface

#: The size presets (name, width, height); "Custom" makes the two spin boxes editable.
SIZE_PRESETS: tuple[tuple[str, int, int], ...] = (
    ("720p (1280 x 720)", 1280, 720),
    ("1080p (1920 x 1080)", 1920, 1080),
    ("Square 1080 (1080 x 1080)", 1080, 1080),
    ("4K (3840 x 2160)", 3840, 2160),
)
CUSTOM = "Custom"
#: The clip formats offered, in order (keys of gui.export.encoder.CLIP_FORMATS), with their suffix.
FORMATS: tuple[tuple[str, str, str], ...] = (
    ("mp4", "H.264 MP4", ".mp4"),
    ("webm", "VP9 WebM", ".webm"),
    ("gif", "GIF (looping)", ".gif"),
    ("png", "PNG sequence (a directory)", ""),
)
LENGTHS = ("Until the balls rest (at most 20 s)", "Seconds", "Frames")
QUALITIES = ("draft", "normal", "high")
#: Preview width in pixels.
PREVIEW_WIDTH = 360


class ClipJob(QtCore.QObject):
    """Renders a clip one frame per event-loop turn into a ClipWriter; ``finished(str)`` with "" or an error."""

    progressed = QtCore.pyqtSignal(int, int)
    finished = QtCore.pyqtSignal(str)

    def __init__(self, scene: Scene, settings: RenderSettings, steps_per_frame: int, frames: int, path: str,
                 format_name: str, fps: int, quality: str, parent: QtCore.QObject | None = None,
                 surface: Surface | None = None, critical_points: list | None = None):
        super().__init__(parent)
        from gui.export.encoder import ClipWriter

        self.frames = frames
        self.done = 0
        self.path = path
        self.writer = ClipWriter(path, format_name, width=settings.width, height=settings.height, fps=fps,
                                 quality=quality)
        try:
            self.renderer = ClipRenderer(scene, settings, steps_per_frame, process_events=False, surface=surface,
                                         critical_points=critical_points)
            self.renderer.prepare()  # the first paint's one-off work, before the timed turns
        except BaseException:
            self.writer.cancel()
            raise
        self._closing: threading.Thread | None = None
        self._close_error: BaseException | None = None
        self.longest_turn = 0.0
        self.turns: list[float] = []  # seconds each turn of the event loop took (the window waited)
        self.turn_work: list[float] = []  # processor seconds the UI thread spent in each (its own work)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._turn)

    def start(self) -> None:
        self.timer.start()

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    def _turn(self) -> None:
        started = time.perf_counter()
        working = time.thread_time()
        try:
            if self.done < self.frames:
                self.writer.write(self.renderer.next_frame())
                self.done += 1
                self.progressed.emit(self.done, self.frames)
            elif self._closing is None:
                self._closing = threading.Thread(target=self._close, name="clip export close", daemon=True)
                self._closing.start()
            elif not self._closing.is_alive():
                self._end(str(self._close_error) if self._close_error is not None else "")
        except DownhillError as error:
            self._end(str(error))
        self.turns.append(time.perf_counter() - started)
        self.turn_work.append(time.thread_time() - working)
        self.longest_turn = max(self.longest_turn, self.turns[-1])

    def _close(self) -> None:
        try:
            self.writer.close()
        except BaseException as error:  # noqa: BLE001 (reported in the dialog)
            self._close_error = error

    def cancel(self) -> None:
        """Stop now: no file is left (the writer removes its temporary output)."""
        if not self.timer.isActive():
            return
        if self._closing is not None:
            self.writer._cancelled.set()  # a GIF's final pass checks it
            self._closing.join()
        self.writer.cancel()
        self._end("cancelled")

    def _end(self, message: str) -> None:
        self.timer.stop()
        if message and message != "cancelled":
            self.writer.cancel()
        self.renderer.close()
        self.finished.emit(message)


class ExportClipDialog(QtWidgets.QDialog):
    """File > Export clip...: the settings, a preview of the first frame, progress and Cancel."""

    def __init__(self, scene: Scene, parent: QtWidgets.QWidget | None = None, directory: str | None = None,
                 surface: Surface | None = None, critical_points: list | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export clip")
        self.scene = scene
        # The live scene's surface and critical points: neither is built or searched again.
        self.surface = surface if surface is not None else scene.surface()
        self.critical_points = critical_points
        self.job: ClipJob | None = None
        self._directory = Path(directory) if directory else Path.home()
        # The preview follows the settings, a moment after the last change (rendering costs ~50 ms).
        self._preview_timer = QtCore.QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(250)
        self._preview_timer.timeout.connect(self.update_preview)
        form = QtWidgets.QFormLayout()

        self.format_box = QtWidgets.QComboBox()
        for key, title, _suffix in FORMATS:
            self.format_box.addItem(title, key)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        form.addRow("&Format", self.format_box)

        self.out_edit = QtWidgets.QLineEdit()
        choose = QtWidgets.QPushButton("Choose…")
        choose.clicked.connect(self._choose_file)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.out_edit, 1)
        row.addWidget(choose)
        form.addRow("&Save to", row)

        self.size_box = QtWidgets.QComboBox()
        for name, width, height in SIZE_PRESETS:
            self.size_box.addItem(name, (width, height))
        self.size_box.addItem(CUSTOM, None)
        self.width_spin = QtWidgets.QSpinBox()
        self.height_spin = QtWidgets.QSpinBox()
        for spin in (self.width_spin, self.height_spin):
            spin.setRange(16, 7680)
            spin.valueChanged.connect(self._schedule_preview)
        self.width_spin.setValue(1280)
        self.height_spin.setValue(720)
        self.size_box.currentIndexChanged.connect(self._on_size_changed)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.size_box, 1)
        row.addWidget(self.width_spin)
        row.addWidget(QtWidgets.QLabel("x"))
        row.addWidget(self.height_spin)
        form.addRow("Si&ze", row)

        self.fps_spin = QtWidgets.QSpinBox()
        self.fps_spin.setRange(1, 60)
        self.fps_spin.setValue(30)
        form.addRow("Frames per &second", self.fps_spin)

        self.length_box = QtWidgets.QComboBox()
        self.length_box.addItems(LENGTHS)
        self.length_spin = QtWidgets.QDoubleSpinBox()
        self.length_spin.setRange(1, 100_000)
        self.length_spin.setDecimals(0)
        self.length_spin.setValue(5)
        self.length_spin.setEnabled(False)
        self.length_box.currentIndexChanged.connect(self._on_length_changed)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.length_box, 1)
        row.addWidget(self.length_spin)
        form.addRow("&Length", row)

        self.layout_box = QtWidgets.QComboBox()
        problem = gl_problem()
        titles = {"2d": "Contour map", "3d": "3D view", "both": "3D view and map", "app": "Views and plots (the app)"}
        for name in LAYOUTS:
            self.layout_box.addItem(titles[name], name)
            if problem and name != "2d":
                item = self.layout_box.model().item(self.layout_box.count() - 1)
                item.setEnabled(False)
                item.setToolTip(problem)
        layout_name = scene.view.layout if scene.view.layout in LAYOUTS and not problem else "2d"
        self.layout_box.setCurrentIndex(LAYOUTS.index(layout_name))
        self.layout_box.currentIndexChanged.connect(self._schedule_preview)
        form.addRow("La&yout", self.layout_box)

        self.theme_box = QtWidgets.QComboBox()
        for name in THEMES:
            self.theme_box.addItem({"dark": "Dark (the app's)", "light": "Light (for a projector)"}[name], name)
        self.theme_box.currentIndexChanged.connect(self._schedule_preview)
        form.addRow("&Theme", self.theme_box)

        self.quality_box = QtWidgets.QComboBox()
        self.quality_box.addItems(QUALITIES)
        self.quality_box.setCurrentText("normal")
        form.addRow("&Quality", self.quality_box)

        self.title_edit = QtWidgets.QLineEdit(scene.title)
        self.title_edit.textChanged.connect(self._schedule_preview)
        form.addRow("T&itle", self.title_edit)

        self.overlay_checks: dict[str, QtWidgets.QCheckBox] = {}
        overlays = QtWidgets.QGridLayout()
        for index, overlay in enumerate(OVERLAYS):
            check = QtWidgets.QCheckBox(overlay.label.replace("&", ""))
            check.setChecked(scene.view.overlay(overlay.name))
            check.toggled.connect(self._schedule_preview)
            overlays.addWidget(check, index // 2, index % 2)
            self.overlay_checks[overlay.name] = check
        form.addRow("Map overlays", overlays)

        self.annotation_checks: dict[str, QtWidgets.QCheckBox] = {}
        annotations = QtWidgets.QHBoxLayout()
        words = {"title": "Title", "formula": "Formula", "legend": "Legend of balls", "step": "Step counter",
                 "badges": "Regime badges"}
        for name in ANNOTATIONS:
            check = QtWidgets.QCheckBox(words[name])
            check.setChecked(True)
            check.toggled.connect(self._schedule_preview)
            annotations.addWidget(check)
            self.annotation_checks[name] = check
        form.addRow("Annotations", annotations)

        self.preview = QtWidgets.QLabel()
        self.preview.setObjectName("exportPreview")
        self.preview.setFixedSize(PREVIEW_WIDTH, PREVIEW_WIDTH * 9 // 16)
        self.preview.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview.setStyleSheet("QLabel { background: #101014; }")

        self.progress = QtWidgets.QProgressBar()
        self.progress.setFormat("%v / %m frames")
        self.progress.setValue(0)
        self.status = QtWidgets.QLabel("")
        self.status.setWordWrap(True)
        self.export_button = QtWidgets.QPushButton("&Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button = QtWidgets.QPushButton("&Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_export)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(close)

        main = QtWidgets.QHBoxLayout()
        main.addLayout(form, 1)
        side = QtWidgets.QVBoxLayout()
        side.addWidget(QtWidgets.QLabel("First frame"))
        side.addWidget(self.preview)
        side.addStretch(1)
        main.addLayout(side)
        outer = QtWidgets.QVBoxLayout(self)
        outer.addLayout(main)
        outer.addWidget(self.status)
        outer.addLayout(buttons)
        self._on_size_changed()
        self._on_format_changed()
        self._schedule_preview()

    # -- settings ------------------------------------------------------------------------------
    def format_name(self) -> str:
        return self.format_box.currentData()

    def settings(self) -> RenderSettings:
        """The frames' settings from the fields (sizes rounded up to even for MP4 and WebM)."""
        width, height = self.width_spin.value(), self.height_spin.value()
        if self.format_name() in ("mp4", "webm"):
            width, height = width + width % 2, height + height % 2
        return RenderSettings(
            width=width, height=height, layout=self.layout_box.currentData(), theme=self.theme_box.currentData(),
            annotations=frozenset(name for name, check in self.annotation_checks.items() if check.isChecked()),
            overlays=tuple((name, check.isChecked()) for name, check in self.overlay_checks.items()),
            title=self.title_edit.text())

    def frame_count(self, steps_per_frame: int) -> int:
        fps = self.fps_spin.value()
        mode = self.length_box.currentIndex()
        if mode == 1:
            return max(1, round(self.length_spin.value() * fps))
        if mode == 2:
            return max(1, int(self.length_spin.value()))
        return frames_until_rest(self.scene, steps_per_frame, fps, surface=self.surface)

    def _on_format_changed(self, _index: int = -1) -> None:
        suffix = next(s for key, _t, s in FORMATS if key == self.format_name())
        name = self.out_edit.text().strip()
        stem = Path(name).stem if name else (self.scene.title or "downhill clip").replace("/", " ")[:60]
        parent = Path(name).parent if name else self._directory
        self.out_edit.setText(str(parent / (stem + suffix)) + ("/" if not suffix else ""))
        self.fps_spin.setMaximum(50 if self.format_name() == "gif" else 60)

    def _on_size_changed(self, _index: int = -1) -> None:
        size = self.size_box.currentData()
        custom = size is None
        self.width_spin.setEnabled(custom)
        self.height_spin.setEnabled(custom)
        if size is not None:
            self.width_spin.setValue(size[0])
            self.height_spin.setValue(size[1])
        self._schedule_preview()

    def _on_length_changed(self, index: int) -> None:
        self.length_spin.setEnabled(index > 0)
        self.length_spin.setDecimals(0)
        self.length_spin.setValue(5 if index == 1 else 150)

    def _choose_file(self) -> None:
        key = self.format_name()
        if key == "png":
            path = QtWidgets.QFileDialog.getExistingDirectory(self, "Directory for the PNG frames",
                                                              str(self._directory))
        else:
            suffix = next(s for k, _t, s in FORMATS if k == key)
            path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export clip", self.out_edit.text(),
                                                            f"{key.upper()} (*{suffix})")
        if path:
            self.out_edit.setText(path)

    # -- preview -------------------------------------------------------------------------------
    def _schedule_preview(self, *_args: Any) -> None:
        if self.job is None:
            self._preview_timer.start()

    def update_preview(self) -> None:
        """Render the first frame at a small size with the current settings and show it."""
        settings = self.settings()
        ratio = settings.width / settings.height
        height = max(90, min(self.preview.height(), round(PREVIEW_WIDTH / ratio)))
        small = replace(settings, width=max(16, round(height * ratio)), height=height)
        try:
            renderer = ClipRenderer(self.scene, small, 1, process_events=False, surface=self.surface,
                                    critical_points=self.critical_points)
        except DownhillError as error:
            self.preview.setText(str(error))
            return
        try:
            renderer.advance()
            image = renderer.image()
        finally:
            renderer.close()
        self.preview.setPixmap(QtGui.QPixmap.fromImage(image))

    # -- export --------------------------------------------------------------------------------
    def start_export(self) -> None:
        """Start rendering (the fields are locked until it ends or is cancelled)."""
        if self.job is not None:
            return
        path = self.out_edit.text().strip()
        if not path:
            self.status.setText("Say where to save the clip.")
            return
        settings = self.settings()
        steps = default_steps_per_frame(self.scene, self.fps_spin.value())
        frames = self.frame_count(steps)
        try:
            self.job = ClipJob(self.scene, settings, steps, frames, path.rstrip("/") or path, self.format_name(),
                               self.fps_spin.value(), self.quality_box.currentText(), self, self.surface,
                               self.critical_points)
        except DownhillError as error:
            self.status.setText(str(error))
            return
        self.progress.setRange(0, frames)
        self.progress.setValue(0)
        self.job.progressed.connect(lambda done, _total: self.progress.setValue(done))
        self.job.finished.connect(self._on_finished)
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Rendering {frames} frames…")
        self.job.start()

    def cancel_export(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def _on_finished(self, message: str) -> None:
        job = self.job
        self.job = None
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if not message:
            self.status.setText(f"Saved {job.path}" if job is not None else "Saved")
        elif message == "cancelled":
            self.status.setText("Cancelled: nothing was written.")
            self.progress.setValue(0)
        else:
            self.status.setText(message)

    def reject(self) -> None:
        self.cancel_export()
        super().reject()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.cancel_export()
        super().closeEvent(event)


def export_clip_dialog(window: Any) -> ExportClipDialog:
    """File > Export clip...: the dialog on the live scene's copy (modeless; the window stays usable)."""
    controller = window.controller
    dialog = ExportClipDialog(controller.current_scene(), window, surface=controller.surface,
                              critical_points=controller.critical_points)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog


def export_figure_dialog(window: Any) -> str:
    """File > Export figure...: the map beside the plots at the live step, as SVG, PDF or PNG; the path or ""."""
    from gui.export.figure import write_figure

    path, _ = QtWidgets.QFileDialog.getSaveFileName(
        window, "Export figure", str(Path.home() / "downhill figure.svg"),
        "SVG, vector (*.svg);;PDF, vector (*.pdf);;PNG image (*.png)")
    if not path:
        return ""
    if Path(path).suffix.lower() not in (".svg", ".pdf", ".png"):
        path += ".svg"
    controller = window.controller
    try:
        renderer = ClipRenderer(controller.current_scene(), RenderSettings(1600, 900, layout="both"), 1,
                                figure=True, surface=controller.surface, critical_points=controller.critical_points)
        try:
            write_figure(renderer, path, controller.step_index)
        finally:
            renderer.close()
    except (DownhillError, OSError) as error:
        QtWidgets.QMessageBox.warning(window, "Cannot export the figure", str(error))
        return ""
    window.show_message(f"Figure saved to {path}")
    return path


def copy_image(window: Any) -> QtGui.QImage:
    """View > Copy image: the views (3D and map) as shown, on the clipboard for a slide."""
    image = window.grab_window_image()
    splitter = window.splitter
    corner = splitter.mapTo(window, QtCore.QPoint(0, 0))
    ratio = image.devicePixelRatio() or 1.0
    area = QtCore.QRect(round(corner.x() * ratio), round(corner.y() * ratio),
                        round(splitter.width() * ratio), round(splitter.height() * ratio))
    views = image.copy(area)
    QtWidgets.QApplication.clipboard().setImage(views)
    window.show_message("The views are on the clipboard")
    return views
