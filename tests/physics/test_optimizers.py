"""The optimiser registry and the contract every optimiser keeps (physics.optimizers.base).

Each optimiser is checked for: defaults that validate against their own ranges; a state that is a
NamedTuple of arrays with leading axis n (so the simulation can mask particles); purity (inputs
are never written to); vectorisation (n particles together move exactly as each alone);
determinism; a docstring that writes out the rule with every hyper-parameter's name and cites its
source. The stability factors are checked by running the iteration just under and just over the
bound they state.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math

import numpy as np
import pytest

from physics.optimizers.base import HyperParameter, OptimizerSpec, get_optimizer, registry
from physics.optimizers.clipping import clip_by_norm
from physics.optimizers.trajectory import trajectory
from physics.oracle import SurfaceOracle
from surfaces.errors import DownhillError
from surfaces.surface import build_surface

REQUIRED = ("gd", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "rprop", "newton", "damped-newton",
            "bfgs", "cg")
EXTRA = ("adamw", "adaptive-lr", "momentum-adaptive-lr", "saddle-free-newton")
NAMES = tuple(registry())

#: Settings that make each optimiser move visibly in a few steps on the test surfaces.
LIVELY = {
    "gd": {"lr": 0.02}, "sgd": {"lr": 0.02, "momentum": 0.5}, "momentum": {"lr": 0.02}, "nesterov": {"lr": 0.02},
    "adagrad": {"lr": 0.1}, "rmsprop": {"lr": 0.02, "momentum": 0.3, "centered": True}, "adam": {"lr": 0.05},
    "adamw": {"lr": 0.05}, "rprop": {"lr": 0.05}, "adaptive-lr": {"lr": 0.02}, "momentum-adaptive-lr": {"lr": 0.02},
}

STARTS = np.array([[-1.2, 1.0], [0.4, -0.3], [1.7, 2.2], [-0.5, -1.1]])


@pytest.fixture(scope="module")
def wavy():
    """A bumpy landscape with minima, saddles and maxima, so that every code path is exercised."""
    return build_surface("(x^2 + y - 1.5)^2/4 + 0.3*sin(2*x)*cos(y) + 0.1*y^2")


def make(name: str):
    return get_optimizer(name).create(**LIVELY.get(name, {}))


# --- the registry -------------------------------------------------------------------------------------------

def test_registry_holds_every_name_design_requires_and_the_extras():
    assert set(REQUIRED) <= set(NAMES)
    assert set(EXTRA) <= set(NAMES)
    assert NAMES.index("gd") < NAMES.index("adam") < NAMES.index("newton") < NAMES.index("bfgs")


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(DownhillError, match="unknown optimiser 'adamax'.*adam"):
        get_optimizer("adamax")


@pytest.mark.parametrize("name", NAMES)
def test_spec_metadata_is_complete(name):
    spec = get_optimizer(name)
    assert isinstance(spec, OptimizerSpec) and spec.name == name
    assert spec.display_name and spec.description and spec.reference
    assert spec.family in ("first-order", "adaptive-rate", "second-order", "quasi-newton")
    assert spec.needs_hessian == (name in ("newton", "damped-newton", "saddle-free-newton"))
    names = [h.name for h in spec.hyperparameters]
    assert len(names) == len(set(names))
    for hyper in spec.hyperparameters:
        assert hyper.description, hyper.name
        assert hyper.kind in ("float", "int", "bool", "pair")
        if hyper.name in ("lr", "eps"):
            assert hyper.log_scale and hyper.minimum > 0.0


@pytest.mark.parametrize("name", NAMES)
def test_defaults_validate_against_their_own_ranges(name):
    spec = get_optimizer(name)
    for hyper in spec.hyperparameters:
        assert hyper.validate(hyper.default) == hyper.default
    defaults = spec.defaults()
    assert spec.settings(defaults) == defaults
    assert spec.create() is not None


def test_hyperparameter_names_and_defaults_follow_torch():
    assert get_optimizer("sgd").defaults() == {"lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0,
                                               "nesterov": False}
    assert get_optimizer("momentum").defaults()["momentum"] == 0.9
    assert get_optimizer("nesterov").defaults() == {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0}
    assert get_optimizer("adagrad").defaults() == {"lr": 1e-2, "lr_decay": 0.0, "weight_decay": 0.0,
                                                   "initial_accumulator_value": 0.0, "eps": 1e-10}
    assert get_optimizer("rmsprop").defaults() == {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0,
                                                   "momentum": 0.0, "centered": False}
    assert get_optimizer("adam").defaults() == {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
                                                "amsgrad": False}
    assert get_optimizer("adamw").defaults()["weight_decay"] == 1e-2
    assert get_optimizer("rprop").defaults() == {"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50.0)}
    assert get_optimizer("adaptive-lr").defaults() == {"lr": 0.01, "lr_inc": 1.05, "lr_dec": 0.7,
                                                       "max_perf_inc": 1.04}


@pytest.mark.parametrize("name, values, message", [
    ("sgd", {"nesterov": True}, "nesterov momentum needs momentum > 0"),
    ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "dampening = 0"),
    ("rprop", {"etas": (1.2, 0.5)}, "0 < etaminus < 1 < etaplus"),
    ("rprop", {"step_sizes": (1.0, 0.1)}, "step_sizes"),
    ("bfgs", {"c1": 0.5, "c2": 0.1}, "0 < c1 < c2 < 1"),
    ("cg", {"c1": 0.3, "c2": 0.2}, "0 < c1 < c2 < 1"),
])
def test_inconsistent_settings_are_refused_with_a_message(name, values, message):
    with pytest.raises(DownhillError, match=message):
        get_optimizer(name).create(**values)


@pytest.mark.parametrize("name", NAMES)
def test_the_registry_makes_each_optimiser_from_its_settings_as_keyword_arguments(name):
    """No maker per entry: the spec's factory takes the settings (and the entry's fixed arguments)
    as its keyword arguments, and ``make`` hands them over unchanged."""
    spec = get_optimizer(name)
    keywords = inspect.signature(spec.factory).parameters
    assert {h.name for h in spec.hyperparameters} | set(spec.fixed) <= set(keywords)
    assert not set(spec.fixed) & {h.name for h in spec.hyperparameters}
    received = {}
    recording = dataclasses.replace(spec, factory=lambda **values: received.update(values) or "made")
    assert recording.make(spec.defaults()) == "made"
    assert received == {**spec.defaults(), **spec.fixed}


def test_unknown_and_out_of_range_hyperparameters_are_refused():
    with pytest.raises(DownhillError, match="'gd' has no hyper-parameter 'momentum'"):
        get_optimizer("gd").create(momentum=0.9)
    with pytest.raises(DownhillError, match="betas"):
        get_optimizer("adam").create(betas=(0.9, 1.5))
    with pytest.raises(DownhillError, match="lr"):
        get_optimizer("adam").create(lr=-1.0)


# --- the docstrings ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_docstring_writes_the_rule_with_every_hyperparameter_and_a_reference(name):
    spec = get_optimizer(name)
    module = importlib.import_module(spec.make.__module__)
    doc = module.__doc__ or ""
    assert "step" in doc and ("Reference" in doc or "References" in doc)
    for hyper in spec.hyperparameters:
        assert f"``{hyper.name}``" in doc, f"{name}: the docstring does not name {hyper.name}"


# --- the state contract, purity, vectorisation -----------------------------------------------------------

def _run(name, surface, starts, steps):
    return trajectory(make(name), surface, starts, steps)


@pytest.mark.parametrize("name", NAMES)
def test_state_is_a_namedtuple_of_arrays_with_a_leading_particle_axis(name, wavy):
    optimizer = make(name)
    oracle = SurfaceOracle(wavy)
    params = STARTS.copy()
    state = optimizer.init(params)
    for _ in range(3):
        assert hasattr(state, "_fields")
        for field in state._fields:
            value = getattr(state, field)
            assert isinstance(value, np.ndarray) and value.shape[0] == len(STARTS), field
        step, state = optimizer.update(oracle.gradient(params), state, params, oracle)
        assert step.shape == params.shape and step.dtype == np.float64
        params = params + step


@pytest.mark.parametrize("name", NAMES)
def test_update_never_writes_to_its_inputs(name, wavy):
    optimizer = make(name)
    oracle = SurfaceOracle(wavy)
    params = STARTS.copy()
    state = optimizer.init(params)
    for _ in range(4):
        grads = oracle.gradient(params)
        frozen = [params, grads, *state]
        copies = [a.copy() for a in frozen]
        for a in frozen:
            a.setflags(write=False)  # any in-place write now raises
        step, new_state = optimizer.update(grads, state, params, oracle)
        for a, b in zip(frozen, copies, strict=True):
            np.testing.assert_array_equal(a, b)
        # The new state must not share memory with the caller's arrays, which the caller may reuse.
        for value in new_state:
            assert not np.shares_memory(value, params) and not np.shares_memory(value, grads)
        params, state = params + step, new_state


@pytest.mark.parametrize("name", NAMES)
def test_particles_together_move_exactly_as_each_alone(name, wavy):
    together, _ = _run(name, wavy, STARTS, 12)
    for i, start in enumerate(STARTS):
        alone, _ = _run(name, wavy, start[None, :], 12)
        np.testing.assert_allclose(together[:, i], alone[:, 0], rtol=1e-13, atol=1e-15)
    assert np.isfinite(together).all()
    assert np.abs(together[-1] - together[0]).max() > 1e-3, "the test should exercise real motion"


@pytest.mark.parametrize("name", NAMES)
def test_runs_are_deterministic(name, wavy):
    first, _ = _run(name, wavy, STARTS, 8)
    second, _ = _run(name, wavy, STARTS, 8)
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_masked_state_keeps_frozen_particles_as_they_were(name, wavy):
    """The simulation freezes diverged particles: np.where over every state field must be meaningful."""
    optimizer = make(name)
    oracle = SurfaceOracle(wavy)
    params = STARTS.copy()
    state = optimizer.init(params)
    moving = np.array([True, False, True, False])
    reference = params.copy()
    for _ in range(5):
        step, new_state = optimizer.update(oracle.gradient(params), state, params, oracle)
        state = type(new_state)(*(np.where(moving.reshape((-1,) + (1,) * (new.ndim - 1)), new, old)
                                  for new, old in zip(new_state, state, strict=True)))
        params = params + np.where(moving[:, None], step, 0.0)
    np.testing.assert_array_equal(params[~moving], reference[~moving])
    alone, _ = _run(name, wavy, STARTS[moving], 5)
    np.testing.assert_allclose(params[moving], alone[-1], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_velocity_is_a_particle_array_or_none(name, wavy):
    spec = get_optimizer(name)
    _, state = _run(name, wavy, STARTS, 3)
    if spec.velocity is None:
        return
    velocity = spec.velocity(state, spec.settings(LIVELY.get(name, {})))
    assert velocity is None or (velocity.shape == STARTS.shape and np.isfinite(velocity).all())


@pytest.mark.parametrize("name, settings", [
    ("momentum", {"lr": 0.02, "momentum": 0.9}),
    ("sgd", {"lr": 0.02, "momentum": 0.5, "dampening": 0.3}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}),
    ("adam", {"lr": 0.05}),
    ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "amsgrad": True}),
    ("momentum-adaptive-lr", {"lr": 0.02}),
])
def test_velocity_is_the_displacement_the_memory_makes(name, settings, wavy):
    """The convention (physics.optimizers.base): position units per step, the way the ball is pushed.
    For these methods, without weight decay, that is the very step just taken (traingdx: when accepted)."""
    oracle = SurfaceOracle(wavy)
    spec = get_optimizer(name)
    values = spec.settings(settings)
    optimizer = spec.create(**settings)
    params = STARTS.copy()
    state = optimizer.init(params)
    if name != "momentum-adaptive-lr":
        np.testing.assert_array_equal(np.nan_to_num(spec.velocity(state, values)), 0.0)  # nothing remembered yet
    for _ in range(6):
        step, state = optimizer.update(oracle.gradient(params), state, params, oracle)
        moved = np.abs(step).sum(axis=1) > 0  # (traingdx rejects a step now and then)
        np.testing.assert_allclose(spec.velocity(state, values)[moved], step[moved], rtol=1e-12, atol=1e-15)
        params = params + step


def test_nesterov_velocity_is_the_momentum_part_of_its_step(wavy):
    oracle = SurfaceOracle(wavy)
    spec = get_optimizer("nesterov")
    optimizer = spec.create(lr=0.01, momentum=0.9)
    params = STARTS.copy()
    state = optimizer.init(params)
    for _ in range(4):
        g = oracle.gradient(params)
        step, state = optimizer.update(g, state, params, oracle)
        # step = -lr (g + momentum b): the velocity -lr b, plus the look-ahead
        velocity = spec.velocity(state, spec.settings({"lr": 0.01, "momentum": 0.9}))
        np.testing.assert_allclose(step, -0.01 * g + 0.9 * velocity, rtol=1e-12)
        params = params + step
    assert get_optimizer("sgd").velocity(get_optimizer("sgd").create().init(params), {"lr": 0.1}) is None
    rmsprop = get_optimizer("rmsprop")
    assert rmsprop.velocity(rmsprop.create().init(params), rmsprop.settings()) is None


# --- stability factors: the 2/lambda_max bounds, checked by running the iteration -----------------------

@pytest.mark.parametrize("name, settings, expected", [
    ("gd", {}, 2.0),
    ("sgd", {"momentum": 0.0, "dampening": 0.5}, 2.0),
    ("momentum", {"momentum": 0.9}, 2.0 * 1.9),
    ("momentum", {"momentum": 0.5, "dampening": 0.5}, 2.0 * 1.5 / 0.5),
    ("sgd", {"momentum": 0.7, "nesterov": True}, 2.0 * 1.7 / 2.4),
    ("nesterov", {"momentum": 0.9}, 2.0 * 1.9 / 2.8),
])
def test_stability_factor_separates_convergence_from_divergence(name, settings, expected):
    spec = get_optimizer(name)
    values = spec.settings(settings)
    factor = spec.stability_factor(values)
    assert factor == pytest.approx(expected, rel=1e-15)
    curvature = 4.0
    bowl = build_surface("2*(x^2 + y^2)")  # lambda = 4 in every direction
    for ratio, grows in ((0.99, False), (1.01, True)):
        optimizer = spec.create(**{**settings, "lr": ratio * factor / curvature})
        with np.errstate(over="ignore", invalid="ignore"):
            positions, _ = trajectory(optimizer, bowl, np.array([[1.0, -0.5]]), 600)
        size = np.abs(positions[-1, 0]).max()
        assert (not size < 1e-3) == grows, (ratio, size)  # overflow to inf or NaN counts as growth


def test_methods_without_a_rate_bound_say_so():
    for name in ("rprop", "newton", "bfgs", "cg"):
        assert get_optimizer(name).stability_factor is None
    # The adaptive-rate methods' bound is on each coordinate's own rate R (the regime's
    # effective_rate), not on one lr: they say so by declaring R beside their constant c.
    for name in ("adagrad", "rmsprop", "adam", "adamw", "adaptive-lr", "momentum-adaptive-lr"):
        assert get_optimizer(name).effective_rate is not None
    assert math.isinf(get_optimizer("momentum").stability_factor({"momentum": 0.9, "dampening": 1.0}))


# --- gradient clipping --------------------------------------------------------------------------------

def test_clip_by_norm_follows_torch_clip_grad_norm_per_particle():
    grads = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0], [-6.0, 8.0], [np.nan, 1.0]])
    clipped = clip_by_norm(grads, 1.0)
    # torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1, multiplied in.
    expected = [grads[0] * (1.0 / (5.0 + 1e-6)), grads[1], grads[2], grads[3] * (1.0 / (10.0 + 1e-6))]
    np.testing.assert_allclose(clipped[:4], expected, rtol=1e-15)
    assert np.isnan(clipped[4]).all()
    assert np.linalg.norm(clipped[0]) < 1.0 < np.linalg.norm(clipped[0]) + 1e-6
    assert clipped is not grads and grads[0, 0] == 3.0


def test_clip_by_norm_refuses_a_non_positive_norm():
    with pytest.raises(ValueError):
        clip_by_norm(np.ones((1, 2)), 0.0)


def test_hyperparameter_pairs_validate_each_element():
    pair = HyperParameter("betas", (0.9, 0.999), 0.0, 0.9999, "decays", kind="pair")
    assert pair.validate([0.5, 0.6]) == (0.5, 0.6)
    with pytest.raises(DownhillError):
        pair.validate((0.5,))
