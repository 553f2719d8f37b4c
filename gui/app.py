"""Start the desktop app: ``run_app`` is what ``python main.py [--scene FILE] [--screenshot PNG]`` calls.

Order of events: check there is a display to open a window on (else one line and status 2);
resolve the scene (a bad file or name: one line, status 2); create the QApplication with the
settings redirected if ``DOWNHILL_CONFIG_DIR`` says so; build the first surface (before any
window exists, so nothing can stall); open the main window with the saved layout (once it shows,
the physics kernels load on a background thread: start_warm_up); take the
session lock, say once in the status bar if settings or autosave cannot work here (a folder that
cannot be made, a damaged settings file, another window open) and run without them; then offer
back the autosave the last session left (a crash, or a close by signal with unsaved changes).
At exit the autosave is deleted only if its content is safe elsewhere (see gui.persistence).

``--screenshot FILE.png`` is the scripted path: the scene (the default if none), a fixed
1600 x 900 window, no saved layout or formula, no session lock; play for a moment, grab the
whole window (OpenGL content included), write the PNG and quit with 0 (2 if it cannot be written).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import traceback
from pathlib import Path
from types import TracebackType

from surfaces.errors import DownhillError

#: Size of the window in --screenshot mode (and of the README's screenshot).
SCREENSHOT_SIZE = (1600, 900)
#: Set this environment variable to WIDTHxHEIGHT (e.g. 1280x720) for another --screenshot size.
SCREENSHOT_SIZE_VARIABLE = "DOWNHILL_SCREENSHOT_SIZE"
#: How long --screenshot lets the scene play before grabbing (milliseconds), and the pauses
#: before playing and before grabbing, for the views to catch up.
SCREENSHOT_PLAY_MS = 1500
SCREENSHOT_SETTLE_MS = 300
#: How long (ms) the status bar shows that settings or autosave are off at start-up.
STARTUP_NOTICE_MS = 30_000
#: How often (ms) the event loop lets Python look for Ctrl+C / SIGTERM.
SIGNAL_POLL_MS = 250
#: Seconds a thread may hold the GIL while another waits for it (see prepare_process).
GIL_SWITCH_INTERVAL = 0.0005
#: Platforms that need no display server.
_HEADLESS_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def display_problem(environment: dict[str, str] | None = None, platform: str | None = None) -> str:
    """A one-line explanation when no window can be opened here, or "" when one can.

    On Linux (and other X11/Wayland systems) a window needs ``DISPLAY`` or ``WAYLAND_DISPLAY``,
    unless Qt is told to draw offscreen. When Qt would use X (no Wayland, or QT_QPA_PLATFORM=xcb),
    an X server must answer at ``DISPLAY`` too: Qt aborts the process otherwise (gui.x_display).
    macOS and Windows always have a display.
    """
    environment = dict(os.environ) if environment is None else environment
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return ""
    # QT_QPA_PLATFORM is 'name[:options]', or several of those separated by ';' tried in turn.
    requested = environment.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if requested in _HEADLESS_PLATFORMS:
        return ""
    advice = ("run it on a desktop, under a virtual screen (xvfb-run -a python main.py), "
              "or set QT_QPA_PLATFORM=offscreen")
    x_display, wayland = environment.get("DISPLAY"), environment.get("WAYLAND_DISPLAY")
    if x_display and (requested == "xcb" or (requested == "" and not wayland)):
        from gui.x_display import x_server_problem

        problem = x_server_problem(x_display)
        return f"{problem}: {advice}" if problem else ""
    if x_display or wayland:
        return ""
    return f"no display to open a window on: {advice}"


def prepare_process() -> None:
    """Process-wide settings of the app, made before the QApplication exists.

    - OpenGL widgets share one context group (``gui.views`` sets the attribute on import).
    - A short GIL switch interval: while SymPy works on a pool thread, every Python slot and
      paint method of the UI thread must win the GIL back, waiting up to one interval each
      time; at Python's default 5 ms a frame with a dozen such calls would stall for tens of
      milliseconds. At 0.5 ms the window stays fluid and SymPy runs barely slower.
    - The C allocator keeps freed memory for reuse (physics.memory: a large swarm's step 3-5 times
      faster).
    """
    import gui.views  # noqa: F401
    from physics.memory import keep_freed_memory

    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    keep_freed_memory()


def settle_heap() -> None:
    """Collect the garbage of start-up once, then exempt every object alive now from the cyclic
    garbage collector (``gc.freeze``): they live as long as the app.

    Why: SymPy building a surface on a pool thread creates objects by the hundred thousand, which
    sets off full collections; a full collection holds the GIL while it walks every object the
    process tracks (about 120 000 after start-up, most of them modules, SymPy's caches and Qt
    wrappers), and the window froze for 60-70 ms at a time. With the start-up objects frozen it
    walks only the build's own (measured: the longest freeze of a long formula's build 70 ms ->
    18 ms). Objects made later are collected as usual; one made at start-up that becomes cyclic
    garbage later is never collected (refcounting still frees the rest), a bounded price.
    """
    gc.collect()
    gc.freeze()
    gc.enable()  # (off from the start of _run: see there)


def start_warm_up(stop: threading.Event | None = None) -> threading.Thread:
    """Compile, or load from the cache, every physics kernel on a background thread (physics.warm_up).

    Why: loading them takes 1-2 s warm and 3-5 s on a first launch, all of it before the first
    frame when done on the UI thread. On a thread of its own the window shows at once; a step that
    needs a kernel still loading waits for it, as Numba compiles and loads under one lock and a
    kernel already loaded is not loaded again (same kernels, same bits). At exit ``stop`` is set and
    the thread joined: it ends at its next stage, as a process ending in the middle of a compilation
    could crash.

    It starts after the first frame, also on a first launch when they must compile: compiling holds
    the GIL most of the time, and started before the window, it delayed the window (measured on
    2 cores: first launch 18-27 s instead of 15-18 s under the same load).
    """
    from physics.warm_up import warm_up

    thread = threading.Thread(target=warm_up, args=(stop,), name="warm up the physics kernels", daemon=True)
    thread.start()
    return thread


def run_app(scene: str | None = None, screenshot: str | None = None, lesson: str | None = None,
            present: bool = False) -> int:
    """Open the Downhill window (or take a screenshot of it); return the exit status.

    ``lesson`` (a built-in lesson's name or a lesson file) opens that lesson at its first scene;
    ``present`` enters presentation mode once the window is up (with ``screenshot``, the picture
    is of the presentation window)."""
    problem = display_problem()
    if problem:
        sys.stderr.write(f"downhill: {problem}\n")
        return 2
    try:
        return _run(scene, screenshot, lesson, present)
    except DownhillError as error:
        sys.stderr.write(f"downhill: {error}\n")
        return 2


def _run(scene_argument: str | None, screenshot: str | None, lesson_argument: str | None = None,
         present: bool = False) -> int:
    from physics.scene_files import resolve_scene

    scene = resolve_scene(scene_argument) if scene_argument else None
    lesson = None
    if lesson_argument:
        from physics.lessons import resolve_lesson

        try:
            lesson = resolve_lesson(lesson_argument)
        except DownhillError as error:
            raise DownhillError(f"--lesson {lesson_argument}: {error}") from None
        scene = lesson.scenes[0].scene  # the window opens on it; the player then takes the lesson over
    screenshot_path = _check_screenshot_path(screenshot) if screenshot else None
    warming: list[threading.Thread] = []
    closing = threading.Event()
    # The cyclic garbage collector is off until the first frame is on screen (settle_heap collects
    # once then): the imports, the window and its views make some 10^5 objects that live as long as the
    # app, and collecting them over and over as they are made cost a tenth of the start-up.
    gc.disable()

    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    from gui.persistence import AppSettings, Autosaver, SessionGuard, configure_settings, start_up_notice

    prepare_process()
    application = QApplication.instance() or QApplication(sys.argv[:1])
    configure_settings()

    from gui.controller import SceneController
    from gui.main_window import MainWindow

    controller = SceneController(scene)  # builds the first surface now, before any window exists
    settings = AppSettings()
    interactive = screenshot_path is None
    window = MainWindow(controller, settings, remember_layout=interactive, ask_to_save=interactive)
    if lesson is not None:
        window.lesson_player.open(lesson)
    def after_the_first_frame() -> None:
        """The start-up garbage settled and the kernels loading on a thread of their own: after the
        window's first frame, not before it."""
        settle_heap()
        warming.append(start_warm_up(closing))

    previous_hook = sys.excepthook
    sys.excepthook = _status_bar_excepthook(window, previous_hook)
    guard: SessionGuard | None = None
    autosaver: Autosaver | None = None
    previous_handlers: dict[int, object] = {}
    try:
        if screenshot_path is not None:
            QTimer.singleShot(0, after_the_first_frame)
            return _take_screenshot(application, window, controller, screenshot_path, present)
        window.restore_layout(keep_scene_speed=scene is not None)
        if scene is None:
            window.restore_last_formula()
        elif scene_argument and Path(scene_argument).is_file():
            window.adopt_scene_file(Path(scene_argument))  # Save writes back to the file it came from
        window.show()
        if present:
            QTimer.singleShot(0, window.toggle_presentation)
        QTimer.singleShot(0, after_the_first_frame)
        guard = SessionGuard()
        left_autosave = guard.begin()
        autosaver = Autosaver(controller, guard, window)
        if left_autosave is not None:
            autosaver.hold()  # nothing written over the last session's work until it is answered for
        window.set_autosaver(autosaver)
        notice = start_up_notice(settings.problem(), guard.problem, settings.damage())
        if notice:
            window.show_message(notice, error=True, timeout=STARTUP_NOTICE_MS)
        if left_autosave is not None:
            QTimer.singleShot(0, lambda: window.offer_recovery(left_autosave))
        previous_handlers = _close_on_signals(window)
        wake = QTimer()  # Python runs signal handlers only between bytecodes: wake it now and then
        wake.timeout.connect(lambda: None)
        wake.start(SIGNAL_POLL_MS)
        status = application.exec()  # safe: Qt's event loop; no text is evaluated
        return status
    finally:
        keep_autosave = window.autosave_needed()
        sys.excepthook = previous_hook
        for number, handler in previous_handlers.items():
            signal.signal(number, handler)
        if autosaver is not None:
            autosaver.stop()
        controller.shutdown()
        if guard is not None:
            guard.end(keep_autosave=keep_autosave)
        _dispose(window)
        gc.enable()
        closing.set()
        for thread in warming:
            thread.join()  # (a process ending in the middle of a compilation could crash)


def _dispose(window) -> None:
    """Delete the window's widgets now, while the QApplication exists.

    Left to the interpreter's shutdown, they were destroyed in whatever order it frees objects,
    the OpenGL views sometimes after the application, and the process crashed on exit now and
    then (measured: 3 of 60 screenshot runs ended in a segmentation fault after writing the image).
    """
    from PyQt6.QtCore import QCoreApplication, QEvent

    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _close_on_signals(window) -> dict[int, object]:
    """Ctrl+C in the terminal (SIGINT) or SIGTERM closes the window cleanly, as File > Quit does:
    the layout is saved and the session lock released (a killed app would look like a crash).
    Unlike File > Quit it asks nothing (nobody may be there to answer): unsaved changes stay in
    the autosave, which the next start offers back."""
    previous: dict[int, object] = {}
    for number in (signal.SIGINT, signal.SIGTERM):
        previous[number] = signal.getsignal(number)
        signal.signal(number, lambda _number, _frame: window.close_without_asking())
    return previous


def _check_screenshot_path(text: str) -> Path:
    from PyQt6.QtGui import QImageWriter

    path = Path(text)
    suffix = path.suffix.lower().lstrip(".")
    formats = {bytes(name).decode() for name in QImageWriter.supportedImageFormats()}
    if suffix not in formats:
        raise DownhillError(f"--screenshot {text}: the file name must end in .png (or another image type: "
                            f"{', '.join(sorted(formats))})")
    if not path.parent.exists() and str(path.parent) not in ("", "."):
        raise DownhillError(f"--screenshot {text}: the folder {path.parent} does not exist")
    return path


def _take_screenshot(application, window, controller, path: Path, present: bool = False) -> int:
    """Show the window at SCREENSHOT_SIZE, run the scene for a moment, grab it and save it; the exit status.

    The scene plays for SCREENSHOT_PLAY_MS through the real animation clock; a slow machine (a
    virtual screen with software OpenGL draws a few frames a second) is then topped up to the
    steps a 60 Hz display would have shown, so the picture does not depend on the machine.
    """
    from PyQt6.QtCore import QTimer

    window.resize(*screenshot_size())
    window.show()
    outcome: dict[str, int] = {}

    def grab_and_quit() -> None:
        presentation = getattr(window, "presentation", None)
        image = presentation.grab().toImage() if presentation is not None else window.grab_window_image()
        if image.isNull() or not image.save(str(path)):
            sys.stderr.write(f"downhill: --screenshot {path}: could not write the image there\n")
            outcome["status"] = 2
        else:
            outcome["status"] = 0
        application.exit(outcome["status"])

    def stop_playing() -> None:
        controller.pause()
        frames = SCREENSHOT_PLAY_MS * 60 // 1000
        controller.advance(frames * controller.speed - controller.step_index)
        QTimer.singleShot(SCREENSHOT_SETTLE_MS, grab_and_quit)

    def start() -> None:
        controller.play()
        QTimer.singleShot(SCREENSHOT_PLAY_MS, stop_playing)

    if present:
        QTimer.singleShot(0, window.toggle_presentation)
    # The critical points and the first frame arrive before the clock starts.
    QTimer.singleShot(SCREENSHOT_SETTLE_MS, start)
    status = application.exec()  # safe: Qt's event loop; no text is evaluated
    window.close()
    return outcome.get("status", status)


def screenshot_size() -> tuple[int, int]:
    """The --screenshot window's (width, height) in pixels: SCREENSHOT_SIZE, or DOWNHILL_SCREENSHOT_SIZE."""
    text = os.environ.get(SCREENSHOT_SIZE_VARIABLE, "").strip()
    if not text:
        return SCREENSHOT_SIZE
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit() and 200 <= int(width) <= 10_000 and 200 <= int(height) <= 10_000):
        raise DownhillError(f"{SCREENSHOT_SIZE_VARIABLE}={text}: give the window size as WIDTHxHEIGHT in pixels, "
                            "each from 200 to 10000 (e.g. 1280x720)")
    return int(width), int(height)


def _status_bar_excepthook(window, previous):
    """An exception in a Qt slot is reported (stderr and status bar) instead of aborting the lesson.

    PyQt6 calls ``sys.excepthook`` for an exception escaping a slot; its default is to abort the
    process. A classroom tool should keep running and say that something went wrong.
    """

    def hook(kind: type[BaseException], value: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, trace)
            return
        traceback.print_exception(kind, value, trace)
        try:
            message = str(value) if isinstance(value, DownhillError) else f"internal error: {kind.__name__}: {value}"
            window.show_message(message, error=True)
        except RuntimeError:  # the window is already gone
            pass

    return hook
