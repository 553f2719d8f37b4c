"""The window's export entries (File > Export clip..., File > Export figure..., View > Copy image).

The dialogs (gui.export.dialog) bring in PyAV and the renderer, 0.1 s of imports the app's
start-up should not pay for commands used now and then: they are imported at the first use.
"""

from __future__ import annotations

from typing import Any


def export_clip(window: Any) -> None:
    """File > Export clip...: the clip dialog on a copy of the live scene."""
    from gui.export.dialog import export_clip_dialog

    export_clip_dialog(window)


def export_figure(window: Any) -> None:
    """File > Export figure...: a still of the live scene at its step (SVG, PDF or PNG)."""
    from gui.export.dialog import export_figure_dialog

    export_figure_dialog(window)


def copy_views(window: Any) -> None:
    """View > Copy image: the views as shown, on the clipboard."""
    from gui.export.dialog import copy_image

    copy_image(window)
