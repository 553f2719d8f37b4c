"""Why a number is not finite: overflow, division by zero or an undefined operation, told apart.

The evaluator of a surface marks every non-finite result NaN (its one mark of "no number here"),
which is right for computing but not for explaining: "f is undefined here" is false for exp(800),
a perfectly defined number that only floating point cannot hold. The IEEE 754 status flags that
NumPy raises while computing tell the cases apart; :func:`flags_by_point` collects them point by
point and :func:`not_finite_words` turns them into a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from surfaces.chunks import chunk_slices, sliced

#: NumPy's floating-point error flags, as its error callback receives them.
DIVIDE, OVERFLOW, UNDERFLOW, INVALID = 1, 2, 4, 8

#: Points beyond this many are not examined one by one: the rest share the flags of their chunk
#: (each point costs a call of the whole evaluator; a swarm of 100 000 would take seconds).
MAX_POINTS_ONE_BY_ONE = 64

#: The largest double, for the words of an overflow.
LARGEST = float(np.finfo(float).max)
LARGEST_WORDS = f"{LARGEST:.1e}".replace("e+", "e")  # 1.8e308


def flags_by_point(function: Callable[..., object], arguments: Sequence[object], n: int, chunk: int,
                   limit: int = MAX_POINTS_ONE_BY_ONE) -> np.ndarray:
    """The floating-point flags (n,) raised while ``function`` computed each point's results.

    Args:
        function: a compiled evaluator taking (x (k,), y (k,), *parameters).
        arguments: [x (n,), y (n,), *parameters] as the evaluator takes them.
        n: the number of points.
        chunk: the most points to evaluate in one call (surfaces.chunks: bounded memory).
        limit: points examined one by one; the rest share the flags of their chunk.

    Returns:
        int array (n,) of DIVIDE | OVERFLOW | UNDERFLOW | INVALID bits (0: nothing happened).
    """
    flags = np.zeros(n, dtype=np.int64)
    for i in range(min(n, limit)):
        flags[i] = _flags(function, [arguments[0][i:i + 1], arguments[1][i:i + 1], *arguments[2:]])
    for part in chunk_slices(n - limit, chunk) if n > limit else ():
        part = slice(limit + part.start, limit + part.stop)
        flags[part] = _flags(function, sliced(arguments, part))
    return flags


def _flags(function: Callable[..., object], arguments: Sequence[object]) -> int:
    raised = 0

    def collect(_kind: str, flag: int) -> None:
        nonlocal raised
        raised |= flag

    with np.errstate(all="call", call=collect):
        try:
            function(*arguments)
        except (ArithmeticError, ValueError, TypeError):  # a Python-level failure: undefined
            raised |= INVALID
    return raised


def not_finite_words(flags: int, value_finite: bool, where: str = "here") -> str:
    """A sentence (no full stop) saying why f or its derivatives are not finite at a point.

    Args:
        flags: the point's floating-point flags (:func:`flags_by_point`).
        value_finite: whether f itself is finite there (else only its derivatives are not).
        where: the place, as the sentence should name it ("here", "at the start (1, 2)").
    """
    subject = "the slope or curvature of f" if value_finite else "f"
    if flags & OVERFLOW and not flags & DIVIDE:
        # (an overflow often goes on to inf - inf, which raises INVALID too: the overflow is the cause)
        return f"{subject} overflows the floating-point range (about {LARGEST_WORDS}) {where}"
    if flags & DIVIDE:
        return f"{subject} is undefined {where} (a division by zero or the log of zero)"
    return f"{subject} is undefined {where} (the log or square root of a negative number, 0/0, or the like)"
