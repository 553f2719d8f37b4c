"""Second-order and line-search methods: Newton, damped Newton, saddle-free Newton, BFGS, CG.

What must show: Newton solves a quadratic in one step and jumps onto a saddle; saddle-free Newton
is pushed away from it; damped Newton never raises f; BFGS and CG find Rosenbrock's minimum from
the classic start (-1.2, 1); the line search returns steps that meet the strong Wolfe conditions.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

import main
from physics.optimizers.base import get_optimizer
from physics.optimizers.bfgs import BFGSState, bfgs_inverse_update
from physics.optimizers.line_search import MAX_STEP_RATIO, strong_wolfe
from physics.optimizers.trajectory import trajectory
from physics.oracle import SurfaceOracle
from physics.simulation import DIVERGENCE_FACTOR
from surfaces.presets import preset_surface
from surfaces.surface import build_surface

ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"
SADDLE = "x^2 - y^2"


def run(name, surface, start, steps, **settings):
    positions, state = trajectory(get_optimizer(name).create(**settings), surface, np.array([start], float), steps)
    return positions[:, 0], state


# --- Newton ------------------------------------------------------------------------------------------------

def test_newton_solves_a_quadratic_in_one_step():
    surface = build_surface("x^2 + 3*x*y + 4*y^2 - 2*x + y")
    minimum = np.linalg.solve([[2.0, 3.0], [3.0, 8.0]], [2.0, -1.0])  # H p = -b
    for start in [(2.0, -1.5), (-30.0, 7.0), (0.0, 0.0)]:
        path, _ = run("newton", surface, start, 1)
        np.testing.assert_allclose(path[1], minimum, rtol=1e-12, atol=1e-12)


def test_newton_jumps_straight_onto_the_saddle():
    path, _ = run("newton", build_surface(SADDLE), (0.5, 0.3), 3)
    np.testing.assert_allclose(path[1:], np.zeros((3, 2)), atol=1e-15)


def test_newton_climbs_to_a_maximum_just_as_readily():
    path, _ = run("newton", build_surface("-(x - 1)^2 - 2*(y + 0.5)^2"), (0.2, 0.7), 1)
    np.testing.assert_allclose(path[1], [1.0, -0.5], atol=1e-15)


def test_newton_uses_the_pseudo_inverse_where_the_hessian_is_singular():
    # f = x^2 + y: H = diag(2, 0) has no inverse; the least-squares step of least length moves x only.
    path, _ = run("newton", build_surface("x^2 + y"), (0.8, 0.3), 1)
    np.testing.assert_allclose(path[1], [0.0, 0.3], atol=1e-15)
    # At the monkey saddle's centre H = 0: the least-squares step is 0.
    path, _ = run("newton", build_surface("x^3 - 3*x*y^2"), (0.0, 0.0), 1)
    np.testing.assert_array_equal(path[1], [0.0, 0.0])


def test_newton_lr_scales_the_step_and_nan_hessian_gives_nan():
    path, _ = run("newton", build_surface("x^2 + 2*y^2"), (1.0, 1.0), 1, lr=0.5)
    np.testing.assert_allclose(path[1], [0.5, 0.5], rtol=1e-15)
    surface = build_surface("sqrt(x) + y^2")
    oracle = SurfaceOracle(surface)
    p = np.array([[-1.0, 0.5], [1.0, 0.5]])
    optimizer = get_optimizer("newton").create()
    step, _ = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    assert np.isnan(step[0]).all() and np.isfinite(step[1]).all()


# --- saddle-free Newton ---------------------------------------------------------------------------------

def test_saddle_free_newton_is_pushed_away_from_the_saddle():
    surface = build_surface(SADDLE)
    path, _ = run("saddle-free-newton", surface, (0.5, 0.3), 4)
    # Along x (curvature +2) it is Newton's step; along y (curvature -2) the step is reversed.
    np.testing.assert_allclose(path[1], [0.0, 0.6], atol=1e-15)
    np.testing.assert_allclose(path[:, 1], [0.3, 0.6, 1.2, 2.4, 4.8], rtol=1e-14)
    assert (np.diff(surface.value(path)) < 0).all()


def test_saddle_free_newton_is_newton_on_a_convex_quadratic():
    surface = build_surface("x^2 + 3*x*y + 4*y^2 - 2*x + y")
    newton, _ = run("newton", surface, (2.0, -1.5), 1)
    free, _ = run("saddle-free-newton", surface, (2.0, -1.5), 1)
    np.testing.assert_allclose(free, newton, rtol=1e-13)


def test_saddle_free_newton_divides_weak_curvature_by_the_damping():
    surface = build_surface("x^2 + 0.001*y^2")
    path, _ = run("saddle-free-newton", surface, (1.0, 2.0), 1, damping=0.1)
    np.testing.assert_allclose(path[1], [0.0, 2.0 - 0.004 / 0.1], rtol=1e-14, atol=1e-15)


# --- damped Newton (Levenberg-Marquardt) ----------------------------------------------------------------

@pytest.mark.parametrize("formula, start", [
    (ROSENBROCK, (-1.2, 1.0)),
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", (-0.3, -0.9)),  # Himmelblau, from near its maximum
    ("x^2 + y^4/4 - y^2/2", (0.5, 1e-3)),  # the saddle between two minima
    ("(x^2 + y - 1.5)^2/4 + 0.3*sin(2*x)*cos(y) + 0.1*y^2", (1.7, 2.2)),
])
def test_damped_newton_never_raises_f_and_reaches_a_minimum(formula, start):
    surface = build_surface(formula)
    path, _ = run("damped-newton", surface, start, 80)
    values = surface.value(path)
    assert (np.diff(values) <= 0.0).all()
    assert values[-1] < values[0]
    evaluation = surface.evaluate(path[-1:])
    assert np.linalg.norm(evaluation.gradient) < 1e-8
    assert (np.linalg.eigvalsh(evaluation.hessian[0]) > 0).all()


def test_damped_newton_escapes_the_saddle_that_captures_newton():
    surface = build_surface("x^2 + y^4/4 - y^2/2")
    newton, _ = run("newton", surface, (0.5, 1e-3), 20)
    damped, _ = run("damped-newton", surface, (0.5, 1e-3), 40)
    assert np.abs(newton[-1]).max() < 1e-8  # Newton sits on the saddle at the origin
    np.testing.assert_allclose(damped[-1], [0.0, 1.0], atol=1e-8)  # damped Newton found the minimum


def test_damped_newton_converges_to_rosenbrocks_minimum_and_its_damping_vanishes():
    path, state = run("damped-newton", build_surface(ROSENBROCK), (-1.2, 1.0), 60)
    np.testing.assert_allclose(path[-1], [1.0, 1.0], atol=1e-10)
    assert state.mu[0] < 1e-10


def test_damped_newton_raises_the_damping_until_the_step_lowers_f():
    # A narrow bowl with a high wall: a bare Newton step on the quartic overshoots.
    surface = build_surface("x^4 + y^2")
    oracle = SurfaceOracle(surface)
    optimizer = get_optimizer("damped-newton").create(mu=1e-6)
    p = np.array([[1.0, 0.0]])
    step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    # H = diag(12, 2), g = (4, 0): Newton's step -1/3 lowers f, so mu = 1e-6 is accepted and shrinks.
    np.testing.assert_allclose(step, [[-4.0 / (12.0 + 1e-6), 0.0]], rtol=1e-15)
    assert state.mu[0] == pytest.approx(1e-7)
    # Where g = 0 there is nothing to do: no step, and mu is kept.
    flat = build_surface("x^2 + y^2")
    oracle = SurfaceOracle(flat)
    p = np.array([[0.0, 0.0]])
    step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    np.testing.assert_array_equal(step, [[0.0, 0.0]])
    assert state.mu[0] == 1e-6


def test_damped_newton_reflects_negative_curvature_and_rejects_trials_that_raise_f():
    # Near the top of cos(3x), H = -9 cos(0.03) is negative: the damping 2 |lambda| + mu reflects it,
    # so the first trial is the step -g / (|lambda| + mu), downhill and short.
    surface = build_surface("cos(3*x) + 0.1*y^2")
    oracle = SurfaceOracle(surface)
    optimizer = get_optimizer("damped-newton").create(mu=1e-4)
    p = np.array([[0.01, 0.0]])
    step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    curvature = 9.0 * np.cos(0.03)
    np.testing.assert_allclose(step, [[3.0 * np.sin(0.03) / (curvature + 1e-4), 0.0]], rtol=1e-12)
    assert state.mu[0] == pytest.approx(1e-5)
    # On sqrt(1 + x^2) at x = 2 the curvature 5^-1.5 is weak: Newton's step, -10, lands far up the
    # other side. Trials with mu = 1e-6, 1e-5, ..., 0.1 all raise f; mu = 1 is the first to lower
    # it, and is then decreased tenfold.
    surface = build_surface("sqrt(1 + x^2) + y^2")
    oracle = SurfaceOracle(surface)
    p = np.array([[2.0, 0.0]])
    optimizer = get_optimizer("damped-newton").create(mu=1e-6)
    step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    gradient, curvature = 2.0 / np.sqrt(5.0), 5.0 ** -1.5
    np.testing.assert_allclose(step, [[-gradient / (curvature + 1.0), 0.0]], rtol=1e-12)
    assert state.mu[0] == pytest.approx(0.1, rel=1e-12)


# --- BFGS ------------------------------------------------------------------------------------------------

def test_bfgs_finds_rosenbrocks_minimum_from_the_classic_start():
    surface = build_surface(ROSENBROCK)
    path, _ = run("bfgs", surface, (-1.2, 1.0), 60)
    errors = np.linalg.norm(path - 1.0, axis=1)
    assert errors[-1] < 1e-8
    assert np.argmax(errors < 1e-6) <= 50
    assert (np.diff(surface.value(path)) <= 0.0).all()


def test_bfgs_learns_the_inverse_hessian_of_a_quadratic():
    surface = build_surface("x^2 + 3*x*y + 4*y^2 - 2*x + y")
    # Ten steps reach the minimum to 1e-9; later ones can only fail to lower f (at rounding level),
    # which resets the memory to the identity.
    path, state = run("bfgs", surface, (2.0, -1.5), 10)
    minimum = np.linalg.solve([[2.0, 3.0], [3.0, 8.0]], [2.0, -1.0])
    np.testing.assert_allclose(path[-1], minimum, atol=1e-9)
    np.testing.assert_allclose(state.inverse_hessian[0], np.linalg.inv([[2.0, 3.0], [3.0, 8.0]]), atol=0.01)


def test_bfgs_update_satisfies_the_secant_equation_and_stays_symmetric():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(20, 2, 2))
    h = a @ a.transpose(0, 2, 1) + np.eye(2)
    s, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 2))
    y = np.where(((y * s).sum(axis=1) > 0)[:, None], y, -y)  # curvature condition y.s > 0
    updated = bfgs_inverse_update(h, s, y)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", updated, y), s, rtol=1e-10, atol=1e-12)  # H y = s
    np.testing.assert_allclose(updated, updated.transpose(0, 2, 1), atol=1e-12)
    rho = 1.0 / (y * s).sum(axis=1)
    eye = np.eye(2)
    left = eye - rho[:, None, None] * s[:, :, None] * y[:, None, :]
    textbook = left @ h @ left.transpose(0, 2, 1) + rho[:, None, None] * s[:, :, None] * s[:, None, :]
    np.testing.assert_allclose(updated, textbook, rtol=1e-10, atol=1e-12)


def test_bfgs_skips_the_update_when_the_curvature_condition_fails():
    surface = build_surface("x^2 + y^2")
    oracle = SurfaceOracle(surface)
    optimizer = get_optimizer("bfgs").create()
    p = np.array([[1.0, 0.0]])
    g = oracle.gradient(p)
    remembered = np.array([[[0.3, 0.1], [0.1, 0.7]]])
    # The previous gradient is larger along s: y.s < 0 (as noise can make it).
    state = BFGSState(remembered, np.array([[0.5, 0.0]]), np.array([[5.0, 0.0]]), np.array([True]),
                      np.array([False]))
    step, new_state = optimizer.update(g, state, p, oracle)
    np.testing.assert_array_equal(new_state.inverse_hessian, remembered)
    assert step[0, 0] < 0.0


def test_bfgs_first_step_follows_torch_lbfgs_scaling():
    # g = (6, 8) at (3, 4): the first trial is min(1, 1/|g|_1) = 1/14 along -g. There the slope has
    # fallen to 1 - 2/14 = 0.857 of its start (<= c2 = 0.9), and f has fallen enough: accepted.
    path, _ = run("bfgs", build_surface("x^2 + y^2"), (3.0, 4.0), 1)
    np.testing.assert_allclose(path[1], [3.0 - 6.0 / 14.0, 4.0 - 8.0 / 14.0], rtol=1e-15)


# --- conjugate gradient --------------------------------------------------------------------------------

def test_cg_finds_rosenbrocks_minimum_from_the_classic_start():
    surface = build_surface(ROSENBROCK)
    path, _ = run("cg", surface, (-1.2, 1.0), 60)
    errors = np.linalg.norm(path - 1.0, axis=1)
    assert errors[-1] < 1e-7
    assert np.argmax(errors < 1e-6) <= 50
    assert (np.diff(surface.value(path)) <= 0.0).all()


def test_cg_reaches_a_quadratics_minimum_with_a_steepest_and_a_conjugate_step():
    surface = build_surface("x^2 + 3*x*y + 4*y^2 - 2*x + y")
    path, _ = run("cg", surface, (2.0, -1.5), 4)
    minimum = np.linalg.solve([[2.0, 3.0], [3.0, 8.0]], [2.0, -1.0])
    np.testing.assert_allclose(path[2], minimum, atol=1e-7)


def test_cg_with_restart_one_is_steepest_descent_with_a_line_search():
    surface = build_surface("0.5*(x^2 + 25*y^2)")
    oracle = SurfaceOracle(surface)
    optimizer = get_optimizer("cg").create(restart=1)
    p = np.array([[1.5, -0.8]])
    state = optimizer.init(p)
    for _ in range(5):
        g = oracle.gradient(p)
        step, state = optimizer.update(g, state, p, oracle)
        cross = step[0, 0] * g[0, 1] - step[0, 1] * g[0, 0]
        assert abs(cross) <= 1e-12 * np.linalg.norm(step) * np.linalg.norm(g) and (step * g).sum() < 0
        p = p + step


def test_cg_polak_ribiere_plus_restarts_when_beta_would_be_negative():
    surface = build_surface("x^2 + y^2")
    oracle = SurfaceOracle(surface)
    optimizer = get_optimizer("cg").create(restart=10)
    p = np.array([[1.0, 0.5]])
    g = oracle.gradient(p)  # (2, 1)
    state = optimizer.init(p)._replace(previous_direction=np.array([[0.0, 1.0]]),
                                       previous_grads=np.array([[4.0, 2.0]]), previous_alpha=np.array([0.1]),
                                       previous_slope=np.array([-1.0]), has_previous=np.array([True]))
    # PR: g.(g - g_prev) / |g_prev|^2 = (2*-2 + 1*-1) / 20 < 0: clipped to 0, so d = -g.
    step, new_state = optimizer.update(g, state, p, oracle)
    np.testing.assert_allclose(new_state.previous_direction, -g)
    assert new_state.since_restart[0] == 0
    # With a positive PR coefficient the direction mixes in the previous one.
    state = state._replace(previous_grads=np.array([[1.0, 0.0]]))
    _, new_state = optimizer.update(g, state, p, oracle)
    beta = (2 * 1 + 1 * 1) / 1.0
    np.testing.assert_allclose(new_state.previous_direction, -g + beta * np.array([[0.0, 1.0]]))
    assert new_state.since_restart[0] == 1


# --- the strong Wolfe line search -------------------------------------------------------------------------

def _wolfe_holds(surface, x, d, alpha, c1, c2):
    start, end = surface.evaluate(x), surface.evaluate(x + alpha[:, None] * d)
    slope0 = (start.gradient * d).sum(axis=1)
    slope = (end.gradient * d).sum(axis=1)
    armijo = end.value <= start.value + c1 * alpha * slope0
    curvature = np.abs(slope) <= c2 * np.abs(slope0)
    return armijo & curvature


@pytest.mark.parametrize("c2", [0.9, 0.1])
@pytest.mark.parametrize("alpha0", [1.0, 1e-4, 50.0])
def test_line_search_meets_the_strong_wolfe_conditions(c2, alpha0):
    surface = build_surface(ROSENBROCK)
    oracle = SurfaceOracle(surface)
    rng = np.random.default_rng(5)
    x = rng.uniform(-2.0, 2.0, size=(200, 2))
    evaluation = surface.evaluate(x)
    d = -evaluation.gradient / np.linalg.norm(evaluation.gradient, axis=1, keepdims=True)
    result = strong_wolfe(oracle, x, d, evaluation.value, evaluation.gradient, np.full(200, alpha0), c2=c2)
    assert result.converged.mean() > 0.97
    assert _wolfe_holds(surface, x, d, result.alpha, 1e-4, c2)[result.converged].all()
    assert (result.alpha > 0).all() and (result.value < evaluation.value).all()
    np.testing.assert_allclose(result.value, surface.value(x + result.alpha[:, None] * d), rtol=1e-15)
    # Row by row, the same answers.
    for i in range(0, 200, 37):
        alone = strong_wolfe(oracle, x[i:i + 1], d[i:i + 1], evaluation.value[i:i + 1], evaluation.gradient[i:i + 1],
                             np.array([alpha0]), c2=c2)
        assert alone.alpha[0] == result.alpha[i] and alone.evaluations[0] == result.evaluations[i]


def test_line_search_expands_a_short_first_trial_and_shrinks_a_long_one():
    surface = build_surface("(x - 3)^2 + y^2")  # along d = (1, 0) from 0 the exact minimum is alpha = 3
    oracle = SurfaceOracle(surface)
    x, d = np.zeros((2, 2)), np.array([[1.0, 0.0], [1.0, 0.0]])
    evaluation = surface.evaluate(x)
    result = strong_wolfe(oracle, x, d, evaluation.value, evaluation.gradient, np.array([0.01, 1000.0]), c2=0.1)
    assert result.converged.all()
    np.testing.assert_allclose(result.alpha, 3.0, rtol=0.1)
    # The short trial doubles many times; the long one (capped at MAX_STEP_RATIO from x = 0) is cut back.
    assert result.evaluations[0] > 2 and result.evaluations[1] >= 2


def test_line_search_refuses_ascent_directions_and_backs_out_of_undefined_regions():
    surface = build_surface("log(x) + (x - 2)^2 + y^2")
    oracle = SurfaceOracle(surface)
    x = np.array([[1.0, 0.0], [3.0, 0.0]])
    evaluation = surface.evaluate(x)
    # f'(1) = -1, f'(3) = 7/3: moving left is ascent at x = 1 and descent at x = 3, where a first
    # trial of 100 lands at x = -97, where log is undefined.
    d = np.array([[-1.0, 0.0], [-1.0, 0.0]])
    slope = (evaluation.gradient * d).sum(axis=1)
    result = strong_wolfe(oracle, x, d, evaluation.value, evaluation.gradient, np.array([1.0, 100.0]))
    descending = slope < 0
    np.testing.assert_array_equal(descending, [False, True])
    assert (result.alpha[~descending] == 0.0).all()
    assert (result.alpha[descending] > 0.0).all()
    assert np.isfinite(surface.value(x + result.alpha[:, None] * d)).all()


@pytest.mark.parametrize("optimizer", ["bfgs", "cg"])
def test_line_search_methods_run_off_a_saddle_instead_of_freezing(optimizer: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # On x^2 - y^2 the direction -y is unbounded below: an uncapped doubling line search jumped a
    # million domain sizes in one step, so the ball was stopped (diverging) near y = -0.04, where
    # |grad f| = 0.08. Capped at MAX_STEP_RATIO max(1, |x|), the ball keeps heading down along -y.
    assert main.main(["run", "--surface", "saddle", "--optimizer", optimizer, "--start", "-1.5,-0.01",
                      "--steps", "8"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    ys = [float(row["y"]) for row in rows]
    moving = [row for row in rows if float(row["step_size"]) > 0.0]
    assert len(moving) >= 4 and all(row["regime"] == "descending" for row in moving)
    assert all(later <= earlier for earlier, later in zip(ys, ys[1:], strict=False))
    box = DIVERGENCE_FACTOR * preset_surface("saddle").domain.width
    for row in rows:
        # Diverging only once the next step would have left the divergence box.
        if row["regime"] == "diverging":
            assert abs(float(row["y"])) * (1.0 + MAX_STEP_RATIO) > box / 2.0
    assert rows[-1]["regime"] == "diverging"
