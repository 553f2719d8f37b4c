"""The display compression of heights, the contour levels and the 3D mesh: plain NumPy, no widgets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gui.views.contours import choose_levels, format_height, trace_contours
from gui.views.height_scale import MEDIAN_TARGET, HeightScale, fit_height_scale
from gui.views.mesh import RELIEF, WorldFrame, grid_faces, surface_mesh
from gui.views.overlay_geometry import (
    eigen_segments,
    log_length_fraction,
    overlay_arrows,
    scaled_vectors,
    step_arrows,
)
from gui.views.sampling import sample_surface
from gui.views.trail_buffer import TrailBuffer
from surfaces.presets import preset_surface
from surfaces.surface import Domain, build_surface


def grid_of(formula: str, domain: Domain, n: int = 120) -> np.ndarray:
    surface = build_surface(formula, domain=domain)
    xs, ys = domain.grid(n)
    return surface.value_grid(xs, ys)


# -- HeightScale ---------------------------------------------------------------------------------

def test_apply_is_identity_between_knees_and_asinh_beyond():
    scale = HeightScale(low=-2.0, high=3.0, low_width=0.5, high_width=4.0)
    h = np.array([-10.0, -2.0, 0.0, 3.0, 11.0, np.nan])
    d = scale.apply(h)
    # Written out from the formula in the module docstring, independently of the code.
    expected = [-2.0 - 0.5 * math.asinh(8.0 / 0.5), -2.0, 0.0, 3.0, 3.0 + 4.0 * math.asinh(8.0 / 4.0)]
    np.testing.assert_allclose(d[:5], expected, rtol=1e-12)
    assert np.isnan(d[5])


def test_a_few_heights_are_transformed_as_a_whole_grid_would_be():
    # The per-frame path (a few balls, plain floats) against the grid path (arrays), on every branch.
    scale = HeightScale(low=-2.0, high=3.0, low_width=0.5, high_width=4.0)
    h = np.array([-1e300, -50.0, -2.0, 0.7, 3.0, 12.0, 1e300, np.inf, -np.inf, np.nan] * 4)
    whole = scale.apply(h)
    assert h.size > 16
    for start in range(0, h.size, 5):
        np.testing.assert_allclose(scale.apply(h[start:start + 5]), whole[start:start + 5], rtol=1e-14)
    assert scale.apply(np.float64(12.0)).shape == ()


def test_invert_undoes_apply_and_order_is_kept():
    scale = HeightScale(low=-1.0, high=2.0, low_width=0.3, high_width=7.0)
    h = np.linspace(-1e4, 1e4, 20001)
    d = scale.apply(h)
    assert np.all(np.diff(d) > 0)
    np.testing.assert_allclose(scale.invert(d), h, rtol=1e-9, atol=1e-9)


def test_slope_matches_finite_differences_and_is_continuous_at_the_knees():
    scale = HeightScale(low=-1.0, high=2.0, low_width=0.3, high_width=7.0)
    h = np.array([-50.0, -1.0 - 1e-7, -1.0 + 1e-7, 0.5, 2.0 - 1e-7, 2.0 + 1e-7, 40.0])
    step = 1e-6
    numeric = (scale.apply(h + step) - scale.apply(h - step)) / (2 * step)
    np.testing.assert_allclose(scale.slope(h), numeric, rtol=1e-5)
    np.testing.assert_allclose(scale.slope(h[1:3]), 1.0, rtol=1e-6)


def test_light_tailed_surfaces_are_drawn_as_they_are():
    for formula, domain in [("x^2 + y^2", Domain(-3, 3, -3, 3)), ("x^2 - y^2", Domain(-2, 2, -2, 2)),
                            ("x^3 - 3*x*y^2", Domain(-1.5, 1.5, -1.5, 1.5))]:
        scale = fit_height_scale(grid_of(formula, domain))
        assert not scale.compressed and scale.note == "", formula


def test_rosenbrock_is_compressed_so_the_median_sits_mid_range():
    heights = grid_of("(1 - x)^2 + 100*(y - x^2)^2", Domain(-2, 2, -1, 3))
    scale = fit_height_scale(heights)
    assert scale.compressed and "compressed" in scale.note and "log" in scale.note
    d = scale.apply(heights)
    fraction = (np.median(d) - d.min()) / (d.max() - d.min())
    assert fraction == pytest.approx(MEDIAN_TARGET, abs=1e-6)
    # The note names the height where the log part begins: the knee plus one asinh width.
    knee = float(scale.high + scale.high_width)
    assert f"{knee:.3g}" in scale.note


def test_an_isolated_spike_is_compressed_but_a_broad_bump_is_not():
    spike = fit_height_scale(grid_of("1/(x^2 + y^2 + 0.001)", Domain(-3, 3, -3, 3)))
    assert math.isfinite(spike.high) and spike.note.startswith("heights above")
    pit = fit_height_scale(grid_of("-1/(x^2 + y^2 + 0.001)", Domain(-3, 3, -3, 3)))
    assert math.isfinite(pit.low) and "below" in pit.note
    bump = fit_height_scale(grid_of("exp(-(x^2 + y^2)/2)", Domain(-3, 3, -3, 3)))
    assert not bump.compressed


def test_nan_and_infinite_heights_are_holes_not_heights():
    heights = grid_of("log(x) + y^2", Domain(-3, 3, -3, 3))
    assert np.isnan(heights).any()
    scale = fit_height_scale(heights)
    assert np.isnan(scale.apply(heights)[np.isnan(heights)]).all()
    nowhere = fit_height_scale(np.full((5, 5), np.nan))
    assert not nowhere.compressed and "undefined everywhere" in nowhere.note


# -- contour levels --------------------------------------------------------------------------------

def test_levels_are_round_multiples_including_zero_when_uncompressed():
    sample = sample_surface(build_surface("x^2 - y^2", domain=Domain(-2, 2, -2, 2)))
    levels = choose_levels(sample)
    step = np.diff(levels)
    assert np.allclose(step, step[0]) and step[0] in (0.2, 0.5, 1.0)
    assert np.isclose(levels, 0.0).any()
    assert levels.min() > -4 and levels.max() < 4


def test_compressed_levels_crowd_toward_the_minimum():
    sample = sample_surface(preset_surface("rosenbrock"))
    levels = choose_levels(sample)
    below_median = np.sum(levels < np.nanmedian(sample.heights))
    assert below_median >= len(levels) // 3   # linear levels would put at most one there
    assert all(float(f"{v:.2g}") == pytest.approx(v) for v in levels)   # two significant digits


def test_contour_lines_lie_on_their_level_and_avoid_holes():
    surface = build_surface("sqrt(1 - x^2 - y^2)", domain=Domain(-1.5, 1.5, -1.5, 1.5))
    sample = sample_surface(surface)
    contours = trace_contours(sample)
    for path, heights in ((contours.minor_path, contours.minor_heights), (contours.major_path, contours.major_heights)):
        points = path[np.isfinite(path).all(axis=1)]
        levels = heights[np.isfinite(heights)]
        assert len(points) > 50
        # Inside the disc where f is defined, and f there is the line's level (linear interpolation
        # on a grid of spacing h: error O(h |grad f|), large only near the rim where f' blows up).
        assert np.all(np.hypot(points[:, 0], points[:, 1]) <= 1.0 + 1e-9)
        interior = np.hypot(points[:, 0], points[:, 1]) < 0.9
        np.testing.assert_allclose(surface.value(points[interior]), levels[interior], atol=0.02)


def test_labels_sit_on_their_lines_and_keep_apart():
    surface = preset_surface("himmelblau")
    sample = sample_surface(surface)
    contours = trace_contours(sample)
    labels = contours.labels()
    assert len(labels) >= 4
    values = surface.value(np.array([(label.x, label.y) for label in labels]))
    np.testing.assert_allclose(values, [label.level for label in labels], rtol=0.03, atol=1.0)
    assert all(label.text == format_height(label.level) for label in labels)
    points = np.array([(label.x, label.y) for label in labels])
    distances = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    assert distances[np.triu_indices(len(points), 1)].min() > 0.1 * sample.domain.diameter
    far = contours.labels(avoid=points[:1])
    assert all(math.hypot(label.x - points[0, 0], label.y - points[0, 1]) > 0.05 * sample.domain.diameter
               for label in far)


def test_format_height():
    assert [format_height(v) for v in (0, 0.25, 12.0, 4800.0, 34000.0, 2.7e5, -1.5e-4)] == \
        ["0", "0.25", "12", "4800", "3.4e4", "2.7e5", "-1.5e-4"]


# -- mesh ------------------------------------------------------------------------------------------

def test_grid_faces_cover_every_cell_with_two_triangles():
    faces = grid_faces(3, 4)
    assert faces.shape == (2 * 2 * 3, 3)
    # Each cell (i, j) is split into triangles covering its four corners exactly.
    corners = {frozenset(np.concatenate([faces[k], faces[k + 6]]).tolist()) for k in range(6)}
    expected = {frozenset({i * 4 + j, (i + 1) * 4 + j, i * 4 + j + 1, (i + 1) * 4 + j + 1})
                for i in range(2) for j in range(3)}
    assert corners == expected


def test_mesh_vertices_are_the_displayed_surface_in_world_units():
    surface = preset_surface("rosenbrock")
    sample = sample_surface(surface)
    frame = WorldFrame.for_sample(sample)
    mesh = surface_mesh(sample, frame)
    nx, ny = sample.heights.shape
    vertexes = mesh.vertexes.reshape(nx, ny, 3)
    # Independent evaluation of f on the same grid, through the documented transform.
    f = surface.value_grid(sample.xs, sample.ys)
    d = sample.scale.apply(f)
    w = (d - d.min()) / (d.max() - d.min()) * RELIEF * sample.domain.width * frame.k
    np.testing.assert_allclose(vertexes[:, :, 2], w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(vertexes[:, 0, 0], (sample.xs - 0.0) * frame.k, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(vertexes[0, :, 1], (sample.ys - 1.0) * frame.k, rtol=1e-6, atol=1e-6)
    assert w.max() == pytest.approx(0.6 * 10.0)   # relief: 0.6 x the domain's width (10 world units)
    assert len(mesh.faces) == 2 * (nx - 1) * (ny - 1)
    assert np.all((mesh.colors >= 0) & (mesh.colors <= 1))


def test_mesh_leaves_a_hole_where_f_is_undefined():
    surface = build_surface("sqrt(1 - x^2 - y^2)", domain=Domain(-1.5, 1.5, -1.5, 1.5))
    sample = sample_surface(surface)
    mesh = surface_mesh(sample, WorldFrame.for_sample(sample))
    gx, gy = np.meshgrid(sample.xs, sample.ys, indexing="ij")
    inside = (gx**2 + gy**2 <= 1.0).ravel()
    assert inside[mesh.faces].all()              # no triangle touches an undefined corner
    nx, ny = sample.heights.shape
    cells = inside.reshape(nx, ny)
    full = cells[:-1, :-1] & cells[1:, :-1] & cells[:-1, 1:] & cells[1:, 1:]
    assert len(mesh.faces) >= 2 * int(full.sum())  # every cell inside the disc is drawn
    assert np.isfinite(mesh.vertexes).all()


# -- trail buffers ---------------------------------------------------------------------------------

def test_a_trail_buffer_keeps_every_kth_row_and_the_newest():
    buffer = TrailBuffer(3, 10)
    path = np.column_stack([np.arange(100.0), np.zeros(100)])
    to_points = lambda p, f: np.column_stack([p, f])  # noqa: E731
    for k in (1, 7, 30, 31, 64, 99, 100):       # the history grows frame by frame
        points = buffer.update(path[:k], np.arange(k, dtype=float), to_points)
        assert len(points) <= 11
        rows = points[:, 0].astype(int)
        assert rows[0] == 0 and rows[-1] == k - 1            # the start and the newest point
        kept = rows[:-1] if (k - 1) % buffer.stride else rows
        assert np.all(kept % buffer.stride == 0) and np.all(np.diff(kept) == buffer.stride)
        np.testing.assert_array_equal(points[:, 2], rows)     # each point carries its own value
    assert buffer.update(path[:100], np.arange(100.0), to_points) is None   # nothing new: nothing to draw
    points = buffer.update(path[:5] + 1.0, np.arange(5.0), to_points)     # a restart: a new first point
    assert buffer.stride == 1 and len(points) == 5 and points[0, 0] == 1.0


def test_a_trail_buffer_given_the_newest_point_converted_draws_the_same_trail_converting_less():
    path = np.column_stack([np.arange(200.0), np.ones(200)])
    calls: list[int] = []

    def to_points(p: np.ndarray, f: np.ndarray) -> np.ndarray:
        calls.append(len(p))
        return np.column_stack([p, 2.0 * f])

    alone, helped = TrailBuffer(3, 16), TrailBuffer(3, 16)
    for k in [*range(1, 120), 125, 126, 200]:        # one row a frame, then a few, then many at once
        values = np.arange(k, dtype=float)
        expected = alone.update(path[:k], values, to_points).copy()
        calls.clear()
        newest = np.array([[path[k - 1, 0], path[k - 1, 1], 2.0 * values[k - 1]]])
        np.testing.assert_array_equal(helped.update(path[:k], values, to_points, newest), expected)
        if alone.covered and k < 120:
            assert calls == []                       # one new row: nothing converted by the buffer itself
    assert helped.stride == alone.stride > 1


# -- overlay geometry ------------------------------------------------------------------------------

def test_arrow_lengths_lose_a_quarter_per_decade():
    sizes = np.array([20.0, 10.0, 1.0, 0.1, 0.01, 1e-3, 1e-5, 0.0, np.nan])
    np.testing.assert_allclose(log_length_fraction(sizes, 10.0), [1, 1, 0.75, 0.5, 0.25, 0, 0, 0, 0])
    vectors = np.array([[3.0, 4.0], [0.0, 0.0], [0.3, -0.4]])
    scaled = scaled_vectors(vectors, reference=5.0, full=2.0)
    np.testing.assert_allclose(scaled[0], [1.2, 1.6])                   # |v| = reference: the full length
    np.testing.assert_allclose(scaled[1], [0.0, 0.0])
    np.testing.assert_allclose(np.linalg.norm(scaled[2]), 2.0 * 0.75)   # ten times smaller: 3/4 as long
    np.testing.assert_allclose(scaled[2] / np.linalg.norm(scaled[2]), [0.6, -0.8])


def test_eigen_segments_follow_the_eigenvectors_by_sign():
    # One ball at (1, 2) on a saddle, H = [[0, 2], [2, 0]]: lambda = -2 along (1, -1), +2 along (1, 1).
    s = 1 / np.sqrt(2)
    up_tails, up_tips, down_tails, down_tips = eigen_segments(
        np.array([[1.0, 2.0]]), np.array([[-2.0, 2.0]]), np.array([[[s, s], [-s, s]]]), reference=2.0, full=1.0)
    np.testing.assert_allclose(up_tips - up_tails, [[2 * s, 2 * s]])          # +2: along (1, 1), full length
    np.testing.assert_allclose(down_tips - down_tails, [[2 * s, -2 * s]])     # -2: along (1, -1)
    np.testing.assert_allclose((up_tips + up_tails) / 2, [[1.0, 2.0]])


def test_all_arrows_at_once_are_the_arrows_one_kind_at_a_time():
    rng = np.random.default_rng(2)
    n = 9
    positions = rng.normal(size=(n, 2))
    positions[3] = np.nan                                     # a ball off the map
    gradients = rng.normal(size=(n, 2)) * 10.0 ** rng.uniform(-5, 2, (n, 1))
    gradients[4] = 0.0                                        # at a critical point
    velocities = rng.normal(size=(n, 2)) * 1e-2
    velocities[5] = np.nan                                    # a method without a velocity
    eigenvalues = np.sort(rng.normal(size=(n, 2)) * 3.0, axis=1)
    eigenvalues[6] = 0.0                                      # flat
    angles = rng.uniform(0, np.pi, n)
    eigenvectors = np.stack([np.column_stack([-np.sin(angles), np.cos(angles)]),
                             np.column_stack([np.cos(angles), np.sin(angles)])], axis=2)
    arrows = overlay_arrows(positions, gradients, velocities, eigenvalues, eigenvectors, 5.0, 0.02, 4.0, 1.5, 0.8)

    def finite_ends(tails: np.ndarray, tips: np.ndarray) -> np.ndarray:
        ends = np.column_stack([tails, tips])
        return ends[np.isfinite(ends).all(axis=1)]

    descent = finite_ends(positions, positions + scaled_vectors(-gradients, 5.0, 1.5))
    velocity = finite_ends(positions, positions + scaled_vectors(velocities, 0.02, 1.5))
    np.testing.assert_allclose(arrows.descent, descent, rtol=1e-12)
    np.testing.assert_allclose(arrows.velocity, velocity, rtol=1e-12)
    assert len(arrows.descent) == n - 1 and len(arrows.velocity) == n - 2     # off the map; no velocity
    up_tails, up_tips, down_tails, down_tips = eigen_segments(positions, eigenvalues, eigenvectors, 4.0, 0.8)
    np.testing.assert_allclose(arrows.curving_up, finite_ends(up_tails, up_tips), rtol=1e-12)
    np.testing.assert_allclose(arrows.curving_down, finite_ends(down_tails, down_tips), rtol=1e-12)
    # One reference per size is the same as one at a time.
    sizes = np.array([1.0, 10.0, 0.0, np.nan, 3.0])
    references = np.array([10.0, 10.0, 10.0, 10.0, -1.0])
    np.testing.assert_array_equal(log_length_fraction(sizes, references), [0.75, 1.0, 0.0, 0.0, 0.0])


def test_a_step_from_off_the_map_is_drawn_from_where_it_came_in():
    lo, hi = (-1.0, -2.0), (3.0, 2.0)
    positions = np.array([[0.0, 0.0], [2.0, 1.0], [0.5, -1.5], [np.nan, np.nan], [1.0, 1.0]])
    steps = np.array([[0.5, 0.5], [4.0, 0.0], [0.0, 1.0], [0.1, 0.1], [np.nan, 0.0]])
    ends = step_arrows(positions, steps, lo, hi)
    # Ball 0: a step inside the map, whole. Ball 1: it came from x = -2, off the map: drawn from x = -1.
    # Ball 2: from y = -2.5, drawn from y = -2. Ball 3 is off the map, ball 4 has no finite step: none.
    np.testing.assert_allclose(ends, [[-0.5, -0.5, 0.0, 0.0], [-1.0, 1.0, 2.0, 1.0], [0.5, -2.0, 0.5, -1.5]])
