"""A compiled evaluator of f, grad f and H point by point, for large batches of points (Numba).

The NumPy evaluator (surfaces.derivatives.compile_outputs) computes each common subexpression
for all points before the next: for 100 000 points every intermediate is a fresh 0.8 MB array,
and a large swarm's step spends most of its evaluation moving those through memory. This one
compiles the same expressions (the same SymPy code printer, scalar ``math`` functions instead
of NumPy's) into a loop that evaluates all six outputs of one point in registers and writes
them straight into the Evaluation's arrays, checking finiteness on the way: for Rosenbrock,
0.3 ms instead of 1.0 ms for 100 000 points; for the sigmoid-neuron loss, 7.6 ms instead of 14.

The price is compilation: Numba takes about 0.5 s for a small formula (and it cannot cache a
function that has no source file), holding the GIL meanwhile. So it is made only on request
(:meth:`surfaces.surface.Surface.prepare_point_kernel`: the command line's swarm runs ask for it;
the app, which must never freeze, does not), only for formulas up to :data:`MAX_KERNEL_NODES`,
and whatever Numba refuses (a function it has no scalar version of) leaves the NumPy evaluator in
charge. The code compiled is SymPy's printing of the validated expression tree, exactly as for
the NumPy evaluator; no typed text reaches it.

Results: the same operations in the same order, so polynomials and rational functions give the
same bits as NumPy; transcendental functions come from the C library rather than NumPy's own
vectorised ones and may differ in the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numba
import numpy as np
import sympy
from sympy.utilities.lambdify import lambdify

from surfaces.derivatives import node_count, renamed_arguments
from surfaces.stable_functions import SCALAR_FUNCTIONS

#: The overflow-free sigmoid and softplus, compiled for the kernel to call.
_KERNEL_FUNCTIONS = {name: numba.njit(function) for name, function in SCALAR_FUNCTIONS.items()}

#: Formulas whose six outputs together exceed this many expression nodes are not compiled (the
#: compile time grows with the size; the largest preset, the sigmoid-neuron loss, has about 2 000).
MAX_KERNEL_NODES = 6_000

#: PointKernel(x (n,), y (n,), parameters tuple, value, gx, gy, hxx, hxy, hyy (n,) outputs) -> all finite
PointKernel = Callable[..., bool]


def compile_point_kernel(symbols: Sequence[sympy.Symbol], outputs: Sequence[sympy.Expr]) -> PointKernel | None:
    """The compiled loop over points of the six outputs (f, f_x, f_y, f_xx, f_xy, f_yy), ready to
    call (compiled for float64 arrays and float parameters), or None when the formula is too large
    or Numba cannot compile it.

    Args:
        symbols: x, y and then the parameters, in the order the kernel takes them.
        outputs: the six expressions, as surfaces.derivatives.numeric_ready made them.
    """
    if sum(node_count(output, MAX_KERNEL_NODES) for output in outputs) > MAX_KERNEL_NODES:
        return None
    arguments, renamed = renamed_arguments(symbols, list(outputs))
    try:
        point = lambdify(arguments, tuple(renamed), modules=[_KERNEL_FUNCTIONS, "math"], cse=True)
        kernel = _loop(numba.njit(error_model="numpy")(point))
        point_zero = np.zeros(1)  # compiled now, for float64 arrays and float parameters
        kernel(point_zero, point_zero, tuple(0.0 for _ in arguments[2:]), *[np.zeros(1) for _ in range(6)])
    except Exception:  # noqa: BLE001 (any refusal of Numba's: the NumPy evaluator stays in charge)
        return None
    return kernel


def _loop(point: Callable) -> PointKernel:
    """The kernel: ``point`` at every (x[i], y[i]) into the output arrays; True when every number is
    finite (a sum of them all times zero stays zero: one multiply-add per output, no branch; an
    overflowing sum is a false alarm that only costs the caller a full check)."""

    @numba.njit(nogil=True, error_model="numpy")
    def kernel(x, y, parameters, value, gradient_x, gradient_y, hxx, hxy, hyy):  # noqa: ANN001, ANN202
        check = 0.0
        for i in range(x.shape[0]):
            f, fx, fy, fxx, fxy, fyy = point(x[i], y[i], *parameters)
            value[i] = f
            gradient_x[i] = fx
            gradient_y[i] = fy
            hxx[i] = fxx
            hxy[i] = fxy
            hyy[i] = fyy
            check += (f + fx + fy + fxx + fxy + fyy) * 0.0
        return check == 0.0

    return kernel
