"""The live what-if preview in the GUI: slider and start drags show the ghost, release commits, Esc cancels.

The reference for every ghost is physics.preview run on the controller's simulation for the value
the drag reached: the map must draw exactly that path.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PyQt6 import QtCore, QtGui, QtWidgets
from PyQt6.QtCore import Qt
from PyQt6.QtTest import QTest

from gui.controller import SceneController
from gui.editors.ball_list import BallListEditor
from gui.views.contour_map import ContourMapView
from gui.views.ghost_path import ghost_words
from gui.what_if import WhatIfPreview
from physics.balls import BallSpec
from physics.noise import NoiseSettings
from physics.preview import preview_ball
from physics.scenes import Scene
from surfaces.surface import Domain

TIMEOUT = 10_000


@pytest.fixture
def demo(qtbot, keep_alive):
    """A controller on a tilted bowl with a noisy heavy-ball and an Adam ball, its ball editor and its map."""
    balls = (BallSpec("heavy", "#e69f00", "sgd", (("lr", 0.02), ("momentum", 0.9)), (2.0, 1.5),
                      NoiseSettings(sigma=0.5)),
             BallSpec("adam", "#56b4e9", "adam", (("lr", 0.1),), (-2.0, 2.0)))
    controller = keep_alive(SceneController(Scene(formula="x^2 + 4*y^2 + x*y", domain=Domain(-3, 3, -3, 3),
                                                  balls=balls)))
    editor = keep_alive(BallListEditor(controller))
    view = keep_alive(ContourMapView(controller))
    for widget, size in ((editor, (480, 820)), (view, (800, 760))):
        qtbot.addWidget(widget)
        widget.resize(*size)
        widget.show()
        qtbot.waitExposed(widget)
    view.reset_view()
    editor.list.setCurrentRow(0)
    assert controller.selected == 0
    yield controller, editor, view
    WhatIfPreview.of(controller).wait(5000)
    controller.shutdown()


def _handle(slider: QtWidgets.QSlider) -> QtCore.QPoint:
    option = QtWidgets.QStyleOptionSlider()
    slider.initStyleOption(option)
    rect = slider.style().subControlRect(QtWidgets.QStyle.ComplexControl.CC_Slider, option,
                                         QtWidgets.QStyle.SubControl.SC_SliderHandle, slider)
    return rect.center()


def _mouse(widget: QtWidgets.QWidget, kind: QtCore.QEvent.Type, point: QtCore.QPoint,
           buttons: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    """One mouse event with the button held as given (QTest cannot hold a button during moves)."""
    button = Qt.MouseButton.NoButton if kind == QtCore.QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QtGui.QMouseEvent(kind, QtCore.QPointF(point), QtCore.QPointF(widget.mapToGlobal(point)), button, buttons,
                              Qt.KeyboardModifier.NoModifier)
    QtCore.QCoreApplication.sendEvent(widget, event)


def _drag_slider(qtbot, slider: QtWidgets.QSlider, pixels: int) -> None:
    """Press the handle and move it ``pixels`` to the right in a few moves (the button stays down)."""
    start = _handle(slider)
    _mouse(slider, QtCore.QEvent.Type.MouseButtonPress, start)
    assert slider.isSliderDown()
    for fraction in (0.3, 0.6, 1.0):
        _mouse(slider, QtCore.QEvent.Type.MouseMove, start + QtCore.QPoint(round(pixels * fraction), 0))
        qtbot.wait(20)


def _settled_ghost(qtbot, what_if: WhatIfPreview):
    """The ghost once the newest request's complete preview is drawn."""
    qtbot.waitUntil(lambda: what_if.ghost is not None and what_if.ghost.preview.complete
                    and what_if.ghost.generation == what_if._generation, timeout=TIMEOUT)
    return what_if.ghost


def test_dragging_the_lr_slider_shows_the_ghost_and_release_commits(qtbot, demo):
    controller, editor, view = demo
    what_if = WhatIfPreview.of(controller)
    lr = editor.form.hyperparameters.editors["lr"]
    before = controller.balls[0]
    _drag_slider(qtbot, lr.slider, 8)
    ghost = _settled_ghost(qtbot, what_if)
    value = lr.get()
    assert value != 0.02 and lr.slider.value_at(lr.slider.value()) == value  # the box shows the slider's value
    # Nothing is committed while dragging.
    assert controller.balls[0] == before
    # The ghost is physics.preview's path for the slider's value, from the ball's start (it has not moved).
    expected = preview_ball(controller.simulation, 0, replace(before, hyperparameters=(("lr", value),
                                                                                       ("momentum", 0.9))))
    assert expected.from_start and len(expected.path) == 301
    assert view.ghost.visible
    assert np.array_equal(view.ghost.path, expected.path)
    assert np.array_equal(ghost.preview.path, expected.path)
    assert view.ghost.text == f"what-if: lr {lr.box.textFromValue(value)}" == ghost_words(ghost)
    # The label is drawn at screen size, inside the map (not at the view's scale, off screen).
    label = view.ghost.label.sceneBoundingRect()
    assert view.view_box.sceneBoundingRect().contains(label.center()) and label.width() < 400
    # Release: the value is committed (one change), and the ghost goes.
    end = _handle(lr.slider)
    _mouse(lr.slider, QtCore.QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton)
    assert dict(controller.balls[0].hyperparameters)["lr"] == value
    assert not view.ghost.visible and what_if.ghost is None
    # The committed ball runs the path the ghost showed.
    controller.advance(300)
    assert np.array_equal(controller.history(0).positions, expected.path)


def test_esc_cancels_a_slider_drag(qtbot, demo):
    controller, editor, view = demo
    what_if = WhatIfPreview.of(controller)
    momentum = editor.form.hyperparameters.editors["momentum"]
    before = controller.balls[0]
    _drag_slider(qtbot, momentum.slider, -30)
    _settled_ghost(qtbot, what_if)
    assert momentum.get() < 0.9
    QTest.keyClick(momentum.slider, Qt.Key.Key_Escape)
    assert not view.ghost.visible and what_if.ghost is None
    assert momentum.get() == 0.9 and momentum.slider.value() == momentum.slider.position_of(0.9)
    # The rest of the drag does nothing, and its release commits nothing.
    _mouse(momentum.slider, QtCore.QEvent.Type.MouseMove, _handle(momentum.slider) + QtCore.QPoint(-50, 0))
    qtbot.wait(100)
    assert what_if.ghost is None and momentum.get() == 0.9
    _mouse(momentum.slider, QtCore.QEvent.Type.MouseButtonRelease, _handle(momentum.slider), Qt.MouseButton.NoButton)
    assert controller.balls[0] == before and not momentum.slider.isSliderDown()


def test_a_ball_under_way_is_previewed_from_where_it_is(qtbot, demo):
    controller, editor, view = demo
    what_if = WhatIfPreview.of(controller)
    controller.advance(40)
    here = controller.state(0).positions[0]
    sigma = editor.form.sigma_slider
    _drag_slider(qtbot, sigma, 25)
    ghost = _settled_ghost(qtbot, what_if)
    value = editor.form.sigma.value()
    assert value != 0.5
    assert not ghost.preview.from_start and np.array_equal(view.ghost.path[0], here)
    expected = preview_ball(controller.simulation, 0, replace(controller.balls[0], noise=NoiseSettings(sigma=value)))
    assert np.array_equal(view.ghost.path, expected.path)
    assert view.ghost.text.startswith("what-if: noise σ ")
    _mouse(sigma, QtCore.QEvent.Type.MouseButtonRelease, _handle(sigma), Qt.MouseButton.NoButton)
    assert controller.balls[0].noise.sigma == value and what_if.ghost is None


def _map_drag(view: ContourMapView, start: tuple[float, float], end: tuple[float, float], qtbot) -> None:
    viewport = view.plot_widget.viewport()
    a, b = view.data_to_widget(*start), view.data_to_widget(*end)
    _mouse(viewport, QtCore.QEvent.Type.MouseButtonPress, a)
    for fraction in np.linspace(0.2, 1.0, 5):
        _mouse(viewport, QtCore.QEvent.Type.MouseMove, a + (b - a) * float(fraction))
        QtCore.QThread.msleep(20)  # pyqtgraph drops mouse moves that come faster than its rate limit
    qtbot.wait(10)


def test_dragging_a_start_shows_the_ghost_from_there_and_release_commits(qtbot, demo):
    controller, _editor, view = demo
    what_if = WhatIfPreview.of(controller)
    controller.advance(10)  # mid-run: the dragged ball restarts from its new start when released
    received = []
    view.startDragged.connect(lambda *args: received.append(args))
    _map_drag(view, (2.0, 1.5), (-1.0, -2.0), qtbot)
    ghost = _settled_ghost(qtbot, what_if)
    x, y = ghost.preview.ball.start
    assert abs(x + 1.0) < 0.1 and abs(y + 2.0) < 0.1
    assert ghost.preview.from_start and tuple(view.ghost.path[0]) == (x, y)
    expected = preview_ball(controller.simulation, 0, replace(controller.balls[0], start=(x, y)))
    assert np.array_equal(view.ghost.path, expected.path)
    assert view.ghost.text.startswith("what-if: start (")
    _mouse(view.plot_widget.viewport(), QtCore.QEvent.Type.MouseButtonRelease, view.data_to_widget(x, y),
           Qt.MouseButton.NoButton)
    assert len(received) == 1 and what_if.ghost is None and not view.ghost.visible
    index, rx, ry = received[0]
    controller.set_ball_start(index, (rx, ry))   # (what the window does with startDragged)
    if (rx, ry) == (x, y):
        controller.advance(300)
        assert np.array_equal(controller.history(0).positions, expected.path)


def test_esc_cancels_a_start_drag(qtbot, demo):
    controller, _editor, view = demo
    what_if = WhatIfPreview.of(controller)
    received = []
    view.startDragged.connect(lambda *args: received.append(args))
    before = view.start_markers.positions[0].copy()
    _map_drag(view, (2.0, 1.5), (0.0, -2.5), qtbot)
    _settled_ghost(qtbot, what_if)
    assert view.ghost.visible and view.drag_line.isVisible()
    QTest.keyClick(view.plot_widget.viewport(), Qt.Key.Key_Escape)
    assert what_if.ghost is None and not view.ghost.visible and not view.drag_line.isVisible()
    np.testing.assert_array_equal(view.start_markers.positions[0], before)
    # The rest of the drag neither moves the start nor pans; its release emits nothing.
    range_before = view.view_box.viewRange()
    viewport = view.plot_widget.viewport()
    _mouse(viewport, QtCore.QEvent.Type.MouseMove, view.data_to_widget(1.0, 1.0))
    _mouse(viewport, QtCore.QEvent.Type.MouseButtonRelease, view.data_to_widget(1.0, 1.0), Qt.MouseButton.NoButton)
    assert received == [] and view.view_box.viewRange() == range_before
    assert controller.balls[0].start == (2.0, 1.5)


def test_requests_coalesce_latest_wins(qtbot, demo):
    """Fifty requests at once: the worker runs a few, never queues the stale ones, and ends on the last."""
    controller, _editor, _view = demo
    what_if = WhatIfPreview.of(controller)
    started = []
    original = what_if._start
    what_if._start = lambda job: (started.append(job.generation), original(job))
    ball = controller.balls[1]
    for k in range(50):
        what_if.preview(1, replace(ball, hyperparameters=(("lr", 0.01 + 0.001 * k),)), f"lr {k}")
    ghost = _settled_ghost(qtbot, what_if)
    assert ghost.label == "lr 49"
    assert len(started) <= 3 and started[-1] == what_if._generation
    what_if.end()
    assert what_if.ghost is None


def test_every_number_of_every_optimiser_has_a_slider_over_its_range(qtbot, demo):
    """Each float (and each element of a pair) has a slider; both ends of a slider are in range, a log
    slider spans its box's range (eps from 1e-16 to 1), and the slider's value round-trips."""
    from physics.optimizers.base import registry

    _controller, editor, _view = demo
    form = editor.form.hyperparameters
    for spec in registry().values():
        form.set_spec(spec, spec.defaults())
        for parameter in spec.hyperparameters:
            widget = form.editors[parameter.name]
            sliders = {"float": [getattr(widget, "slider", None)],
                       "pair": getattr(widget, "sliders", [None])}.get(parameter.kind, [])
            for slider in sliders:
                assert slider is not None, (spec.name, parameter.name)
                assert slider.log_scale == parameter.log_scale
                for end in (0, 1000):
                    assert parameter.minimum <= slider.value_at(end) <= parameter.maximum
                if parameter.log_scale:
                    assert slider.value_at(1000) == pytest.approx(parameter.maximum, rel=1e-2)
                middle = slider.value_at(500)
                assert slider.value_at(slider.position_of(middle)) == middle
    form.set_spec(registry()["adam"], registry()["adam"].defaults())
    eps = form.editors["eps"].slider
    assert eps.value_at(eps.position_of(1e-3)) == pytest.approx(1e-3, rel=0.05)
