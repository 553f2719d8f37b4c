"""The app as a teacher drives it, with mouse and keyboard (pytest-qt), plus the command line's app paths."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, QSettings, Qt
from PyQt6.QtGui import QAction, QImage
from PyQt6.QtWidgets import QLabel, QMessageBox

from gui.controller import SceneController
from gui.main_window import FORMULA_SHARE, MainWindow
from gui.persistence import AppSettings
from physics.scene_files import load_scene

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 20_000


@pytest.fixture
def window(qtbot, controller, tmp_path):
    window = MainWindow(controller, settings_in(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    # Window shortcuts need the active window (a desktop's window manager makes it so; Xvfb has none).
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=BUILD_TIMEOUT)
    yield window
    window.close()


def settings_in(path: Path) -> AppSettings:
    return AppSettings(QSettings(str(path), QSettings.Format.IniFormat))


def type_formula(qtbot, window: MainWindow, text: str) -> None:
    field = window.formula_editor.field
    qtbot.mouseClick(field, Qt.MouseButton.LeftButton)
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    qtbot.keyClicks(field, text)


def click_map(qtbot, window: MainWindow, x: float, y: float, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    viewport = window.map_view.plot_widget.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, modifier, window.map_view.data_to_widget(x, y))


def pixel_size(window: MainWindow) -> float:
    """Data units per pixel of the map (for tolerances of clicked positions)."""
    a = window.map_view.data_to_widget(0.0, 0.0)
    b = window.map_view.data_to_widget(1.0, 0.0)
    return 1.0 / max(1, abs(b.x() - a.x()))


def test_typing_a_formula_rebuilds_the_surface(qtbot, window, controller):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT) as blocker:
        type_formula(qtbot, window, "x^2 + 2*y^2 - x*y")
    assert blocker.args[0].text == "x^2 + 2*y^2 - x*y"
    assert controller.surface.text == "x^2 + 2*y^2 - x*y"
    # The spaces went into the formula, not to the transport.
    assert not controller.playing and controller.step_index == 0
    # The map shows the new surface: its grid holds f(x, y) = x^2 + 2y^2 - xy.
    sample = window.map_view.sample
    i, j = len(sample.xs) // 3, len(sample.ys) // 4
    x, y = sample.xs[i], sample.ys[j]
    assert sample.heights[i, j] == pytest.approx(x * x + 2 * y * y - x * y)


def test_a_bad_formula_shows_its_error_and_keeps_the_surface(qtbot, window, controller):
    before = controller.surface
    with qtbot.waitSignal(controller.formulaError, timeout=BUILD_TIMEOUT) as blocker:
        type_formula(qtbot, window, "x^2 +* y")
    assert blocker.args[0].column == 6
    qtbot.waitUntil(window.formula_editor.error_label.isVisible)
    assert "needs something on its left" in window.formula_editor.error_label.text()
    assert window.formula_editor.field.marked_column == 6
    assert "Formula not accepted" in window.statusBar().currentMessage()
    assert controller.surface is before


def test_a_click_on_the_map_drops_a_ball_there(qtbot, window, controller):
    count = len(controller.balls)
    click_map(qtbot, window, 1.25, -0.75)
    assert len(controller.balls) == count + 1
    assert controller.selected == count
    start = np.array(controller.balls[-1].start)
    np.testing.assert_allclose(start, [1.25, -0.75], atol=2 * pixel_size(window))
    # It is drawn there at once, at step 0.
    np.testing.assert_allclose(controller.state(count).positions[0], start)


def test_shift_click_moves_the_selected_balls_start(qtbot, window, controller):
    controller.select(0)
    count = len(controller.balls)
    click_map(qtbot, window, -1.5, 0.5, Qt.KeyboardModifier.ShiftModifier)
    assert len(controller.balls) == count
    np.testing.assert_allclose(controller.balls[0].start, [-1.5, 0.5], atol=2 * pixel_size(window))


def test_dragging_a_start_reruns_that_ball(qtbot, window, controller):
    controller.simulation.step(5)
    window.map_view.startDragged.emit(1, 0.5, 1.0)  # what the map emits when a drag ends
    assert controller.balls[1].start == (0.5, 1.0)
    np.testing.assert_allclose(controller.state(1).positions[0], [0.5, 1.0])


def test_space_runs_the_balls_right_steps_and_r_resets(qtbot, window, controller):
    click_map(qtbot, window, 1.0, 1.0)
    window.map_view.plot_widget.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert controller.playing
    qtbot.waitUntil(lambda: controller.step_index >= 5, timeout=BUILD_TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not controller.playing
    steps = controller.step_index
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert controller.step_index == steps + 1 and not controller.playing
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert controller.step_index == 0
    speed = controller.speed
    qtbot.keyClick(window, Qt.Key.Key_Plus)
    assert controller.speed > speed
    qtbot.keyClick(window, Qt.Key.Key_Minus)
    assert controller.speed == speed
    assert window.transport.step_label.text() == "step 0"


def test_space_in_the_formula_field_types_a_space(qtbot, window, controller):
    field = window.formula_editor.field
    field.setFocus()
    field.setText("x^2")
    field.end(False)
    speed = controller.speed
    qtbot.keyClick(field, Qt.Key.Key_Space)
    qtbot.keyClick(field, Qt.Key.Key_Plus, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(field, Qt.Key.Key_R)
    assert field.text() == "x^2 +r"
    assert not controller.playing and controller.step_index == 0 and controller.speed == speed


def test_enter_in_the_formula_field_hands_the_keyboard_to_the_views(qtbot, window, controller):
    field = window.formula_editor.field
    field.setFocus()
    field.setText("x^2 + y^2")
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        qtbot.keyClick(field, Qt.Key.Key_Return)
    assert not field.hasFocus()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert controller.playing
    controller.pause()


def test_the_panels_receive_the_balls_data(qtbot, window, controller):
    panels = [window.eigenvalue_panel, window.step_size_panel, window.loss_panel, window.gradient_norm_panel]
    window.map_view.plot_widget.setFocus()
    for _ in range(12):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    assert controller.step_index == 12
    before = {}
    for panel in panels:
        keys = panel.curve_keys()
        assert keys, f"{type(panel).__name__} draws nothing"
        before[panel] = {key: len(panel.curve_data(*key)[0]) for key in keys}
        assert max(before[panel].values()) >= 10, type(panel).__name__
    _steps, loss = window.loss_panel.curve_data(0, "loss")
    np.testing.assert_allclose(loss[-1], controller.history(0).loss[-1])
    for _ in range(8):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    for panel, lengths in before.items():
        qtbot.waitUntil(lambda p=panel, n=lengths: any(len(p.curve_data(*key)[0]) > count for key, count in n.items()),
                        timeout=BUILD_TIMEOUT)
    assert window.readout_panel.isVisible()


def test_a_saved_scene_reopens_and_runs_identically(qtbot, window, controller, tmp_path):
    click_map(qtbot, window, 0.8, -0.6)
    window.set_overlay("eigenvectors", False)
    path = tmp_path / "lesson.json"
    assert window.save_scene_file(path)
    assert window.windowTitle().startswith("Downhill — lesson.json")
    assert str(path.resolve()) in window.settings.recent_files()
    assert load_scene(path).view.overlay("eigenvectors") is False

    other_controller = SceneController()
    other = MainWindow(other_controller, settings_in(tmp_path / "other.ini"))
    qtbot.addWidget(other)
    try:
        with qtbot.waitSignal(other_controller.sceneFileOpened, timeout=BUILD_TIMEOUT):
            other.open_scene_file(path)
        qtbot.waitUntil(lambda: not other.overlay_actions["eigenvectors"].isChecked(), timeout=BUILD_TIMEOUT)
        assert not other.map_view.overlay("eigenvectors")
        assert other_controller.balls == controller.balls
        controller.reset()
        for _ in range(25):
            controller.step_once()
            other_controller.step_once()
        for index in range(len(controller.balls)):
            np.testing.assert_array_equal(controller.history(index).positions,
                                          other_controller.history(index).positions)
    finally:
        other.close()
        other_controller.shutdown()


def test_a_saved_camera_reopens_exactly(qtbot, window, controller, tmp_path, require_gl, keep_alive):
    view = window.view3d
    qtbot.waitUntil(lambda: view.gl_widget.isValid(), timeout=BUILD_TIMEOUT)
    view.set_camera(azimuth=25.0, elevation=41.0, distance=7.25)  # distance in surface units
    path = tmp_path / "camera.json"
    assert window.save_scene_file(path)
    saved = load_scene(path).view
    assert (saved.azimuth, saved.elevation, saved.distance) == pytest.approx((25.0, 41.0, 7.25))

    # Another window, of another size: the camera comes back as saved.
    other_controller = SceneController()
    other = keep_alive(MainWindow(other_controller, settings_in(tmp_path / "other.ini")))
    qtbot.addWidget(other)
    other.resize(1200, 760)
    other.show()
    qtbot.waitExposed(other)
    with qtbot.waitSignal(other_controller.sceneFileOpened, timeout=BUILD_TIMEOUT):
        other.open_scene_file(path)
    expected = {"azimuth": 25.0, "elevation": 41.0, "distance": 7.25}
    qtbot.waitUntil(lambda: other.view3d.camera() == pytest.approx(expected), timeout=BUILD_TIMEOUT)
    other.sync_view()
    assert (other_controller.view.azimuth, other_controller.view.elevation,
            other_controller.view.distance) == pytest.approx((25.0, 41.0, 7.25))


def test_the_height_note_is_in_the_views_not_in_the_status_bar(qtbot, window, controller):
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("rosenbrock")
    assert "compressed" in window.map_view.display_note
    bar_texts = [label.text() for label in window.statusBar().findChildren(QLabel)]
    assert not any("compressed" in text for text in bar_texts)
    assert "compressed" not in window.statusBar().currentMessage()


def test_the_formula_dock_fits_its_contents_and_folding_the_derivatives_gives_the_balls_room(qtbot, window,
                                                                                             controller):
    editor, formula_dock, balls_dock = window.formula_editor, window.formula_dock, window.balls_dock
    form_scroll = window.ball_list.form_scroll
    assert (window.width(), window.height()) == (1600, 900)

    def typeset() -> bool:
        view = editor.typeset_view
        return not view.busy and view._shown == (controller.surface.latex, controller.surface.gradient_latex,
                                                 controller.surface.hessian_latex)

    # The plateau's derivatives are long: they scroll, and the formula takes at most its share of the column.
    qtbot.waitUntil(typeset, timeout=BUILD_TIMEOUT)
    share = FORMULA_SHARE + 0.05  # Qt lands a few pixels off a requested size
    qtbot.waitUntil(lambda: formula_dock.height() <= share * (formula_dock.height() + balls_dock.height()),
                    timeout=BUILD_TIMEOUT)
    qtbot.waitUntil(lambda: editor.typeset_scroll.verticalScrollBar().maximum() > 0, timeout=BUILD_TIMEOUT)

    # Short derivatives are shown whole, and the dock is no taller than they need.
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        controller.set_formula("x^2 + y^4/4 - y^2/2")
    qtbot.waitUntil(typeset, timeout=BUILD_TIMEOUT)
    qtbot.waitUntil(lambda: formula_dock.height() == formula_dock.sizeHint().height(), timeout=BUILD_TIMEOUT)
    assert editor.typeset_scroll.verticalScrollBar().maximum() == 0
    # The Balls dock takes the rest: at 1600 x 900 the method, its settings and the noise show.
    form = window.ball_list.form
    for widget in (form.optimizer, form.hyperparameters.editors["lr"].widget, form.sigma):
        corner = widget.mapTo(form_scroll.viewport(), widget.rect().bottomRight())
        assert form_scroll.viewport().rect().contains(corner), widget.accessibleName()

    before = balls_dock.height()
    editor.typeset_button.click()
    assert not editor.typeset_shown and not editor.typeset_scroll.isVisible()
    qtbot.waitUntil(lambda: balls_dock.height() > before + 100, timeout=BUILD_TIMEOUT)
    qtbot.waitUntil(lambda: form_scroll.verticalScrollBar().maximum() == 0, timeout=BUILD_TIMEOUT)  # all of it

    # The choice is kept with the window's layout.
    window.save_layout()
    assert window.settings.typeset_shown() is False
    editor.typeset_button.click()
    qtbot.waitUntil(lambda: balls_dock.height() == before, timeout=BUILD_TIMEOUT)


def test_a_gallery_scene_after_a_file_is_not_saved_over_that_file(qtbot, window, controller, tmp_path):
    path = tmp_path / "mine.json"
    assert window.save_scene_file(path)
    with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT):
        window.presets_gallery.load_scene("rosenbrock-race")
    assert window.scene_path is None
    assert "mine.json" not in window.windowTitle() and "(modified)" not in window.windowTitle()
    assert load_scene(path).formula != "rosenbrock"  # the file is untouched, and Save would ask where
    # Reopening the file makes it the scene's file again.
    with qtbot.waitSignal(controller.sceneFileOpened, timeout=BUILD_TIMEOUT):
        window.open_scene_file(path)
    assert window.scene_path == path.resolve() and window.windowTitle().startswith("Downhill — mine.json")


def test_view_menu_overlays_switch_the_map_and_are_kept_in_the_scene(qtbot, window, controller):
    window.overlay_actions["trails"].trigger()
    assert not window.map_view.overlay("trails")
    assert controller.current_scene().view.overlay("trails") is False
    window.overlay_actions["trails"].trigger()
    assert window.map_view.overlay("trails")


def test_without_opengl_the_map_opens_with_a_note(qtbot, controller, tmp_path, monkeypatch):
    monkeypatch.setenv("DOWNHILL_NO_3D", "1")
    window = MainWindow(controller, settings_in(tmp_path / "s.ini"))
    qtbot.addWidget(window)
    window.show()
    assert window.view3d is None
    assert window.gl_note is not None and "No 3D view" in window.gl_note.text()
    assert window.map_view.isVisible() and not window.reset_camera_action.isEnabled()


def test_the_window_image_includes_the_3d_view(qtbot, window, require_gl):
    qtbot.waitUntil(lambda: window.view3d is not None and window.view3d.gl_widget.isValid(), timeout=BUILD_TIMEOUT)
    corner = window.view3d.gl_widget.mapTo(window, QPoint(0, 0))
    size = window.view3d.gl_widget.size()

    def colours_in_the_3d_view() -> int:
        image = window.grab_window_image()
        assert image.size() == window.size() * image.devicePixelRatio()
        return distinct_colours(image.copy(corner.x(), corner.y(), size.width(), size.height()))

    # A shaded surface, not an empty black rectangle.
    qtbot.waitUntil(lambda: colours_in_the_3d_view() > 200, timeout=BUILD_TIMEOUT)


# -- the command line ----------------------------------------------------------------------------


def distinct_colours(image: QImage) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pointer = image.constBits()
    pointer.setsize(image.sizeInBytes())
    pixels = np.frombuffer(pointer, dtype=np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return len(np.unique(pixels[:, : image.width()]))


def run_main(*arguments: str, environment: dict[str, str] | None = None, timeout: float = 180):
    env = dict(os.environ if environment is None else environment)
    env.setdefault("DOWNHILL_CONFIG_DIR", os.environ["DOWNHILL_CONFIG_DIR"])
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *arguments], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def test_screenshot_writes_a_png_of_the_window(tmp_path):
    target = tmp_path / "shot.png"
    result = run_main("--screenshot", str(target))
    assert result.returncode == 0, result.stderr
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1600, 900)
    assert distinct_colours(image) > 1000  # a window full of plots and a landscape, not a blank frame


def test_screenshot_works_where_the_settings_folder_cannot_be_made(tmp_path):
    blocker = tmp_path / "a-file"  # a file where the folder should be (root ignores permissions)
    blocker.write_text("not a folder")
    target = tmp_path / "shot.png"
    environment = dict(os.environ, DOWNHILL_CONFIG_DIR=str(blocker / "downhill"))
    result = run_main("--screenshot", str(target), environment=environment)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert QImage(str(target)).width() == 1600


def test_screenshot_into_a_missing_folder_fails_with_one_line(tmp_path):
    result = run_main("--screenshot", str(tmp_path / "no" / "such" / "folder" / "shot.png"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_scene_fails_with_one_line():
    result = run_main("--scene", "no-such-scene-anywhere")
    assert result.returncode == 2
    assert result.stderr.startswith("downhill: ") and result.stderr.count("\n") == 1
    assert "saddle-noise" in result.stderr  # it lists the preset scenes


def test_without_a_display_it_says_what_to_do():
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    environment["QT_QPA_PLATFORM"] = ""
    result = run_main(environment=environment)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "xvfb-run" in result.stderr and "QT_QPA_PLATFORM" in result.stderr


def test_the_view_menu_hides_a_view_but_never_both(qtbot, window, controller):
    window.show_3d_action.setChecked(False)
    assert not window.splitter.widget(0).isVisible() and window.map_view.isVisible()
    assert controller.current_scene().view.layout == "2d"
    window.show_map_action.setChecked(False)  # the last view shown: the other comes back instead
    assert window.splitter.widget(0).isVisible() and not window.map_view.isVisible()
    assert controller.current_scene().view.layout == "3d"
    window.show_map_action.setChecked(True)
    assert controller.current_scene().view.layout == "both"


def test_a_3d_view_whose_context_fails_gives_way_to_the_note(qtbot, window, require_gl, monkeypatch):
    view = window.view3d
    monkeypatch.setattr(view.gl_widget, "isValid", lambda: False)
    window._check_gl_context()  # what runs a moment after the window first shows
    assert window.view3d is None and window.splitter.widget(0) is window.gl_note
    assert "could not be created" in window.gl_note.text()
    assert "3D view off" in window.statusBar().currentMessage()


def test_display_problem_knows_when_a_window_can_open():
    from gui.app import display_problem

    assert "xvfb-run" in display_problem({}, "linux")
    # A DISPLAY must also have an X server behind it: tests/gui/test_x_display.py.
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") == ""
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") == ""
    assert display_problem({"QT_QPA_PLATFORM": "xcb"}, "linux") != ""
    assert display_problem({}, "darwin") == "" and display_problem({}, "win32") == ""


def test_the_heap_settled_at_start_up_keeps_a_build_from_freezing_the_window() -> None:
    # In a process of its own (freezing the heap is for the app's lifetime, not a test run's): with
    # start-up's objects frozen, a full collection during a build walks only the build's objects.
    # Timed in the thread's processor time: a loaded machine's pre-emption is not the collection's cost.
    script = (
        "import gc, time, threading\n"
        "from gui.app import settle_heap\n"
        "import gui.main_window, surfaces.surface as s\n"
        "settle_heap()\n"
        "frozen = gc.get_freeze_count()\n"
        "longest = [0.0]\n"
        "def collected(phase, info):\n"
        "    if phase == 'start': collected.t = time.thread_time()\n"
        "    else: longest[0] = max(longest[0], time.thread_time() - collected.t)\n"
        "gc.callbacks.append(collected)\n"
        "s.build_surface('(' + '+'.join(f'sin({k}*x+{k+1}*y)*cos({k+2}*x*y)' for k in range(1, 25)) + ')^3')\n"
        "print(frozen, longest[0])\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    frozen, longest = result.stdout.split()
    assert int(frozen) > 50_000  # start-up's modules, SymPy and Qt
    assert float(longest) < 0.04  # processor seconds (unfrozen, a full collection here takes 50-70 ms)


# -- unsaved changes on closing -------------------------------------------------------------------


def edit_scene(qtbot, window: MainWindow, controller) -> None:
    """A new formula typed (Enter) and a ball dropped on the map: changes worth saving."""
    with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
        type_formula(qtbot, window, "x^2 - y^2 + 0.5*x")
        qtbot.keyClick(window.formula_editor.field, Qt.Key.Key_Return)
    click_map(qtbot, window, 0.4, 0.3)
    assert window.windowTitle().endswith("(modified)")


@contextmanager
def asking_to_save(window: MainWindow) -> Iterator[None]:
    """The window asks Save / Discard / Cancel on closing, as in the app; off again afterwards, so
    that a test failing half-way does not leave a question blocking the teardown's close."""
    window.ask_to_save = True
    try:
        yield
    finally:
        window.ask_to_save = False


def quit_action(window: MainWindow):
    return next(action for action in window.findChildren(QAction) if action.text() == "&Quit")


def test_quitting_with_unsaved_changes_asks_and_save_writes_them(qtbot, answer_save_question,
                                                                 window, controller, tmp_path):
    path = tmp_path / "lesson.json"
    assert window.save_scene_file(path)
    with asking_to_save(window):
        edit_scene(qtbot, window, controller)
        seen = answer_save_question(QMessageBox.StandardButton.Save)
        qtbot.keyClick(window.map_view.plot_widget, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)  # File > Quit
        assert seen and "lesson.json" in seen[0]
        assert not window.isVisible()
        saved = load_scene(path)
        assert saved.formula == "x^2 - y^2 + 0.5*x" and saved.balls == controller.balls
        assert not window.autosave_needed()  # safe in the file: the autosave may go


def test_closing_the_window_with_unsaved_changes_and_discarding_them(qtbot, answer_save_question,
                                                                     window, controller, tmp_path):
    path = tmp_path / "lesson.json"
    assert window.save_scene_file(path)
    before = path.read_bytes()
    with asking_to_save(window):
        edit_scene(qtbot, window, controller)
        seen = answer_save_question(QMessageBox.StandardButton.Discard)
        assert window.close()  # the window's close button
        assert seen and not window.isVisible()
        assert path.read_bytes() == before
        assert not window.autosave_needed()  # the teacher chose to let the changes go


def test_cancel_in_the_save_question_keeps_the_window_and_the_changes(qtbot, answer_save_question,
                                                                      window, controller, tmp_path):
    with asking_to_save(window):
        edit_scene(qtbot, window, controller)
        balls = controller.balls
        seen = answer_save_question(QMessageBox.StandardButton.Cancel)
        quit_action(window).trigger()
        assert seen and window.isVisible()
        assert controller.balls == balls and controller.surface.text == "x^2 - y^2 + 0.5*x"
        assert window.has_unsaved_changes() and window.autosave_needed()


def test_an_unchanged_scene_quits_without_a_question(qtbot, answer_save_question, window, controller, tmp_path):
    controller.set_speed(4)
    # A preset scene (speed 1) loaded over the changed one: it is the scene to compare with now.
    with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT):
        window.presets_gallery.load_scene("saddle-noise")
    assert not window.has_unsaved_changes()
    # Running it, and turning the 3D camera, are not edits.
    for _ in range(5):
        controller.step_once()
    window.sync_view()
    assert not window.has_unsaved_changes()
    with asking_to_save(window):
        seen = answer_save_question(QMessageBox.StandardButton.Cancel)
        quit_action(window).trigger()
        assert seen == [] and not window.isVisible()
        assert not window.autosave_needed()


def test_the_last_sessions_formula_restored_at_start_is_not_an_unsaved_change(qtbot, answer_save_question,
                                                                              controller, tmp_path):
    settings = settings_in(tmp_path / "settings.ini")
    settings.set_last_formula("x^2 + 3*y^2")
    window = MainWindow(controller, settings, ask_to_save=True)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(controller.surfaceChanged, timeout=BUILD_TIMEOUT):
            window.restore_last_formula()
        assert controller.surface.text == "x^2 + 3*y^2"
        assert not window.has_unsaved_changes()
        seen = answer_save_question(QMessageBox.StandardButton.Cancel)
        assert window.close() and seen == []
    finally:
        window.ask_to_save = False
