"""Lessons in the window: the player that steps through a lesson's scenes (gui.lessons.player), and
the caption band, the presenter's notes dock, the menus and keys around it (gui.lessons.desk)."""
