"""Where the explainer's arrows go on the map: head to tail, magnified when tiny, clipped when huge.

Plain NumPy (the overlay turns the result into items). Every part of an explanation is in position
units (parts.py), so the picture is to scale when every arrow is drawn with one factor:

- **head to tail.** The summands are drawn from the ball, each starting where the previous one
  ended: summand i goes from ``position + k * (v_1 + ... + v_{i-1})`` to ``... + k * v_i``, so the
  last one ends where the step does (``position + k * step``). Context parts start at their own
  origin: ``origin`` to ``origin + k * vector``.
- **one factor k for the picture.** k = 1 unless the largest summand (or the step) would be shorter
  than :data:`MIN_PIXELS` on screen; then k is the smallest 1-2-5 number (2, 5, 10, 20, 50, ...) that
  makes it that long (but no longer than the room the view has: then the largest 1-2-5 number that
  fits), and the card says "drawn 50x longer". A part still shorter than :data:`MIN_CURRENT_PIXELS`
  when it is the one shown gets a factor of its own, said the same way, within the room it has
  before the edge of the view.
- **clipped to the view.** An arrow that leaves the visible rectangle (a Newton step to a far
  saddle, a catapult off a cliff) is cut at its edge, less a margin for the head; the card says so
  and gives the true length. Nothing drawn ever widens the view's range.

Pixel lengths come from the view's size of a pixel in data units, ``pixel = (dx, dy)``: a vector
(vx, vy) is ``hypot(vx / dx, vy / dy)`` pixels long.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Shortest the picture's largest summand (or the step) is drawn, in pixels.
MIN_PIXELS = 90.0
#: Shortest the part being shown is drawn, in pixels (by a factor of its own if need be).
MIN_CURRENT_PIXELS = 40.0
#: Pixels kept between a clipped arrow's tip and the edge of the view (room for its head and label).
CLIP_MARGIN_PIXELS = 28.0


@dataclass(frozen=True)
class Drawn:
    """One arrow as drawn: ``tail`` and ``tip`` (2,) in data coordinates.

    Attributes:
        true_length: |vector| in position units (before any factor).
        factor: drawn length / true length before clipping (1: to scale).
        clipped: True when the drawn arrow was cut at the edge of the view.
        visible: False when nothing of it lies in the view.
    """

    tail: np.ndarray
    tip: np.ndarray
    true_length: float
    factor: float
    clipped: bool = False
    visible: bool = True


def pixel_length(vector: np.ndarray, pixel: tuple[float, float]) -> float:
    """Length on screen (pixels) of ``vector`` (2,) in data units, for a pixel of ``pixel`` data units."""
    dx, dy = pixel
    if not (dx > 0 and dy > 0):
        return float("nan")
    return math.hypot(float(vector[0]) / dx, float(vector[1]) / dy)


def nice_factor(ratio: float) -> float:
    """The smallest of 1, 2, 5, 10, 20, 50, ... that is at least ``ratio`` (1 for ratio <= 1 or not finite)."""
    if not (math.isfinite(ratio) and ratio > 1.0):
        return 1.0
    decade = 10.0 ** math.floor(math.log10(ratio))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        if mantissa * decade >= ratio * (1 - 1e-12):
            return mantissa * decade
    return 10.0 * decade


def nice_factor_below(ratio: float) -> float:
    """The largest of 1, 2, 5, 10, 20, 50, ... that is at most ``ratio`` (1 for ratio < 2 or not finite)."""
    if not (math.isfinite(ratio) and ratio >= 2.0):
        return 1.0
    decade = 10.0 ** math.floor(math.log10(ratio))
    for mantissa in (5.0, 2.0, 1.0):
        if mantissa * decade <= ratio * (1 + 1e-12):
            return mantissa * decade
    return decade


def magnification(length: float, minimum: float, room: float = math.inf) -> float:
    """The 1-2-5 factor that draws ``length`` pixels at least ``minimum`` long, but not past ``room``
    pixels (then the largest 1-2-5 factor within it): 1 when it is long enough, or 0 or not finite."""
    if not (math.isfinite(length) and length > 0) or length >= minimum:
        return 1.0
    factor = nice_factor(minimum / length)
    if factor * length > room:
        factor = nice_factor_below(room / length)
    return factor


def picture_factor(vectors: list[np.ndarray], pixel: tuple[float, float], minimum: float = MIN_PIXELS,
                   room: float = math.inf) -> float:
    """The one factor k of the picture: 1, or the 1-2-5 number that draws the longest of ``vectors``
    (the summands and the step) ``minimum`` pixels long, and none of them past ``room`` pixels.
    Zero or non-finite vectors are ignored."""
    lengths = [pixel_length(v, pixel) for v in vectors if v is not None and np.isfinite(v).all()]
    lengths = [length for length in lengths if length > 0]
    if not lengths:
        return 1.0
    return magnification(max(lengths), minimum, room)


def chain_tails(position: np.ndarray, vectors: list[np.ndarray], factor: float) -> list[np.ndarray]:
    """Where each of the summands ``vectors`` starts when drawn head to tail from ``position``:
    ``position + factor * (v_1 + ... + v_{i-1})``, summed in order as the step is (float64)."""
    tails = []
    total = np.zeros(2)
    for vector in vectors:
        tails.append(np.asarray(position, dtype=float) + factor * total)
        total = total + vector
    return tails


def clip_segment(tail: np.ndarray, tip: np.ndarray, lo: np.ndarray, hi: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, bool, bool]:
    """The part of the segment tail -> tip inside the box [lo, hi] (Liang-Barsky).

    Returns:
        (tail, tip, clipped, visible): the segment's ends inside the box, whether it was cut, and
        whether any of it is inside (if not, the ends are returned unchanged).
    """
    p0 = np.asarray(tail, dtype=float)
    d = np.asarray(tip, dtype=float) - p0
    t0, t1 = 0.0, 1.0
    for axis in range(2):
        for p, q in ((-d[axis], p0[axis] - lo[axis]), (d[axis], hi[axis] - p0[axis])):
            if p == 0.0:
                if q < 0.0:
                    return np.asarray(tail, float), np.asarray(tip, float), False, False
                continue
            t = q / p
            if p < 0.0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    if t0 > t1:
        return np.asarray(tail, float), np.asarray(tip, float), False, False
    clipped = t0 > 0.0 or t1 < 1.0
    return p0 + t0 * d, p0 + t1 * d, clipped, True


def draw_arrow(tail: np.ndarray, vector: np.ndarray, factor: float, pixel: tuple[float, float],
               view: tuple[np.ndarray, np.ndarray], own_minimum: float = 0.0, shrink: bool = False) -> Drawn:
    """The arrow from ``tail`` along ``factor * vector``, clipped to the view.

    Args:
        tail: (2,) where it starts (data units); vector: (2,) its true vector (position units).
        factor: the picture's factor; own_minimum: pixels below which this arrow gets a larger
            factor of its own (the 1-2-5 number that reaches it; 0: none).
        shrink: a factor above 1 that would carry the arrow out of the view is lowered to the largest
            1-2-5 number that keeps it in (at least 1: a true length is never shortened).
        pixel: a pixel's size in data units (dx, dy); view: (lo, hi) corners of the visible rectangle.
    """
    vector = np.asarray(vector, dtype=float)
    true_length = float(math.hypot(vector[0], vector[1]))
    tail = np.asarray(tail, dtype=float)
    lo, hi = view
    if shrink and factor > 1:
        room = room_towards(tail, vector, pixel, view)
        true_pixels = pixel_length(vector, pixel)
        if true_pixels > 0 and factor * true_pixels > room:
            factor = nice_factor_below(room / true_pixels)
    drawn = pixel_length(factor * vector, pixel)
    if own_minimum > 0 and 0 < drawn < own_minimum:
        factor = factor * magnification(drawn, own_minimum, room_towards(tail, vector, pixel, view))
    tip = tail + factor * vector
    margin = CLIP_MARGIN_PIXELS * np.asarray(pixel, dtype=float)
    inner_lo, inner_hi = lo + margin, hi - margin
    if not (inner_lo < inner_hi).all():
        inner_lo, inner_hi = lo, hi
    start, end, clipped, visible = clip_segment(tail, tip, inner_lo, inner_hi)
    return Drawn(start, end, true_length, factor, clipped, visible)


def room_towards(tail: np.ndarray, vector: np.ndarray, pixel: tuple[float, float],
                 view: tuple[np.ndarray, np.ndarray]) -> float:
    """Pixels from ``tail`` along ``vector`` to the edge of the view, less CLIP_MARGIN_PIXELS (inf for a
    zero vector; 0 for a tail outside the view)."""
    lo, hi = view
    tail = np.asarray(tail, dtype=float)
    vector = np.asarray(vector, dtype=float)
    if not ((tail >= lo).all() and (tail <= hi).all()):
        return 0.0
    t = math.inf
    for axis in range(2):
        if vector[axis] > 0:
            t = min(t, (hi[axis] - tail[axis]) / vector[axis])
        elif vector[axis] < 0:
            t = min(t, (lo[axis] - tail[axis]) / vector[axis])
    if not math.isfinite(t):
        return math.inf
    return max(0.0, t * pixel_length(vector, pixel) - CLIP_MARGIN_PIXELS)


def view_box_corners(x_range: tuple[float, float], y_range: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) corners of the visible rectangle from a view's ``viewRange()``."""
    return (np.array([min(x_range), min(y_range)], dtype=float),
            np.array([max(x_range), max(y_range)], dtype=float))


def factor_words(factor: float) -> str:
    """"drawn 50x longer" for a factor above 1, "" at 1."""
    if factor <= 1.0:
        return ""
    return f"drawn {factor:,.0f}x longer" if factor >= 1.5 else f"drawn {factor:.2g}x longer"
