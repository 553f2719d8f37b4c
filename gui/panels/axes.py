"""Axes that label honestly: a symmetric-log axis for values of both signs that span decades
(Hessian eigenvalues), and a log axis that still labels a narrow range.

**Symmetric log.**
On Rosenbrock's valley the Hessian has eigenvalues near 0.4 and near 1000 at once; on a linear
axis the small one, and whether it is positive or negative, disappears into the zero line. The
inverse hyperbolic sine fixes that without hiding the sign:

    y_plot = asinh(λ / w)

is linear (y ≈ λ / w) for |λ| << w, logarithmic (y ≈ sign(λ) ln(2|λ| / w)) for |λ| >> w, smooth
and odd everywhere, so zero stays zero and a sign change stays a crossing of the zero line
(matplotlib calls this the "asinh" scale). :class:`SymlogAxis` labels such an axis so that the
compression reads: its ticks sit at 0 and at ±1, ±10, ±100, ... (and ±0.1, ±0.01 down to w)
placed where asinh puts them and labelled with the eigenvalue itself, so equal gaps between
labels are visibly factors of ten (:func:`decade_ticks`); the panel also names the scale in the
axis title and widens the range to the next labelled decade (:func:`axis_bounds`). Zoomed into
the linear part it falls back to ordinary evenly spaced ticks.

:func:`choose_width` decides when the compression is worth it: only when the largest magnitude
is more than ``DECADES_FOR_ASINH`` decades above a typical one.

**Log.** pyqtgraph's log axis labels powers of ten only, so a learning rate that stays between
0.078 and 0.082 gets one label or none. :class:`LogAxis` labels ranges narrower than
``NARROW_DECADES`` with evenly spaced values (0.078, 0.079, 0.08, ...) placed at their logarithms,
wider ones at every 1, 2, 3, 5, ... decades as space allows, and writes every label as a number
(gui.panels.numbers: "0.001", "1e−5").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QFont, QFontMetricsF

from gui.panels.numbers import format_number

#: Compress when the largest |λ| exceeds a typical |λ| by more than this many decades.
DECADES_FOR_ASINH = 2.0
#: Minimum distance in pixels between labelled ticks (the log axis; the asinh axis measures its font).
LABEL_SPACING_PIXELS = 28.0
#: Pixels between the lines of two neighbouring labels of the asinh axis, beyond the font's height.
LABEL_GAP_PIXELS = 5.0
#: A log axis spanning fewer decades than this is labelled with evenly spaced values.
NARROW_DECADES = 1.0


@dataclass(frozen=True)
class AsinhScale:
    """y_plot = asinh(value / width) and back; linear within about ±width."""

    width: float

    def forward(self, values: np.ndarray) -> np.ndarray:
        return np.arcsinh(np.asarray(values, dtype=float) / self.width)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return self.width * np.sinh(np.asarray(values, dtype=float))


def choose_width(largest: float, typical: float) -> float | None:
    """The asinh width for data of this spread, or None when a linear axis reads better.

    Args:
        largest: the largest |value| shown.
        typical: a typical small |value| (e.g. the 20th percentile of the non-zero magnitudes).

    Returns:
        None if ``largest <= 10**DECADES_FOR_ASINH * typical`` (or either is not a positive
        finite number); otherwise the power of ten at or below ``typical``, so the typical values
        already sit where the axis has turned logarithmic and stay distinguishable from zero.
    """
    if not (math.isfinite(largest) and math.isfinite(typical)) or largest <= 0.0 or typical <= 0.0:
        return None
    if largest <= 10.0 ** DECADES_FOR_ASINH * typical:
        return None
    return 10.0 ** math.floor(math.log10(typical))


def decade_ticks(width: float, low: float, high: float, pixels_per_unit: float,
                 spacing: float = LABEL_SPACING_PIXELS) -> tuple[list[float], list[float]]:
    """Labelled and unlabelled tick values (data units) of an asinh axis of ``width`` showing [low, high].

    Labels sit at 0 and at ±10^k for the powers of ten from the first at or above ``width`` (nearer
    zero the axis is linear, and ±w would crowd the 0 label) out to the data: 1, 10, 100, ... in
    both signs, and 0.1, 0.01, ... when the width is that small. Neighbouring decades are ln 10
    apart on the plot; when that is fewer than ``spacing`` pixels, every second (third, ...)
    decade is labelled, counting down from the largest in view (so the data's top has a label
    beside it: 931 under "1000", not far above "100"), and the others get unlabelled ticks. With every
    decade labelled, 2..9 times each decade get unlabelled ticks too.

    Args:
        width: the scale's width w (> 0).
        low, high: the visible range, data units.
        pixels_per_unit: pixels per plot unit (per unit of asinh(value / w)).
    """
    largest = max(abs(low), abs(high))
    first = math.ceil(math.log10(width) - 1e-9)
    last = math.floor(math.log10(largest) + 1e-9) if largest > 0 else first - 1
    every = max(1, math.ceil(spacing / (math.log(10.0) * pixels_per_unit)))
    majors = [0.0]
    minors: list[float] = []
    for k in range(first, last + 1):
        magnitude = 10.0 ** k
        for sign in (1.0, -1.0):
            if (last - k) % every == 0:
                majors.append(sign * magnitude)
            else:
                minors.append(sign * magnitude)
            if every == 1:
                minors.extend(sign * m * magnitude for m in range(2, 10))
    inside = [v for v in majors if low <= v <= high]
    return inside, [v for v in minors if low <= v <= high]


def axis_bounds(width: float, low: float, high: float) -> tuple[float, float]:
    """[low, high] (data units) widened to the next power of ten on each side whose data reach
    the upper half of their decade (log-wise: past √10 times its power of ten).

    On an asinh axis the decades are what a reader counts: a value of 931 should sit visibly
    between the 100 and the 1000 tick, not at the top edge above a lone 100 label. A value just
    past a power of ten (1086) already has its label beside it; widening would spend a whole decade
    of a small plot on nothing. A side without data (a bowl's negative half) keeps its bound.
    """
    def widen(value: float) -> float:
        if abs(value) <= width:
            return value
        decades = math.log10(abs(value))
        if decades - math.floor(decades) < 0.5:
            return value
        return math.copysign(10.0 ** math.ceil(decades - 1e-12), value)

    return (widen(low) if low < 0 else low), (widen(high) if high > 0 else high)


class SymlogAxis(pg.AxisItem):
    """An AxisItem that labels an :class:`AsinhScale` axis in data units (or behaves normally without one)."""

    def __init__(self, orientation: str = "left", **kwargs: object):
        super().__init__(orientation, **kwargs)
        self.scale_transform: AsinhScale | None = None
        self._minor: set[float] = set()

    def set_scale(self, scale: AsinhScale | None) -> None:
        self.scale_transform = scale
        self.picture = None
        self.update()

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803 (pyqtgraph's names)
        scale = self.scale_transform
        if scale is None:
            return super().tickValues(minVal, maxVal, size)
        low, high = sorted((minVal, maxVal))
        if high - low <= 0 or size <= 0:
            return []
        pixels_per_unit = size / (high - low)
        value_low, value_high = (float(v) for v in scale.inverse(np.array([low, high])))
        spacing = self.label_spacing()
        majors, minors = decade_ticks(scale.width, value_low, value_high, pixels_per_unit, spacing)
        if len(majors) < 2:
            # Zoomed into the (nearly) linear middle: evenly spaced ticks in data units.
            levels = super().tickValues(value_low, value_high, size)
            self._minor = set()
            return [(spacing, list(scale.forward(np.array(values)))) for spacing, values in levels]
        # Near zero the axis is linear, so ±w sits close to 0: keep labels apart, zero and big decades first.
        kept: list[float] = []
        for value in sorted(majors, key=lambda v: (v != 0.0, -abs(v))):
            position = float(scale.forward(np.array(value)))
            if all(abs(position - other) * pixels_per_unit >= spacing for other in kept):
                kept.append(position)
        minor_plot = [float(v) for v in scale.forward(np.array(minors))] if minors else []
        self._minor = set(minor_plot)
        return [(None, sorted(kept)), (None, minor_plot)]

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        """The axis' own rectangle, reaching half a label beyond both ends of the plot.

        pyqtgraph draws only the tick labels inside this rectangle, and with a grid shown it does
        not reach past the plot: a "1000" tick at the very top of a framed range lost its label,
        leaving "10" as the highest number beside a curve at 931. Half a label may stick out
        (the panel leaves that much room above its plot).
        """
        rect = super().boundingRect()
        if self.scale_transform is None or self.orientation not in ("left", "right"):
            return rect
        half = self.label_spacing() / 2.0
        return rect.adjusted(0.0, -half, 0.0, half)

    def label_spacing(self) -> float:
        """Least pixels between two labels: a line of the tick font and a small gap (a small plot
        then still labels 100 and 1000 both)."""
        font = self.style.get("tickFont") or QFont()
        return QFontMetricsF(font).height() + LABEL_GAP_PIXELS

    def tickStrings(self, values: list[float], scale: float, spacing: float | None) -> list[str]:  # noqa: N802
        transform = self.scale_transform
        if transform is None:
            return super().tickStrings(values, scale, spacing)
        data = transform.inverse(np.array(values, dtype=float)) if values else []
        return ["" if v in self._minor else format_number(d, digits=2, trim=True)
                for v, d in zip(values, data, strict=True)]


class LogAxis(pg.AxisItem):
    """A log10 axis (plot coordinates are log10 of the values) whose labels are the values themselves."""

    def __init__(self, orientation: str = "left", **kwargs: object):
        super().__init__(orientation, **kwargs)
        self.setLogMode(True)

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802, N803 (pyqtgraph's names)
        low, high = sorted((minVal, maxVal))
        if not (size > 0 and np.isfinite(low) and np.isfinite(high) and high > low):
            return []
        if high - low >= NARROW_DECADES:
            return self._decade_ticks(low, high, size)
        value_low, value_high = 10.0 ** low, 10.0 ** high
        levels = []
        placed = np.empty(0)
        for spacing, offset in self.tickSpacing(value_low, value_high, size)[:2]:
            first = math.ceil((value_low - offset) / spacing) * spacing + offset
            values = np.arange(first, value_high + spacing * 1e-9, spacing)
            values = values[values > 0]
            # A finer level repeats the coarser one's ticks; drawn twice, their labels would look bold.
            values = values[~np.isclose(values[:, None], placed[None, :], rtol=1e-9, atol=0).any(axis=1)]
            placed = np.concatenate((placed, values))
            levels.append((spacing, list(np.log10(values))))
        return levels

    @staticmethod
    def _decade_ticks(low: float, high: float, size: float) -> list:
        """Labels every 1, 2, 3, 5, 10, ... decades, as dense as LABEL_SPACING_PIXELS allows;
        minor ticks at 2..9 times each power of ten (or at each decade when labels skip some)."""
        pixels_per_decade = size / (high - low)
        every = next((n for n in (1, 2, 3, 5, 10, 20, 50, 100) if n * pixels_per_decade >= LABEL_SPACING_PIXELS), 200)
        first, last = math.floor(low), math.ceil(high)
        majors = [float(k) for k in range(first, last + 1) if k % every == 0 and low <= k <= high]
        if every == 1:
            minors = [k + math.log10(m) for k in range(first, last + 1) for m in range(2, 10)]
        else:
            minors = [float(k) for k in range(first, last + 1) if k % every]
        return [(float(every), majors), (None, [v for v in minors if low <= v <= high])]

    def tickStrings(self, values: list[float], scale: float, spacing: float | None) -> list[str]:  # noqa: N802
        if spacing is None:
            return [""] * len(values)  # minor ticks of the decade display
        data = 10.0 ** np.array(values, dtype=float) if values else []
        return [format_number(v, digits=3, trim=True) for v in data]
