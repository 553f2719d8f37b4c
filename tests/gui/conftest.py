"""Shared set-up of the GUI tests.

- Settings never touch the real user configuration: ``DOWNHILL_CONFIG_DIR`` points at a
  temporary directory for the whole session (settings file, autosave, session lock), set before
  any QSettings exists, and ``configure_settings`` routes every ``QSettings()`` there.
- Without any display the tests use Qt's offscreen platform (2D widgets render; OpenGL does not).
- ``require_gl`` skips a test cleanly when no OpenGL context can be made (offscreen, or an X
  server without GLX); the project's test command runs under Xvfb with Mesa, where it can.
- ``controller`` is a real SceneController on a small preset scene, shut down after the test.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_CONFIG_DIRECTORY = tempfile.mkdtemp(prefix="downhill-test-config-")
os.environ["DOWNHILL_CONFIG_DIR"] = _CONFIG_DIRECTORY
if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Before the QApplication exists: OpenGL widgets share one context group (see gui.views).
import gui.views  # noqa: E402,F401


@pytest.fixture(scope="session", autouse=True)
def downhill_settings(qapp):
    """Route QSettings to the session's temporary directory; remove it at the end."""
    from gui.persistence import configure_settings

    path = configure_settings()
    assert str(path).startswith(_CONFIG_DIRECTORY), path
    yield path
    shutil.rmtree(_CONFIG_DIRECTORY, ignore_errors=True)


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
def controller(qtbot):
    """A real SceneController on the plateau scene (two balls), shut down after the test."""
    from gui.controller import SceneController

    controller = SceneController("plateau-trap")
    yield controller
    controller.shutdown()
