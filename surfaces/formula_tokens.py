"""The first gates of formula parsing: the text as a list of tokens, and checks on that list.

:func:`tokenize` accepts ASCII numbers, ASCII names, ``+ - * / ^ **`` (and the typeset ``−``,
``×``, ``·``), parentheses, commas and white space, and stops at the first other character.
:func:`check_names` and :func:`check_structure` find the first unknown name, misplaced operator,
comma or parenthesis, each with a message for a person and its column. Then
:func:`split_variable_runs` and :func:`insert_implicit_multiplication` make implicit products
explicit, and :func:`rebuild` joins the tokens into ASCII Python source for :func:`ast.parse`,
remembering where each character came from.
"""

from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Collection
from dataclasses import dataclass

from surfaces.errors import FormulaError
from surfaces.vocabulary import CONSTANTS, FUNCTIONS, VARIABLES

MAX_DEPTH = 40  # nesting of parentheses

_NUMBER = r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TOKEN = re.compile(
    rf"""
    (?P<space>\s+)
  | (?P<number>{_NUMBER})
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<power>\*\*|\^)
  | (?P<operator>[-+*/\u2212\u00d7\u00b7\u22c5])
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
    """,
    re.VERBOSE,
)
#: Typeset operators pasted from documents, and the ASCII they stand for.
_OPERATOR_ASCII = {"\u2212": "-", "\u00d7": "*", "\u00b7": "*", "\u22c5": "*"}


@dataclass(frozen=True)
class Token:
    """One token of the formula text."""

    kind: str    # space is dropped; number, name, power, operator, open, close, comma
    text: str    # as typed, except typeset operators, which are their ASCII form
    column: int  # 0-based in the original text


def tokenize(text: str) -> tuple[list[Token], FormulaError | None]:
    """The tokens up to the first character that is not allowed, and the error for it (or None)."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            return tokens, FormulaError(_bad_character_message(text[position]), column=position + 1)
        kind = match.lastgroup or ""
        if kind != "space":
            written = match.group()
            tokens.append(Token(kind, _OPERATOR_ASCII.get(written, written), position))
        position = match.end()
    return tokens, None


def _bad_character_message(character: str) -> str:
    explanations = {
        ".": "a '.' may only appear inside a number (attribute access is not allowed)",
        "[": "square brackets are not allowed; use parentheses",
        "]": "square brackets are not allowed; use parentheses",
        "{": "braces are not allowed; use parentheses",
        "}": "braces are not allowed; use parentheses",
        "'": "text in quotes is not allowed",
        '"': "text in quotes is not allowed",
        "=": "'=' is not allowed; type only the right-hand side, such as x^2 + y^2",
        "<": "comparisons are not allowed",
        ">": "comparisons are not allowed",
        "%": "'%' is not allowed; write a fraction with '/'",
        "!": "'!' is not allowed",
        ";": "';' is not allowed; a formula is a single expression",
        ":": "':' is not allowed; a formula is a single expression",
        "\\": "a backslash is not allowed; type the formula as plain text, such as x^2 + sin(y)",
        "|": "'|' is not allowed; write abs(x) for |x|",
        "&": "'&' is not allowed",
        "@": "'@' is not allowed",
        "~": "'~' is not allowed",
        "#": "'#' is not allowed",
        "$": "'$' is not allowed; type the formula as plain text, not LaTeX",
    }
    if character in explanations:
        return explanations[character]
    code = f"U+{ord(character):04X}"
    if not character.isprintable():
        return f"an invisible character ({code}) is not allowed; delete it and retype the text around it"
    if character.isdigit():
        return f"the digit {character!r} ({code}) is not allowed; type digits 0-9"
    if character.isalpha():
        return (f"the letter {character!r} ({code}) is not allowed; names use the plain letters a-z, "
                "such as x, y, sin or alpha")
    return f"the character {character!r} ({code}) is not allowed; use numbers, x, y, + - * / ^ and parentheses"


def check_names(tokens: list[Token], parameters: bool | frozenset[str]) -> FormulaError | None:
    """The first name that is not a variable, constant, called function or accepted parameter."""
    for index, token in enumerate(tokens):
        if token.kind != "name":
            continue
        name = token.text
        column = token.column + 1
        following = tokens[index + 1].kind if index + 1 < len(tokens) else None
        if name in FUNCTIONS:
            if following == "open":
                continue
            if following == "power":
                return FormulaError(f"the function '{name}' needs its argument in parentheses right after its "
                                    f"name: write {name}(x)^2 for the square of {name}(x)", column=column)
            return FormulaError(f"the function '{name}' needs an argument in parentheses, such as {name}(x)",
                                column=column)
        if name in VARIABLES or name in CONSTANTS:
            continue
        if len(name) > 1 and set(name) <= set("xy"):
            continue  # 'xy' is x*y, split later
        if name.startswith("_") or "__" in name:
            return FormulaError(f"the name '{name}' is not allowed (names may not start with '_' or contain '__')",
                                column=column)
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            return FormulaError(f"'{name}' is a reserved word of Python and cannot be used in a formula",
                                column=column)
        listed = not isinstance(parameters, bool) and name in parameters
        if following == "open" and not listed:
            suggestion = _suggestion(name, FUNCTIONS)
            times = "" if parameters is False else f"; to multiply, write {name}*(...)"
            return FormulaError(f"unknown function '{name}' at column {column}{suggestion}{times}; the functions are "
                                + ", ".join(sorted(FUNCTIONS)), column=column)
        if parameters is True or listed:
            continue
        if parameters is False:
            hint = "the variables are x and y"
        else:
            hint = "the variables are x and y and the parameters are " + (", ".join(sorted(parameters)) or "none")
        if re.fullmatch(r"[xy]+[0-9]+", name):
            hint += f"; write {name.rstrip('0123456789')}^{name.lstrip('xy')} for a power or a '*' for a product"
        suggestion = _suggestion(name, [*FUNCTIONS, *CONSTANTS])
        return FormulaError(f"unknown name '{name}' at column {column}; {hint}{suggestion}", column=column)
    return None


def _suggestion(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name.lower(), list(known), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_structure(tokens: list[Token], complete: bool) -> FormulaError | None:
    """The first misplaced parenthesis, comma or operator, or two numbers in a row.

    ``complete`` is False when the text was cut short at a character that is not allowed; then
    parentheses still open at the end are not an error of their own.
    """
    open_calls: list[tuple[Token, bool]] = []  # each open '(' and whether it holds a call's arguments
    previous: Token | None = None
    for token in tokens:
        column = token.column + 1
        kind = token.kind
        after_nothing = previous is None or previous.kind in ("open", "comma", "operator", "power")
        if kind == "open":
            if len(open_calls) == MAX_DEPTH:
                return FormulaError(f"the formula nests parentheses more than {MAX_DEPTH} deep", column=column)
            is_call = previous is not None and previous.kind == "name" and previous.text in FUNCTIONS
            open_calls.append((token, is_call))
        elif kind == "close":
            if not open_calls:
                return FormulaError("this ')' has no matching '('", column=column)
            opening, is_call = open_calls.pop()
            if previous is opening and not is_call:
                return FormulaError("empty parentheses; put an expression inside them", column=opening.column + 1)
            if previous is not None and previous.kind in ("operator", "power", "comma"):
                return FormulaError(f"'{previous.text}' needs something after it, before this ')'",
                                    column=previous.column + 1)
        elif kind == "comma":
            if not open_calls or not open_calls[-1][1]:
                return FormulaError("a comma may only separate the arguments of a function, such as max(x, y)",
                                    column=column)
            if after_nothing:
                return FormulaError("there is nothing before this comma", column=column)
        elif kind == "power" or (kind == "operator" and token.text in "*/"):
            if previous is not None and previous.text == token.text == "/":
                return FormulaError("'//' is not an operator here; write '/' for division", column=previous.column + 1)
            if after_nothing:
                where = "at the start" if previous is None else f"after '{previous.text}'"
                return FormulaError(f"'{token.text}' needs something on its left; it cannot stand {where}",
                                    column=column)
        elif kind == "number" and previous is not None and previous.kind == "number":
            if previous.column + len(previous.text) == token.column and token.text.startswith("."):
                return FormulaError("this number has a second decimal point", column=column)
            return FormulaError("two numbers in a row; put an operator between them", column=column)
        previous = token
    if not complete:
        return None
    if previous is not None and previous.kind in ("operator", "power", "comma"):
        return FormulaError(f"the formula ends with '{previous.text}'; something is missing after it",
                            column=previous.column + 1)
    if open_calls:
        return FormulaError("this '(' is never closed", column=open_calls[-1][0].column + 1)
    return None


def split_variable_runs(tokens: list[Token]) -> list[Token]:
    """Turn a name such as 'xy' or 'xxy' into separate variable tokens (implicit product)."""
    result: list[Token] = []
    for token in tokens:
        if token.kind == "name" and len(token.text) > 1 and set(token.text) <= set("xy"):
            result.extend(Token("name", letter, token.column + offset) for offset, letter in enumerate(token.text))
        else:
            result.append(token)
    return result


def insert_implicit_multiplication(tokens: list[Token]) -> list[Token]:
    """Insert the '*' a person leaves out: between an operand's end and the next operand's start.

    A name ends an operand unless it is a function being called; the names checks have already
    refused every other name before '(' (an unknown function), so this is unambiguous.
    """
    result: list[Token] = []
    for token in tokens:
        if result:
            previous = result[-1]
            ends_operand = previous.kind in ("number", "close") or (
                previous.kind == "name" and previous.text not in FUNCTIONS)
            starts_operand = token.kind in ("number", "name", "open")
            if ends_operand and starts_operand:
                result.append(Token("operator", "*", token.column))
        result.append(token)
    return result


def rebuild(tokens: list[Token]) -> tuple[str, list[int], dict[int, str]]:
    """Join tokens into ASCII Python source.

    Returns:
        the source; origin[i], the original 0-based column of source character i; and the
        typed text of each number, keyed by its original column (the walker reads numbers from
        these digits, not from Python's float).
    """
    parts: list[str] = []
    origin: list[int] = []
    numbers: dict[int, str] = {}
    for token in tokens:
        text = token.text
        if token.kind == "power":
            text = "**"
        elif token.kind == "number":
            numbers[token.column] = text
            # Python refuses leading zeros in an integer ("007"); the value comes from `numbers`.
            if not re.search(r"[.eE]", text):
                text = text.lstrip("0") or "0"
        parts.append(text)
        origin.extend([token.column] * len(text))
        parts.append(" ")
        origin.append(token.column)
    return "".join(parts), origin, numbers
