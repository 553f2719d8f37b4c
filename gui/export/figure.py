"""Figures: one still of a scene for lecture notes and papers, as SVG, PDF (vector) or PNG.

The still is drawn by the clip renderer (gui.export.render) at step ``at_step``: the contour
map with its trails, critical points and legend (layout ``2d``), the plots (``panels``), or the
map beside the plots (``both``), with the same annotations as a clip. SVG and PDF get the
painter's drawing as vectors (QSvgGenerator, QPdfWriter): lines stay lines and words stay text
(the heat map and the typeset formula are images inside them); PNG is the pixels at the asked size.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PyQt6 import QtCore, QtGui

from gui.export.render import ClipRenderer, image_to_rgb

#: The figure formats by file extension.
FIGURE_FORMATS: dict[str, str] = {".svg": "SVG (vector)", ".pdf": "PDF (vector)", ".png": "PNG image"}


def write_figure(renderer: ClipRenderer, path: str | os.PathLike[str], at_step: int) -> Path:
    """Advance ``renderer`` to step ``at_step`` (its first frame is step 0) and write the still to ``path``.

    Written under a hidden temporary name beside ``path`` and renamed into place once whole.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    renderer.advance()  # the start
    remaining = max(0, int(at_step) - renderer.session.step_index)
    if remaining:
        renderer.session.advance(remaining)
        renderer.advance_events()
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part" + suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        if suffix == ".png":
            if not renderer.image().save(str(temporary), "PNG"):
                raise OSError(f"cannot write {target}")
        elif suffix == ".svg":
            _write_svg(renderer, temporary)
        else:
            _write_pdf(renderer, temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _write_svg(renderer: ClipRenderer, path: Path) -> None:
    from PyQt6.QtSvg import QSvgGenerator

    logical = renderer.logical
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(logical)
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), logical))
    generator.setTitle(renderer.title or "Downhill figure")
    generator.setDescription("Made by Downhill (python main.py figure)")
    _paint_on(generator, renderer)


def _write_pdf(renderer: ClipRenderer, path: Path) -> None:
    logical = renderer.logical
    writer = QtGui.QPdfWriter(str(path))
    writer.setTitle(renderer.title or "Downhill figure")
    writer.setCreator("Downhill")
    # One page the figure's own size: 96 logical pixels an inch, as the screen's.
    writer.setResolution(96)
    writer.setPageSize(QtGui.QPageSize(QtCore.QSizeF(logical.width() / 96, logical.height() / 96),
                                       QtGui.QPageSize.Unit.Inch))
    writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0))
    _paint_on(writer, renderer)


def _paint_on(device: QtGui.QPaintDevice, renderer: ClipRenderer) -> None:
    """The figure on ``device`` (an SVG generator, a PDF writer): the theme's backdrop, then the frame."""
    painter = QtGui.QPainter(device)
    try:
        painter.fillRect(QtCore.QRectF(0, 0, renderer.logical.width(), renderer.logical.height()),
                         QtGui.QColor(renderer.theme.background))
        renderer.paint(painter)
    finally:
        painter.end()


__all__ = ["FIGURE_FORMATS", "write_figure", "image_to_rgb"]
