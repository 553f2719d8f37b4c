"""The words of a regime: the one-line evidence a student reads under the label (the read-out's badge).

Each sentence names the evidence for its claim in numbers (see physics.regime for the rules):
"minimum: 0.002 from the critical point (1.000, 2.000), curvature +1.0 and +25.0";
"oscillating: lr × (λ_max + weight decay) = 2.07 > 2".
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np

from physics.regime import DIVERGING, EDGE, MAXIMUM, MINIMUM, OSCILLATING, PLATEAU, REGIMES, SADDLE


class Evidence(NamedTuple):
    """What one particle's sentence may cite besides its loss, gradient and eigenvalues.

    Attributes:
        lr: the learning rate (NaN if the method has none).
        stability: the optimiser's stability constant c (NaN if it declares no bound).
        shift: what its bound adds to λ_max (the weight decay), 0 if nothing.
        curvature: the λ_max the oscillation test used (the larger of the two ends of the last
            step), NaN to use the current λ_max.
        kappa: for a method whose rate is per coordinate (Adam, RMSProp, ...), the κ its bound
            read: λ_max(R (H + shift I)) / c, R the rate per coordinate (NaN otherwise).
        distance: the Newton distance |H^-1 g| to the critical point of the local model (NaN if unknown).
        critical_point: that point (x, y), or None.
        stopped: why a diverging particle was stopped ("f is undefined here", ...).
    """

    lr: float = math.nan
    stability: float = math.nan
    shift: float = 0.0
    curvature: float = math.nan
    kappa: float = math.nan
    distance: float = math.nan
    critical_point: tuple[float, float] | None = None
    stopped: str = ""


def format_number(value: float, signed: bool = False) -> str:
    """A number the way a student reads it: '+2.0', '0.9', '25.0', '1e-4', '3e+5'."""
    if not math.isfinite(value):
        return str(value)
    if value == 0.0:
        return "0"
    magnitude = abs(value)
    sign = "+" if signed else ""
    if 1.0 <= magnitude < 1e4:
        return f"{value:{sign}.1f}"
    if 1e-2 <= magnitude < 1.0:
        text = f"{value:{sign}.2g}"
        return text if abs(float(text)) < 1.0 else f"{value:{sign}.4g}"  # 0.9999 is not "1"
    text = f"{value:{sign}.0e}"
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", text)


def format_distance(value: float) -> str:
    """A distance: three decimals from 0.001 up ('0.002', '0.35'), else as :func:`format_number` ('1e-9')."""
    if math.isfinite(value) and 1e-3 <= value < 1e4:
        return f"{value:.3g}" if value >= 1.0 else f"{value:.1g}" if value < 1e-2 else f"{value:.2g}"
    return format_number(value)


def _ratio(value: float) -> str:
    """A product like lr × λ_max: three significant figures ('2.07', '10', '246')."""
    return f"{value:.3g}"


def describe(code: int, *, loss: float, gradient_norm: float, eigenvalues: tuple[float, float],
             evidence: Evidence | None = None) -> str:
    """The short words for one particle: "saddle: 1e-9 from the critical point (0.000, 0.000),
    curvature -1.0 and +2.0" and the like.

    Args:
        code: the regime code (physics.regime).
        loss, gradient_norm: f and |grad f| at the particle.
        eigenvalues: (λ_min, λ_max) there.
        evidence: the rest the sentence may cite (:class:`Evidence`; none by default).
    """
    evidence = evidence or Evidence()
    lam_min, lam_max = eigenvalues
    curvature = f"curvature {format_number(lam_min, True)} and {format_number(lam_max, True)}"
    name = REGIMES[code]
    if code in (MINIMUM, SADDLE, MAXIMUM):
        point = evidence.critical_point
        if point is not None and math.isfinite(evidence.distance):
            x, y = (round(value, 3) + 0.0 for value in point)  # (+ 0.0: never "-0.000")
            return (f"{name}: {format_distance(evidence.distance)} from the critical point "
                    f"({x:.3f}, {y:.3f}), {curvature}")
        return f"{name}: {curvature}"
    if code == PLATEAU:
        return f"plateau: gradient {format_number(gradient_norm)} but loss still {format_number(loss)}, {curvature}"
    if code == OSCILLATING:
        return _oscillation_words(lam_max, evidence)
    if code == DIVERGING:
        return f"diverging: {evidence.stopped or 'stopped'}"
    return f"descending: gradient {format_number(gradient_norm)}, loss {format_number(loss)}"


def _oscillation_words(lam_max: float, evidence: Evidence) -> str:
    """'oscillating: lr × λ_max = 2.4 > 2', with the weight decay when the bound has it, or the
    flips' own evidence for a method without a bound."""
    lr, stability, shift = evidence.lr, evidence.stability, evidence.shift
    top = evidence.curvature if math.isfinite(evidence.curvature) else lam_max
    if math.isfinite(evidence.kappa) and math.isfinite(stability) and stability > 0:
        # (a rate per coordinate: R = lr / (sqrt(v) + eps) for Adam, folded into the product)
        product = evidence.kappa * stability
        term = "rate × (λ_max + weight decay), per coordinate," if shift else "rate × λ_max, per coordinate,"
        if product <= stability * (1.0 + EDGE):
            return (f"oscillating: {term} = {_ratio(product)}, at the bound {stability:.3g}: "
                    f"the step swings at its stability edge")
        return f"oscillating: {term} = {_ratio(product)} > {stability:.3g}"
    if math.isfinite(lr) and math.isfinite(stability) and stability > 0:
        product = lr * (top + shift)
        term = "lr × (λ_max + weight decay)" if shift else "lr × λ_max"
        if product <= stability * (1.0 + EDGE):
            return (f"oscillating: {term} = {_ratio(product)}, at the bound {stability:.3g}: "
                    f"a two-cycle that neither grows nor shrinks")
        return f"oscillating: {term} = {_ratio(product)} > {stability:.3g}"
    return (f"oscillating: steps flip along the steepest direction and do not shrink "
            f"(curvature {format_number(top, True)})")


def describe_swarm(counts: np.ndarray, leading: str) -> str:
    """For a swarm: the share of each regime present, most common first, then the leading detail.

    Args:
        counts: (7,) particles per regime.
        leading: :func:`describe` of the swarm's representative particle.
    """
    total = int(counts.sum())
    order = np.argsort(-counts, kind="stable")
    shares = [f"{100.0 * counts[i] / total:.0f}% {REGIMES[i]}" for i in order if counts[i] > 0]
    return f"{', '.join(shares)} of {total} particles ({leading})"
