"""Exact derivatives of a formula, bounded in size, and their compilation to NumPy.

:func:`gradient_and_hessian` differentiates f twice with SymPy, refusing a formula whose
gradient or Hessian would be too large: before each differentiation from an estimate
(:func:`derivative_size_estimate`, linear in the size of what is differentiated), after it from
the actual tree size (:func:`node_count`). Derivatives are taken almost everywhere
(:func:`derivative`): sign and Heaviside steps count as constants and Dirac deltas as zero.
:func:`numeric_ready` and :func:`compile_outputs` turn expressions into one vectorised NumPy
function (``lambdify`` with common-subexpression elimination).

None of this bounds wall-clock time by itself; :mod:`surfaces.surface` runs it under
:class:`surfaces.deadline.time_limit`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sympy
from sympy.utilities.lambdify import lambdify

from surfaces.errors import FormulaError
from surfaces.parsing import X, Y
from surfaces.stable_functions import NUMPY_FUNCTIONS

#: lambdify's modules for the vectorised evaluator: NumPy, and the overflow-free sigmoid and softplus.
NUMPY_MODULES = [NUMPY_FUNCTIONS, "numpy"]

#: Growth limits (expression tree nodes, both derivatives summed) for the derivative stages. The
#: largest preset (a finite-sum sigmoid loss) has a Hessian of about 1 200 nodes.
MAX_GRADIENT_NODES = 15_000
MAX_HESSIAN_NODES = 45_000
#: An estimate past this many times a limit refuses the formula before SymPy differentiates it
#: (the estimate runs 1 to 2 times the actual size on large expressions).
ESTIMATE_MARGIN = 2


def almost_everywhere(expression: sympy.Expr) -> sympy.Expr:
    """Drop Dirac deltas (derivatives of abs, sign, max at their kinks): zero almost everywhere."""
    if expression.has(sympy.DiracDelta):
        expression = expression.replace(lambda e: isinstance(e, sympy.DiracDelta), lambda e: sympy.Integer(0))
    return expression


def derivative(expression: sympy.Expr, variable: sympy.Symbol) -> sympy.Expr:
    """d expression / d variable almost everywhere: steps (sign, Heaviside) count as constants.

    Their derivatives are Dirac deltas, which :func:`almost_everywhere` drops anyway; holding
    them constant while differentiating gives the same result without SymPy's costly delta
    algebra (differentiating a max of 8 terms twice became ten times faster).
    """
    steps = {step: sympy.Dummy("step") for step in expression.atoms(sympy.Heaviside, sympy.sign)}
    if not steps:
        return almost_everywhere(sympy.diff(expression, variable))
    result = sympy.diff(expression.xreplace(steps), variable)
    return almost_everywhere(result.xreplace({dummy: step for step, dummy in steps.items()}))


def numeric_ready(expression: sympy.Expr) -> sympy.Expr:
    """The expression as the compiled evaluator should compute it.

    - Dirac deltas are dropped (:func:`almost_everywhere`).
    - Heaviside(a) (derivative of max/min/relu) becomes (1 + sign(a))/2, the same function with
      H(0) = 1/2; NumPy's printer would otherwise emit a Piecewise whose simplification alone can
      take minutes, and which fails on scalar (parameter-only) arguments.
    - Integers and fractions beyond 2^53 become floats: a Python int that large would make NumPy
      fall back to object arrays (or overflow) instead of computing in float64.
    """
    expression = almost_everywhere(expression)
    if expression.has(sympy.Heaviside):
        expression = expression.replace(lambda e: isinstance(e, sympy.Heaviside),
                                        lambda e: (1 + sympy.sign(e.args[0])) / 2)
    big = {r: sympy.Float(r, 17) for r in expression.atoms(sympy.Rational)
           if abs(r.p) > 2**53 or r.q > 2**53}
    if big:
        expression = expression.xreplace(big)
    return expression


def renamed_arguments(symbols: Sequence[sympy.Symbol], outputs: sympy.Expr | list[sympy.Expr]
                      ) -> tuple[list[sympy.Symbol], sympy.Expr | list[sympy.Expr]]:
    """The outputs with the symbols renamed to safe argument names (see :func:`compile_outputs`)."""
    safe = {symbol: sympy.Symbol(f"_argument{index}") for index, symbol in enumerate(symbols)}
    # Renaming changes no structure, so nothing needs evaluating again (re-evaluating a nested
    # max would flatten it and compare all pairs of its arguments).
    with sympy.evaluate(False):
        if isinstance(outputs, list):
            return list(safe.values()), [o.xreplace(safe) for o in outputs]
        return list(safe.values()), outputs.xreplace(safe)


def compile_outputs(symbols: Sequence[sympy.Symbol], outputs: sympy.Expr | list[sympy.Expr]) -> Callable:
    """lambdify with common-subexpression elimination, arguments in the order of ``symbols``.

    The symbols are renamed first: lambdify puts every argument's name into the generated code's
    namespace, so a parameter called like a NumPy function the printer uses (maximum, sign) or
    like a common subexpression (x0, x1) would shadow it. A name starting with '_' cannot be typed.

    The function's attribute ``temporaries`` is the number of arrays of n doubles its code keeps
    alive at once (its common subexpressions and outputs), for chunking (surfaces.chunks).
    """
    arguments, renamed = renamed_arguments(symbols, outputs)
    replacements, reduced = sympy.cse(renamed, list=False)
    function = lambdify(arguments, renamed, modules=NUMPY_MODULES, cse=lambda _: (replacements, reduced))
    function.temporaries = _temporaries(replacements, renamed)
    return function


def _temporaries(replacements: Sequence[tuple[sympy.Symbol, sympy.Expr]], outputs: object) -> int:
    """Arrays of n doubles the generated code keeps alive at once: every common subexpression (the
    code binds each to a name until it returns) and every output (surfaces.chunks uses this)."""
    return len(replacements) + (len(outputs) if isinstance(outputs, list | tuple) else 1)


def compile_with_first(symbols: Sequence[sympy.Symbol], outputs: list[sympy.Expr]) -> tuple[Callable, Callable]:
    """:func:`compile_outputs` of all the outputs, and a function of the first output alone that
    computes it by the very same operations, so that both give the same number to the last bit.

    Compiled separately, the first output would be simplified differently: the common
    subexpressions of all outputs reorder its products and sums (pi*x*y becomes x*(pi*y) when
    pi*y is the derivative in x), which changes its last bit. Here the second function keeps
    just the common subexpressions the first output needs, in the same order.
    """
    arguments, renamed = renamed_arguments(symbols, outputs)
    replacements, reduced = sympy.cse(renamed, list=False)
    full = lambdify(arguments, renamed, modules=NUMPY_MODULES, cse=lambda _: (replacements, reduced))
    needed = set(reduced[0].free_symbols)
    kept = []
    for symbol, expression in reversed(replacements):
        if symbol in needed:
            kept.append((symbol, expression))
            needed |= expression.free_symbols
    kept.reverse()
    first = lambdify(arguments, renamed[0], modules=NUMPY_MODULES, cse=lambda _: (kept, reduced[0]))
    full.temporaries = _temporaries(replacements, renamed)
    first.temporaries = _temporaries(kept, renamed[0])
    return full, first


def node_count(expression: sympy.Expr, limit: int) -> int:
    """Number of nodes in the expression tree, stopping early once past ``limit``."""
    count = 0
    for _ in sympy.preorder_traversal(expression):
        count += 1
        if count > limit:
            break
    return count


def derivative_size_estimate(expression: sympy.Expr, variable: sympy.Symbol) -> int:
    """Estimated tree size (nodes) of d expression / d variable, without differentiating.

    Applies the sum, product, power and chain rules to sizes: d(a+b) has the sizes of da and
    db; d(a b c) has, for each factor, the product with that factor replaced by its derivative;
    d f(a) is f'(a) (about the size of f(a)) times da. Linear in the number of distinct
    subexpressions, iterative (no recursion limit), and an overestimate for most formulas, as
    SymPy merges like factors. Used to refuse a formula before SymPy spends minutes on it.
    """
    size: dict[sympy.Basic, int] = {}
    derivative: dict[sympy.Basic, int] = {}
    stack: list[tuple[sympy.Basic, bool]] = [(expression, False)]
    while stack:
        node, children_done = stack.pop()
        if node in size:
            continue
        args = node.args
        if not children_done:
            stack.append((node, True))
            stack.extend((a, False) for a in args if a not in size)
            continue
        total = 1 + sum(size[a] for a in args)
        size[node] = total
        if node == variable:
            d = 1
        elif not args or not any(derivative[a] for a in args):
            d = 0
        elif node.is_Add:
            d = 1 + sum(derivative[a] for a in args)
        elif node.is_Mul:
            d = 1 + sum(total - size[a] + derivative[a] for a in args if derivative[a])
        elif node.is_Pow and not derivative[args[1]]:
            d = size[args[0]] + size[args[1]] + 4 + derivative[args[0]]  # n b^(n-1) db
        elif node.is_Pow:
            d = 2 * total + derivative[args[0]] + derivative[args[1]] + 6  # b^e (de log b + e db / b)
        else:
            d = sum(total + 4 + derivative[a] for a in args if derivative[a])  # sum of f_i'(args) da_i
        derivative[node] = d
    return derivative[expression]


Gradient = tuple[sympy.Expr, sympy.Expr]
Hessian = tuple[tuple[sympy.Expr, sympy.Expr], tuple[sympy.Expr, sympy.Expr]]


def gradient_and_hessian(expression: sympy.Expr) -> tuple[Gradient, Hessian]:
    """(df/dx, df/dy) and ((fxx, fxy), (fxy, fyy)) of an expression in X, Y, almost everywhere.

    Raises:
        FormulaError: the gradient or the Hessian is (or would be) past its node limit.
    """
    estimate = derivative_size_estimate(expression, X) + derivative_size_estimate(expression, Y)
    if estimate > ESTIMATE_MARGIN * MAX_GRADIENT_NODES:
        raise FormulaError(f"the formula is too complex: its gradient would have about {estimate:,} parts "
                           f"(the limit is {MAX_GRADIENT_NODES:,})", column=1)
    gx, gy = derivative(expression, X), derivative(expression, Y)
    size = node_count(gx, MAX_GRADIENT_NODES) + node_count(gy, MAX_GRADIENT_NODES)
    if size > MAX_GRADIENT_NODES:
        raise FormulaError(f"the formula is too complex: its gradient has more than {MAX_GRADIENT_NODES:,} parts",
                           column=1)
    estimate = (derivative_size_estimate(gx, X) + derivative_size_estimate(gx, Y)
                + derivative_size_estimate(gy, Y))
    if estimate > ESTIMATE_MARGIN * MAX_HESSIAN_NODES:
        raise FormulaError(f"the formula is too complex: its Hessian would have about {estimate:,} parts "
                           f"(the limit is {MAX_HESSIAN_NODES:,})", column=1)
    fxx, fxy, fyy = derivative(gx, X), derivative(gx, Y), derivative(gy, Y)
    size = sum(node_count(h, MAX_HESSIAN_NODES) for h in (fxx, fxy, fyy))
    if size > MAX_HESSIAN_NODES:
        raise FormulaError(f"the formula is too complex: its Hessian has more than {MAX_HESSIAN_NODES:,} parts",
                           column=1)
    return (gx, gy), ((fxx, fxy), (fxy, fyy))
