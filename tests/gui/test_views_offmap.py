"""Balls that leave the map: trails cut at the edge, the exit point, the mark and its words, the framing.

The geometry (gui.views.off_map) is checked against independent references: hand-worked
intersections with the box's sides and a dense sampling of each segment. The contour map is
checked on the real SceneController with a ball whose learning rate is past 2/lambda_max, so it
zig-zags out of the ravine and is finally stopped by the simulation as diverging.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PyQt6 import QtCore, QtGui

from gui import palette
from gui.controller import SceneController
from gui.views.contour_map import ContourMapView
from gui.views.off_map import (
    DIVERGED,
    LEFT_THE_MAP,
    ExitTracker,
    clip_segments,
    outward_direction,
    segment_parameters,
)
from gui.views.trail_buffer import TrailBuffer
from physics.balls import BallSpec
from physics.scenes import Scene
from surfaces.surface import Domain

UNIT = (np.zeros(2), np.ones(2))

# -- clipping --------------------------------------------------------------------------------------


def test_a_polyline_is_cut_where_it_leaves_and_resumes_where_it_comes_back():
    path = np.array([[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 0.8], [0.2, 0.3], [-1.0, 2.0], [2.0, -1.0]])
    pairs = clip_segments(path, *UNIT)
    # By hand, in the unit square:
    # (0.5, 0.5) -> (1.5, 0.5) leaves through x = 1 at y = 0.5.
    # (1.5, 0.5) -> (1.5, 1.5) and (-1, 2) -> (2, -1) have both ends outside: dropped (the last crosses the square).
    # (1.5, 1.5) -> (0.5, 0.8): x = 1.5 - t, y = 1.5 - 0.7 t comes in through y = 1 at t = 5/7: x = 1.5 - 5/7.
    # (0.5, 0.8) -> (0.2, 0.3) stays inside.
    # (0.2, 0.3) -> (-1, 2): x = 0.2 - 1.2 t, y = 0.3 + 1.7 t leaves through x = 0 at t = 1/6: y = 0.3 + 1.7 / 6.
    expected = [[0.5, 0.5], [1.0, 0.5],
                [1.5 - 5 / 7, 1.0], [0.5, 0.8],
                [0.5, 0.8], [0.2, 0.3],
                [0.2, 0.3], [0.0, 0.3 + 1.7 / 6]]
    np.testing.assert_allclose(pairs, expected, atol=1e-12)
    # Ends inside the box are the original points, bit for bit.
    assert pairs[0].tolist() == [0.5, 0.5] and pairs[5].tolist() == [0.2, 0.3]


def test_clipping_a_path_that_stays_inside_changes_nothing_and_a_path_outside_draws_nothing():
    inside = np.array([[0.1, 0.1], [0.9, 0.2], [0.4, 0.9]])
    np.testing.assert_array_equal(clip_segments(inside, *UNIT), [[0.1, 0.1], [0.9, 0.2], [0.9, 0.2], [0.4, 0.9]])
    assert len(clip_segments(np.array([[2.0, 2.0], [3.0, -5.0], [-4.0, 0.5]]), *UNIT)) == 0
    assert len(clip_segments(np.array([[0.5, 0.5]]), *UNIT)) == 0


#: Coordinates for the sampled reference: no subnormals, whose products with the samples' t round
#: to zero (x = t * -5e-324 reads as inside the box x >= 0 up to t = 1/2, where the exact segment
#: leaves at t = 0, as the clipping says).
COORDINATE = st.floats(-3, 4, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(COORDINATE, COORDINATE, COORDINATE), min_size=2, max_size=12))
def test_clipped_segments_match_a_dense_sampling_in_three_dimensions(points):
    points = np.array(points)
    lo, hi = np.array([0.0, -1.0, 0.5]), np.array([1.0, 2.0, 1.5])
    pairs = clip_segments(points, lo, hi).reshape(-1, 2, 3)
    # Reference: sample each segment densely and keep the samples inside the box, for the
    # segments with an end inside (the rule: a jump between two places outside is not drawn).
    t = np.linspace(0.0, 1.0, 20001)
    expected = []
    for a, b in zip(points[:-1], points[1:], strict=True):
        ends_inside = [bool(np.all((p >= lo) & (p <= hi))) for p in (a, b)]
        if not any(ends_inside):
            continue
        samples = a + t[:, None] * (b - a)
        ok = np.all((samples >= lo) & (samples <= hi), axis=1)
        expected.append((samples[ok][0], samples[ok][-1]))
    assert len(pairs) == len(expected)
    step = np.linalg.norm(points[1:] - points[:-1], axis=1).max() / 20000 + 1e-12
    for (start, end), (first, last) in zip(pairs, expected, strict=True):
        assert np.linalg.norm(start - first) <= 2 * step and np.linalg.norm(end - last) <= 2 * step


def test_segment_parameters_by_hand():
    # (-1, 0.5) -> (3, 0.5) crosses the unit square for x in [0, 1]: t from 1/4 to 1/2.
    t_in, t_out = segment_parameters(np.array([[-1.0, 0.5]]), np.array([[3.0, 0.5]]), *UNIT)
    assert t_in[0] == pytest.approx(0.25) and t_out[0] == pytest.approx(0.5)
    # A segment that does not move along y and lies above the square misses it.
    t_in, t_out = segment_parameters(np.array([[-1.0, 2.0]]), np.array([[3.0, 2.0]]), *UNIT)
    assert t_in[0] > t_out[0]


def test_outward_direction_at_edges_and_corners():
    lo, hi = np.array([-3.0, -1.5]), np.array([3.0, 1.5])
    np.testing.assert_allclose(outward_direction(np.array([3.0, 0.2]), lo, hi), [1, 0])
    np.testing.assert_allclose(outward_direction(np.array([-1.0, -1.5]), lo, hi), [0, -1])
    np.testing.assert_allclose(outward_direction(np.array([-3.0, 1.5]), lo, hi), [-np.sqrt(0.5), np.sqrt(0.5)])
    np.testing.assert_allclose(outward_direction(np.array([0.0, 0.0]), lo, hi), [0, 0])


# -- where a ball left -----------------------------------------------------------------------------

ZIGZAG = np.array([[0.2, 0.5], [0.6, 0.7], [1.4, 0.6], [1.8, 1.2], [0.6, 0.2], [0.7, 0.3], [0.9, -0.5], [0.8, -2.0]])


def test_the_exit_point_is_where_the_path_last_crossed_the_edge_outwards():
    tracker = ExitTracker(*UNIT)
    seen = []
    for k in range(1, len(ZIGZAG) + 1):        # frame by frame
        tracker.update(ZIGZAG[:k])
        seen.append((tracker.outside, None if tracker.exit_point is None else tuple(tracker.exit_point)))
    # By hand: (0.6, 0.7) -> (1.4, 0.6) leaves through x = 1 at t = 1/2: y = 0.65. Back in at (0.6, 0.2).
    # (0.7, 0.3) -> (0.9, -0.5) leaves through y = 0 at t = 3/8: x = 0.775.
    assert [s[0] for s in seen] == [False, False, True, True, False, False, True, True]
    np.testing.assert_allclose(seen[2][1], (1.0, 0.65))
    np.testing.assert_allclose(seen[3][1], (1.0, 0.65))
    assert seen[4][1] is None
    np.testing.assert_allclose(seen[7][1], (0.775, 0.0))
    # Read in one go, the history gives the same answer.
    whole = ExitTracker(*UNIT)
    whole.update(ZIGZAG)
    assert whole.outside and np.allclose(whole.exit_point, (0.775, 0.0))
    np.testing.assert_allclose(whole.marker_point(), (0.775, 0.0))


def test_a_restarted_history_is_read_again_and_a_start_outside_is_marked_at_the_nearest_edge():
    tracker = ExitTracker(*UNIT)
    tracker.update(ZIGZAG)
    assert tracker.outside
    assert tracker.update(ZIGZAG[:1])               # a reset: back at the start, inside
    assert not tracker.outside and tracker.exit_point is None
    outside_start = np.array([[2.0, 0.4], [2.5, 1.7]])
    tracker.update(outside_start)
    assert tracker.outside and tracker.exit_point is None
    np.testing.assert_allclose(tracker.marker_point(), (1.0, 1.0))   # the box's point nearest (2.5, 1.7)


def test_a_trail_buffer_notes_a_trail_that_leaves_its_box():
    buffer = TrailBuffer(2, 100, np.float64)
    buffer.set_box(*UNIT)
    keep = lambda p, _f: p  # noqa: E731
    buffer.update(ZIGZAG[:2], np.zeros(2), keep)
    assert not buffer.leaves
    buffer.update(ZIGZAG[:3], np.zeros(3), keep)
    assert buffer.leaves
    buffer.update(ZIGZAG[:1] + 0.1, np.zeros(1), keep)   # a new start: a new trail, inside
    assert not buffer.leaves


# -- the contour map -------------------------------------------------------------------------------

RAVINE = "0.5*(x^2 + 25*y^2)"
DOMAIN = Domain(-3.0, 3.0, -1.5, 1.5)
_alive: list = []


@pytest.fixture(autouse=True)
def hold_until_teardown():
    """Strong references to the widgets and controllers a test makes, until the test is over.

    qtbot holds widgets weakly: a view whose last reference went with a helper's frame would be
    left to the cyclic garbage collector, which may delete it in the middle of a paint. Widgets
    are closed by qtbot (while still referenced here); controllers are shut down here.
    """
    yield _alive
    for thing in reversed(_alive):
        if isinstance(thing, SceneController):
            thing.shutdown()
    _alive.clear()


def gd(index: int, lr: float, start=(-2.5, 1.0)) -> BallSpec:
    return BallSpec(name=f"lr {lr}", color=palette.ball_color(index), optimizer="gd",
                    hyperparameters=(("lr", lr),), start=start)


def make_map(qtbot, balls) -> tuple[SceneController, ContourMapView]:
    controller = SceneController(Scene(formula=RAVINE, domain=DOMAIN, balls=tuple(balls)))
    view = ContourMapView(controller)
    _alive.extend([controller, view])
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.reset_view()
    QtGui.QGuiApplication.processEvents()
    return controller, view


def last_exit(history: np.ndarray) -> np.ndarray:
    """The reference exit point: the last step from inside the domain to outside, intersected with the
    side it crossed by solving the line's equation for that side."""
    inside = (np.abs(history[:, 0]) <= 3.0) & (np.abs(history[:, 1]) <= 1.5)
    j = int(np.flatnonzero(inside[:-1] & ~inside[1:])[-1])
    (x0, y0), (x1, y1) = history[j], history[j + 1]
    candidates = []
    for side in (-1.5, 1.5):                       # the steep direction: it leaves through y = +-1.5
        if (y0 - side) * (y1 - side) < 0:
            t = (side - y0) / (y1 - y0)
            candidates.append((x0 + t * (x1 - x0), side))
    for side in (-3.0, 3.0):
        if (x0 - side) * (x1 - side) < 0:
            t = (side - x0) / (x1 - x0)
            candidates.append((side, y0 + t * (y1 - y0)))
    on_edge = [c for c in candidates if abs(c[0]) <= 3.0 + 1e-12 and abs(c[1]) <= 1.5 + 1e-12]
    return np.array(on_edge[0])


def test_a_diverging_ball_leaves_the_map_framed_and_is_marked_where_it_left(qtbot):
    # lr 0.082 > 2/25: the y swing grows by |1 - 0.082 * 25| = 1.05 a step; lr 0.078 settles.
    controller, view = make_map(qtbot, [gd(0, 0.082), gd(1, 0.078)])
    framed = view.view_box.viewRange()
    controller.simulation.step(90)
    controller.stepped.emit()
    history = controller.history(0).positions
    assert np.abs(history[-1, 1]) > 10 * 1.5          # far outside the ravine
    assert bool(controller.state(0).active[0])         # but not stopped yet
    # The view does not follow it: still framed on the domain.
    np.testing.assert_allclose(view.view_box.viewRange(), framed)
    # The trail is cut at the domain's edge.
    x, y = view._trails[0].getData()
    assert len(x) > 2 and np.all(np.abs(x) <= 3.0 + 1e-9) and np.all(np.abs(y) <= 1.5 + 1e-9)
    assert view._trails[0].opts["connect"] == "pairs"
    # The mark: at the exit point, pointing out through its side, in the ball's colour, with its words.
    (mark,) = view.off_map_marks
    np.testing.assert_allclose((mark.x, mark.y), last_exit(history), atol=1e-9)
    assert (mark.dx, mark.dy) == (0.0, np.sign(mark.y)) and abs(mark.y) == 1.5
    assert mark.text == LEFT_THE_MAP and mark.color == controller.balls[0].color
    # No marker and no arrows for it; the other ball keeps both.
    rows = list(view.ball_markers.indices)
    assert np.isnan(view.ball_markers.positions[rows.index(0)]).all()
    np.testing.assert_allclose(view.ball_markers.positions[rows.index(1)], controller.state(1).positions[0])
    np.testing.assert_allclose(view.descent_arrows.tails, controller.state(1).positions)
    assert np.all(np.abs(view.step_arrows.tails) <= [3.0 + 1e-9, 1.5 + 1e-9])
    # On screen: the mark's arrowhead in the ball's colour, just inside the edge where it left.
    shot = view.plot_widget.grab().toImage().convertToFormat(QtGui.QImage.Format.Format_RGB32)
    tip = view.data_to_widget(mark.x, mark.y)
    inward = QtCore.QPoint(0, 12 if mark.y > 0 else -12)     # widget y grows downwards
    colour = np.array(pg.mkColor(mark.color).getRgb()[:3])
    patch = [shot.pixelColor(tip + inward + QtCore.QPoint(dx, dy)) for dx in range(-3, 4) for dy in range(-3, 4)]
    assert min(np.abs(np.array([c.red(), c.green(), c.blue()]) - colour).sum() for c in patch) < 40
    # A click on the mark selects the ball.
    controller.select(1)
    view.clicked(view.view_box.mapViewToScene(QtCore.QPointF(mark.x, mark.y)))
    assert controller.selected == 0


def test_a_ball_stopped_as_diverging_says_so(qtbot):
    controller, view = make_map(qtbot, [gd(0, 0.082)])
    controller.simulation.step(400)                      # the simulation stops it ~1000 domains away
    controller.stepped.emit()
    assert not bool(controller.state(0).active[0])
    (mark,) = view.off_map_marks
    assert mark.text == DIVERGED
    np.testing.assert_allclose((mark.x, mark.y), last_exit(controller.history(0).positions), atol=1e-9)
    # A reset brings it back: no mark, the trail whole again.
    controller.reset()
    assert view.off_map_marks == ()
    assert view._trails[0].opts["connect"] == "all"


def test_a_ball_stopped_inside_the_map_is_labelled_beside_its_marker(qtbot):
    # log(x) is undefined for x <= 0: a ball stepping over x = 0 is stopped where it was, inside the map.
    ball = BallSpec(name="over the edge", color=palette.ball_color(2), optimizer="gd", hyperparameters=(("lr", 2.0),),
                    start=(0.5, 0.0))
    controller = SceneController(Scene(formula="log(x) + x^2/10 + y^2", domain=Domain(-3, 3, -3, 3), balls=(ball,)))
    view = ContourMapView(controller)
    _alive.extend([controller, view])
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    controller.simulation.step(5)
    controller.stepped.emit()
    state = controller.state(0)
    assert not bool(state.active[0])
    (mark,) = view.off_map_marks
    assert mark.text == DIVERGED and (mark.dx, mark.dy) == (0.0, 0.0)
    np.testing.assert_allclose((mark.x, mark.y), state.positions[0])
