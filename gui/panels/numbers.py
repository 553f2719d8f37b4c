"""Numbers as a class reads them: a few significant digits, a real minus sign, short exponents.

``format_number(1234.4)`` is "1234" (digits before the point are never dropped),
``format_number(0.012345)`` is "0.0123", ``format_number(3.2e-7)`` is "3.2e-7" (scientific
notation outside [1e-3, 1e5), one significant digit fewer, short exponent; not "3.20e-07"),
``format_number(-1.0, signed=True)`` is "−1.00" and ``format_number(2, signed=True)`` "+2.00".
NaN reads "—" and infinities "∞".
"""

from __future__ import annotations

import math

MINUS = "\u2212"
#: Plain notation between these magnitudes; scientific outside (3 digits of 1e5 would need 6).
SMALLEST_PLAIN = 1e-3
LARGEST_PLAIN = 1e5


def format_number(value: float, digits: int = 3, signed: bool = False, trim: bool = False) -> str:
    """``value`` with ``digits`` significant digits (see the module docstring).

    ``trim`` drops trailing zeros after the point (tick labels: "0.1", not "0.10").
    """
    value = float(value)
    if math.isnan(value):
        return "—"
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    if math.isinf(value):
        return f"{sign}∞"
    magnitude = abs(value)
    if magnitude == 0.0:
        return "0"
    if SMALLEST_PLAIN <= magnitude < LARGEST_PLAIN:
        decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
        text = f"{magnitude:.{decimals}f}"
        # Rounding can carry into a new digit (9.996 -> "10.00"): keep the requested significance.
        if decimals and len(text.replace(".", "").lstrip("0")) > digits:
            text = text[:-1]
        if trim and "." in text:
            text = text.rstrip("0").rstrip(".")
        return sign + text
    mantissa, exponent = f"{magnitude:.{max(digits - 2, 0)}e}".split("e")
    if trim and "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{sign}{mantissa}e{int(exponent)}".replace("-", MINUS)


def format_pair(x: float, y: float, digits: int = 3) -> str:
    """A point as "(x, y)"."""
    return f"({format_number(x, digits)}, {format_number(y, digits)})"
