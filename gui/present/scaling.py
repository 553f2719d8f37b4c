"""Scaling the panels' text live (Ctrl + / Ctrl - in presentation mode).

The panels are built at the window's sizes (gui.panels.plot_style). :func:`scale_text` makes
every axis' tick font and label under a widget ``factor`` times those sizes, and its labels (the
legend strips) LABEL_SHARE of that; each item's own size is read once, the first time it is scaled, so scaling again
is always relative to the window's look, never compounded. The map has its own hook
(ContourMapView.set_presentation_scale), which also scales its markers and trails.
"""

from __future__ import annotations

import re

import pyqtgraph as pg
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import QLabel, QWidget

_POINTS = re.compile(r"([0-9.]+)pt")


def _base(item: object, key: str, value: object) -> object:
    """The value ``item`` had under ``key`` before it was first scaled (kept on the item)."""
    bases = item.__dict__.setdefault("_present_bases", {})
    return bases.setdefault(key, value)


def _scaled_points(style: str, factor: float) -> str:
    return _POINTS.sub(lambda m: f"{float(m.group(1)) * factor:g}pt", style)


def _hook_labels(axis: pg.AxisItem) -> None:
    """Make every later ``axis.setLabel`` (a panel relabels its axes as it resizes, in its own sizes
    and colour) come out at the axis' factor and in its colour."""
    if "_present_factor" in axis.__dict__:
        return
    axis._present_factor, axis._present_colour = 1.0, None
    original = axis.setLabel

    def set_label(*args, **style):
        if "font-size" in style:
            style["font-size"] = _scaled_points(style["font-size"], axis._present_factor)
        if axis._present_colour is not None:
            style["color"] = axis._present_colour
        return original(*args, **style)

    axis.setLabel = set_label  # this item only (an instance attribute): the window's axes are not touched


def scale_axis(axis: pg.AxisItem, factor: float, colour: str | None = None) -> None:
    """Tick font, label size and a fixed width or height of one axis, ``factor`` times its own; the
    label in ``colour`` (None: its own)."""
    tick = _base(axis, "tick", QFont(axis.style.get("tickFont") or QFont()))
    font = QFont(tick)
    if tick.pointSizeF() > 0:
        font.setPointSizeF(tick.pointSizeF() * factor)
    axis.setTickFont(font)
    style = _base(axis, "label", dict(axis.labelStyle))
    _hook_labels(axis)
    axis._present_factor, axis._present_colour = factor, colour
    if "font-size" in style:
        axis.setLabel(axis.labelText, axis.labelUnits, **style)
    width = _base(axis, "width", axis.fixedWidth)
    if width is not None:
        axis.setWidth(round(width * factor))
    height = _base(axis, "height", axis.fixedHeight)
    if height is not None and height > 10:  # a hidden step axis (6 px) stays a hairline
        axis.setHeight(round(height * factor))


#: Labels (the panels' legend strips) grow this fraction of the factor, never below their own size:
#: at twice the size a strip of four balls took half a panel's height from its plot.
LABEL_SHARE = 0.7


def scale_label(label: QLabel, factor: float) -> None:
    factor = max(1.0, LABEL_SHARE * factor)
    base = _base(label, "font", QFont(label.font()))
    font = QFont(base)
    if base.pointSizeF() > 0:
        font.setPointSizeF(base.pointSizeF() * factor)
    label.setFont(font)


def scale_text(root: QWidget, factor: float, colour: str | None = None) -> None:
    """Every axis and label under ``root`` at ``factor`` times its own size (1: as built), the axes'
    labels in ``colour`` (None: their own)."""
    for view in root.findChildren(pg.GraphicsView):
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                scale_axis(item, factor, colour)
    for label in root.findChildren(QLabel):
        scale_label(label, factor)
