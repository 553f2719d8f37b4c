"""A compiled evaluator of f, grad f and H point by point, for large batches of points (Numba).

The NumPy evaluator (surfaces.derivatives.compile_outputs) computes each common subexpression
for all points before the next: for 100 000 points every intermediate is a fresh 0.8 MB array,
and a large swarm's step spends most of its evaluation moving those through memory. This one
compiles the same expressions (the same SymPy code printer, scalar ``math`` functions instead
of NumPy's) into a loop that evaluates all six outputs of one point in registers and writes
them straight into the Evaluation's arrays, checking finiteness on the way: for Rosenbrock,
0.3 ms instead of 1.0 ms for 100 000 points; for the sigmoid-neuron loss, 7.6 ms instead of 14.

The price is compilation: Numba takes about 0.5 s for a small formula, holding the GIL meanwhile.
Numba caches only functions that have a source file, so the kernel's source is written to a file
of its own in Numba's cache folder, named by a hash of its text (:func:`_cached_kernel`): the
next process with the same formula loads the machine code in milliseconds. So it is made only on request
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

import builtins
import hashlib
import importlib.util
import inspect
import math
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

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
        kernel = _cached_kernel(point) or _loop(numba.njit(error_model="numpy")(point))
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


#: The kernel's source file: SymPy's printing of ``point`` and the loop of :func:`_loop`, with the same
#: Numba options (plus caching), so the same machine code and the same bits.
_KERNEL_FILE = """\"\"\"A point kernel made by surfaces.point_kernel from one validated formula (do not edit).\"\"\"

import numba

from surfaces.point_kernel import _KERNEL_FUNCTIONS  # noqa: F401

{names}


@numba.njit(error_model="numpy", cache=True)
{point}

@numba.njit(nogil=True, error_model="numpy", cache=True)
def kernel(x, y, parameters, value, gradient_x, gradient_y, hxx, hxy, hyy):
    check = 0.0
    for i in range(x.shape[0]):
        f, fx, fy, fxx, fxy, fyy = {name}(x[i], y[i], *parameters)
        value[i] = f
        gradient_x[i] = fx
        gradient_y[i] = fy
        hxx[i] = fxx
        hxy[i] = fxy
        hyy[i] = fyy
        check += (f + fx + fy + fxx + fxy + fyy) * 0.0
    return check == 0.0
"""


def _cached_kernel(point: Callable) -> PointKernel | None:
    """The kernel of :func:`_loop` over ``point`` (lambdify's function), from a source file of its own
    in Numba's cache folder so that Numba caches its machine code; None where that cannot be done
    (no cache folder, or a name in the printed code that is not from ``math`` or the kernel's own
    functions), and the caller compiles without a cache.

    The file is named by a hash of its text and of the sources it depends on (this module, the
    scalar functions, Numba's version). An existing file is used only when its text is exactly the
    text made here, so nothing but SymPy's printing of the validated formula is ever run.
    """
    folder = numba.config.CACHE_DIR
    if not folder:
        return None
    try:
        source = inspect.getsource(point)
    except (OSError, TypeError):
        return None
    names = []
    for name in point.__code__.co_names:
        value = point.__globals__.get(name, getattr(builtins, name, None))
        if name in _KERNEL_FUNCTIONS and value is _KERNEL_FUNCTIONS[name]:
            names.append(f"{name} = _KERNEL_FUNCTIONS[{name!r}]")
        elif name == "math" and value is math:
            names.append("import math")
        elif getattr(math, name, None) is value:
            names.append(f"from math import {name}")
        elif getattr(builtins, name, None) is not value:
            return None
    text = _KERNEL_FILE.format(names="\n".join(names), point=source.rstrip() + "\n", name=point.__name__)
    digest = hashlib.sha256(text.encode())
    digest.update(numba.__version__.encode())
    for module in (__file__, inspect.getfile(_KERNEL_FUNCTIONS["Sigmoid"].py_func)):
        digest.update(Path(module).read_bytes())
    key = digest.hexdigest()[:16]
    path = Path(folder) / "point_kernels" / f"point_kernel_{key}.py"
    try:
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)  # (another process writing the same text meanwhile: same file)
        specification = importlib.util.spec_from_file_location(f"_downhill_point_kernel_{key}", path)
        if specification is None or specification.loader is None:
            return None
        module = importlib.util.module_from_spec(specification)
        # (registered as a module: Numba finds the cached kernel's callee by its module's name)
        sys.modules[specification.name] = module
        specification.loader.exec_module(module)  # safe: the text made above (compared), SymPy's printing
    except OSError:
        return None
    return module.kernel
