"""The Basins dock and map layer: a real controller, the runner's worker thread, clicks and menus."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from PyQt6 import QtCore

from gui.experiments.basin_layer import shares_by_name
from gui.experiments.basins_panel import BasinsPanel
from gui.experiments.runner import ExperimentRunner
from gui.views.contour_map import ContourMapView
from physics.experiments.base import CACHE, make_spec
from physics.scene_reader import scene_from_json
from surfaces.presets import preset_surface

#: Two minima and a saddle between them: basins with a clear border.
CONTROLLER_SCENE = "saddle-noise"


def _small(panel: BasinsPanel, grid: int = 16, steps: int = 80) -> None:
    for box, value in ((panel.grid_box, grid), (panel.steps_box, steps), (panel.repeats_box, 2)):
        box.setValue(value)


@pytest.fixture
def panel(qtbot, controller, show_widget):
    panel = BasinsPanel(controller)
    map_view = ContourMapView(controller)
    show_widget(map_view, 600, 500)
    panel.attach_map(map_view)
    show_widget(panel, 420, 700)
    qtbot.waitUntil(lambda: controller.surface is not None, timeout=20_000)
    yield panel
    panel.cancel()
    panel.runner.wait(20_000)
    panel.compare_runner.wait(20_000)


def test_the_layer_appears_after_the_runner_finishes(qtbot, controller, panel) -> None:
    _small(panel)
    assert not panel.layer.visible
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    result = panel.result
    assert panel.layer.visible and panel.layer.image.image.shape == (16, 16, 4)
    # The layer's alpha is the layer's opacity times each cell's probability: the picture of the result.
    assert panel.layer.image.image[..., 3].max() > 0
    words = panel.layer.legend.text()
    for name, share in shares_by_name(result).items():
        assert name in words and f"{100 * share:.1f} %" in words
    assert "100%" in panel.progress.text() or panel.progress.value() == panel.progress.maximum()
    # Saved in the scene, and read back from its JSON.
    scene = controller.current_scene()
    assert [spec.kind for spec in scene.experiments] == ["basins"]
    assert scene_from_json(scene.to_json()).experiments == scene.experiments
    settings = scene.experiments[0].settings_dict()
    ball = controller.balls[max(controller.selected, 0)]
    assert settings["optimizer"] == ball.optimizer and settings["grid"] == 16


def test_changing_the_lr_recomputes(qtbot, controller, panel) -> None:
    _small(panel)
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    first = panel.spec
    index = max(controller.selected, 0)
    ball = controller.balls[index]
    lr = dict(ball.hyperparameters).get("lr", ball.settings()["lr"])
    hyper = dict(ball.hyperparameters)
    hyper["lr"] = lr / 2
    controller.update_ball(index, replace(ball, hyperparameters=tuple(hyper.items())))
    qtbot.waitUntil(lambda: panel.spec != first and panel.result is not None, timeout=60_000)
    assert panel.spec.settings_dict()["hyperparameters"]["lr"] == lr / 2
    assert panel.result.settings["hyperparameters"]["lr"] == lr / 2


def test_cancel_stops_the_run_and_keeps_the_window_responsive(qtbot, controller, panel) -> None:
    CACHE.clear()
    _small(panel, grid=150, steps=20_000)
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60_000)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=30_000)
    assert panel.result is None and panel.status.text() == "Cancelled."
    assert not panel.cancel_button.isEnabled()


def test_comparison_draws_a_second_map(qtbot, controller, panel) -> None:
    _small(panel)
    panel.compare_box.setCurrentIndex(2)  # momentum 0.9
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None and panel.compare_result is not None, timeout=60_000)
    assert panel.compare_picture.isVisible()
    assert panel.compare_result.settings["optimizer"] == "sgd"
    assert panel.compare_result.settings["hyperparameters"]["momentum"] == 0.9
    image = panel.compare_picture.grab().toImage()
    assert image.width() >= 160
    assert len(controller.current_scene().experiments) == 2


def test_a_scene_with_basins_reopens_with_them(qtbot, controller, panel) -> None:
    data = json.loads(controller.current_scene().to_json())
    data["experiments"] = [{"kind": "basins", "settings": {"optimizer": "gd", "hyperparameters": {"lr": 0.05},
                                                           "grid": 12, "steps": 40}}]
    controller.load_scene(scene_from_json(json.dumps(data)))
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    assert panel.active and panel.grid_box.value() == 12 and panel.steps_box.value() == 40
    assert panel.result.settings["hyperparameters"] == {"lr": 0.05}
    assert panel.layer.visible


def test_runner_latest_wins(qtbot) -> None:
    runner = ExperimentRunner()
    surface = preset_surface("himmelblau")
    delivered = []
    runner.finished.connect(lambda spec, result: delivered.append(spec))
    old = make_spec("basins", {"grid": 60, "steps": 3000})
    new = make_spec("basins", {"grid": 5, "steps": 10})
    CACHE.clear()
    runner.submit(old, surface)
    runner.submit(new, surface)
    qtbot.waitUntil(lambda: bool(delivered) and not runner.busy, timeout=60_000)
    assert delivered == [new]
    # A cached result comes back from the event loop, without a thread.
    runner.submit(new, surface)
    qtbot.waitUntil(lambda: len(delivered) == 2, timeout=5_000)
    assert delivered[1] == new
    runner.wait(20_000)


def test_the_runner_is_not_busy_when_its_result_arrives(qtbot) -> None:
    # A panel reading ``busy`` in its finished slot (or a test right after the result) sees the
    # run as over: busy goes False with the result, not with the worker's later "ended" signal.
    runner = ExperimentRunner()
    surface = preset_surface("himmelblau")
    seen = []
    runner.finished.connect(lambda spec, result: seen.append(runner.busy))
    CACHE.clear()
    for count, grid in enumerate((6, 7, 8), start=1):
        runner.submit(make_spec("basins", {"grid": grid, "steps": 20}), surface)
        qtbot.waitUntil(lambda count=count: len(seen) == count, timeout=60_000)
    assert seen == [False, False, False]
    runner.wait(20_000)
    qtbot.waitUntil(lambda: not runner._runs, timeout=5_000)
    assert not runner.busy


def test_experiments_menu_opens_the_dock(qtbot, active_window) -> None:
    window = active_window
    _small(window.basins_panel)
    action = next(a for a in window.experiments_menu.actions() if "Basins" in a.text())
    action.trigger()
    qtbot.waitUntil(lambda: window.basins_panel.result is not None, timeout=60_000)
    assert window.basins_dock.isVisible() and window.basins_panel.layer.visible
    off = next(a for a in window.experiments_menu.actions() if a.text().startswith("Turn off"))
    off.trigger()
    assert not window.basins_panel.layer.visible
    assert window.controller.current_scene().experiments == ()
    assert np.isfinite(window.basins_panel.progress.value())


def _basins(*arguments: str) -> int:
    import main

    return main.main(["basins", *arguments])


def test_cli_writes_csv_png_svg_and_pdf(tmp_path, capsys) -> None:
    from PyQt6.QtGui import QImage

    common = ["--surface", "himmelblau", "--optimizer", "gd", "--lr", "0.01", "--grid", "12", "--steps", "150"]
    assert _basins(*common, "--out", str(tmp_path / "b.csv")) == 0
    rows = (tmp_path / "b.csv").read_text().splitlines()
    assert len(rows) == 1 + 144 and rows[0].startswith("x,y,outcome,outcome_words,probability,p_cp1")
    assert _basins(*common, "--out", str(tmp_path / "b.png"), "--size", "900x600") == 0
    image = QImage(str(tmp_path / "b.png"))
    assert (image.width(), image.height()) == (900, 600)
    assert _basins(*common, "--out", str(tmp_path / "b.svg"), "--title", "Four basins") == 0
    svg = (tmp_path / "b.svg").read_text()
    assert "Four basins" in svg and "minimum 3 at (3, 2)" in svg and "%" in svg
    assert _basins(*common, "--noise", "5", "--repeats", "2", "--out", str(tmp_path / "b.pdf")) == 0
    assert (tmp_path / "b.pdf").read_bytes().startswith(b"%PDF")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries left


@pytest.mark.parametrize(("arguments", "words"), [
    (["--grid", "0"], "--grid: 0 is out of range"),
    (["--grid", "abc"], "--grid: 'abc' is not a whole number"),
    (["--lr", "-1"], "--lr:"),
    (["--momentum", "0.9"], "--momentum: the optimiser 'gd' has no hyper-parameter"),
    (["--optimizer", "nope"], "--optimizer: unknown optimiser 'nope'"),
    (["--noise", "nan"], "--noise: the value must be a finite number"),
    (["--repeats", "1000"], "--repeats: 1000 is out of range"),
    (["--size", "10x10"], "--size 10x10"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, arguments, words) -> None:
    out = str(tmp_path / "x.csv")
    assert _basins("--surface", "himmelblau", "--grid", "4", "--steps", "5", *arguments, "--out", out) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "x.csv").exists()


def test_cli_refuses_bad_outputs(tmp_path, capsys) -> None:
    assert _basins("--surface", "himmelblau", "--out", str(tmp_path / "x.txt")) == 2
    assert "must end in .csv" in capsys.readouterr().err
    assert _basins("--surface", "himmelblau", "--out", str(tmp_path / "missing" / "x.csv")) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert _basins("--surface", "2 +* x", "--out", str(tmp_path / "x.csv")) == 2
    assert capsys.readouterr().err.count("\n") == 1
