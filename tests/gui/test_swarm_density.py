"""Large swarms on the map as a density (gui.views.swarm_density), and the Basin share panel."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PyQt6 import QtGui

from gui import palette
from gui.controller import SceneController
from gui.panels.basin_share_panel import BasinSharePanel
from gui.views.contour_map import ContourMapView
from gui.views.point_cloud import PointCloudItem
from gui.views.swarm_density import DENSITY_FROM, SwarmDensityItem, density_counts, density_rgba
from physics.balls import MAX_PARTICLES, BallSpec
from physics.experiments.basin_share import classify_particles, share_groups, shares
from physics.noise import NoiseSettings
from physics.preset_scenes import PRESET_SCENES
from physics.scenes import Scene
from surfaces.surface import Domain

_alive: list = []


@pytest.fixture(autouse=True)
def hold_until_teardown():
    """Widgets and controllers kept until the test is over (see tests/gui/test_views.py)."""
    yield _alive
    for thing in reversed(_alive):
        if isinstance(thing, SceneController):
            thing.shutdown()
    _alive.clear()


def swarm(particles: int, start=(1.5, 1.5), spread=0.6, color: str | None = None, **options) -> BallSpec:
    return BallSpec(name="swarm", color=color or palette.ball_color(0), optimizer="gd",
                    hyperparameters=(("lr", 1e-4),), start=start, particles=particles, spread=spread, **options)


def controller_for(qtbot, scene: Scene, critical: bool = False) -> SceneController:
    controller = SceneController(scene)
    _alive.append(controller)
    if critical:
        qtbot.waitUntil(lambda: bool(controller.critical_points), timeout=20_000)
    return controller


def shown(qtbot, widget, size=(800, 700)):
    _alive.append(widget)
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.waitExposed(widget)
    QtGui.QGuiApplication.processEvents()
    return widget


# -- counting ----------------------------------------------------------------------------------------

def test_counts_match_histogram2d_and_leave_out_inactive_outside_and_non_finite_particles():
    rng = np.random.default_rng(5)
    positions = rng.normal(0.0, 1.5, size=(50_000, 2))
    positions[:10] = np.nan
    positions[10:20] = (2.0, 1.0)        # the last bin's closed edge, as np.histogram2d counts it
    active = rng.random(len(positions)) > 0.1
    x_range, y_range, bins = (-3.0, 2.0), (-2.5, 1.0), (97, 43)
    counts = density_counts(positions, active, x_range, y_range, bins)
    finite = np.isfinite(positions).all(axis=1)
    reference, _, _ = np.histogram2d(positions[active & finite, 0], positions[active & finite, 1],
                                     bins=bins, range=(x_range, y_range))
    np.testing.assert_array_equal(counts, reference)
    inside = (active & finite & (positions[:, 0] >= -3) & (positions[:, 0] <= 2)
              & (positions[:, 1] >= -2.5) & (positions[:, 1] <= 1))
    assert counts.sum() == inside.sum()
    assert counts.shape == bins


def test_dense_bins_are_lighter_and_more_opaque_and_the_swarm_is_ringed_dark_then_light():
    counts = np.zeros((7, 5), dtype=np.int64)
    counts[3, 2] = 1000
    counts[4, 2] = 1
    rgba = density_rgba(counts, "#8e44ad").astype(int)          # (ny, nx, 4), premultiplied
    dense, sparse = rgba[2, 3], rgba[2, 4]
    assert dense[3] > sparse[3] and dense[:3].sum() > sparse[:3].sum()
    assert rgba[2, 2, :3].max() < 40 and rgba[2, 2, 3] > 200      # the dark edge beside the swarm
    assert rgba[2, 1, :3].min() > 100                              # then the light halo
    assert (rgba[:, 0] == 0).all()                                 # and nothing beyond


# -- on the map ------------------------------------------------------------------------------------

def test_a_large_swarm_is_drawn_as_a_density_of_its_active_particles_in_view(qtbot):
    controller = controller_for(qtbot, Scene(formula="x^2 + y^2", domain=Domain(-3, 3, -3, 3),
                                             balls=(swarm(MAX_PARTICLES), swarm(500, start=(-1.0, -1.0)))))
    view = shown(qtbot, ContourMapView(controller))
    view.reset_view()
    controller.simulation.step(2)
    controller.stepped.emit()
    density, dots = view._swarms[0], view._swarms[1]
    assert isinstance(density, SwarmDensityItem) and isinstance(dots, PointCloudItem)
    state = controller.state(0)
    (x0, x1), (y0, y1) = density.ranges
    assert (x0, x1, y0, y1) == pytest.approx([*view.view_box.viewRange()[0], *view.view_box.viewRange()[1]])
    p = state.positions
    inside = state.active & (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    assert density.counts.sum() == inside.sum() and 0 < inside.sum() < len(p)   # the spread runs off the view
    reference, _, _ = np.histogram2d(p[state.active, 0], p[state.active, 1], bins=density.counts.shape,
                                     range=density.ranges)
    np.testing.assert_array_equal(density.counts, reference)
    # Bins of about 3 screen pixels: zooming in makes them finer in data units and bins again.
    width_before = (x1 - x0) / density.counts.shape[0]
    view.view_box.setRange(xRange=(1.0, 2.0), yRange=(1.0, 2.0), padding=0)
    QtGui.QGuiApplication.processEvents()
    (a0, a1), (b0, b1) = density.ranges
    assert (a1 - a0) / density.counts.shape[0] < width_before / 3
    inside = state.active & (p[:, 0] >= a0) & (p[:, 0] <= a1) & (p[:, 1] >= b0) & (p[:, 1] <= b1)
    assert density.counts.sum() == inside.sum()


def test_the_density_is_painted_where_the_swarm_is(qtbot):
    # A tight swarm in the top-right corner: its pixels change, the opposite corner's do not.
    ball = swarm(DENSITY_FROM, start=(2.0, 2.0), spread=0.15, color="#ffffff")
    controller = controller_for(qtbot, Scene(formula="x^2 + y^2", domain=Domain(-3, 3, -3, 3), balls=(ball,)))
    view = shown(qtbot, ContourMapView(controller))
    view.reset_view()
    view.set_overlay("contours", False)
    controller.stepped.emit()
    QtGui.QGuiApplication.processEvents()
    with_swarm = view.plot_widget.grab().toImage()
    view._swarms[0].setVisible(False)
    without = view.plot_widget.grab().toImage()

    def brightness(image, x, y):
        at = view.data_to_widget(x, y)
        return QtGui.QColor(image.pixel(at.x(), at.y())).lightness()

    assert brightness(with_swarm, 2.0, 2.0) > brightness(without, 2.0, 2.0) + 60
    assert brightness(with_swarm, -2.0, -2.0) == brightness(without, -2.0, -2.0)


def test_a_swarm_of_100000_draws_through_its_steps(qtbot):
    scene = PRESET_SCENES["swarm-saddle"]
    scene = dataclasses.replace(scene, balls=(dataclasses.replace(scene.balls[0], particles=MAX_PARTICLES),))
    controller = controller_for(qtbot, scene, critical=True)
    view = shown(qtbot, ContourMapView(controller), size=(900, 700))
    panel = shown(qtbot, BasinSharePanel(controller), size=(380, 600))
    controller.advance(60)
    view.plot_widget.grab()
    panel.grab()
    assert view._swarms[0].counts.sum() == controller.state(0).active.sum()   # all in view, none diverged
    minima = [share for share, group in zip(panel.latest, panel.groups, strict=True) if group.code >= 0]
    assert sum(minima) > 0.9


# -- the Basin share panel --------------------------------------------------------------------------

def test_the_panel_follows_real_steps_and_its_shares_are_a_direct_count(qtbot):
    scene = PRESET_SCENES["swarm-saddle"]
    controller = controller_for(qtbot, scene, critical=True)
    panel = shown(qtbot, BasinSharePanel(controller), size=(380, 600))
    names = [group.name for group in panel.groups]
    assert names[:2] == ["minimum 1 at (-1.24, -0.93)", "minimum 2 at (1.24, 0.93)"]
    assert panel.latest[names.index("on the saddle")] == 1.0
    for _ in range(8):
        controller.advance(10)
    assert panel.steps.tolist() == [0, 10, 20, 30, 40, 50, 60, 70, 80]
    np.testing.assert_allclose(panel.history.sum(axis=1), 1.0)
    state = controller.state(0)
    direct = classify_particles(state.positions, state.active, state.regime_codes, controller.critical_points,
                                controller.surface.domain.diameter)
    np.testing.assert_array_equal(panel.latest, shares(direct, share_groups(controller.critical_points)))
    assert panel.latest[0] + panel.latest[1] > 0.9
    qtbot.waitUntil(lambda: panel._row_labels[0][2].text() == f"{100 * panel.latest[0]:.1f} %", timeout=2000)
    # The bands are stacked: the top of the last shown band is 100 %.
    x, top = panel._curves[names.index("in transit")].getData()
    assert x.tolist() == panel.steps.tolist() and top[-1] == pytest.approx(100.0)
    controller.reset()
    assert panel.steps.tolist() == [0]


def test_without_a_swarm_the_panel_says_so(qtbot):
    controller = controller_for(qtbot, Scene(formula="x^2 + y^2", domain=Domain(-3, 3, -3, 3),
                                             balls=(swarm(1, noise=NoiseSettings()),)))
    panel = shown(qtbot, BasinSharePanel(controller), size=(380, 600))
    assert panel.ball == -1 and "No swarm" in panel.caption.toolTip()


def test_the_dock_opens_with_a_swarm_scene_and_closes_after_it(qtbot, keep_alive, tmp_path):
    from PyQt6.QtCore import QSettings

    from gui.main_window import MainWindow
    from gui.persistence import AppSettings

    controller = controller_for(qtbot, PRESET_SCENES["plateau-trap"])
    window = keep_alive(MainWindow(controller, AppSettings(QSettings(str(tmp_path / "settings.ini"),
                                                                     QSettings.Format.IniFormat))))
    qtbot.addWidget(window)
    window.resize(1600, 900)
    window.show()
    qtbot.waitExposed(window)
    assert not window.basin_share_dock.isVisible()
    with qtbot.waitSignal(controller.sceneChanged, timeout=20_000):
        controller.load_scene(PRESET_SCENES["swarm-saddle"])
    qtbot.waitUntil(window.basin_share_dock.isVisible, timeout=5000)
    assert window.basin_share_panel.ball == 0
    qtbot.waitUntil(lambda: len(window.basin_share_panel.groups) == 6, timeout=20_000)   # the critical points came
    controller.step_once()
    assert window.basin_share_panel.steps.tolist() == [0, 1]
    with qtbot.waitSignal(controller.sceneChanged, timeout=20_000):
        controller.load_scene(PRESET_SCENES["plateau-trap"])
    qtbot.waitUntil(lambda: not window.basin_share_dock.isVisible(), timeout=5000)
