"""The explainer's terms: the updates split into named terms (sgd_terms, rmsprop_terms, adam_terms) stay
within rounding of torch.optim's own formulas, and the adaptive methods' parts carry hand-derived numbers."""

from __future__ import annotations

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.explain import explain_next_step, sum_of_summands
from physics.optimizers.base import get_optimizer
from physics.optimizers.trajectory import trajectory
from physics.simulation import Simulation
from surfaces.surface import build_surface

LANDSCAPES = [("0.5*(x^2 + 25*y^2)", (1.5, -0.8), 1.0), ("(1 - x)^2 + 100*(y - x^2)^2", (-1.2, 1.0), 0.02)]


def torch_sgd(surface, start, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    """torch.optim.SGD's loop, written out as torch computes it: step = -lr * (one direction vector)."""
    p = np.array(start, dtype=np.float64)
    buffer = None
    out = [p.copy()]
    for _ in range(steps):
        g = surface.evaluate(p[None, :]).gradient[0]
        if weight_decay:
            g = g + weight_decay * p
        if momentum:
            buffer = g.copy() if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        p = p + -lr * g
        out.append(p.copy())
    return np.array(out)


def torch_rmsprop(surface, start, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    """torch.optim.RMSprop's loop as torch computes it (the momentum step -lr * b in one product)."""
    p = np.array(start, dtype=np.float64)
    v, g_avg, buffer = np.zeros(2), np.zeros(2), np.zeros(2)
    out = [p.copy()]
    for _ in range(steps):
        g = surface.evaluate(p[None, :]).gradient[0]
        if weight_decay:
            g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            g_avg = alpha * g_avg + (1 - alpha) * g
            avg = np.sqrt(v - g_avg * g_avg) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum:
            buffer = momentum * buffer + g / avg
            p = p + -lr * buffer
        else:
            p = p + -lr * (g / avg)
        out.append(p.copy())
    return np.array(out)


CASES = [
    ("gd", {"lr": 0.03, "weight_decay": 0.1}, torch_sgd, {}),
    ("sgd", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, torch_sgd, {}),
    ("momentum", {"lr": 0.01}, torch_sgd, {}),
    ("nesterov", {"lr": 0.01, "weight_decay": 0.02}, torch_sgd, {"nesterov": True}),
    ("rmsprop", {"lr": 0.003, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}, torch_rmsprop,
     {}),
]


@pytest.mark.parametrize("formula, start, scale", LANDSCAPES, ids=["ravine", "rosenbrock"])
@pytest.mark.parametrize("name, values, reference, extra", CASES, ids=[case[0] for case in CASES])
def test_the_split_steps_stay_within_rounding_of_torchs_formulas(formula, start, scale, name, values, reference,
                                                                   extra):
    surface = build_surface(formula)
    spec = get_optimizer(name)
    settings = spec.settings({**values, "lr": values["lr"] * scale})
    ours, _ = trajectory(spec.make(settings), surface, np.array([start]), 25)
    theirs = reference(surface, start, 25, **{**settings, **extra})
    # (the torch test's tolerance, tests/physics/test_optimizers_torch.py, which runs where torch is)
    np.testing.assert_allclose(ours[:, 0], theirs, rtol=1e-12, atol=1e-13)
    assert np.abs(theirs[-1] - theirs[0]).max() > 1e-3


def ball(optimizer: str, start, **hyper) -> BallSpec:
    return BallSpec("a", "#0072b2", optimizer, tuple(hyper.items()), start)


def parts_of(simulation: Simulation) -> dict:
    explanation = explain_next_step(simulation, 0)
    assert np.array_equal(sum_of_summands(explanation.parts), explanation.step)
    return {part.key: part for part in explanation.parts}


def test_adams_first_step_by_hand():
    # f = x^2 + 3 y^2 at (1, 1): g = (2, 6). Step 1: m = 0.1 g = (0.2, 0.6), v = 0.001 g^2 = (0.004, 0.036);
    # bias corrections 1 - 0.9 = 0.1 and 1 - 0.999 = 0.001, so m^ = g and v^ = g^2, and the step is
    # -lr g / (|g| + eps) = about (-lr, -lr).
    simulation = Simulation(build_surface("x^2 + 3*y^2"), [ball("adam", (1.0, 1.0), lr=0.1)])
    parts = parts_of(simulation)
    numbers = dict(parts["moments"].numbers)
    assert np.allclose(numbers["m"], (0.2, 0.6), rtol=1e-15) and np.allclose(numbers["v"], (0.004, 0.036), rtol=1e-12)
    correction = dict(parts["bias_correction"].numbers)
    assert correction["t"] == 1.0
    assert correction["1 - beta1^t"] == pytest.approx(0.1, rel=1e-15)
    assert correction["1 - beta2^t"] == pytest.approx(0.001, rel=1e-12)
    assert np.allclose(correction["m^"], (2.0, 6.0), rtol=1e-14) and np.allclose(correction["v^"], (4.0, 36.0))
    assert np.allclose(dict(parts["scaling"].numbers)["rate"], (0.1 / 2, 0.1 / 6), rtol=1e-7)
    assert np.allclose(parts["step"].vector, (-0.1, -0.1), rtol=1e-7)
    assert [key for key, part in parts.items() if part.summand] == ["step"]
    squares = dict(parts["moments"].squares)
    assert np.allclose(squares["sqrt(v): the typical size of g"], np.sqrt([0.004, 0.036]), rtol=1e-12)
    assert np.allclose(squares["|m|: the mean of g"], (0.2, 0.6), rtol=1e-15)


def test_adamws_decoupled_decay_is_its_own_term_by_hand():
    # AdamW at (1, 1), lr 0.1, weight_decay 0.5: the decay term is -(lr * wd) p = (-0.05, -0.05), drawn
    # after Adam's step, from its head.
    simulation = Simulation(build_surface("x^2 + 3*y^2"), [ball("adamw", (1.0, 1.0), lr=0.1, weight_decay=0.5)])
    parts = parts_of(simulation)
    assert [key for key, part in parts.items() if part.summand] == ["adam_step", "weight_decay"]
    assert np.array_equal(parts["weight_decay"].vector, [-0.05, -0.05])
    assert np.array_equal(parts["weight_decay"].origin, np.array([1.0, 1.0]) + parts["adam_step"].vector)


def test_adagrads_sum_of_squares_and_decayed_rate_by_hand():
    # g = (2, 6) at (1, 1); two steps later the sum holds g0^2 + g1^2 + g2^2; with lr_decay 0.5 the rate
    # at step 3 is lr / (1 + 2 * 0.5) = lr / 2.
    simulation = Simulation(build_surface("x^2 + 3*y^2"), [ball("adagrad", (1.0, 1.0), lr=0.1, lr_decay=0.5)])
    first = parts_of(simulation)
    assert np.array_equal(dict(first["moments"].numbers)["sum after"], (4.0, 36.0))
    simulation.step(2)
    gradients = simulation.history(0).gradient
    parts = parts_of(simulation)
    expected = (gradients ** 2).sum(axis=0)
    assert np.allclose(dict(parts["moments"].numbers)["sum after"], expected, rtol=1e-15)
    assert dict(parts["scaling"].numbers)["current lr"] == pytest.approx(0.05, rel=1e-15)
    assert "0.05 at step 3" in parts["scaling"].sentence


def test_rmsprops_momentum_terms_by_hand():
    # RMSProp, alpha 0.5, momentum 0.5 at (1, 1), g = (2, 6): v = 0.5 g^2 = (2, 18), so g / sqrt(v) =
    # sqrt(2) (1, 1) (eps aside); the first buffer is that, and the decay term is zero.
    simulation = Simulation(build_surface("x^2 + 3*y^2"),
                            [ball("rmsprop", (1.0, 1.0), lr=0.1, alpha=0.5, momentum=0.5, eps=1e-12)])
    parts = parts_of(simulation)
    assert np.array_equal(dict(parts["moments"].numbers)["v"], (2.0, 18.0))
    assert np.array_equal(parts["momentum_decay"].vector, [0.0, 0.0])
    assert np.allclose(parts["momentum_add"].vector, -0.1 * np.sqrt(2.0) * np.ones(2), rtol=1e-11)
    simulation.step(1)
    parts = parts_of(simulation)
    assert np.allclose(parts["momentum_decay"].vector, -0.1 * 0.5 * np.sqrt(2.0) * np.ones(2), rtol=1e-11)


def test_rprops_sign_rule_in_words_and_numbers():
    # f = x^2 + 3 y^2 from (0.05, 1), lr 0.1, etas (0.5, 1.2): step 1 x moves to -0.05 (the gradient's sign
    # in x flips), y to 0.9 (keeps its sign). Step 2: x's size halves to 0.05 and x waits; y's grows to 0.12.
    simulation = Simulation(build_surface("x^2 + 3*y^2"), [ball("rprop", (0.05, 1.0), lr=0.1)])
    first = parts_of(simulation)
    assert "no sign to compare yet" in first["sign_rule"].sentence
    simulation.step(1)
    parts = parts_of(simulation)
    numbers = dict(parts["sign_rule"].numbers)
    assert np.allclose(numbers["step size now"], (0.05, 0.12), rtol=1e-15)
    sentence = parts["sign_rule"].sentence
    assert "In x the gradient changed sign" in sentence and "x waits" in sentence
    assert "In y the gradient kept its sign" in sentence and "grows by eta+ = 1.2, to 0.12" in sentence
    assert parts["step"].vector[0] == 0.0 and parts["step"].vector[1] == pytest.approx(-0.12, rel=1e-15)
