"""The app's export commands: File > Export clip..., File > Export figure..., View > Copy image.

:class:`ExportClipDialog` sets up a clip of the live scene (format, size preset or custom, fps,
length, layout, theme, quality, overlays, annotations, title), shows its first frame as a
preview, and renders it with a progress bar and Cancel. The export works on its own copy of the
scene (``controller.current_scene()`` when the dialog opens): the live scene goes on untouched.

The window never waits on an export: the clip is rendered in a child process
(gui.export.child, run by gui.export.child_job.ChildJob through a QProcess) by the command
line's own renderer (gui.export_cli.write_clip). The dialog checks the settings with the command
line's checks (gui.export.options.clip_options) before starting, writes them and the scene into
a job file in a private work directory beside the clip, and reads the child's progress lines
from the event loop. Cancel (or closing the dialog, or the main window) stops the child and
removes the work directory, where every temporary file went: no partial clip, no stray file.
The preview of the 2D layout is drawn here (about 60 ms); the 3D layouts' previews cost more
than the 100 ms the window may stall, so a one-frame child draws them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from PyQt6 import QtCore, QtGui, QtWidgets

from gui.export.annotations import ANNOTATIONS, THEMES
from gui.export.child import JOB_VERSION
from gui.export.child_job import ChildJob, make_work_directory, watch_application_quit
from gui.export.options import ANNOTATION_NAMES, RenderSettings, clip_options, default_steps_per_frame
from gui.export.render import LAYOUTS, ClipRenderer, gl_problem
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


#: The command line's option names (gui.export.options' messages) as the dialog's fields.
_FIELDS = {"--out": "Save to", "--size": "Size", "--fps": "Frames per second", "--frames": "Length",
           "--duration": "Length", "--title": "Title"}


def _in_fields_words(message: str) -> str:
    """A message of the option checks, naming the dialog's field instead of the command line's option."""
    option, _, rest = message.partition(" ")
    name = option.rstrip(":")
    if name in _FIELDS:
        return f"{_FIELDS[name]}{option[len(name):]} {rest}"
    return message


def _label(text: str, buddy: QtWidgets.QWidget) -> QtWidgets.QLabel:
    """A form label whose Alt+letter goes to ``buddy`` (a row holding a layout gets no buddy of its own,
    and its '&' would show)."""
    label = QtWidgets.QLabel(text)
    label.setBuddy(buddy)
    return label


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
        self.job: ChildJob | None = None  # the export running, if any
        self._preview_job: ChildJob | None = None  # a one-frame child drawing a 3D layout's preview
        self._preview_again = False  # the settings changed while that child ran
        self._notes: list[str] = []
        watch_application_quit()
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
        form.addRow(_label("&Save to", self.out_edit), row)

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
        form.addRow(_label("Si&ze", self.size_box), row)

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
        form.addRow(_label("&Length", self.length_box), row)

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

    def frame_count(self) -> int | None:
        """The frames asked for; None: until the balls rest (the child works that out, off this thread)."""
        fps = self.fps_spin.value()
        mode = self.length_box.currentIndex()
        if mode == 1:
            return max(1, round(self.length_spin.value() * fps))
        if mode == 2:
            return max(1, int(self.length_spin.value()))
        return None

    def job_data(self, out: str, frames: int | None, settings: RenderSettings | None = None) -> dict[str, Any]:
        """The job file's contents (gui.export.child) for the fields' settings, written to ``out``."""
        settings = settings or self.settings()
        fps = self.fps_spin.value()
        return {
            "version": JOB_VERSION, "scene": json.loads(self.scene.to_json()), "out": out,
            "size": f"{settings.width}x{settings.height}", "fps": fps, "frames": frames,
            "steps_per_frame": default_steps_per_frame(self.scene, fps), "layout": settings.layout,
            "theme": settings.theme, "quality": self.quality_box.currentText(), "title": settings.title or "",
            "hide": sorted(set(ANNOTATION_NAMES) - set(settings.annotations)),
            "overlays": dict(settings.overlays),
        }

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

    # -- preview ------------------------------------------------------------------------------
    def _schedule_preview(self, *_args: Any) -> None:
        if self.job is None:
            self._preview_timer.start()

    def update_preview(self) -> None:
        """Render the first frame at a small size with the current settings and show it.

        The 2D layout is drawn here (about 60 ms); a layout with the 3D view in a one-frame child
        (its views cost 200-300 ms to build, more than the window may stall), shown when it is done.
        """
        settings = self.settings()
        ratio = settings.width / settings.height
        height = max(90, min(self.preview.height(), round(PREVIEW_WIDTH / ratio)))
        small = replace(settings, width=max(16, round(height * ratio)), height=height)
        if small.layout != "2d":
            self._preview_in_child(small)
            return
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

    def _preview_in_child(self, small: RenderSettings) -> None:
        if self._preview_job is not None:  # one at a time: the next starts when this one ends
            self._preview_again = True
            return
        problem = gl_problem()
        if problem:
            self.preview.setText(problem)
            return
        self._preview_again = False
        try:
            work = Path(tempfile.mkdtemp(prefix="downhill-preview-"))
        except OSError as error:
            self.preview.setText(f"No preview: {error.strerror or error}")
            return
        data = self.job_data(str(work / "unused.gif"), 1, small)
        data.update(fps=30, steps_per_frame=1, quality="draft", preview=str(work / "preview.png"))
        try:
            job = ChildJob(data, work)
        except OSError as error:
            self.preview.setText(f"No preview: {error.strerror or error}")
            return
        self._preview_job = job
        job.finished.connect(self._on_preview_done)
        if self.preview.pixmap() is None or self.preview.pixmap().isNull():
            self.preview.setText("Drawing the first frame…")
        job.start()

    def _on_preview_done(self, message: str) -> None:
        job, self._preview_job = self._preview_job, None
        if job is None or message == "cancelled":
            return
        image = QtGui.QImage(job.result) if not message else QtGui.QImage()
        if image.isNull():
            self.preview.setText(message or "No preview: the first frame could not be read")
        else:
            self.preview.setPixmap(QtGui.QPixmap.fromImage(image))
        if self._preview_again and self.job is None:
            self._preview_timer.start()

    # -- export --------------------------------------------------------------------------------
    def start_export(self) -> None:
        """Check the settings and start the child that renders the clip (Export is off until it ends)."""
        if self.job is not None:
            return
        path = self.out_edit.text().strip()
        if not path:
            self.status.setText("Say where to save the clip.")
            return
        directory = path.endswith(("/", os.sep))
        out = os.path.abspath(os.path.expanduser(path)) + (os.sep if directory else "")
        frames = self.frame_count()
        data = self.job_data(out, frames)
        try:  # the command line's checks, at once: a bad path is said before anything starts
            options = clip_options(SimpleNamespace(**{key: value for key, value in data.items()
                                                      if key not in ("version", "scene", "overlays")},
                                                   scene=self.scene))
            if options.render.layout != "2d" and gl_problem():
                raise DownhillError(gl_problem())
            work = make_work_directory(out)
        except DownhillError as error:
            self.status.setText(_in_fields_words(str(error)))
            return
        except OSError as error:
            self.status.setText(f"Cannot write beside {out}: {error.strerror or error}")
            return
        try:
            job = ChildJob(data, work)
        except OSError as error:
            self.status.setText(f"Cannot write the export's job file in {work.parent}: {error.strerror or error}")
            return
        if self._preview_job is not None:  # the clip's first frame is coming anyway
            self._preview_job.cancel()
        self._preview_timer.stop()
        self.job = job
        self._notes = list(options.notes)
        self.progress.setRange(0, frames or 0)  # (no length yet: a busy bar until the child says it)
        self.progress.setValue(0)
        job.progressed.connect(self._on_progress)
        job.noted.connect(self._on_note)
        job.finished.connect(self._on_finished)
        self.export_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(self._with_notes("Starting the export…"))
        job.start()

    def _with_notes(self, text: str) -> str:
        return " ".join([text] + [f"({note})" for note in self._notes])

    def _on_note(self, text: str) -> None:
        if text not in self._notes:
            self._notes.append(text)

    def _on_progress(self, done: int, total: int) -> None:
        if self.progress.maximum() != total:
            self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.status.setText(self._with_notes(f"Rendering {total} frames…"))

    def cancel_export(self) -> None:
        """Stop the export: the child is stopped, nothing is written (``finished`` says so when it has ended)."""
        if self.job is not None and self.job.running:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.status.setText("Cancelling…")

    def _on_finished(self, message: str) -> None:
        job = self.job
        self.job = None
        self.export_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if not message:
            self.status.setText(self._with_notes(f"Saved {job.result}" if job is not None else "Saved"))
            self.progress.setRange(0, max(1, self.progress.maximum()))
            self.progress.setValue(self.progress.maximum())
        elif message == "cancelled":
            self.status.setText("Cancelled: nothing was written.")
            self.progress.setRange(0, max(1, self.progress.maximum()))
            self.progress.setValue(0)
        else:
            self.status.setText(message)
            self.progress.setRange(0, max(1, self.progress.maximum()))
            self.progress.setValue(0)

    def reject(self) -> None:
        self.cancel_export()
        if self._preview_job is not None:
            self._preview_job.cancel()
        super().reject()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802 (Qt naming)
        self.cancel_export()
        if self._preview_job is not None:
            self._preview_job.cancel()
        super().closeEvent(event)


def export_clip_dialog(window: Any) -> ExportClipDialog:
    """File > Export clip...: the dialog on the live scene's copy (modeless; the window stays usable)."""
    controller = window.controller
    dialog = ExportClipDialog(controller.current_scene(), window, surface=controller.surface,
                              critical_points=controller.critical_points)
    dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
    window.installEventFilter(_CloseWithWindow(dialog))
    dialog.show()
    return dialog


class _CloseWithWindow(QtCore.QObject):
    """Closes the dialog (cancelling its export) once its window has closed (a close it refused does not count)."""

    def __init__(self, dialog: ExportClipDialog):
        super().__init__(dialog)  # goes with the dialog
        self.dialog = dialog

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt naming)
        if event.type() == QtCore.QEvent.Type.Close:
            # After the window's own closeEvent (which may refuse, for unsaved changes): look then.
            QtCore.QTimer.singleShot(0, lambda: self._check(watched))
        return False

    def _check(self, window: QtCore.QObject) -> None:
        from PyQt6 import sip

        if not sip.isdeleted(self) and not sip.isdeleted(window) and not window.isVisible():
            self.dialog.close()


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
