"""Shared set-up of the GUI tests.

- Settings never touch the real user configuration: ``DOWNHILL_CONFIG_DIR`` points at a
  temporary directory for the whole session (settings file, autosave, session lock), set before
  any QSettings exists, and ``configure_settings`` routes every ``QSettings()`` there.
- Without any display the tests use Qt's offscreen platform (2D widgets render; OpenGL does not).
- ``require_gl`` skips a test cleanly when no OpenGL context can be made (offscreen, or an X
  server without GLX); the project's test command runs under Xvfb with Mesa, where it can.
- ``controller`` is a real SceneController, shut down after the test: on the plateau scene
  (two balls), or on the scene a test module names in ``CONTROLLER_SCENE``.
- ``show_widget`` shows a widget at a size and keeps it until the test is over.

Memory and object lifetimes (``qt_object_lifetimes``, automatic). pyqtgraph's items refer to
each other in cycles (an item and its view box, a plot and its signal slots), so a widget a test
has stopped referring to is freed only by Python's cyclic garbage collector, which runs
whenever allocations pass its threshold: possibly in the middle of a paint, deleting the C++
object being painted, which crashes the process (it did, about one run in five). So while a GUI
test runs the cyclic collector is off, and every SceneController the test makes and every
window it opens is held strongly; at teardown the windows are closed and deleted, the
controllers stopped (their timers and worker threads), the deletions processed, and only then,
with no event loop running, the garbage is collected. The survivors are then frozen (gc.freeze),
so that each collection costs what one test made, not the whole heap of SymPy and Qt.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile

import pytest

_CONFIG_DIRECTORY = tempfile.mkdtemp(prefix="downhill-test-config-")
os.environ["DOWNHILL_CONFIG_DIR"] = _CONFIG_DIRECTORY
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import QSettings, Qt, QTimer  # noqa: E402
from PyQt6.QtWidgets import QApplication, QMessageBox  # noqa: E402

# Before the QApplication exists: OpenGL widgets share one context group (see gui.views).
import gui.views  # noqa: E402,F401
from gui.main_window import MainWindow  # noqa: E402
from gui.persistence import AppSettings  # noqa: E402

#: The preset scene the ``controller`` fixture opens unless the test module sets CONTROLLER_SCENE.
DEFAULT_CONTROLLER_SCENE = "plateau-trap"


@pytest.fixture(scope="session", autouse=True)
def downhill_settings(qapp):
    """Route QSettings to the session's temporary directory; remove it at the end."""
    from gui.persistence import configure_settings

    path = configure_settings()
    assert str(path).startswith(_CONFIG_DIRECTORY), path
    yield path
    shutil.rmtree(_CONFIG_DIRECTORY, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def frozen_heap():
    """Collect once, then keep what exists out of later collections (see qt_object_lifetimes); undone at the end."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
    gc.collect()


@pytest.fixture(autouse=True)
def qt_object_lifetimes(qapp, frozen_heap, monkeypatch):
    """No cyclic garbage collection during a GUI test; orderly closing and collection after it.

    Yields the list of objects kept alive until teardown (``keep_alive`` appends to it).
    """
    from PyQt6 import sip
    from PyQt6.QtCore import QCoreApplication, QEvent

    from gui.controller import SceneController

    gc.disable()
    windows_before = set(qapp.topLevelWidgets())
    controllers: list[SceneController] = []
    kept: list[object] = []
    original_init = SceneController.__init__

    def tracked_init(self, *arguments, **options):
        original_init(self, *arguments, **options)
        controllers.append(self)

    monkeypatch.setattr(SceneController, "__init__", tracked_init)
    try:
        yield kept
    finally:
        monkeypatch.undo()
        # Windows the test made (made from Python, without a parent): Qt's own (tooltips,
        # popups) are left alone, as Qt holds pointers to them.
        windows = [w for w in qapp.topLevelWidgets()
                   if w not in windows_before and w.parent() is None and sip.ispyowned(w)]
        widgets = [*windows, *(o for o in kept if hasattr(o, "close") and not isinstance(o, SceneController))]
        for widget in widgets:
            _quietly(widget.close)
        for controller in controllers:
            _quietly(controller.shutdown)  # timer stopped, worker threads finished
        qapp.processEvents()
        for widget in widgets:
            _quietly(widget.deleteLater)
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
        qapp.processEvents()
        for held in (windows, widgets, controllers, kept):
            held.clear()
        windows_before.clear()
        gc.collect()
        # What survives is long-lived (modules, caches): frozen, so that the next test's collection
        # looks at that test's objects only (a full collection of SymPy's and Qt's heap takes 60 ms).
        gc.freeze()
        gc.enable()


def _quietly(call) -> None:
    """Call ``call``; an object whose C++ side is already gone (RuntimeError) needs nothing more."""
    try:
        call()
    except RuntimeError:
        pass


@pytest.fixture
def keep_alive(qt_object_lifetimes):
    """``keep_alive(obj)`` holds ``obj`` (and returns it) until the test's teardown closes and deletes it."""

    def keep(obj):
        qt_object_lifetimes.append(obj)
        return obj

    return keep


@pytest.fixture
def config_directory():
    """The directory every QSettings, autosave and lock file of the tests lives in."""
    return _CONFIG_DIRECTORY


@pytest.fixture
def require_gl(qapp):
    """Skip the test unless an OpenGL context can be made here."""
    from gui.views import gl_status

    available, reason = gl_status()
    if not available:
        pytest.skip(f"no OpenGL: {reason}")


@pytest.fixture
def controller(qtbot, request):
    """A real SceneController on the module's CONTROLLER_SCENE (default: the plateau scene), shut down after."""
    from gui.controller import SceneController

    controller = SceneController(getattr(request.module, "CONTROLLER_SCENE", DEFAULT_CONTROLLER_SCENE))
    yield controller
    controller.shutdown()


@pytest.fixture
def show_widget(qtbot, keep_alive):
    """``show_widget(widget, width, height)``: resize and show ``widget``; it is closed after the test."""

    def show(widget, width: int, height: int):
        qtbot.addWidget(widget)
        keep_alive(widget)
        widget.resize(width, height)
        widget.show()
        return widget

    return show


@pytest.fixture
def active_window(qtbot, controller, tmp_path):
    """The main window on the ``controller`` fixture's scene, shown and active (window shortcuts
    need the active window, and Xvfb has no window manager to make it so), with its own settings."""
    window = MainWindow(controller, AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=20_000)
    yield window
    controller.pause()
    window.close()


@pytest.fixture
def answer_save_question(qtbot):
    """``answer(button)`` clicks ``button`` in the "Save the changes?" box as soon as it shows and
    returns a list that receives the box's text (empty if it never showed). A watcher whose
    question never showed (the test failed) stops with its test, so that it cannot answer the next
    test's question."""
    give_up = 500   # tries, one every 20 ms
    watchers: list[list[int]] = []

    def answer(button: QMessageBox.StandardButton) -> list[str]:
        seen: list[str] = []
        tries = [0]
        watchers.append(tries)

        def click() -> None:
            box = next((widget for widget in QApplication.topLevelWidgets()
                        if isinstance(widget, QMessageBox) and widget.objectName() == "saveChangesQuestion"
                        and widget.isVisible()), None)
            if box is None:
                tries[0] += 1
                if tries[0] < give_up:
                    QTimer.singleShot(20, click)
                return
            seen.append(box.text())
            qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)

        QTimer.singleShot(0, click)
        return seen

    yield answer
    for tries in watchers:
        tries[0] = give_up
