"""The Stability dock: a real controller, the runner's worker thread, a click on a cell, the menu, the CLI."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PyQt6 import QtCore

from gui.experiments.stability_paint import cell_rect
from gui.experiments.stability_panel import StabilityPanel
from physics.experiments import stability
from physics.scene_reader import scene_from_json

#: Gradient descent, momentum and Nesterov in the ravine (lambda_max 25).
CONTROLLER_SCENE = "ravine-momentum"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def panel(qtbot, controller, show_widget):
    panel = StabilityPanel(controller)
    show_widget(panel, 560, 720)
    qtbot.waitUntil(lambda: controller.surface is not None, timeout=20_000)
    panel.grid_box.setValue(12)
    panel.steps_box.setValue(150)
    yield panel
    panel.cancel()
    panel.runner.wait(20_000)


def test_clicking_a_cell_gives_the_ball_its_lr_and_momentum(qtbot, controller, panel) -> None:
    controller.select(1)  # the momentum ball
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    result = panel.result
    assert (result.x_param, result.y_param) == ("lr", "momentum")
    assert result.bound is not None and result.bound.lambda_max == pytest.approx(25.0)
    qtbot.waitUntil(lambda: panel.picture.plot.width() > 50, timeout=5_000)
    i, j = 3, 8
    centre = cell_rect(panel.picture.plot, result, i, j).center().toPoint()
    qtbot.mouseClick(panel.picture, QtCore.Qt.MouseButton.LeftButton, pos=centre)
    ball = controller.balls[1]
    settings = dict(ball.hyperparameters)
    assert settings["lr"] == float(result.xs[i]) and settings["momentum"] == float(result.ys[j])
    assert ball.optimizer == "momentum" and controller.balls[0].hyperparameters == (("lr", 0.006),)
    # One change: the map stands (no recomputation), its ring on the clicked cell's settings.
    assert panel.result is result and not panel.runner.busy
    assert panel.picture.marker == (float(result.xs[i]), float(result.ys[j]))
    # Saved in the scene, and read back from its JSON.
    scene = controller.current_scene()
    assert [spec.kind for spec in scene.experiments] == ["stability"]
    assert scene_from_json(scene.to_json()).experiments == scene.experiments
    # A click outside the cells changes nothing.
    qtbot.mouseClick(panel.picture, QtCore.Qt.MouseButton.LeftButton, pos=QtCore.QPoint(2, 2))
    assert dict(controller.balls[1].hyperparameters)["lr"] == float(result.xs[i])


def test_a_new_start_recomputes_and_a_saved_scene_reopens_the_map(qtbot, controller, panel) -> None:
    controller.select(1)
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    first = panel.result
    controller.set_ball_start(1, (-2.0, 0.5))
    qtbot.waitUntil(lambda: panel.result is not None and panel.result is not first, timeout=60_000)
    assert panel.result.start == (-2.0, 0.5) and first.start == (-2.5, 1.0)
    saved = scene_from_json(controller.current_scene().to_json())
    panel.stop()
    assert panel.result is None and controller.current_scene().experiments == ()
    controller.load_scene(saved)
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    assert panel.active and panel.result.start == (-2.0, 0.5)
    assert panel.grid_box.value() == 12 and panel.steps_box.value() == 150


def test_gradient_descent_maps_as_heavy_ball_and_a_cell_makes_it_one(qtbot, controller, panel) -> None:
    controller.select(0)  # gradient descent: its map is heavy ball's, its ring on the momentum-0 edge
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    result = panel.result
    assert (result.x_param, result.y_param) == ("lr", "momentum") and result.settings["optimizer"] == "momentum"
    assert panel.picture.marker == (0.006, 0.0)
    qtbot.waitUntil(lambda: panel.picture.plot.width() > 50, timeout=5_000)
    centre = cell_rect(panel.picture.plot, result, 5, 6).center().toPoint()
    qtbot.mouseClick(panel.picture, QtCore.Qt.MouseButton.LeftButton, pos=centre)
    ball = controller.balls[0]
    assert ball.optimizer == "momentum"
    assert dict(ball.hyperparameters) == {"lr": float(result.xs[5]), "momentum": float(result.ys[6])}
    assert panel.result is result and not panel.runner.busy


def test_changing_the_axes_recomputes_and_cancel_stops(qtbot, controller, panel) -> None:
    controller.select(0)
    panel.y_box.setCurrentIndex(panel.y_box.findData("noise"))
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    assert (panel.result.x_param, panel.result.y_param) == ("lr", "noise")
    assert panel.result.settings["optimizer"] == "gd"
    panel.grid_box.setValue(40)
    panel.steps_box.setValue(5000)
    panel.recompute()
    qtbot.waitUntil(lambda: panel.runner.busy, timeout=5_000)
    qtbot.mouseClick(panel.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=20_000)
    assert panel.result is None and panel.status.text() == "Cancelled."


def test_menu_entry_shows_the_dock(qtbot, controller, active_window) -> None:
    window = active_window
    menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "E&xperiments")
    entry = next(action for action in menu.actions() if action.text() == "S&tability map")
    window.stability_panel.grid_box.setValue(8)
    window.stability_panel.steps_box.setValue(60)
    entry.trigger()
    assert window.stability_dock.isVisible()
    qtbot.waitUntil(lambda: window.stability_panel.result is not None, timeout=60_000)
    window.stability_panel.runner.wait(20_000)


def _stability(*arguments: str) -> int:
    import main

    return main.main(["stability", *arguments])


def test_cli_writes_csv_and_a_figure(tmp_path) -> None:
    out = tmp_path / "map.csv"
    assert _stability("--surface", "ravine", "--optimizer", "momentum", "--start", "-4,1.5", "--grid", "6",
                      "--steps", "80", "--x-range", "0.01,0.2", "--out", str(out)) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 36 and set(rows[0]) >= {"lr", "momentum", "outcome"}
    assert {row["outcome"] for row in rows} <= set(stability.OUTCOMES)
    # The last column, lr 0.01 x 20^(11/12) = 0.156, is above 2 (1 + mu) / 25 for the rows' mu up to 0.74.
    assert [row["outcome"] for row in rows[-6:-1]] == ["diverges"] * 5
    figure = tmp_path / "map.svg"
    assert _stability("--surface", "ravine", "--start", "-4,1.5", "--grid", "5", "--steps", "40",
                      "--out", str(figure), "--size", "640x400", "--title", "Ravine map") == 0
    text = figure.read_text()
    assert "<svg" in text and "Ravine map" in text and "converges" in text and "theory bound" in text
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.parametrize("args, words", [
    (("--grid", "zero"), "--grid"),
    (("--x-param", "speed"), "--x-param: the text 'speed' is not one of"),
    (("--x-range", "0.5"), "--x-range: '0.5' is not a range"),
    (("--x-range", "0.5,0.1"), "--x-range: the low end"),
    (("--optimizer", "gd", "--y-param", "momentum"), "--y-param: the optimiser 'gd' has no momentum"),
    (("--momentum", "2"), "--momentum"),
    (("--start", "1,nan"), "--start"),
])
def test_hostile_cli_input_exits_2_with_one_line(args, words, tmp_path, capsys) -> None:
    out = str(tmp_path / "x.csv")
    assert _stability("--surface", "ravine", "--start", "1,1", "--grid", "3", "--steps", "5", *args,
                      "--out", out) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "x.csv").exists()


def test_cli_refuses_bad_outputs_and_formulas(tmp_path, capsys) -> None:
    assert _stability("--surface", "ravine", "--start", "1,1", "--out", str(tmp_path / "x.txt")) == 2
    assert "must end in .csv" in capsys.readouterr().err
    assert _stability("--surface", "__import__('os').system('true')", "--start", "1,1",
                      "--out", str(tmp_path / "x.csv")) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
