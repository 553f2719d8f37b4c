"""``main.py --lesson NAME_OR_FILE [--present]``: the command line's lessons, and a lesson presented.

The command line is run as a user runs it (a subprocess on the current display, its settings in a
temporary folder); the one screenshot run checks the picture is the presentation window's, at the
screen's size, in its light theme. The in-process test opens a built-in lesson in a main window
and enters presentation mode as F5 does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyQt6.QtGui import QColor, QGuiApplication, QImage

from gui.export.annotations import THEMES
from gui.screen_text import on_screen

MAIN = Path(__file__).resolve().parents[2] / "main.py"


def run_main(*args: str, tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "DOWNHILL_CONFIG_DIR": str(tmp_path / "config"), "DOWNHILL_NO_3D": "1"}
    return subprocess.run([sys.executable, str(MAIN), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, cwd=tmp_path)


def one_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


def test_a_lesson_presented_is_screenshot_as_the_presentation_window_at_the_screens_size(qapp, tmp_path):
    picture = tmp_path / "lesson.png"
    done = run_main("--lesson", "whole-story", "--present", "--screenshot", str(picture), tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    image = QImage(str(picture))
    screen = QGuiApplication.primaryScreen().geometry()
    # The presentation fills the screen; the main window's screenshot would be gui.app.SCREENSHOT_SIZE.
    assert (image.width(), image.height()) == (screen.width(), screen.height())
    # Its light theme (the main window is dark): the header's corner is the theme's background.
    assert image.pixelColor(4, 4).name() == QColor(THEMES["light"].background).name()


def test_a_lesson_that_is_not_one_exits_2_with_one_line_naming_it(tmp_path):
    done = run_main("--lesson", "nosuch", tmp_path=tmp_path)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "nosuch" in line and "whole-story" in line  # what was asked, and what there is
    scene_file = tmp_path / "not_a_lesson.json"
    scene_file.write_text('{"surface": "x**2 + y**2"}', encoding="utf-8")
    done = run_main("--lesson", str(scene_file), tmp_path=tmp_path)
    assert done.returncode == 2
    assert str(scene_file) in one_line(done.stderr)


def test_a_scene_and_a_lesson_together_exit_2(tmp_path):
    done = run_main("--scene", "x", "--lesson", "y", tmp_path=tmp_path)
    assert done.returncode == 2
    line = one_line(done.stderr)
    assert "--scene" in line and "--lesson" in line


@pytest.fixture
def no_3d(monkeypatch):
    monkeypatch.setenv("DOWNHILL_NO_3D", "1")


def test_a_built_in_lesson_presented_shows_its_first_scenes_title_and_story(no_3d, qtbot, active_window):
    from gui.present.window import toggle_presentation
    from physics.lessons import builtin_lessons

    lesson = builtin_lessons()["whole-story"]
    first = lesson.scenes[0]
    assert active_window.lesson_player.open(lesson)
    presentation = toggle_presentation(active_window)
    try:
        qtbot.waitExposed(presentation)
        qtbot.waitUntil(lambda: presentation.caption.text() == on_screen(first.story), timeout=20_000)
        assert presentation.header.title == on_screen(first.title)
        assert presentation.caption.isVisible()
        # The lesson's own scene follows (the player hands it to the controller on a later turn).
        qtbot.waitUntil(lambda: active_window.controller.scene.title == first.scene.title, timeout=20_000)
    finally:
        toggle_presentation(active_window)
    assert active_window.presentation is None
