"""Small pieces every reader of untrusted JSON (scenes, lessons, experiment settings) shares:
naming a value in an error message, and turning bytes into bounded text.

No Qt, no SymPy: only the standard library and surfaces.errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from surfaces.errors import SceneError


def describe(value: Any) -> str:
    """A JSON value as an error message names it: "null", "true", "the text 'ab'" (at most 40
    characters shown), "the number 3", "a list", "an object", else its type's name."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def bounded_text(text: str | bytes, what: str, limit: int) -> str:
    """``text`` (str, or UTF-8 bytes) as str, refused with a SceneError naming ``what`` ("scene",
    "lesson") when it is not text, not UTF-8, or over ``limit`` bytes (checked before decoding)."""
    if isinstance(text, bytes | bytearray):
        if len(text) > limit:
            raise SceneError(f"the {what} is {len(text)} bytes; the limit is {limit}")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise SceneError(f"the {what} is not UTF-8 text (byte {error.start})") from None
    if not isinstance(text, str):
        raise SceneError(f"a {what} is JSON text")
    if len(text.encode("utf-8", errors="replace")) > limit:
        raise SceneError(f"the {what} is larger than the limit of {limit} bytes")
    return text
