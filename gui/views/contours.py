"""Contour lines of a sampled surface: which levels, their paths, and where their labels go.

Levels are spread evenly on the *display* scale (see :mod:`gui.views.height_scale`), so where the
heights are compressed the levels crowd toward the minima and a basin shows detail; each level
is then rounded to a value with two significant digits, so a label reads "20", not "19.73".
The lines are traced on the true heights with contourpy (the marching-squares library under
matplotlib): NaN cells are left out, so a line stops at the edge of a hole.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import contourpy
import numpy as np

from gui.views.sampling import SurfaceSample

#: Contour levels aimed for across the displayed height range.
TARGET_LEVELS = 14
#: At most this many labels per labelled level, and labels keep this fraction of the domain's
#: diagonal apart (so they never pile up where lines bunch together).
LABELS_PER_LEVEL = 2
LABEL_SPACING = 0.12
#: A line shorter than this fraction of the domain's diagonal gets no label.
MIN_LABELLED_LENGTH = 0.15


@dataclass(frozen=True)
class ContourLabel:
    x: float
    y: float
    text: str
    level: float


@dataclass(frozen=True, eq=False)
class ContourSet:
    """Contour lines ready to draw.

    Attributes:
        levels: (m,) true heights of the lines, ascending.
        major: (m,) bool, the levels that carry labels (every other one, counted from the level
            nearest 0) and a heavier pen.
        minor_path, major_path: (k, 2) points of all minor / major lines, one piece after the
            other, separated by rows of NaN (pyqtgraph draws them with ``connect="finite"``).
        minor_heights, major_heights: (k,) the level of each point of those paths (NaN in the gaps).
        major_pieces: (level, pieces) of every major level, for placing labels.
        diagonal: the diagonal of the sampled domain (label spacing is a fraction of it).
    """

    levels: np.ndarray
    major: np.ndarray
    minor_path: np.ndarray
    major_path: np.ndarray
    minor_heights: np.ndarray
    major_heights: np.ndarray
    major_pieces: tuple[tuple[float, tuple[np.ndarray, ...]], ...]
    diagonal: float

    def labels(self, avoid: np.ndarray | None = None) -> tuple[ContourLabel, ...]:
        """Where to write the major levels' values, kept clear of each other and of ``avoid`` (k, 2)."""
        keep_clear = [] if avoid is None else [tuple(p) for p in np.asarray(avoid, float).reshape(-1, 2)]
        placed: list[ContourLabel] = []
        for level, pieces in self.major_pieces:
            placed.extend(_place_labels(list(pieces), level, placed, keep_clear, self.diagonal))
        return tuple(placed)


def choose_levels(sample: SurfaceSample, count: int = TARGET_LEVELS) -> np.ndarray:
    """About ``count`` true heights for contour lines, strictly inside the range of the heights.

    Drawn as they are (no compression), the levels are the multiples of a round step (1, 2 or 5
    times a power of ten), so they read 0, 2, 4, ... and the level through 0 (often the saddle's
    X) is among them. Compressed, they are spread evenly on the display scale and each rounded
    to two significant digits, so they crowd toward the minima.
    """
    finite = sample.heights[np.isfinite(sample.heights)]
    if finite.size == 0:
        return np.empty(0)
    lowest, highest = float(finite.min()), float(finite.max())
    if not highest > lowest:
        return np.empty(0)
    if not sample.scale.compressed:
        step = round_step((highest - lowest) / count)
        first = math.floor(lowest / step) + 1
        last = math.ceil(highest / step) - 1
        levels = np.arange(first, last + 1) * step
    else:
        lo, hi = sample.display_range
        displayed = np.linspace(lo, hi, count + 2)[1:-1]
        levels = np.array([_round_significant(v, 2) for v in sample.scale.invert(displayed)])
    return np.unique(levels[(levels > lowest) & (levels < highest)])


def round_step(raw: float) -> float:
    """The round step (1, 2 or 5 times a power of ten) nearest to ``raw`` on a log scale."""
    power = 10.0 ** math.floor(math.log10(raw))
    candidates = np.array([1.0, 2.0, 5.0, 10.0]) * power
    return float(candidates[np.argmin(np.abs(np.log(candidates / raw)))])


def trace_contours(sample: SurfaceSample, levels: np.ndarray | None = None) -> ContourSet:
    """Trace the contour lines of ``sample`` at ``levels`` (default :func:`choose_levels`)."""
    if levels is None:
        levels = choose_levels(sample)
    levels = np.asarray(levels, dtype=float)
    # Every other level carries a label, counted from the one nearest 0 (so 0 itself is labelled).
    major = np.zeros(levels.shape, dtype=bool)
    if levels.size:
        anchor = int(np.argmin(np.abs(levels)))
        major[anchor % 2::2] = True
    diagonal = sample.domain.diameter
    if levels.size == 0 or not np.isfinite(sample.heights).any():
        empty = np.empty((0, 2))
        return ContourSet(levels, major, empty, empty, np.empty(0), np.empty(0), (), diagonal)

    # contourpy wants z as (ny, nx) with x along the columns; our grid is (nx, ny).
    generator = contourpy.contour_generator(sample.xs, sample.ys, np.ma.masked_invalid(sample.heights.T),
                                            line_type=contourpy.LineType.Separate, corner_mask=True)
    minor: list[tuple[float, np.ndarray]] = []
    majors: list[tuple[float, np.ndarray]] = []
    labelled: list[tuple[float, tuple[np.ndarray, ...]]] = []
    for level, is_major in zip(levels, major, strict=True):
        pieces = [np.asarray(p, dtype=float) for p in generator.lines(float(level)) if len(p) >= 2]
        (majors if is_major else minor).extend((float(level), p) for p in pieces)
        if is_major:
            labelled.append((float(level), tuple(pieces)))
    minor_path, minor_heights = _join(minor)
    major_path, major_heights = _join(majors)
    return ContourSet(levels, major, minor_path, major_path, minor_heights, major_heights, tuple(labelled),
                      diagonal)


_cache: dict[int, tuple[SurfaceSample, ContourSet]] = {}


def contours_for(sample: SurfaceSample) -> ContourSet:
    """:func:`trace_contours` of ``sample`` with the default levels, shared by the 2D and 3D views."""
    entry = _cache.get(id(sample))
    if entry is not None and entry[0] is sample:
        return entry[1]
    contours = trace_contours(sample)
    if len(_cache) >= 4:
        _cache.pop(next(iter(_cache)))
    _cache[id(sample)] = (sample, contours)
    return contours


def format_height(value: float) -> str:
    """A contour label: plain up to 9999 ("4800", "0.25"), compact powers of ten beyond ("3.4e4")."""
    if value == 0:
        return "0"
    if 1e-3 <= abs(value) < 1e4:
        return f"{value:.4g}"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.removesuffix('.0')}e{int(exponent)}"


def _place_labels(pieces: list[np.ndarray], level: float, placed: list[ContourLabel],
                  keep_clear: list[tuple[float, float]], diagonal: float) -> list[ContourLabel]:
    """Labels on the longest pieces, at the middle or near it, clear of earlier labels and marked points."""
    lengths = [float(np.hypot(*np.diff(p, axis=0).T).sum()) for p in pieces]
    spacing = LABEL_SPACING * diagonal
    result: list[ContourLabel] = []
    for index in np.argsort(lengths)[::-1]:
        if len(result) >= LABELS_PER_LEVEL or lengths[index] < MIN_LABELLED_LENGTH * diagonal:
            break
        piece = pieces[index]
        step = np.hypot(*np.diff(piece, axis=0).T)
        along = np.concatenate([[0.0], np.cumsum(step)])
        for fraction in (0.5, 0.3, 0.7, 0.15, 0.85):
            x, y = (float(np.interp(fraction * along[-1], along, piece[:, k])) for k in (0, 1))
            clear_of_labels = all(math.hypot(x - o.x, y - o.y) > spacing for o in (*placed, *result))
            clear_of_points = all(math.hypot(x - px, y - py) > 0.5 * spacing for px, py in keep_clear)
            if clear_of_labels and clear_of_points:
                result.append(ContourLabel(x, y, format_height(level), level))
                break
    return result


def _join(pieces: list[tuple[float, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """All pieces in one (k, 2) path with NaN rows between them, and each point's level (k,)."""
    if not pieces:
        return np.empty((0, 2)), np.empty(0)
    points: list[np.ndarray] = []
    heights: list[np.ndarray] = []
    for level, piece in pieces:
        points.append(piece)
        points.append(np.full((1, 2), np.nan))
        heights.append(np.full(len(piece), level))
        heights.append(np.full(1, np.nan))
    return np.concatenate(points[:-1]), np.concatenate(heights[:-1])


def _round_significant(value: float, digits: int) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    exponent = math.floor(math.log10(abs(value))) - digits + 1
    return round(value / 10**exponent) * 10**exponent
