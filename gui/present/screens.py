"""Which screen presentation mode fills: the projector, not the laptop that holds the main window.

Pure geometry (no Qt), so it is tested with made-up screens. A rectangle is ``(x, y, width,
height)`` in the desktop's virtual coordinates, as QScreen.geometry() gives it.
"""

from __future__ import annotations

from collections.abc import Sequence

Rect = tuple[int, int, int, int]


def overlap(a: Rect, b: Rect) -> int:
    """Area (pixels²) of the intersection of two rectangles, 0 when they do not meet."""
    width = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    height = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, width) * max(0, height)


def screen_of(screens: Sequence[Rect], window: Rect) -> int:
    """Index of the screen that holds most of ``window`` (0 when it is on none of them)."""
    areas = [overlap(screen, window) for screen in screens]
    return max(range(len(screens)), key=lambda i: (areas[i], -i)) if screens and max(areas) > 0 else 0


def projector_screen(screens: Sequence[Rect], window: Rect) -> int:
    """Index of the screen presentation mode goes full screen on.

    One screen: that one (the presentation covers the main window). Two or more: the largest
    screen (by pixels; the first of equals) among those that do not hold the main window, so the
    laptop keeps the editors and the lesson's notes while the projector shows the clean view.

    Raises:
        ValueError: no screens at all.
    """
    if not screens:
        raise ValueError("no screens to present on")
    if len(screens) == 1:
        return 0
    laptop = screen_of(screens, window)
    others = [i for i in range(len(screens)) if i != laptop]
    return max(others, key=lambda i: (screens[i][2] * screens[i][3], -i))
