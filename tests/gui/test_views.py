"""The contour map (gui.views.contour_map) on the real SceneController: image, markers, overlays, mouse, pixels."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtCore, QtGui
from PyQt6.QtCore import Qt

from gui import palette
from gui.controller import SceneController
from gui.views import contour_map
from gui.views.contour_map import ARROW_FRACTION, ContourMapView
from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.overlays import OVERLAY_NAMES
from physics.scenes import Scene
from surfaces.surface import Domain


def ball(index: int, start: tuple[float, float], optimizer: str = "gd", **options) -> BallSpec:
    hyper = options.pop("hyper", {"lr": 0.05} if optimizer == "gd" else {})
    return BallSpec(name=f"Ball {index + 1}", color=palette.ball_color(index), optimizer=optimizer,
                    hyperparameters=tuple(hyper.items()), start=start, **options)


_alive: list = []


@pytest.fixture(autouse=True)
def hold_until_teardown():
    """Strong references to the widgets and controllers a test makes, until the test is over.

    qtbot holds widgets weakly: a view whose last reference went with a helper's frame would be
    left to the cyclic garbage collector, which may delete it in the middle of a paint (a crash
    seen about once in five runs). Widgets are closed by qtbot while still referenced here;
    controllers are shut down here.
    """
    yield _alive
    for thing in reversed(_alive):
        if isinstance(thing, SceneController):
            thing.shutdown()
    _alive.clear()


def make_controller(qtbot, formula: str, domain: Domain | None, balls=(), critical: bool = True) -> SceneController:
    controller = SceneController(Scene(formula=formula, domain=domain, balls=tuple(balls)))
    _alive.append(controller)
    if critical:
        qtbot.waitUntil(lambda: bool(controller.critical_points), timeout=20_000)
    return controller


def make_map(qtbot, controller: SceneController, size=(800, 760)) -> ContourMapView:
    view = ContourMapView(controller)
    _alive.append(view)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.reset_view()
    QtGui.QGuiApplication.processEvents()
    return view


def grab(view: ContourMapView) -> QtGui.QImage:
    return view.plot_widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)


def pixel(image: QtGui.QImage, point: QtCore.QPoint) -> np.ndarray:
    color = image.pixelColor(point)
    return np.array([color.red(), color.green(), color.blue()])


@pytest.fixture
def bowl(qtbot):
    momentum = ball(1, (-2.0, 2.0), "sgd", hyper={"lr": 0.02, "momentum": 0.9})
    controller = make_controller(qtbot, "x^2 + y^2", Domain(-3, 3, -3, 3), [ball(0, (2.0, 1.0)), momentum])
    controller.simulation.step(5)
    controller.stepped.emit()
    return controller, make_map(qtbot, controller)


# -- the surface -----------------------------------------------------------------------------------

def test_image_holds_the_surface_values_on_the_grid(bowl):
    controller, view = bowl
    sample = view.sample
    xs, ys = sample.xs, sample.ys
    # Independent: f = x^2 + y^2 written out, no compression for a bowl.
    expected = xs[:, None] ** 2 + ys[None, :] ** 2
    np.testing.assert_allclose(view.image.image, expected, rtol=1e-12, atol=1e-12)
    assert view.display_note == "" and not view.note_label.isVisible()
    # Pixel centres sit on the grid points: the image spans half a cell beyond the domain.
    rect = view.image.mapRectToParent(view.image.boundingRect())
    dx = xs[1] - xs[0]
    assert rect.left() == pytest.approx(-3 - dx / 2) and rect.right() == pytest.approx(3 + dx / 2)
    assert view.image.getLevels() == pytest.approx((expected.min(), expected.max()))


def test_compressed_surfaces_show_the_compressed_heights_and_say_so(qtbot):
    controller = make_controller(qtbot, "rosenbrock", None, critical=False)
    view = make_map(qtbot, controller)
    sample = view.sample
    f = controller.surface.value_grid(sample.xs, sample.ys)
    np.testing.assert_allclose(view.image.image, sample.scale.apply(f), rtol=1e-12)
    assert "compressed" in view.display_note
    assert view.note_label.isVisible() and view.note_label.text() == view.display_note
    # Below the knee the image is f itself; above, strictly less than f.
    below = f <= sample.scale.high
    np.testing.assert_allclose(view.image.image[below], f[below])
    assert np.all(view.image.image[~below] < f[~below])


def test_note_follows_the_surface(qtbot):
    controller = make_controller(qtbot, "x^2 + y^2", Domain(-3, 3, -3, 3), critical=False)
    view = make_map(qtbot, controller)
    notes = []
    view.displayNoteChanged.connect(notes.append)
    controller.set_formula("goldstein-price")
    qtbot.waitUntil(lambda: "goldstein" in controller.surface.name.lower() or bool(notes), timeout=20_000)
    assert notes and "compressed" in notes[-1] and view.display_note == notes[-1]
    controller.set_formula("x^2 - y^2")
    qtbot.waitUntil(lambda: notes[-1] == "", timeout=20_000)
    assert not view.note_label.isVisible()


def test_nan_region_is_transparent_over_the_hatching(qtbot):
    controller = make_controller(qtbot, "log(x) + y^2", Domain(-3, 3, -3, 3), critical=False)
    view = make_map(qtbot, controller)
    image = view.image.image
    left = view.sample.xs < 0
    assert np.isnan(image[left]).all() and np.isfinite(image[~left]).all()
    # The rendered image gives those pixels alpha 0, the others alpha 255.
    view.image.render()
    qimage = view.image.qimage
    assert qimage.pixelColor(5, 50).alpha() == 0            # x index 5: x < 0
    assert qimage.pixelColor(len(left) - 5, 50).alpha() == 255
    # On screen the hole shows the grey hatching, not a colour of the height map.
    shot = grab(view)
    hole = pixel(shot, view.data_to_widget(-1.5, -2.0))
    table = palette.height_lookup_table(256)[:, :3].astype(int)
    assert np.abs(table - hole).sum(axis=1).min() > 40


# -- critical points -------------------------------------------------------------------------------

def test_critical_points_are_marked_by_kind(qtbot):
    controller = make_controller(qtbot, "saddle-between-minima", None)   # x^2 + y^4/4 - y^2/2
    view = make_map(qtbot, controller)
    # By hand: grad = (2x, y^3 - y) = 0 at (0, 0), (0, 1), (0, -1); H = diag(2, 3y^2 - 1).
    expected = {"minimum": {(0.0, -1.0), (0.0, 1.0)}, "saddle": {(0.0, 0.0)}, "maximum": set(), "degenerate": set()}
    for kind, item in view.critical_items.items():
        points = {(round(s.pos().x(), 6) + 0.0, round(s.pos().y(), 6) + 0.0) for s in item.points()}
        assert points == expected[kind], kind
        assert item.opts["symbol"] == palette.CRITICAL_SYMBOLS[kind]
        assert item.opts["brush"].color().name() == palette.CRITICAL_COLORS[kind]
    symbols = {palette.CRITICAL_SYMBOLS[k] for k in palette.CRITICAL_SYMBOLS}
    assert len(symbols) == 4 and len(set(palette.CRITICAL_COLORS.values())) == 4
    legend = view.legend.labels
    assert any("minimum" in text for text in legend) and any("saddle" in text for text in legend)
    assert not any("maximum" in text for text in legend)
    view.set_overlay("critical_points", False)
    assert not any(item.isVisible() for item in view.critical_items.values())
    assert not any("saddle" in text for text in view.legend.labels)


# -- balls and overlays ----------------------------------------------------------------------------

def test_descent_arrow_points_downhill_with_the_documented_length(bowl):
    controller, view = bowl
    state = controller.state(0)
    position, gradient = state.positions[0], state.gradient[0]
    np.testing.assert_allclose(gradient, 2 * position)        # grad of x^2 + y^2, by hand
    tails, tips = view.descent_arrows.tails, view.descent_arrows.tips
    row = int(np.argmin(np.hypot(*(tails - position).T)))
    np.testing.assert_allclose(tails[row], position)
    arrow = tips[row] - tails[row]
    np.testing.assert_allclose(arrow / np.linalg.norm(arrow), -position / np.linalg.norm(position), atol=1e-12)
    sample = view.sample
    decades = np.log10(np.linalg.norm(gradient) / sample.gradient_scale)
    assert -4 < decades < 0
    length = ARROW_FRACTION * sample.domain.diameter * (1 + decades / 4)
    assert np.linalg.norm(arrow) == pytest.approx(length)
    # The reference is the steep end of the bowl: |grad f| = 2 r, r up to 3 sqrt(2) in the corners.
    assert 0.8 * 2 * 3 < sample.gradient_scale < 2 * 3 * np.sqrt(2)


def test_a_plateau_crawl_gets_a_short_arrow(qtbot):
    controller = make_controller(qtbot, "plateau", None, [ball(0, (-1.0, -0.5)), ball(1, (0.5, 0.5))],
                                 critical=False)
    view = make_map(qtbot, controller)
    lengths = np.hypot(*(view.descent_arrows.tips - view.descent_arrows.tails).T)
    gradients = [np.linalg.norm(controller.state(i).gradient[0]) for i in range(2)]
    assert gradients[0] < 1e-2 * gradients[1]           # on the plateau, and on its rim
    assert lengths[0] < 0.5 * lengths[1]


def test_step_and_velocity_overlays(bowl):
    controller, view = bowl
    for index in range(2):
        state = controller.state(index)
        tails, tips = view.step_arrows.tails, view.step_arrows.tips
        row = int(np.argmin(np.hypot(*(tips - state.positions[0]).T)))
        np.testing.assert_allclose(tips[row] - tails[row], state.step[0], atol=1e-12)
    # Only the momentum ball has a velocity; its arrow is +v (a displacement), the way it pushes.
    assert controller.state(0).velocity is None
    velocity = controller.state(1).velocity[0]
    assert len(view.velocity_arrows.tails) == 1
    arrow = view.velocity_arrows.tips[0] - view.velocity_arrows.tails[0]
    np.testing.assert_allclose(arrow / np.linalg.norm(arrow), velocity / np.linalg.norm(velocity), atol=1e-9)
    assert any("momentum" in text for text in view.legend.labels)


def test_eigen_directions_are_coloured_by_the_sign_of_the_curvature(qtbot):
    controller = make_controller(qtbot, "x^2 - y^2", Domain(-2, 2, -2, 2), [ball(0, (1.0, 0.5))], critical=False)
    view = make_map(qtbot, controller)
    position = controller.state(0).positions[0]
    # H = diag(2, -2): curving up along x, down along y, both |lambda| = 2.
    positive = view.eigen_positive.tips[0] - view.eigen_positive.tails[0]
    negative = view.eigen_negative.tips[0] - view.eigen_negative.tails[0]
    assert abs(positive[1]) < 1e-9 and abs(negative[0]) < 1e-9
    np.testing.assert_allclose((view.eigen_positive.tips[0] + view.eigen_positive.tails[0]) / 2, position)
    assert np.linalg.norm(positive) == pytest.approx(np.linalg.norm(negative))
    assert view.eigen_negative.color.name() == palette.NEGATIVE_CURVATURE_COLOR
    assert view.eigen_positive.color.name() == palette.POSITIVE_CURVATURE_COLOR


def test_overlays_switch_on_and_off(bowl):
    controller, view = bowl
    layers = {"gradient": [view.descent_arrows], "step": [view.step_arrows], "velocity": [view.velocity_arrows],
              "eigenvectors": [view.eigen_positive, view.eigen_negative], "trails": view._trails,
              "critical_points": list(view.critical_items.values()),
              "contours": [view.major_contours, view.minor_contours]}
    for name, items in layers.items():
        assert all(item.isVisible() for item in items), name
        view.set_overlay(name, False)
        assert not view.overlay(name)
        assert not any(item.isVisible() for item in items), name
        view.set_overlay(name, True)
        assert all(item.isVisible() for item in items), name
    assert set(layers) == set(OVERLAY_NAMES)        # every overlay of the table, by its scene file's name
    with pytest.raises(ValueError):
        view.set_overlay("nonsense", True)


def test_trails_follow_the_history_and_balls_move_without_new_items(bowl):
    controller, view = bowl
    items_before = set(map(id, view.plot_item.items))
    trail_before = view._trails[0]
    controller.simulation.step(20)
    controller.stepped.emit()
    assert set(map(id, view.plot_item.items)) == items_before and view._trails[0] is trail_before
    x, y = view._trails[0].getData()
    history = controller.history(0)
    np.testing.assert_allclose(np.column_stack([x, y]), history.positions)
    row = list(view.ball_markers.indices).index(0)
    np.testing.assert_allclose(view.ball_markers.positions[row], controller.state(0).positions[0])


def test_long_trails_are_thinned_but_keep_the_newest_point(qtbot, monkeypatch):
    monkeypatch.setattr(contour_map, "MAX_TRAIL_POINTS", 50)
    controller = make_controller(qtbot, "x^2 + y^2", Domain(-3, 3, -3, 3), [ball(0, (2.0, 1.0), hyper={"lr": 1e-3})],
                                 critical=False)
    view = make_map(qtbot, controller)
    controller.simulation.step(333)
    controller.stepped.emit()
    x, y = view._trails[0].getData()
    history = controller.history(0).positions
    assert len(history) == 334 and 40 <= len(x) <= 51
    np.testing.assert_allclose([x[0], y[0]], history[0])
    np.testing.assert_allclose([x[-1], y[-1]], controller.state(0).positions[0])
    # Every drawn point is a point of the path (thinned, not smoothed or moved).
    assert all(np.isclose(history, point).all(axis=1).any() for point in np.column_stack([x, y]))


def test_a_swarm_is_a_point_cloud(qtbot):
    swarm = ball(0, (1.0, 0.5), particles=500, spread=0.2, noise=NoiseSettings(sigma=0.1))
    controller = make_controller(qtbot, "x^2 + y^2", Domain(-3, 3, -3, 3), [swarm], critical=False)
    view = make_map(qtbot, controller)
    controller.simulation.step(3)
    controller.stepped.emit()
    cloud = view._swarms[0]
    np.testing.assert_allclose(cloud.positions, controller.state(0).positions)
    assert np.isnan(view.ball_markers.positions).all()  # no single-ball marker, no per-particle arrows
    assert len(view.descent_arrows.tails) == 0


def test_selection_enlarges_the_ball_and_thickens_its_trail(bowl):
    controller, view = bowl
    controller.select(1)
    sizes = dict(zip(view.ball_markers.indices, view.ball_markers.sizes, strict=True))
    assert sizes[1] > sizes[0] and view.ball_markers.indices[-1] == 1   # larger, and drawn on top
    assert view._trails[1].opts["pen"].widthF() > view._trails[0].opts["pen"].widthF()


# -- mouse -----------------------------------------------------------------------------------------

def test_a_click_emits_the_data_point_under_the_mouse(bowl, qtbot):
    _controller, view = bowl
    target = (-1.25, -0.75)
    where = view.data_to_widget(*target)
    with qtbot.waitSignal(view.pointClicked, timeout=2000) as blocker:
        qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=where)
    x, y = blocker.args
    # Within one pixel of the target (the click lands on a whole pixel).
    pixel_size = view.view_box.viewPixelSize()
    assert abs(x - target[0]) <= pixel_size[0] and abs(y - target[1]) <= pixel_size[1]


def test_a_click_on_a_start_marker_selects_that_ball(bowl, qtbot):
    controller, view = bowl
    controller.select(0)
    clicked = []
    view.pointClicked.connect(lambda x, y: clicked.append((x, y)))
    qtbot.mouseClick(view.plot_widget.viewport(), Qt.MouseButton.LeftButton, pos=view.data_to_widget(-2.0, 2.0))
    assert controller.selected == 1 and clicked == []


def _send_mouse(widget, kind, point: QtCore.QPoint, buttons) -> None:
    """One mouse event (QTest cannot hold a button during moves)."""
    button = Qt.MouseButton.LeftButton if kind != QtCore.QEvent.Type.MouseMove else Qt.MouseButton.NoButton
    event = QtGui.QMouseEvent(kind, QtCore.QPointF(point), QtCore.QPointF(widget.mapToGlobal(point)), button, buttons,
                              Qt.KeyboardModifier.NoModifier)
    QtCore.QCoreApplication.sendEvent(widget, event)
    if kind == QtCore.QEvent.Type.MouseMove:
        QtCore.QThread.msleep(20)   # pyqtgraph drops mouse moves that come faster than its rate limit


def test_dragging_a_start_marker_moves_it_and_emits_start_dragged(bowl, qtbot):
    controller, view = bowl
    viewport = view.plot_widget.viewport()
    start, end = view.data_to_widget(2.0, 1.0), view.data_to_widget(1.0, -1.5)
    received = []
    view.startDragged.connect(lambda *args: received.append(args))
    held = Qt.MouseButton.LeftButton
    _send_mouse(viewport, QtCore.QEvent.Type.MouseButtonPress, start, held)
    for t in np.linspace(0.1, 1.0, 8):
        point = start + (end - start) * float(t)
        _send_mouse(viewport, QtCore.QEvent.Type.MouseMove, point, held)
    # Live feedback while the button is down: the marker has moved and a dashed line shows the move.
    assert view.drag_line.isVisible()
    moved = view.start_markers.positions[0]
    assert abs(moved[0] - 1.0) < 0.1 and abs(moved[1] + 1.5) < 0.1
    _send_mouse(viewport, QtCore.QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    assert len(received) == 1
    index, x, y = received[0]
    pixel_size = view.view_box.viewPixelSize()
    assert index == 0 and abs(x - 1.0) <= 2 * pixel_size[0] and abs(y + 1.5) <= 2 * pixel_size[1]
    assert not view.drag_line.isVisible()
    # The shell connects it to set_ball_start: the ball then restarts there.
    controller.set_ball_start(index, (x, y))
    np.testing.assert_allclose(controller.history(0).positions[0], (x, y))


def test_dragging_empty_map_pans_instead(bowl, qtbot):
    _controller, view = bowl
    viewport = view.plot_widget.viewport()
    received = []
    view.startDragged.connect(lambda *args: received.append(args))
    before = view.view_box.viewRange()
    start, end = view.data_to_widget(0.5, -2.5), view.data_to_widget(1.5, -2.5)
    _send_mouse(viewport, QtCore.QEvent.Type.MouseButtonPress, start, Qt.MouseButton.LeftButton)
    for t in np.linspace(0.2, 1.0, 5):
        _send_mouse(viewport, QtCore.QEvent.Type.MouseMove,
                    QtCore.QPoint(round(start.x() + t * (end.x() - start.x())), start.y()), Qt.MouseButton.LeftButton)
    _send_mouse(viewport, QtCore.QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    after = view.view_box.viewRange()
    assert received == [] and after[0][0] == pytest.approx(before[0][0] - 1.0, abs=0.05)
    view.reset_view()
    assert view.view_box.viewRange()[0][0] == pytest.approx(before[0][0], abs=1e-6)


# -- pixels ----------------------------------------------------------------------------------------

def test_the_picture_shows_the_map_and_each_ball_in_its_colour(bowl):
    controller, view = bowl
    shot = grab(view)
    array = pg.imageToArray(shot, copy=True)
    assert array[..., :3].std() > 20                   # not a uniform picture
    # Low heights are dark (viridis purple) in the middle, high heights bright at the corners.
    centre, corner = pixel(shot, view.data_to_widget(0.3, -0.3)), pixel(shot, view.data_to_widget(-2.9, -2.9))
    assert centre.sum() < corner.sum()
    for index in range(2):
        x, y = controller.state(index).positions[0]
        where = view.data_to_widget(x, y)
        colour = np.array(pg.mkColor(controller.balls[index].color).getRgb()[:3])
        patch = [pixel(shot, where + QtCore.QPoint(dx, dy)) for dx in range(-3, 4) for dy in range(-3, 4)]
        assert min(np.abs(p - colour).sum() for p in patch) < 30, index


def test_gl_status_is_a_cached_answer_with_a_reason(qapp):
    from gui.views import gl_available, gl_status

    available, reason = gl_status()
    assert gl_status() == (available, reason) and gl_available() is available
    assert (reason == "") == available
    if QtGui.QGuiApplication.platformName() == "offscreen":
        assert not available and "OpenGL" in reason


def test_a_swarm_shows_on_the_darkest_and_the_brightest_ground(qtbot):
    # Each swarm is painted in the map's own colour where it sits: viridis' darkest at the bowl's
    # bottom, its brightest in a corner. Only the dots' rims can make them visible.
    table = palette.height_lookup_table(256)
    darkest, brightest = ("#{:02x}{:02x}{:02x}".format(*table[i][:3]) for i in (0, 255))
    swarms = [ball(0, (0.0, 0.0), particles=300, spread=0.3, hyper={"lr": 1e-4}),
              ball(1, (-2.6, -2.6), particles=300, spread=0.3, hyper={"lr": 1e-4})]
    swarms = [replace(swarm, color=color) for swarm, color in zip(swarms, (darkest, brightest), strict=True)]
    controller = make_controller(qtbot, "x^2 + y^2", Domain(-3, 3, -3, 3), swarms, critical=False)
    view = make_map(qtbot, controller)
    view.set_overlay("contours", False)
    controller.simulation.step(1)
    controller.stepped.emit()
    shot = grab(view)
    for index, wanted in ((0, "light"), (1, "dark")):
        start = view.data_to_widget(*controller.balls[index].start)
        cloud = view._swarms[index].positions
        # Pixels of the particles clear of the start marker (a ring with a dark edge of its own).
        pixels = []
        for x, y in cloud:
            where = view.data_to_widget(x, y)
            if 20 <= np.hypot(where.x() - start.x(), where.y() - start.y()) <= 60:
                pixels += [pixel(shot, where + QtCore.QPoint(dx, dy)) for dx in range(-5, 6) for dy in range(-5, 6)]
        assert len(pixels) > 200, index
        if wanted == "light":
            assert max(p.min() for p in pixels) > 150       # the light halo, on the dark valley floor
        else:
            assert min(p.max() for p in pixels) < 60        # the dark edge, on the bright corner
    pens = view._swarms[0].pens
    assert [pen.widthF() for pen in pens] == sorted((pen.widthF() for pen in pens), reverse=True)


def test_overlay_bounds_follow_the_data_and_the_zoom(bowl):
    controller, view = bowl
    layers = [view.descent_arrows, view.ball_markers, view.start_markers]
    before = [layer.boundingRect() for layer in layers]
    view.view_box.scaleBy((0.5, 0.5))        # zoom in: the pixel padding shrinks in data units
    QtGui.QGuiApplication.processEvents()
    for layer, old in zip(layers, before, strict=True):
        assert layer.boundingRect() == layer._bounding_rect()      # not a stale rectangle
        assert layer.boundingRect().width() < old.width()
    controller.simulation.step(30)
    controller.stepped.emit()
    assert view.descent_arrows.boundingRect() == view.descent_arrows._bounding_rect()
    # A trail's extent is the domain (every point is cut to it), given to the curve, not scanned.
    d = view.sample.domain
    for trail in view._trails:
        x, y = trail.getData()
        assert trail.dataBounds(0) == (d.xmin, d.xmax) and trail.dataBounds(1) == (d.ymin, d.ymax)
        assert d.xmin <= x.min() and x.max() <= d.xmax and d.ymin <= y.min() and y.max() <= d.ymax


# -- curves told their bounds (gui.views.bounded_curve) --------------------------------------------

def _same_value(x: object, y: object) -> bool:
    """Equal values: arrays element by element (NaN equal to NaN), dicts key by key, the rest by ==."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y, equal_nan=True)
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_same_value(x[key], y[key]) for key in x)
    try:
        return bool(x == y)
    except (TypeError, ValueError):
        return x is y


def _differing_attributes(a: object, b: object) -> list[str]:
    return [key for key in sorted(set(vars(a)) | set(vars(b)))
            if not _same_value(vars(a).get(key, "<absent>"), vars(b).get(key, "<absent>"))]


def test_a_bounded_curve_takes_points_as_set_data_does_and_pads_its_given_bounds_as_pyqtgraph(qtbot):
    from gui.views.bounded_curve import BoundedCurve, loose_interval

    plot = pg.PlotWidget()
    _alive.append(plot)
    qtbot.addWidget(plot)
    plot.resize(500, 400)
    plot.show()
    qtbot.waitExposed(plot)
    pen = pg.mkPen("#ff8000", width=3.0)
    reference, fast = BoundedCurve(pen=pen), BoundedCurve(pen=pen)
    plain = pg.PlotCurveItem(pen=pen)
    for item in (reference, fast, plain):
        plot.addItem(item)
    x = np.arange(50.0)
    y = np.sin(x / 5.0)
    y[20] = np.nan
    for connect in ("finite", "all", "pairs"):
        for item in (reference, fast):
            item.getPath()          # a path made from the previous points, which the update must drop
        reference.setData(x, y, connect=connect)
        fast.set_points(x, y, connect)
        assert _differing_attributes(reference, fast) == []     # what updateData leaves behind, attribute by attribute
        x, y = x + 1.0, y * 2.0
    with pytest.raises(ValueError):
        fast.set_points(x, y[:-1])

    # Told the extent of its points, it reports it to the view as pyqtgraph's own scan would; its
    # bounding rectangle holds that extent loosened (loose_interval), padded by the pen's reach as
    # pyqtgraph pads, following the pixel size as the view zooms.
    plain.setData(x, y, connect="finite")
    x_bounds, y_bounds = (float(x[0]), float(x[-1])), (float(np.nanmin(y)), float(np.nanmax(y)))
    fast.set_curve(x, y, x_bounds, y_bounds, "finite")
    QtGui.QGuiApplication.processEvents()

    def padded_loose_extent() -> QtCore.QRectF:
        """The loosened extent, padded as pyqtgraph pads the exact one (plain's rectangle)."""
        exact = plain.boundingRect()
        pad_x = (exact.width() - (x_bounds[1] - x_bounds[0])) / 2
        pad_y = (exact.height() - (y_bounds[1] - y_bounds[0])) / 2
        (x0, x1), (y0, y1) = loose_interval(*x_bounds), loose_interval(*y_bounds)
        return QtCore.QRectF(x0 - pad_x, y0 - pad_y, x1 - x0 + 2 * pad_x, y1 - y0 + 2 * pad_y)

    def same_rect(a: QtCore.QRectF, b: QtCore.QRectF) -> bool:
        return all(abs(p - q) <= 1e-9 * max(1.0, abs(p)) for p, q in zip(a.getRect(), b.getRect(), strict=True))

    assert fast.dataBounds(0) == plain.dataBounds(0) and fast.dataBounds(1) == plain.dataBounds(1)
    assert fast.boundingRect().contains(plain.boundingRect())
    assert same_rect(fast.boundingRect(), padded_loose_extent())
    padded = fast.boundingRect()
    assert padded.height() > loose_interval(*y_bounds)[1] - loose_interval(*y_bounds)[0]   # padded by the pen
    plot.getViewBox().scaleBy((4.0, 4.0))                                # zoom out: a pixel covers more data
    QtGui.QGuiApplication.processEvents()
    assert same_rect(fast.boundingRect(), padded_loose_extent())
    assert fast.boundingRect().height() > padded.height()
    fast.setPen(pg.mkPen("#ff8000", width=9.0))                          # a wider pen reaches further
    plain.setPen(pg.mkPen("#ff8000", width=9.0))
    assert same_rect(fast.boundingRect(), padded_loose_extent())
    # One more point, a little further: the same rectangle (Qt is told of no change of geometry).
    before = QtCore.QRectF(fast.boundingRect())
    x, y = np.append(x, x[-1] + 1.0), np.append(y, 0.0)
    fast.set_curve(x, y, (float(x[0]), float(x[-1])), y_bounds, "finite")
    assert fast.dataBounds(0) == (float(x[0]), float(x[-1])) and fast.boundingRect() == before


def test_loose_intervals_hold_the_interval_and_change_seldom_as_it_grows():
    from gui.views.bounded_curve import loose_interval

    assert loose_interval(0.0, 100.0) == (-32.0, 160.0)
    for low, high in [(0.0, 1e-9), (-3.0, -2.9), (5.0, 5.0), (0.0, 0.0), (1e-300, 2e-300), (1e10, 1e10 + 1e-6),
                      (-7.5, 1e6), (1e300, 1.7e308)]:
        loose_low, loose_high = loose_interval(low, high)
        assert loose_low <= low and high <= loose_high
        if high > low and high < 1e300:           # (near the largest float it is returned as it is)
            assert loose_high - loose_low <= 4 * max(high - low, 1e-6 * max(abs(low), abs(high)))
    growing = [loose_interval(0.0, float(n)) for n in range(10, 10_000)]
    assert len(set(growing)) < 80                 # a step at a time: the interval changes once in ~100 steps


def test_the_trail_layer_paints_what_one_pyqtgraph_curve_per_trail_painted(qtbot):
    # The map's trails are one item; each must look exactly as the shadow-pen curve it replaced,
    # a later trail over an earlier one, a cut trail ("pairs") as separate segments.
    from gui.views.trail_layer import TrailLayer

    rng = np.random.default_rng(3)
    walks = [np.cumsum(rng.normal(scale=0.15, size=(60, 2)), axis=0) + start for start in ((-1, 0), (1, 0.5))]
    walks[1] = np.clip(walks[1], -2.0, 2.0)
    pens = [(pg.mkPen("#ff3b30", width=3.0), pg.mkPen(palette.OUTLINE_COLOR, width=5.5)),
            (pg.mkPen("#4dc3ff", width=5.0), pg.mkPen(palette.OUTLINE_COLOR, width=7.5))]
    pictures = []
    for kind in ("curves", "layer"):
        plot = pg.PlotWidget()
        _alive.append(plot)
        qtbot.addWidget(plot)
        plot.resize(420, 420)
        plot.setBackground("#1b1b1f")
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setRange(xRange=(-2.5, 2.5), yRange=(-2.5, 2.5), padding=0)
        plot.show()
        qtbot.waitExposed(plot)
        if kind == "curves":
            for walk, (pen, shadow), connect in zip(walks, pens, ("all", "pairs"), strict=True):
                plot.addItem(pg.PlotCurveItem(walk[:, 0], walk[:, 1], pen=pen, shadowPen=shadow, connect=connect,
                                              skipFiniteCheck=True))
        else:
            layer = TrailLayer()
            plot.addItem(layer, ignoreBounds=True)
            layer.set_trails([(pen, shadow, True) for pen, shadow in pens])
            layer.set_box(np.array([-2.5, -2.5]), np.array([2.5, 2.5]))
            for index, (walk, connect) in enumerate(zip(walks, ("all", "pairs"), strict=True)):
                layer.set_points(index, walk[:, 0], walk[:, 1], connect)
            layer.changed()
        QtGui.QGuiApplication.processEvents()
        pictures.append(plot.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32))
    assert pictures[0].size() == pictures[1].size()
    curves, layer = (np.frombuffer(picture.constBits().asstring(picture.sizeInBytes()), dtype=np.uint8).reshape(-1, 4)
                     for picture in pictures)
    assert (curves != layer).sum() == 0                                  # pixel for pixel
    assert (curves[:, :3] != np.array([0x1f, 0x1b, 0x1b])).any(axis=1).sum() > 1000   # and the trails are there


def test_an_overlay_layer_keeps_its_extent_while_its_arrows_stay_in_it(qtbot):
    from gui.views.arrows import ArrowLayer

    plot = pg.PlotWidget()
    _alive.append(plot)
    qtbot.addWidget(plot)
    plot.resize(400, 400)
    plot.setRange(xRange=(-3, 3), yRange=(-3, 3), padding=0)
    plot.show()
    qtbot.waitExposed(plot)
    layer = ArrowLayer("#ffffff", width=4.0, head=16.0)
    plot.addItem(layer, ignoreBounds=True)
    layer.set_extent((-2.0, -2.0), (2.0, 2.0))
    changes: list[int] = []
    original = layer.prepareGeometryChange
    layer.prepareGeometryChange = lambda: (changes.append(1), original())

    def covers(rect: QtCore.QRectF, tails: np.ndarray, tips: np.ndarray) -> bool:
        points = np.vstack([tails, tips])
        return bool(((points[:, 0] >= rect.left()) & (points[:, 0] <= rect.right())
                     & (points[:, 1] >= rect.top()) & (points[:, 1] <= rect.bottom())).all())

    tails = np.array([[0.0, 0.0], [1.0, -1.0]])
    layer.set_arrows(tails, tails + 0.5)
    plot.grab()                                                 # (a paint: the view's transform is set)
    first = layer.boundingRect()
    assert first.contains(QtCore.QRectF(-2.0, -2.0, 4.0, 4.0)) and first.width() < 5.0   # the extent, padded
    changes.clear()
    for shift in np.linspace(-0.9, 0.7, 7):                     # moving about inside: no change of geometry
        layer.set_arrows(tails + shift, tails + shift + 0.25)
        assert layer.boundingRect() == first
    assert changes == []
    outside = np.array([[2.5, 2.5]])                            # out of the extent: the rectangle follows it
    layer.set_arrows(outside, outside + 1.0)
    assert changes and covers(layer.boundingRect(), outside, outside + 1.0)
    layer.set_arrows(tails, tails + 0.5)                        # back in: the extent again
    assert layer.boundingRect() == first
    changes.clear()
    layer.set_arrows(tails - 0.5, tails, within_extent=True)    # known to lie in it: not even measured
    assert layer.boundingRect() == first and changes == []
    np.testing.assert_array_equal(layer.tails, tails - 0.5)
