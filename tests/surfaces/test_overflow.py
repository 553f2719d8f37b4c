"""Overflow in the numerics: handled everywhere, told apart from a true singularity, and avoided
where the true value is representable (sigmoid and softplus are computed stably).

References: mpmath at 50 digits for the values and slopes of sigmoid, softplus and the cliff
preset; closed forms for the critical points (exp(a x) has none; 1e300 x y has a saddle at the
origin with curvatures -1e300 and +1e300).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import mpmath
import numpy as np
import pytest

import main
from surfaces.critical import find_critical_points
from surfaces.presets import PRESETS, preset_surface
from surfaces.stable_functions import numpy_sigmoid, numpy_softplus, scalar_sigmoid, scalar_softplus
from surfaces.surface import Domain, build_surface

ROOT = Path(__file__).resolve().parents[2]
WIDE = Domain(-1e6, 1e6, -1e6, 1e6)
#: Formulas whose values, slopes or scales overflow floating point somewhere on their domains.
OVERFLOWING = [
    ("exp(200*x)", "-30,30,-30,30"), ("exp(1000*x)", "-30,30,-30,30"), ("1e12^25*x*y", None),
    ("x^40 + y^2", "-1e6,1e6,-1e6,1e6"), ("exp(exp(x^2+y^2))", None), ("exp(30 - 30*x)", "-20,20,-5,5"),
    ("cosh(x*y)", "-1e6,1e6,-1e6,1e6"), ("x^2*exp(y^2)", "-40,40,-40,40"), ("sinh(700*x) + y^2", None),
    ("softplus(1000*x) + y^2", None), ("sigmoid(1000*x) + y^2", "-30,30,-30,30"),
    ("log(1 + exp(x)) + y^2", "-1e6,1e6,-1e6,1e6"), ("x^100 - y^100", "-1e6,1e6,-1e6,1e6"),
    ("exp(x)*exp(y)", "-1e6,1e6,-1e6,1e6"), ("1/(x^2+y^2)", None), ("tan(x)*tan(y)", None),
    ("exp(x^2) - exp(y^2)", "-100,100,-100,100"), ("1e12*x^12*y^12", "-1e6,1e6,-1e6,1e6"),
]
CORPUS = OVERFLOWING + [(name, "-1e6,1e6,-1e6,1e6") for name in PRESETS]


def call(argv: list[str]) -> tuple[int, str, str]:
    """main.main(argv) in this process, any warning an error: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main.main(argv)
    return status, out.getvalue(), err.getvalue()


def assert_clean(status: int, err: str, what: str) -> None:
    assert (status == 0 and err == "") or (status == 2 and err.count("\n") == 1 and err.startswith("downhill: ")), \
        f"{what}: status {status}, stderr {err!r}"


@pytest.mark.parametrize(("formula", "domain"), CORPUS, ids=[f"{f} {d or ''}" for f, d in CORPUS])
def test_critical_and_run_on_overflowing_surfaces_answer_or_say_one_line(formula: str, domain: str | None,
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path) -> None:
    monkeypatch.setenv("DOWNHILL_CONFIG_DIR", str(tmp_path))
    where = ["--domain", domain] if domain else []
    status, out, err = call(["critical", "--surface", formula, *where, "--json"])
    assert_clean(status, err, f"critical {formula}")
    for optimizer in ("gd", "newton", "adam"):
        status, out, err = call(["run", "--surface", formula, *where, "--optimizer", optimizer, "--steps", "20",
                                 "--start=0.5,-0.7"])
        assert_clean(status, err, f"run {optimizer} {formula}")
        assert "inf" not in out, f"run {optimizer} {formula}: an infinite number in the CSV"
    status, out, err = call(["run", "--surface", formula, *where, "--optimizer", "sgd", "--noise", "0.1",
                             "--particles", "50", "--spread", "0.5", "--steps", "10", "--start=0.5,-0.7"])
    assert_clean(status, err, f"run swarm {formula}")


@pytest.mark.parametrize("argv", [
    ["critical", "--surface", "exp(200*x)", "--domain=-30,30,-30,30"],
    ["run", "--surface", "1e12^25*x*y", "--optimizer", "gd", "--lr", "1e-6", "--start=0.5,-0.7", "--steps", "3"],
    ["run", "--surface", "exp(exp(x^2+y^2))", "--optimizer", "newton", "--start=1.5,-0.7", "--steps", "3"],
])
def test_a_real_process_prints_no_warning_even_with_warnings_as_errors(argv: list[str], tmp_path) -> None:
    result = subprocess.run([sys.executable, "-W", "error", "main.py", *argv], cwd=ROOT, capture_output=True,
                            text=True, env={**os.environ, "DOWNHILL_CONFIG_DIR": str(tmp_path)}, timeout=120)
    assert result.returncode == 0 and result.stderr == "", result.stderr[-2000:]
    assert "inf" not in result.stdout


@pytest.mark.parametrize("formula", ["exp(200*x)", "exp(1000*x)", "exp(30 - 30*x)"])
def test_a_monotone_exponential_has_no_critical_point(formula: str) -> None:
    # Its gradient underflows to exactly 0 on a half-plane: no root of the mathematics.
    assert find_critical_points(build_surface(formula), Domain(-30, 30, -30, 30)) == []


def test_huge_scales_keep_their_critical_points() -> None:
    (saddle,) = find_critical_points(build_surface("1e12^25*x*y"), Domain.square(3))
    assert saddle.kind == "saddle" and (saddle.x, saddle.y) == (0.0, 0.0)
    assert saddle.eigenvalues == pytest.approx((-1e300, 1e300), rel=1e-12)
    (bottom,) = find_critical_points(build_surface("x^40 + y^2"), WIDE)
    assert bottom.kind in ("minimum", "degenerate") and abs(bottom.x) < 1e-3 * WIDE.diameter and bottom.y == 0.0


def test_exact_zeros_stay_critical_where_underflow_zeros_do_not() -> None:
    # relu(x) is exactly flat for x < 0 (one degenerate point for the region, as before); the origin
    # of (x^2 + y^2)^25 is a true minimum though its neighbours' gradients underflow.
    assert [p.kind for p in find_critical_points(build_surface("relu(x)"), Domain(-30, 30, -30, 30))] == ["degenerate"]
    (origin,) = find_critical_points(build_surface("(x^2 + y^2)^25"), Domain(-30, 30, -30, 30))
    assert math.hypot(origin.x, origin.y) < 1e-3


ARGUMENTS = sorted({sign * 10.0**k for k in np.arange(-8, 4.01, 0.25) for sign in (-1, 1)} | {0.0, 709.0, -709.0,
                                                                                         745.0, -745.0, 1e5, -1e5})


def test_sigmoid_and_softplus_match_high_precision_wherever_representable() -> None:
    mpmath.mp.dps = 50
    z = np.array(ARGUMENTS)
    for function, scalar, reference in ((numpy_sigmoid, scalar_sigmoid, lambda t: 1 / (1 + mpmath.exp(-t))),
                                        (numpy_softplus, scalar_softplus, lambda t: mpmath.log1p(mpmath.exp(t)))):
        values = function(z)
        assert np.isfinite(values).all()
        for t, value in zip(ARGUMENTS, values, strict=True):
            exact = float(reference(mpmath.mpf(t)))
            # the kernel's version: the same operations, the C library's exp (may differ in the last bit)
            assert scalar(t) == pytest.approx(value, rel=4e-16, abs=0.0)
            if abs(exact) >= np.finfo(float).tiny:  # representable as a normal double
                assert value == pytest.approx(exact, rel=4e-16), (function.__name__, t)
            else:
                assert abs(value) < 1e-300


def test_surfaces_with_sigmoid_and_softplus_keep_finite_derivatives_matching_mpmath() -> None:
    mpmath.mp.dps = 50
    surface = build_surface("sigmoid(3x) + softplus(2y)")
    points = np.array([(x, y) for x in (-400.0, -30.0, -1.0, 0.0, 2.0, 50.0, 400.0)
                       for y in (-500.0, -3.0, 0.0, 40.0, 500.0)])
    evaluation = surface.evaluate(points)

    def sigmoid(t: mpmath.mpf) -> mpmath.mpf:
        return 1 / (1 + mpmath.exp(-t))

    for (x, y), value, gradient, hessian in zip(points, evaluation.value, evaluation.gradient, evaluation.hessian,
                                                strict=True):
        u, v = 3 * mpmath.mpf(x), 2 * mpmath.mpf(y)
        # (1 - sigmoid(u) written as sigmoid(-u): at 50 digits 1 - sigmoid(150) would be 0)
        s, s_, t, t_ = sigmoid(u), sigmoid(-u), sigmoid(v), sigmoid(-v)
        expected = [(value, s + mpmath.log1p(mpmath.exp(v))), (gradient[0], 3 * s * s_), (gradient[1], 2 * t),
                    (hessian[0, 0], 9 * s * s_ * (s_ - s)), (hessian[0, 1], 0), (hessian[1, 1], 4 * t * t_)]
        for got, exact in expected:
            exact = float(exact)
            assert math.isfinite(got), (x, y)
            if abs(exact) >= 1e-290:  # (below, products of the slopes meet the subnormal range)
                assert got == pytest.approx(exact, rel=1e-12, abs=1e-15 * abs(exact)), (x, y)
            else:
                assert abs(got) <= 1e-280, (x, y)


def test_the_cliff_is_finite_far_from_its_wall_and_the_start_is_accepted(monkeypatch, tmp_path) -> None:
    mpmath.mp.dps = 50
    surface = preset_surface("cliff")
    for x in (-14.4, -30.0, -300.0, 1e4):
        evaluation = surface.evaluate(np.array([[x, 0.8]]))
        z = 30 * (mpmath.mpf(x) - 1)
        value = (mpmath.mpf(x) - 3) ** 2 / 4 + mpmath.mpf(0.8) ** 2 / 10 + 20 / (1 + mpmath.exp(-z))
        slope = (mpmath.mpf(x) - 3) / 2 + 600 * mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2
        assert evaluation.value[0] == pytest.approx(float(value), rel=1e-14)
        assert evaluation.gradient[0, 0] == pytest.approx(float(slope), rel=1e-14)
        assert np.isfinite(evaluation.hessian).all()
    monkeypatch.setenv("DOWNHILL_CONFIG_DIR", str(tmp_path))
    status, out, err = call(["run", "--surface", "cliff", "--start=-14.4,0.8", "--optimizer", "gd", "--steps", "3"])
    assert status == 0 and err == "" and len(out.splitlines()) == 5


@pytest.mark.parametrize(("formula", "point", "words"), [
    ("exp(1000*x)", (1.0, 0.0), "f overflows the floating-point range (about 1.8e308) here"),
    ("exp(exp(x^2 + y^2))", (3.0, 0.0), "f overflows the floating-point range (about 1.8e308) here"),
    ("1e12^25*x^3", (1e4, 0.0), "f overflows the floating-point range (about 1.8e308) here"),
    ("log(x)", (-1.0, 0.0), "f is undefined here (the log or square root of a negative number"),
    ("log(x) + y", (0.0, 0.0), "f is undefined here (a division by zero or the log of zero)"),
    ("1/x", (0.0, 1.0), "f is undefined here (a division by zero"),
    ("sqrt(x)", (0.0, 1.0), "the slope or curvature of f is undefined here (a division by zero"),
    ("x^2", (1.0, 0.0), ""),
])
def test_overflow_is_told_apart_from_a_singularity(formula: str, point: tuple[float, float], words: str) -> None:
    why = build_surface(formula).why_not_finite(point)
    assert why.startswith(words) and (why == "") == (words == "")


def test_a_start_where_f_overflows_is_refused_for_that_reason(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("DOWNHILL_CONFIG_DIR", str(tmp_path))
    status, _, err = call(["run", "--surface", "exp(1000*x)", "--start=1,0", "--optimizer", "gd", "--steps", "3"])
    assert status == 2 and "overflows the floating-point range (about 1.8e308) at the start (1, 0)" in err
    status, _, err = call(["run", "--surface", "log(x)", "--start=-1,0", "--optimizer", "gd", "--steps", "3"])
    assert status == 2 and "is undefined at the start (-1, 0)" in err and "overflow" not in err
