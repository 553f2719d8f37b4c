"""The palette (gui.palette) read by colour-blind eyes: balls and meanings apart, "curves down" dashed.

Colour-vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes (2009),
"A physiologically-based model for simulation of color vision deficiency", IEEE TVCG 15(6),
severity 1.0 (dichromacy), applied to linear RGB as the paper prescribes. Distances are CIEDE2000
(Sharma, Wu & Dalal 2005), written out here and checked against pairs of their published test
data, so the test does not lean on the code it checks.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PyQt6.QtCore import Qt

from gui import palette
from gui.controller import SceneController
from gui.panels.eigenvalue_panel import EigenvaluePanel
from gui.views.contour_map import ContourMapView
from physics.balls import PALETTE
from physics.preset_scenes import PRESET_SCENES
from physics.scene_reader import scene_from_json
from physics.scenes import Scene

#: Machado et al. 2009, Table 1, severity 1.0; rows give linear R, G, B from linear R, G, B.
MACHADO_2009 = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
VISIONS = ("normal", *MACHADO_2009)
#: Least CIEDE2000 distance between two colours that must not be confused, for every vision.
APART = 10.0
#: Least distance between "curves up", "curves down" and "saddle", the cue a saddle rests on.
FAR_APART = 30.0

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])


def srgb(color: str) -> np.ndarray:
    return np.array([int(color[i:i + 2], 16) / 255.0 for i in (1, 3, 5)])


def linear(rgb: np.ndarray) -> np.ndarray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def seen(color: str, vision: str) -> np.ndarray:
    """Linear RGB of ``color`` as a viewer with ``vision`` sees it."""
    rgb = linear(srgb(color))
    return rgb if vision == "normal" else np.clip(MACHADO_2009[vision] @ rgb, 0.0, 1.0)


def lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear sRGB."""
    xyz = _SRGB_TO_XYZ @ linear_rgb / _SRGB_TO_XYZ.sum(axis=1)
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> float:
    """ΔE00 between two CIELAB colours (Sharma, Wu & Dalal 2005, equations 1-22)."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_mean ** 7 / (c_mean ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360 if c2p else 0.0
    dlp, dcp = l2 - l1, c2p - c1p
    dhp = 0.0
    if c1p * c2p:
        dhp = h2p - h1p
        dhp = dhp - 360 if dhp > 180 else dhp + 360 if dhp < -180 else dhp
    dhp_big = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dhp / 2))
    lp_mean, cp_mean = (l1 + l2) / 2, (c1p + c2p) / 2
    if c1p * c2p == 0:
        hp_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hp_mean = (h1p + h2p) / 2
    else:
        hp_mean = (h1p + h2p + 360) / 2 if h1p + h2p < 360 else (h1p + h2p - 360) / 2
    t = (1 - 0.17 * np.cos(np.radians(hp_mean - 30)) + 0.24 * np.cos(np.radians(2 * hp_mean))
         + 0.32 * np.cos(np.radians(3 * hp_mean + 6)) - 0.20 * np.cos(np.radians(4 * hp_mean - 63)))
    d_theta = 30 * np.exp(-(((hp_mean - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_mean ** 7 / (cp_mean ** 7 + 25.0 ** 7))
    s_l = 1 + 0.015 * (lp_mean - 50) ** 2 / np.sqrt(20 + (lp_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return float(np.sqrt((dlp / s_l) ** 2 + (dcp / s_c) ** 2 + (dhp_big / s_h) ** 2
                         + r_t * (dcp / s_c) * (dhp_big / s_h)))


def distance(first: str, second: str, vision: str) -> float:
    return ciede2000(lab(seen(first, vision)), lab(seen(second, vision)))


def meaning_colors() -> dict[str, str]:
    """Every colour that carries a meaning, named by what it means."""
    colors = {f"regime {name}": color for name, color in palette.REGIME_COLORS.items()}
    colors.update({f"critical {name}": color for name, color in palette.CRITICAL_COLORS.items()})
    colors["curves up"] = palette.POSITIVE_CURVATURE_COLOR
    colors["curves down"] = palette.NEGATIVE_CURVATURE_COLOR
    return colors


@pytest.mark.parametrize("pair, expected", [
    # Sharma, Wu & Dalal (2005), Table 1: pairs 1, 7, 17 and 34 (hue wrap, grey, large difference).
    (((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485)), 2.0425),
    (((50.0, 0.0, 0.0), (50.0, -1.0, 2.0)), 2.3669),
    (((50.0, 2.5, 0.0), (73.0, 25.0, -18.0)), 27.1492),
    (((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514)), 0.9082),
])
def test_the_colour_difference_formula_matches_published_values(pair, expected):
    assert ciede2000(np.array(pair[0]), np.array(pair[1])) == pytest.approx(expected, abs=1e-4)


def test_the_simulation_keeps_white_and_turns_red_and_green_alike_for_deuteranopes():
    for vision in MACHADO_2009:
        np.testing.assert_allclose(seen("#ffffff", vision), 1.0, atol=1e-3)
    # The confusion the simulation must reproduce: pure red and a green of its lightness.
    assert distance("#d55e00", "#5d8a00", "deuteranopia") < 0.4 * distance("#d55e00", "#5d8a00", "normal")


@pytest.mark.parametrize("vision", VISIONS)
def test_ball_colours_stay_apart(vision):
    for first, second in itertools.combinations(palette.BALL_COLORS, 2):
        assert distance(first, second, vision) >= APART, (vision, first, second)


@pytest.mark.parametrize("vision", VISIONS)
def test_no_ball_wears_a_colour_that_means_something(vision):
    meanings = meaning_colors()
    for ball in palette.BALL_COLORS:
        for meaning, color in meanings.items():
            assert distance(ball, color, vision) >= APART, (vision, ball, meaning)


@pytest.mark.parametrize("vision", VISIONS)
def test_meanings_stay_apart_and_the_saddle_cue_survives(vision):
    distinct = set(meaning_colors().values())
    for first, second in itertools.combinations(sorted(distinct), 2):
        assert distance(first, second, vision) >= APART, (vision, first, second)
    cue = (palette.POSITIVE_CURVATURE_COLOR, palette.NEGATIVE_CURVATURE_COLOR, palette.CRITICAL_COLORS["saddle"])
    for first, second in itertools.combinations(cue, 2):
        assert distance(first, second, vision) >= FAR_APART, (vision, first, second)


def test_minima_maxima_and_curvature_share_their_colours():
    assert palette.CRITICAL_COLORS["minimum"] == palette.REGIME_COLORS["minimum"] == palette.POSITIVE_CURVATURE_COLOR
    assert palette.CRITICAL_COLORS["maximum"] == palette.REGIME_COLORS["maximum"] == palette.NEGATIVE_CURVATURE_COLOR
    assert palette.CRITICAL_COLORS["saddle"] == palette.REGIME_COLORS["saddle"]


def test_every_ball_colour_comes_from_the_one_palette():
    assert palette.BALL_COLORS is PALETTE
    assert [palette.ball_color(i) for i in range(len(PALETTE) + 1)] == [*PALETTE, PALETTE[0]]
    for name, scene in PRESET_SCENES.items():
        for ball in scene.balls:
            assert ball.color in PALETTE, (name, ball.name, ball.color)
    read = scene_from_json('{"version": 1, "formula": "x^2", "balls": [{"optimizer": "gd", "start": [1, 0]},'
                           ' {"optimizer": "adam", "start": [0, 1]}]}')
    assert [ball.color for ball in read.balls] == list(PALETTE[:2])


def test_the_app_gives_a_new_ball_the_next_free_palette_colour(qtbot):
    controller = SceneController(Scene(formula="x^2 + y^2"))
    for index in range(3):
        controller.add_ball(start=(0.5 * index, 1.0))
    assert [ball.color for ball in controller.balls] == list(PALETTE[:3])


def test_curving_down_is_dashed_on_the_map_and_hatched_in_the_eigenvalue_plot(qtbot):
    controller = SceneController(Scene(formula="x^2 - y^2"))
    view = ContourMapView(controller)
    qtbot.addWidget(view)
    assert view.eigen_negative.shaft_pen().style() != Qt.PenStyle.SolidLine
    assert view.eigen_negative.shaft_pen().dashPattern()
    assert view.eigen_positive.shaft_pen().style() == Qt.PenStyle.SolidLine
    legend = view.legend._samples
    assert legend["eigen-"].opts["pen"].style() != Qt.PenStyle.SolidLine
    assert legend["eigen+"].opts["pen"].style() == Qt.PenStyle.SolidLine
    panel = EigenvaluePanel(controller)
    qtbot.addWidget(panel)
    assert panel.negative_hatch.hatch.style() == Qt.BrushStyle.BDiagPattern


def test_a_selected_balls_swatch_keeps_the_balls_colour(qtbot):
    # Qt tints a selected row's icon towards the highlight colour: vermillion read as brown.
    from PyQt6.QtGui import QIcon

    from gui.editors.ball_list import BallListEditor
    from gui.panels.readout_panel import BALL, ReadoutPanel
    from physics.balls import BallSpec

    balls = tuple(BallSpec(f"ball {i}", color, "gd", (("lr", 0.05),), (1.0, 0.5 * i))
                  for i, color in enumerate(PALETTE))
    controller = SceneController(Scene(formula="x^2 + y^2", balls=balls))
    editor = BallListEditor(controller)
    readout = ReadoutPanel(controller)
    for widget in (editor, readout):
        qtbot.addWidget(widget)
        widget.show()
    controller.step_once()
    qtbot.waitUntil(lambda: len(readout.model.balls()) == len(balls), timeout=5000)
    for index, color in enumerate(PALETTE):
        controller.select(index)
        row = 2 * readout.model.row_of_ball(index)   # each ball has a row of numbers and one of its badge
        icons = {"ball list": editor.list.item(index).icon(),
                 "read-outs": readout.model.item(row, BALL).data(Qt.ItemDataRole.DecorationRole)}
        for where, icon in icons.items():
            assert isinstance(icon, QIcon), where
            for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):
                image = icon.pixmap(16, mode=mode).toImage()
                centre = image.pixelColor(image.width() // 2, image.height() // 2)
                assert centre.name() == color, (where, mode, centre.name(), color)
