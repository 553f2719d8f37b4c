"""gui.typeset: pmatrix splitting, mathtext rendering, fallbacks that never raise."""

from __future__ import annotations

import numpy as np
import sympy
from PyQt6.QtWidgets import QApplication

from gui.typeset import (
    MAX_TYPESET_LATEX,
    TypesetItem,
    Typesetter,
    plain_text,
    readable_latex,
    render_math,
    split_matrix,
    surface_items,
    typeset,
)
from surfaces.parsing import X, Y
from surfaces.surface import build_surface


def test_split_matrix_of_sympy_pmatrices():
    surface = build_surface("(1-x)^2 + 100(y-x^2)^2")
    hessian = [[sympy.latex(entry) for entry in row] for row in surface.hessian]
    assert split_matrix(surface.hessian_latex) == hessian
    assert split_matrix(surface.gradient_latex) == [[sympy.latex(entry)] for entry in surface.gradient]


def test_split_matrix_ignores_separators_inside_groups_and_environments():
    nested = r"\begin{cases} 1 & \text{for}\: x > 0 \\ 0 & \text{otherwise} \end{cases}"
    latex = r"\begin{pmatrix}" + nested + r"&{a \& b}\\x&y\end{pmatrix}"
    assert split_matrix(latex) == [[nested, r"{a \& b}"], ["x", "y"]]
    assert split_matrix("x^{2}") == [["x^{2}"]]


def test_render_math_gives_an_image_with_ink_in_the_colour_asked():
    rendered = render_math(r"\frac{\partial f}{\partial x} = 2 x", color="#ff0000", scale=2.0)
    assert rendered is not None
    image, depth = rendered
    assert image.devicePixelRatio() == 2.0
    assert image.width() > 40 and image.height() > 20
    assert depth > 0  # the fraction's denominator hangs below the baseline
    pixel = image.convertToFormat(image.Format.Format_ARGB32)
    colours = {pixel.pixelColor(x, y).name() for x in range(pixel.width()) for y in range(pixel.height())
               if pixel.pixelColor(x, y).alpha() == 255}
    assert colours == {"#ff0000"}


def test_render_math_refuses_what_it_cannot_typeset_without_raising():
    assert render_math(r"\begin{pmatrix}a\end{pmatrix}") is None  # mathtext has no environments
    assert render_math(r"\frac{1}{") is None
    assert render_math("") is None
    assert render_math("x + " * (MAX_TYPESET_LATEX // 4 + 1) + "x") is None  # too long to read as an image


def test_typeset_falls_back_to_plain_text():
    cells = typeset([TypesetItem(r"\begin{cases} x \end{cases}", "Piecewise((x, True))"),
                     TypesetItem("x^{2}", "x^2")])
    assert cells[0].image is None and cells[0].plain == "Piecewise((x, True))"
    assert cells[1].image is not None


def test_readable_latex():
    assert readable_latex(r"\frac{1}{x} + \left|{y}\right|") == r"\dfrac{1}{x} + |{y}|"


def test_plain_text_uses_carets_and_is_bounded():
    assert plain_text(X**2 * Y + 3) == "x^2*y + 3"
    huge = sum(sympy.sin(k * X + Y) for k in range(1, 160))
    assert len(plain_text(huge)) <= 2000


def test_surface_items_long_expressions_fall_back():
    # Ten nested exponentials: the derivatives are far too long to typeset.
    surface = build_surface("exp(sin(x*y) + cos(x - y)^3 + exp(x^2*y - y^3*x) * sin(exp(x*y)))")
    formula, gradient, hessian = surface_items(surface)
    cells = typeset([*formula, *gradient, *hessian])
    assert cells[0].image is not None
    assert any(cell.image is None for cell in cells[1:])
    assert all(cell.plain for cell in cells)


def test_typesetter_delivers_only_the_newest_request(qtbot):
    typesetter = Typesetter()
    results = []
    typesetter.finished.connect(results.append)
    typesetter.request([[TypesetItem("x", "x")]])
    typesetter.request([[TypesetItem("y^{2}", "y^2")], [TypesetItem("z", "z")]])
    qtbot.waitUntil(lambda: not typesetter.busy, timeout=10_000)
    typesetter.wait()
    QApplication.processEvents()  # every result the worker sent has arrived
    assert len(results) == 1
    assert [[cell.plain for cell in group] for group in results[0]] == [["y^2"], ["z"]]
    assert all(np.isfinite(cell.depth) for group in results[0] for cell in group)
