"""Why a ball was stopped, in words that tell overflow from a true singularity; huge but finite
telemetry (eigenvalues, gradient norms beyond 1e154) stays finite and exact.

References: the closed forms of the surfaces (1e300 x y has the eigenvalues -1e300, +1e300 and the
gradient norm 1e300 |(y, x)|), numpy.linalg.eigvalsh, math.hypot.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.eigen import symmetric_eigenvalues
from physics.runtime import OVERFLOW, UNDEFINED
from physics.simulation import Simulation
from surfaces.errors import DownhillError
from surfaces.surface import build_surface


def ball(start: tuple[float, float], lr: float, particles: int = 1) -> BallSpec:
    return BallSpec("a", "#1f77b4", "gd", (("lr", lr),), start, particles=particles,
                    spread=0.01 if particles > 1 else 0.0)


@pytest.mark.parametrize(("formula", "start", "lr", "reason", "words"), [
    # exp(x^2) at x = -38 is 1e627: a number, not a double.
    ("exp(x^2) + y^2", (2.0, 0.0), 5.0, OVERFLOW,
     "reached a point where f or its derivatives overflow the floating-point range (about 1.8e308)"),
    # the first step from x = 3 lands at x < 0, where log is undefined.
    ("(x - 2)^2 - log(x)", (3.0, 0.0), 2.0, UNDEFINED,
     "reached a point where f or its derivatives are undefined (a division by zero, or the log or square root"),
])
@pytest.mark.parametrize("particles", [1, 200])
def test_a_stopped_ball_says_whether_f_overflowed_or_is_undefined(formula, start, lr, reason, words,
                                                                   particles) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        simulation = Simulation(build_surface(formula), [ball(start, lr, particles)])
        simulation.step(5)
    state = simulation.state(0)
    assert state.regime == "diverging" and words in state.regime_detail
    assert (simulation._p.stopped == reason).all()


def test_a_start_where_f_overflows_is_refused_as_overflow() -> None:
    with pytest.raises(DownhillError) as caught:
        Simulation(build_surface("exp(x^2)"), [ball((30.0, 0.0), 0.1)])
    assert caught.value.field == "balls[0].start"
    assert "overflows the floating-point range (about 1.8e308) at the start (30, 0)" in caught.value.message


def test_eigenvalues_of_huge_hessians_are_finite_and_match_lapack() -> None:
    hessians = np.array([[[0.0, 1e300], [1e300, 0.0]], [[3e200, -1e200], [-1e200, 2e199]],
                         [[-1e307, 1e306], [1e306, 1e300]], [[1.0, 2.0], [2.0, -3.0]]])
    values = symmetric_eigenvalues(hessians)
    assert np.isfinite(values).all()
    assert values == pytest.approx(np.linalg.eigvalsh(hessians), rel=1e-14)


def test_huge_gradients_and_curvatures_are_reported_finite() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        simulation = Simulation(build_surface("1e12^25*x*y"), [ball((0.5, -0.7), 1e-6)])
    history = simulation.history(0)
    assert history.gradient_norm[0] == math.hypot(-7e299, 5e299)
    assert (history.lambda_min[0], history.lambda_max[0]) == pytest.approx((-1e300, 1e300), rel=1e-15)
