"""The one error type of Downhill: a message meant for a person.

Every rejected input (a formula, a scene file, a command-line argument) raises a
:class:`DownhillError`. It carries the message and, where it applies, the column of the
formula (1-based, as a person counts) or the field of the scene file it concerns. The GUI
shows it beside the input; the command line prints it on one line and exits with status 2.
"""

from __future__ import annotations


class DownhillError(Exception):
    """A problem with something the user typed, loaded or asked for.

    Attributes:
        message: the human sentence, without location.
        column: 1-based column in the formula text the problem concerns, or None.
        field: dotted path of the scene-file field the problem concerns, or None.
    """

    def __init__(self, message: str, *, column: int | None = None, field: str | None = None):
        self.message = message
        self.column = column
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """The message with its location, on one line."""
        text = self.message
        if self.field is not None:
            text = f"{self.field}: {text}"
        return " ".join(text.split())

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Exception's default rebuilds from args (the described text) and loses column and field;
        # copy.copy, pickle and multiprocessing would hand back a different error.
        return (_restore, (type(self), self.message, self.column, self.field))


def _restore(kind: type[DownhillError], message: str, column: int | None, field: str | None) -> DownhillError:
    return kind(message, column=column, field=field)


class FormulaError(DownhillError):
    """A formula that cannot be accepted; ``column`` points at the offending character."""


class SceneError(DownhillError):
    """A scene file (or scene value) that is not valid; ``field`` names the offending key."""
