"""The keys of presentation mode, in one table: the cheat sheet (``?``) and the README both read it.

A presenter's clicker sends Page Down / Page Up, the arrows and B; everything else is on the
keyboard. Each overlay of physics.overlays.OVERLAYS has a letter (:data:`OVERLAY_KEYS`); E is
left to the step-by-step explainer (gui.explain) and T switches the theme.

No Qt here: the key names are QKeySequence's portable text, so the table is read headless too.
"""

from __future__ import annotations

from typing import NamedTuple

from physics.overlays import OVERLAYS


class PresentKey(NamedTuple):
    """One row of the cheat sheet: the keys (QKeySequence text, first one shown) and what they do."""

    keys: tuple[str, ...]
    label: str
    action: str


#: Letter of each map overlay, by the overlay's name in physics.overlays.
OVERLAY_KEYS: dict[str, str] = {
    "gradient": "G",
    "step": "S",
    "velocity": "V",
    "eigenvectors": "H",
    "trails": "P",
    "critical_points": "C",
    "contours": "L",
}

_OVERLAY_WORDS = {
    "gradient": "gradient arrows (−∇f)",
    "step": "last step arrows",
    "velocity": "velocity arrows",
    "eigenvectors": "the Hessian's eigen-directions",
    "trails": "trails (paths)",
    "critical_points": "critical points",
    "contours": "contour (level) lines",
}

#: Every key of presentation mode, in the cheat sheet's order. ``action`` names the command.
PRESENT_KEYS: tuple[PresentKey, ...] = (
    PresentKey(("Space", "B"), "Space or B", "play_pause"),
    PresentKey(("Right",), "Right arrow", "step"),
    PresentKey(("R",), "R", "reset"),
    PresentKey(("PgDown",), "Page Down", "next_scene"),
    PresentKey(("PgUp",), "Page Up", "previous_scene"),
    *(PresentKey((str(n),), str(n), f"select_{n}") for n in range(1, 10)),
    *(PresentKey((OVERLAY_KEYS[o.name],), OVERLAY_KEYS[o.name], f"overlay_{o.name}") for o in OVERLAYS),
    PresentKey(("+", "=", "Shift++"), "+", "faster"),
    PresentKey(("-",), "-", "slower"),
    PresentKey(("Ctrl++", "Ctrl+=", "Ctrl+Shift++"), "Ctrl +", "bigger"),
    PresentKey(("Ctrl+-",), "Ctrl -", "smaller"),
    PresentKey(("Ctrl+0",), "Ctrl 0", "normal_size"),
    PresentKey(("T",), "T", "theme"),
    PresentKey(("?", "Shift+?", "F1"), "?", "cheat_sheet"),
    PresentKey(("Esc", "F5"), "Esc (or F5)", "leave"),
)

#: The explainer's keys (gui.explain installs them on the presentation window's map too); listed
#: here so that the cheat sheet and the README tell every key of a talk.
EXPLAINER_ROWS: tuple[tuple[str, str], ...] = (
    ("E", "explain the selected ball's next step, part by part (E or Esc closes)"),
    ("Left arrow", "the explainer's previous part (Home / End: first / last)"),
)

_WORDS = {
    "play_pause": "play or pause",
    "step": "one step (the explainer's next part while open)",
    "reset": "every ball back to its start",
    "next_scene": "next scene (the lesson's, else the next preset)",
    "previous_scene": "previous scene",
    "faster": "faster (more steps per frame)",
    "slower": "slower",
    "bigger": "everything bigger (text, lines, markers)",
    "smaller": "everything smaller",
    "normal_size": "presentation size again",
    "theme": "light / dark theme",
    "cheat_sheet": "this list of keys",
    "leave": "close this list, else leave presentation mode",
}


def describe(action: str) -> str:
    """What a row's command does, in words."""
    if action.startswith("select_"):
        return f"select ball {action.removeprefix('select_')}"
    if action.startswith("overlay_"):
        return f"show / hide {_OVERLAY_WORDS.get(action.removeprefix('overlay_'), action)}"
    return _WORDS[action]


def cheat_sheet_rows() -> list[tuple[str, str]]:
    """(keys, words) rows of the cheat sheet: the balls' 1 … 9 folded into one row."""
    rows: list[tuple[str, str]] = []
    for row in PRESENT_KEYS:
        if row.action.startswith("select_"):
            if row.action == "select_1":
                rows.append(("1 … 9", "select ball 1 … 9"))
            continue
        rows.append((row.label, describe(row.action)))
        if row.action == "step":
            rows.extend(EXPLAINER_ROWS)
    return rows


def help_rows() -> list[tuple[str, str]]:
    """Rows for Help > Keyboard and mouse: F5, then each key as it works while presenting."""
    return [("F5", "presentation mode (View > Present): full screen, only the views; Esc leaves"),
            *((f"{keys}  (presenting)", words) for keys, words in cheat_sheet_rows())]


def markdown_table() -> str:
    """The key table as Markdown, for the README (``python -m gui.present.keys``)."""
    lines = ["| Key | In presentation mode |", "|---|---|", "| F5 (View > Present) | enter presentation mode |"]
    lines += [f"| {keys} | {words} |" for keys, words in cheat_sheet_rows()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
