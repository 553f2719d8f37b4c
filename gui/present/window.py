"""Presentation mode: a full-screen window of only the views and panels a scene asks for.

:class:`PresentationWindow` is a second top-level window on the same SceneController as the main
window (its views and panels are built from the same classes, as the export's stage builds
them): what one window does, the other shows. No menus, toolbar, status bar, docks or editors;
from top to bottom:

    header band:   title            f(x, y) = ... (typeset)                     step 1,200
    caption:       the lesson scene's story (only while a lesson is open)
    stage:         the views of scene.view.layout ("2d", "3d", "both") side by side and, in a
                   column right of them, one or two panels (the lesson scene's ``panels``, else
                   DEFAULT_PANELS; one on a 720-pixel projector)
    badges:        ● 1 · name  [regime]  optimiser · lr ...      ● 2 · ...

On a screen under LOW_SCREEN pixels (a 1280 x 720 projector) the map must stay the largest thing:
smaller bands, a "both" scene's map alone (the cheat sheet says why), the story at the top of the
panel column instead of a band, the map's legend beside a squarish map, the ball markers capped at
MARKER_SHARE of the map's side, the badges in one row when their names and regimes fit.

Everything is driven by keys (gui.present.keys.PRESENT_KEYS, also shown by ``?``). The text is
PRESENT_SCALE times the window's (axes, labels, markers and trails too); Ctrl + / Ctrl - multiply
that by ZOOM_STEP live, Ctrl 0 goes back. The light theme is the default (T toggles).

:func:`toggle_presentation` (F5, View > Present) enters, or leaves when presenting; the window
fills the screen :func:`gui.present.screens.projector_screen` picks: the projector when there are
two screens, else the main window's own screen; the main window is then hidden while covered (a
hidden window does no painting) and shown again on leaving.
"""

from __future__ import annotations

import os

from PyQt6.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QResizeEvent, QShowEvent
from PyQt6.QtWidgets import QBoxLayout, QHBoxLayout, QVBoxLayout, QWidget

from gui.export.annotations import THEMES, BallLine, optimizer_words
from gui.present.bands import BADGE_WORDS, BadgeBand, CaptionLabel, HeaderBand
from gui.present.hints import CheatSheet, KeyHints
from gui.present.keys import OVERLAY_KEYS, PRESENT_KEYS
from gui.present.scaling import scale_text
from gui.present.screens import projector_screen
from gui.present.share_box import ShareBox
from gui.present.theme import PRESENT_THEMES, RecolouredLink, recolour_labels, stand_in, theme_stage
from gui.screen_text import on_screen
from gui.views.markers import ball_shape
from gui.window.docks import PANELS
from physics.overlays import OVERLAY_NAMES

#: Size of the views' and panels' text, markers and trails against the main window's.
PRESENT_SCALE = 2.0
#: The bands (header, caption, badges) are painted at the export's 720p sizes times this and the zoom
#: (BAND_SCALE_LOW on a low screen: there the map needs the height).
BAND_SCALE = 1.6
BAND_SCALE_LOW = 1.25
#: Below this many pixels of screen height (a 1280 x 720 projector) the stage is laid out for height:
#: no 3D view beside the map (a scene of both shows the map), the lesson's story in the column right of
#: the map above the panel instead of a band across, the map's legend in one row.
LOW_SCREEN = 800
#: On a low screen the map's legend goes beside a map at most this much wider than tall (under a wider one).
LEGEND_BESIDE_ASPECT = 1.5
LEGEND_BESIDE_SCALE = 1.1
#: The ball markers' diameter (the selected one's) is at most this share of the map's shorter side.
MARKER_SHARE = 0.1
#: Ctrl + / Ctrl - multiply or divide the zoom by this, within ZOOM_RANGE.
ZOOM_STEP = 1.25
ZOOM_RANGE = (0.4, 3.0)
#: Panels shown when no lesson says which (names of gui.window.docks.PANELS).
DEFAULT_PANELS: tuple[str, ...] = ("loss", "eigenvalue")
#: The most panels a scene shows (a lesson scene may ask for more: the first ones are kept); on a
#: screen lower than TWO_PANEL_HEIGHT pixels (a 1280 x 720 projector) only the first.
MAX_PANELS = 2
TWO_PANEL_HEIGHT = 900
#: The panels' share of the stage's width, in a column right of the views (beside one view, two).
PANEL_SHARE = 0.4
PANEL_SHARE_TWO_VIEWS = 0.3
#: On a low screen the map is limited by its width too (its legend beside it): the column is narrower.
PANEL_SHARE_LOW = 0.36
#: The note the cheat sheet carries when a low screen left the scene's 3D view out.
NO_3D_NOTE = (f"On a screen under {LOW_SCREEN} pixels tall the 3D view is left out, so that the map is large; "
              "a taller screen shows both.")

_PANELS = {panel.name: panel for panel in PANELS}


class PresentationWindow(QWidget):
    """The clean full-screen view of ``main_window``'s scene (module docstring).

    Attributes:
        map_view, view3d: the views on the stage now (None when the layout has none or no OpenGL).
        panels: {PANELS name: widget} on the stage now.
        header, caption, badges, cheat_sheet, key_hints: the bands and overlays.
        theme: the theme's name ("light" or "dark"); zoom: the Ctrl + / Ctrl - factor (1 at entry).

    Signals:
        left(): presentation mode was left (the window closes and is deleted after).
    """

    left = pyqtSignal()

    def __init__(self, main_window: QWidget):
        super().__init__(None, Qt.WindowType.Window)
        self.main = main_window
        self.controller = main_window.controller
        self.setObjectName("downhillPresentation")
        self.setWindowTitle("Downhill — presenting")
        self.theme = PRESENT_THEMES[0]
        self.zoom = 1.0
        self.map_view = None
        self.view3d = None
        self.panels: dict[str, QWidget] = {}
        self.stage: QWidget | None = None
        self._stage_key: tuple = ()
        self._preset_name = ""
        self._covered = False  # the main window is hidden under the presentation (one screen)
        self._screen_height = main_window.screen().geometry().height()
        self.dropped_3d = False  # a low screen left the scene's 3D view out (the cheat sheet says so)
        self.explainer = None  # gui.explain's ExplainerController of the map, when there is one

        theme = THEMES[self.theme]
        self.header = HeaderBand(theme)
        self.caption = CaptionLabel(theme)
        self.badges = BadgeBand(theme, self.ball_lines, self.ball_shapes)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.outer.setSpacing(0)
        self.outer.addWidget(self.header)
        self.outer.addWidget(self.caption)
        self.outer.addWidget(self.badges)
        self.cheat_sheet = CheatSheet(self)
        self.key_hints = KeyHints(self, self._hint_bottom)
        self.key_actions = self._make_actions()

        controller = self.controller
        controller.sceneChanged.connect(self._on_scene_changed)
        controller.surfaceChanged.connect(self._show_header)
        controller.ballsChanged.connect(self._on_balls_changed)
        controller.stepped.connect(self._on_stepped)
        main_window.installEventFilter(self)  # its closing closes this window too (eventFilter)
        self.player = getattr(main_window, "lesson_player", None)
        if self.player is not None:
            self.player.changed.connect(self._on_lesson_changed)
        self._build_stage()
        self._restyle()
        self._show_header()
        self._show_caption()

    # -- scale and theme -----------------------------------------------------------------------
    @property
    def scale(self) -> float:
        """The views' and panels' size against the main window's (PRESENT_SCALE x zoom)."""
        return PRESENT_SCALE * self.zoom

    @property
    def low(self) -> bool:
        """The screen is lower than LOW_SCREEN pixels (a 720-pixel projector): the stage is laid out for height."""
        return self._screen_height < LOW_SCREEN

    def use_screen_height(self, height: int) -> None:
        """Lay the window out for a screen ``height`` pixels tall (enter() does it for the screen it fills)."""
        if height != self._screen_height:
            self._screen_height = height
            self._build_stage()
            self._restyle()

    @property
    def legend_scale(self) -> float | None:
        """The map legend's scale: the map's default, but the window's own size on a low screen (a
        720-pixel projector), where a legend one column wide took half the map's height; beside the map
        (legend_beside) it has the room for LEGEND_BESIDE_SCALE."""
        if self.legend_beside():
            return LEGEND_BESIDE_SCALE * self.zoom
        return self.zoom if self._screen_height < TWO_PANEL_HEIGHT else None

    @property
    def label_scale_3d(self) -> float:
        """The 3D view's axis labels: 0.7 of the scale (at least the window's), as the legends: the 3D view
        has the smaller share of the width, and its labels at the full scale ran into each other."""
        return max(1.0, 0.7 * self.scale)

    def _label_colour(self) -> str | None:
        """The panels' axis labels' colour: the light theme's text colour (they are made for the dark)."""
        return THEMES[self.theme].foreground if self.theme != "dark" else None

    @property
    def band_scale(self) -> float:
        return (BAND_SCALE_LOW if self.low else BAND_SCALE) * self.zoom

    def marker_scale(self) -> float:
        """The ball markers' scale: the window's scale, but the selected ball's diameter at most MARKER_SHARE of the
        map's shorter side (pixels), so that on a small map the balls do not cover it."""
        if self.map_view is None:
            return self.scale
        box = self.map_view.view_box.sceneBoundingRect()
        side = min(box.width(), box.height())
        if side < 100:  # not laid out yet: the widget's own size, less its axes
            side = min(self.map_view.width(), self.map_view.height()) * 0.8
        from gui.views.contour_map import SELECTED_BALL_SIZE

        return max(1.0, min(self.scale, MARKER_SHARE * side / SELECTED_BALL_SIZE))

    def legend_beside(self) -> bool:
        """Whether the map's legend goes right of the map: on a low screen, for a domain at most LEGEND_BESIDE_ASPECT
        times as wide as tall (the map is then limited by the height and has width to spare)."""
        if not self.low:
            return False
        domain = self.controller.surface.domain
        return (domain.xmax - domain.xmin) <= LEGEND_BESIDE_ASPECT * (domain.ymax - domain.ymin)

    def _fit_markers(self) -> None:
        if self.map_view is not None and abs(self.marker_scale() - self.map_view.marker_scale) > 0.02:
            self.map_view.set_presentation_scale(self.scale, self.legend_scale, self.marker_scale())

    def set_zoom(self, zoom: float) -> None:
        """Scale everything live: text, axes, markers, trails, badges, caption (1: as entered)."""
        self.zoom = min(ZOOM_RANGE[1], max(ZOOM_RANGE[0], zoom))
        self._restyle()

    def set_theme(self, name: str) -> None:
        """Switch to a theme of PRESENT_THEMES: the stage is built again in it."""
        if name == self.theme:
            return
        self.theme = name
        self._build_stage(force=True)
        self._restyle()

    def toggle_theme(self) -> None:
        self.set_theme(PRESENT_THEMES[(PRESENT_THEMES.index(self.theme) + 1) % len(PRESENT_THEMES)])

    def _restyle(self) -> None:
        theme = THEMES[self.theme]
        colours = self.palette()
        colours.setColor(self.backgroundRole(), Qt.GlobalColor.white if self.theme == "light" else Qt.GlobalColor.black)
        self.setPalette(colours)
        self.setAutoFillBackground(True)
        self.setStyleSheet(f"QWidget#downhillPresentation {{ background: {theme.background}; }}")
        self.badges.words = 0 if self.low else BADGE_WORDS  # a low screen: one row of badges before their words
        for band in (self.header, self.badges):
            band.theme = theme
            band.set_scale(self.band_scale)
        self.caption.set_theme(theme)
        self.caption.set_scale(self.scale)
        if self.map_view is not None:
            self.map_view.set_presentation_scale(self.scale, self.legend_scale, self.marker_scale())
            self.map_view.set_legend_beside(self.legend_beside())
        if self.explainer is not None:
            self.explainer.set_scale(self.scale)   # its card, arrows and words as large as the rest
        if self.view3d is not None:
            self.view3d.set_presentation_scale(self.label_scale_3d)
        self.cheat_sheet.set_note(NO_3D_NOTE if self.dropped_3d else "")
        for widget in self.panels.values():
            scale_text(widget, self.scale, self._label_colour())
        self.cheat_sheet.restyle(theme, self.scale)
        self.key_hints.restyle(theme, self.scale)

    def _hint_bottom(self) -> int:
        """Where the key hints' bottom goes: the bottom of the map's plot (over its x axis: what a hall misses
        least for a few seconds), else just above the badges."""
        bottom = self.badges.y() if self.badges.height() else self.height()
        if self.map_view is not None and self.map_view.isVisible():
            box = self.map_view.plot_item.getAxis("bottom").sceneBoundingRect()
            below = self.map_view.plot_widget.mapTo(self, self.map_view.plot_widget.mapFromScene(box.bottomLeft()))
            if 0 < below.y() <= bottom:
                return below.y()
        return bottom

    # -- the stage -----------------------------------------------------------------------------
    def wanted_panels(self) -> tuple[str, ...]:
        """The panels of the open lesson scene (known names only), else DEFAULT_PANELS; at most MAX_PANELS
        (one on a low screen)."""
        current = getattr(self.player, "current", None) if self.player is not None else None
        names = tuple(name for name in getattr(current, "panels", ()) if name in _PANELS) if current else ()
        most = MAX_PANELS if self._screen_height >= TWO_PANEL_HEIGHT else 1
        return (names or DEFAULT_PANELS)[:most]

    def _build_stage(self, force: bool = False) -> None:
        """Build the views and panels the scene asks for (again only if they or the theme changed).

        Views the new stage shows too are kept (moved over): a theme switch builds only the panels.
        """
        layout = self.controller.view.layout
        key = (layout, self.wanted_panels(), self.theme, self.low)
        if key == self._stage_key and not force:
            self._apply_overlays()
            return
        self._stage_key = key
        # On a low screen a scene of both views shows the map alone (the cheat sheet says so): beside the 3D
        # view it was a third of the screen's height.
        self.dropped_3d = layout == "both" and self.low and _gl_ok()
        wants_3d = (layout == "3d" or (layout == "both" and not self.low)) and _gl_ok()
        wants_map = layout in ("both", "2d") or (layout == "3d" and not wants_3d)
        view3d = self.view3d if wants_3d else None
        map_view = self.map_view if wants_map else None
        for kept in (view3d, map_view):
            if kept is not None:
                kept.setParent(None)  # out of the old stage, which goes
        if map_view is None:
            self._detach_explainer()
        self.caption.setParent(self)  # out of the old stage's column (or of the bands), placed again below
        self.outer.removeWidget(self.caption)
        if self.stage is not None:
            self.outer.removeWidget(self.stage)
            self.stage.hide()
            self.stage.deleteLater()
        views = QHBoxLayout()
        views.setSpacing(6)
        if wants_3d and view3d is None:
            from gui.views.landscape3d import Landscape3DView

            view3d = Landscape3DView(self.controller)
            view3d.set_presentation_scale(self.label_scale_3d)
        if wants_map and map_view is None:
            from gui.views.contour_map import ContourMapView

            map_view = ContourMapView(self.controller)
            map_view.startDragged.connect(self.main._on_start_dragged)
            map_view.set_presentation_scale(self.scale, self.legend_scale)
            map_view.set_ball_shapes(True)
            map_view.set_legend_beside(self.legend_beside())
            map_view.installEventFilter(self)  # its resizing fits the markers to its size
            self.explainer = _attach_explainer(self, map_view, self.controller)
            self.explainer.set_scale(self.scale)
        self.view3d, self.map_view = view3d, map_view
        # The map is where the balls, trails and arrows are: it gets the larger share beside the 3D view.
        for view, share in ((view3d, 2), (map_view, 3)):
            if view is not None:
                views.addWidget(view, share)
        link = RecolouredLink(self.controller, self.theme)
        self.panels = {name: _PANELS[name].widget(link) for name in self.wanted_panels()}
        two_views = views.count() > 1
        # A column right of the views: a map (square, mostly) is as tall as the stage that way.
        row = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        if self.low:  # the story above the panel, beside the map: the map keeps the stage's height
            row.addWidget(self.caption, 0)
        for widget in self.panels.values():
            row.addWidget(widget, 1)
        views.setContentsMargins(0, 0, 0, 0)
        share = PANEL_SHARE_TWO_VIEWS if two_views else PANEL_SHARE_LOW if self.low else PANEL_SHARE
        stage = self.stage = ShareBox(views, row if self.panels else None, share, vertical=False)
        stage.setObjectName("presentStage")
        if not self.low:
            self.outer.insertWidget(1, self.caption)
        self.outer.insertWidget(self.outer.indexOf(self.badges), stage, 1)
        self._show_caption()
        theme_stage(stage, THEMES[self.theme])
        self._apply_overlays()
        for widget in self.panels.values():
            scale_text(widget, self.scale, self._label_colour())
        if self.isVisible():
            self.cheat_sheet.raise_()
            self.key_hints.raise_()

    def _detach_explainer(self) -> None:
        """Take the explainer of a map about to go off this window (one E key per window)."""
        explainer, self.explainer = self.explainer, None
        if explainer is None:
            return
        explainer.detach()   # closed; its keys, card, map items and signals gone

    def _apply_overlays(self) -> None:
        if self.map_view is None:
            return
        view = self.controller.view
        for name in OVERLAY_NAMES:
            if self.map_view.overlay(name) != view.overlay(name):  # each switch redraws the map's legend
                self.map_view.set_overlay(name, view.overlay(name))

    # -- what the bands show -------------------------------------------------------------------
    def ball_lines(self) -> list[BallLine]:
        """Each visible ball's badge: its number (the 1-9 key) and name, optimiser in words, regime now."""
        controller = self.controller
        lines = []
        for index, ball in enumerate(controller.balls):
            if not ball.visible:
                continue
            try:
                regime = controller.state(index).regime if controller.step_index > 0 else ""
            except (IndexError, KeyError):
                regime = ""
            lines.append(BallLine(stand_in(ball.color, self.theme), f"{index + 1} · {ball.name}",
                                  optimizer_words(ball), regime))
        return lines

    def ball_shapes(self) -> list[str]:
        """Each visible ball's marker shape on the map (gui.views.markers.ball_shape), in ball_lines' order."""
        return [ball_shape(index) for index, ball in enumerate(self.controller.balls) if ball.visible]

    def _show_header(self, *_args) -> None:
        surface = self.controller.surface
        current = self.player.current if self.player is not None and self.player.lesson is not None else None
        title = current.title if current is not None else self.controller.scene.title
        self.header.show_scene(on_screen(title), surface.latex, " ".join(surface.text.split()))
        self.header.show_step(self.controller.step_index)

    def _show_caption(self) -> None:
        current = self.player.current if self.player is not None and self.player.lesson is not None else None
        story = on_screen(current.story) if current is not None else ""
        self.caption.setText(story)
        self.caption.setVisible(bool(story))

    def _on_stepped(self) -> None:
        self.header.show_step(self.controller.step_index)
        self.badges.refresh()

    def _on_balls_changed(self) -> None:
        self.badges.refresh()
        # The panels refill their legend strips in the dark colours (bound: dropped if this window goes first).
        QTimer.singleShot(0, self._recolour_labels)

    def _recolour_labels(self) -> None:
        if self.stage is not None:
            recolour_labels(self.stage, THEMES[self.theme])

    def _on_scene_changed(self, _scene: object) -> None:
        # After the main window has applied the scene's view settings (it does so on the next turn).
        QTimer.singleShot(0, self._take_scene)

    def _take_scene(self) -> None:
        self._build_stage()
        self._show_header()
        self._show_caption()
        self.badges.refresh()
        if self.map_view is not None:
            self.map_view.set_legend_beside(self.legend_beside())  # the domain's shape may have changed

    def _on_lesson_changed(self) -> None:
        self._show_header()
        self._show_caption()
        self._build_stage()

    # -- commands ------------------------------------------------------------------------------
    def _make_actions(self) -> dict[str, QAction]:
        commands = {
            "play_pause": self.controller.toggle_play,
            "step": self.controller.step_once,
            "reset": self.controller.reset,
            "next_scene": lambda: self.move_scene(1),
            "previous_scene": lambda: self.move_scene(-1),
            "faster": self.controller.faster,
            "slower": self.controller.slower,
            "bigger": lambda: self.set_zoom(self.zoom * ZOOM_STEP),
            "smaller": lambda: self.set_zoom(self.zoom / ZOOM_STEP),
            "normal_size": lambda: self.set_zoom(1.0),
            "theme": self.toggle_theme,
            "cheat_sheet": self.cheat_sheet.toggle,
            "leave": self.escape,
        }
        for number in range(1, 10):
            commands[f"select_{number}"] = lambda n=number: self.select_ball(n - 1)
        for name in OVERLAY_KEYS:
            commands[f"overlay_{name}"] = lambda n=name: self.toggle_overlay(n)
        actions = {}
        for row in PRESENT_KEYS:
            action = QAction(row.label, self)
            action.setShortcuts([QKeySequence(key) for key in row.keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, c=commands[row.action]: c())
            self.addAction(action)
            actions[row.action] = action
        return actions

    def select_ball(self, index: int) -> None:
        if 0 <= index < len(self.controller.balls):
            self.controller.select(index)

    def toggle_overlay(self, name: str) -> None:
        """Show or hide a map overlay; the main window (and so the scene) takes the change too."""
        shown = not self.controller.view.overlay(name)
        setter = getattr(self.main, "set_overlay", None)
        if setter is not None:
            setter(name, shown)
        if self.map_view is not None:
            self.map_view.set_overlay(name, shown)

    def move_scene(self, delta: int) -> None:
        """The lesson's next (delta 1) or previous (-1) scene when a lesson is open, else the preset scenes in order."""
        player = self.player
        if player is not None and player.lesson is not None:
            player.next() if delta > 0 else player.previous()
            return
        from physics.preset_scenes import PRESET_SCENES

        names = list(PRESET_SCENES)
        current = self._preset_name if self._preset_name in PRESET_SCENES else next(
            (name for name, scene in PRESET_SCENES.items() if scene.title == self.controller.scene.title), "")
        index = names.index(current) + delta if current else (0 if delta > 0 else len(names) - 1)
        self._preset_name = names[index % len(names)]
        self.main.open_preset_scene(self._preset_name)

    def escape(self) -> None:
        """Esc: close the cheat sheet if it is open, else leave presentation mode."""
        if self.cheat_sheet.isVisible():
            self.cheat_sheet.hide()
        else:
            self.close()

    # -- entering and leaving ------------------------------------------------------------------
    def enter(self) -> None:
        """Fill the projector's screen (gui.present.screens), hide the covered main window's views, show the hints."""
        screens = QGuiApplication.screens()
        frame = self.main.frameGeometry()
        rects = [(s.geometry().x(), s.geometry().y(), s.geometry().width(), s.geometry().height()) for s in screens]
        screen = screens[projector_screen(rects, (frame.x(), frame.y(), frame.width(), frame.height()))]
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        if screen.geometry().height() != self._screen_height:  # the projector is not the laptop
            self._screen_height = screen.geometry().height()
            self._build_stage()
        self._covered = len(screens) == 1 and self.main.isVisible()
        self.showFullScreen()
        self.activateWindow()
        self.raise_()
        if self._covered:
            # Covered whole: hidden, its views and panels stop painting (they repainted every frame
            # under the presentation, doubling what a frame costs).
            self.main.hide()
        settings = getattr(self.main, "settings", None)
        if settings is not None and not settings.presentation_hints_seen():
            settings.set_presentation_hints_seen()
            QTimer.singleShot(300, self.key_hints.fade_in)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """The main window closing (on the laptop, two screens) takes the presentation with it; a
        close it refused (Cancel on unsaved changes) leaves it visible, and this window open."""
        if watched is self.main and event.type() == QEvent.Type.Close:
            QTimer.singleShot(0, self._close_if_main_closed)
        elif watched is self.map_view and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._fit_markers)  # after the map has laid its plot out
        return False

    def _close_if_main_closed(self) -> None:
        if not self.isVisible():
            return
        if self._covered:
            # Hidden under this window, it was closed by the program (a quit, a signal), not by hand:
            # leave it closed.
            if getattr(self.main, "_close_accepted", False):
                self._covered = False
                self.close()
        elif not self.main.isVisible():
            self.close()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.setFocus(Qt.FocusReason.ActiveWindowFocusReason)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        for overlay in (self.cheat_sheet, self.key_hints):
            if overlay.isVisible():
                overlay.place()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._covered:
            self._covered = False
            self.main.show()
        for signal, slot in ((self.controller.sceneChanged, self._on_scene_changed),
                             (self.controller.surfaceChanged, self._show_header),
                             (self.controller.ballsChanged, self._on_balls_changed),
                             (self.controller.stepped, self._on_stepped)):
            signal.disconnect(slot)
        if self.player is not None:
            self.player.changed.disconnect(self._on_lesson_changed)
        self.main.removeEventFilter(self)
        super().closeEvent(event)
        if getattr(self.main, "presentation", None) is self:
            self.main.presentation = None
        self.main.activateWindow()
        self.left.emit()
        self.deleteLater()


def toggle_presentation(main_window: QWidget) -> PresentationWindow | None:
    """Enter presentation mode, or leave it when presenting (F5, View > Present). Returns the window, or None."""
    current = getattr(main_window, "presentation", None)
    if current is not None:
        current.close()
        return None
    window = PresentationWindow(main_window)
    main_window.presentation = window
    window.enter()
    return window


def _gl_ok() -> bool:
    from gui.views import gl_status

    if os.environ.get("DOWNHILL_NO_3D", "").strip() not in ("", "0"):
        return False
    return gl_status()[0]


def _attach_explainer(window: QWidget, contour_map: QWidget, controller: object):
    """The step-by-step explainer (gui.explain: E, and Right / Left while it is open) on the presentation's map."""
    from gui.explain import attach_explainer

    return attach_explainer(window, contour_map, controller)

