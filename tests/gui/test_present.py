"""Presentation mode (gui.present): entering with F5 and leaving with Esc, the keys, the scale, the themes.

Every command here is a real key press (pytest-qt) on the windows; the checks read the
controller (the simulation's own state), the widgets on the presentation's stage and the fonts
they were given. The screen choice is checked on made-up screen geometries.
"""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QObject, QPointF, Qt, pyqtSignal
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QApplication, QDockWidget, QMenuBar, QStatusBar, QToolBar

from gui.present import hints
from gui.present.keys import OVERLAY_KEYS, PRESENT_KEYS, cheat_sheet_rows, markdown_table
from gui.present.screens import projector_screen, screen_of
from gui.present.theme import RecolouredLink, stand_in
from gui.present.window import DEFAULT_PANELS, ZOOM_STEP, PresentationWindow
from gui.screen_text import on_screen
from physics.overlays import OVERLAY_NAMES
from physics.preset_scenes import PRESET_SCENES

CONTROLLER_SCENE = "plateau-trap"
TIMEOUT = 20_000


def enter(qtbot, window) -> PresentationWindow:
    """Press F5 in the (active) main window; the presentation that opens, once it is active."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    presentation = window.presentation
    assert isinstance(presentation, PresentationWindow)
    qtbot.waitExposed(presentation)
    presentation.activateWindow()
    qtbot.waitUntil(presentation.isActiveWindow, timeout=TIMEOUT)
    return presentation


@pytest.fixture
def no_3d(monkeypatch):
    """Windows without the 3D view (set before they are built): most tests need only the map, and
    the OpenGL view's first paint is what makes a window slow to build under software OpenGL."""
    monkeypatch.setenv("DOWNHILL_NO_3D", "1")


@pytest.fixture
def presenting(no_3d, qtbot, active_window):
    presentation = enter(qtbot, active_window)
    yield presentation
    if active_window.presentation is not None:
        active_window.presentation.close()


def point_size(font) -> float:
    return font.pointSizeF()


def map_tick_points(view) -> float:
    return view.plot_item.getAxis("bottom").style["tickFont"].pointSizeF()


def panel_tick_points(panel) -> float:
    import pyqtgraph as pg

    view = panel.findChildren(pg.GraphicsView)[0]
    plot = next(item for item in view.scene().items() if isinstance(item, pg.PlotItem))
    return plot.getAxis("left").style["tickFont"].pointSizeF()


# -- entering and leaving ------------------------------------------------------------------------
def test_f5_enters_full_screen_with_only_the_scenes_views_and_panels(qtbot, active_window):
    from gui.views import gl_status

    p = enter(qtbot, active_window)
    assert p.isFullScreen()
    for chrome in (QMenuBar, QToolBar, QStatusBar, QDockWidget):
        assert not p.findChildren(chrome), chrome
    layout = active_window.controller.view.layout
    assert (p.map_view is not None) == (layout in ("both", "2d"))
    assert (p.view3d is not None) == (layout in ("both", "3d") and gl_status()[0])
    assert set(p.panels) == set(DEFAULT_PANELS)
    from gui.editors.ball_list import BallListEditor
    from gui.editors.formula_editor import FormulaEditor

    assert not p.findChildren(FormulaEditor) and not p.findChildren(BallListEditor)
    # One screen: the presentation covers the main window, hidden meanwhile (it paints nothing).
    assert len(QApplication.screens()) == 1
    assert not active_window.isVisible()


def test_esc_leaves_and_the_main_window_is_as_before(no_3d, qtbot, active_window):
    docks_before = [dock.isVisible() for dock in active_window.docks]
    geometry = active_window.geometry()
    p = enter(qtbot, active_window)
    qtbot.keyClick(p, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: active_window.presentation is None, timeout=TIMEOUT)
    assert not p.isVisible()
    assert active_window.isVisible() and active_window.splitter.isVisible()
    assert active_window.menuBar().isVisible()
    assert [dock.isVisible() for dock in active_window.docks] == docks_before
    assert active_window.geometry() == geometry
    # The menu entry (F5) leaves too (with two screens the main window stays in view to use it).
    p = enter(qtbot, active_window)
    entry = next(action for action in active_window.findChildren(QAction) if action.text().startswith("&Present"))
    assert entry.shortcut().toString() == "F5"
    entry.trigger()
    assert active_window.presentation is None and active_window.isVisible()


# -- the keys ------------------------------------------------------------------------------------
def test_space_and_b_play_and_pause_right_steps_r_resets(qtbot, presenting):
    p = presenting
    controller = p.controller
    qtbot.keyClick(p, Qt.Key.Key_Right)
    assert controller.step_index == 1
    qtbot.keyClick(p, Qt.Key.Key_Space)
    assert controller.playing
    qtbot.keyClick(p, Qt.Key.Key_B)
    assert not controller.playing
    qtbot.keyClick(p, Qt.Key.Key_B)
    assert controller.playing
    qtbot.keyClick(p, Qt.Key.Key_Space)
    assert not controller.playing
    qtbot.keyClick(p, Qt.Key.Key_R)
    assert controller.step_index == 0
    # The header counts the steps the simulation took.
    qtbot.keyClick(p, Qt.Key.Key_Right)
    qtbot.keyClick(p, Qt.Key.Key_Right)
    assert p.header.step == controller.step_index == 2


def test_number_keys_select_a_ball_and_a_missing_one_changes_nothing(qtbot, presenting):
    p = presenting
    controller = p.controller
    assert len(controller.balls) == 2
    qtbot.keyClick(p, Qt.Key.Key_2)
    assert controller.selected == 1
    qtbot.keyClick(p, Qt.Key.Key_1)
    assert controller.selected == 0
    qtbot.keyClick(p, Qt.Key.Key_9)
    assert controller.selected == 0
    # Each badge names the ball with its key's number, and its regime word once it has moved.
    qtbot.keyClick(p, Qt.Key.Key_Right)
    lines = p.ball_lines()
    assert [line.name.split(" · ")[0] for line in lines] == ["1", "2"]
    assert all(line.regime for line in lines)


def test_overlay_keys_toggle_the_scenes_overlays(qtbot, presenting):
    p = presenting
    controller = p.controller
    assert set(OVERLAY_KEYS) == set(OVERLAY_NAMES)
    for name, letter in OVERLAY_KEYS.items():
        before = controller.view.overlay(name)
        qtbot.keyClick(p, getattr(Qt.Key, f"Key_{letter}"))
        assert controller.view.overlay(name) is (not before), name
        assert p.map_view.overlay(name) is (not before)
        assert p.main.map_view.overlay(name) is (not before)
        qtbot.keyClick(p, getattr(Qt.Key, f"Key_{letter}"))
        assert controller.view.overlay(name) is before


def test_page_down_and_up_walk_the_preset_scenes(qtbot, presenting):
    p = presenting
    controller = p.controller
    names = list(PRESET_SCENES)
    here = names.index(CONTROLLER_SCENE)
    qtbot.keyClick(p, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: controller.scene.title == PRESET_SCENES[names[here + 1]].title, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: p.header.title.startswith(PRESET_SCENES[names[here + 1]].title[:10]), timeout=TIMEOUT)
    qtbot.keyClick(p, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: controller.scene.title == PRESET_SCENES[names[here]].title, timeout=TIMEOUT)


class FakePlayer(QObject):
    """The interface of gui.lessons.player.LessonPlayer the presentation uses."""

    changed = pyqtSignal()

    def __init__(self, scenes):
        super().__init__()
        self.lesson = object()
        self.scenes = scenes
        self.index = 0

    @property
    def current(self):
        return self.scenes[self.index]

    def next(self):
        self.index = min(len(self.scenes) - 1, self.index + 1)
        self.changed.emit()

    def previous(self):
        self.index = max(0, self.index - 1)
        self.changed.emit()


def test_a_lesson_gives_the_caption_panels_and_page_keys(no_3d, qtbot, active_window):
    from physics.lessons import LessonScene

    scenes = [LessonScene(title="First idea", story="A zero gradient is not a minimum.", notes="",
                          scene=PRESET_SCENES["saddle-noise"], panels=("eigenvalue",)),
              LessonScene(title="Second idea", story="The plateau fakes convergence.", notes="",
                          scene=PRESET_SCENES["plateau-trap"], panels=("loss", "gradient_norm", "step_size"))]
    active_window.lesson_player = player = FakePlayer(scenes)
    p = enter(qtbot, active_window)
    assert p.caption.isVisible() and p.caption.text() == "A zero gradient is not a minimum."
    assert p.header.title == "First idea"
    assert set(p.panels) == {"eigenvalue"}
    # The caption is a band of its own above the views: it never covers the map.
    assert p.caption.geometry().bottom() < p.stage.geometry().top()
    qtbot.keyClick(p, Qt.Key.Key_PageDown)
    assert player.index == 1
    assert p.caption.text() == "The plateau fakes convergence." and p.header.title == "Second idea"
    assert list(p.panels) == ["loss", "gradient_norm"]  # at most two
    qtbot.keyClick(p, Qt.Key.Key_PageUp)
    assert player.index == 0
    p.close()


# -- size ----------------------------------------------------------------------------------------
def test_text_is_at_least_twice_the_windows(no_3d, qtbot, active_window, presenting):
    p = presenting
    body = QApplication.font().pointSizeF()
    assert point_size(p.caption.font()) >= 2 * body
    assert map_tick_points(p.map_view) >= 2 * map_tick_points(active_window.map_view)
    assert panel_tick_points(p.panels["loss"]) >= 2 * panel_tick_points(active_window.loss_panel)
    assert p.map_view.ball_markers.sizes.min() >= 2 * active_window.map_view.ball_markers.sizes.min()


def test_ctrl_plus_and_minus_scale_everything_by_the_step(qtbot, presenting):
    p = presenting
    caption, ticks = point_size(p.caption.font()), map_tick_points(p.map_view)
    panel = panel_tick_points(p.panels["loss"])
    marker = p.map_view.ball_markers.sizes.max()
    header = p.header.height()
    qtbot.keyClick(p, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert point_size(p.caption.font()) == pytest.approx(caption * ZOOM_STEP)
    assert map_tick_points(p.map_view) == pytest.approx(ticks * ZOOM_STEP)
    assert panel_tick_points(p.panels["loss"]) == pytest.approx(panel * ZOOM_STEP)
    assert p.map_view.ball_markers.sizes.max() == pytest.approx(marker * ZOOM_STEP)
    assert p.header.height() > header
    qtbot.keyClick(p, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(p, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert point_size(p.caption.font()) == pytest.approx(caption / ZOOM_STEP)
    assert map_tick_points(p.map_view) == pytest.approx(ticks / ZOOM_STEP)
    qtbot.keyClick(p, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert point_size(p.caption.font()) == pytest.approx(caption)
    assert panel_tick_points(p.panels["loss"]) == pytest.approx(panel)
    # + and - without Ctrl keep the speed.
    speed = p.controller.speed
    qtbot.keyClick(p, Qt.Key.Key_Plus)
    assert p.controller.speed > speed
    assert point_size(p.caption.font()) == pytest.approx(caption)


# -- cheat sheet, hints, theme -------------------------------------------------------------------
def test_question_mark_shows_the_cheat_sheet_and_esc_hides_it_first(no_3d, qtbot, active_window, presenting):
    p = presenting
    assert not p.cheat_sheet.isVisible()
    qtbot.keyClick(p, Qt.Key.Key_Question, Qt.KeyboardModifier.ShiftModifier)
    assert p.cheat_sheet.isVisible()
    assert p.cheat_sheet.geometry().width() <= p.width() and p.cheat_sheet.geometry().height() <= p.height()
    text = p.cheat_sheet.label.text()
    for keys, _words in cheat_sheet_rows():
        assert keys.replace("&", "&amp;") in text, keys
    qtbot.keyClick(p, Qt.Key.Key_Escape)
    assert not p.cheat_sheet.isVisible()
    assert active_window.presentation is p and p.isVisible()
    qtbot.keyClick(p, Qt.Key.Key_F5)  # F5 leaves as it entered
    assert active_window.presentation is None


def test_key_hints_fade_in_the_first_time_only(no_3d, qtbot, active_window, monkeypatch):
    monkeypatch.setattr(hints, "HINT_SECONDS", 0.3)
    monkeypatch.setattr(hints, "FADE_MS", 50)
    assert not active_window.settings.presentation_hints_seen()
    p = enter(qtbot, active_window)
    qtbot.waitUntil(lambda: p.key_hints.isVisible() and p.key_hints.effect.opacity() > 0.99, timeout=TIMEOUT)
    assert p.key_hints.geometry().bottom() < p.badges.geometry().top()  # never over the badges
    qtbot.waitUntil(lambda: not p.key_hints.isVisible(), timeout=TIMEOUT)
    p.close()
    p = enter(qtbot, active_window)
    qtbot.wait(500)
    assert not p.key_hints.isVisible()
    p.close()


def test_t_switches_between_the_light_and_dark_themes(qtbot, presenting):
    import pyqtgraph as pg

    p = presenting
    assert p.theme == "light"

    def background(widget) -> str:
        return widget.findChildren(pg.GraphicsView)[0].backgroundBrush().color().name()

    assert background(p.panels["loss"]) == "#ffffff"
    assert background(p.map_view) == "#ffffff"
    # A panel relabelling its axis in its own (dark theme's) colour and size, as the eigenvalue
    # panel does when it resizes, still gets the light theme's colour and the presentation's size.
    view = p.panels["eigenvalue"].findChildren(pg.GraphicsView)[0]
    plot = next(item for item in view.scene().items() if isinstance(item, pg.PlotItem))
    axis = plot.getAxis("left")
    axis.setLabel("λ", color="#e8e8e8", **{"font-size": "13pt"})
    assert axis.labelStyle["color"] == "#111111"
    assert axis.labelStyle["font-size"] == f"{13 * p.scale:g}pt"
    map_view = p.map_view
    qtbot.keyClick(p, Qt.Key.Key_T)
    assert p.theme == "dark"
    assert background(p.panels["loss"]) != "#ffffff"
    # The map is kept across the switch and given back the window's own dark look.
    assert p.map_view is map_view
    assert background(p.map_view) == background(p.main.map_view)
    axis = p.map_view.plot_item.getAxis("bottom")
    main_axis = p.main.map_view.plot_item.getAxis("bottom")
    assert axis.textPen().color().name() == main_axis.textPen().color().name()
    assert p.map_view.overlay("trails") == p.controller.view.overlay("trails")
    qtbot.keyClick(p, Qt.Key.Key_T)
    assert p.theme == "light"
    assert background(p.panels["loss"]) == "#ffffff"


def test_the_white_ball_is_drawn_black_off_the_map_in_the_light_theme():
    from dataclasses import replace

    ball = PRESET_SCENES["plateau-trap"].balls[0]
    white = replace(ball, color="#ffffff")

    class Controller:
        balls = (white, ball)
        step_index = 7

    assert stand_in("#ffffff", "light") == "#000000" and stand_in("#ffffff", "dark") == "#ffffff"
    light, dark = RecolouredLink(Controller(), "light"), RecolouredLink(Controller(), "dark")
    assert [b.color for b in light.balls] == ["#000000", ball.color]
    assert [b.color for b in dark.balls] == ["#ffffff", ball.color]
    assert light.step_index == 7 and light.balls is light.balls  # everything else is the controller's


# -- the tables and the screen choice -------------------------------------------------------------
def test_the_key_table_has_no_key_twice_and_feeds_the_readme_table():
    sequences = [key for row in PRESENT_KEYS for key in row.keys]
    assert len(sequences) == len(set(sequences))
    table = markdown_table()
    for keys, words in cheat_sheet_rows():
        assert f"| {keys} | {words} |" in table


LAPTOP = (0, 0, 1366, 768)
PROJECTOR = (1366, 0, 1920, 1080)


def test_one_screen_is_the_one_presented_on():
    assert projector_screen([LAPTOP], (100, 100, 800, 600)) == 0
    assert projector_screen([LAPTOP], (5000, 5000, 10, 10)) == 0


def test_two_screens_present_on_the_one_without_the_main_window():
    assert projector_screen([LAPTOP, PROJECTOR], (100, 100, 800, 600)) == 1
    assert projector_screen([PROJECTOR, LAPTOP], (1400, 50, 800, 600)) == 1
    assert projector_screen([LAPTOP, PROJECTOR], (1500, 50, 800, 600)) == 0
    # Straddling the edge: the screen holding most of the window is the laptop.
    assert screen_of([LAPTOP, PROJECTOR], (1000, 0, 500, 500)) == 0
    assert projector_screen([LAPTOP, PROJECTOR], (1000, 0, 500, 500)) == 1


def test_three_screens_present_on_the_largest_other():
    small = (3286, 0, 1024, 768)
    assert projector_screen([LAPTOP, small, PROJECTOR], (10, 10, 300, 300)) == 2
    assert projector_screen([LAPTOP, (1366, 0, 1920, 1080), (3286, 0, 1920, 1080)], (10, 10, 300, 300)) == 1
    with pytest.raises(ValueError):
        projector_screen([], (0, 0, 1, 1))


def test_each_ball_has_its_own_marker_shape_on_the_map_and_badge_only_while_presenting(no_3d, qtbot, active_window,
                                                                                       presenting):
    from gui.views.markers import SHAPES, shape_path

    p = presenting
    markers = p.map_view.ball_markers
    shapes = [markers._shapes[list(markers.indices).index(i)] for i in range(len(p.controller.balls))]
    assert shapes == list(SHAPES[:len(shapes)]) and len(set(shapes)) == len(shapes)
    assert p.ball_shapes() == shapes == p.badges._shown_shapes
    assert active_window.map_view.ball_markers._shapes == []  # the window keeps its discs
    # A polygon's outline has its corners; the disc is a curve.
    square = shape_path("square", QPointF(0, 0), 10)
    assert square.elementCount() == 5 and square.boundingRect().width() == pytest.approx(2 * 10 * 1.25 / 2 ** 0.5)


def test_the_built_in_lesson_walks_by_clicker_keys_with_its_caption(no_3d, qtbot, active_window):
    from physics.lessons import builtin_lessons

    lesson = builtin_lessons()["whole-story"]
    player = active_window.lesson_player
    assert player.open(lesson)
    p = enter(qtbot, active_window)
    first, second = lesson.scenes[0], lesson.scenes[1]
    qtbot.waitUntil(lambda: p.caption.text() == first.story, timeout=TIMEOUT)
    assert p.caption.isVisible() and p.header.title
    qtbot.keyClick(p, Qt.Key.Key_PageDown)
    assert player.index == 1
    qtbot.waitUntil(lambda: p.controller.scene.title == second.scene.title, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: second.story[:20] in p.caption.text(), timeout=TIMEOUT)
    # The scene's own panels (at most two); panels dropped with the last scene are disconnected, not called.
    assert list(p.panels) == list(second.panels[:2])
    qtbot.keyClick(p, Qt.Key.Key_PageUp)
    assert player.index == 0
    p.close()


def test_closing_the_main_window_closes_the_presentation(no_3d, qtbot, active_window):
    p = enter(qtbot, active_window)
    active_window.close()  # by the program (it is hidden under the presentation): a quit
    assert p.isVisible()
    qtbot.waitUntil(lambda: active_window.presentation is None, timeout=TIMEOUT)
    assert not active_window.isVisible()  # not shown again by the presentation leaving


def test_page_down_through_every_preset_scene_shows_each_as_it_asks(no_3d, qtbot, active_window):
    p = enter(qtbot, active_window)
    controller = p.controller
    names = list(PRESET_SCENES)
    start = names.index(CONTROLLER_SCENE)
    for offset in range(1, len(names) + 1):
        scene = PRESET_SCENES[names[(start + offset) % len(names)]]
        qtbot.keyClick(p, Qt.Key.Key_PageDown)
        qtbot.waitUntil(lambda s=scene: controller.scene.title == s.title and p.header.title == on_screen(s.title),
                        timeout=TIMEOUT)
        QApplication.processEvents()
        assert p.map_view is not None  # (no 3D view here: a "3d" scene shows the map instead)
        assert set(p.panels) == set(DEFAULT_PANELS)
        assert len(p.ball_lines()) == sum(ball.visible for ball in controller.balls)
        for name in OVERLAY_NAMES:
            assert p.map_view.overlay(name) == controller.view.overlay(name), (scene.title, name)
    assert controller.scene.title == PRESET_SCENES[CONTROLLER_SCENE].title  # round the list and back
