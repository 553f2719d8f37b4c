"""The surface sampled on a grid for drawing, shared by the 3D view and the contour map.

Both views draw the same heights through the same :class:`~gui.views.height_scale.HeightScale`
(so the compression note and the colours agree), and a surface change should cost one
evaluation of the grid, not two: :func:`sample_surface` keeps the last few samples.

The grid resolution adapts to the cost of the formula: a cheap polynomial is drawn on a
200 x 200 grid, a formula that takes long to evaluate on fewer points (never below 60 x 60), so
a parameter slider stays live.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from gui.views.height_scale import HeightScale, fit_height_scale
from surfaces.surface import Domain, Surface

MAX_RESOLUTION = 200
MIN_RESOLUTION = 60
PROBE_RESOLUTION = 40
#: Seconds one grid evaluation may take before the resolution is lowered.
EVALUATION_BUDGET = 0.03
_CACHE_SIZE = 4


@dataclass(frozen=True, eq=False)
class SurfaceSample:
    """f on a regular grid over a domain, with its display scale.

    Attributes:
        domain: the sampled rectangle.
        xs (nx,), ys (ny,): the grid axes.
        heights (nx, ny): f(xs[i], ys[j]); NaN where f is undefined (+-inf are made NaN too).
        display (nx, ny): ``scale.apply(heights)``.
        scale: the fitted display compression.
        display_range: (min, max) of the finite display heights ((0, 1) if there are none).
        gradient_scale: the large end of |grad f| over the grid (99th percentile, by finite
            differences): the full length of a gradient arrow.
        curvature_scale: likewise for the Hessian's size: the full length of an eigen-direction.
    """

    domain: Domain
    xs: np.ndarray
    ys: np.ndarray
    heights: np.ndarray
    display: np.ndarray
    scale: HeightScale
    display_range: tuple[float, float]
    gradient_scale: float
    curvature_scale: float

    @property
    def resolution(self) -> tuple[int, int]:
        return self.heights.shape  # type: ignore[return-value]

    def fraction(self, display: np.ndarray | float) -> np.ndarray:
        """Where display heights lie in the display range: 0 at the bottom, 1 at the top."""
        lo, hi = self.display_range
        return (np.asarray(display, dtype=float) - lo) / (hi - lo)


#: Recent samples by (id of surface, domain); the entry keeps the surface alive, so an id seen
#: here cannot belong to a newer surface.
_cache: OrderedDict[tuple, tuple[Surface, SurfaceSample]] = OrderedDict()


def sample_surface(surface: Surface, domain: Domain | None = None) -> SurfaceSample:
    """The grid sample of ``surface`` over ``domain`` (default its own), cached for both views."""
    domain = domain or surface.domain
    key = (id(surface), domain.as_tuple())
    entry = _cache.get(key)
    if entry is not None and entry[0] is surface:
        _cache.move_to_end(key)
        return entry[1]
    sample = _sample(surface, domain)
    _cache[key] = (surface, sample)
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return sample


def choose_resolution(surface: Surface, domain: Domain) -> int:
    """Grid points per side: as many as fit the evaluation budget, between 60 and 200."""
    xs, ys = domain.grid(PROBE_RESOLUTION)
    timings = []
    for _ in range(2):  # the faster of two: the first call may pay one-off costs, or be interrupted
        started = time.perf_counter()
        surface.value_grid(xs, ys)
        timings.append(time.perf_counter() - started)
    per_point = min(timings) / PROBE_RESOLUTION**2
    if per_point <= 0:
        return MAX_RESOLUTION
    affordable = int(np.sqrt(EVALUATION_BUDGET / per_point))
    return int(np.clip(affordable, MIN_RESOLUTION, MAX_RESOLUTION))


def _sample(surface: Surface, domain: Domain) -> SurfaceSample:
    resolution = choose_resolution(surface, domain)
    # Keep the grid cells square in data units, so contours and shading are not anisotropic.
    aspect = domain.height / domain.width
    nx = resolution if aspect <= 1 else max(MIN_RESOLUTION // 2, int(round(resolution / aspect)))
    ny = resolution if aspect >= 1 else max(MIN_RESOLUTION // 2, int(round(resolution * aspect)))
    xs = np.linspace(domain.xmin, domain.xmax, nx)
    ys = np.linspace(domain.ymin, domain.ymax, ny)
    heights = surface.value_grid(xs, ys)
    heights[~np.isfinite(heights)] = np.nan
    scale = fit_height_scale(heights)
    display = scale.apply(heights)
    finite = display[np.isfinite(display)]
    if finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5  # a flat surface: put it mid-range
    else:
        lo, hi = 0.0, 1.0
    gradient_scale, curvature_scale = _typical_derivatives(heights, xs, ys)
    return SurfaceSample(domain, xs, ys, heights, display, scale, (lo, hi), gradient_scale, curvature_scale)


def _typical_derivatives(heights: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> tuple[float, float]:
    """The large end (99th percentile) of |grad f| and of |H| over the grid, by central differences.

    Only length scales for drawing arrows (the arrows themselves show the exact gradient and
    Hessian from the simulation). The large end, not the median: on a plateau nearly every
    gradient is tiny, and measured against the median a plateau's crawl would look steep.
    |H| is the Frobenius norm sqrt(f_xx^2 + 2 f_xy^2 + f_yy^2), at least the largest |eigenvalue|.
    """
    with np.errstate(invalid="ignore"):
        gx, gy = np.gradient(heights, xs, ys)
        gxx, gxy = np.gradient(gx, xs, ys)
        gyy = np.gradient(gy, ys, axis=1)
    norm = np.hypot(gx, gy)
    curvature = np.sqrt(gxx**2 + 2 * gxy**2 + gyy**2)
    g = float(np.nanpercentile(norm, 99)) if np.isfinite(norm).any() else 0.0
    c = float(np.nanpercentile(curvature, 99)) if np.isfinite(curvature).any() else 0.0
    return (g if g > 0 else 1.0), (c if c > 0 else 1.0)
