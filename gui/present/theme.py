"""Presentation mode's two themes, light (the default: dark themes wash out on projectors) and dark.

The colours are the export's (gui.export.annotations.THEMES), applied the export's way
(gui.export.render.apply_theme); "dark" is the app's own look, put back on the views kept across
a switch (the panels are built again: their balls' colours change, below).

Ball colours on the light theme. The palette (physics.balls.PALETTE) is Okabe & Ito's, made for
white paper, with white standing in for its black on the app's dark views. On a white plot a
white curve vanishes, so the light theme's panels and legend draw the white ball in Okabe-Ito's
own black (:data:`LIGHT_STAND_INS`), through :class:`RecolouredLink`, a read-only stand-in for
the controller that only changes the colour the balls report. The map keeps every colour as it
is: it is the viridis image either way, where white reads and black would not.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PyQt6.QtGui import QColor, QPalette, QPen
from PyQt6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QWidget

from gui.export.annotations import THEMES, Theme
from gui.export.render import apply_theme
from gui.panels import plot_style

#: The themes, in the order T cycles through them; the first is presentation mode's default.
PRESENT_THEMES: tuple[str, ...] = ("light", "dark")

#: On the light theme, the colour a ball colour is drawn in instead (white -> Okabe-Ito black).
LIGHT_STAND_INS: dict[str, str] = {"#ffffff": "#000000"}


def stand_in(color: str, theme: str) -> str:
    """The colour a ball of ``color`` ("#rrggbb") is drawn in off the map under ``theme``."""
    return LIGHT_STAND_INS.get(color.lower(), color) if theme == "light" else color


class RecolouredLink:
    """The controller as the panels see it under a theme: the same in everything but the balls' colours.

    Every attribute, signal and method is the controller's own (looked up on each use); ``balls``
    gives the balls with :func:`stand_in` colours, made once per ball tuple of the controller.
    """

    def __init__(self, controller: Any, theme: str):
        self._controller = controller
        self._theme = theme
        self._source: tuple = ()
        self._balls: tuple = ()

    @property
    def balls(self) -> tuple:
        source = tuple(self._controller.balls)
        if source is not self._source:
            self._source = source
            self._balls = tuple(ball if stand_in(ball.color, self._theme) == ball.color
                                else replace(ball, color=stand_in(ball.color, self._theme)) for ball in source)
        return self._balls

    def __getattr__(self, name: str) -> Any:
        return getattr(self._controller, name)


def theme_stage(root: QWidget, theme: Theme) -> None:
    """Colour the views and panels under ``root`` for ``theme``, either way.

    The export's apply_theme does the plots and the 3D view (for the light theme); what it changes
    is noted first (:func:`_remember_dark`), so that the dark theme puts it back on widgets kept
    across a switch (the views: building them again costs a good part of a second). The panels'
    legend strips (rich-text labels in the dark plot colours) are done here, again whenever they
    are refilled.
    """
    _remember_dark(root)
    if theme.name == "dark":
        _restore_dark(root)
        return
    apply_theme(root, theme)
    recolour_labels(root, theme)
    recolour_tables(root, theme)


def _views(root: QWidget) -> list:
    return [root, *root.findChildren(QWidget)]


def _remember_dark(root: QWidget) -> None:
    """Note, once per widget and item, the colours apply_theme changes (they are the dark theme's)."""
    import pyqtgraph as pg

    from gui.views.gl_widget import LabelledGLView

    for view in root.findChildren(pg.GraphicsView):
        if not hasattr(view, "_present_dark"):
            view._present_dark = QColor(view.backgroundBrush().color())
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem) and not hasattr(item, "_present_dark"):
                item._present_dark = (QPen(item.pen()), QPen(item.textPen()))
            elif isinstance(item, pg.LegendItem) and not hasattr(item, "_present_dark"):
                item._present_dark = item.opts.get("labelTextColor")
    for view in root.findChildren(LabelledGLView):
        if not hasattr(view, "_present_dark"):
            view._present_dark = (QColor.fromRgbF(*view.opts["bgcolor"]), QColor(view.labels._color))
    for widget in _views(root):
        for name in ("grid_item", "axes_item"):
            item = getattr(widget, name, None)
            if item is not None and hasattr(item, "setData") and not hasattr(item, "_present_dark"):
                item._present_dark = item.color


def _restore_dark(root: QWidget) -> None:
    """Put back what _remember_dark noted."""
    import pyqtgraph as pg

    from gui.views.gl_widget import LabelledGLView

    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(view._present_dark)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(item._present_dark[0])
                item.setTextPen(item._present_dark[1])
            elif isinstance(item, pg.LegendItem) and item._present_dark is not None:
                item.setLabelTextColor(item._present_dark)
                for _sample, label in item.items:
                    label.setText(label.text, color=item._present_dark)
    for view in root.findChildren(LabelledGLView):
        view.setBackgroundColor(view._present_dark[0])
        view.labels._color = QColor(view._present_dark[1])
    for widget in _views(root):
        for name in ("grid_item", "axes_item"):
            item = getattr(widget, name, None)
            if item is not None and hasattr(item, "_present_dark"):
                item.setData(color=item._present_dark)


def recolour_labels(root: QWidget, theme: Theme) -> None:
    """The panels' legend strips in ``theme``'s colours (their text is made with the dark foreground)."""
    if theme.name == "dark":
        return
    for label in root.findChildren(QLabel):
        sheet = label.styleSheet()
        if plot_style.BACKGROUND in sheet:
            label.setStyleSheet(sheet.replace(plot_style.BACKGROUND, theme.plot_background)
                                .replace(plot_style.FOREGROUND, theme.foreground))
        text = label.text()
        if plot_style.FOREGROUND in text:
            label.setText(text.replace(plot_style.FOREGROUND, theme.foreground))


#: The light theme's table colours: header row and selected row (the rest is the theme's own).
LIGHT_TABLE_HEADER = "#e4e6ea"
LIGHT_TABLE_SELECTED = "#c9d6ea"


def recolour_tables(root: QWidget, theme: Theme) -> None:
    """The panels' tables (the read-outs), coloured by palette for the dark look, in ``theme``'s colours.

    Only the light theme changes them: the panels are built again for a switch back to the dark.
    """
    if theme.name == "dark":
        return
    colours = {QPalette.ColorRole.Base: theme.plot_background, QPalette.ColorRole.Window: LIGHT_TABLE_HEADER,
               QPalette.ColorRole.Button: LIGHT_TABLE_HEADER, QPalette.ColorRole.Text: theme.foreground,
               QPalette.ColorRole.WindowText: theme.foreground, QPalette.ColorRole.ButtonText: theme.foreground,
               QPalette.ColorRole.Highlight: LIGHT_TABLE_SELECTED, QPalette.ColorRole.HighlightedText: theme.foreground}
    for view in root.findChildren(QAbstractItemView):
        if view.palette().color(QPalette.ColorRole.Base).name() != QColor(plot_style.BACKGROUND).name():
            continue  # not one of the panels' dark tables
        for widget in (view, *view.findChildren(QHeaderView)):
            palette = widget.palette()
            for role, colour in colours.items():
                palette.setColor(role, QColor(colour))
            widget.setPalette(palette)


def theme_named(name: str) -> Theme:
    return THEMES[name]
