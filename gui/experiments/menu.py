"""The window's Experiments menu, from a table: one row per experiment view.

:func:`attach_experiments(window)` adds the menu (before View) and wires each row's dock: its
entry shows the dock and starts the experiment (``panel.start()``); closing the dock leaves the
experiment as it is (its layer and the scene's record stay until "Turn off"). A row is
``MenuEntry(text, panel attribute, dock attribute, tip)``: the panel is a widget of
gui.window.docks.PANELS with ``start()``, ``stop()``, ``active`` and, for map layers,
``attach_map(map_view)``. Other experiments add a row here and a row to PANELS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PyQt6.QtWidgets import QMenu


@dataclass(frozen=True)
class MenuEntry:
    text: str
    panel: str
    dock: str
    tip: str = ""


#: The Experiments menu, in order.
ENTRIES: tuple[MenuEntry, ...] = (
    MenuEntry("&Basins of attraction", "basins_panel", "basins_dock",
              "colour every start of the map by where the selected ball's optimiser takes it"),
    MenuEntry("S&tability map", "stability_panel", "stability_dock",
              "colour a grid of lr x momentum (or beta1, beta2, noise) by where the selected ball's run ends"),
    MenuEntry("&Saddle escape", "escape_panel", "escape_dock",
              "how long noise takes to push the selected ball's optimiser off a saddle, against the theory"),
    MenuEntry("&High-dimensional picture", "highdim_panel", "highdim_dock",
              "why saddles matter: the fraction of minima against n and index against loss (random landscapes)"),
)


def attach_experiments(window: Any) -> QMenu:
    """Add the Experiments menu to ``window`` (a MainWindow) and connect its docks; returns the menu."""
    bar = window.menuBar()
    view = next((action for action in bar.actions() if action.text() == "&View"), None)
    menu = QMenu("E&xperiments", window)
    menu.setToolTipsVisible(True)
    if view is not None:
        bar.insertMenu(view, menu)
    else:
        bar.addMenu(menu)
    for entry in ENTRIES:
        panel = getattr(window, entry.panel, None)
        dock = getattr(window, entry.dock, None)
        if panel is None or dock is None:
            continue
        if hasattr(panel, "attach_map"):
            panel.attach_map(window.map_view)

        def show(panel: Any = panel, dock: Any = dock) -> None:
            dock.show()
            dock.raise_()
            panel.start()

        action = menu.addAction(entry.text)
        action.setToolTip(entry.tip)
        action.triggered.connect(lambda _checked=False, show=show: show())
        off = menu.addAction(f"Turn off {entry.text.replace('&', '').lower()}")
        off.triggered.connect(lambda _checked=False, panel=panel: panel.stop())
        panel.shown_by_scene = lambda dock=dock: (dock.show(), dock.raise_())
        if hasattr(panel, "restore_from"):  # the scene the window opened with may bring experiments
            panel.restore_from(window.controller.scene)
    return menu
