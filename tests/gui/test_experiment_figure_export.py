"""Export figure… in the four experiment docks: the figure the experiment's command writes (same
painter, same writer), as PNG, SVG (text stays text) and PDF; an unwritable path is one line."""

from __future__ import annotations

import re

import pytest
from PyQt6 import QtGui

from gui.experiments.basins_cli import write_basin_figure
from gui.experiments.basins_panel import BasinsPanel
from gui.experiments.escape_cli import write_escape_figure
from gui.experiments.escape_panel import EscapePanel
from gui.experiments.highdim_cli import DEFAULT_TITLE, write_highdim_figure
from gui.experiments.highdim_panel import HighDimPanel
from gui.experiments.stability_cli import write_stability_figure
from gui.experiments.stability_panel import StabilityPanel

#: Two minima and a saddle between them, with balls: every experiment has something to show.
CONTROLLER_SCENE = "saddle-noise"


def _basins(panel: BasinsPanel) -> None:
    for box, value in ((panel.grid_box, 12), (panel.steps_box, 60), (panel.repeats_box, 2)):
        box.setValue(value)


def _stability(panel: StabilityPanel) -> None:
    panel.grid_box.setValue(8)
    panel.steps_box.setValue(100)


def _escape(panel: EscapePanel) -> None:
    for box, value in ((panel.runs_box, 20), (panel.levels_box, 2), (panel.steps_box, 300)):
        box.setValue(value)
    panel.saddle_box.setCurrentIndex(1)


def _highdim(panel: HighDimPanel) -> None:
    panel.n_box.setValue(5)
    panel.samples_box.setCurrentIndex(0)
    panel.dim_box.setValue(3)
    panel.starts_box.setValue(40)


def _surface_name(controller) -> str:
    return controller.surface.name or controller.surface.text


#: (panel class, make it small, its command's own writer and default title, as the command calls them).
DOCKS = {
    "basins": (BasinsPanel, _basins, lambda r, t, s, c: write_basin_figure(
        r, t, s, f"Basins of attraction: {_surface_name(c)}", c.surface), "Basins of attraction"),
    "stability": (StabilityPanel, _stability, lambda r, t, s, c: write_stability_figure(
        r, t, s, f"Stability map: {_surface_name(c)}"), "Stability map"),
    "escape": (EscapePanel, _escape, lambda r, t, s, c: write_escape_figure(
        r, t, s, f"Saddle escape: {_surface_name(c)}"), "Saddle escape"),
    "highdim": (HighDimPanel, _highdim, lambda r, t, s, c: write_highdim_figure(r, t, s, DEFAULT_TITLE),
                DEFAULT_TITLE.split(":")[0]),
}


@pytest.mark.parametrize("kind", list(DOCKS))
def test_export_writes_the_commands_figure_and_reports_errors(qtbot, controller, show_widget, tmp_path,
                                                              kind) -> None:
    cls, small, command_writer, heading = DOCKS[kind]
    panel = cls(controller)
    show_widget(panel, 600, 760)
    try:
        qtbot.waitUntil(lambda: controller.surface is not None, timeout=20_000)
        if kind == "escape":
            qtbot.waitUntil(lambda: panel.saddle_box.count() > 1, timeout=20_000)
        assert not panel.export_button.isEnabled()  # no result yet
        assert panel.export_figure(tmp_path / "early.png") is False and "Nothing to export" in panel.status.text()
        small(panel)
        panel.start()
        qtbot.waitUntil(lambda: panel.result is not None, timeout=60_000)
        assert panel.export_button.isEnabled()
        assert panel.default_export_name().startswith(f"{panel.KIND}") and panel.default_export_name().endswith(".png")

        png, svg, pdf = (tmp_path / f"{kind}.{ext}" for ext in ("png", "svg", "pdf"))
        for path in (png, svg, pdf):
            assert panel.export_figure(path) is True, panel.status.text()
            assert path.is_file() and str(path) in panel.status.text()
        image = QtGui.QImage(str(png))
        assert (image.width(), image.height()) == (1600, 1000)
        # Text stays text: the title is drawn as an SVG <text> element, not only in the metadata.
        text = svg.read_text(encoding="utf-8")
        assert re.search(r"<text[^>]*>[^<]*" + re.escape(heading), text), heading
        assert pdf.read_bytes().startswith(b"%PDF")

        # The command's writer, with its own default title, on the same result: the same pixels.
        reference = tmp_path / f"{kind}-command.png"
        command_writer(panel.result, reference, (1600, 1000), controller)
        assert QtGui.QImage(str(reference)) == image

        # An unwritable place or a wrong suffix: one line in the status, nothing raised, nothing written.
        missing = tmp_path / "no-such-folder" / "figure.png"
        assert panel.export_figure(missing) is False
        assert panel.status.text().startswith("Figure not saved") and "\n" not in panel.status.text()
        assert not missing.parent.exists()
        assert panel.export_figure(tmp_path / "figure.gif") is False and ".png, .svg or .pdf" in panel.status.text()
    finally:
        panel.cancel()
        panel.runner.wait(20_000)
        if hasattr(panel, "compare_runner"):
            panel.compare_runner.wait(20_000)
