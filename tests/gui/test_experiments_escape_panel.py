"""The Saddle escape dock and command: a real controller, the runner's worker thread, clicks, menus, files."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from PyQt6 import QtCore

from gui.experiments.escape_paint import nice_ticks, sigma_text
from gui.experiments.escape_panel import EscapePanel
from physics.experiments.base import CACHE
from physics.scene_reader import scene_from_json

#: Two minima and a saddle between them.
CONTROLLER_SCENE = "saddle-noise"


def _small(panel: EscapePanel, runs: int = 40, levels: int = 3, steps: int = 600) -> None:
    for box, value in ((panel.runs_box, runs), (panel.levels_box, levels), (panel.steps_box, steps)):
        box.setValue(value)


@pytest.fixture
def panel(qtbot, controller, show_widget):
    panel = EscapePanel(controller)
    show_widget(panel, 460, 900)
    qtbot.waitUntil(lambda: controller.surface is not None and panel.saddle_box.count() > 1, timeout=20_000)
    yield panel
    panel.cancel()
    panel.runner.wait(20_000)


def test_the_figure_appears_and_the_scene_keeps_the_experiment(qtbot, controller, panel) -> None:
    _small(panel)
    # The saddles of the map, numbered as on it.
    saddles = [i + 1 for i, p in enumerate(controller.critical_points) if p.kind == "saddle"]
    assert [panel.saddle_box.itemData(i) for i in range(1, panel.saddle_box.count())] == saddles
    panel.saddle_box.setCurrentIndex(1)
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    result = panel.result
    assert result.times.shape == (3, 40) and result.saddle + 1 == saddles[0]
    assert "Done: 120 runs" in panel.status.text() and "censored" in panel.status.text()
    # The figure is painted: more than one colour in the picture.
    image = panel.picture.grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 5
    scene = controller.current_scene()
    assert [spec.kind for spec in scene.experiments] == ["escape"]
    assert scene_from_json(scene.to_json()).experiments == scene.experiments
    settings = scene.experiments[0].settings_dict()
    ball = controller.balls[max(controller.selected, 0)]
    assert settings["optimizer"] == ball.optimizer and settings["runs"] == 40 and settings["saddle"] == saddles[0]


def test_changing_the_lr_recomputes(qtbot, controller, panel) -> None:
    _small(panel)
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    first = panel.spec
    index = max(controller.selected, 0)
    ball = controller.balls[index]
    hyper = dict(ball.hyperparameters)
    hyper["lr"] = dict(ball.hyperparameters).get("lr", ball.settings()["lr"]) / 2
    controller.update_ball(index, replace(ball, hyperparameters=tuple(hyper.items())))
    qtbot.waitUntil(lambda: panel.spec != first and panel.result is not None, timeout=60_000)
    assert panel.result.settings["hyperparameters"]["lr"] == hyper["lr"]


def test_cancel_stops_the_run(qtbot, controller, panel) -> None:
    CACHE.clear()
    _small(panel, runs=4000, levels=8, steps=100_000)
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60_000)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=30_000)
    assert panel.result is None and panel.status.text() == "Cancelled."


def test_a_scene_with_an_escape_experiment_reopens_with_it(qtbot, controller, panel) -> None:
    data = json.loads(controller.current_scene().to_json())
    data["experiments"] = [{"kind": "escape", "settings": {"optimizer": "gd", "hyperparameters": {"lr": 0.05},
                                                           "runs": 30, "levels": 2, "steps": 500,
                                                           "sigma_low": 1e-4, "sigma_high": 1e-2}}]
    controller.load_scene(scene_from_json(json.dumps(data)))
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    assert panel.active and panel.runs_box.value() == 30 and panel.levels_box.value() == 2
    assert panel.range_box.currentData() == (1e-4, 1e-2)
    assert panel.result.settings["hyperparameters"] == {"lr": 0.05}


def test_experiments_menu_opens_the_dock(qtbot, active_window) -> None:
    window = active_window
    _small(window.escape_panel)
    action = next(a for a in window.experiments_menu.actions() if "Saddle escape" in a.text())
    action.trigger()
    qtbot.waitUntil(lambda: window.escape_panel.result is not None, timeout=60_000)
    assert window.escape_dock.isVisible()
    off = next(a for a in window.experiments_menu.actions() if a.text() == "Turn off saddle escape")
    off.trigger()
    assert all(spec.kind != "escape" for spec in window.controller.current_scene().experiments)


def test_axis_words() -> None:
    assert [sigma_text(s) for s in (1e-8, 3.2e-5, 1e-3, 0.01, 0.1, 1.0)] == ["1e-8", "3.2e-5", "1e-3", "0.01",
                                                                               "0.1", "1"]
    assert nice_ticks(216) == [0, 50, 100, 150, 200]
    assert nice_ticks(9) == [0, 2, 4, 6, 8]


def _escape(*arguments: str) -> int:
    import main

    return main.main(["escape", *arguments])


COMMON = ["--surface", "x^2 + y^4/4 - y^2/2", "--domain", "-2,2,-2,2", "--lr", "0.1", "--runs", "40",
          "--sigmas", "1e-6,1e-2,3"]


def test_cli_writes_csv_png_svg_and_pdf(tmp_path) -> None:
    from PyQt6.QtGui import QImage

    assert _escape(*COMMON, "--out", str(tmp_path / "e.csv")) == 0
    rows = (tmp_path / "e.csv").read_text().splitlines()
    assert len(rows) == 1 + 120 and rows[0].startswith("sigma,run,escape_step,censored")
    assert _escape(*COMMON, "--out", str(tmp_path / "e.png"), "--size", "900x600") == 0
    image = QImage(str(tmp_path / "e.png"))
    assert (image.width(), image.height()) == (900, 600)
    assert _escape(*COMMON, "--out", str(tmp_path / "e.svg"), "--title", "Off the saddle") == 0
    svg = (tmp_path / "e.svg").read_text()
    assert "Off the saddle" in svg and "theory" in svg and "minimum 1 at (0, -1)" in svg
    assert _escape(*COMMON, "--start", "0.5,0", "--out", str(tmp_path / "e.pdf")) == 0
    assert (tmp_path / "e.pdf").read_bytes().startswith(b"%PDF")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(("arguments", "words"), [
    (["--runs", "0"], "--runs: 0 is out of range"),
    (["--sigmas", "1e-3,1e-5,4"], "--sigmas: sigma high"),
    (["--sigmas", "1,2"], "--sigmas: '1,2' must be LOW,HIGH,LEVELS"),
    (["--sigmas", "1e-3,nan,3"], "--sigmas: the value must be a finite number"),
    (["--start", "1"], "--start: '1' must be two numbers"),
    (["--saddle", "1"], "--saddle: critical point 1 is a minimum"),
    (["--saddle", "9"], "--saddle: there is no critical point 9; the saddles are 3"),
    (["--saddle", "x"], "--saddle: 'x' is not a whole number"),
    (["--steps", "-5"], "--steps: -5 is out of range"),
    (["--radius", "0"], "--radius: 0.0 is out of range (0, "),
    (["--momentum", "0.9"], "--momentum: the optimiser 'gd' has no hyper-parameter"),
    (["--size", "10x10"], "--size 10x10"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, arguments, words) -> None:
    out = str(tmp_path / "x.csv")
    assert _escape("--surface", "x^2 + y^4/4 - y^2/2", "--runs", "5", "--steps", "50", *arguments,
                   "--out", out) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "x.csv").exists()


def test_cli_on_a_surface_without_a_saddle(tmp_path, capsys) -> None:
    assert _escape("--surface", "x^2 + y^2", "--out", str(tmp_path / "x.csv")) == 2
    error = capsys.readouterr().err
    assert "no saddle" in error and error.count("\n") == 1
