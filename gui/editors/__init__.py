"""Editors: the widgets that command the SceneController (formula, presets, balls)."""
