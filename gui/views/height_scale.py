"""How heights are displayed: a monotone compression that keeps steep and unbounded surfaces readable.

A surface such as Rosenbrock's rises to 2500 on its walls while the valley that matters lies
between 0 and 10; Goldstein-Price spans 3 to a million. Drawn linearly, every basin is one flat
colour. Both views therefore draw ``display = scale.apply(f)`` instead of f, where ``scale`` is
a :class:`HeightScale` fitted to the sampled heights of the surface:

    d(h) = h                                        for low <= h <= high
    d(h) = high + w_hi * asinh((h - high) / w_hi)   for h > high
    d(h) = low  - w_lo * asinh((low - h) / w_lo)    for h < low

It is the identity between the two knees and grows like a logarithm beyond them; it is
continuous with a continuous slope (d'(knee) = 1) and strictly increasing, so the order of
heights, the critical points and the contour lines are unchanged. ``invert`` gives the true
height of a displayed one (contour labels and axis ticks always show true heights).

:func:`fit_height_scale` chooses the knees from the height distribution (see its docstring) and
writes the ``note`` the views show ("heights above 8 compressed (log scale)"); a surface drawn
as it is gets no knee and an empty note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Upper-tail compression starts when the median height lies in the lowest MEDIAN_TRIGGER of
#: the height range, and is made just strong enough to lift the median to MEDIAN_TARGET.
#: (The round bowl's median lies at 0.32 of its range, Himmelblau's at 0.13, Rosenbrock's at
#: 0.06, Goldstein-Price's at 0.007.) Lifting it to the middle gives the lower half of the area
#: half of the colours and contour levels, close to the log-scale plots these surfaces are known by.
MEDIAN_TRIGGER = 0.12
MEDIAN_TARGET = 0.5
#: Outliers: heights more than OUTLIER_SPAN robust spreads (2nd to 98th percentile) beyond the
#: 2nd / 98th percentile are compressed from OUTLIER_KNEE spreads beyond it, with that width.
OUTLIER_SPAN = 1.0
OUTLIER_KNEE = 0.25
#: Arrays up to this size are transformed element by element in plain floats (faster when tiny).
SMALL = 16


@dataclass(frozen=True)
class HeightScale:
    """A monotone display transform of heights (see the module docstring).

    Attributes:
        low, high: the knees, in height units; -inf / +inf when that side is not compressed.
        low_width, high_width: the asinh widths (height units) beyond each knee.
        note: one line for the status bar and the view's corner; "" when nothing is compressed.
    """

    low: float = -math.inf
    high: float = math.inf
    low_width: float = 1.0
    high_width: float = 1.0
    note: str = ""

    @property
    def compressed(self) -> bool:
        return math.isfinite(self.low) or math.isfinite(self.high)

    def apply(self, heights: np.ndarray | float) -> np.ndarray:
        """Display heights for true heights (any shape; NaN stays NaN, +-inf map to +-inf)."""
        h = np.asarray(heights, dtype=float)
        if not self.compressed:
            return h.copy()
        if h.size <= SMALL:
            # A few balls' heights each frame: plain floats beat a dozen small-array operations.
            return np.array([self._apply_one(v) for v in h.ravel().tolist()]).reshape(h.shape)
        out = h.copy()
        with np.errstate(invalid="ignore", over="ignore"):
            if math.isfinite(self.high):
                above = h > self.high
                out[above] = self.high + self.high_width * np.arcsinh((h[above] - self.high) / self.high_width)
            if math.isfinite(self.low):
                below = h < self.low
                out[below] = self.low - self.low_width * np.arcsinh((self.low - h[below]) / self.low_width)
        return out

    def _apply_one(self, h: float) -> float:
        """:meth:`apply` for one height, in plain floats (the same formula)."""
        if h > self.high:
            return self.high + self.high_width * math.asinh((h - self.high) / self.high_width)
        if h < self.low:
            return self.low - self.low_width * math.asinh((self.low - h) / self.low_width)
        return h

    def slope(self, heights: np.ndarray | float) -> np.ndarray:
        """d(display)/d(height) at true heights: 1 between the knees, 1/sqrt(1 + (excess/width)^2) beyond."""
        h = np.asarray(heights, dtype=float)
        out = np.ones_like(h)
        if not self.compressed:
            return out
        with np.errstate(invalid="ignore", over="ignore"):
            if math.isfinite(self.high):
                above = h > self.high
                out[above] = 1.0 / np.hypot(1.0, (h[above] - self.high) / self.high_width)
            if math.isfinite(self.low):
                below = h < self.low
                out[below] = 1.0 / np.hypot(1.0, (self.low - h[below]) / self.low_width)
        return out

    def invert(self, displayed: np.ndarray | float) -> np.ndarray:
        """True heights for display heights: the inverse of :meth:`apply`."""
        d = np.asarray(displayed, dtype=float)
        out = d.copy()
        with np.errstate(invalid="ignore", over="ignore"):
            if math.isfinite(self.high):
                above = d > self.high
                out[above] = self.high + self.high_width * np.sinh((d[above] - self.high) / self.high_width)
            if math.isfinite(self.low):
                below = d < self.low
                out[below] = self.low - self.low_width * np.sinh((self.low - d[below]) / self.low_width)
        return out


IDENTITY = HeightScale()


def fit_height_scale(heights: np.ndarray) -> HeightScale:
    """Choose the display compression for heights sampled on a grid (nx, ny) over the domain.

    Two rules, checked in order on the finite heights (NaN and +-inf are holes, not heights):

    1. *Steep growth toward the edge* (Rosenbrock, Goldstein-Price, high-degree polynomials):
       the median lies in the lowest ``MEDIAN_TRIGGER`` of the range and the highest heights
       are reached on the border of the domain. The upper side is compressed from the minimum
       height on, with the largest asinh width that lifts the median to ``MEDIAN_TARGET`` of the
       displayed range (found by bisection), so basins near the minimum get their share of
       colours and contour levels. The border condition keeps a single bump or peak inside
       the domain drawn as it is.
    2. *Outliers* (an isolated spike or pit, a singular point): heights further than
       ``OUTLIER_SPAN`` robust spreads beyond the 2nd / 98th percentile are compressed beyond a
       knee ``OUTLIER_KNEE`` spreads out, on that side only.

    Surfaces with light tails on both sides (bowls, x^2 - y^2, the monkey saddle: their height
    distribution is the same up to scale whatever the domain) are drawn as they are.
    """
    grid = np.asarray(heights, dtype=float)
    finite = np.isfinite(grid)
    values = grid[finite]
    if values.size == 0:
        return HeightScale(note="f is undefined everywhere in this domain")
    if values.size < 4:
        return IDENTITY
    lowest, highest = float(values.min()), float(values.max())
    span = highest - lowest
    if not span > 0 or not math.isfinite(span):
        return IDENTITY
    p2, p50, p98 = (float(v) for v in np.percentile(values, [2.0, 50.0, 98.0]))
    spread = p98 - p2 if p98 > p2 else span

    border = _border(grid)
    border = border[np.isfinite(border)]
    grows_to_edge = border.size > 0 and float(border.max()) >= p98
    width = OUTLIER_KNEE * spread
    low = p2 - OUTLIER_KNEE * spread if lowest < p2 - OUTLIER_SPAN * spread else -math.inf
    base = low if math.isfinite(low) else lowest  # the upper compression starts above any lower one
    high, high_width = math.inf, width
    notes = []
    if (p50 - base) / (highest - base) < MEDIAN_TRIGGER and grows_to_edge:
        high = base
        high_width = _width_for_median(p50 - base, highest - base, MEDIAN_TARGET)
        notes.append(f"heights above {_format(base + high_width)} compressed (log scale)")
    elif highest > p98 + OUTLIER_SPAN * spread:
        high = p98 + OUTLIER_KNEE * spread
        notes.append(f"heights above {_format(high)} compressed")
    if math.isfinite(low):
        notes.append(f"heights below {_format(low)} compressed")
    return HeightScale(low=low, high=high, low_width=width, high_width=high_width, note="; ".join(notes))


def _border(grid: np.ndarray) -> np.ndarray:
    """The heights on the edge of a 2D grid (or all of them for a degenerate grid)."""
    if grid.ndim != 2 or min(grid.shape) < 3:
        return grid.ravel()
    return np.concatenate([grid[0, :], grid[-1, :], grid[1:-1, 0], grid[1:-1, -1]])


def _width_for_median(median_rise: float, span: float, target: float) -> float:
    """The asinh width w with asinh(median_rise / w) / asinh(span / w) = target.

    The ratio falls from 1 (w -> 0, pure logarithm) to median_rise / span (w -> inf, linear),
    monotonically, so bisection on log w finds the widest (gentlest) compression that lifts the
    median to ``target``.
    """
    if median_rise <= 0:
        return span * 1e-6

    def ratio(w: float) -> float:
        return math.asinh(median_rise / w) / math.asinh(span / w)

    lo, hi = math.log(span * 1e-9), math.log(span * 1e3)  # ratio(exp(lo)) > target > ratio(exp(hi))
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if ratio(math.exp(mid)) > target:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))


def _format(value: float) -> str:
    """A height for a sentence: 3 significant digits, no exponent for ordinary sizes."""
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.3g}"
    return f"{value:.2e}"
