"""The colours of Downhill, in one place: the height colormap, ball colours, regime and critical-point colours.

Every widget that colours something reads it here, so a saddle is the same apricot in the contour
map's legend, on a read-out badge and in a panel, and ball 3 is the same green everywhere.

- Heights use viridis: perceptually uniform (equal steps in height look like equal steps in
  colour), readable in greyscale and by colour-blind viewers, dark at the bottom so minima read
  as "low".
- Balls and meanings take colours from two disjoint sets, so no ball ever wears the colour of a
  saddle or of "curves down". Balls use Okabe & Ito's colour-blind-safe palette (defined once in
  physics.balls, with no Qt, since scene files get their default colours there; read here), white
  in place of its black on the dark views, without its yellow and dark blue, which viridis' peaks
  and valleys swallow. Ball markers also get a dark outline and a light halo.
- Meaning colours (regimes, critical points, curvature) were chosen, by a search over the sRGB
  cube, to stay at least 10 CIEDE2000 units from every ball colour and from each other for normal
  vision and under simulated protanopia, deuteranopia and tritanopia (Machado, Oliveira &
  Fernandes 2009), with "curves up" (pale cyan, light), "curves down" (violet, mid-dark) and
  "saddle" (apricot) at least 30 apart: they differ in lightness, which every viewer keeps.
  tests/gui/test_palette.py checks all of this.
- Colour is never the only cue for curvature: "curves down" is drawn dashed (map, 3D view,
  legend) and its half of the eigenvalue plot is hatched; the critical points differ by symbol
  and the regime badges carry their word.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from physics.balls import PALETTE
from physics.balls import ball_color as ball_color  # the colour of ball i, for the widgets

#: Name of the pyqtgraph colormap used for heights (2D image and 3D mesh alike).
HEIGHT_COLORMAP = "viridis"

#: Balls in the order a scene's balls get them (wraps around after the last): orange, sky blue,
#: bluish green, vermillion, reddish purple, white.
BALL_COLORS: tuple[str, ...] = PALETTE

#: "Curves up" and "curves down": eigen-directions on the map, minima and maxima, the regimes
#: of the same name. Light against mid-dark, so they stay apart without hue.
CURVES_UP_COLOR = "#9be9ff"      # pale cyan
CURVES_DOWN_COLOR = "#9059e9"    # violet (drawn dashed as well)
SADDLE_COLOR = "#ffc885"         # apricot
#: "Flat": the plateau regime and the degenerate critical point (some λ ≈ 0).
FLAT_COLOR = "#7a594e"           # the colour of flat earth: crawling, not converged
NEUTRAL_COLOR = "#b1b1a6"        # warm grey: nothing special is happening

#: Colour of each regime name of physics.regime (badges, panel markers).
REGIME_COLORS: dict[str, str] = {
    "descending": NEUTRAL_COLOR,
    "minimum": CURVES_UP_COLOR,
    "saddle": SADDLE_COLOR,
    "maximum": CURVES_DOWN_COLOR,
    "plateau": FLAT_COLOR,
    "oscillating": "#fff400",    # yellow: a warning
    "diverging": "#b10b0b",      # dark red: failure
}

#: Colour of each critical-point kind of surfaces.critical (markers and legend of the map).
CRITICAL_COLORS: dict[str, str] = {
    "minimum": CURVES_UP_COLOR,
    "maximum": CURVES_DOWN_COLOR,
    "saddle": SADDLE_COLOR,
    "degenerate": NEUTRAL_COLOR,
}

#: pyqtgraph symbol of each critical-point kind: a valley points down, a peak up, a saddle is
#: the crossing of a rising and a falling direction, a degenerate point is "something else".
CRITICAL_SYMBOLS: dict[str, str] = {
    "minimum": "t",      # triangle pointing down
    "maximum": "t1",     # triangle pointing up
    "saddle": "x",
    "degenerate": "star",
}

#: Words for each critical-point kind in a legend.
CRITICAL_LABELS: dict[str, str] = {
    "minimum": "minimum (λ₁, λ₂ > 0)",
    "maximum": "maximum (λ₁, λ₂ < 0)",
    "saddle": "saddle (λ₁ < 0 < λ₂)",
    "degenerate": "degenerate (some λ ≈ 0)",
}

#: Overlay colours of the contour map (one colour per quantity, the same for every ball).
DESCENT_COLOR = "#ffffff"          # -grad f
STEP_COLOR = "#ffd600"             # the last step taken
VELOCITY_COLOR = "#00e676"         # the method's velocity / first moment
POSITIVE_CURVATURE_COLOR = CURVES_UP_COLOR     # eigen-direction with λ > 0 (curves up, like a minimum)
NEGATIVE_CURVATURE_COLOR = CURVES_DOWN_COLOR   # eigen-direction with λ < 0 (curves down): dashed too
OUTLINE_COLOR = "#101010"          # dark edge drawn under lines and markers for contrast
NAN_HATCH_COLOR = "#8a8a8a"        # hatching of regions where f is undefined

#: The small note in a view's corner saying how heights are drawn ("heights above 16.5 compressed").
DISPLAY_NOTE_STYLE = ("QLabel { background: rgba(20, 20, 24, 200); color: #ffd54f; padding: 2px 6px;"
                      " border: 1px solid #5a5a5a; border-radius: 3px; font-size: 10pt; }")
DISPLAY_NOTE_TIP = "How the heights are drawn; the physics always uses the true f"


def swatch_icon(color: str, size: int = 18, disc: bool = True) -> QIcon:
    """A ball's colour as an icon for a list or table row: a disc (or square) with a dark rim.

    The same picture is given for the "selected" mode: Qt otherwise tints a selected row's icon
    30 % towards the highlight colour, so the selected ball's swatch showed a colour no ball has
    (vermillion turned brown).
    """
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor("#303030"), 1.5))  # a white ball shows on a white list
    painter.setBrush(QColor(color))
    if disc:
        painter.drawEllipse(1, 1, size - 2, size - 2)
    else:
        painter.drawRect(1, 1, size - 2, size - 2)
    painter.end()
    icon = QIcon()
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected, QIcon.Mode.Active):
        icon.addPixmap(pixmap, mode)
    return icon


def regime_color(regime: str) -> str:
    """The colour of a regime name; unknown names get the neutral "descending" grey."""
    return REGIME_COLORS.get(regime, REGIME_COLORS["descending"])


def contrast_color(color: str) -> str:
    """Black or white, whichever reads better on ``color`` ("#rrggbb"), by relative luminance.

    Uses the WCAG 2 relative luminance L = 0.2126 R + 0.7152 G + 0.0722 B of the linearised
    sRGB channels and picks black when L > 0.179 (the luminance where both contrasts are equal).
    """
    qcolor = pg.mkColor(color)
    channels = np.array([qcolor.redF(), qcolor.greenF(), qcolor.blueF()])
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return "#000000" if luminance > 0.179 else "#ffffff"


def readable_on_dark(color: str, lightness: float = 0.6) -> str:
    """``color`` ("#rrggbb") mixed towards white until its HSL lightness is at least ``lightness``, so
    words written in it read on a dark patch; a colour light enough already is returned as it is."""
    qcolor = pg.mkColor(color)
    current = qcolor.lightnessF()
    if current >= lightness:
        return qcolor.name()
    r, g, b, _alpha = qcolor.getRgbF()
    # Mixing by m moves the lightness (max + min) / 2 of the channels linearly: L' = L + m (1 - L).
    mix = (lightness - current) / (1.0 - current)
    return pg.mkColor(tuple(round(255 * (c + (1.0 - c) * mix)) for c in (r, g, b))).name()


def height_colormap() -> pg.ColorMap:
    """The colormap of heights (pyqtgraph's bundled viridis; no network, no matplotlib)."""
    return pg.colormap.get(HEIGHT_COLORMAP)


def height_lookup_table(points: int = 256) -> np.ndarray:
    """(points, 4) uint8 RGBA table of the height colormap, low heights first."""
    return height_colormap().getLookupTable(0.0, 1.0, points, alpha=True)


def height_colors(fraction: np.ndarray) -> np.ndarray:
    """RGBA floats in [0, 1] (..., 4) for heights given as fractions (...) of the display range.

    Fractions are clipped to [0, 1]; NaN fractions get alpha 0 (a hole).
    """
    table = height_lookup_table(256).astype(np.float32) / 255.0
    f = np.asarray(fraction, dtype=float)
    finite = np.isfinite(f)
    index = np.zeros(f.shape, dtype=np.intp)
    index[finite] = np.clip(np.rint(f[finite] * 255.0), 0, 255).astype(np.intp)
    colors = table[index]
    colors[..., 3] = np.where(finite, 1.0, 0.0)
    return colors
