"""The first-order optimisers against torch.optim's documented algorithms, transcribed independently.

Each reference below is a plain-Python loop over the two coordinates, in float64 scalars, that
copies the pseudo-code of torch.optim's documentation line by line (SGD, Adagrad, RMSprop, Adam,
AdamW, Rprop). Trajectories of 20 steps on an ill-conditioned bowl and on Rosenbrock's valley must
agree with the vectorised implementations to 1e-12. Single steps are also derived by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics.optimizers.base import get_optimizer
from physics.optimizers.trajectory import trajectory
from physics.oracle import SurfaceOracle
from surfaces.surface import build_surface

STEPS = 20


@pytest.fixture(scope="module")
def surfaces():
    return {
        "ravine": (build_surface("0.5*(x^2 + 25*y^2)"), (1.5, -0.8)),
        "rosenbrock": (build_surface("(1 - x)^2 + 100*(y - x^2)^2"), (-1.2, 1.0)),
    }


def gradient_function(surface):
    def gradient(p):
        g = surface.evaluate(np.array([p], dtype=float)).gradient[0]
        return [float(g[0]), float(g[1])]
    return gradient


# --- references: torch.optim's documented algorithms, per coordinate ----------------------------------

def reference_sgd(gradient, p0, steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, b, out = list(p0), [0.0, 0.0], [tuple(p0)]
    for t in range(1, steps + 1):
        grad = gradient(p)
        for i in range(2):
            g = grad[i]
            if weight_decay != 0:
                g = g + weight_decay * p[i]
            if momentum != 0:
                if t > 1:
                    b[i] = momentum * b[i] + (1 - dampening) * g
                else:
                    b[i] = g
                if nesterov:
                    g = g + momentum * b[i]
                else:
                    g = b[i]
            p[i] = p[i] - lr * g
        out.append(tuple(p))
    return np.array(out)


def reference_adagrad(gradient, p0, steps, lr, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                      eps=1e-10):
    p, state_sum, out = list(p0), [initial_accumulator_value] * 2, [tuple(p0)]
    for t in range(1, steps + 1):
        grad = gradient(p)
        clr = lr / (1 + (t - 1) * lr_decay)
        for i in range(2):
            g = grad[i]
            if weight_decay != 0:
                g = g + weight_decay * p[i]
            state_sum[i] = state_sum[i] + g * g
            p[i] = p[i] - clr * g / (math.sqrt(state_sum[i]) + eps)
        out.append(tuple(p))
    return np.array(out)


def reference_rmsprop(gradient, p0, steps, lr, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                      centered=False):
    p, v, g_ave, b, out = list(p0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [tuple(p0)]
    for _ in range(steps):
        grad = gradient(p)
        for i in range(2):
            g = grad[i]
            if weight_decay != 0:
                g = g + weight_decay * p[i]
            v[i] = alpha * v[i] + (1 - alpha) * g * g
            v_tilde = v[i]
            if centered:
                g_ave[i] = g_ave[i] * alpha + (1 - alpha) * g
                v_tilde = v_tilde - g_ave[i] ** 2
            if momentum > 0:
                b[i] = momentum * b[i] + g / (math.sqrt(v_tilde) + eps)
                p[i] = p[i] - lr * b[i]
            else:
                p[i] = p[i] - lr * g / (math.sqrt(v_tilde) + eps)
        out.append(tuple(p))
    return np.array(out)


def reference_adam(gradient, p0, steps, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False,
                   decoupled=False):
    beta1, beta2 = betas
    p, m, v, v_max, out = list(p0), [0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [tuple(p0)]
    for t in range(1, steps + 1):
        grad = gradient(p)
        for i in range(2):
            g = grad[i]
            if decoupled:
                p[i] = p[i] - lr * weight_decay * p[i]
            elif weight_decay != 0:
                g = g + weight_decay * p[i]
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1 ** t)
            if amsgrad:
                v_max[i] = max(v_max[i], v[i])
                v_hat = v_max[i] / (1 - beta2 ** t)
            else:
                v_hat = v[i] / (1 - beta2 ** t)
            p[i] = p[i] - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(tuple(p))
    return np.array(out)


def reference_rprop(gradient, p0, steps, lr, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0), events=None):
    etaminus, etaplus = etas
    step_min, step_max = step_sizes
    p, prev, eta, out = list(p0), [0.0, 0.0], [lr, lr], [tuple(p0)]
    for _ in range(steps):
        grad = gradient(p)
        for i in range(2):
            g = grad[i]
            if prev[i] * g > 0:
                eta[i] = min(eta[i] * etaplus, step_max)
                if events is not None and eta[i] == step_max:
                    events.add("clamp-max")
            elif prev[i] * g < 0:
                eta[i] = max(eta[i] * etaminus, step_min)
                g = 0.0
                if events is not None:
                    events.add("sign-change")
                    if eta[i] == step_min:
                        events.add("clamp-min")
            p[i] = p[i] - eta[i] * (1.0 if g > 0 else -1.0 if g < 0 else 0.0)
            prev[i] = g
        out.append(tuple(p))
    return np.array(out)


def ours(name, surface, start, steps=STEPS, **settings):
    positions, _ = trajectory(get_optimizer(name).create(**settings), surface, np.array([start]), steps)
    return positions[:, 0]


def assert_same_path(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-12)
    assert np.abs(expected[-1] - expected[0]).max() > 1e-3, "the path should move"


# --- SGD and its aliases -------------------------------------------------------------------------------

SGD_CASES = [
    ("sgd", {}),
    ("sgd", {"lr": 0.03}),
    ("gd", {"lr": 0.03, "weight_decay": 0.1}),
    ("sgd", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("momentum", {"lr": 0.01}),
    ("momentum", {"lr": 0.005, "momentum": 0.6, "dampening": 0.5}),
    ("nesterov", {"lr": 0.01}),
    ("sgd", {"lr": 0.01, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True}),
]


@pytest.mark.parametrize("surface_name", ["ravine", "rosenbrock"])
@pytest.mark.parametrize("name, settings", SGD_CASES)
def test_sgd_family_matches_torch_algorithm(surfaces, surface_name, name, settings):
    surface, start = surfaces[surface_name]
    # Rosenbrock's curvature at the start is about 1500: keep lr * lambda_max well under 2.
    lr = 4e-4 if surface_name == "rosenbrock" else settings.get("lr", 1e-3)
    values = {**get_optimizer(name).defaults(), **settings, "lr": lr}
    expected = reference_sgd(gradient_function(surface), start, STEPS, lr, values.get("momentum", 0.0),
                             values.get("dampening", 0.0), values.get("weight_decay", 0.0),
                             values.get("nesterov", name == "nesterov"))
    assert_same_path(ours(name, surface, start, **{**settings, "lr": lr}), expected)


def test_first_momentum_step_takes_the_gradient_undampened(surfaces):
    surface, start = surfaces["ravine"]
    oracle = SurfaceOracle(surface)
    p = np.array([start])
    g1 = oracle.gradient(p)
    optimizer = get_optimizer("sgd").create(lr=0.1, momentum=0.9, dampening=0.5)
    step1, state = optimizer.update(g1, optimizer.init(p), p, oracle)
    np.testing.assert_array_equal(step1, -0.1 * g1)  # b_1 = g_1: no (1 - dampening) on the first step
    p2 = p + step1
    g2 = oracle.gradient(p2)
    step2, _ = optimizer.update(g2, state, p2, oracle)
    np.testing.assert_allclose(step2, -0.1 * (0.9 * g1 + 0.5 * g2), rtol=1e-15)


def test_nesterov_step_looks_ahead_along_the_buffer(surfaces):
    surface, start = surfaces["ravine"]
    oracle = SurfaceOracle(surface)
    p = np.array([start])
    g = oracle.gradient(p)
    optimizer = get_optimizer("nesterov").create(lr=0.1, momentum=0.9)
    step, _ = optimizer.update(g, optimizer.init(p), p, oracle)
    np.testing.assert_allclose(step, -0.1 * (g + 0.9 * g), rtol=1e-15)  # b_1 = g, step along g + mu b


# --- Adagrad ---------------------------------------------------------------------------------------------

ADAGRAD_CASES = [
    {},
    {"lr": 0.1, "lr_decay": 0.05},
    {"lr": 0.2, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6},
]


@pytest.mark.parametrize("surface_name", ["ravine", "rosenbrock"])
@pytest.mark.parametrize("settings", ADAGRAD_CASES)
def test_adagrad_matches_torch_algorithm(surfaces, surface_name, settings):
    surface, start = surfaces[surface_name]
    values = {**get_optimizer("adagrad").defaults(), **settings}
    expected = reference_adagrad(gradient_function(surface), start, STEPS, **values)
    assert_same_path(ours("adagrad", surface, start, **settings), expected)


def test_first_adagrad_step_is_lr_times_the_sign(surfaces):
    surface, start = surfaces["ravine"]
    oracle = SurfaceOracle(surface)
    p = np.array([start])
    g = oracle.gradient(p)
    optimizer = get_optimizer("adagrad").create(lr=0.3)
    step, _ = optimizer.update(g, optimizer.init(p), p, oracle)
    np.testing.assert_allclose(step, -0.3 * g / (np.abs(g) + 1e-10), rtol=1e-15)


# --- RMSprop -------------------------------------------------------------------------------------------

RMSPROP_CASES = [
    {},
    {"lr": 0.005, "momentum": 0.7},
    {"lr": 0.005, "alpha": 0.9, "centered": True},
    {"lr": 0.003, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01, "eps": 1e-6},
]


@pytest.mark.parametrize("surface_name", ["ravine", "rosenbrock"])
@pytest.mark.parametrize("settings", RMSPROP_CASES)
def test_rmsprop_matches_torch_algorithm(surfaces, surface_name, settings):
    surface, start = surfaces[surface_name]
    values = {**get_optimizer("rmsprop").defaults(), **settings}
    expected = reference_rmsprop(gradient_function(surface), start, STEPS, **values)
    assert_same_path(ours("rmsprop", surface, start, **settings), expected)


def test_first_rmsprop_step_divides_by_the_root_of_one_minus_alpha(surfaces):
    surface, start = surfaces["ravine"]
    oracle = SurfaceOracle(surface)
    p = np.array([start])
    g = oracle.gradient(p)
    optimizer = get_optimizer("rmsprop").create(lr=0.01, alpha=0.99)
    step, _ = optimizer.update(g, optimizer.init(p), p, oracle)
    # v_1 = 0.01 g^2, so the step is -lr g / (0.1 |g| + eps): about ten times lr per coordinate.
    np.testing.assert_allclose(step, -0.01 * g / (0.1 * np.abs(g) + 1e-8), rtol=1e-14)
    centred = get_optimizer("rmsprop").create(lr=0.01, alpha=0.99, centered=True)
    step, _ = centred.update(g, centred.init(p), p, oracle)
    # Centred: v~_1 = 0.01 g^2 - (0.01 g)^2 = 0.0099 g^2.
    np.testing.assert_allclose(step, -0.01 * g / (math.sqrt(0.0099) * np.abs(g) + 1e-8), rtol=1e-14)


# --- Adam and AdamW --------------------------------------------------------------------------------------

ADAM_CASES = [
    ("adam", {}),
    ("adam", {"lr": 0.05}),
    ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.01}),
    ("adam", {"lr": 0.02, "eps": 1e-3}),
    ("adamw", {"lr": 0.05}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.5, "amsgrad": True}),
]


@pytest.mark.parametrize("surface_name", ["ravine", "rosenbrock"])
@pytest.mark.parametrize("name, settings", ADAM_CASES)
def test_adam_family_matches_torch_algorithm(surfaces, surface_name, name, settings):
    surface, start = surfaces[surface_name]
    values = {**get_optimizer(name).defaults(), **settings}
    expected = reference_adam(gradient_function(surface), start, STEPS, **values, decoupled=name == "adamw")
    assert_same_path(ours(name, surface, start, **settings), expected)


def test_amsgrad_changes_the_path(surfaces):
    """Guards the amsgrad case above against being vacuous: the running maximum must matter."""
    surface, start = surfaces["ravine"]
    plain = ours("adam", surface, start, lr=0.05, betas=(0.8, 0.99))
    amsgrad = ours("adam", surface, start, lr=0.05, betas=(0.8, 0.99), amsgrad=True)
    assert np.abs(plain - amsgrad).max() > 1e-4  # vastly more than the 1e-12 agreement demanded above


def test_first_adam_step_is_lr_g_over_abs_g_plus_eps(surfaces):
    surface, start = surfaces["rosenbrock"]
    oracle = SurfaceOracle(surface)
    p = np.array([start, (0.3, 0.2)])
    g = oracle.gradient(p)
    optimizer = get_optimizer("adam").create(lr=0.01, eps=1e-3)
    step, _ = optimizer.update(g, optimizer.init(p), p, oracle)
    # m^_1 = g and v^_1 = g^2 exactly (bias corrections), so the step is -lr g / (|g| + eps).
    np.testing.assert_allclose(step, -0.01 * g / (np.abs(g) + 1e-3), rtol=1e-14)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_particles_with_different_step_counts_each_take_their_own_bias_corrections(amsgrad):
    # A ball whose stopped particles kept their state holds several step counts at once; each
    # particle's step is torch's scalar formula for its own t (written out here in Python floats).
    lr, beta1, beta2, eps = 0.03, 0.8, 0.95, 1e-6
    rng = np.random.default_rng(3)
    counts = np.array([0, 3, 3, 3, 11, 0, 250, 3])
    n = counts.size
    g, m, v = rng.normal(size=(n, 2)), rng.normal(size=(n, 2)), rng.random((n, 2))
    v_max = v + rng.random((n, 2))
    optimizer = get_optimizer("adam").create(lr=lr, betas=(beta1, beta2), eps=eps, amsgrad=amsgrad)
    state = optimizer.init(np.zeros((n, 2)))._replace(exp_avg=m, exp_avg_sq=v, max_exp_avg_sq=v_max, step=counts)
    step, new = optimizer.update(g, state, np.zeros((n, 2)))
    for i in range(n):
        t = int(counts[i]) + 1
        bias_correction1, bias_correction2 = 1 - beta1 ** t, 1 - beta2 ** t
        for k in range(2):
            m_t = beta1 * m[i, k] + (1 - beta1) * g[i, k]
            v_t = beta2 * v[i, k] + (1 - beta2) * g[i, k] ** 2
            second = max(v_max[i, k], v_t) if amsgrad else v_t
            expected = -lr / bias_correction1 * m_t / (math.sqrt(second) / math.sqrt(bias_correction2) + eps)
            assert step[i, k] == pytest.approx(expected, rel=1e-14)
            assert new.exp_avg[i, k] == pytest.approx(m_t, rel=1e-15)
        assert new.step[i] == t and new.bias_correction1[i] == bias_correction1


def test_adamw_decays_the_weights_before_the_adam_step(surfaces):
    surface, start = surfaces["ravine"]
    oracle = SurfaceOracle(surface)
    p = np.array([start])
    g = oracle.gradient(p)
    optimizer = get_optimizer("adamw").create(lr=0.1, weight_decay=0.2)
    step, _ = optimizer.update(g, optimizer.init(p), p, oracle)
    np.testing.assert_allclose(step, -0.1 * 0.2 * p - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-14)


# --- Rprop ------------------------------------------------------------------------------------------------

RPROP_CASES = [
    ({}, set()),
    ({"lr": 0.05}, {"sign-change"}),
    ({"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.08)}, {"sign-change", "clamp-max", "clamp-min"}),
]


@pytest.mark.parametrize("surface_name", ["ravine", "rosenbrock"])
@pytest.mark.parametrize("settings, needed", RPROP_CASES)
def test_rprop_matches_torch_algorithm(surfaces, surface_name, settings, needed):
    surface, start = surfaces[surface_name]
    values = {**get_optimizer("rprop").defaults(), **settings}
    events: set[str] = set()
    expected = reference_rprop(gradient_function(surface), start, 30, **values, events=events)
    assert needed <= events or surface_name == "rosenbrock", events  # the ravine case must exercise them
    assert_same_path(ours("rprop", surface, start, steps=30, **settings), expected)


def test_rprop_sign_change_freezes_the_coordinate_then_keeps_its_size():
    surface = build_surface("x^2 + y^2")
    oracle = SurfaceOracle(surface)
    optimizer = get_optimizer("rprop").create(lr=0.5)
    p = np.array([[0.3, 2.0]])
    state = optimizer.init(p)
    step, state = optimizer.update(oracle.gradient(p), state, p, oracle)
    np.testing.assert_array_equal(step, [[-0.5, -0.5]])  # sign(g) * lr
    p = p + step  # x crosses zero: -0.2; y: 1.5
    step, state = optimizer.update(oracle.gradient(p), state, p, oracle)
    np.testing.assert_array_equal(step, [[0.0, -0.6]])  # x: sign change, no move; y: 0.5 * 1.2
    np.testing.assert_array_equal(state.step_size, [[0.25, 0.6]])
    np.testing.assert_array_equal(state.prev[0, 0], 0.0)
    p = p + step
    step, state = optimizer.update(oracle.gradient(p), state, p, oracle)
    np.testing.assert_allclose(step, [[0.25, -0.72]], rtol=1e-15)  # x: prev = 0, size kept; y grows
