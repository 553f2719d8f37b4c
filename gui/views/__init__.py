"""The two views of the landscape: the 3D surface (``landscape3d``) and the 2D contour map (``contour_map``).

:func:`gl_available` tells whether the 3D view can work here; without OpenGL the app shows the
map alone with a note.
"""

from __future__ import annotations

_gl_status: tuple[bool, str] | None = None


def share_gl_contexts() -> None:
    """Make every OpenGL widget of the application share one context group.

    pyqtgraph.opengl compiles each shader program once per process and reuses its id in every
    GLViewWidget; without sharing, a second 3D view (a clip export, a test, a re-docked window)
    draws with ids that mean nothing in its own context and fails. Qt accepts the attribute
    only before the QApplication exists, so it is set when this package is first imported (the
    app imports its views before creating the application); later it is too late and nothing
    is done.
    """
    from PyQt6 import QtCore

    if QtCore.QCoreApplication.instance() is None:
        QtCore.QCoreApplication.setAttribute(QtCore.Qt.ApplicationAttribute.AA_ShareOpenGLContexts, True)


share_gl_contexts()


def gl_available() -> bool:
    """Whether PyOpenGL imports and an OpenGL (>= 2.1) context can be made on this display.

    Needs a QGuiApplication. The answer is cached after the first check made with one
    (asked before the application exists, the answer is False and is not cached).
    """
    return gl_status()[0]


def gl_status() -> tuple[bool, str]:
    """(available, reason): the reason is "" when available, else one sentence for the user."""
    global _gl_status
    if _gl_status is not None:
        return _gl_status
    from PyQt6 import QtGui

    if QtGui.QGuiApplication.instance() is None:
        return False, "OpenGL is checked once the application has started"
    _gl_status = _check()
    return _gl_status


def _check() -> tuple[bool, str]:
    try:
        import pyqtgraph.opengl  # noqa: F401
        from OpenGL import GL  # noqa: F401  (PyOpenGL is what pyqtgraph.opengl calls)
    except Exception as error:  # ImportError, or PyOpenGL failing to find a GL library
        return False, f"the 3D view needs PyOpenGL, which could not be loaded ({error})"
    from PyQt6 import QtGui

    context = QtGui.QOpenGLContext()
    if not context.create():
        return False, "no OpenGL context could be created on this display"
    surface = QtGui.QOffscreenSurface()
    surface.setFormat(context.format())
    surface.create()
    try:
        if not surface.isValid() or not context.makeCurrent(surface):
            return False, "an OpenGL context was created but could not be made current"
        version = context.format().version()
        if not context.isOpenGLES() and version < (2, 1):
            return False, f"the 3D view needs OpenGL 2.1 or later; this display offers {version[0]}.{version[1]}"
        return True, ""
    finally:
        context.doneCurrent()
        surface.destroy()
