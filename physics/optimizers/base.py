"""The optimiser protocol and the one registry every part of Downhill reads.

An optimiser is a pair of pure functions on arrays (the optax style):

    init(params) -> state
    update(grads, state, params, oracle) -> (step, state)

``params`` and ``grads`` have shape (n, 2): n particles, one row each. ``step`` has shape
(n, 2) and is *added* to the parameters: ``params_next = params + step``. ``state`` is a small
immutable ``NamedTuple`` whose fields are all arrays with leading axis n (so the simulation can
freeze diverged particles with a mask); ``update`` never mutates its inputs.

Hyper-parameters are bound when the pair is made: ``spec.create(lr=0.01, momentum=0.9)``.
Names and defaults follow torch.optim (``lr``, ``momentum``, ``dampening``, ``nesterov``,
``betas``, ``eps``, ``alpha``, ``weight_decay``), so a trajectory can be checked against it.

Velocity. A method with a memory of past gradients (a momentum buffer, a first moment, the last
change) reports it as ``spec.velocity(state, settings)``, an (n, 2) array **in position units per
step, pointing the way the memory moves the ball**: the displacement it alone would make next.
Heavy-ball SGD and RMSProp with momentum: -lr * b (their whole step); Nesterov: -lr * b (the step
adds the look-ahead -lr * g); Adam: -lr * m^ / (sqrt(v^) + eps) (its step, less weight decay);
traingdx: its last change dX. Draw it as it is, from the ball, on the scale of the step.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from surfaces.errors import DownhillError
from surfaces.surface import Evaluation


class Oracle(Protocol):
    """What an optimiser may ask of the landscape, at points of shape (n, 2).

    ``gradient`` is the true (noise-free) gradient; the noisy estimate an optimiser steps on is
    the ``grads`` argument of ``update``. Line searches and adaptive-rate rules call ``value``.
    """

    def value(self, points: np.ndarray) -> np.ndarray: ...

    def gradient(self, points: np.ndarray) -> np.ndarray: ...

    def evaluate(self, points: np.ndarray) -> Evaluation: ...


class Optimizer(NamedTuple):
    """An optimiser with its hyper-parameters bound: the pure pair of functions."""

    init: Callable[[np.ndarray], Any]
    update: Callable[[np.ndarray, Any, np.ndarray, Oracle], tuple[np.ndarray, Any]]


@dataclass(frozen=True)
class HyperParameter:
    """One hyper-parameter, as the CLI, the GUI forms and the scene validator see it.

    Attributes:
        name: torch.optim's name ("lr", "momentum", "betas", ...).
        default: the default value (a float, int, bool, or a tuple of two floats for pairs).
        minimum, maximum: the accepted range (for pairs, for each element).
        description: one line for a tooltip or --help.
        kind: "float", "int", "bool" or "pair".
        log_scale: whether a slider should move on a log scale (learning rates, eps).
    """

    name: str
    default: float | int | bool | tuple[float, float]
    minimum: float = 0.0
    maximum: float = math.inf
    description: str = ""
    kind: str = "float"
    log_scale: bool = False

    def validate(self, value: Any, where: str = "") -> float | int | bool | tuple[float, float]:
        """Check and normalise a value; raise DownhillError naming the parameter if it is bad."""
        label = f"{where}{self.name}"
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise DownhillError(f"{label} must be true or false, not {value!r}")
            return value
        if self.kind == "pair":
            if not isinstance(value, (list, tuple)) or len(value) != 2:
                raise DownhillError(f"{label} must be two numbers, such as 0.9,0.999")
            return tuple(self._number(v, label) for v in value)  # type: ignore[return-value]
        number = self._number(value, label)
        if self.kind == "int":
            if number != int(number):
                raise DownhillError(f"{label} must be a whole number, not {value!r}")
            return int(number)
        return number

    def _number(self, value: Any, label: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DownhillError(f"{label} must be a number, not {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise DownhillError(f"{label} must be a finite number, not {value!r}")
        if not self.minimum <= number <= self.maximum:
            raise DownhillError(f"{label} = {value!r} is out of range [{self.minimum:g}, {self.maximum:g}]")
        return number


@dataclass(frozen=True)
class OptimizerSpec:
    """A registry entry: the optimiser's maker and everything known about it.

    Attributes:
        name: the command-line name ("adam", "damped-newton", ...).
        display_name: for menus ("Adam", "Damped Newton (Levenberg-Marquardt)").
        family: "first-order", "adaptive-rate", "second-order" or "quasi-newton".
        hyperparameters: the parameters ``factory`` accepts, with defaults and ranges.
        factory: the optimiser's maker (``sgd``, ``adam``, ...), called with the hyper-parameters as
            keyword arguments; ``make(settings)`` calls it with a complete dict of them.
        fixed: keyword arguments the entry always passes to ``factory`` besides its settings
            (``nesterov=True`` for "nesterov", ``decoupled_weight_decay=True`` for "adamw").
        description: one line for a menu tooltip.
        reference: the paper or documentation the update rule follows.
        needs_hessian: whether ``update`` asks the oracle for the Hessian.
        stability_factor: for methods with a 2/lambda_max style bound, the constant c such that
            the rate is stable while lr * (lambda_max + shift) < c (2 for GD, 2(1 + momentum) for
            heavy ball); a callable of the hyper-parameter dict, or None where no such bound
            applies (methods whose rate adapts: the regime then judges an oscillation by its swing).
        curvature_shift: what the bound adds to every curvature, a callable of the hyper-parameter
            dict (the weight decay, which adds weight_decay * I to the Hessian the rate meets), or
            None for nothing.
        effective_rate: for methods whose rate adapts per coordinate (Adam, RMSProp, AdaGrad,
            traingda/traingdx), ``effective_rate(state, settings, rows)``: the rate R (k, 2) each
            coordinate of the particles ``rows`` (k,) applies to its (averaged) gradient on the next
            step, lr folded in (Adam: lr / (sqrt(v^) + eps)); NaN where the method has not stepped
            yet. Frozen for a step, the method is the fixed-rate one preconditioned by R, so its
            bound reads lambda_max(R^1/2 (H + shift I) R^1/2) < c with c = ``stability_factor``
            (Cohen et al., "Adaptive gradient methods at the edge of stability", 2022). None for
            methods with one scalar lr (the bound is lr (lambda_max + shift) < c) or none at all.
        velocity: ``velocity(state, settings)``, the method's velocity (n, 2) in position units per
            step, pointing the way it pushes the ball (see the module docstring), or None where
            the state keeps no such memory; None for methods that never have one.
        defaults_override: defaults that differ from the hyper-parameters' own (optional; the
            aliases "gd", "momentum" and "nesterov" instead carry their own hyper-parameter tuples,
            with the defaults they change, so that forms and --help show the alias's defaults).
    """

    name: str
    display_name: str
    family: str
    hyperparameters: tuple[HyperParameter, ...]
    factory: Callable[..., Optimizer]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    reference: str = ""
    needs_hessian: bool = False
    stability_factor: Callable[[Mapping[str, Any]], float] | None = None
    curvature_shift: Callable[[Mapping[str, Any]], float] | None = None
    effective_rate: Callable[[Any, Mapping[str, Any], np.ndarray], np.ndarray] | None = None
    velocity: Callable[[Any, Mapping[str, Any]], np.ndarray | None] | None = None
    defaults_override: Mapping[str, Any] = field(default_factory=dict)

    @property
    def make(self) -> Callable[[Mapping[str, Any]], Optimizer]:
        """The bound pair from a complete dict of hyper-parameter values: ``factory(**settings,
        **fixed)``. It carries the factory's name and module (functools.update_wrapper)."""
        factory, fixed = self.factory, self.fixed

        def make(settings: Mapping[str, Any]) -> Optimizer:
            return factory(**settings, **fixed)

        return functools.update_wrapper(make, factory)

    @property
    def first_order(self) -> bool:
        return self.family in ("first-order", "adaptive-rate")

    def defaults(self) -> dict[str, Any]:
        values = {h.name: h.default for h in self.hyperparameters}
        values.update(self.defaults_override)
        return values

    def settings(self, values: Mapping[str, Any] | None = None, where: str = "") -> dict[str, Any]:
        """Defaults overlaid with ``values``, each validated; unknown names are an error."""
        known = {h.name: h for h in self.hyperparameters}
        result = self.defaults()
        for name, value in (values or {}).items():
            if name not in known:
                raise DownhillError(f"{where}the optimiser '{self.name}' has no hyper-parameter '{name}'; "
                                    f"it has {', '.join(known) or 'none'}")
            result[name] = known[name].validate(value, where)
        return result

    def create(self, **values: Any) -> Optimizer:
        """The bound pair for these hyper-parameters (validated; the rest default)."""
        return self.make(self.settings(values))


_REGISTRY: dict[str, OptimizerSpec] = {}


def register(spec: OptimizerSpec) -> OptimizerSpec:
    """Add a spec to the registry (at import of its module)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"optimiser {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def registry() -> Mapping[str, OptimizerSpec]:
    """Every registered optimiser by name, in registration order.

    Complete without importing the optimisers' modules from here (which would close the cycle
    base -> sgd -> base): this module is ``physics.optimizers.base``, so Python runs the package's
    ``__init__`` before it, and that imports every optimiser's module, each registering its entries.
    """
    return dict(_REGISTRY)


def get_optimizer(name: str) -> OptimizerSpec:
    """The spec for a name, or a DownhillError listing the known names."""
    specs = registry()
    if name not in specs:
        raise DownhillError(f"unknown optimiser '{name}'; choose one of {', '.join(specs)}")
    return specs[name]
