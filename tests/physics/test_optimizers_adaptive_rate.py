"""The MATLAB toolbox classics (traingda, traingdx) against a transcription of MATLAB's own loops.

The references below copy the training loops of traingda.m and traingdx.m (Neural Network
Toolbox), with gX = -gradient and MATLAB's ratio test perf2/perf > max_perf_inc, which is the
implementation's test whenever the loss is positive, as it is on these surfaces.
"""

from __future__ import annotations

import numpy as np
import pytest

from physics.optimizers.base import get_optimizer
from physics.optimizers.trajectory import trajectory
from physics.oracle import SurfaceOracle
from surfaces.surface import build_surface


@pytest.fixture(scope="module")
def ravine():
    return build_surface("0.5*(x^2 + 25*y^2) + 0.01")


@pytest.fixture(scope="module")
def rosenbrock():
    return build_surface("(1 - x)^2 + 100*(y - x^2)^2")


def evaluate(surface, x):
    evaluation = surface.evaluate(np.array([x]))
    return float(evaluation.value[0]), -evaluation.gradient[0]


def matlab_traingda(surface, x0, epochs, lr=0.01, lr_inc=1.05, lr_dec=0.7, max_perf_inc=1.04):
    """traingda.m's loop; returns the positions after each epoch, the rates, and the rejections."""
    x = np.array(x0, dtype=float)
    perf, gx = evaluate(surface, x)
    positions, rates, rejected = [x.copy()], [lr], 0
    for _ in range(epochs):
        dx = lr * gx
        x2 = x + dx
        perf2, gx2 = evaluate(surface, x2)
        if perf2 / perf > max_perf_inc:
            lr = lr * lr_dec
            rejected += 1
        else:
            if perf2 < perf:
                lr = lr * lr_inc
            x, perf, gx = x2, perf2, gx2
        positions.append(x.copy())
        rates.append(lr)
    return np.array(positions), np.array(rates), rejected


def matlab_traingdx(surface, x0, epochs, lr=0.01, lr_inc=1.05, lr_dec=0.7, max_perf_inc=1.04, mc=0.9):
    """traingdx.m's loop (dX = lr*gX before it; dX = mc*dX + (1-mc)*lr*gX inside)."""
    x = np.array(x0, dtype=float)
    perf, gx = evaluate(surface, x)
    dx = lr * gx
    positions, rates, rejected = [x.copy()], [lr], 0
    for _ in range(epochs):
        dx = mc * dx + (1 - mc) * lr * gx
        x2 = x + dx
        perf2, gx2 = evaluate(surface, x2)
        if perf2 / perf > max_perf_inc:
            lr = lr * lr_dec
            dx = lr * gx
            rejected += 1
        else:
            if perf2 < perf:
                lr = lr * lr_inc
            x, perf, gx = x2, perf2, gx2
        positions.append(x.copy())
        rates.append(lr)
    return np.array(positions), np.array(rates), rejected


@pytest.mark.parametrize("settings", [{}, {"lr": 0.03, "lr_inc": 1.2, "lr_dec": 0.5, "max_perf_inc": 1.01}])
def test_adaptive_lr_matches_traingda(ravine, rosenbrock, settings):
    for surface, start, lr_scale in ((ravine, (1.5, -0.8), 1.0), (rosenbrock, (-1.2, 1.0), 0.01)):
        values = {**get_optimizer("adaptive-lr").defaults(), **settings}
        values["lr"] *= lr_scale
        expected, rates, rejected = matlab_traingda(surface, start, 120, **values)
        assert rejected > 0, "the run should include rejected steps"
        positions, state = trajectory(get_optimizer("adaptive-lr").create(**values), surface, np.array([start]), 120)
        np.testing.assert_allclose(positions[:, 0], expected, rtol=1e-12, atol=1e-12)
        assert state.lr[0] == pytest.approx(rates[-1], rel=1e-12)


@pytest.mark.parametrize("settings", [{}, {"lr": 0.02, "momentum": 0.5, "lr_inc": 1.1}])
def test_momentum_adaptive_lr_matches_traingdx(ravine, rosenbrock, settings):
    for surface, start, lr_scale in ((ravine, (1.5, -0.8), 1.0), (rosenbrock, (-1.2, 1.0), 0.01)):
        values = {**get_optimizer("momentum-adaptive-lr").defaults(), **settings}
        values["lr"] *= lr_scale
        momentum = values.pop("momentum")
        matlab = {**values, "mc": momentum}
        expected, rates, rejected = matlab_traingdx(surface, start, 120, **matlab)
        assert rejected > 0, "the run should include rejected steps"
        optimizer = get_optimizer("momentum-adaptive-lr").create(**values, momentum=momentum)
        positions, state = trajectory(optimizer, surface, np.array([start]), 120)
        np.testing.assert_allclose(positions[:, 0], expected, rtol=1e-12, atol=1e-12)
        assert state.lr[0] == pytest.approx(rates[-1], rel=1e-12)


def test_rate_grows_by_lr_inc_after_each_success():
    bowl = build_surface("x^2 + y^2")
    positions, state = trajectory(get_optimizer("adaptive-lr").create(lr=0.01), bowl, np.array([[1.0, -2.0]]), 10)
    rate = 0.01
    for _ in range(10):
        rate *= 1.05
    assert state.lr[0] == rate
    assert (np.diff(bowl.value(positions[:, 0])) < 0).all()


def test_a_step_that_raises_the_loss_is_rejected_and_the_rate_shrinks():
    bowl = build_surface("x^2 + y^2")
    oracle = SurfaceOracle(bowl)
    optimizer = get_optimizer("adaptive-lr").create(lr=2.0)
    p = np.array([[1.0, 1.0]])
    state = optimizer.init(p)
    # lr = 2: the trial step lands at (-3, -3), f rises ninefold: rejected, lr 1.4.
    step, state = optimizer.update(oracle.gradient(p), state, p, oracle)
    np.testing.assert_array_equal(step, [[0.0, 0.0]])
    assert state.lr[0] == pytest.approx(1.4, rel=1e-15)
    # lr = 1.4: trial at (-1.8, -1.8), f x 3.24: rejected, lr 0.98.
    step, state = optimizer.update(oracle.gradient(p), state, p, oracle)
    np.testing.assert_array_equal(step, [[0.0, 0.0]])
    assert state.lr[0] == pytest.approx(0.98, rel=1e-15)
    # lr = 0.98: trial at (-0.96, -0.96), f falls: accepted, lr 0.98 * 1.05.
    step, state = optimizer.update(oracle.gradient(p), state, p, oracle)
    np.testing.assert_allclose(step, [[-1.96, -1.96]], rtol=1e-15)
    assert state.lr[0] == pytest.approx(0.98 * 1.05, rel=1e-15)


def test_a_small_rise_within_max_perf_inc_is_accepted_without_growth():
    bowl = build_surface("x^2 + 1")
    oracle = SurfaceOracle(bowl)
    # From x = 1 (f = 2), lr = 1.01 lands at x = -1.02: f = 2.0404, a rise of 2.02 % < 4 %.
    optimizer = get_optimizer("adaptive-lr").create(lr=1.01)
    p = np.array([[1.0, 0.0]])
    step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    np.testing.assert_allclose(step, [[-2.02, 0.0]], rtol=1e-15)
    assert state.lr[0] == 1.01


def test_signed_losses_use_the_rise_relative_to_the_size_of_the_loss():
    well = build_surface("x^2 - 10")
    oracle = SurfaceOracle(well)
    p = np.array([[1.0, 0.0]])  # f = -9: a rise of more than 0.04 * 9 = 0.36 is refused
    small_rise = get_optimizer("adaptive-lr").create(lr=(1 + np.sqrt(1.2)) / 2)  # lands where f = -8.8: +0.2
    step, _ = small_rise.update(oracle.gradient(p), small_rise.init(p), p, oracle)
    assert step[0, 0] != 0.0
    large_rise = (1 + np.sqrt(2.0)) / 2  # lands where f = -8: +1.0 (MATLAB's ratio -8/-9 < 1.04 would accept)
    optimizer = get_optimizer("adaptive-lr").create(lr=large_rise)
    step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
    np.testing.assert_array_equal(step, [[0.0, 0.0]])
    assert state.lr[0] == pytest.approx(0.7 * large_rise, rel=1e-15)


def test_a_trial_into_an_undefined_region_is_rejected():
    surface = build_surface("log(x) + y^2")
    oracle = SurfaceOracle(surface)
    p = np.array([[0.5, 0.2]])  # the trial x = 0.5 - 1 * 2 is negative: log undefined
    for name in ("adaptive-lr", "momentum-adaptive-lr"):
        optimizer = get_optimizer(name).create(lr=1.0)
        step, state = optimizer.update(oracle.gradient(p), optimizer.init(p), p, oracle)
        np.testing.assert_array_equal(step, [[0.0, 0.0]])
        assert state.lr[0] == 0.7


def test_traingdx_first_step_is_a_gradient_step_and_rejection_resets_the_memory():
    bowl = build_surface("x^2 + y^2")
    oracle = SurfaceOracle(bowl)
    optimizer = get_optimizer("momentum-adaptive-lr").create(lr=0.1, momentum=0.9)
    p = np.array([[1.0, -0.5]])
    g = oracle.gradient(p)
    step, state = optimizer.update(g, optimizer.init(p), p, oracle)
    np.testing.assert_allclose(step, -0.1 * g, rtol=1e-15)
    np.testing.assert_allclose(state.change, -0.1 * g, rtol=1e-15)
    big = get_optimizer("momentum-adaptive-lr").create(lr=3.0)
    step, state = big.update(g, big.init(p), p, oracle)
    np.testing.assert_array_equal(step, [[0.0, 0.0]])
    np.testing.assert_allclose(state.change, -2.1 * g, rtol=1e-15)  # dX = lr * gX with the decreased lr
