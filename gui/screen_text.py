"""Words for the screen: "lambda_max" as the app writes it everywhere else, λ_max.

The preset scenes' titles, notes and descriptions (physics.preset_scenes) are plain ASCII because
the command line prints them too (``main.py presets``), to terminals that may not encode λ. On the
screen the app writes the Greek letter (the read-outs, the badges, the panels), so the GUI shows
those texts through :func:`on_screen`. CSV column names and scene-file keys are not screen text
and keep their spelling.
"""

from __future__ import annotations

import re

#: "lambda", "lambda_max", "lambda_min" as whole words.
_LAMBDA = re.compile(r"\blambda(_(?:max|min))?\b")
#: "lr x lambda..." is a product: the multiplication sign, not the letter x.
_TIMES = re.compile(r"\b(lr) x (?=lambda\b|lambda_)")


def on_screen(text: str) -> str:
    """``text`` with "lambda" written λ (λ_max, λ_min) and "lr x lambda" as "lr × λ"."""
    return _LAMBDA.sub(lambda match: "λ" + (match.group(1) or ""), _TIMES.sub(r"\1 × ", text))
