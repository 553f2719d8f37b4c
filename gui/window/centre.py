"""The window's centre: the 3D landscape and the contour map side by side in a splitter.

Without OpenGL (none, switched off with DOWNHILL_NO_3D, or a context that never came) a note
takes the 3D view's place and says why; the map and everything else carry on.
"""

from __future__ import annotations

import html
import os

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QSplitter

from gui.screen_fit import DEFAULT_SIZE

#: Set this environment variable (to anything but 0) to open without the 3D view, e.g. on a
#: machine whose OpenGL driver misbehaves.
NO_3D_VARIABLE = "DOWNHILL_NO_3D"
#: Narrowest the 3D view and the map may be made by the splitter (pixels).
MIN_VIEW_WIDTH = 200
#: How long after the window first shows the 3D view must have made its OpenGL context.
GL_CHECK_DELAY_MS = 1000


class ViewsCentre:
    """The splitter of views, mixed into the QMainWindow: sets ``splitter``, ``view3d`` (None
    without OpenGL), ``gl_note`` and ``map_view``. Reads ``controller``, ``reset_camera_action``
    and ``show_message`` from the window; map clicks go to its ``_on_map_clicked`` and
    ``_on_start_dragged``."""

    def _build_centre(self) -> None:
        from gui.views import gl_status
        from gui.views.contour_map import ContourMapView

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("viewSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.view3d = None
        self.gl_note: QLabel | None = None
        self._gl_checked = False
        available, reason = gl_status()
        if os.environ.get(NO_3D_VARIABLE, "").strip() not in ("", "0"):
            available, reason = False, f"it is switched off ({NO_3D_VARIABLE} is set)"
        if available:
            from gui.views.landscape3d import Landscape3DView

            self.view3d = Landscape3DView(self.controller)
            self.splitter.addWidget(self.view3d)
        else:
            self.splitter.addWidget(self._make_gl_note(reason))
        self.map_view = ContourMapView(self.controller)
        self.map_view.pointClicked.connect(self._on_map_clicked)
        self.map_view.startDragged.connect(self._on_start_dragged)
        self.splitter.addWidget(self.map_view)
        for index in range(2):
            self.splitter.widget(index).setMinimumWidth(MIN_VIEW_WIDTH)
            self.splitter.setStretchFactor(index, 1)
        # Equal halves: the GL view's size hint is empty, and a zero-width GL view never gets a context.
        self.splitter.setSizes([DEFAULT_SIZE.width(), DEFAULT_SIZE.width()])
        self.setCentralWidget(self.splitter)

    def _make_gl_note(self, reason: str) -> QLabel:
        self.gl_note = QLabel(
            "<h2>No 3D view</h2>"
            f"<p>The 3D landscape needs OpenGL: {html.escape(reason.rstrip('.'))}.</p>"
            "<p>Everything else works: the contour map on the right shows the same landscape and balls.</p>"
            "<p>To get the 3D view, install your graphics driver's OpenGL (on Debian/Ubuntu "
            "<code>sudo apt-get install libgl1 libegl1 libgl1-mesa-dri</code>).</p>")
        self.gl_note.setObjectName("noGlNote")
        self.gl_note.setWordWrap(True)
        self.gl_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.gl_note.setMargin(24)
        self.gl_note.setMinimumWidth(220)
        return self.gl_note

    def _check_gl_context(self) -> None:
        view = self.view3d
        if view is None or not view.isVisible():
            return
        if not view.gl_widget.isValid():
            self._replace_3d_view("the OpenGL context could not be created")

    def _replace_3d_view(self, reason: str) -> None:
        """Swap a failed 3D view for the note (the map and everything else carry on)."""
        view = self.view3d
        if view is None:
            return
        index = self.splitter.indexOf(view)
        self.splitter.replaceWidget(index, self._make_gl_note(reason))
        self.view3d = None
        view.deleteLater()
        self.reset_camera_action.setEnabled(False)
        self.show_message(f"3D view off: {reason}", error=True)
