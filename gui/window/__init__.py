"""The parts of the main window, one job each; gui.main_window.MainWindow composes them.

- :mod:`gui.window.docks`: the table of panels (PANELS) and the docks built from it, their
  default sizes, the low screen's layout.
- :mod:`gui.window.centre`: the 3D view and the contour map side by side (or the note that
  stands for a 3D view OpenGL cannot give).
- :mod:`gui.window.menus`: the menu bar, its overlay entries from physics.overlays and its
  panel entries from PANELS.
- :mod:`gui.window.view_sync`: overlays, layout and camera between the window and the scene.
- :mod:`gui.window.scene_files`: open, save, and the unsaved-changes question.
- :mod:`gui.window.recovery`: the autosave offered back after a crash or an unsaved exit.
- :mod:`gui.window.screenshot`: the window as an image, OpenGL pixels included.
- :mod:`gui.window.help_dialogs`: the keyboard table and About.

Each part is a mixin class of MainWindow's methods for its job; it reads the attributes its
docstring names from the window it is mixed into.
"""
