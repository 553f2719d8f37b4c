"""The explainers of traingda/traingdx, Newton, saddle-free and damped Newton, BFGS and CG
(physics.explain.adaptive_lr, .second_order, .quasi_newton): their summands add up to the step the
simulation then takes, bit for bit, at hyper-parameters other than the defaults (tests/physics/
test_explain.py runs the defaults), and their parts carry the hand-derived numbers: Newton's step on
a quadratic is exactly -H^-1 g, split along the eigenvectors; at a saddle its component along the
negative curvature goes uphill; saddle-free Newton's goes downhill; damped Newton's trials; traingda's
rejection; traingdx's momentum; BFGS's curvature condition; CG's beta and restarts."""

from __future__ import annotations

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.explain import explain_next_step, sum_of_summands
from physics.noise import NoiseSettings
from physics.simulation import Simulation
from surfaces.surface import build_surface

SURFACES = {
    "ravine": ("0.5*(x^2 + 25*y^2)", (1.5, -0.8)),
    "saddle": ("x^2 - y^2", (1.0, 0.05)),
    "rosenbrock": ("(1 - x)^2 + 100*(y - x^2)^2", (-1.2, 1.0)),
}

#: Settings other than the defaults (lr != 1 is where Newton's components round differently from
#: a scaled H^-1 g), each on the surface where it does something: rejections, restarts, trials.
CASES = [
    ("newton", {"lr": 0.7}, "rosenbrock"),
    ("newton", {"lr": 0.3}, "saddle"),
    ("saddle-free-newton", {"lr": 0.45, "damping": 0.5}, "saddle"),
    ("saddle-free-newton", {"lr": 0.8}, "rosenbrock"),
    ("damped-newton", {"mu": 10.0, "mu_dec": 0.5, "mu_inc": 3.0}, "rosenbrock"),
    ("adaptive-lr", {"lr": 0.07, "lr_inc": 1.2}, "ravine"),
    ("momentum-adaptive-lr", {"lr": 0.03, "momentum": 0.6, "lr_inc": 1.3}, "ravine"),
    ("momentum-adaptive-lr", {"lr": 0.001}, "rosenbrock"),
    ("bfgs", {"lr": 0.5, "c1": 0.01, "c2": 0.5}, "rosenbrock"),
    ("cg", {"lr": 2.0, "c2": 0.3, "restart": 3}, "ravine"),
    ("cg", {}, "rosenbrock"),
]


def ball(optimizer: str, start, hyper: dict | None = None, **options) -> BallSpec:
    return BallSpec("a", "#0072b2", optimizer, tuple((hyper or {}).items()), start, **options)


def explain_and_step(simulation: Simulation, particle: int = 0):
    """The explanation of the next step, checked: its summands are its step, the step the simulation takes."""
    before = simulation.state(0).positions[particle].copy()
    explanation = explain_next_step(simulation, 0, particle)
    assert np.array_equal(sum_of_summands(explanation.parts), explanation.step), explanation.optimizer
    simulation.step(1)
    after = simulation.state(0)
    if after.active[particle]:
        assert np.array_equal(after.step[particle], explanation.step)
        assert np.array_equal(after.positions[particle], before + explanation.step)
    return explanation


def parts_of(explanation) -> dict:
    """Parts by key (the last of a key: a method's two eigen-components share theirs; see ``components``)."""
    return {part.key: part for part in explanation.parts}


def components(explanation, key: str) -> list:
    return [part for part in explanation.parts if part.key == key]


@pytest.mark.parametrize("sigma", [0.0, 0.5], ids=["noiseless", "noisy"])
@pytest.mark.parametrize(("name", "hyper", "surface_name"), CASES,
                         ids=[f"{name}-{surface}-{i}" for i, (name, _, surface) in enumerate(CASES)])
def test_summands_are_the_step_at_steps_0_1_5_30_and_explaining_changes_nothing(name, hyper, surface_name, sigma):
    formula, start = SURFACES[surface_name]
    surface = build_surface(formula)
    spec = ball(name, start, hyper, noise=NoiseSettings(sigma=sigma))
    explained, plain = Simulation(surface, [spec], seed=4), Simulation(surface, [spec], seed=4)
    for step in range(31):
        if step in (0, 1, 5, 30):
            explain_and_step(explained)
        else:
            explained.step(1)
    plain.step(31)
    assert np.array_equal(explained.history(0).positions, plain.history(0).positions)


def test_a_noisy_swarms_particles_each_get_their_own_trials():
    # Five particles whose line searches take different numbers of trials: each particle's row.
    surface = build_surface(SURFACES["rosenbrock"][0])
    for name in ("bfgs", "cg", "damped-newton", "adaptive-lr"):
        spec = ball(name, (-1.0, 1.2), {"lr": 0.5} if name != "damped-newton" else {},
                    noise=NoiseSettings(sigma=2.0), particles=5, spread=0.3)
        simulation = Simulation(surface, [spec], seed=8)
        for step in range(4):
            explain_and_step(simulation, particle=(2 * step + 1) % 5)


# --- Newton, saddle-free Newton ------------------------------------------------------------------------

def test_newton_on_a_quadratic_is_exactly_minus_h_inverse_g_split_along_the_eigenvectors():
    # f = 2x^2 + 2xy + 3y^2 - x: H = [[4, 2], [2, 6]] everywhere; from (1, -1), g = (4 - 2 - 1, 2 - 6) = (1, -4).
    surface = build_surface("2*x^2 + 2*x*y + 3*y^2 - x")
    hessian, g = np.array([[4.0, 2.0], [2.0, 6.0]]), np.array([1.0, -4.0])
    simulation = Simulation(surface, [ball("newton", (1.0, -1.0), {"lr": 0.5})])
    explanation = explain_and_step(simulation)
    np.testing.assert_allclose(explanation.step, -0.5 * np.linalg.solve(hessian, g), rtol=1e-14)
    values, vectors = np.linalg.eigh(hessian)  # ascending, as the explainer's v1, v2
    eigen = parts_of(explanation)["eigen"]
    np.testing.assert_allclose([dict(eigen.numbers)["lambda_min"], dict(eigen.numbers)["lambda_max"]], values,
                               rtol=1e-14)
    for k in range(2):  # the same lines (an eigenvector's sign is arbitrary)
        assert abs(eigen.directions[:, k] @ vectors[:, k]) == pytest.approx(1.0, rel=1e-14)
    along = components(explanation, "newton")
    assert len(along) == 2 and all(part.summand for part in along)
    for k in range(2):
        v = vectors[:, k]
        np.testing.assert_allclose(along[k].vector, -0.5 * (v @ g) / values[k] * v, rtol=1e-13, atol=1e-15)
    # Head to tail from the ball; the full Newton step's target is the quadratic's minimum.
    np.testing.assert_array_equal(along[1].origin, along[0].origin + along[0].vector)
    target = parts_of(explanation)["newton_target"]
    np.testing.assert_allclose(target.points[0], np.linalg.solve(hessian, [1.0, 0.0]), rtol=1e-14)
    assert "minimum" in target.point_labels[0]


def test_newton_at_a_saddle_moves_uphill_along_the_negative_curvature():
    # f = x^2 - y^2 from (0.5, 0.3): g = (1, -0.6), H = diag(2, -2). Along x (lambda = 2) Newton moves
    # -1/2 = -0.5; along y (lambda = -2) it moves -(-0.6)/(-2) = -0.3: toward y = 0, but downhill is +y
    # (f = -y^2 falls as |y| grows). One step lands on the saddle, the target it marks.
    simulation = Simulation(build_surface("x^2 - y^2"), [ball("newton", (0.5, 0.3))])
    explanation = explain_and_step(simulation)
    v1, v2 = components(explanation, "newton")
    np.testing.assert_allclose(v1.vector, [0.0, -0.3], atol=1e-16)
    np.testing.assert_allclose(v2.vector, [-0.5, 0.0], atol=1e-16)
    g = np.array([1.0, -0.6])
    assert v1.vector @ g > 0.0 and v2.vector @ g < 0.0  # uphill along v1, downhill along v2
    assert "uphill" in v1.sentence and "saddle" in v1.sentence and "flips" in v1.sentence
    eigen = parts_of(explanation)["eigen"]
    # The signed length along v1 is the component's length 0.3, signed by v1's orientation.
    assert dict(v1.numbers)["lambda_1"] == -2.0
    assert dict(v1.numbers)["step along v1"] == pytest.approx(eigen.directions[:, 0] @ v1.vector, rel=1e-15)
    assert abs(dict(v1.numbers)["step along v1"]) == pytest.approx(0.3, rel=1e-15)
    assert "saddle" in eigen.sentence and eigen.direction_labels[0].startswith("lambda = -2")
    target = parts_of(explanation)["newton_target"]
    np.testing.assert_allclose(target.points[0], [0.0, 0.0], atol=1e-16)
    assert "saddle" in target.point_labels[0]
    np.testing.assert_allclose(simulation.state(0).positions[0], [0.0, 0.0], atol=1e-16)


def test_saddle_free_newton_at_the_same_point_moves_downhill_along_both():
    # The same point: |H| = diag(2, 2), so the step is -g / 2 = (-0.5, +0.3): away from the saddle.
    simulation = Simulation(build_surface("x^2 - y^2"), [ball("saddle-free-newton", (0.5, 0.3))])
    explanation = explain_and_step(simulation)
    v1, v2 = components(explanation, "saddle_free_step")
    np.testing.assert_allclose(v1.vector, [0.0, 0.3], atol=1e-16)
    np.testing.assert_allclose(v2.vector, [-0.5, 0.0], atol=1e-16)
    g = np.array([1.0, -0.6])
    assert v1.vector @ g < 0.0 and v2.vector @ g < 0.0
    assert "downhill" in v1.sentence and "uphill toward the saddle" in v1.sentence
    absolute = parts_of(explanation)["saddle_free"]
    assert dict(absolute.numbers)["|lambda_1|"] == 2.0 and dict(absolute.numbers)["|lambda_2|"] == 2.0
    np.testing.assert_allclose(explanation.step, [-0.5, 0.3], atol=1e-16)


def test_saddle_free_newton_divides_weak_curvature_by_the_damping():
    # f = x^2 + 0.001 y^2 at (0, 2): lambda = 0.002 < damping 0.1, so the step along y is -g_y / 0.1 = -0.04.
    simulation = Simulation(build_surface("x^2 + 0.001*y^2"),
                            [ball("saddle-free-newton", (0.0, 2.0), {"damping": 0.1})])
    explanation = explain_and_step(simulation)
    v1 = components(explanation, "saddle_free_step")[0]
    np.testing.assert_allclose(v1.vector, [0.0, -0.04], rtol=1e-14, atol=1e-18)
    assert "damping" in v1.sentence and dict(v1.numbers)["|lambda_1| used"] == 0.1


# --- damped Newton ---------------------------------------------------------------------------------------

def test_damped_newtons_trials_raise_mu_until_f_drops():
    # On sqrt(1 + x^2) + y^2 at x = 2 the curvature 5^-1.5 is weak: the trials with mu = 1e-6, ..., 0.1
    # all raise f; mu = 1 is the first to lower it (tests/physics/test_optimizers_second_order.py).
    simulation = Simulation(build_surface("sqrt(1 + x^2) + y^2"), [ball("damped-newton", (2.0, 0.0), {"mu": 1e-6})])
    explanation = explain_and_step(simulation)
    trials = parts_of(explanation)["accept"]
    assert trials.points.shape == (7, 2)
    assert [label.split(":")[0] for label in trials.point_labels] == [
        f"mu = {m}" for m in ("1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1")]
    assert all(label.endswith("rejected") for label in trials.point_labels[:6])
    assert trials.point_labels[6].endswith("accepted")
    gradient, curvature = 2.0 / np.sqrt(5.0), 5.0 ** -1.5
    np.testing.assert_allclose(explanation.step, [-gradient / (curvature + 1.0), 0.0], rtol=1e-12)
    np.testing.assert_allclose(trials.points[6], [2.0 - gradient / (curvature + 1.0), 0.0], rtol=1e-12)
    assert dict(trials.numbers)["mu next"] == pytest.approx(0.1, rel=1e-12)
    along = components(explanation, "damped_newton")
    assert len(along) == 2 and "lambda + shift + mu" in along[0].sentence


def test_damped_newton_reflects_negative_curvature():
    # cos(3x) + 0.1 y^2 at x = 0.01: lambda_min = -9 cos(0.03) < 0, so shift = 2 |lambda_min|.
    simulation = Simulation(build_surface("cos(3*x) + 0.1*y^2"), [ball("damped-newton", (0.01, 0.0), {"mu": 1e-4})])
    explanation = explain_and_step(simulation)
    damping = parts_of(explanation)["damping"]
    assert dict(damping.numbers)["shift"] == pytest.approx(18.0 * np.cos(0.03), rel=1e-12)
    assert "reflects" in damping.sentence
    np.testing.assert_allclose(explanation.step, [3.0 * np.sin(0.03) / (9.0 * np.cos(0.03) + 1e-4), 0.0], rtol=1e-12)


# --- traingda, traingdx ----------------------------------------------------------------------------------

def test_traingda_rejects_a_step_that_raises_the_loss_and_shrinks_its_rate():
    # f = x^2 + y^2 from (1, 1), lr 1.2: the trial -1.2 (2, 2) lands at (-1.4, -1.4), f = 3.92 above the
    # limit 2 + 0.04 * 2 = 2.08: rejected, the ball stays, lr -> 1.2 * 0.7 = 0.84. Next, the trial
    # -0.84 (2, 2) reaches (-0.68, -0.68), f = 0.9248 < 2: accepted, lr -> 0.84 * 1.05.
    simulation = Simulation(build_surface("x^2 + y^2"), [ball("adaptive-lr", (1.0, 1.0), {"lr": 1.2})])
    rejected = explain_and_step(simulation)
    parts = parts_of(rejected)
    assert "accept" not in parts
    numbers = dict(parts["reject"].numbers)
    assert numbers["f before"] == 2.0 and numbers["f after"] == pytest.approx(3.92, rel=1e-14)
    assert numbers["limit"] == pytest.approx(2.08, rel=1e-14)
    np.testing.assert_allclose(parts["reject"].points[0], [-1.4, -1.4], rtol=1e-14)
    assert parts["reject"].point_labels == ("trial: rejected",) and "rejected" in parts["reject"].sentence
    assert dict(parts["rate"].numbers)["lr next"] == pytest.approx(0.84, rel=1e-14)
    assert [part.key for part in rejected.summands()] == ["step"]
    np.testing.assert_array_equal(rejected.step, [0.0, 0.0])
    accepted = explain_and_step(simulation)
    parts = parts_of(accepted)
    assert parts["accept"].point_labels == ("trial: accepted",)
    np.testing.assert_allclose(accepted.step, [-1.68, -1.68], rtol=1e-14)
    assert dict(parts["rate"].numbers)["lr next"] == pytest.approx(0.84 * 1.05, rel=1e-14)


def test_traingdx_keeps_mc_of_the_last_change_and_adds_one_minus_mc_of_the_gradient_step():
    # f = x^2 + y^2 from (1, 1), lr 0.1, mc 0.9. Step 1: dX_prev starts as -lr g = (-0.2, -0.2): kept
    # 0.9 * that = (-0.18, -0.18), added 0.1 * (-0.2, -0.2) = (-0.02, -0.02); accepted, lr -> 0.105.
    # Step 2 at (0.8, 0.8), g = (1.6, 1.6): kept 0.9 * (-0.2) = -0.18, added 0.1 * (-0.105 * 1.6) = -0.0168.
    simulation = Simulation(build_surface("x^2 + y^2"), [ball("momentum-adaptive-lr", (1.0, 1.0), {"lr": 0.1})])
    first = explain_and_step(simulation)
    assert [part.key for part in first.summands()] == ["momentum_decay", "momentum_add"]
    parts = parts_of(first)
    np.testing.assert_allclose(parts["momentum_decay"].vector, [-0.18, -0.18], rtol=1e-14)
    np.testing.assert_allclose(parts["momentum_add"].vector, [-0.02, -0.02], rtol=1e-14)
    assert "first step" in parts["momentum_decay"].sentence
    second = parts_of(explain_and_step(simulation))
    np.testing.assert_allclose(second["momentum_decay"].vector, [-0.18, -0.18], rtol=1e-14)
    np.testing.assert_allclose(second["momentum_add"].vector, [-0.0168, -0.0168], rtol=1e-13)
    assert dict(second["momentum_add"].numbers)["lr"] == pytest.approx(0.105, rel=1e-14)


def test_traingdx_rejection_leaves_its_terms_as_context_and_resets_the_momentum():
    # lr 1.2 from (1, 1) on x^2 + y^2: dX = -1.2 (2, 2) = (-2.4, -2.4) (first step: mc dX + (1 - mc) dX),
    # f(-1.4, -1.4) = 3.92 > 2.08: rejected; the momentum restarts as -0.84 (2, 2).
    simulation = Simulation(build_surface("x^2 + y^2"),
                            [ball("momentum-adaptive-lr", (1.0, 1.0), {"lr": 1.2, "momentum": 0.5})])
    explanation = explain_and_step(simulation)
    parts = parts_of(explanation)
    assert not parts["momentum_decay"].summand and not parts["momentum_add"].summand
    assert [part.key for part in explanation.summands()] == ["step"]
    np.testing.assert_array_equal(explanation.step, [0.0, 0.0])
    np.testing.assert_allclose(dict(parts["step"].numbers)["dX_prev next"], (-1.68, -1.68), rtol=1e-14)
    # Next step: the kept term is mc times that restart, and says so.
    after = parts_of(explain_and_step(simulation))
    np.testing.assert_allclose(after["momentum_decay"].vector, [-0.84, -0.84], rtol=1e-14)
    assert "rejected, so momentum restarted" in after["momentum_decay"].sentence


# --- BFGS, CG --------------------------------------------------------------------------------------------

def test_bfgs_first_step_then_learns_the_curvature_from_s_and_y():
    # x^2 + y^2 from (3, 4): step 1 searches -g = (-6, -8) from alpha = 1/14 (accepted at once). Then
    # s = (-6, -8)/14, y = 2 s: s.y > 0, H = (y.s / y.y) I = I / 2, which the update keeps (H y = s
    # already), so d = -H g = -p and alpha = 1 reaches the minimum.
    simulation = Simulation(build_surface("x^2 + y^2"), [ball("bfgs", (3.0, 4.0))])
    first = parts_of(explain_and_step(simulation))
    assert "first step" in first["bfgs_update"].sentence
    search = first["line_search"]
    assert search.point_labels == ("alpha = 0.0714: accepted (both Wolfe conditions)",)
    np.testing.assert_allclose(search.points[0], [3.0 - 6.0 / 14.0, 4.0 - 8.0 / 14.0], rtol=1e-15)
    assert dict(search.numbers)["c1"] == 1e-4 and dict(search.numbers)["c2"] == 0.9
    second = explain_and_step(simulation)
    parts = parts_of(second)
    update = parts["bfgs_update"]
    numbers = dict(update.numbers)
    s = np.array([-6.0, -8.0]) / 14.0
    np.testing.assert_allclose(numbers["s"], s, rtol=1e-14)
    np.testing.assert_allclose(numbers["s.y"], 2.0 * s @ s, rtol=1e-14)
    np.testing.assert_allclose([numbers["H after row 1"], numbers["H after row 2"]], 0.5 * np.eye(2), atol=1e-15)
    assert "curvature condition holds" in update.sentence and "0.5 I" in update.sentence
    np.testing.assert_allclose(second.step, -simulation.history(0).positions[1], rtol=1e-14)
    np.testing.assert_allclose(simulation.state(0).positions[0], [0.0, 0.0], atol=1e-14)


def test_bfgs_says_when_the_curvature_condition_fails():
    # Heavy noise on a bowl: some steps see y.s <= 0 and skip the update, H kept as it was.
    simulation = Simulation(build_surface("x^2 + y^2"), [ball("bfgs", (1.0, 1.0), noise=NoiseSettings(sigma=3.0))],
                            seed=1)
    skipped = []
    for _ in range(25):
        update = parts_of(explain_and_step(simulation))["bfgs_update"]
        if "fails" in update.sentence:
            skipped.append(dict(update.numbers))
    assert skipped
    for numbers in skipped:
        assert numbers["s.y"] <= 1e-10 * np.hypot(*numbers["s"]) * np.hypot(*numbers["y"])
        assert numbers["H before row 1"] == numbers["H after row 1"]
        assert numbers["H before row 2"] == numbers["H after row 2"]


def test_cg_beta_by_hand_and_restarts():
    # The ravine 0.5 (x^2 + 25 y^2), restart 2: step 1 is a restart (no last direction); step 2 mixes:
    # beta = g1.(g1 - g0) / |g0|^2 with g = (x, 25 y) at the recorded positions; step 3 restarts (every
    # 2 steps). Two CG steps with line searches this close to exact reach a quadratic's minimum.
    simulation = Simulation(build_surface(SURFACES["ravine"][0]), [ball("cg", SURFACES["ravine"][1])])
    first = parts_of(explain_and_step(simulation))
    assert "first step" in first["cg_direction"].sentence and "restart" in first["cg_direction"].sentence.lower()
    second = parts_of(explain_and_step(simulation))
    positions = simulation.history(0).positions
    g0, g1 = positions[0] * [1.0, 25.0], positions[1] * [1.0, 25.0]
    beta = g1 @ (g1 - g0) / (g0 @ g0)
    assert dict(second["cg_direction"].numbers)["beta"] == pytest.approx(beta, rel=1e-9)
    assert "cg_beta" in second and "Polak-Ribiere" in second["cg_direction"].sentence
    third = parts_of(explain_and_step(simulation))
    assert "restarts every 2 steps" in third["cg_direction"].sentence
    np.testing.assert_allclose(positions[2], [0.0, 0.0], atol=1e-6)
