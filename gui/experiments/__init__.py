"""Experiments in the window: the background runner, the basin layer on the map, the experiment docks."""
