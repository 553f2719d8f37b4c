"""The 3D view (gui.views.landscape3d) on the real SceneController; needs OpenGL (run under xvfb-run).

Skipped, with the reason, where no OpenGL context can be made (e.g. QT_QPA_PLATFORM=offscreen).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
import pytest
from PyQt6 import QtGui

from gui import palette
from gui.controller import SceneController
from gui.views import gl_status
from physics.balls import BallSpec
from physics.scenes import Scene
from surfaces.surface import Domain

pytestmark = pytest.mark.gl


@pytest.fixture(autouse=True)
def need_gl(qapp):
    available, reason = gl_status()
    if not available:
        pytest.skip(f"no OpenGL here: {reason}")


_alive: list = []


@pytest.fixture(autouse=True)
def hold_until_teardown():
    """Strong references to the views and controllers a test makes, until the test is over (qtbot
    holds widgets weakly; a view left to the cyclic garbage collector may be deleted mid-paint)."""
    yield _alive
    for thing in reversed(_alive):
        if isinstance(thing, SceneController):
            thing.shutdown()
    _alive.clear()


def ball(index: int, start: tuple[float, float], optimizer: str = "gd", **options) -> BallSpec:
    hyper = options.pop("hyper", {"lr": 0.02} if optimizer == "gd" else {})
    return BallSpec(name=f"Ball {index + 1}", color=palette.ball_color(index), optimizer=optimizer,
                    hyperparameters=tuple(hyper.items()), start=start, **options)


def make_view(qtbot, formula: str, domain: Domain | None = None, balls=()):
    from gui.views.landscape3d import Landscape3DView

    controller = SceneController(Scene(formula=formula, domain=domain, balls=tuple(balls)))
    view = Landscape3DView(controller)
    _alive.extend([controller, view])
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    qtbot.waitExposed(view)
    view.reset_view()
    QtGui.QGuiApplication.processEvents()
    return controller, view


def test_mesh_vertices_are_the_surface_under_the_display_scale(qtbot):
    controller, view = make_view(qtbot, "rosenbrock")
    sample, frame = view.sample, view.frame
    meshdata = view.surface_item.opts["meshdata"]
    nx, ny = sample.heights.shape
    vertexes = meshdata.vertexes().reshape(nx, ny, 3)
    f = controller.surface.value_grid(sample.xs, sample.ys)       # independent evaluation
    np.testing.assert_allclose(vertexes[..., 2], frame.world_z(sample.scale.apply(f)), rtol=1e-5, atol=1e-5)
    assert "compressed" in view.display_note and view.note_label.isVisible()
    assert len(meshdata.faces()) == 2 * (nx - 1) * (ny - 1)


def test_a_nan_region_is_a_hole_in_the_mesh(qtbot):
    _controller, view = make_view(qtbot, "sqrt(1 - x^2 - y^2)", Domain(-1.5, 1.5, -1.5, 1.5))
    sample = view.sample
    meshdata = view.surface_item.opts["meshdata"]
    gx, gy = np.meshgrid(sample.xs, sample.ys, indexing="ij")
    defined = (gx**2 + gy**2 <= 1.0).ravel()
    faces = meshdata.faces()
    assert defined[faces].all() and 0 < len(faces) < 2 * (len(sample.xs) - 1) * (len(sample.ys) - 1)
    # The corner of the domain, outside the disc, shows the background through the hole.
    image = view.render_image()
    corner = view.project(tuple(view.frame.world_points(np.array([[1.45, 1.45]]), np.array([0.5]))[0]))
    colour = image.pixelColor(int(corner.x()), int(corner.y()))
    assert abs(colour.red() - 0x1b) < 12 and abs(colour.blue() - 0x1f) < 12


def test_the_note_is_shown_for_steep_surfaces_only(qtbot):
    notes = {}
    for name in ("bowl", "x^2 - y^2", "rosenbrock", "goldstein-price"):
        _controller, view = make_view(qtbot, name)
        notes[name] = view.display_note
        assert view.note_label.isVisible() == bool(view.display_note)
        view.close()
    assert notes["bowl"] == "" and notes["x^2 - y^2"] == ""
    assert "compressed" in notes["rosenbrock"] and "compressed" in notes["goldstein-price"]


def test_balls_rest_on_the_surface(qtbot):
    balls = [ball(0, (1.5, 0.3)), ball(1, (-1.0, -1.2))]
    controller, view = make_view(qtbot, "x^2 - y^2", Domain(-2, 2, -2, 2), balls)
    controller.simulation.step(10)
    controller.stepped.emit()
    from gui.views.landscape3d import BALL_RADIUS, SELECTED_SCALE

    frame, scale = view.frame, view.sample.scale
    surface = controller.surface
    for index in range(2):
        state = controller.state(index)
        position = state.positions[0]
        centre = view.ball_centres[index]
        radius = BALL_RADIUS * (SELECTED_SCALE if index == controller.selected else 1.0)
        contact = frame.world_points(position[None], scale.apply(surface.value(position[None])))[0]
        # The sphere touches the displayed surface at the ball's point: one radius away, along the
        # normal. The normal from finite differences of f, independently of the view's gradient.
        assert np.linalg.norm(centre - contact) == pytest.approx(radius, rel=1e-4)
        h = 1e-5
        du = (surface.value(position[None] + [h, 0]) - surface.value(position[None] - [h, 0]))[0] / (2 * h)
        dv = (surface.value(position[None] + [0, h]) - surface.value(position[None] - [0, h]))[0] / (2 * h)
        slope = frame.relief / (frame.d_max - frame.d_min) / frame.k * np.array([du, dv])
        normal = np.array([-slope[0], -slope[1], 1.0]) / np.hypot(np.hypot(*slope), 1.0)
        np.testing.assert_allclose((centre - contact) / radius, normal, atol=1e-4)
        assert centre[2] > contact[2]


def test_stepping_updates_items_without_creating_new_ones(qtbot):
    controller, view = make_view(qtbot, "bowl", None, [ball(0, (2.0, 1.0)), ball(1, (-2.0, 2.0))])
    items = list(view.gl_widget.items)
    first = view.ball_centres.copy()
    controller.simulation.step(15)
    controller.stepped.emit()
    assert view.gl_widget.items == items
    assert not np.allclose(view.ball_centres, first)
    trail = view._trails[0].pos
    history = controller.history(0)
    np.testing.assert_allclose(trail[:, :2], view.frame.world_xy(history.positions), rtol=1e-5, atol=1e-5)
    # A change of the ball list is what creates items.
    controller.add_ball(ball(2, (0.5, -2.5)))
    assert len(view.gl_widget.items) == len(items) + 2


def test_the_picture_shows_the_landscape_and_each_ball_in_its_colour(qtbot):
    controller, view = make_view(qtbot, "bowl", None, [ball(0, (2.0, 1.0)), ball(1, (-2.0, 2.0))])
    controller.simulation.step(3)
    controller.stepped.emit()
    image = view.render_image().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    array = pg.imageToArray(image, copy=True)
    assert array[..., :3].std() > 20
    for index in range(2):
        where = view.project(tuple(view.ball_centres[index]))
        colour = np.array(pg.mkColor(controller.balls[index].color).getRgb()[:3], dtype=float)
        patch = [image.pixelColor(int(where.x()) + dx, int(where.y()) + dy) for dx in range(-4, 5)
                 for dy in range(-4, 5)]
        # Lit spheres: some pixel near the centre has the ball's hue (shading scales its brightness).
        assert min(_chromaticity_distance(c, colour) for c in patch) < 0.08, index
    labels = [text for _point, text in view.axis_labels]
    assert {"x", "y", "f"} <= set(labels) and "0" in labels


def _chromaticity_distance(color: QtGui.QColor, reference: np.ndarray) -> float:
    rgb = np.array([color.red(), color.green(), color.blue()], dtype=float)
    return float(np.linalg.norm(rgb / (rgb.sum() + 1) - reference / (reference.sum() + 1)))


def test_camera_default_framing_and_round_trip(qtbot):
    _controller, view = make_view(qtbot, "himmelblau")
    camera = view.camera()
    assert camera["elevation"] == pytest.approx(32.0) and camera["azimuth"] == pytest.approx(-60.0)
    # The whole domain is in the picture: its four corners project inside the widget.
    frame = view.frame
    width, height = view.gl_widget.width(), view.gl_widget.height()
    d = view.sample.domain
    for x, y in ((d.xmin, d.ymin), (d.xmin, d.ymax), (d.xmax, d.ymin), (d.xmax, d.ymax)):
        for w in (0.0, frame.relief):
            u, v = frame.world_xy(np.array([[x, y]]))[0]
            point = view.project((u, v, w))
            assert 0 <= point.x() <= width and 0 <= point.y() <= height
    view.set_camera(azimuth=10.0, elevation=50.0, distance=30.0)
    assert view.camera() == pytest.approx({"azimuth": 10.0, "elevation": 50.0, "distance": 30.0})



def test_a_diverging_ball_stays_in_the_box_and_rests_on_the_edge_where_it_left(qtbot):
    from gui.views.landscape3d import BALL_RADIUS, SELECTED_SCALE
    from gui.views.off_map import DIVERGED, LEFT_THE_MAP

    # lr 0.082 > 2/25 on the ravine: the swing across y grows 5% a step until the simulation stops it.
    balls = [ball(0, (-2.5, 1.0), hyper={"lr": 0.082}), ball(1, (-2.5, 1.0), hyper={"lr": 0.078})]
    controller, view = make_view(qtbot, "0.5*(x^2 + 25*y^2)", Domain(-3, 3, -1.5, 1.5), balls)
    controller.simulation.step(90)
    controller.stepped.emit()
    history = controller.history(0).positions
    assert abs(history[-1, 1]) > 15 and bool(controller.state(0).active[0])
    # The trail is cut to the displayed box (drawn as separate segments); the settled ball's is whole.
    lo, hi = view.world_box()
    trail = view._trails[0]
    assert trail.mode == "lines" and len(trail.pos) >= 4
    assert np.all(trail.pos >= lo - 1e-5) and np.all(trail.pos <= hi + 1e-5)
    assert view._trails[1].mode == "line_strip"
    # Reference exit point: the last step from inside the domain to outside, cut at y = +-1.5 by hand.
    inside = (np.abs(history[:, 0]) <= 3) & (np.abs(history[:, 1]) <= 1.5)
    j = int(np.flatnonzero(inside[:-1] & ~inside[1:])[-1])
    (x0, y0), (x1, y1) = history[j], history[j + 1]
    side = 1.5 * np.sign(y1)
    exit_point = np.array([x0 + (side - y0) / (y1 - y0) * (x1 - x0), side])
    # The sphere rests on the surface there: within one radius of the edge point's surface point.
    contact = view.frame.world_points(exit_point[None], view.sample.scale.apply(
        controller.surface.value(exit_point[None])))[0]
    radius = BALL_RADIUS * (SELECTED_SCALE if controller.selected == 0 else 1.0)
    assert np.linalg.norm(view.ball_centres[0] - contact) == pytest.approx(radius, rel=1e-3)
    (label,) = view.off_map_labels
    point, text, color = label
    assert text == LEFT_THE_MAP and color == controller.balls[0].color
    assert np.linalg.norm(np.array(point)[:2] - view.ball_centres[0][:2]) < 1e-4 and point[2] > view.ball_centres[0][2]
    controller.simulation.step(400)
    controller.stepped.emit()
    assert [text for _point, text, _color in view.off_map_labels] == [DIVERGED]
    # The words are on the picture, over the ball, on a dark patch.
    image = view.render_image().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    where = view.project(view.off_map_labels[0][0])
    patch = [image.pixelColor(int(where.x()) + dx, int(where.y()) - dy) for dx in range(-30, 31, 3)
             for dy in range(2, 18, 2)]
    colour = np.array(pg.mkColor(palette.readable_on_dark(controller.balls[0].color)).getRgb()[:3])
    assert min(np.abs(np.array([c.red(), c.green(), c.blue()]) - colour).sum() for c in patch) < 60


def test_swarm_particles_have_a_rim_and_stay_in_the_box(qtbot):
    from gui.views.point_cloud import cloud_layers

    # A swarm in viridis' own darkest colour, resting in the bowl's dark bottom: only its rim can show it.
    dark = palette.height_lookup_table(256)[0]
    color = "#{:02x}{:02x}{:02x}".format(*dark[:3])
    swarm = ball(0, (0.0, 0.0), particles=400, spread=0.15, hyper={"lr": 0.01})
    far = ball(1, (2.8, 0.0), particles=50, spread=0.5, hyper={"lr": 0.01})
    controller, view = make_view(qtbot, "bowl", Domain(-3, 3, -3, 3), [replace(swarm, color=color), far])
    controller.simulation.step(2)
    controller.stepped.emit()
    layers = view._clouds[0]
    expected = cloud_layers(color)
    assert [item.size for item in layers] == [width for _rgba, width in expected]
    assert layers[0].size > layers[1].size > layers[2].size          # halo, edge, dot
    # The far swarm straddles the edge x = 3: only its particles inside the domain are drawn.
    positions = controller.state(1).positions
    inside = np.abs(positions).max(axis=1) <= 3.0
    assert 0 < inside.sum() < len(positions)
    assert all(len(item.pos) == inside.sum() for item in view._clouds[1])
    # On screen: light grey rim pixels around the dark swarm, where the surface under it is dark (no
    # other item there is grey: the minimum's marker is cyan, with no red at all).
    image = view.render_image().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    centre = view.project(tuple(view.frame.world_points(np.zeros((1, 2)), view.sample.scale.apply(np.zeros(1)))[0]))
    greyness = [min(image.pixelColor(int(centre.x()) + dx, int(centre.y()) + dy).getRgb()[:3])
                for dx in range(-25, 26) for dy in range(-25, 26)]
    assert max(greyness) > 150                                        # the light halo


def _differing_attributes(a: object, b: object) -> list[str]:
    def same(x: object, y: object) -> bool:
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            return isinstance(x, np.ndarray) and isinstance(y, np.ndarray) and np.array_equal(x, y)
        return x is y or x == y

    skip = {"m_vbo_position", "m_vbo_color", "_id"}     # each item's own GPU buffers and serial number
    return [key for key in sorted(set(vars(a)) | set(vars(b)) - skip)
            if key not in skip and not same(vars(a).get(key, "<absent>"), vars(b).get(key, "<absent>"))]


def test_a_trail_line_takes_points_as_set_data_does_and_draws_them(qtbot):
    from gui.views.trail_line import TrailLine

    controller, view = make_view(qtbot, "bowl", None, [ball(0, (2.0, 1.0))])
    reference, fast = (TrailLine(color=(1.0, 0.0, 0.0, 1.0), width=3.0, mode="line_strip", glOptions="opaque")
                       for _ in range(2))
    for item in (reference, fast):
        view.gl_widget.addItem(item)
    points = np.column_stack([np.linspace(-3, 3, 40), np.zeros(40), np.linspace(0, 4, 40)])
    for mode in ("line_strip", "lines", "line_strip"):
        view.gl_widget.grabFramebuffer()             # a paint in between: the flags were cleared by it
        reference.setData(pos=points, mode=mode)
        fast.set_points(points, mode)
        assert _differing_attributes(reference, fast) == []
        fast.set_points(points * 2, mode)            # twice before a paint: still flagged for upload
        reference.setData(pos=points * 2, mode=mode)
        assert _differing_attributes(reference, fast) == []
    with pytest.raises(ValueError):
        fast.set_points(points, "points")
    # What it was given reaches the screen: a red line where there was none.
    view.gl_widget.removeItem(reference)
    image = view.gl_widget.grabFramebuffer()
    pixels = np.array([[image.pixelColor(x, y).getRgb()[:3] for x in range(0, image.width(), 3)]
                       for y in range(0, image.height(), 3)])
    assert ((pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)).sum() > 20
