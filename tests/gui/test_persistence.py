"""Settings, recent files, autosave and crash recovery."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PyQt6.QtCore import QByteArray, QSettings

from gui.persistence import RECENT_FILES_LIMIT, AppSettings, Autosaver, SessionGuard, push_recent
from physics.scenes import load_scene

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
