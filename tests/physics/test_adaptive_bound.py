"""The stability bound of methods whose rate adapts per coordinate (Adam, RMSProp, AdaGrad, traingda,
traingdx): each declares its rate R and constant c, and the regime reads κ = λ_max(R (H + wd I)) / c.

Checked against independent answers: the eigenvalues of R (H + wd I) by numpy.linalg; each method's
R against the step it has just taken (hand-derived identities of its update rule); Adam's constant
2 (1 + β1) / (1 - β1) by the growth or decay of its own trajectory with its second moment held
still; RMSProp's two-cycle ±0.05 on x^2 + 10y^2 at κ = 1 exactly (worked by hand below).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.eigen import preconditioned_top
from physics.noise import NoiseSettings
from physics.optimizers.adam import AdamState
from physics.optimizers.base import get_optimizer, registry
from physics.regime import DESCENDING, MINIMUM, OSCILLATING, oscillation_of
from physics.simulation import Simulation
from surfaces.surface import build_surface

RATED = ("adam", "adamw", "rmsprop", "adagrad", "adaptive-lr", "momentum-adaptive-lr")


def test_preconditioned_top_is_the_largest_eigenvalue_of_r_times_h() -> None:
    rng = np.random.default_rng(4)
    a = rng.normal(size=(200, 2, 2)) * 10.0 ** rng.uniform(-3, 3, (200, 1, 1))
    hessian = a + a.transpose(0, 2, 1)
    rate = 10.0 ** rng.uniform(-4, 1, (200, 2))
    shift = 0.7
    got = preconditioned_top(hessian, rate, shift)
    for k in range(200):
        want = np.linalg.eigvals(np.diag(rate[k]) @ (hessian[k] + shift * np.eye(2))).real.max()
        assert got[k] == pytest.approx(want, rel=1e-9, abs=1e-12 * np.abs(hessian[k]).max() * rate[k].max())


def test_only_the_rated_methods_declare_a_rate_and_each_has_a_constant() -> None:
    for name, spec in registry().items():
        if name in RATED:
            assert spec.effective_rate is not None and spec.stability_factor is not None, name
        else:
            assert spec.effective_rate is None, name  # (one lr, or none: Rprop's sign rule has no rate)


def _one_step(name: str, hyper: dict, g: np.ndarray, p: np.ndarray):
    spec = get_optimizer(name)
    settings = spec.settings(hyper)
    optimizer = spec.make(settings)

    class Flat:  # (traingda asks for the loss: a bowl whose loss falls along the step, so it accepts)
        def value(self, points: np.ndarray) -> np.ndarray:
            return 0.5 * (points ** 2).sum(axis=1)

    state = optimizer.init(p)
    step, state = optimizer.update(g, state, p, Flat())
    return spec, settings, step, state


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad"])
def test_the_rate_is_what_the_step_just_taken_applied(name: str) -> None:
    # One step from zero moments: Adam's m^ = g and RMSProp/AdaGrad step on g itself, so
    # step = -R * g exactly with R read from the state the step left (lr_decay 0: AdaGrad's next rate
    # is its last).
    rng = np.random.default_rng(1)
    g = rng.normal(size=(50, 2)) * 10.0 ** rng.uniform(-2, 2, (50, 2))
    spec, settings, step, state = _one_step(name, {"lr": 0.01}, g, np.zeros((50, 2)))
    rate = spec.effective_rate(state, settings, np.arange(50))
    np.testing.assert_allclose(-rate * g, step, rtol=1e-12)


def test_traingda_rate_is_its_own_current_lr() -> None:
    g = np.array([[1.0, -2.0], [0.5, 0.25]])
    spec, settings, _, state = _one_step("adaptive-lr", {"lr": 0.1, "lr_inc": 1.5}, g, np.array([[1.0, -2.0],
                                                                                                [0.5, 0.25]]))
    rate = spec.effective_rate(state, settings, np.arange(2))
    np.testing.assert_array_equal(rate, np.column_stack([state.lr, state.lr]))
    assert spec.stability_factor(settings) == 2.0
    momentum = get_optimizer("momentum-adaptive-lr")
    assert momentum.stability_factor(momentum.settings({"momentum": 0.9})) == pytest.approx(38.0)


def test_before_the_first_step_the_rate_is_unknown() -> None:
    for name in RATED:
        spec = get_optimizer(name)
        settings = spec.settings({})
        state = spec.make(settings).init(np.ones((3, 2)))
        if name in ("adaptive-lr", "momentum-adaptive-lr"):
            continue  # (their rate is known from the start: lr)
        assert np.isnan(spec.effective_rate(state, settings, np.arange(3))).all(), name


@pytest.mark.parametrize(("factor", "grows"), [(0.95, False), (1.05, True)])
def test_adams_constant_by_its_own_trajectory(factor: float, grows: bool) -> None:
    # Adam on f = λ x^2 / 2 with its second moment held still (v ≫ g^2, beta2 = 0.9999: v moves by
    # 1e-4 g^2 a step, and the y coordinate has no curvature) and its bias corrections spent
    # (t = 10^6): R = lr / (sqrt(v) + eps) is then constant, and the iteration is linear. Below
    # c = 2 (1 + beta1) / (1 - beta1) it dies out; above, it grows: the constant Adam declares.
    beta1, lr, v = 0.9, 0.01, 1e6
    spec = get_optimizer("adam")
    settings = spec.settings({"lr": lr, "betas": (beta1, 0.9999), "eps": 1e-12})
    c = spec.stability_factor(settings)
    assert c == pytest.approx(2 * (1 + beta1) / (1 - beta1))
    rate = lr / math.sqrt(v)
    lam = factor * c / rate
    optimizer = spec.make(settings)
    x = np.array([[1e-9, 0.0]])  # (g^2 stays below 1e4 ≪ v)
    state = AdamState(np.zeros((1, 2)), np.full((1, 2), v), np.zeros((1, 2)), np.ones(1),
                      np.full(1, 10 ** 6, dtype=np.int64))
    start = abs(x[0, 0])
    for _ in range(25 if grows else 150):  # (25 steps grow 1.48^25 = 2e4-fold; 150 decay 0.95^150 = 5e-4)
        step, state = optimizer.update(lam * x, state, x, None)
        x = x + step
    kappa = preconditioned_top(np.array([[[lam, 0.0], [0.0, 0.0]]]), spec.effective_rate(state, settings,
                                                                                         np.arange(1)))[0] / c
    assert kappa == pytest.approx(factor, rel=1e-2)  # (v decays by 0.9999 a step: R rises 0.1-0.8%)
    # (heavy ball of rate (1 - beta1) R λ and momentum beta1: a root -1.48 at 1.05 c, roots of modulus
    # sqrt(0.9) = 0.95 at 0.95 c)
    assert abs(x[0, 0]) > 100 * start if grows else abs(x[0, 0]) < start


def test_a_swing_far_below_the_edge_is_no_oscillation() -> None:
    steady = dict(step_size=0.1, lam_max=20.0, swing=-0.1, previous_swing=0.1, earlier_swing=-0.1,
                  swing_top_x=0.0, swing_top_y=1.0, bound_rate=math.nan, bound_shift=0.0, previous_lam_max=20.0)
    assert oscillation_of(DESCENDING, False, **steady)  # (unknown κ: the swing alone, as before)
    assert oscillation_of(DESCENDING, False, **steady, bound_kappa=0.9)
    assert not oscillation_of(DESCENDING, False, **steady, bound_kappa=0.3)  # the rate is nowhere near its edge
    assert not oscillation_of(MINIMUM, False, **steady, bound_kappa=2.0)  # a rate that adapts re-settles
    fading = dict(steady, swing=-0.01)
    assert not oscillation_of(DESCENDING, False, **fading, bound_kappa=3.0)  # past the edge, but dying out
    assert oscillation_of(DESCENDING, True, **fading, bound_kappa=0.3)  # one already shown lasts


def test_rmsprop_two_cycle_sits_exactly_at_its_edge() -> None:
    # RMSProp (alpha 0.9, lr 0.1) on x^2 + 10y^2 ends in the two-cycle x = y = ±0.05: its gradient
    # (±0.1, ±1) has the same square every step, so v = g^2 and R = lr / |g| = (1, 0.1) per coordinate;
    # R H = diag(1 x 2, 0.1 x 20) = diag(2, 2): κ = 2 / 2 = 1, the stability edge exactly.
    ball = BallSpec("b", "#000000", "rmsprop", (("lr", 0.1), ("alpha", 0.9)), (1.0, 1.0), NoiseSettings())
    simulation = Simulation(build_surface("x^2 + 10y^2"), [ball], seed=0)
    simulation.step(600)
    history = simulation.history(0)
    np.testing.assert_allclose(np.abs(history.positions[-4:]), 0.05, rtol=1e-6)
    assert (np.sign(history.positions[-4:, 1]) == [1, -1, 1, -1]).all() or \
        (np.sign(history.positions[-4:, 1]) == [-1, 1, -1, 1]).all()
    state = simulation.state(0)
    assert state.regime == "oscillating" and history.regime_codes[-1] == OSCILLATING
    assert "rate × λ_max, per coordinate, = 2, at the bound 2" in state.regime_detail, state.regime_detail
    assert math.isnan(state.lr_bound)  # (no one lr's bound to draw)
