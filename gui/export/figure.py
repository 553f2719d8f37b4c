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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6 import QtCore, QtGui

if TYPE_CHECKING:  # (only named: importing render would tie the experiment docks, which write figures, into a cycle)
    from gui.export.render import ClipRenderer

#: The figure formats by file extension.
FIGURE_FORMATS: dict[str, str] = {".svg": "SVG (vector)", ".pdf": "PDF (vector)", ".png": "PNG image"}


def write_figure(renderer: ClipRenderer, path: str | os.PathLike[str], at_step: int) -> Path:
    """Advance ``renderer`` to step ``at_step`` (its first frame is step 0) and write the still to ``path``.

    Written under a hidden temporary name beside ``path`` and renamed into place once whole.
    """
    target = Path(path)
    renderer.advance()  # the start
    remaining = max(0, int(at_step) - renderer.session.step_index)
    if remaining:
        renderer.session.advance(remaining)
        renderer.advance_events()
    return write_painted_figure(renderer.paint, renderer.logical, target, title=renderer.title,
                                background=renderer.theme.background, image=renderer.image)


def write_painted_figure(paint: Callable[[QtGui.QPainter], None], size: QtCore.QSize, path: str | os.PathLike[str],
                         *, title: str = "", background: str = "#ffffff", scale: float = 1.0,
                         image: Callable[[], QtGui.QImage] | None = None,
                         description: str = "Made by Downhill (python main.py figure)") -> Path:
    """Write a figure that ``paint(painter)`` draws in logical coordinates over ``size`` (logical pixels).

    By ``path``'s extension: ``.svg`` and ``.pdf`` get the painter's drawing as vectors (lines stay
    lines, words stay text; a PDF page the figure's size at 96 logical pixels an inch), ``.png`` the
    pixels: ``image()`` when given, else ``size`` x ``scale`` pixels painted over ``background``.
    Written under a hidden temporary name beside ``path`` and renamed into place once whole (atomic).
    """
    target = Path(path)
    suffix = target.suffix.lower()
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part" + suffix, dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        if suffix == ".png":
            picture = image() if image is not None else _painted_image(paint, size, background, scale)
            if not picture.save(str(temporary), "PNG"):
                raise OSError(f"cannot write {target}")
        elif suffix == ".svg":
            _write_svg(paint, size, background, title, description, temporary)
        else:
            _write_pdf(paint, size, background, title, temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _painted_image(paint: Callable[[QtGui.QPainter], None], size: QtCore.QSize, background: str,
                   scale: float) -> QtGui.QImage:
    image = QtGui.QImage(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)),
                         QtGui.QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(scale)
    image.fill(QtGui.QColor(background))
    painter = QtGui.QPainter(image)
    try:
        paint(painter)
    finally:
        painter.end()
    return image


def _write_svg(paint: Callable[[QtGui.QPainter], None], size: QtCore.QSize, background: str, title: str,
               description: str, path: Path) -> None:
    from PyQt6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QtCore.QRect(QtCore.QPoint(0, 0), size))
    generator.setTitle(title or "Downhill figure")
    generator.setDescription(description)
    _paint_on(generator, paint, size, background)


def _write_pdf(paint: Callable[[QtGui.QPainter], None], size: QtCore.QSize, background: str, title: str,
               path: Path) -> None:
    writer = QtGui.QPdfWriter(str(path))
    writer.setTitle(title or "Downhill figure")
    writer.setCreator("Downhill")
    # One page the figure's own size: 96 logical pixels an inch, as the screen's.
    writer.setResolution(96)
    writer.setPageSize(QtGui.QPageSize(QtCore.QSizeF(size.width() / 96, size.height() / 96),
                                       QtGui.QPageSize.Unit.Inch))
    writer.setPageMargins(QtCore.QMarginsF(0, 0, 0, 0))
    _paint_on(writer, paint, size, background)


def _paint_on(device: QtGui.QPaintDevice, paint: Callable[[QtGui.QPainter], None], size: QtCore.QSize,
              background: str) -> None:
    """The figure on ``device`` (an SVG generator, a PDF writer): the backdrop, then the drawing."""
    painter = QtGui.QPainter(device)
    try:
        painter.fillRect(QtCore.QRectF(0, 0, size.width(), size.height()), QtGui.QColor(background))
        paint(painter)
    finally:
        painter.end()


__all__ = ["FIGURE_FORMATS", "write_figure", "write_painted_figure"]
