"""Evaluation in chunks: a stated bound on the memory of the compiled NumPy evaluator.

The NumPy evaluator (``lambdify`` with common-subexpression elimination) computes each common
subexpression for all n points before the next, and keeps every one of them until it returns:
its temporaries take about (number of subexpressions + outputs) x n x 8 bytes. For Rosenbrock
(a dozen subexpressions) that is nothing; for a 1.9 KB sum of relus (hundreds) at 400 000 points
it was 0.7 GB, and 5 GB for the formulas that NumPy's own intermediates add to.

So a batch of points larger than :func:`chunk_points` is evaluated a chunk at a time, each chunk
sized so that its temporaries stay within :data:`EVALUATION_BUDGET` bytes. The arithmetic is
elementwise, so the numbers are the same as in one call; chunks start at multiples of
:data:`CHUNK_ALIGNMENT` points, so that NumPy's vectorised loops see the same alignment (and the
same tail) for every element as they would in one call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

#: Bytes the temporaries of one call of the NumPy evaluator may take (64 MiB), beyond the arrays of
#: the results themselves (f, grad f and H: 7 doubles a point).
EVALUATION_BUDGET = 64 * 2**20
#: Chunks are multiples of this many points (and never fewer).
CHUNK_ALIGNMENT = 64
#: Arrays a line of the generated code may hold besides the named subexpressions (the operands of
#: one NumPy expression: a + b * c needs b * c for a moment).
EXPRESSION_SLACK = 4


def chunk_points(temporaries: int, budget: int | None = None) -> int:
    """Points per chunk (a multiple of CHUNK_ALIGNMENT, at least one multiple) for an evaluator
    that keeps ``temporaries`` arrays of n doubles alive, so that they stay within ``budget`` bytes
    (EVALUATION_BUDGET by default)."""
    budget = EVALUATION_BUDGET if budget is None else budget
    arrays = max(1, temporaries + EXPRESSION_SLACK)
    points = budget // (8 * arrays)
    return max(CHUNK_ALIGNMENT, points - points % CHUNK_ALIGNMENT)


def chunk_slices(n: int, size: int) -> Iterator[slice]:
    """Consecutive slices of range(n), each ``size`` long but the last."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def sliced(arguments: Sequence[object], part: slice) -> list[object]:
    """The evaluator's arguments [x (n,), y (n,), *parameters] for the points in ``part``."""
    return [arguments[0][part], arguments[1][part], *arguments[2:]]  # type: ignore[index]
