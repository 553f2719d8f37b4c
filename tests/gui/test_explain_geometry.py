"""Where the explainer's arrows go (gui.explain.geometry), against numbers worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gui.explain.geometry import (
    CLIP_MARGIN_PIXELS,
    chain_tails,
    clip_segment,
    draw_arrow,
    magnification,
    nice_factor,
    nice_factor_below,
    picture_factor,
    pixel_length,
    room_towards,
)

#: A 600 x 600 pixel view of [-3, 3] x [-3, 3]: a pixel is 0.01 wide and high.
PIXEL = (0.01, 0.01)
VIEW = (np.array([-3.0, -3.0]), np.array([3.0, 3.0]))


@pytest.mark.parametrize(("ratio", "expected"), [
    (0.3, 1.0), (1.0, 1.0), (1.01, 2.0), (2.0, 2.0), (2.5, 5.0), (7.0, 10.0), (11.0, 20.0), (45.0, 50.0),
    (900.0, 1000.0), (math.inf, 1.0), (math.nan, 1.0)])
def test_nice_factor_is_the_smallest_1_2_5_number_at_least_the_ratio(ratio, expected):
    assert nice_factor(ratio) == expected


@pytest.mark.parametrize(("ratio", "expected"), [
    (1.5, 1.0), (2.0, 2.0), (4.9, 2.0), (5.0, 5.0), (9.99, 5.0), (10.0, 10.0), (333.0, 200.0)])
def test_nice_factor_below_is_the_largest_1_2_5_number_at_most_the_ratio(ratio, expected):
    assert nice_factor_below(ratio) == expected


def test_pixel_length_reads_each_axis_in_its_own_pixels():
    # 0.3 across at 0.01 per pixel and 0.4 up at 0.02 per pixel: 30 and 20 pixels, 36.06 long.
    assert pixel_length(np.array([0.3, 0.4]), (0.01, 0.02)) == pytest.approx(math.hypot(30, 20))


def test_a_step_of_1e_4_on_a_domain_of_6_is_magnified_to_90_pixels_within_the_room():
    # 1e-4 is 0.01 pixels; 90 pixels need 9000x, the next 1-2-5 number is 10 000; the room (200
    # pixels) allows 20 000x at most: 10 000 (100 pixels).
    assert picture_factor([np.array([1e-4, 0.0])], PIXEL, 90.0, room=200.0) == 10_000
    # With only 50 pixels of room: the largest 1-2-5 factor within it, 5 000 (0.5 * 1e4 ... 50 px).
    assert picture_factor([np.array([1e-4, 0.0])], PIXEL, 90.0, room=50.0) == 5_000


def test_long_enough_vectors_are_drawn_to_scale():
    assert picture_factor([np.array([1.0, 0.0]), np.array([0.0, 0.2])], PIXEL, 90.0) == 1.0
    assert picture_factor([np.zeros(2), np.array([np.nan, 1.0])], PIXEL, 90.0) == 1.0
    assert magnification(0.0, 90.0) == 1.0


def test_summands_are_chained_head_to_tail_from_the_ball():
    position = np.array([1.0, 2.0])
    vectors = [np.array([0.1, 0.0]), np.array([0.0, 0.2]), np.array([-0.05, 0.05])]
    tails = chain_tails(position, vectors, 10.0)
    np.testing.assert_allclose(tails, [[1.0, 2.0], [2.0, 2.0], [2.0, 4.0]])


def test_clip_segment_cuts_at_the_box():
    lo, hi = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    tail, tip, clipped, visible = clip_segment(np.array([0.5, 0.5]), np.array([2.5, 0.5]), lo, hi)
    assert visible and clipped
    np.testing.assert_allclose(tip, [1.0, 0.5])
    np.testing.assert_allclose(tail, [0.5, 0.5])
    _tail, _tip, clipped, visible = clip_segment(np.array([2.0, 2.0]), np.array([3.0, 3.0]), lo, hi)
    assert not visible
    _tail, _tip, clipped, visible = clip_segment(np.array([0.2, 0.2]), np.array([0.4, 0.3]), lo, hi)
    assert visible and not clipped


def test_a_huge_arrow_is_cut_at_the_view_less_the_margin():
    drawn = draw_arrow(np.zeros(2), np.array([400.0, 0.0]), 1.0, PIXEL, VIEW)
    assert drawn.clipped and drawn.visible and drawn.true_length == 400.0
    # The edge is at x = 3; the margin is CLIP_MARGIN_PIXELS pixels of 0.01.
    np.testing.assert_allclose(drawn.tip, [3.0 - CLIP_MARGIN_PIXELS * 0.01, 0.0])


def test_the_part_shown_gets_its_own_factor_within_the_room():
    # 0.001 is 0.1 pixel: 40 pixels need 400x, the 1-2-5 number is 500 (50 pixels), room is 300 - 28.
    drawn = draw_arrow(np.zeros(2), np.array([0.001, 0.0]), 1.0, PIXEL, VIEW, own_minimum=40.0)
    assert drawn.factor == 500 and not drawn.clipped
    np.testing.assert_allclose(drawn.tip, [0.5, 0.0])
    # From x = 2.9 there are 10 - 28 < 0 pixels of room: no factor fits, drawn as it is.
    drawn = draw_arrow(np.array([2.9, 0.0]), np.array([0.001, 0.0]), 1.0, PIXEL, VIEW, own_minimum=40.0)
    assert drawn.factor == 1.0


def test_shrink_keeps_a_magnified_context_arrow_in_the_view():
    # 0.854 long at a picture factor of 50 would reach x = 42.7; from 0 the room is 300 - 28 = 272
    # pixels, 2.72: the largest 1-2-5 factor keeping 0.854 within it is 2 (1.708).
    drawn = draw_arrow(np.zeros(2), np.array([0.854, 0.0]), 50.0, PIXEL, VIEW, shrink=True)
    assert drawn.factor == 2.0 and not drawn.clipped
    assert room_towards(np.zeros(2), np.array([1.0, 0.0]), PIXEL, VIEW) == pytest.approx(300 - CLIP_MARGIN_PIXELS)
