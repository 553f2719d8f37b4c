"""The telemetry panels against the real SceneController and Simulation.

After the simulation steps, each panel's curves must hold exactly the history physics recorded
(the right ball, the right series), log panels must drop what a log axis cannot show, the
stability bound must sit at the value worked out by hand from the update rule, hidden balls must
not be drawn, a reset must empty the curves and a new scene re-create them.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from PyQt6.QtCore import QEvent, QObject, QRect, Qt
from PyQt6.QtGui import QFont, QFontMetrics, QImage, QPainter
from waiting import settle

from gui.controller import SceneController
from gui.panels import EigenvaluePanel, GradientPanel, LossPanel, ReadoutPanel, StepPanel
from gui.panels.decimation import DEFAULT_MAX_BUCKETS, RAW_TAIL
from gui.panels.history_plot import REFRESH_INTERVAL_S
from gui.panels.numbers import format_number, format_pair
from gui.panels.readout_panel import (
    BADGE_MARGIN,
    BADGE_PADDING,
    BADGE_SLACK,
    BALL,
    COLUMNS,
    FILLER,
    GRADIENT,
    LAMBDA_MAX,
    LAMBDA_MIN,
    LOSS,
    MAX_NAME_SHARE,
    MIN_POINT_SIZE,
    POSITION,
    REGIME,
)
from gui.panels.step_panel import BOUND_LEGEND
from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.scenes import Scene

RAVINE = "0.5*(x^2 + 25*y^2)"  # Hessian diag(1, 25) everywhere: lambda_min = 1, lambda_max = 25
SADDLE = "x^2 + y^4/4 - y^2/2"  # a saddle at the origin (curvature +2 along x, -1 along y)

PLOT_PANELS = (EigenvaluePanel, StepPanel, LossPanel, GradientPanel)
#: (panel class, series key, history field, dropped where <= 0)
SERIES = (
    (EigenvaluePanel, "lambda_min", "lambda_min", False),
    (EigenvaluePanel, "lambda_max", "lambda_max", False),
    (StepPanel, "step_size", "step_size", True),
    (StepPanel, "lr", "lr", True),
    (LossPanel, "loss", "loss", False),
    (GradientPanel, "gradient_norm", "gradient_norm", True),
)


def ball(name: str, color: str, optimizer: str = "gd", start=(2.0, 1.0), **options) -> BallSpec:
    hyper = options.pop("hyper", {"lr": 0.03})
    return BallSpec(name=name, color=color, optimizer=optimizer, hyperparameters=tuple(hyper.items()),
                    start=start, **options)


@pytest.fixture
def make_controller(qtbot):
    made: list[SceneController] = []

    def make(formula: str, *balls: BallSpec, seed: int = 0) -> SceneController:
        controller = SceneController(Scene(formula=formula, balls=tuple(balls), seed=seed))
        made.append(controller)
        return controller

    yield make
    for controller in made:
        controller.pause()
        controller.wait_for_build()


@pytest.fixture
def show_panel(qtbot):
    """Make, show and return a panel; it stays referenced until closed after the test.

    qtbot holds widgets weakly: a shown panel whose last reference went with the test function
    would be left to the cyclic garbage collector, which may delete it in the middle of a paint.
    """
    panels: list = []

    def show(panel_class, controller):
        panel = panel_class(controller)
        qtbot.addWidget(panel)
        panels.append(panel)
        panel.resize(700, 450)
        panel.show()
        qtbot.waitExposed(panel)
        return panel

    yield show
    for panel in panels:
        panel.close()


def advance(controller: SceneController, steps: int) -> None:
    """What one animation frame does: step the simulation, then announce it."""
    controller.simulation.step(steps)
    controller.stepped.emit()


def history_values(controller, index: int, name: str, positive: bool) -> tuple[np.ndarray, np.ndarray]:
    history = controller.history(index)
    values = np.array(getattr(history, name), dtype=float)
    keep = np.isfinite(values) & (values > 0) if positive else np.isfinite(values)
    values[~keep] = np.nan
    return np.asarray(history.steps, dtype=float), values


@pytest.mark.parametrize("panel_class, key, field, positive", SERIES)
def test_curves_hold_each_balls_history(qtbot, make_controller, show_panel, panel_class, key, field, positive):
    controller = make_controller(
        SADDLE,
        ball("plain", "#ff3b30", start=(1.5, 0.0)),
        ball("noisy", "#4dc3ff", start=(1.5, 0.0), noise=NoiseSettings(sigma=0.05)),
        ball("momentum", "#c8ff00", "momentum", start=(-1.0, 0.5), hyper={"lr": 0.02}),
        seed=3,
    )
    panel = show_panel(panel_class, controller)
    advance(controller, 150)
    for index in range(3):
        x, y = panel.curve_data(index, key)
        steps, values = history_values(controller, index, field, positive)
        assert len(x) == len(steps) == 151  # short runs are drawn point for point
        np.testing.assert_array_equal(x, steps)
        np.testing.assert_allclose(y, values, rtol=1e-12, equal_nan=True)
    # The balls are told apart: the noisy ball left the saddle's stable manifold, the plain one did not.
    if field in ("lambda_min", "loss", "gradient_norm"):
        assert not np.allclose(panel.curve_data(0, key)[1], panel.curve_data(1, key)[1], equal_nan=True)


def test_each_ball_is_drawn_in_its_colour(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-2.0, 0.5)))
    panel = show_panel(EigenvaluePanel, controller)
    for index, color in enumerate(("#ff3b30", "#4dc3ff")):
        assert panel.curve(index, "lambda_max").opts["pen"].color().name() == color
        dashed = panel.curve(index, "lambda_min").opts["pen"]
        assert dashed.style() != panel.curve(index, "lambda_max").opts["pen"].style()
    assert panel.legend_labels == ["a", "b", "λmax", "λmin", "0: flat", "λ<0: curves down"]


def test_log_panels_drop_non_positive_values(qtbot, make_controller, show_panel):
    # Step 0 has no step (size 0, rate NaN); at the saddle gd stops dead (step sizes underflow to 0).
    controller = make_controller(SADDLE, ball("stuck", "#ff3b30", start=(1.0, 0.0), hyper={"lr": 0.5}))
    panels = {cls: show_panel(cls, controller) for cls in (StepPanel, GradientPanel)}
    advance(controller, 300)
    history = controller.history(0)
    assert history.step_size[0] == 0.0 and (history.step_size[1:] == 0.0).any()
    for panel_class, key, field in ((StepPanel, "step_size", "step_size"), (StepPanel, "lr", "lr"),
                                    (GradientPanel, "gradient_norm", "gradient_norm")):
        _, raw = panels[panel_class].curve(0, key).getData()  # plot coordinates: log10 of the value
        assert np.all(np.isfinite(raw) | np.isnan(raw))  # no -inf from log10(0)
        _, y = panels[panel_class].curve_data(0, key)
        values = np.asarray(getattr(history, field), dtype=float)
        dropped = ~(np.isfinite(values) & (values > 0))
        assert dropped.any()
        np.testing.assert_array_equal(np.isnan(y), dropped)
        np.testing.assert_allclose(y[~dropped], values[~dropped], rtol=1e-12)


def test_stability_bound_sits_at_c_over_lambda_max(qtbot, make_controller, show_panel):
    controller = make_controller(
        RAVINE,
        ball("gd 0.07", "#ff3b30", hyper={"lr": 0.07}),
        ball("gd 0.09", "#ff9f0a", hyper={"lr": 0.09}, start=(0.5, 0.01)),
        ball("heavy ball", "#ff2dd4", "momentum", hyper={"lr": 0.01, "momentum": 0.9}),
        ball("adam", "#4dc3ff", "adam", hyper={"lr": 0.05}),
    )
    panel = show_panel(StepPanel, controller)
    advance(controller, 40)
    # Gradient descent on a quadratic: stable while lr * lambda_max < 2, lambda_max = 25 => 0.08.
    for index in (0, 1):
        _, bound = panel.curve_data(index, "bound")
        np.testing.assert_allclose(bound, 2.0 / 25.0, rtol=1e-12)
    # Heavy ball: the recurrence matrix [[1 - h, -m], [h, m]] (h = lr lambda) is stable while
    # h < 2 (1 + m): the bound is 2 (1 + 0.9) / 25 = 0.152.
    _, bound = panel.curve_data(2, "bound")
    np.testing.assert_allclose(bound, 2.0 * 1.9 / 25.0, rtol=1e-12)
    assert panel.curve(3, "bound") is None  # Adam has no such bound
    labels = {index: label.toPlainText() for index, label in panel._bound_labels.items()}
    assert labels == {0: "2/λmax", 1: "2/λmax", 2: "3.8/λmax"}
    # Each label sits on its line (plot coordinates are log10); the two gd balls share one.
    shown_labels = [label for label in panel._bound_labels.values() if label.isVisible()]
    assert len(shown_labels) == 2
    assert panel._bound_labels[0].pos().y() == pytest.approx(np.log10(0.08))
    assert panel._bound_labels[2].pos().y() == pytest.approx(np.log10(0.152))
    # The rate above the bound is marked at every step taken (0.09 > 0.08; row 0, the start, has no
    # step), the one below nowhere.
    _, over = panel.curve_data(1, "unstable")
    assert np.isnan(over[0])
    np.testing.assert_allclose(over[1:], 0.09)
    _, under = panel.curve_data(0, "unstable")
    assert np.isnan(under).all()
    assert panel.legend_labels == ["gd 0.07", "gd 0.09", "heavy ball", "adam", BOUND_LEGEND, "lr above it"]


def test_hidden_balls_are_not_drawn(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("seen", "#ff3b30"), ball("hidden", "#4dc3ff", visible=False))
    panels = [show_panel(cls, controller) for cls in PLOT_PANELS]
    readout = show_panel(ReadoutPanel, controller)
    advance(controller, 10)
    for panel in panels:
        assert {index for index, _key in panel.curve_keys()} == {0}
        assert "hidden" not in panel.legend_labels and "seen" in panel.legend_labels
    assert readout.text(1, LOSS) is None and readout.text(0, LOSS) is not None
    # Showing it again draws its whole history.
    controller.update_ball(1, ball("hidden", "#4dc3ff", visible=True))
    for panel in panels:
        assert {index for index, _key in panel.curve_keys()} == {0, 1}
    x, y = panels[2].curve_data(1, "loss")
    np.testing.assert_array_equal(y, controller.history(1).loss)


def test_reset_empties_the_curves_and_a_new_scene_recreates_them(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-1.0, 0.3)))
    panels = [show_panel(cls, controller) for cls in PLOT_PANELS]
    advance(controller, 50)
    assert len(panels[2].curve_data(0, "loss")[0]) == 51
    controller.reset()
    for panel in panels:
        for index, key in panel.curve_keys():
            x, _ = panel.curve_data(index, key)
            assert len(x) == len(controller.history(index).steps) == 1  # only the start remains
    before = panels[0].curve(0, "lambda_max")
    scene = Scene(formula=SADDLE, balls=(ball("only", "#c8ff00", start=(0.5, 0.5)),))
    with qtbot.waitSignal(controller.sceneChanged, timeout=20_000):
        controller.load_scene(scene)
    advance(controller, 5)
    assert panels[0].curve(0, "lambda_max") is not before
    for panel in panels:
        assert {index for index, _key in panel.curve_keys()} == {0}
        assert "only" in panel.legend_labels and "a" not in panel.legend_labels and "b" not in panel.legend_labels
    np.testing.assert_array_equal(panels[0].curve_data(0, "lambda_min")[1], controller.history(0).lambda_min)


def test_a_restarted_ball_is_redrawn_from_its_new_start(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-1.0, 0.3)))
    panel = show_panel(LossPanel, controller)
    advance(controller, 30)
    controller.set_ball_start(0, (0.5, -0.5))
    advance(controller, 10)
    for index in (0, 1):
        np.testing.assert_array_equal(panel.curve_data(index, "loss")[1], controller.history(index).loss)
    assert len(panel.curve_data(0, "loss")[0]) == 11 and len(panel.curve_data(1, "loss")[0]) == 41


def test_swarms_plot_the_series_physics_gives(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("swarm", "#ff2dd4", particles=200, spread=0.3,
                                              noise=NoiseSettings(sigma=0.1)), seed=5)
    panels = {cls: show_panel(cls, controller) for cls in (LossPanel, EigenvaluePanel)}
    readout = show_panel(ReadoutPanel, controller)
    advance(controller, 20)
    history = controller.history(0)
    np.testing.assert_array_equal(panels[LossPanel].curve_data(0, "loss")[1], history.loss)
    np.testing.assert_array_equal(panels[EigenvaluePanel].curve_data(0, "lambda_max")[1], history.lambda_max)
    readout.refresh()
    assert "200" in readout.text(0, 0)  # the name cell says it is a swarm (and the values its means)


def test_long_runs_are_decimated_but_keep_extremes_and_the_latest_value(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30", hyper={"lr": 0.078}, start=(2.0, 1.0),
                                              noise=NoiseSettings(sigma=0.5)), seed=2)
    panel = show_panel(LossPanel, controller)
    for _ in range(5):
        advance(controller, 600)
    history = controller.history(0)
    x, y = panel.curve_data(0, "loss")
    assert len(history.steps) == 3001
    assert len(x) <= 2 * DEFAULT_MAX_BUCKETS + RAW_TAIL
    assert y.max() == history.loss.max() and y.min() == history.loss.min()
    assert x[-1] == history.steps[-1] and y[-1] == history.loss[-1]
    # Every drawn point is a real point of the history.
    np.testing.assert_array_equal(y, history.loss[x.astype(int)])


def test_eigenvalues_that_span_decades_get_an_asinh_axis(qtbot, make_controller, show_panel):
    rosenbrock = "(1 - x)^2 + 100*(y - x^2)^2"
    controller = make_controller(rosenbrock, ball("gd", "#ff3b30", start=(-1.2, 1.0), hyper={"lr": 0.001}))
    panel = show_panel(EigenvaluePanel, controller)
    assert panel.scale is None  # at the start: 1508 and 22, under two decades apart
    advance(controller, 300)  # in the valley lambda_min falls below 1 while lambda_max stays near 1000
    for _ in range(3):
        advance(controller, 200)
    assert panel.scale is not None
    history = controller.history(0)
    steps, plotted = panel.curve(0, "lambda_max").getData()
    drawn = steps.astype(int)            # the history is decimated: each drawn point is a row of it
    np.testing.assert_allclose(plotted, np.arcsinh(history.lambda_max[drawn] / panel.scale.width))
    steps, values = panel.curve_data(0, "lambda_min")
    np.testing.assert_allclose(values, history.lambda_min[steps.astype(int)], rtol=1e-9)
    # Honest tick labels: at 0 and at powers of ten of the eigenvalue itself.
    low = min(0.0, float(np.nanmin(panel.curve(0, "lambda_min").getData()[1])))
    (_, majors), _minors = panel.axis.tickValues(low, float(np.nanmax(plotted)), 400)
    labels = panel.axis.tickStrings(majors, 1.0, None)
    assert "0" in labels and "1000" in labels and "1" in labels
    np.testing.assert_allclose(panel.scale.inverse(np.array(majors)[np.array(labels) == "1000"]), 1000.0)
    panel.scale_actions["linear"].trigger()  # the right-click menu's choice
    assert panel.scale is None and panel.scale_mode == "linear"
    steps, plotted = panel.curve(0, "lambda_max").getData()
    np.testing.assert_array_equal(plotted, history.lambda_max[steps.astype(int)])


def test_the_zero_line_is_always_in_view(qtbot, make_controller, show_panel):
    # A bowl: both eigenvalues positive. The zero line must still show, so "all positive" can be seen.
    controller = make_controller("x^2 + 3*y^2", ball("a", "#ff3b30"))
    panel = show_panel(EigenvaluePanel, controller)
    advance(controller, 20)
    panel.plot_items[0].getViewBox().autoRange()
    low, high = panel.plot_items[0].getViewBox().viewRange()[1]
    assert low <= 0.0 < 2.0 <= 6.0 <= high


def test_readout_shows_physics_words_and_numbers(qtbot, make_controller, show_panel):
    controller = make_controller(
        SADDLE,
        ball("on the saddle", "#ff3b30", start=(1.5, 0.0), hyper={"lr": 0.1}),
        ball("too fast", "#ff9f0a", start=(0.5, 0.5), hyper={"lr": 1.05}),
    )
    panel = show_panel(ReadoutPanel, controller)
    advance(controller, 200)
    panel.refresh()
    for index in range(2):
        state = controller.state(index)
        history = controller.history(index)
        assert panel.text(index, REGIME) == state.regime_detail
        assert panel.text(index, POSITION) == format_pair(*history.positions[-1])
        assert panel.text(index, LOSS) == format_number(history.loss[-1])
        assert panel.text(index, LAMBDA_MIN) == format_number(history.lambda_min[-1], signed=True)
        assert panel.text(index, LAMBDA_MAX) == format_number(history.lambda_max[-1], signed=True)
    assert controller.state(0).regime == "saddle"
    # the evidence: how far the saddle (0, 0) is, and its curvatures
    assert panel.text(0, REGIME).startswith("saddle: ")
    assert panel.text(0, REGIME).endswith(" from the critical point (0.000, 0.000), curvature -1.0 and +2.0")
    # Regime badges are coloured by regime (gui.palette).
    row = 2 * panel.model.row_of_ball(0) + 1
    from PyQt6.QtCore import Qt

    assert panel.model.index(row, 0).data(Qt.ItemDataRole.UserRole) == "saddle"


def test_readout_updates_cells_without_rebuilding(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-1.0, 0.3)))
    panel = show_panel(ReadoutPanel, controller)
    rebuilt: list[int] = []
    changes: list[int] = []
    panel.model.rowsInserted.connect(lambda *_: rebuilt.append(1))
    panel.model.rowsRemoved.connect(lambda *_: rebuilt.append(1))
    spans: list[tuple[int, int, int, int]] = []
    panel.model.dataChanged.connect(lambda *_: changes.append(1))
    panel.model.dataChanged.connect(lambda top_left, bottom_right, *_: spans.append(
        (top_left.row(), top_left.column(), bottom_right.row(), bottom_right.column())))
    items = [panel.model.item(row, column) for row in range(4) for column in range(3)]
    for _ in range(5):
        spans.clear()
        advance(controller, 3)
        panel.refresh()
        assert panel.text(0, LOSS) == format_number(controller.history(0).loss[-1])
        # The table hears of every changed cell: both balls' rows (numbers and badges) and every column.
        assert spans and min(s[0] for s in spans) == 0 and max(s[2] for s in spans) == 3
        assert min(s[1] for s in spans) == 0 and max(s[3] for s in spans) == len(COLUMNS) - 1
    assert rebuilt == [] and len(changes) >= 5
    assert items == [panel.model.item(row, column) for row in range(4) for column in range(3)]  # the same cells
    # Throttled while running: a burst of frames gives one update now and one when the interval ends.
    changes.clear()
    for _ in range(10):
        advance(controller, 1)
    assert len(changes) <= 1
    qtbot.waitUntil(lambda: panel.text(0, LOSS) == format_number(controller.history(0).loss[-1]), timeout=2000)


def test_readout_row_selects_the_ball(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-1.0, 0.3)))
    panel = show_panel(ReadoutPanel, controller)
    panel.table.selectRow(2)  # ball b's numbers line
    assert controller.selected == 1
    controller.select(0)
    assert panel.table.selectionModel().selectedRows()[0].row() == 0


def test_a_panel_in_a_closed_dock_does_no_work_and_catches_up(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"))
    panel = show_panel(LossPanel, controller)
    panel.hide()
    advance(controller, 25)
    assert len(panel.curve_data(0, "loss")[0]) == 1  # still the state when it was hidden
    panel.show()
    np.testing.assert_array_equal(panel.curve_data(0, "loss")[1], controller.history(0).loss)


def test_log_axes_label_narrow_and_wide_ranges_with_values(qtbot):
    from gui.panels.axes import LogAxis

    axis = LogAxis("left")
    # A learning rate between 0.078 and 0.082: evenly spaced labels at their logarithms.
    (spacing, majors), *_ = axis.tickValues(np.log10(0.0775), np.log10(0.0825), 300)
    labels = axis.tickStrings(majors, 1.0, spacing)
    assert len(labels) >= 3 and "0.08" in labels
    np.testing.assert_allclose(10.0 ** np.array(majors)[labels.index("0.08")], 0.08)
    # Twelve decades: powers of ten, as many as fit, written as numbers.
    (spacing, majors), (_, minors) = axis.tickValues(-9.0, 3.0, 240)
    labels = axis.tickStrings(majors, 1.0, spacing)
    assert spacing == 2.0 and labels == ["1e\u22128", "1e\u22126", "1e\u22124", "0.01", "1", "100"]
    assert axis.tickStrings(minors, 1.0, None) == [""] * len(minors)


def test_a_low_step_panel_shows_one_plot_at_a_time(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("gd", "#ff3b30", hyper={"lr": 0.09}))
    panel = show_panel(StepPanel, controller)
    advance(controller, 20)
    panel.resize(500, 600)
    qtbot.waitUntil(lambda: not panel.compact)
    assert all(plot.isVisible() for plot in panel.plot_items) and not panel.switch.isVisible()
    panel.resize(500, 260)
    qtbot.waitUntil(lambda: panel.compact)
    assert [plot.isVisible() for plot in panel.plot_items] == [False, True]  # the bound's plot first
    assert panel.switch.isVisible()
    panel.switch_buttons[0].click()
    assert [plot.isVisible() for plot in panel.plot_items] == [True, False]
    # The hidden plot does no work; shown again, it catches up.
    advance(controller, 5)
    assert len(panel.curve_data(0, "lr")[0]) == 21
    np.testing.assert_allclose(panel.curve_data(0, "step_size")[1][1:], controller.history(0).step_size[1:])
    panel.switch_buttons[1].click()
    np.testing.assert_allclose(panel.curve_data(0, "lr")[1][1:], controller.history(0).lr[1:])
    panel.resize(500, 600)
    qtbot.waitUntil(lambda: not panel.compact)
    assert all(plot.isVisible() for plot in panel.plot_items)


def test_the_eigenvalue_key_is_in_the_legend_strip_not_over_the_curves(qtbot, make_controller, show_panel):
    import pyqtgraph as pg

    controller = make_controller(SADDLE, ball("a", "#ff3b30", start=(1.5, 0.05), hyper={"lr": 0.1}))
    panel = show_panel(EigenvaluePanel, controller)
    advance(controller, 60)
    # No words inside the plot, where they would cover a curve; the legend strip above says it.
    view = panel.plot_items[0].getViewBox()
    words = [item for item in view.allChildren() if isinstance(item, pg.TextItem | pg.InfLineLabel)]
    assert words == []
    assert "0: flat" in panel.legend_labels and "λ<0: curves down" in panel.legend_labels
    assert panel.legend.geometry().bottom() <= panel.graphics.geometry().top()


def _shown_width(panel: ReadoutPanel, column: int) -> int:
    return 0 if panel.table.isColumnHidden(column) else panel.table.horizontalHeader().sectionSize(column)


@pytest.mark.parametrize("width", [300, 390, 520, 760, 1100])
def test_the_readout_table_fits_its_dock_and_cuts_no_number(qtbot, make_controller, show_panel, width):
    controller = make_controller(
        RAVINE,
        ball("settling", "#4dc3ff", start=(-2.5, 1.0), hyper={"lr": 0.078}),
        ball("a learning rate past the bound", "#ff3b30", start=(-2.5, 1.0), hyper={"lr": 0.082}),
        ball("RMSProp", "#c8ff00", "rmsprop", start=(2.0, -1.0), hyper={"lr": 0.01}),
    )
    panel = show_panel(ReadoutPanel, controller)
    advance(controller, 400)   # the second ball was stopped far away (loss ~1e8, gradient ~1e5), with long words
    panel.resize(width, 300)
    # (Wider than the shown panel's 700 pixels, the viewport was already narrower than ``width``.)
    qtbot.waitUntil(lambda: panel.table.width() == width, timeout=5000)
    panel.refresh()
    table, header = panel.table, panel.table.horizontalHeader()
    available = table.viewport().width()
    # Never wider than the dock: the columns and the badge line end at its right edge.
    assert sum(_shown_width(panel, c) for c in range(len(COLUMNS))) == available
    assert table.visualRect(panel.model.index(1, 0)).right() < available
    # No number is cut: each shown column is wider than its widest text.
    metrics = table.fontMetrics()
    for column in range(len(COLUMNS)):
        if column in (BALL, FILLER) or table.isColumnHidden(column):
            continue
        texts = [panel.model.text(row, column) for row in range(3)] + [COLUMNS[column]]
        assert max(metrics.horizontalAdvance(t) for t in texts) + 6 <= header.sectionSize(column), (column, texts)
    # No badge is cut short: a row is as tall as its words wrapped at the badge's width.
    assert "diverging" in panel.model.text(1, REGIME)
    bold = QFont(table.font())
    bold.setBold(True)
    bold_metrics = QFontMetrics(bold)
    room = available - 2 * (BADGE_MARGIN + BADGE_PADDING) - BADGE_SLACK
    for entry in range(3):
        words = panel.model.text(entry, REGIME)
        height = table.verticalHeader().sectionSize(2 * entry + 1) - 2 * BADGE_MARGIN
        wrapped = bold_metrics.boundingRect(QRect(0, 0, room, 10_000), int(Qt.TextFlag.TextWordWrap), words)
        assert height >= wrapped.height(), (words, height, wrapped.height())
    # Loss and the largest curvature always show; the position goes first, then ‖∇f‖ and λmin.
    assert not table.isColumnHidden(LOSS) and not table.isColumnHidden(LAMBDA_MAX)
    hidden = panel.hidden_columns
    order = [POSITION, GRADIENT, LAMBDA_MIN]
    assert hidden == set(order[: len(hidden)])
    # A name is whole (up to its share of the width) above the smallest font: columns gave way first.
    if table.font().pointSize() > MIN_POINT_SIZE:
        name = metrics.horizontalAdvance("a learning rate past the bound") + table.iconSize().width() + 8 + 6
        assert header.sectionSize(BALL) >= min(name, int(MAX_NAME_SHARE * panel.available_width())) - 1
    if width >= 390:
        assert table.font().pointSize() >= 12
    if width >= 1100:
        assert hidden == set()
    assert table.font().pointSize() >= MIN_POINT_SIZE


def test_plots_refresh_about_fifteen_times_a_second_while_playing_and_at_once_when_paused(
        qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30", hyper={"lr": 0.001}))
    panel = show_panel(LossPanel, controller)
    refreshed: list[float] = []
    frames: list[float] = []
    original = panel.after_refresh
    # When each refresh began: the time the throttle counts from (its end varies with the machine's load).
    panel.after_refresh = lambda: (refreshed.append(panel._last_refresh), original())
    controller.stepped.connect(lambda: frames.append(time.perf_counter()))
    controller.play()
    qtbot.waitUntil(lambda: len(frames) >= 30, timeout=10_000)
    controller.pause()
    playing = [t for t in refreshed if t <= frames[-1]]
    assert len(playing) >= 2
    # Every refresh while playing came at least REFRESH_INTERVAL_S after the one before, and one
    # came at least every fourth frame (15 a second at 60 frames a second: the chart moves smoothly).
    assert min(np.diff(playing)) >= REFRESH_INTERVAL_S - 1e-6
    assert len(playing) <= (frames[-1] - playing[0]) / REFRESH_INTERVAL_S + 2  # (the first began before frames[0])
    assert len(playing) >= len(frames) // 4 - 1
    # Stopping shows the state it stopped on; so does a single step.
    history = controller.history(0)
    np.testing.assert_array_equal(panel.curve_data(0, "loss")[1], history.loss)
    controller.step_once()
    assert panel.curve_data(0, "loss")[0][-1] == controller.history(0).steps[-1]


def test_a_frame_with_nothing_new_redraws_no_curve(qtbot, make_controller, show_panel):
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-1.0, 0.3)))
    panels = [show_panel(cls, controller) for cls in PLOT_PANELS]
    advance(controller, 5)
    assert all(panel.changed_keys for panel in panels)
    drawn = {id(panel): {key: panel.curve(*key).getData() for key in panel.curve_keys()} for panel in panels}
    controller.stepped.emit()            # a frame without a step (e.g. a repaint request)
    for panel in panels:
        assert panel.changed_keys == set()
        for key, (x, _y) in drawn[id(panel)].items():
            assert panel.curve(*key).getData()[0] is x


def test_curves_report_the_extent_pyqtgraph_would_find_by_scanning(qtbot, make_controller, show_panel):
    import pyqtgraph as pg

    controller = make_controller(
        SADDLE,
        ball("plain", "#ff3b30", start=(1.5, 0.05)),
        ball("noisy", "#4dc3ff", start=(1.5, 0.0), noise=NoiseSettings(sigma=0.3)),
        ball("adam", "#c8ff00", "adam", start=(-1.0, 0.5), hyper={"lr": 0.05}),
        seed=4,
    )
    panels = [show_panel(cls, controller) for cls in PLOT_PANELS]
    for _ in range(4):
        advance(controller, 333)            # long enough to be decimated, with rebuilds on the way
    for panel in panels:
        for key in panel.curve_keys():
            item = panel.curve(*key)
            x, y = item.getData()
            reference = pg.PlotCurveItem(x=x, y=y, connect="finite")   # pyqtgraph scans the points
            for axis in (0, 1):
                expected = reference.dataBounds(axis)
                if expected[0] is not None and np.isnan(expected[0]):
                    expected = (None, None)         # nothing finite (pyqtgraph says NaN; it draws nothing either)
                    assert "unstable" in key        # only the band marking a rate above its bound may be all gaps
                    assert item.dataBounds(axis) == expected, (key, axis)
                else:
                    assert item.dataBounds(axis) == pytest.approx(expected, rel=1e-12), (key, axis)


def test_every_plot_follows_its_curves_as_they_grow(qtbot, make_controller, show_panel):
    # The curves of a plot tell its view once per refresh that they moved; each view must then fit
    # them all again (here: reach the last step on the x axis), whichever curve told it.
    controller = make_controller(RAVINE, ball("a", "#ff3b30"), ball("b", "#4dc3ff", start=(-1.0, 0.3)))
    panels = [show_panel(cls, controller) for cls in PLOT_PANELS]
    for steps in (10, 200, 1500):
        views = [plot.getViewBox() for panel in panels for plot in panel.plot_items if plot.isVisible()]
        for view in views:
            view._autoRangeNeedsUpdate = False  # (pyqtgraph's flag: "fit the range at the next paint")
        advance(controller, steps)
        assert all(view._autoRangeNeedsUpdate for view in views)     # each was asked to fit its curves
        last = float(controller.history(0).steps[-1])
        for panel in panels:
            panel.grab()                        # a view fits its range when it is painted
            for plot in panel.plot_items:
                if plot.isVisible():
                    low, high = plot.getViewBox().viewRange()[0]
                    assert low <= 0.0 and high >= last, (type(panel).__name__, steps, low, high, last)


def test_a_curve_set_paints_and_frames_what_one_pyqtgraph_curve_per_series_did(qtbot):
    # The curves of a plot at one stacking level are one item (gui.panels.curve_set): the picture
    # and the view's fitted range must be what separate PlotCurveItems gave: z order, insertion
    # order, dashed and translucent pens, gaps, a wide band under the lines.
    import pyqtgraph as pg
    from PyQt6.QtGui import QColor, QGuiApplication, QImage

    from gui.panels import plot_style
    from gui.panels.curve_set import CurveSet, pen_reach

    rng = np.random.default_rng(5)
    x = np.arange(300, dtype=float)
    series = [np.cumsum(rng.normal(size=300)) for _ in range(4)]
    series[1][100:130] = np.nan                               # a gap
    band = np.where(series[0] > np.nanmedian(series[0]), series[0], np.nan)
    translucent = QColor("#ffb000")
    translucent.setAlpha(160)
    band_pen = pg.mkPen(translucent, width=11.0)
    band_pen.setCosmetic(True)
    curves = [  # (values, pen, z), in the order added
        (band, band_pen, 0.0),
        (series[0], plot_style.ball_pen("#ff3b30"), 2.0),
        (series[1], plot_style.ball_pen("#4dc3ff"), 2.0),
        (series[2], plot_style.ball_pen("#ff3b30", dashed=True, lighten=0.35), 1.0),
        (series[3], plot_style.ball_pen("#c8ff00", dashed=True), 1.0),
    ]
    pictures, ranges = [], []
    for kind in ("items", "sets"):
        widget = pg.PlotWidget()
        qtbot.addWidget(widget)
        widget.resize(600, 400)
        widget.setBackground(plot_style.BACKGROUND)
        widget.show()
        qtbot.waitExposed(widget)
        sets: dict[tuple, CurveSet] = {}
        for values, pen, z in curves:
            finite = values[np.isfinite(values)]
            if kind == "items":
                item = pg.PlotCurveItem(x, values, pen=pen, connect="finite", antialias=False)
                item.setZValue(z)
                widget.addItem(item)
            else:
                key = (z, pen_reach(pen))
                if key not in sets:
                    sets[key] = CurveSet(z, key[1])
                    widget.addItem(sets[key])
                curve = sets[key].add(pen)
                sets[key].set_curve(curve, x, values, (x[0], x[-1]), (float(finite.min()), float(finite.max())))
        for curve_set in sets.values():
            curve_set.changed()
        widget.getViewBox().autoRange()
        QGuiApplication.processEvents()
        ranges.append(widget.getViewBox().viewRange())
        pictures.append(widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB32))
    assert len(sets) == 3                                      # three stacking levels (the band reaches further)
    np.testing.assert_allclose(ranges[1], ranges[0], rtol=1e-12)   # the same range fitted
    items, sets_picture = (np.frombuffer(p.constBits().asstring(p.sizeInBytes()), dtype=np.uint8).reshape(-1, 4)
                           for p in pictures)
    assert (items != sets_picture).sum() == 0                  # pixel for pixel
    background = np.array(QColor(plot_style.BACKGROUND).getRgb()[2::-1])   # (the image is BGRA)
    assert (items[:, :3] != background).any(axis=1).sum() > 5000


def settle_axis(panel: EigenvaluePanel, rounds: int = 50) -> None:
    """Process events until the eigenvalue axis' range and height stay put for three rounds in a row.

    A new scale changes the plot's margins, which the layout applies on a later event, and the view
    then fits itself again: the labels drawn are those of the settled axis (what the user sees), and
    how many event rounds that takes depends on the machine's load.
    """
    settle(lambda: (tuple(panel.axis.range), panel.axis.height()), rounds)


def resize_shown(qtbot, panel, size: tuple[int, int]) -> None:
    """Resize a shown panel and wait until it has the size (the X server applies it asynchronously,
    later on a loaded machine) and its layout has followed."""
    panel.resize(*size)
    qtbot.waitUntil(lambda: (panel.width(), panel.height()) == tuple(size), timeout=5000)
    settle(lambda: (panel.graphics.geometry(), *(plot.getViewBox().sceneBoundingRect() for plot in panel.plot_items)))


def settle_bound_labels(panel: StepPanel) -> None:
    """Process events until the step panel's view and its bound labels stay put (a change of view moves them)."""
    view = panel.plot_items[1].getViewBox()
    labels = panel._bound_labels
    settle(lambda: (view.sceneBoundingRect(), tuple(view.viewRange()[1]),
                    tuple((label.isVisible(), label.toPlainText(), label.pos()) for label in labels.values())))


def labelled_ticks(panel: EigenvaluePanel) -> dict[str, float]:
    """{label: plot position} of the tick labels the eigenvalue axis draws at the panel's size.

    pyqtgraph leaves out a label that would cross the axis' bounds, so the labels are those its
    drawing pass keeps (generateDrawSpecs), not merely those the axis proposes.
    """
    panel.plot_items[0].getViewBox().autoRange()
    settle_axis(panel)
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _line, _ticks, texts = panel.axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    drawn = {text for _rect, _flags, text in texts}
    low, high = panel.axis.range
    levels = panel.axis.tickValues(low, high, panel.axis.height())
    positions = [position for _spacing, values in levels for position in values]
    labels = panel.axis.tickStrings(positions, 1.0, None)
    return {label: position for label, position in zip(labels, positions, strict=True) if label in drawn}


def scene_panel(qtbot, make_controller, show_panel, scene_name: str, steps: int, size: tuple[int, int]):
    """An eigenvalue panel of ``size`` on a preset scene after ``steps`` steps, its view fitted."""
    from physics.preset_scenes import PRESET_SCENES

    scene = PRESET_SCENES[scene_name]
    controller = make_controller(scene.formula, *scene.balls, seed=scene.seed)
    panel = show_panel(EigenvaluePanel, controller)
    # The axis' ticks depend on its height: wait for the size and for the layout to follow it.
    resize_shown(qtbot, panel, size)
    advance(controller, steps)
    panel.plot_items[0].getViewBox().autoRange()
    return controller, panel


@pytest.mark.parametrize("scene_name", ["plateau-trap", "rosenbrock-race"])
@pytest.mark.parametrize("size", [(300, 220), (700, 450)])
def test_asinh_ticks_sit_where_asinh_puts_the_values_they_name(qtbot, make_controller, show_panel, scene_name, size):
    _controller, panel = scene_panel(qtbot, make_controller, show_panel, scene_name, 90, size)
    assert panel.scale is not None
    assert panel.plot_items[0].getAxis("left").labelText in ("λ (asinh scale)", "λ (asinh)")
    ticks = labelled_ticks(panel)
    values = {label: float(label.replace("\u2212", "-")) for label in ticks}
    # Powers of ten (and zero) only, each placed at asinh(value / w).
    assert all(v == 0 or np.log10(abs(v)) == round(np.log10(abs(v))) for v in values.values()), ticks
    for label, position in ticks.items():
        assert position == pytest.approx(float(np.arcsinh(values[label] / panel.scale.width)), abs=1e-9), label


def test_the_plateau_scenes_eigenvalue_one_is_drawn_at_the_1_tick(qtbot, make_controller, show_panel):
    # The dock's size in a 1600 x 900 window, where "1" used to sit just above a "0.1" label.
    controller, panel = scene_panel(qtbot, make_controller, show_panel, "plateau-trap", 90, (300, 220))
    adam = controller.history(1).lambda_max[-1]
    assert adam == pytest.approx(1.0, abs=0.005)   # the read-out's "+1.00"
    ticks = labelled_ticks(panel)
    assert {"1", "0"} <= set(ticks)
    _steps, plotted = panel.curve(1, "lambda_max").getData()
    # Within a hair of the "1" tick, nowhere near the "0.1" the old axis put it beside.
    assert abs(plotted[-1] - ticks["1"]) < 0.01


@pytest.mark.parametrize("size", [(300, 220), (235, 245)])   # the dock at 1600 x 900 and at 1280 x 720
def test_a_small_plot_labels_the_decade_above_rosenbrocks_931(qtbot, make_controller, show_panel, size):
    controller, panel = scene_panel(qtbot, make_controller, show_panel, "rosenbrock-race", 90, size)
    ticks = labelled_ticks(panel)
    _steps, plotted = panel.curve(0, "lambda_max").getData()
    above = [label for label, position in ticks.items() if position >= plotted[-1]]
    below = [label for label, position in ticks.items() if position < plotted[-1]]
    # Labels are skipped from the top down: the nearest one above is 1000, not a lone 100 below.
    assert above == ["1000"] and "100" not in below, ticks


def test_rosenbrocks_931_sits_between_the_100_and_1000_ticks(qtbot, make_controller, show_panel):
    # A plot 200 pixels high: room for labels at both 100 and 1000 once no decade is wasted.
    controller, panel = scene_panel(qtbot, make_controller, show_panel, "rosenbrock-race", 90, (400, 300))
    sgd = controller.history(0).lambda_max[-1]
    assert 100 < sgd < 1000
    ticks = labelled_ticks(panel)
    assert {"100", "1000"} <= set(ticks), ticks
    _steps, plotted = panel.curve(0, "lambda_max").getData()
    assert ticks["100"] < plotted[-1] < ticks["1000"]
    # The view reaches the labelled decade above the data, so the top label frames the curve.
    assert panel.plot_items[0].getViewBox().viewRange()[1][1] >= ticks["1000"]


def _readout_fit(panel: ReadoutPanel) -> tuple:
    """What the read-out's fit decided: font, columns shown and their widths (not the filler's), row heights."""
    table = panel.table
    rows = table.verticalHeader()
    return (table.font().pointSize(), tuple(_shown_width(panel, c) for c in range(FILLER)),
            tuple(rows.sectionSize(row) for row in range(panel.model.rowCount())))


def three_ball_ravine(make_controller):
    """ravine-momentum's three balls, whose badges' words made the read-out's scroll bar flicker."""
    return make_controller(
        RAVINE,
        ball("gradient descent", "#4dc3ff", start=(-2.5, 1.0)),
        ball("momentum", "#ff9f0a", "momentum", start=(-2.5, 1.0), hyper={"lr": 0.03, "momentum": 0.8}),
        ball("Nesterov", "#c8ff00", "nesterov", start=(-2.5, 1.0), hyper={"lr": 0.03, "momentum": 0.8}),
    )


def test_the_readout_fit_does_not_depend_on_its_scroll_bar(qtbot, make_controller, show_panel):
    """Issue 11 item 1: showing the scroll bar must not change the fit that decides whether it shows.

    When it did (the fit read the viewport's width), badge rows re-wrapped, the scroll bar hid,
    the rows re-wrapped back, and ravine-momentum froze for seconds per step in a 392-pixel dock.
    Forced on and forced off, the scroll bar now leaves the font, the columns and every row's
    height exactly as they were, at every width.
    """
    controller = three_ball_ravine(make_controller)
    panel = show_panel(ReadoutPanel, controller)
    advance(controller, 29)
    table = panel.table
    for width in range(280, 560, 9):
        fits = []
        for policy in (Qt.ScrollBarPolicy.ScrollBarAlwaysOn, Qt.ScrollBarPolicy.ScrollBarAlwaysOff):
            table.setVerticalScrollBarPolicy(policy)
            panel.resize(width, 240)
            qtbot.waitUntil(lambda width=width: table.width() == width, timeout=5000)
            panel.refresh()
            fits.append(_readout_fit(panel))
            # The columns and the badges still end at the viewport's right edge.
            assert sum(_shown_width(panel, c) for c in range(len(COLUMNS))) == table.viewport().width()
        assert fits[0] == fits[1], width


def test_the_readout_scroll_bar_settles_while_stepping_at_any_width(qtbot, make_controller, show_panel):
    """Stepping three balls at widths around the default dock's: the scroll bar shows or hides at most
    once per update (it flickered 15 616 times in one step of ravine-momentum)."""
    controller = three_ball_ravine(make_controller)
    panel = show_panel(ReadoutPanel, controller)
    bar = panel.table.verticalScrollBar()
    toggles: list[bool] = []
    bar.installEventFilter(_VisibilityRecorder(toggles, panel))
    advance(controller, 14)
    for width in range(380, 400, 2):
        panel.resize(width, 223)
        qtbot.waitUntil(lambda width=width: panel.table.width() == width, timeout=5000)
        for _ in range(2):
            toggles.clear()
            advance(controller, 1)
            panel.refresh()
            qtbot.wait(1)
            assert len(toggles) <= 1, (width, len(toggles))


class _VisibilityRecorder(QObject):
    """Appends True / False to ``record`` whenever the watched widget is shown / hidden."""

    def __init__(self, record: list[bool], parent: QObject):
        super().__init__(parent)
        self.record = record

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self.record.append(event.type() == QEvent.Type.Show)
        return False


@pytest.mark.parametrize("width", [294, 392, 560])
def test_readout_names_are_whole_where_columns_can_give_way(qtbot, make_controller, show_panel, width):
    """Issue 11 item 18: "gradi…" told the class nothing. In the default docks of 1280 and 1600 pixel
    windows the names show whole; ‖∇f‖ and λmin (said in words by the badge) go first."""
    controller = three_ball_ravine(make_controller)
    panel = show_panel(ReadoutPanel, controller)
    advance(controller, 30)
    panel.resize(width, 245)
    qtbot.waitUntil(lambda: panel.table.width() == width, timeout=5000)
    panel.refresh()
    table = panel.table
    metrics = table.fontMetrics()
    room = table.horizontalHeader().sectionSize(BALL) - table.iconSize().width() - 8 - 6
    for index, name in enumerate(("gradient descent", "momentum", "Nesterov")):
        assert panel.text(index, BALL) == name
        assert metrics.horizontalAdvance(name) <= room, (name, room)
    assert not table.isColumnHidden(LOSS) and not table.isColumnHidden(LAMBDA_MAX)
    assert table.font().pointSize() >= (12 if width >= 392 else MIN_POINT_SIZE)


@pytest.mark.parametrize("size", [(300, 250), (420, 330), (520, 700)])
def test_bound_labels_never_overlap_and_name_every_bound(qtbot, make_controller, show_panel, size):
    """Issue 11 item 18: "3.6/λmax" was drawn over "2/λmax". Three bounds close together (c = 2,
    3.6 and 2(1.8)/2.6 = 1.38 over λmax = 25): the labels shown never overlap, lie inside the plot,
    and between them still name every c, merged ones in one label as "(3.6, 2)/λmax"."""
    controller = three_ball_ravine(make_controller)
    panel = show_panel(StepPanel, controller)
    resize_shown(qtbot, panel, size)
    advance(controller, 30)
    panel.refresh()
    settle_bound_labels(panel)
    view = panel.plot_items[1].getViewBox()
    shown = [label for label in panel._bound_labels.values() if label.isVisible()]
    boxes = [label.mapRectToScene(label.boundingRect()) for label in shown]
    for first in range(len(boxes)):
        assert view.sceneBoundingRect().contains(boxes[first].center())
        for second in range(first + 1, len(boxes)):
            assert not boxes[first].intersects(boxes[second]), [label.toPlainText() for label in shown]
    words = " ".join(label.toPlainText() for label in shown)
    for number in ("2", "3.6", "1.38"):
        assert number in words.replace("(", " ").replace(")", " ").replace(",", " ").replace("/", " ").split()
    assert "c/λmax" in " ".join(panel.legend_labels)  # the dashed line is explained


def test_the_view_adds_no_empty_decade_beyond_the_data(qtbot, make_controller, show_panel):
    # The cliff's spikes reach |λ| = 1300: labels at ±1000 frame them; pyqtgraph's own padding, a
    # tenth of the range, is a whole decade on an asinh axis and used to put ±10000 up instead.
    controller, panel = scene_panel(qtbot, make_controller, show_panel, "cliff-clipping", 90, (300, 220))
    largest = max(np.nanmax(np.abs(controller.history(i).lambda_max)) for i in range(2))
    largest = max(largest, max(np.nanmax(np.abs(controller.history(i).lambda_min)) for i in range(2)))
    assert 1000 < largest < 3162   # in the lower half of its decade (log10 3.11): no need to widen
    ticks = labelled_ticks(panel)
    assert {"1000", "−1000"} <= set(ticks) and "10000" not in ticks, (largest, ticks)
    low, high = panel.scale.inverse(np.array(panel.plot_items[0].getViewBox().viewRange()[1]))
    assert max(-low, high) < np.sqrt(10.0) * largest, (low, high, largest)   # under half a decade


@pytest.mark.parametrize("size", [(235, 245), (300, 220), (700, 450)])
def test_the_axis_says_it_is_compressed_in_words_that_fit(qtbot, make_controller, show_panel, size):
    _controller, panel = scene_panel(qtbot, make_controller, show_panel, "rosenbrock-race", 90, size)
    settle_axis(panel)
    title = panel.axis.labelText
    assert "asinh" in title
    font = QFont()
    font.setPointSize(13)
    assert QFontMetrics(font).horizontalAdvance(title) <= panel.axis.height(), (title, panel.axis.height())
    if size == (700, 450):
        assert title == "λ (asinh scale)"


def test_bounds_with_the_same_c_merge_into_one_plain_label(qtbot, make_controller, show_panel):
    """Two gradient-descent balls (c = 2) on different curvatures (x^2 + y^4: λmax = 12y² at |y| > 0.41)
    give close but different bounds: one label "2/λmax", not "(2, 2)/λmax"."""
    controller = make_controller(
        "x^2 + y^4",
        ball("a", "#4dc3ff", start=(1.0, 1.0), hyper={"lr": 0.01}),
        ball("b", "#ff9f0a", start=(1.0, 1.05), hyper={"lr": 0.01}),
    )
    panel = show_panel(StepPanel, controller)
    resize_shown(qtbot, panel, (300, 250))
    advance(controller, 3)
    panel.refresh()
    settle_bound_labels(panel)
    _, first = panel.curve_data(0, "bound")
    _, second = panel.curve_data(1, "bound")
    assert first[-1] != pytest.approx(second[-1], rel=1e-3)  # two lines, close together
    shown = [label.toPlainText() for label in panel._bound_labels.values() if label.isVisible()]
    assert shown == ["2/λmax"]


def test_the_step_axis_keeps_its_0_label_under_a_compressed_axis(qtbot, make_controller, show_panel):
    _controller, panel = scene_panel(qtbot, make_controller, show_panel, "rosenbrock-race", 90, (300, 220))
    assert panel.scale is not None
    settle_axis(panel)
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        _line, _ticks, texts = panel.plot_items[0].getAxis("bottom").generateDrawSpecs(painter)
    finally:
        painter.end()
    assert "0" in {text for _rect, _flags, text in texts}
