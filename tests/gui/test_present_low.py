"""Presentation mode on a 1280 x 720 projector (gui.present, LOW_SCREEN): the map is the largest thing on it.

The window is laid out for a 720-pixel screen (``use_screen_height``, as ``enter`` does for the
screen it fills) and shown at 1280 x 720; the checks read the geometry of what is on it after Qt's
layout. The badges' column choice is checked with hand-made widths.
"""

from __future__ import annotations

import pytest
from PyQt6 import sip
from PyQt6.QtGui import QColor, QPalette
from PyQt6.QtWidgets import QAbstractItemView
from waiting import settle

from gui.present import window as present
from gui.present.bands import BADGE_GAP, badge_columns
from gui.present.window import MARKER_SHARE, NO_3D_NOTE, PresentationWindow

CONTROLLER_SCENE = "zero-gradient"  # three balls, both views, a square domain
TIMEOUT = 20_000


def settle_window(window, rounds: int = 100) -> None:
    """Process events until the geometry of the window's parts stays put for three rounds in a row
    (the stage, the map's plot, the badges are laid out on later events, one after another)."""
    def geometry():
        parts = [window, window.map_view, window.caption, window.badges, window.header, *window.panels.values()]
        return (tuple(rect_in(window, part) if part is not window and part.parentWidget() else part.geometry()
                      for part in parts),
                window.map_view.view_box.sceneBoundingRect(), window.caption.isVisible())

    settle(geometry, rounds)


@pytest.fixture
def low(monkeypatch, qtbot, active_window):
    """The presentation of the zero-gradient scene laid out for a 720-pixel screen, shown at 1280 x 720.

    OpenGL counts as working (so that the scene's 3D view is asked for) though none is built: the low
    screen must leave it out."""
    monkeypatch.setattr(present, "_gl_ok", lambda: True)
    monkeypatch.setattr(present, "DEFAULT_PANELS", ("readout", "loss"))
    window = PresentationWindow(active_window)
    window.use_screen_height(720)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1280, 720), timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.map_view.view_box.sceneBoundingRect().height() > 100, timeout=TIMEOUT)
    settle_window(window)
    yield window
    if not sip.isdeleted(window):
        window.close()


def rect_in(window, widget):
    return widget.geometry().translated(widget.parentWidget().mapTo(window, widget.geometry().topLeft())
                                        - widget.geometry().topLeft())


def test_a_low_screen_gives_the_map_most_of_the_height_and_leaves_the_3d_view_out(qtbot, low):
    p = low
    assert p.low and p.view3d is None and p.dropped_3d
    assert p.cheat_sheet.note == NO_3D_NOTE and "3D view is left out" in p.cheat_sheet.label.text()
    plot = p.map_view.view_box.sceneBoundingRect()
    # The map's plot is the tallest thing on the screen: over half its height (it was 210 of 720 pixels).
    assert plot.height() >= 0.5 * p.height()
    area = p.map_view.width() * p.map_view.height()  # the map with its axes and legend
    for name, panel in p.panels.items():
        assert panel.width() * panel.height() < 0.75 * area, name
    # One panel on a low screen, with the story above it right of the map (not a band across).
    assert list(p.panels) == ["readout"]
    assert p.stage.isAncestorOf(p.caption) or not p.caption.isVisible()
    # The legend beside a square map, the selected marker at most MARKER_SHARE of the map's side.
    assert p.map_view._legend_beside
    assert p.map_view.ball_markers.sizes.max() <= MARKER_SHARE * min(plot.width(), plot.height()) + 1
    # Three balls' badges in one row at 1280 pixels.
    assert p.badges.rows() == 1 and p.badges.height() < 0.1 * p.height()


def test_a_lesson_story_sits_right_of_the_map_above_the_panel(qtbot, low):
    from physics.lessons import builtin_lessons

    p = low
    lesson = builtin_lessons()["whole-story"]
    assert p.player.open(lesson)
    qtbot.waitUntil(lambda: p.caption.isVisible() and p.caption.text() == lesson.scenes[0].story, timeout=TIMEOUT)
    settle_window(p)
    caption, panel = rect_in(p, p.caption), rect_in(p, next(iter(p.panels.values())))
    map_rect = rect_in(p, p.map_view)
    assert caption.left() >= map_rect.right() and caption.bottom() <= panel.top() + 1
    assert p.header.geometry().bottom() < caption.top()


def test_the_light_theme_colours_the_read_out_table_and_t_gives_back_the_dark(qtbot, low):
    p = low
    table = p.panels["readout"].findChild(QAbstractItemView)
    assert table.palette().color(QPalette.ColorRole.Base).name() == QColor("#ffffff").name()
    assert table.palette().color(QPalette.ColorRole.Text).lightness() < 64
    p.set_theme("dark")
    table = p.panels["readout"].findChild(QAbstractItemView)
    assert table.palette().color(QPalette.ColorRole.Base).lightness() < 64


@pytest.mark.parametrize(("widths", "width", "columns"), [
    ([300, 300, 300], 1000, 3),        # 3 x (300 + 20) = 960 <= 1000: one row
    ([340, 300, 300], 1000, 2),        # 360 > 1000 / 3: two columns, two rows
    ([400, 400, 400, 400], 1000, 2),   # 420 <= 500
    ([600, 600, 600], 1000, 2),        # nothing fits: never more than two rows (names shortened)
    ([200] * 5, 1000, 3),              # 5 fit in 4 (240 <= 250) but 4 and 3 columns both make 2 rows: 3, wider
    ([100], 1000, 1),
])
def test_badge_columns_are_one_row_when_all_fit_else_the_fewest_rows(widths, width, columns):
    assert BADGE_GAP == 10
    assert badge_columns(widths, width) == columns
