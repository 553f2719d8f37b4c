"""Simulation > Race... driven by qtbot: the dialog tunes on its worker, loads the race paused at
step 0 with the tuned lrs in the balls' names, and the finish board ranks the balls as they play."""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QPoint, QSettings, Qt

from gui.main_window import MainWindow
from gui.persistence import AppSettings
from gui.race.board import BALL, LOSS, NOT_A_RACE, RANK, STEPS
from gui.race.dialog import RaceDialog
from physics.balls import BallSpec
from physics.race import TUNING_GRID, finish_line, steps_to_reach, tune_learning_rates, tuning_caption
from physics.scene_reader import scene_from_json
from physics.scenes import Scene

#: f = x^2/2 + 3.3 y^2/2: GD's best grid lr after 200 steps is 0.464, next to 2 / (1 + 3.3)
#: (tests/physics/test_race.py).
QUADRATIC = "0.5*x^2 + 1.65*y^2"


def open_window(qtbot, controller, tmp_path: Path) -> MainWindow:
    window = MainWindow(controller, AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(controller.sceneChanged, timeout=20_000):
        controller.load_scene(Scene(formula=QUADRATIC, balls=(BallSpec("gd", "#e69f00", "gd", (), (1.0, 1.0)),)))
    return window


def race_entry(window: MainWindow):
    simulation = next(a for a in window.menuBar().actions() if a.text().replace("&", "") == "Simulation")
    return next(a for a in simulation.menu().actions() if a.text().replace("&", "") == "Race…")


def test_the_race_dialog_tunes_loads_the_race_and_the_board_ranks_it(qtbot, controller, tmp_path) -> None:
    window = open_window(qtbot, controller, tmp_path)
    try:
        assert not window.race_dock.isVisible()  # until a race calls for it
        race_entry(window).trigger()
        dialog = window._race_dialog
        assert isinstance(dialog, RaceDialog) and dialog.isVisible()
        qtbot.waitExposed(dialog)
        assert dialog.chosen_optimizers() == ["gd", "momentum", "nesterov", "rmsprop", "adam"]
        assert dialog.use_selected.isChecked() and dialog.start() == (1.0, 1.0)
        for name, box in dialog.optimizer_boxes.items():
            if box.isChecked() != (name in ("gd", "adam")):
                # (on the tick box: a checkbox takes clicks on its box and label, not its whole width)
                qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
        assert dialog.chosen_optimizers() == ["gd", "adam"]
        assert window.race_board.caption.text() == NOT_A_RACE
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        assert dialog.tuning and not dialog.run_button.isEnabled()
        qtbot.waitUntil(lambda: controller.scene.title.startswith("Race"), timeout=60_000)

        expected = tune_learning_rates(controller.surface, ["gd", "adam"], [(1.0, 1.0)], seed=controller.seed)
        gd, adam = expected
        assert gd.chosen == min(TUNING_GRID, key=lambda lr: abs(lr - 2 / 4.3))  # 0.464
        assert [ball.name for ball in controller.balls] == ["GD lr 0.464", f"Adam lr {adam.chosen:.3g}"]
        assert [dict(ball.hyperparameters)["lr"] for ball in controller.balls] == [gd.chosen, adam.chosen]
        assert controller.step_index == 0 and not controller.playing
        caption = tuning_caption(expected)
        assert window.race_board.caption.text() == caption and caption.startswith("lr tuned for each on this surface")
        assert window.race_dock.isVisible()

        controller.advance(150)  # the board catches up by itself, within its update interval
        qtbot.waitUntil(lambda: [row.rank for row in window.race_board.rows] == [1, 2]
                        and window.race_board.rows[0].steps is not None, timeout=5000)
        rows = window.race_board.rows
        assert [row.rank for row in rows] == [1, 2]
        for row in rows:
            history = controller.history(row.ball)
            assert row.steps == steps_to_reach(history.steps, history.loss, finish_line(float(history.loss[0]), 0.0))
        assert rows[0].steps is not None and (rows[1].steps is None or rows[0].steps <= rows[1].steps)
        table = window.race_board.table
        assert [table.item(i, RANK).text() for i in range(2)] == ["1", "2"]
        assert [table.item(i, BALL).text() for i in range(2)] == [row.name for row in rows]
        assert table.item(0, STEPS).text() == str(rows[0].steps)
        assert table.item(0, LOSS).text() != ""
        # The race saved and opened again keeps its caption; another scene no longer claims a tuned race.
        with qtbot.waitSignal(controller.sceneChanged, timeout=20_000):
            controller.load_scene(scene_from_json(controller.current_scene().to_json()))
        assert window.race_board.caption.text() == caption
        with qtbot.waitSignal(controller.sceneChanged, timeout=20_000):
            controller.load_scene(Scene(formula=QUADRATIC, balls=(BallSpec("gd", "#e69f00", "gd", (), (1.0, 1.0)),)))
        assert window.race_board.caption.text() == NOT_A_RACE
    finally:
        controller.pause()
        window.close()


def test_cancel_stops_the_sweep_and_leaves_the_scene(qtbot, controller, tmp_path) -> None:
    window = open_window(qtbot, controller, tmp_path)
    try:
        before = controller.balls
        dialog = RaceDialog(controller, window)
        qtbot.addWidget(dialog)
        dialog.tune_steps.setValue(5000)  # minutes of sweep: only Cancel ends it in time
        for box in dialog.optimizer_boxes.values():
            box.setChecked(True)
        dialog.starts.setValue(2)
        dialog.start_tuning()
        assert dialog.tuning
        qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=30_000)
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert not dialog.tuning and dialog.run_button.isEnabled() and "Cancelled" in dialog.message.text()
        assert dialog._runner.wait(20_000)  # the worker stops within a chunk of steps
        qtbot.wait(50)
        assert controller.balls == before and not controller.scene.title.startswith("Race")
    finally:
        window.close()


def test_the_dialog_says_what_is_wrong_before_tuning(qtbot, controller, tmp_path) -> None:
    window = open_window(qtbot, controller, tmp_path)
    try:
        dialog = RaceDialog(controller, window)
        qtbot.addWidget(dialog)
        for box in dialog.optimizer_boxes.values():
            box.setChecked(False)
        dialog.start_tuning()
        assert not dialog.tuning and dialog.message.text() == "Tick at least one optimiser."
        for box in dialog.optimizer_boxes.values():
            box.setChecked(True)
        dialog.starts.setValue(3)
        dialog.start_tuning()
        assert not dialog.tuning and "a scene holds at most 32" in dialog.message.text()
    finally:
        window.close()
