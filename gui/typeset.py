"""Typesetting of a surface's formula, gradient and Hessian, off the UI thread.

A :class:`~surfaces.surface.Surface` carries LaTeX for f, grad f and H. Downhill has no TeX
install: matplotlib's mathtext renders the LaTeX to an alpha mask, which becomes a coloured
``QImage``. mathtext knows no ``\\begin{pmatrix}``, so :func:`split_matrix` cuts SymPy's pmatrix
LaTeX into its entries, each entry is typeset on its own, and the editor paints the brackets
around the grid (``gui.editors.typeset_view``).

An entry is shown as plain text instead (``x^2 + 3*y``, elided by the view) when its LaTeX is
too long to read as an image (:data:`MAX_TYPESET_LATEX`) or mathtext cannot parse it; nothing
here raises on a LaTeX string.

Rendering costs 10–100 ms per expression, so :class:`Typesetter` runs it on its own one-thread
``QThreadPool`` and hands finished images back by signal; results are cached. mathtext's parser
(pyparsing's packrat cache) is not thread-safe, so every mathtext call in Downhill goes through
:data:`_MATHTEXT_LOCK`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import sympy
from PyQt6.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal
from PyQt6.QtGui import QColor, QImage

#: Longest LaTeX (characters) typeset as an image; longer entries are shown as plain text.
MAX_TYPESET_LATEX = 320
#: Longest plain-text fallback kept (characters); the view elides it further to fit.
MAX_PLAIN_TEXT = 2000
#: Font size (points) of typeset mathematics at 96 dpi, and the mathtext font family.
MATH_POINT_SIZE = 15.0
MATH_FONT_FAMILY = "dejavusans"  # sans-serif reads best projected; "cm" draws tiny \left( delimiters

_MATHTEXT_LOCK = threading.Lock()
_PARSER = None  # the one MathTextParser, made on first use under the lock


class TypesetItem(NamedTuple):
    """One thing to typeset: its LaTeX and the plain text shown if the LaTeX cannot be."""

    latex: str
    plain: str


class TypesetCell(NamedTuple):
    """The result for one item: an image (None if it fell back) and the plain text.

    Attributes:
        image: premultiplied RGBA image at ``scale`` device pixels per logical pixel, or None.
        plain: the plain-text form (always present: it is also the tooltip).
        depth: pixels of the image below the baseline (for aligning a row of cells).
    """

    image: QImage | None
    plain: str
    depth: float = 0.0


def split_matrix(latex: str) -> list[list[str]]:
    """Split a ``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` into rows of entry LaTeX.

    Separators inside braces or inside nested environments (a ``cases`` entry of a Piecewise)
    do not split. Text that is not a pmatrix comes back as a single entry.

    >>> split_matrix(r"\\begin{pmatrix}2 x&0\\\\0&2\\end{pmatrix}")
    [['2 x', '0'], ['0', '2']]
    """
    text = latex.strip()
    opening, closing = r"\begin{pmatrix}", r"\end{pmatrix}"
    if not (text.startswith(opening) and text.endswith(closing)):
        return [[text]]
    body = text[len(opening):len(text) - len(closing)]
    rows: list[list[str]] = []
    cells: list[str] = []
    start = 0
    braces = 0
    environments = 0
    index = 0
    while index < len(body):
        if body.startswith((r"\begin{", r"\end{"), index):
            environments += 1 if body.startswith(r"\begin{", index) else -1
            closing_brace = body.find("}", index)
            index = len(body) if closing_brace < 0 else closing_brace + 1  # past the environment's name
            continue
        character = body[index]
        if character == "\\" and body.startswith("\\\\", index) and braces == 0 and environments == 0:
            cells.append(body[start:index].strip())
            rows.append(cells)
            cells = []
            index += 2
            start = index
            continue
        if character == "\\":
            index += 2  # an escaped character such as \{ or \& is not structure
            continue
        if character == "{":
            braces += 1
        elif character == "}":
            braces -= 1
        elif character == "&" and braces == 0 and environments == 0:
            cells.append(body[start:index].strip())
            start = index + 1
        index += 1
    cells.append(body[start:].strip())
    rows.append(cells)
    return rows


def plain_text(expression: sympy.Expr) -> str:
    """A one-line readable form of an expression (``^`` for powers, as teachers type them)."""
    text = sympy.sstr(expression).replace("**", "^")
    if len(text) > MAX_PLAIN_TEXT:
        text = text[:MAX_PLAIN_TEXT - 1] + "…"
    return text


def render_math(latex: str, *, point_size: float = MATH_POINT_SIZE, scale: float = 1.0,
                color: str = "#000000") -> tuple[QImage, float] | None:
    """Typeset one LaTeX expression with mathtext; None if it is too long or cannot be parsed.

    Args:
        latex: the expression, without surrounding ``$``.
        point_size: font size in points at 96 logical dpi.
        scale: device pixels per logical pixel (the screen's devicePixelRatio).
        color: ink colour, ``#rrggbb``.

    Returns:
        (image, depth): the image carries ``devicePixelRatio = scale``; depth is the logical
        height below the baseline.
    """
    if not latex.strip() or len(latex) > MAX_TYPESET_LATEX:
        return None
    return _render_cached(readable_latex(latex), float(point_size), float(scale), color)


def readable_latex(latex: str) -> str:
    """SymPy's LaTeX adjusted for mathtext at a distance.

    mathtext sets ``\\frac`` in text style (numerator and denominator shrink to subscript size)
    and draws ``\\left| \\right|`` shorter than the letters; display-style fractions and plain
    bars read from the back of a lecture hall.
    """
    return (latex.replace(r"\frac{", r"\dfrac{").replace(r"\left|", "|").replace(r"\right|", "|"))


@lru_cache(maxsize=512)
def _render_cached(latex: str, point_size: float, scale: float, color: str) -> tuple[QImage, float] | None:
    global _PARSER
    # matplotlib is imported on first use, on the worker thread: it costs ~0.3 s.
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser

    properties = FontProperties(size=point_size, math_fontfamily=MATH_FONT_FAMILY)
    with _MATHTEXT_LOCK:
        if _PARSER is None:
            _PARSER = MathTextParser("agg")
        try:
            parsed = _PARSER.parse(f"${latex}$", dpi=96.0 * scale, prop=properties)
        except Exception:  # mathtext raises ValueError and pyparsing errors alike: fall back to text
            return None
    alpha = np.asarray(parsed.image, dtype=np.uint8)
    if alpha.ndim != 2 or alpha.size == 0:
        return None
    ink = QColor(color)
    height, width = alpha.shape
    pixels = np.empty((height, width, 4), dtype=np.uint8)
    # Premultiplied RGBA: each channel is the ink colour scaled by coverage.
    a = alpha.astype(np.uint16)
    pixels[..., 0] = (a * ink.red() // 255).astype(np.uint8)
    pixels[..., 1] = (a * ink.green() // 255).astype(np.uint8)
    pixels[..., 2] = (a * ink.blue() // 255).astype(np.uint8)
    pixels[..., 3] = alpha
    image = QImage(pixels.tobytes(), width, height, 4 * width, QImage.Format.Format_RGBA8888_Premultiplied).copy()
    image.setDevicePixelRatio(scale)
    return image, float(parsed.depth) / scale


def typeset(items: Sequence[TypesetItem], *, point_size: float = MATH_POINT_SIZE, scale: float = 1.0,
            color: str = "#000000") -> list[TypesetCell]:
    """Typeset every item (falling back to its plain text); safe on any thread."""
    cells = []
    for item in items:
        rendered = render_math(item.latex, point_size=point_size, scale=scale, color=color)
        if rendered is None:
            cells.append(TypesetCell(None, item.plain))
        else:
            cells.append(TypesetCell(rendered[0], item.plain, rendered[1]))
    return cells


class _Signals(QObject):
    done = pyqtSignal(int, object)


class _Job(QRunnable):
    def __init__(self, generation: int, make_groups: Callable[[], Sequence[Sequence[TypesetItem]]],
                 point_size: float, scale: float, color: str, signals: _Signals):
        super().__init__()
        self.generation = generation
        self.make_groups = make_groups
        self.point_size = point_size
        self.scale = scale
        self.color = color
        self.signals = signals

    def run(self) -> None:
        results = [typeset(group, point_size=self.point_size, scale=self.scale, color=self.color)
                   for group in self.make_groups()]
        try:
            self.signals.done.emit(self.generation, results)
        except RuntimeError:
            pass  # the view was closed (or the program is ending) while this ran: nobody to tell


class Typesetter(QObject):
    """Typesets groups of items on a background thread; only the newest request is delivered.

    Signals:
        finished(list[list[TypesetCell]]): one list of cells per group of the newest request.
    """

    finished = pyqtSignal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._generation = 0
        self.busy = False

    def request(self, groups: Sequence[Sequence[TypesetItem]] | Callable[[], Sequence[Sequence[TypesetItem]]], *,
                point_size: float = MATH_POINT_SIZE, scale: float = 1.0, color: str = "#000000") -> None:
        """Typeset ``groups`` (lists of items, or a function making them, called on the worker).

        An older request still running is dropped when it finishes.
        """
        make_groups = groups if callable(groups) else (lambda: groups)
        self._generation += 1
        self.busy = True
        self._pool.clear()  # queued, not yet started jobs are stale now
        self._pool.start(_Job(self._generation, make_groups, point_size, scale, color, self._signals))

    def wait(self, milliseconds: int = 10_000) -> bool:
        """Block until the background work is done (for tests and clean shutdown)."""
        return self._pool.waitForDone(milliseconds)

    def _on_done(self, generation: int, results: list[list[TypesetCell]]) -> None:
        if generation != self._generation:
            return
        self.busy = False
        self.finished.emit(results)


def surface_items(surface: object) -> tuple[list[TypesetItem], list[TypesetItem], list[TypesetItem]]:
    """The items of f, grad f (2 entries) and H (4 entries, row by row) of a Surface."""
    gradient_latex = [row[0] for row in split_matrix(surface.gradient_latex)]
    hessian_latex = [entry for row in split_matrix(surface.hessian_latex) for entry in row]
    gradient_plain = [plain_text(e) for e in surface.gradient]
    hessian_plain = [plain_text(e) for row in surface.hessian for e in row]
    if len(gradient_latex) != 2:
        gradient_latex = [""] * 2  # not the documented pmatrix: show the plain text
    if len(hessian_latex) != 4:
        hessian_latex = [""] * 4
    return ([TypesetItem(surface.latex, plain_text(surface.expression))],
            [TypesetItem(latex, plain) for latex, plain in zip(gradient_latex, gradient_plain, strict=True)],
            [TypesetItem(latex, plain) for latex, plain in zip(hessian_latex, hessian_plain, strict=True)])
