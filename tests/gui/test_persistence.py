"""Settings, recent files, autosave and crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
from PyQt6.QtCore import QByteArray, QSettings

from gui.persistence import (
    RECENT_FILES_LIMIT,
    AppSettings,
    Autosaver,
    SessionGuard,
    push_recent,
    start_up_notice,
)
from physics.scene_files import load_scene

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 20_000

#: A session that autosaves an edited scene and then dies without cleaning up (os._exit).
CRASHING_SESSION = textwrap.dedent("""
    import os, sys
    from PyQt6.QtWidgets import QApplication
    from PyQt6.QtCore import QEventLoop, QTimer
    app = QApplication([])
    from gui.controller import SceneController
    from gui.persistence import Autosaver, SessionGuard
    guard = SessionGuard()
    assert guard.begin() is None  # nothing to recover yet
    controller = SceneController("plateau-trap")
    autosaver = Autosaver(controller, guard, delay_ms=50)
    loop = QEventLoop()
    controller.surfaceChanged.connect(lambda _surface: QTimer.singleShot(300, loop.quit))
    controller.set_formula("x^2 - y^2 + 0.25*x")
    QTimer.singleShot(15000, loop.quit)
    loop.exec()
    assert guard.autosave_path.is_file(), "no autosave was written"
    os._exit(3)  # a crash: no clean-up, the lock file stays behind
""")


def settings_at(path: Path) -> AppSettings:
    return AppSettings(QSettings(str(path), QSettings.Format.IniFormat))


def test_push_recent_puts_the_item_first_without_duplicates():
    assert push_recent(["b", "a", "c"], "a", 3) == ["a", "b", "c"]
    assert push_recent(["a", "b", "c"], "d", 3) == ["d", "a", "b"]


def test_recent_files_are_newest_first_limited_and_only_existing(tmp_path):
    settings = settings_at(tmp_path / "settings.ini")
    files = []
    for number in range(RECENT_FILES_LIMIT + 2):
        path = tmp_path / f"scene{number}.json"
        path.write_text("{}")
        files.append(path)
        settings.add_recent_file(path)
    settings.add_recent_file(files[3])  # opened again: moves to the front
    recent = settings.recent_files()
    assert recent[0] == str(files[3].resolve())
    assert recent[1] == str(files[-1].resolve())
    assert len(recent) == RECENT_FILES_LIMIT and len(set(recent)) == RECENT_FILES_LIMIT
    files[-1].unlink()
    assert str(files[-1].resolve()) not in settings.recent_files()
    settings.sync()
    assert settings_at(tmp_path / "settings.ini").recent_files() == settings.recent_files()  # persisted
    settings.clear_recent_files()
    assert settings.recent_files() == []


def test_corrupted_settings_fall_back_to_defaults(qtbot, tmp_path, controller):
    path = tmp_path / "settings.ini"
    path.write_bytes(b"[window]\ngeometry=not bytes at all\nstate=@ByteArray(\\x01\\x02garbage)\n"
                     b"splitter=3\n[recent]\nfiles={not json\n[simulation]\nspeed=fast\n"
                     b"[formula]\nlast=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\x18)\n\xff\xfe\x00binary junk\n")
    settings = settings_at(path)
    assert settings.recent_files() == []
    assert settings.speed(7) == 7
    assert settings.last_formula() == ""
    assert settings.window_geometry() is None
    from gui.main_window import MainWindow

    window = MainWindow(controller, settings)
    qtbot.addWidget(window)
    speed, surface = controller.speed, controller.surface
    window.restore_layout()  # must not raise on the junk it reads
    window.restore_last_formula()
    assert controller.speed == speed and controller.surface is surface and not controller.building


def test_window_layout_round_trips_through_the_settings(qtbot, tmp_path, controller):
    from gui.main_window import MainWindow

    path = tmp_path / "settings.ini"
    window = MainWindow(controller, settings_at(path))
    qtbot.addWidget(window)
    window.loss_dock.hide()
    controller.set_speed(20)
    window.save_layout()
    controller.set_speed(1)
    again = MainWindow(controller, settings_at(path))
    qtbot.addWidget(again)
    again.restore_layout()
    assert controller.speed == 20
    assert again.loss_dock.isHidden() and not again.eigenvalue_dock.isHidden()
    assert isinstance(settings_at(path).window_geometry(), QByteArray)


def test_a_clean_session_leaves_nothing_to_recover(tmp_path):
    guard = SessionGuard(tmp_path)
    assert guard.begin() is None and guard.active
    guard.autosave_path.write_text("{}")
    guard.end()
    assert not guard.autosave_path.exists()
    again = SessionGuard(tmp_path)
    assert again.begin() is None
    again.end()


def test_a_second_instance_does_not_touch_the_first_ones_autosave(tmp_path):
    first = SessionGuard(tmp_path)
    first.begin()
    second = SessionGuard(tmp_path)
    assert second.begin() is None and not second.active
    second.discard_autosave()
    second.end()
    assert first.lock_path.exists()
    first.end()


def test_the_autosaver_writes_after_a_change_and_skips_identical_scenes(qtbot, tmp_path, controller):
    guard = SessionGuard(tmp_path)
    guard.begin()
    try:
        autosaver = Autosaver(controller, guard, delay_ms=20)
        controller.add_ball(start=(0.5, 0.5))  # ballsChanged schedules a save
        qtbot.waitUntil(guard.autosave_path.is_file, timeout=BUILD_TIMEOUT)
        saved = load_scene(guard.autosave_path)
        assert saved.balls == controller.balls and len(saved.balls) == 3
        stamp = guard.autosave_path.stat().st_mtime_ns
        assert autosaver.save_now()
        assert guard.autosave_path.stat().st_mtime_ns == stamp  # unchanged scene: not rewritten
    finally:
        guard.end()


def test_an_autosave_is_offered_back_after_a_crash(qtbot, tmp_path, controller):
    environment = dict(os.environ, DOWNHILL_CONFIG_DIR=str(tmp_path), QT_QPA_PLATFORM="offscreen",
                       PYTHONPATH=str(ROOT))
    crashed = subprocess.run([sys.executable, "-c", CRASHING_SESSION], env=environment, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
    assert crashed.returncode == 3, crashed.stderr
    guard = SessionGuard(tmp_path)
    offered = guard.begin()
    try:
        assert offered == guard.autosave_path
        assert load_scene(offered).formula == "x^2 - y^2 + 0.25*x"

        from gui.main_window import MainWindow

        window = MainWindow(controller, settings_at(tmp_path / "settings.ini"))
        qtbot.addWidget(window)
        window.set_autosaver(Autosaver(controller, guard))
        questions: list[str] = []
        with qtbot.waitSignal(controller.sceneChanged, timeout=BUILD_TIMEOUT):
            assert window.offer_recovery(offered, ask=lambda question: questions.append(question) or True)
        assert "did not close properly" in questions[0]
        assert controller.surface.text == "x^2 - y^2 + 0.25*x"
        assert window.scene_path is None  # a recovered scene is not the autosave file
    finally:
        guard.end()


def test_declining_the_recovery_discards_the_autosave(qtbot, tmp_path, controller):
    guard = SessionGuard(tmp_path)
    guard.begin()
    guard.autosave_path.write_text(controller.current_scene().to_json())
    try:
        from gui.main_window import MainWindow

        window = MainWindow(controller, settings_at(tmp_path / "settings.ini"))
        qtbot.addWidget(window)
        window.set_autosaver(Autosaver(controller, guard))
        assert not window.offer_recovery(guard.autosave_path, ask=lambda _question: False)
        assert not guard.autosave_path.exists()
    finally:
        guard.end()


def test_every_qsettings_of_the_tests_lives_in_the_temporary_directory(config_directory):
    assert QSettings().fileName().startswith(config_directory)
    assert QSettings().format() == QSettings.Format.IniFormat


# -- the whole app in a process of its own: start-up, signals, exit, files left on disk -------------

#: Runs the app as ``python main.py`` does (gui.app.run_app) and drives it from inside: SCENARIO,
#: test code appended below, is started by a timer once the event loop runs. ``when(condition,
#: action)`` waits (polling the event loop) until ``condition()`` holds, then calls ``action``;
#: ``window()`` is the main window once it is up and idle; ``terminate()`` sends SIGTERM to the app
#: itself. The process prints what the test checks and exits with run_app's status.
APP_DRIVER = textwrap.dedent("""
    import os, signal, sys
    import gui.views  # before the QApplication: OpenGL widgets share one context group
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication, QMessageBox
    application = QApplication(sys.argv[:1])
    from gui.app import run_app
    from gui.main_window import MainWindow

    def window():
        for widget in application.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible() and not widget.controller.building:
                return widget
        return None

    def box(name):
        return next((w for w in application.topLevelWidgets()
                     if isinstance(w, QMessageBox) and w.objectName() == name and w.isVisible()), None)

    def when(condition, action, tries=[0]):
        tries[0] += 1
        if tries[0] > 600:  # a minute of polling: the scenario is stuck
            print("STUCK", flush=True)
            os._exit(9)
        if condition():
            tries[0] = 0
            action()
        else:
            QTimer.singleShot(100, lambda: when(condition, action))

    def terminate():
        os.kill(os.getpid(), signal.SIGTERM)

    def say(label, text):
        print(f"{label}: {text}", flush=True)
""")


def run_app_scenario(scenario: str, environment: dict[str, str],
                     unset: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """Run the app with ``scenario`` (see APP_DRIVER) in ``environment`` (merged over ours, less ``unset``)."""
    script = APP_DRIVER + textwrap.dedent(scenario) + "\nQTimer.singleShot(0, start)\nsys.exit(run_app())\n"
    env = {key: value for key, value in os.environ.items() if key not in unset}
    env.update(environment, PYTHONPATH=str(ROOT))
    if not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=180)


def said(result: subprocess.CompletedProcess, label: str) -> str:
    """What the scenario printed after ``label:`` (one line)."""
    lines = [line for line in result.stdout.splitlines() if line.startswith(f"{label}: ")]
    assert lines, f"no {label!r} in the output:\n{result.stdout}\n{result.stderr}"
    return lines[-1][len(label) + 2:]


def assert_clean_exit(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr


#: Report the status bar once the window is up, then SIGTERM.
REPORT_STATUS_AND_TERMINATE = """
    def start():
        when(lambda: window() is not None, report)

    def report():
        say("status", window().statusBar().currentMessage())
        terminate()
"""


@pytest.mark.parametrize("hostile", ["config dir is a file", "config dir under a file", "home is a file"])
def test_the_app_starts_works_and_exits_cleanly_when_its_folders_cannot_be_made(tmp_path, hostile):
    # Root ignores permissions, so a regular file stands in the folders' way (as a read-only mount would).
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    if hostile == "home is a file":
        # The default folders, under $HOME. The compiled-kernel cache keeps its usual place: this
        # test is about settings and autosave.
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        result = run_app_scenario(REPORT_STATUS_AND_TERMINATE, {"HOME": str(blocker), "XDG_CACHE_HOME": cache},
                                  unset=("DOWNHILL_CONFIG_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"))
    else:
        directory = blocker if hostile == "config dir is a file" else blocker / "downhill"
        result = run_app_scenario(REPORT_STATUS_AND_TERMINATE, {"DOWNHILL_CONFIG_DIR": str(directory)})
    assert_clean_exit(result)
    status = said(result, "status")
    assert status.startswith("Settings and autosave are off: ")
    assert f"{blocker} is a file, not a folder" in status


def test_the_settings_damaged_and_a_second_instance_are_each_said_once(tmp_path):
    settings_file = tmp_path / "Downhill" / "Downhill.ini"
    settings_file.parent.mkdir()
    settings_file.write_bytes(b"[window]\ngeometry=not bytes\n\xff\xfe\x00binary junk\n[[[\n")
    first = SessionGuard(tmp_path)  # this test process is the first instance: its lock is live
    assert first.begin() is None and first.active
    try:
        result = run_app_scenario(REPORT_STATUS_AND_TERMINATE, {"DOWNHILL_CONFIG_DIR": str(tmp_path)})
        assert_clean_exit(result)
        status = said(result, "status")
        assert f"The settings file {settings_file} was damaged" in status
        assert "Autosave is off: another Downhill window is open" in status
        assert first.lock_path.exists()  # the second instance left the first one's lock alone
    finally:
        first.end()


#: Type a formula and add a ball (the scene now differs from the one opened), then SIGTERM.
EDIT_AND_TERMINATE = """
    FORMULA = "x^2 - y^2 + 0.5*x"

    def start():
        when(lambda: window() is not None, edit)

    def edit():
        window().use_formula(FORMULA)
        when(lambda: window() is not None and window().controller.surface.text == FORMULA, add)

    def add():
        window().add_ball_at_centre()
        say("balls", len(window().controller.balls))
        terminate()
"""

#: Answer the recovery question with Restore, then File > Quit and Discard in the Save question.
RESTORE_THEN_QUIT_AND_DISCARD = """
    from PyQt6.QtGui import QAction

    def start():
        when(lambda: box("recoveryQuestion") is not None, restore)

    def restore():
        question = box("recoveryQuestion")
        say("question", question.text().replace("\\n", " "))
        question.button(QMessageBox.StandardButton.Yes).click()
        when(lambda: window() is not None and window().controller.surface.text == FORMULA, quit)

    def quit():
        say("restored", f"{window().controller.surface.text} with {len(window().controller.balls)} balls")
        say("title", window().windowTitle())
        when(lambda: box("saveChangesQuestion") is not None, discard)
        next(a for a in window().findChildren(QAction) if a.text() == "&Quit").trigger()

    def discard():
        box("saveChangesQuestion").button(QMessageBox.StandardButton.Discard).click()

    FORMULA = "x^2 - y^2 + 0.5*x"
"""


def test_sigterm_keeps_unsaved_work_which_the_next_start_restores(tmp_path):
    environment = {"DOWNHILL_CONFIG_DIR": str(tmp_path)}
    guard = SessionGuard(tmp_path)
    first = run_app_scenario(EDIT_AND_TERMINATE, environment)
    assert_clean_exit(first)
    balls = int(said(first, "balls"))
    assert guard.autosave_path.is_file(), "the unsaved scene was deleted at exit"
    kept = load_scene(guard.autosave_path)
    assert kept.formula == "x^2 - y^2 + 0.5*x" and len(kept.balls) == balls
    assert not guard.lock_path.exists()  # a clean exit, not a crash

    second = run_app_scenario(RESTORE_THEN_QUIT_AND_DISCARD, environment)
    assert_clean_exit(second)
    assert "closed with unsaved changes" in said(second, "question")
    assert said(second, "restored") == f"x^2 - y^2 + 0.5*x with {balls} balls"
    assert said(second, "title").endswith("(modified)")
    # Discard was the teacher's choice: nothing is kept.
    assert not guard.autosave_path.exists() and not guard.lock_path.exists()


def test_closing_while_the_restore_question_is_unanswered_keeps_the_autosave(tmp_path):
    from physics.preset_scenes import PRESET_SCENES

    guard = SessionGuard(tmp_path)
    scene = replace(PRESET_SCENES["saddle-noise"], formula="x^2 - y^2 + 0.125*x")
    guard.autosave_path.write_text(scene.to_json())
    before = guard.autosave_path.read_bytes()
    scenario = """
        def start():
            when(lambda: box("recoveryQuestion") is not None, terminate)
    """
    result = run_app_scenario(scenario, {"DOWNHILL_CONFIG_DIR": str(tmp_path)})
    assert_clean_exit(result)
    assert guard.autosave_path.read_bytes() == before
    assert not guard.lock_path.exists()
    assert guard.begin() == guard.autosave_path  # offered again at the next start
    guard.end(keep_autosave=True)


def test_an_autosave_folder_lost_mid_session_is_said_once_and_the_app_exits_cleanly(tmp_path):
    scenario = """
        from gui.persistence import Autosaver

        messages = []

        def start():
            when(lambda: window() is not None, break_the_folder)

        def break_the_folder():
            window().statusBar().messageChanged.connect(messages.append)
            autosaver = window().findChild(Autosaver)
            os.mkdir(autosaver.guard.autosave_path)  # a folder where the autosave goes: every save fails
            window().add_ball_at_centre()
            say("saved", autosaver.save_now())
            window().add_ball_at_centre()
            say("saved again", autosaver.save_now())
            say("failures said", sum("Autosave failed" in message for message in messages))
            say("status", window().statusBar().currentMessage())
            terminate()
    """
    result = run_app_scenario(scenario, {"DOWNHILL_CONFIG_DIR": str(tmp_path)})
    assert_clean_exit(result)
    assert said(result, "saved") == "False" and said(result, "saved again") == "False"
    assert said(result, "failures said") == "1"
    status = said(result, "status")
    assert status.startswith("Autosave failed: cannot save the scene") and "File > Save" in status
    assert not (tmp_path / "session.lock").exists()


def unreadable_autosave(kind: str, scene_json: str) -> bytes:
    """An autosave this version cannot restore: from a newer version, a formula that no longer
    parses, or over the size limit."""
    import json

    from physics.scenes import MAX_SCENE_BYTES

    data = json.loads(scene_json)
    if kind == "newer version":
        data["version"] = 99
    elif kind == "formula no longer parses":
        data["formula"] = "x^2 +* y"
    else:
        data["description"] = " " * 10
        return (json.dumps(data, indent=2) + " " * (MAX_SCENE_BYTES + 1)).encode()
    return json.dumps(data, indent=2).encode()


@pytest.mark.parametrize("kind", ["newer version", "formula no longer parses", "over the size limit"])
def test_an_autosave_that_cannot_be_restored_is_kept_aside_and_the_user_told_where(qtbot, tmp_path, controller,
                                                                                   kind):
    from gui.main_window import MainWindow

    guard = SessionGuard(tmp_path)
    content = unreadable_autosave(kind, controller.current_scene().to_json())
    guard.autosave_path.write_bytes(content)
    offered = guard.begin()
    assert offered == guard.autosave_path
    window = MainWindow(controller, settings_at(tmp_path / "settings.ini"))
    qtbot.addWidget(window)
    autosaver = Autosaver(controller, guard, delay_ms=20)
    window.set_autosaver(autosaver)
    scene_before = controller.current_scene()
    with qtbot.waitSignal(controller.sceneFileFailed, timeout=BUILD_TIMEOUT):
        assert window.offer_recovery(offered, ask=lambda _question: True)
    assert controller.current_scene() == scene_before  # the scene on screen stays
    aside = list(tmp_path.glob("autosave-unreadable-*.json"))
    assert len(aside) == 1 and aside[0].read_bytes() == content
    message = window.statusBar().currentMessage()
    assert "could not be restored" in message and str(aside[0]) in message
    # Autosave carries on for this session's scene, in the usual file.
    controller.add_ball(start=(0.25, 0.25))
    qtbot.waitUntil(guard.autosave_path.is_file, timeout=BUILD_TIMEOUT)
    assert len(load_scene(guard.autosave_path).balls) == len(scene_before.balls) + 1
    guard.end(keep_autosave=window.autosave_needed())
    assert aside[0].read_bytes() == content  # still there after the exit


def test_the_lock_is_released_even_where_the_autosave_cannot_be_deleted(tmp_path):
    guard = SessionGuard(tmp_path)
    guard.begin()
    guard.autosave_path.mkdir()  # a folder stands where the autosave goes
    guard.end()
    assert not guard.lock_path.exists()
    again = SessionGuard(tmp_path)
    assert again.begin() is None and again.active  # taken at once: nothing stale left
    again.end()


def test_start_up_notice_says_each_problem_once():
    assert start_up_notice("", "") == ""
    assert start_up_notice("", "another Downhill window is open") == (
        "Autosave is off: another Downhill window is open")
    assert start_up_notice("cannot create the folder /a/b/Downhill: /a is a file, not a folder",
                           "cannot create the folder /a/b: /a is a file, not a folder") == (
        "Settings and autosave are off: /a is a file, not a folder (settings and autosave need folders there)")
    damaged = "The settings file /s.ini was damaged: what could not be read is back to its default"
    assert start_up_notice("", "", damaged) == damaged
