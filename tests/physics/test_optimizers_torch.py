"""Optional: the first-order optimisers step for step against torch.optim itself.

torch is not a dependency of Downhill; these tests run only where it happens to be importable.
Every case feeds torch.optim and our optimiser the same exact gradients from the same Surface,
in float64, with the very same hyper-parameter names and values.
"""

from __future__ import annotations

import numpy as np
import pytest

from physics.optimizers.base import get_optimizer
from physics.optimizers.clipping import clip_by_norm
from physics.optimizers.trajectory import trajectory
from surfaces.surface import build_surface

torch = pytest.importorskip("torch")

STEPS = 25

#: (our name, our settings, torch class name, extra torch arguments for an alias)
CASES = [
    ("gd", {"lr": 0.03}, "SGD", {}),
    ("sgd", {"lr": 0.01, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}, "SGD", {}),
    ("momentum", {"lr": 0.01}, "SGD", {}),
    ("nesterov", {"lr": 0.01, "weight_decay": 0.02}, "SGD", {"nesterov": True}),
    ("adagrad", {"lr": 0.2, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5}, "Adagrad", {}),
    ("rmsprop", {"lr": 0.01}, "RMSprop", {}),
    ("rmsprop", {"lr": 0.003, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}, "RMSprop", {}),
    ("adam", {"lr": 0.05}, "Adam", {}),
    ("adam", {"lr": 0.05, "betas": (0.8, 0.99), "amsgrad": True, "weight_decay": 0.01}, "Adam", {}),
    ("adamw", {"lr": 0.05, "weight_decay": 0.5}, "AdamW", {}),
    ("rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.08)}, "Rprop", {}),
]


@pytest.fixture(scope="module", params=[("0.5*(x^2 + 25*y^2)", (1.5, -0.8), 1.0),
                                        ("(1 - x)^2 + 100*(y - x^2)^2", (-1.2, 1.0), 0.02)],
                ids=["ravine", "rosenbrock"])
def landscape(request):
    formula, start, lr_scale = request.param
    return build_surface(formula), start, lr_scale


def torch_trajectory(surface, start, steps, cls, arguments):
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = cls([p], **arguments)
    positions = [p.detach().numpy().copy()]
    for _ in range(steps):
        optimizer.zero_grad()
        gradient = surface.evaluate(p.detach().numpy()[None, :]).gradient[0]
        p.grad = torch.tensor(gradient, dtype=torch.float64)
        optimizer.step()
        positions.append(p.detach().numpy().copy())
    return np.array(positions)


@pytest.mark.parametrize("name, settings, torch_name, extra", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_trajectory_equals_torch_optim(landscape, name, settings, torch_name, extra):
    surface, start, lr_scale = landscape
    spec = get_optimizer(name)
    values = spec.settings({**settings, "lr": settings["lr"] * lr_scale})
    ours, _ = trajectory(spec.make(values), surface, np.array([start]), STEPS)
    theirs = torch_trajectory(surface, start, STEPS, getattr(torch.optim, torch_name), {**values, **extra})
    np.testing.assert_allclose(ours[:, 0], theirs, rtol=1e-12, atol=1e-13)
    assert np.abs(theirs[-1] - theirs[0]).max() > 1e-3


def test_clip_by_norm_equals_clip_grad_norm_per_particle():
    grads = np.array([[3.0, 4.0], [0.3, 0.4], [-6.0, 8.0], [1e-9, 0.0]])
    clipped = clip_by_norm(grads, 1.0)
    for row, ours in zip(grads, clipped, strict=True):
        p = torch.zeros(2, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(row, dtype=torch.float64)
        torch.nn.utils.clip_grad_norm_([p], 1.0)
        np.testing.assert_allclose(ours, p.grad.numpy(), rtol=1e-15, atol=0.0)
