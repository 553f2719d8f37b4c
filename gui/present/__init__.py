"""Presentation mode (issue 15, section 1): the scene full screen on the projector, driven by keys.

- :mod:`gui.present.window`: PresentationWindow and toggle_presentation (F5, View > Present).
- :mod:`gui.present.keys`: the one table of its keys (cheat sheet, Help, README).
- :mod:`gui.present.screens`: which screen it fills (pure geometry).
- :mod:`gui.present.bands`: header, lesson caption and ball badges (the export's annotations, scaled).
- :mod:`gui.present.hints`: the cheat sheet and the first-use key hints.
- :mod:`gui.present.theme`: light and dark themes, the white ball's stand-in on white.
- :mod:`gui.present.scaling`: the panels' text scaled live.
- :mod:`gui.present.share_box`: the stage's split between views and panels.
"""
