"""The 3D scene's geometry, in plain NumPy: world coordinates, the shaded surface mesh, heights of points.

The 3D view does not draw surface units directly. A domain may be 0.001 wide or 1000 wide and
heights may span 1e-6 or 1e6; the camera, the ball radius and float32 vertices want one size.
:class:`WorldFrame` maps a point (x, y) with display height d (see ``gui.views.height_scale``)
to world coordinates:

    u = (x - x_centre) * k,   v = (y - y_centre) * k,   w = (d - d_min) / (d_max - d_min) * Z

with k = BOX / (longer side of the domain), so the domain spans BOX world units along its longer
side, and Z = RELIEF * (width of the domain in world units): the displayed height range stands
0.6 times the domain's width tall whatever the units of f.

:func:`surface_mesh` turns a grid sample into vertices, triangles and colours. Triangles with
a NaN corner are left out (a hole where f is undefined). Lighting is computed here, once per
surface, into the vertex colours ("baked"): Lambert shading under a light fixed above the
viewer's left shoulder for the default camera. The GPU then draws plain coloured triangles,
which costs nothing per frame and needs no normals upload.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gui import palette
from gui.views.sampling import SurfaceSample

#: World units along the domain's longer side.
BOX = 10.0
#: Height of the displayed range as a fraction of the domain's width.
RELIEF = 0.6
#: Direction towards the light (world coordinates; from the front-left, high).
LIGHT = np.array([-0.45, -0.55, 0.70])
AMBIENT = 0.42
DIFFUSE = 0.58


@dataclass(frozen=True)
class WorldFrame:
    """The map from surface coordinates and display heights to world coordinates (module docstring)."""

    x_centre: float
    y_centre: float
    k: float
    d_min: float
    d_max: float
    relief: float  # Z, world units of the displayed height range

    @classmethod
    def for_sample(cls, sample: SurfaceSample) -> WorldFrame:
        d = sample.domain
        k = BOX / max(d.width, d.height)
        lo, hi = sample.display_range
        return cls((d.xmin + d.xmax) / 2, (d.ymin + d.ymax) / 2, k, lo, hi, RELIEF * d.width * k)

    def world_xy(self, points: np.ndarray) -> np.ndarray:
        """(n, 2) surface coordinates -> (n, 2) world u, v."""
        p = np.asarray(points, dtype=float)
        return (p - np.array([self.x_centre, self.y_centre])) * self.k

    def world_z(self, display: np.ndarray | float) -> np.ndarray:
        """Display heights (any shape) -> world w (0 at the lowest displayed height)."""
        return (np.asarray(display, dtype=float) - self.d_min) / (self.d_max - self.d_min) * self.relief

    def display_from_world_z(self, w: np.ndarray | float) -> np.ndarray:
        return np.asarray(w, dtype=float) / self.relief * (self.d_max - self.d_min) + self.d_min

    def world_points(self, points: np.ndarray, display: np.ndarray, lift: float = 0.0) -> np.ndarray:
        """(n, 3) float32 world positions of points (n, 2) at display heights (n,), raised by ``lift``."""
        out = np.empty((len(points), 3), dtype=np.float32)
        out[:, :2] = self.world_xy(points)
        out[:, 2] = self.world_z(display) + lift
        return out


@dataclass(frozen=True, eq=False)
class SurfaceMesh:
    """Triangles ready for a GLMeshItem.

    Attributes:
        vertexes: (nx * ny, 3) float32 world positions, grid point (i, j) at row i * ny + j
            (NaN heights are put at w = 0; no triangle uses them).
        faces: (m, 3) uint32 vertex indices of the triangles whose three corners are defined.
        colors: (nx * ny, 4) float32 RGBA, the height colour times the Lambert shading.
    """

    vertexes: np.ndarray
    faces: np.ndarray
    colors: np.ndarray


def grid_faces(nx: int, ny: int) -> np.ndarray:
    """(2 (nx-1)(ny-1), 3) triangles of an nx by ny grid: cell (i, j) -> (a, b, c) and (b, d, c)."""
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(ny - 1), indexing="ij")
    a = (i * ny + j).ravel()
    b = a + ny        # (i + 1, j)
    c = a + 1         # (i, j + 1)
    d = b + 1         # (i + 1, j + 1)
    return np.concatenate([np.column_stack([a, b, c]), np.column_stack([b, d, c])]).astype(np.uint32)


def surface_mesh(sample: SurfaceSample, frame: WorldFrame) -> SurfaceMesh:
    """The shaded, height-coloured mesh of ``sample`` in ``frame`` (module docstring)."""
    nx, ny = sample.heights.shape
    u = (sample.xs - frame.x_centre) * frame.k
    v = (sample.ys - frame.y_centre) * frame.k
    w = frame.world_z(sample.display)
    defined = np.isfinite(w)

    vertexes = np.empty((nx, ny, 3), dtype=np.float32)
    vertexes[:, :, 0] = u[:, None]
    vertexes[:, :, 1] = v[None, :]
    vertexes[:, :, 2] = np.where(defined, w, 0.0)

    faces = grid_faces(nx, ny)
    flat_defined = defined.ravel()
    faces = faces[flat_defined[faces].all(axis=1)]

    colors = palette.height_colors(sample.fraction(sample.display)).reshape(nx, ny, 4)
    colors[..., :3] *= _shading(w, u, v)[..., None]
    return SurfaceMesh(vertexes.reshape(-1, 3), faces, colors.reshape(-1, 4).astype(np.float32))


def _shading(w: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Lambert factor AMBIENT + DIFFUSE * max(0, n . L) at each grid point (nx, ny)."""
    with np.errstate(invalid="ignore"):
        dw_du, dw_dv = np.gradient(w, u, v) if min(w.shape) > 1 else (np.zeros_like(w), np.zeros_like(w))
    dw_du = np.nan_to_num(dw_du)
    dw_dv = np.nan_to_num(dw_dv)
    # Normal of the graph w(u, v): (-dw/du, -dw/dv, 1), normalised.
    norm = np.sqrt(dw_du**2 + dw_dv**2 + 1.0)
    light = LIGHT / np.linalg.norm(LIGHT)
    lambert = (-dw_du * light[0] - dw_dv * light[1] + light[2]) / norm
    return AMBIENT + DIFFUSE * np.clip(lambert, 0.0, 1.0)
