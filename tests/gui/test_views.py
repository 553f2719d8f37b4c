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
    view.set_overlay("critical", False)
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
              "eigen": [view.eigen_positive, view.eigen_negative], "trails": view._trails,
              "critical": list(view.critical_items.values()), "contours": [view.major_contours, view.minor_contours]}
    for name, items in layers.items():
        assert all(item.isVisible() for item in items), name
        view.set_overlay(name, False)
        assert not view.overlay(name)
        assert not any(item.isVisible() for item in items), name
        view.set_overlay(name, True)
        assert all(item.isVisible() for item in items), name
    view.set_overlay("eigenvectors", False)          # the scene file's name for it
    assert not view.overlay("eigen")
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
