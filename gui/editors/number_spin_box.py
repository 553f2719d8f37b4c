"""A spin box for the numbers of optimisation: 1e-8 as readily as 0.9 or 250.

``QDoubleSpinBox`` shows a fixed number of decimals, so ``eps = 1e-8`` reads as ``0.00`` and
cannot be typed. :class:`NumberSpinBox` shows the shortest form (``%g``: ``1e-8``, ``0.999``,
``250``), accepts scientific notation, refuses what is out of range, and for log-scale values
(learning rates, eps, noise) steps along a 1-1.5-2-3-5-7 ladder per decade instead of adding a
constant: one arrow press goes 0.01 -> 0.015 -> 0.02 -> 0.03 -> 0.05.
"""

from __future__ import annotations

import math
import re

from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import QDoubleSpinBox, QWidget

#: Mantissas of the log-scale ladder, one decade.
LADDER = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
#: Largest magnitude a spin box offers where the metadata says "no upper limit".
UNBOUNDED = 1e9

_PARTIAL_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d*)?([eE][+-]?)?")


def format_number(value: float, digits: int = 6) -> str:
    """Shortest readable form: ``1e-8``, ``0.001``, ``0.999``, ``2.5``, ``100000``."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def ladder_step(value: float, steps: int, smallest: float) -> float:
    """``value`` moved ``steps`` rungs along the log ladder (0 steps up to ``smallest``, and back)."""
    for _ in range(abs(steps)):
        if steps > 0:
            if value <= 0:
                value = smallest
                continue
            exponent = math.floor(math.log10(value))
            candidates = [m * 10.0 ** e for e in (exponent, exponent + 1) for m in LADDER]
            value = min(c for c in candidates if c > value * (1 + 1e-9))
        else:
            if value <= smallest * (1 + 1e-9):
                value = 0.0
                continue
            exponent = math.floor(math.log10(value))
            candidates = [m * 10.0 ** e for e in (exponent - 1, exponent) for m in LADDER]
            value = max(c for c in candidates if c < value * (1 - 1e-9))
    return value


class NumberSpinBox(QDoubleSpinBox):
    """A float spin box that shows ``%g``, takes scientific notation and can step logarithmically.

    Args:
        minimum, maximum: the accepted range (infinite bounds become ±:data:`UNBOUNDED`).
        log_scale: step along the ladder (for positive quantities spanning decades).
        step: the linear step (when not log-scale); a hundredth of the range by default.
        smallest: for log-scale boxes that allow 0, the first value above it.
    """

    def __init__(self, minimum: float, maximum: float, *, log_scale: bool = False, step: float | None = None,
                 smallest: float | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.log_scale = log_scale
        minimum = minimum if math.isfinite(minimum) else -UNBOUNDED
        maximum = maximum if math.isfinite(maximum) else UNBOUNDED
        # Qt rounds the value to this many decimals (1e-20 must survive); what is *shown* is
        # textFromValue's business.
        self.setDecimals(40)
        self.setRange(minimum, maximum)
        self.smallest = smallest if smallest is not None else (minimum if minimum > 0 else 1e-3)
        if step is None:
            span = min(maximum - minimum, 1e3)
            step = 10.0 ** round(math.log10(span / 100)) if span > 0 else 0.1
        self.setSingleStep(step)
        self.setKeyboardTracking(False)  # announce on Enter / focus out, not at every keystroke
        self.setAccelerated(True)

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt override)
        return format_number(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802 (Qt override)
        try:
            value = float(text.strip())
        except ValueError:
            return self.value()
        return min(max(value, self.minimum()), self.maximum())

    def validate(self, text: str, position: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip()
        try:
            value = float(stripped)
        except ValueError:
            partial = _PARTIAL_NUMBER.fullmatch(stripped) is not None
            return (QValidator.State.Intermediate if partial else QValidator.State.Invalid), text, position
        if not math.isfinite(value):
            return QValidator.State.Invalid, text, position
        if self.minimum() <= value <= self.maximum():
            return QValidator.State.Acceptable, text, position
        return QValidator.State.Intermediate, text, position

    def fixup(self, text: str) -> str:
        return self.textFromValue(self.valueFromText(text))

    def stepBy(self, steps: int) -> None:  # noqa: N802 (Qt override)
        if not self.log_scale:
            super().stepBy(steps)
            return
        value = ladder_step(self.value(), steps, self.smallest)
        if value < self.minimum() and steps < 0 and self.value() > self.minimum():
            value = self.minimum()
        self.setValue(min(max(value, self.minimum()), self.maximum()))
        self.selectAll()
