"""The explainer's words: the label at each arrow's head, and numbers as the card writes them.

Colour is never the only carrier: each arrow on the map has a short word at its head (the part's
key told as a student says it), and the card names the part too.
"""

from __future__ import annotations

import math

#: The word at the head of a part's arrow, by its key (physics.explain.parts.Part.key).
ARROW_WORDS: dict[str, str] = {
    "gradient": "gradient",
    "true_gradient": "true gradient",
    "noise": "noise",
    "minibatch": "mini-batch",
    "estimate": "estimate",
    "weight_decay": "weight decay",
    "clip": "clipped",
    "momentum_decay": "momentum (decayed)",
    "momentum_add": "momentum",
    "momentum": "momentum",
    "velocity": "velocity",
    "lookahead": "look-ahead",
    "moments": "moments",
    "bias_correction": "bias-corrected",
    "scaling": "scaled",
    "sign_rule": "sign rule",
    "accept": "accepted",
    "reject": "rejected",
    "newton": "Newton step",
    "eigen": "eigen",
    "saddle_free": "|H|^-1 g",
    "bfgs_update": "BFGS",
    "cg_direction": "CG direction",
    "line_search": "line search",
    "step": "step",
}


def arrow_word(key: str, title: str = "", shared: bool = False) -> str:
    """The label for a part's arrow: the table's word, else the key with spaces, else the title.

    ``shared``: another part of the explanation has the same key (Newton's two components along
    the eigenvectors): the title's words before its colon tell them apart when they are short.
    """
    heading = title.split(":", 1)[0].strip()
    if shared and heading and len(heading) <= 24:
        return heading
    if key in ARROW_WORDS:
        return ARROW_WORDS[key]
    if key:
        return key.replace("_", " ").replace("-", " ")
    return title[:24]


def number_text(value: object) -> str:
    """A number or a pair of numbers with 4 significant digits ("1.234e-05", "(0.5, -2)"); others as str."""
    if isinstance(value, tuple | list) and len(value) == 2:
        return f"({number_text(value[0])}, {number_text(value[1])})"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "undefined" if math.isnan(number) else ("+inf" if number > 0 else "-inf")
    if number == 0:
        return "0"
    return f"{number:.4g}"


def length_text(length: float) -> str:
    """A length in position units ("2.1e-04", "0.35")."""
    return number_text(length)
