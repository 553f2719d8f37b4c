"""The optimisers' compiled kernels against their NumPy rules, bit for bit.

An optimiser's rule is written in NumPy, line by line as its docstring states it; a compiled kernel
stays only where it pays (measured: see the module's docstring), and must then give the same bits
as the NumPy rule it stands for, on ordinary numbers and on the edge cases a swarm meets (zeros of
either sign, overflow to inf, underflow, NaN, particles with different step counts).
"""

from __future__ import annotations

import numpy as np
import pytest

from physics.optimizers import adam as adam_module
from physics.optimizers.adam import adam_rule, compiled_adam_rule
from physics.optimizers.arrays import uniform
from physics.optimizers.base import get_optimizer
from physics.optimizers.trajectory import trajectory
from surfaces.surface import build_surface

N = 997
EDGE = np.array([0.0, -0.0, 1e-200, -1e-200, 1e200, -1e200, np.inf, -np.inf, np.nan, 5e-324, 1.0, -3.0])


def _same_bits(ours: np.ndarray, oracle: np.ndarray) -> bool:
    """Equal values, NaN where NaN, and the same sign of every zero (NaN payloads aside)."""
    if ours.shape != oracle.shape or not np.array_equal(ours, oracle, equal_nan=True):
        return False
    numbers = ~np.isnan(oracle)
    return bool(np.array_equal(np.signbit(ours[numbers]), np.signbit(oracle[numbers])))


def _arrays(seed: int) -> tuple[np.ndarray, ...]:
    """g, m, v, v_max (n, 2), Fortran order as the simulation keeps them, with edge values mixed in."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** rng.uniform(-8, 8, (N, 2))
    g = rng.standard_normal((N, 2)) * scale
    m = rng.standard_normal((N, 2)) * scale
    v = rng.random((N, 2)) * scale * scale
    v_max = v * rng.uniform(0.5, 1.5, (N, 2))
    for array in (g, m, v, v_max):
        rows = rng.choice(N, EDGE.size, replace=False)
        array[rows, rng.integers(0, 2, EDGE.size)] = EDGE if array is g or array is m else np.abs(EDGE)
    return tuple(np.asfortranarray(a) for a in (g, m, v, v_max))


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("shared", [True, False])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.0, 0.5), (0.99, 0.0)])
def test_adam_kernel_gives_the_numpy_rule_bit_for_bit(amsgrad, shared, betas):
    g, m, v, v_max = _arrays(seed=int(amsgrad) + 2 * int(shared))
    if shared:
        eps_s, step_factor = 1e-8 * 0.3, -0.01 * 0.3 / 0.19
    else:
        counts = np.random.default_rng(1).integers(1, 50, N)[:, None]
        s = np.sqrt(1.0 - np.power(betas[1], counts.astype(float)))
        eps_s, step_factor = 1e-8 * s, -0.01 * s / (1.0 - np.power(betas[0], counts.astype(float)))
    arguments = dict(beta1=betas[0], beta2=betas[1], amsgrad=amsgrad, eps_s=eps_s, step_factor=step_factor)
    with np.errstate(all="ignore"):
        oracle = adam_rule(g, m, v, v_max, **arguments)
        ours = compiled_adam_rule(g, m, v, v_max, **arguments)
    for name, a, b in zip(("m", "v", "v_max", "step"), ours, oracle, strict=True):
        assert _same_bits(a, b), name
    if not amsgrad:
        assert ours[2] is v_max  # (no amsgrad: v_max is the state's, untouched)


def test_the_update_runs_the_kernel_and_the_numpy_rule_moves_the_same(monkeypatch):
    """Whole trajectories, AdamW with amsgrad and Adam with weight decay: the same bits either way."""
    surface = build_surface("(x^2 + y - 1.5)^2/4 + 0.3*sin(2*x)*cos(y) + 0.1*y^2")
    starts = np.random.default_rng(0).uniform(-2, 2, (64, 2))
    assert adam_module.RULE is compiled_adam_rule
    runs = []
    for rule in (compiled_adam_rule, adam_rule):
        monkeypatch.setattr(adam_module, "RULE", rule)
        runs.append([trajectory(get_optimizer(name).create(lr=0.05, amsgrad=True, weight_decay=0.01), surface,
                                starts, 60)[0] for name in ("adam", "adamw")])
    for compiled, numpy_rule in zip(*runs, strict=True):
        assert _same_bits(compiled, numpy_rule)


def test_uniform_tells_whether_the_particles_share_a_value():
    """NumPy now, where a compiled scan was (measured slower); its answers are the scan's."""
    assert uniform(np.array([], dtype=np.int64)) and uniform(np.array([7])) and uniform(np.full(100_000, 3))
    assert uniform(np.full((4, 1), 2.5))
    assert not uniform(np.array([1, 1, 2])) and not uniform(np.array([2, 1, 1]))
    assert not uniform(np.array([np.nan])) and not uniform(np.array([np.nan, np.nan]))
