"""The explainer's drawing on one contour map: the parts of an update as arrows, lines and markers.

One :class:`ExplainerOverlay` per map (two windows attached to one controller each draw their own).
Its items are made once and added to the map's plot (never counting for its range); showing a part
is ``set_ends`` / ``setData`` on them (gui.views.arrows).

Two styles tell the two kinds of part apart, by line as well as colour:

- a *summand* (a term of the step) is a solid yellow arrow, drawn head to tail from the ball;
  the summands already walked through stay, faint, so the student sees the step being built;
  the last part draws the whole step, thicker, over all the summands;
- a *context* part (the true gradient, a momentum buffer, ...) is a dashed white arrow from its
  own origin.

Every arrow has its word at its head (gui.explain.words). Points (a line search's trials, Newton's
target) are labelled markers; eigen-directions are labelled lines through the ball, solid pale cyan
where the surface curves up and dashed violet where it curves down, as the map draws them.
Lengths follow gui.explain.geometry (one factor for the picture, a minimum for the part shown,
clipped to the view).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PyQt6 import QtCore, QtGui

from gui import palette
from gui.explain.geometry import (
    MIN_CURRENT_PIXELS,
    MIN_PIXELS,
    Drawn,
    chain_tails,
    clip_segment,
    draw_arrow,
    picture_factor,
    pixel_length,
    view_box_corners,
)
from gui.explain.words import arrow_word
from gui.screen_text import on_screen
from gui.views.arrows import ArrowLayer
from gui.views.map_mouse import PassiveScatter
from physics.explain.parts import Explanation, Part

#: Colour of the summands (a piece of the step: the map's colour of "the step").
SUMMAND_COLOR = palette.STEP_COLOR
#: Colour of the context parts (drawn dashed): the map's white of -grad f.
CONTEXT_COLOR = "#ffffff"
#: How strongly the summands already walked through are drawn (Qt opacity).
FAINT_OPACITY = 0.38
#: Half-length of an eigen-direction's line through the ball (pixels).
EIGEN_HALF_PIXELS = 120.0
#: A faint arrow shorter than this (pixels) is drawn without its word.
FAINT_LABEL_PIXELS = 40.0
#: Point size of the words at the arrows' heads.
LABEL_POINT_SIZE = 13
#: The map's own arrow overlays (physics.overlays names) and the ContourMapView items drawing them.
MAP_ARROWS = {"gradient": ("descent_arrows",), "step": ("step_arrows",), "velocity": ("velocity_arrows",),
              "eigenvectors": ("eigen_positive", "eigen_negative")}
#: Above the map's own overlays (20-24) and under the balls (30): an arrow starts at the ball.
Z_BASE = 25


@dataclass(frozen=True)
class Picture:
    """What the overlay drew for one part, for the card to say.

    Attributes:
        factor: the picture's factor (1: to scale).
        current: the part's own arrow as drawn (None when it has none).
        notes: sentences about the drawing ("drawn 50x longer: true length 2e-04", "clipped ...").
    """

    factor: float
    current: Drawn | None
    notes: tuple[str, ...] = ()


class ExplainerOverlay:
    """The explainer's items on ``contour_map`` (a gui.views.contour_map.ContourMapView)."""

    def __init__(self, contour_map) -> None:
        self.map = contour_map
        self.scale = 1.0
        self.layers: tuple[ArrowLayer, ...] = ()
        self._make_layers()
        plot = contour_map.plot_item
        self.points = PassiveScatter(size=18, pxMode=True, pen=pg.mkPen(palette.OUTLINE_COLOR, width=2.5),
                                     brush=pg.mkBrush("#ffffff"))
        self.points.setZValue(Z_BASE + 4)
        plot.addItem(self.points, ignoreBounds=True)
        # A swarm's explained particle, ringed: the arrows start there, inside the cloud.
        self.particle_ring = PassiveScatter(size=30, pxMode=True, symbol="o", brush=pg.mkBrush(None),
                                            pen=pg.mkPen("#ffffff", width=3.5))
        self.particle_ring.setZValue(Z_BASE + 4)
        plot.addItem(self.particle_ring, ignoreBounds=True)
        self._labels: list[pg.TextItem] = []
        self._labels_shown = 0
        self.hide()

    def _make_layers(self) -> None:
        """The arrow layers at the overlay's scale (made again when it changes: widths are fixed per layer)."""
        plot = self.map.plot_item
        for layer in self.layers:
            plot.removeItem(layer)
        k = self.scale
        self.faint_layer = ArrowLayer(SUMMAND_COLOR, width=4.5 * k, head=18 * k)
        self.faint_layer.setOpacity(FAINT_OPACITY)
        self.current_layer = ArrowLayer(SUMMAND_COLOR, width=6.0 * k, head=24 * k)
        self.step_layer = ArrowLayer(SUMMAND_COLOR, width=8.0 * k, head=28 * k)
        self.context_layer = ArrowLayer(CONTEXT_COLOR, width=5.0 * k, head=22 * k, dash=True)
        self.eigen_up = ArrowLayer(palette.POSITIVE_CURVATURE_COLOR, width=4.0 * k, head=0)
        self.eigen_down = ArrowLayer(palette.NEGATIVE_CURVATURE_COLOR, width=4.0 * k, head=0, dash=True)
        self.layers = (self.eigen_up, self.eigen_down, self.faint_layer, self.context_layer,
                       self.current_layer, self.step_layer)
        for z, layer in enumerate(self.layers):
            layer.setZValue(Z_BASE + z * 0.5)
            layer.hide()
            plot.addItem(layer, ignoreBounds=True)

    def set_scale(self, scale: float) -> None:
        """Draw lines, heads, markers and words ``scale`` times their usual size (a presentation's scale);
        the shortest lengths drawn grow with it."""
        scale = max(0.5, min(4.0, float(scale)))
        if scale == self.scale:
            return
        self.scale = scale
        self._make_layers()
        self.points.setSize(18 * scale)
        self.points.setPen(pg.mkPen(palette.OUTLINE_COLOR, width=2.5 * scale))
        self.particle_ring.setSize(30 * scale)
        self.particle_ring.setPen(pg.mkPen("#ffffff", width=3.5 * scale))
        for item in self._labels:
            item.setFont(self._label_font())

    def _label_font(self) -> QtGui.QFont:
        font = QtGui.QFont()
        font.setPointSizeF(LABEL_POINT_SIZE * self.scale)
        font.setBold(True)
        return font

    # -- public --------------------------------------------------------------------------------
    def hide(self) -> None:
        for layer in self.layers:
            layer.clear()
            layer.hide()
        self.points.setData([], [])
        self.points.hide()
        self.particle_ring.setData([], [])
        self.particle_ring.hide()
        self._set_labels([])

    def hide_map_arrows(self, hide: bool) -> None:
        """Hide the map's own arrows at the balls (gradient, step, velocity, eigenvectors) while the
        explainer draws on the ball; ``False`` shows them again as the View menu has them."""
        for name, attributes in MAP_ARROWS.items():
            try:
                shown = self.map.overlay(name)
            except (KeyError, AttributeError):
                continue
            if hide:
                for attribute in attributes:
                    item = getattr(self.map, attribute, None)
                    if item is not None:
                        item.setVisible(False)
            else:
                self.map.set_overlay(name, shown)

    def remove(self) -> None:
        """Take every item off the map (the explainer is detached)."""
        plot = self.map.plot_item
        for item in (*self.layers, self.points, self.particle_ring, *self._labels):
            plot.removeItem(item)
        self._labels, self._labels_shown = [], 0

    @property
    def labels(self) -> list[str]:
        """The words shown on the map now (arrow heads, markers, lines), in drawing order."""
        return [item.toPlainText() for item in self._labels[: self._labels_shown]]

    @property
    def label_items(self) -> list[pg.TextItem]:
        return self._labels[: self._labels_shown]

    def show_part(self, explanation: Explanation, index: int,
                  eigen_signs: tuple[float, float] | None = None, particle_word: str = "") -> Picture:
        """Draw part ``index`` of ``explanation`` (see the module docstring); return what was drawn.

        ``eigen_signs``: the sign of the curvature along each column of a part's ``directions``
        (None: not known, drawn as curving up). ``particle_word``: for a swarm, the word of the ring
        drawn round the explained particle ("" for a ball, which has its own marker).
        """
        parts = explanation.parts
        part = parts[index]
        last = index == len(parts) - 1
        pixel = self._pixel()
        view = view_box_corners(*self.map.view_box.viewRange())
        position = np.asarray(explanation.position, dtype=float)
        where = [i for i, p in enumerate(parts) if p.summand and p.vector is not None]   # indices in parts
        summands = [parts[i] for i in where]
        # Room: the chain from the ball should stay within the view (a third of its smaller side).
        room = min((view[1] - view[0]) / np.asarray(pixel)) / 3
        factor = picture_factor([p.vector for p in summands] + [np.asarray(explanation.step, float)], pixel,
                                MIN_PIXELS * self.scale, room)
        least = MIN_CURRENT_PIXELS * self.scale
        tails = chain_tails(position, [p.vector for p in summands], factor)
        # The summands walked through before this part (all of them on the last part).
        before = [i for i, at in enumerate(where) if last or at < index]
        labels: list[tuple[str, np.ndarray, np.ndarray, float]] = []   # word, tail, tip, opacity
        keys = [p.key for p in parts]

        def word(p: Part) -> str:
            return arrow_word(p.key, p.title, shared=keys.count(p.key) > 1)

        notes: list[str] = []

        faint = []
        for i in before:
            drawn = draw_arrow(tails[i], summands[i].vector, factor, pixel, view)
            if drawn.visible:
                faint.append((*drawn.tail, *drawn.tip))
                # On the last part the step's own word is enough; a short faint arrow needs none.
                if not last and pixel_length(drawn.tip - drawn.tail, pixel) >= FAINT_LABEL_PIXELS * self.scale:
                    labels.append((word(summands[i]), drawn.tail, drawn.tip, 0.6))
        self._set(self.faint_layer, faint)

        current: Drawn | None = None
        for layer in (self.current_layer, self.step_layer, self.context_layer):
            self._set(layer, [])
        if part.vector is not None:
            if part.summand:
                i = where.index(index)
                current = draw_arrow(tails[i], part.vector, factor, pixel, view, least)
                layer = self.current_layer
            elif last or part.key == "step":
                current = draw_arrow(position, part.vector, factor, pixel, view, least)
                layer = self.step_layer
            else:
                current = draw_arrow(np.asarray(part.origin, float), part.vector, factor, pixel, view,
                                     least, shrink=True)
                layer = self.context_layer
            if current.visible:
                self._set(layer, [(*current.tail, *current.tip)])
                labels.append((word(part), current.tail, current.tip, 1.0))
            notes += _length_notes(current)
        elif last:
            # A last part without an arrow of its own still shows the whole step.
            current = draw_arrow(position, np.asarray(explanation.step, float), factor, pixel, view,
                                 least)
            if current.visible:
                self._set(self.step_layer, [(*current.tail, *current.tip)])
                labels.append(("step", current.tail, current.tip, 1.0))
            notes += _length_notes(current)
        if factor > 1 and (current is None or not current.visible):
            notes.insert(0, f"The arrows are drawn {factor:,.0f}x longer than the true steps.")

        self._draw_points(part, view, pixel, labels, position, factor)
        if particle_word:
            self.particle_ring.setData([{"pos": tuple(position)}])
            self.particle_ring.show()
            labels.append((particle_word, position, position, 1.0))
        else:
            self.particle_ring.setData([], [])
            self.particle_ring.hide()
        self._draw_directions(part, eigen_signs, pixel, view, labels)
        self._label(labels, pixel, view)
        return Picture(factor, current, tuple(notes))

    # -- pieces --------------------------------------------------------------------------------
    def _pixel(self) -> tuple[float, float]:
        dx, dy = self.map.view_box.viewPixelSize()
        return (abs(dx) or 1e-9, abs(dy) or 1e-9)

    @staticmethod
    def _set(layer: ArrowLayer, ends: list) -> None:
        layer.set_ends(np.array(ends, dtype=float).reshape(-1, 4))
        layer.setVisible(bool(ends))

    def _draw_points(self, part: Part, view, pixel, labels: list, position: np.ndarray, factor: float) -> None:
        """The part's points as labelled markers; in a magnified picture they are magnified about the
        ball like the arrows (a line search's trials stay on its direction's arrow)."""
        if part.points is None or not len(part.points):
            self.points.setData([], [])
            self.points.hide()
            return
        lo, hi = view
        margin = 14 * np.asarray(pixel)
        spots = []
        for row, true_point in enumerate(np.asarray(part.points, dtype=float).reshape(-1, 2)):
            if not np.isfinite(true_point).all():
                continue
            point = position + factor * (true_point - position)
            word = _short(part.point_labels[row] if row < len(part.point_labels) else f"point {row + 1}")
            inside = bool((point >= lo).all() and (point <= hi).all())
            shown = np.clip(point, lo + margin, hi - margin) if not inside else point
            if not inside:
                word = f"{word} (off the view, at ({true_point[0]:.3g}, {true_point[1]:.3g}))"
            spots.append({"pos": tuple(shown), "symbol": _point_symbol(word)})
            labels.append((word, shown, shown, 1.0))
        self.points.setData(spots)
        self.points.setVisible(bool(spots))

    def _draw_directions(self, part: Part, signs, pixel, view, labels: list) -> None:
        up, down = [], []
        if part.directions is not None:
            directions = np.asarray(part.directions, dtype=float).reshape(2, -1)
            origin = np.asarray(part.origin, dtype=float)
            lo, hi = view
            for column in range(directions.shape[1]):
                unit = directions[:, column]
                norm = np.hypot(unit[0] / pixel[0], unit[1] / pixel[1])
                if not (np.isfinite(norm) and norm > 0):
                    continue
                half = unit * (EIGEN_HALF_PIXELS * self.scale / norm)
                tail, tip, _clipped, visible = clip_segment(origin - half, origin + half, lo, hi)
                if not visible:
                    continue
                negative = signs is not None and column < len(signs) and signs[column] < 0
                (down if negative else up).append((*tail, *tip))
                word = part.direction_labels[column] if column < len(part.direction_labels) else "eigen"
                # The word goes at the end with more room beyond it (towards the middle of the view).
                middle = (lo + hi) / 2
                if np.hypot(*((tail - middle) / pixel)) < np.hypot(*((tip - middle) / pixel)):
                    tail, tip = tip, tail
                labels.append((word, tail, tip, 1.0))
        self._set(self.eigen_up, up)
        self._set(self.eigen_down, down)

    def _label(self, labels: list, pixel, view) -> None:
        self._set_labels(labels)
        lo, hi = view
        size = np.asarray(pixel, dtype=float)
        for item, (word, tail, tip, opacity) in zip(self._labels, labels, strict=False):
            direction = np.asarray(tip, float) - np.asarray(tail, float)
            screen = direction / size
            length = float(np.hypot(*screen))
            unit = screen / length if length > 0 else np.array([1.0, 0.0])
            # Beyond the tip, on the side the arrow points to (data y grows upwards on the map) ...
            anchor_x = 0.5 if abs(unit[0]) < 0.35 else (0.0 if unit[0] > 0 else 1.0)
            anchor_y = 0.5 if abs(unit[1]) < 0.35 else (1.0 if unit[1] > 0 else 0.0)
            wide = QtGui.QFontMetrics(item.textItem.font()).horizontalAdvance(word) + 16
            if length == 0:
                # A marker: the word beside it, on the side with room (never on the marker).
                right_room, left_room = (hi[0] - tip[0]) / size[0], (tip[0] - lo[0]) / size[0]
                if right_room >= wide + 16 or left_room < wide + 16 <= right_room:
                    unit, anchor_x, anchor_y = np.array([1.0, 0.0]), 0.0, 0.5
                elif left_room >= wide + 16:
                    unit, anchor_x, anchor_y = np.array([-1.0, 0.0]), 1.0, 0.5
                else:   # no room either side: under it
                    unit, anchor_x, anchor_y = np.array([0.0, -1.0]), 0.5, 0.0
                offset = unit * 16.0
            else:
                offset = unit * 10.0
            where = np.asarray(tip, float) + offset * size
            # ... but inside the view: near an edge the word turns back towards the middle.
            near_lo, near_hi = (where - lo) / size, (hi - where) / size
            if length > 0 and near_hi[0] < wide * (1.0 - anchor_x):
                anchor_x = 1.0 if near_lo[0] >= wide else 0.5
            elif length > 0 and near_lo[0] < wide * anchor_x:
                anchor_x = 0.0 if near_hi[0] >= wide else 0.5
            if near_hi[1] < 40:
                anchor_y = 0.0
            elif near_lo[1] < 40:
                anchor_y = 1.0
            where = np.clip(where, lo + 4 * size, hi - 4 * size)
            item.setAnchor((anchor_x, anchor_y))
            item.setPos(float(where[0]), float(where[1]))
            item.setOpacity(opacity)

    def _set_labels(self, labels: list) -> None:
        labels = [(on_screen(word), *rest) for word, *rest in labels]
        plot = self.map.plot_item
        while len(self._labels) < len(labels):
            item = pg.TextItem("", color="#ffffff", fill=pg.mkBrush(10, 10, 14, 200),
                               border=pg.mkPen("#000000"))
            item.setFont(self._label_font())
            item.setZValue(Z_BASE + 16)
            plot.addItem(item, ignoreBounds=True)
            self._labels.append(item)
        for index, item in enumerate(self._labels):
            if index < len(labels):
                item.setText(labels[index][0])
            item.setVisible(index < len(labels))
        self._labels_shown = len(labels)

    def widget_points(self) -> list[QtCore.QPoint]:
        """Where the drawing is, in pixels of the map's plot widget (the card keeps away from them)."""
        points = []
        for layer in self.layers:
            if layer.isVisible():
                for x, y in np.concatenate((layer.tails, layer.tips)).tolist():
                    points.append(self.map.data_to_widget(x, y))
        return points


def _length_notes(drawn: Drawn) -> list[str]:
    notes = []
    if drawn.factor > 1:
        notes.append(f"Drawn {drawn.factor:,.0f}x longer than it is: true length {drawn.true_length:.3g}.")
    if drawn.clipped:
        notes.append(f"Cut at the edge of the view: true length {drawn.true_length:.3g}.")
    if not drawn.visible:
        notes.append("Outside the view: zoom out (or reset the view) to see it.")
    return notes


def _short(word: str, limit: int = 30) -> str:
    """A marker's word kept short on the map (the card has the whole sentence): cut before a
    parenthesis, then with an ellipsis."""
    if len(word) > limit and " (" in word:
        word = word.split(" (", 1)[0]
    if len(word) > limit and ":" in word:
        word = word.split(":", 1)[0]
    return word if len(word) <= limit else word[: limit - 1].rstrip() + "…"


def _point_symbol(word: str) -> str:
    """A marker's shape from its label: a cross for a rejected trial, a star for the accepted one or a
    target, a diamond otherwise (shape, not only colour, tells them apart)."""
    lowered = word.lower()
    if "reject" in lowered:
        return "x"
    if "accept" in lowered or "target" in lowered:
        return "star"
    return "d"
