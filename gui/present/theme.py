"""Presentation mode's two themes, light (the default: dark themes wash out on projectors) and dark.

The colours are the export's (gui.export.annotations.THEMES), applied the export's way
(gui.export.render.apply_theme) to freshly built views and panels: switching theme rebuilds the
stage, so "dark" is simply the app's own look and nothing has to be undone.

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

from PyQt6.QtWidgets import QLabel, QWidget

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
    """Colour freshly built views and panels under ``root`` for ``theme`` (nothing for the dark one).

    The export's apply_theme does the plots and the 3D view; the panels' legend strips (rich-text
    labels in the dark plot colours) are done here, again whenever they are refilled.
    """
    if theme.name == "dark":
        return
    apply_theme(root, theme)
    recolour_labels(root, theme)


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


def theme_named(name: str) -> Theme:
    return THEMES[name]
