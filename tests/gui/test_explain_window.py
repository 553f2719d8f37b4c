"""The explainer on screen (gui.explain): real key presses in the main window and in a window of its own.

E opens the selected ball's next update (pausing, selecting ball 1), Right/Left/Home/End walk its
parts (the card's text and the arrow on the map change; the arrow's ends are the Part's origin and
origin + vector in data coordinates), Right never steps the simulation while it is open, Right on
the last part steps once and explains the next update, Esc closes and Right steps again. Tiny steps
are magnified and say so, huge ones are clipped to the view and say so, and every registered
optimiser with an explainer opens and shows all its parts.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication, QMainWindow

import physics.explain
from gui.controller import SceneController
from gui.explain import attach_explainer
from gui.explain.geometry import MIN_CURRENT_PIXELS, pixel_length
from gui.explain.squares import CELL
from gui.explain.words import arrow_word
from gui.screen_text import on_screen
from gui.views.contour_map import ContourMapView
from physics.balls import BallSpec, ball_color
from physics.explain.parts import Explanation, Part
from physics.noise import NoiseSettings
from physics.optimizers.base import registry
from physics.preset_scenes import PRESET_SCENES

CONTROLLER_SCENE = "ravine-momentum"
TIMEOUT = 20_000


def press(qtbot, window, key: Qt.Key, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(QApplication.focusWidget() or window, key)


def wait_explained(qtbot, explainer) -> None:
    qtbot.waitUntil(lambda: explainer.is_open and not explainer.busy and bool(explainer.parts), timeout=TIMEOUT)


def zoom_on(view_box, centre, half: float) -> None:
    """Frame the map on a square of side 2 * half around ``centre``: arrows of ~0.3 are long on screen."""
    x, y = centre
    view_box.setRange(xRange=(x - half, x + half), yRange=(y - half, y + half), padding=0)


@pytest.fixture
def window(active_window, controller):
    controller.advance(10)
    controller.select(1)   # the momentum ball
    return active_window


def test_e_opens_the_selected_balls_next_update_paused(qtbot, window, controller):
    explainer = window.explainer
    assert not explainer.is_open and not explainer.card.isVisible()
    step = controller.step_index
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    assert explainer.ball == 1 and not controller.playing
    assert explainer.explanation.step_index == step + 1
    assert explainer.explanation.optimizer == "momentum"
    card = explainer.card
    assert card.isVisible()
    assert f"part 1 of {len(explainer.parts)}" in card.text
    assert on_screen(explainer.parts[0].title) in card.text
    assert explainer.action.isChecked()
    # The card hides neither the ball nor the map's whole plotting area.
    ball = explainer.explanation.position
    point = window.map_view.plot_widget.mapTo(window, window.map_view.data_to_widget(*ball))
    assert not card.geometry().contains(point)
    # The map's own arrows are hidden while the explainer draws on the ball.
    assert not window.map_view.descent_arrows.isVisible()


def test_e_while_playing_pauses_first_and_says_so(qtbot, window, controller):
    controller.play()
    assert controller.playing
    press(qtbot, window, Qt.Key.Key_E)
    assert not controller.playing
    wait_explained(qtbot, window.explainer)
    assert "Paused" in window.explainer.card.text


def test_e_without_a_selection_explains_ball_1(qtbot, window, controller):
    controller.select(-1)
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, window.explainer)
    assert controller.selected == 0 and window.explainer.ball == 0
    assert "ball 1" in window.explainer.card.text


def test_the_menu_entry_opens_it(qtbot, window, controller):
    entry = next(a for a in window.menuBar().actions() if a.text() == "&Simulation").menu()
    assert window.explainer.action in entry.actions()
    window.explainer.action.trigger()
    wait_explained(qtbot, window.explainer)


def test_right_and_left_walk_the_parts_and_never_step(qtbot, window, controller):
    explainer = window.explainer
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    zoom_on(window.map_view.view_box, explainer.explanation.position, 0.6)   # to scale: factor 1
    step = controller.step_index
    count = len(explainer.parts)
    assert count >= 4   # the gradient, momentum's decay and add, the whole step
    seen_summand = seen_context = seen_to_scale = False
    for index in range(count):
        if index:
            press(qtbot, window, Qt.Key.Key_Right)
        assert explainer.index == index
        part = explainer.parts[index]
        assert f"part {index + 1} of {count}" in explainer.card.text
        assert on_screen(part.title) in explainer.card.text
        overlay = explainer.overlay
        if index == count - 1:
            layer = overlay.step_layer
        elif part.summand:
            layer, seen_summand = overlay.current_layer, True
        else:
            layer, seen_context = overlay.context_layer, True
        assert layer.isVisible() and len(layer.tails) == 1
        assert explainer.picture.factor == 1   # zoomed in: the picture is to scale
        # The arrow starts at the Part's origin (summands: head to tail from the ball) and ends at
        # origin + vector; an arrow shorter than 40 pixels even so is drawn longer, by the factor the
        # card states.
        drawn = explainer.picture.current
        pixel = window.map_view.view_box.viewPixelSize()
        long_enough = pixel_length(part.vector, pixel) >= MIN_CURRENT_PIXELS
        assert (drawn.factor == 1) == long_enough
        if not long_enough:
            assert f"Drawn {drawn.factor:,.0f}x longer" in explainer.card.text
        np.testing.assert_allclose(layer.tails[0], part.origin, rtol=0, atol=1e-12)
        np.testing.assert_allclose(layer.tips[0], part.origin + drawn.factor * part.vector, rtol=0, atol=1e-12)
        if part.summand or index == count - 1:
            seen_to_scale = seen_to_scale or drawn.factor == 1
        others = {overlay.current_layer, overlay.step_layer, overlay.context_layer} - {layer}
        assert not any(other.isVisible() for other in others)
        assert (arrow_word(part.key) if index < count - 1 else "step") in overlay.labels
    assert seen_summand and seen_context and seen_to_scale
    # The summands walked through stay, faint, head to tail: on the last part all of them.
    summands = [p for p in explainer.parts if p.summand]
    assert len(explainer.overlay.faint_layer.tails) == len(summands)
    np.testing.assert_allclose(explainer.overlay.faint_layer.tips[-1],
                               explainer.explanation.position + explainer.explanation.step, atol=1e-12)
    assert controller.step_index == step   # Right walked, it did not step
    assert "take this step" in explainer.card.text
    press(qtbot, window, Qt.Key.Key_Left)
    assert explainer.index == count - 2
    press(qtbot, window, Qt.Key.Key_Home)
    assert explainer.index == 0 and "part 1 of" in explainer.card.text
    press(qtbot, window, Qt.Key.Key_End)
    assert explainer.index == count - 1
    assert controller.step_index == step


def test_right_on_the_last_part_steps_once_and_explains_the_next_update(qtbot, window, controller):
    explainer = window.explainer
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    step = controller.step_index
    first = explainer.explanation
    press(qtbot, window, Qt.Key.Key_End)
    press(qtbot, window, Qt.Key.Key_Right)
    assert controller.step_index == step + 1
    qtbot.waitUntil(lambda: explainer.explanation is not None and explainer.explanation.step_index == step + 2,
                    timeout=TIMEOUT)
    assert explainer.is_open and explainer.index == 0
    # The next update starts where the explained one ended.
    np.testing.assert_array_equal(explainer.explanation.position, first.position + first.step)
    np.testing.assert_array_equal(controller.state(1).positions[0], first.position + first.step)


def test_esc_closes_and_right_steps_again(qtbot, window, controller):
    explainer = window.explainer
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    assert not window.transport.step.isEnabled()
    step = controller.step_index
    press(qtbot, window, Qt.Key.Key_Escape)
    assert not explainer.is_open and not explainer.card.isVisible()
    assert not any(layer.isVisible() for layer in explainer.overlay.layers)
    assert window.transport.step.isEnabled() and window.map_view.descent_arrows.isVisible()
    press(qtbot, window, Qt.Key.Key_Right)
    assert controller.step_index == step + 1
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    press(qtbot, window, Qt.Key.Key_E)   # E again closes too
    assert not explainer.is_open


def _explanation(position, step, title="Hand-made") -> Explanation:
    position, step = np.asarray(position, float), np.asarray(step, float)
    half = step / 2
    parts = (Part("gradient", "The gradient", "context", -step, position),
             Part("momentum_decay", "First half", "one half", half, position, summand=True),
             Part("momentum_add", "Second half", "the other half", step - half, position + half, summand=True))
    return Explanation(ball=1, particle=0, optimizer="momentum", title=title, step_index=11,
                       position=position, step=step, parts=parts)


def test_a_tiny_step_is_drawn_longer_and_says_so(qtbot, window, controller):
    explainer = window.explainer
    position = controller.state(1).positions[0]
    explainer._explain = lambda _simulation, _ball, _particle: _explanation(position, (1e-4, 0.0))
    window.map_view.reset_view()
    view_range = window.map_view.view_box.viewRange()
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    press(qtbot, window, Qt.Key.Key_End)
    picture = explainer.picture
    assert picture.factor >= 100   # 1e-4 on a map 6 wide: at least 100x to be seen
    drawn = explainer.overlay.step_layer.tips[0] - explainer.overlay.step_layer.tails[0]
    np.testing.assert_allclose(drawn, picture.current.factor * np.array([1e-4, 0.0]), rtol=1e-12)
    pixel = window.map_view.view_box.viewPixelSize()
    assert pixel_length(drawn, pixel) >= MIN_CURRENT_PIXELS
    assert f"Drawn {picture.current.factor:,.0f}x longer" in explainer.card.text
    assert "true length 0.0001" in explainer.card.text
    assert window.map_view.view_box.viewRange() == view_range


def test_a_huge_step_is_clipped_to_the_view_and_says_so(qtbot, window, controller):
    explainer = window.explainer
    position = controller.state(1).positions[0]
    explainer._explain = lambda _simulation, _ball, _particle: _explanation(position, (400.0, 300.0))
    window.map_view.reset_view()
    view_range = window.map_view.view_box.viewRange()
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, explainer)
    press(qtbot, window, Qt.Key.Key_End)
    picture = explainer.picture
    assert picture.factor == 1 and picture.current.clipped
    (x0, x1), (y0, y1) = view_range
    tip = explainer.overlay.step_layer.tips[0]
    assert x0 < tip[0] < x1 and y0 < tip[1] < y1
    # Still along the step's direction (3 : 4).
    direction = tip - explainer.overlay.step_layer.tails[0]
    assert direction[1] / direction[0] == pytest.approx(0.75)
    assert "Cut at the edge of the view" in explainer.card.text and "true length 500" in explainer.card.text
    assert window.map_view.view_box.viewRange() == view_range


def test_two_windows_each_explain_on_their_own_map(qtbot, window, controller, keep_alive):
    other = keep_alive(QMainWindow())
    other_map = ContourMapView(controller)
    other.setCentralWidget(other_map)
    other_explainer = attach_explainer(other, other_map, controller)
    other.resize(900, 700)
    other.show()
    qtbot.waitExposed(other)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)
    press(qtbot, window, Qt.Key.Key_E)
    wait_explained(qtbot, window.explainer)
    assert not other_explainer.is_open and not other_explainer.card.isVisible()
    assert other_explainer.overlay is not window.explainer.overlay
    assert not any(layer.isVisible() for layer in other_explainer.overlay.layers)
    other_explainer.open()
    wait_explained(qtbot, other_explainer)
    step = controller.step_index
    other_explainer.last_part()
    other_explainer.next_part()   # the other window takes the step: both explain the next update
    assert controller.step_index == step + 1
    for explainer in (window.explainer, other_explainer):
        qtbot.waitUntil(lambda e=explainer: e.explanation is not None and e.explanation.step_index == step + 2,
                        timeout=TIMEOUT)


def _scene_for(name: str, noisy: bool):
    """One ball of optimiser ``name`` on a preset surface that suits it, as a preset scene is made."""
    spec = registry()[name]
    second_order = spec.family == "second-order" or spec.needs_hessian
    base = PRESET_SCENES["newton-saddle" if second_order else "ravine-momentum"]
    hyper = {"lr": 0.03} if any(h.name == "lr" for h in spec.hyperparameters) and not second_order else {}
    ball = BallSpec(name=name, color=ball_color(0), optimizer=name, hyperparameters=tuple(hyper.items()),
                    start=(1.0, 0.3) if second_order else (-2.5, 1.0),
                    noise=NoiseSettings(sigma=0.5) if noisy else NoiseSettings())
    return replace(base, balls=(ball,))


OPTIMIZERS = sorted(registry())


@pytest.mark.parametrize("noisy", [False, True], ids=["noiseless", "noisy"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_opens_and_shows_all_parts(qtbot, keep_alive, name, noisy):
    if name not in getattr(physics.explain, "EXPLAINERS", {}):
        pytest.skip(f"{name} has no explainer in physics.explain.EXPLAINERS yet (helpers X1/X2's part)")
    controller = keep_alive(SceneController(_scene_for(name, noisy)))
    window = keep_alive(QMainWindow())
    contour = ContourMapView(controller)
    window.setCentralWidget(contour)
    explainer = attach_explainer(window, contour, controller)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    controller.advance(3)
    explainer.open()
    wait_explained(qtbot, explainer)
    assert not explainer.error
    count = len(explainer.parts)
    assert explainer.parts[-1].key == "step"
    for index in range(count):
        if index:
            explainer.next_part()
        assert explainer.index == index
        assert f"part {index + 1} of {count}" in explainer.card.text
        assert on_screen(explainer.parts[index].title) in explainer.card.text
        squares = explainer.parts[index].squares
        assert explainer.card.squares.isVisibleTo(explainer.card) == bool(squares)
        for (label, values), (side_x, side_y) in zip(squares, explainer.card.squares.sides(), strict=True):
            # Each moment's squares: sides in proportion to |value|, the larger filling its cell.
            magnitudes = np.abs(np.asarray(values, dtype=float))
            assert max(side_x, side_y) == pytest.approx(CELL)
            assert side_x * magnitudes[1] == pytest.approx(side_y * magnitudes[0]), label
    if noisy:
        assert "noise" in {p.key for p in explainer.parts}
    step = controller.step_index
    explainer.next_part()
    assert controller.step_index == step + 1
    controller.shutdown()


def test_a_presentation_scale_and_detaching(qtbot, keep_alive, controller):
    window = keep_alive(QMainWindow())
    contour = ContourMapView(controller)
    window.setCentralWidget(contour)
    explainer = attach_explainer(window, contour, controller)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    controller.advance(10)
    controller.select(1)
    explainer.open()
    wait_explained(qtbot, explainer)
    explainer.last_part()
    small = explainer.overlay.step_layer.shaft_pen().widthF()
    title_points = explainer.card.title.font().pointSizeF()
    explainer.set_scale(2.0)
    assert explainer.overlay.step_layer.shaft_pen().widthF() == pytest.approx(2 * small)
    assert explainer.overlay.step_layer.isVisible() and len(explainer.overlay.step_layer.tails) == 1
    assert explainer.card.title.font().pointSizeF() >= 1.3 * title_points   # (the card may fit it smaller)
    items = set(contour.plot_item.items)
    assert explainer.overlay.step_layer in items
    explainer.detach()
    assert not explainer.is_open
    assert explainer.overlay.step_layer not in set(contour.plot_item.items)
    assert explainer.action not in window.actions()
    step = controller.step_index
    controller.step_once()   # a detached explainer no longer listens
    assert controller.step_index == step + 1 and not explainer.busy


def test_a_swarm_is_explained_through_its_particle_0(qtbot, keep_alive):
    controller = keep_alive(SceneController("swarm-saddle"))
    window = keep_alive(QMainWindow())
    contour = ContourMapView(controller)
    window.setCentralWidget(contour)
    explainer = attach_explainer(window, contour, controller)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    controller.advance(5)
    explainer.open()
    wait_explained(qtbot, explainer)
    particles = controller.balls[0].particles
    assert explainer.explanation.particle == 0
    assert f"particle 0 of {particles:,}" in explainer.card.text or f"particle 0 of {particles}" in explainer.card.text
    ring = explainer.overlay.particle_ring
    assert ring.isVisible() and "particle 0" in explainer.overlay.labels
    x, y = ring.getData()
    np.testing.assert_array_equal([x[0], y[0]], controller.state(0).positions[0])
    controller.shutdown()
