"""The High-dimensional dock and ``main.py highdim`` (named apart from tests/physics/test_experiments_highdim.py:
pytest cannot collect two modules of one name in one run): a real controller, the runner's worker thread,
clicks, the menu, the scene file, and the command line's files and errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from PyQt6 import QtCore, QtGui

from gui.experiments.highdim_paint import BLUE, GREEN, ORANGE, VERMILLION, VIEWS
from gui.experiments.highdim_panel import STACKED_HEIGHT, HighDimPanel
from physics.experiments.base import CACHE
from physics.scene_reader import scene_from_json


def _small(panel: HighDimPanel, n_max: int = 6, dim: int = 4, starts: int = 60) -> None:
    panel.n_box.setValue(n_max)
    panel.samples_box.setCurrentIndex(0)
    panel.dim_box.setValue(dim)
    panel.starts_box.setValue(starts)


def _has_colour(image: QtGui.QImage, colour: str, tolerance: int = 24) -> bool:
    target = QtGui.QColor(colour)
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            pixel = image.pixelColor(x, y)
            if (abs(pixel.red() - target.red()) + abs(pixel.green() - target.green())
                    + abs(pixel.blue() - target.blue())) <= tolerance:
                return True
    return False


@pytest.fixture
def panel(qtbot, controller, show_widget):
    panel = HighDimPanel(controller)
    show_widget(panel, 900, 700)
    qtbot.waitUntil(lambda: controller.surface is not None, timeout=20_000)
    yield panel
    panel.cancel()
    panel.runner.wait(20_000)


def test_start_computes_in_the_background_paints_and_saves_in_the_scene(qtbot, controller, panel) -> None:
    _small(panel)
    assert panel.result is None and not panel.active
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    result = panel.result
    assert list(result.ns) == [1, 2, 3, 4, 5, 6] and result.samples == 100_000
    assert result.census is not None and result.settings["dim"] == 4
    assert panel.progress.value() == panel.progress.maximum()
    assert panel.status.text().startswith("Done in") and "critical points" in panel.status.text()
    image = panel.picture.grab().toImage()
    assert _has_colour(image, BLUE) and _has_colour(image, GREEN)
    scene = controller.current_scene()
    assert [spec.kind for spec in scene.experiments] == ["highdim"]
    settings = scene.experiments[0].settings_dict()
    assert (settings["n_max"], settings["samples"], settings["dim"], settings["starts"]) == (6, 100_000, 4, 60)
    assert scene_from_json(scene.to_json()).experiments == scene.experiments


def test_a_changed_setting_recomputes_and_stop_clears_the_scene(qtbot, controller, panel) -> None:
    _small(panel)
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    panel.n_box.setFocus()
    panel.n_box.selectAll()
    qtbot.keyClicks(panel.n_box, "8")
    qtbot.keyClick(panel.n_box, QtCore.Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.result is not None and len(panel.result.ns) == 8, timeout=60_000)
    assert controller.current_scene().experiments[0].settings_dict()["n_max"] == 8
    panel.stop()
    assert panel.result is None and controller.current_scene().experiments == ()


def test_cancel_stops_the_run(qtbot, controller, panel) -> None:
    CACHE.clear()
    _small(panel)
    panel.samples_box.setCurrentIndex(panel.samples_box.count() - 1)  # 50 million: long enough to cancel
    panel.start()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=60_000)
    assert panel.cancel_button.isEnabled()
    qtbot.mouseClick(panel.cancel_button, QtCore.Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.busy, timeout=30_000)
    assert panel.result is None and panel.status.text() == "Cancelled."
    assert not panel.cancel_button.isEnabled()


def test_a_scene_with_the_picture_reopens_with_it(qtbot, controller, panel) -> None:
    data = json.loads(controller.current_scene().to_json())
    data["experiments"] = [{"kind": "highdim", "settings": {"n_max": 5, "samples": 30_000, "dim": 3,
                                                            "starts": 40}}]
    controller.load_scene(scene_from_json(json.dumps(data)))
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    assert panel.active and panel.n_box.value() == 5 and panel.dim_box.value() == 3
    assert panel.samples_box.currentData() == 30_000 and panel.result.samples == 30_000


def test_experiments_menu_opens_the_dock(qtbot, active_window) -> None:
    window = active_window
    _small(window.highdim_panel)
    action = next(a for a in window.experiments_menu.actions() if "High-dimensional" in a.text())
    action.trigger()
    qtbot.waitUntil(lambda: window.highdim_panel.result is not None, timeout=60_000)
    assert window.highdim_dock.isVisible()
    off = next(a for a in window.experiments_menu.actions() if a.text() == "Turn off high-dimensional picture")
    off.trigger()
    assert window.highdim_panel.result is None
    assert all(spec.kind != "highdim" for spec in window.controller.current_scene().experiments)


def _highdim(*arguments: str) -> int:
    import main

    return main.main(["highdim", *arguments])


SMALL = ["--n-max", "5", "--samples", "20000", "--population", "1000", "--dim", "3", "--starts", "40"]


def test_cli_writes_csv_png_svg_and_pdf(tmp_path) -> None:
    assert _highdim(*SMALL, "--out", str(tmp_path / "h.csv")) == 0
    goe, points = (tmp_path / "h.csv").read_text().split("\n\n")
    rows = list(csv.DictReader(io.StringIO(goe)))
    assert [row["n"] for row in rows] == ["1", "2", "3", "4", "5"] and rows[0]["samples"] == "20000"
    assert points.startswith("point,loss,index,negative,bray_dean_index,gradient_norm,x1,x2,x3")
    assert _highdim(*SMALL, "--out", str(tmp_path / "h.png"), "--size", "900x600") == 0
    image = QtGui.QImage(str(tmp_path / "h.png"))
    assert (image.width(), image.height()) == (900, 600)
    assert _has_colour(image, BLUE) and _has_colour(image, GREEN) and _has_colour(image, VERMILLION, 40)
    assert _highdim(*SMALL, "--out", str(tmp_path / "h.svg"), "--title", "Saddles everywhere") == 0
    svg = (tmp_path / "h.svg").read_text()
    assert "Saddles everywhere" in svg and "Majumdar" in svg and "Bray &amp; Dean" in svg and "none in 20 000" in svg
    assert _highdim(*SMALL, "--out", str(tmp_path / "h.pdf")) == 0
    assert (tmp_path / "h.pdf").read_bytes().startswith(b"%PDF")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize(("arguments", "words"), [
    (["--n-max", "0"], "--n-max: 0 is out of range [1, 16]"),
    (["--n-max", "abc"], "--n-max: 'abc' is not a whole number"),
    (["--samples", "1e6"], "--samples: '1e6' is not a whole number"),
    (["--samples", "5"], "--samples: 5 is out of range"),
    (["--dim", "99"], "--dim: 99 is out of range [2, 12]"),
    (["--starts", "-4"], "--starts: -4 is out of range"),
    (["--seed", "__import__('os')"], "--seed: '__import__('os')' is not a whole number"),
    (["--size", "10x10"], "--size 10x10"),
    (["--samples", "9" * 5000], "--samples:"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, capsys, arguments, words) -> None:
    out = str(tmp_path / "x.csv")
    assert _highdim(*SMALL, *arguments, "--out", out) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "x.csv").exists()


def test_cli_refuses_bad_outputs(tmp_path, capsys) -> None:
    assert _highdim(*SMALL, "--out", str(tmp_path / "x.txt")) == 2
    assert "must end in .csv" in capsys.readouterr().err
    assert _highdim(*SMALL, "--out", str(tmp_path / "missing" / "x.csv")) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert _highdim(*SMALL) == 2
    assert "--out FILE is required" in capsys.readouterr().err


def test_show_picks_one_plot_and_a_narrow_dock_stacks_both(qtbot, controller, panel) -> None:
    _small(panel)
    panel.start()
    qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
    panel.view_box.setCurrentIndex([key for key, _ in VIEWS].index("index"))
    image = panel.picture.grab().toImage()
    assert _has_colour(image, BLUE) and not _has_colour(image, ORANGE)  # no splitting estimate
    panel.view_box.setCurrentIndex([key for key, _ in VIEWS].index("fractions"))
    image = panel.picture.grab().toImage()
    assert _has_colour(image, ORANGE)
    panel.view_box.setCurrentIndex(0)
    panel.resize(420, 700)
    qtbot.waitUntil(lambda: panel.picture.minimumHeight() == 2 * STACKED_HEIGHT, timeout=5_000)
    panel.resize(1000, 700)
    qtbot.waitUntil(lambda: panel.picture.minimumHeight() < 2 * STACKED_HEIGHT, timeout=5_000)
