r"""Regime diagnosis: what each particle is doing, in a word a student understands.

A label is a claim about the dynamics, and each is checked by what would make it true. Seven
regimes (their codes index :data:`REGIMES`):

``descending``   making progress downhill (the default: no other claim is proven).
``minimum``      settled at a critical point whose Hessian is positive definite (or flat, at a
                 loss near the lowest known).
``saddle``       settled at a critical point whose Hessian has eigenvalues of both signs.
``maximum``      settled at a critical point whose eigenvalues are both negative.
``plateau``      the trap that looks like convergence: the gradient is small but the loss is still
                 high and the Hessian is nearly zero (nothing pulls the ball anywhere).
``oscillating``  the step flips direction along the steepest eigen-direction and the rate is at or
                 past the optimiser's stability bound lr (λ_max + shift) < c (its registry entry:
                 c = 2 and shift = weight decay for gradient descent, 2 (1 + momentum) for heavy
                 ball, ...); for methods whose rate adapts per coordinate (Adam, RMSProp, AdaGrad,
                 traingda/traingdx: the bound λ_max(R (H + shift I)) < c with R the rate each
                 coordinate applies, 2 (1 + β1) / (1 - β1) for Adam), the swing along the steepest
                 direction does not shrink and the rate is near that edge; for methods without a
                 bound (Rprop), the swing alone.
``diverging``    the particle left every sensible bound (or f is undefined there) and was stopped.

Scales. Where a threshold needs a surface scale it is measured once on a 41 x 41 grid over the
domain (:class:`RegimeScales`): G, the 75th percentile of |grad f|; C, the 75th percentile of the
spectral radius max(|λ_1|, |λ_2|); L, the spread of f between its 5th and 95th percentiles; D, the
domain's diagonal. The lowest loss known (the grid's minimum, lowered by every loss a particle has
seen) is the floor that "still high" is measured from. Whether a particle is *at* a critical point
is judged in local units instead: the distance to the critical point of the local quadratic model,
against a radius NEAR D and against the ball's own recent motion, never against G (on Beale, where
|grad f| reaches 1.8e5 on the grid, a gradient of 1.4 is not "about zero").

Notation, per particle: g the true gradient now; ḡ the true gradient averaged over recent steps (an
exponential moving average whose newest step weighs 2 / (WINDOW + 1), the weight of a WINDOW-step
mean); s the root mean square of the gradient noise the optimiser received (sqrt(2) σ_t for
Gaussian noise; for mini-batches |estimate - g| measured each step and averaged the same way; zero
without noise); r the root mean square step length and m̄ the mean step (a vector), averaged the
same way; λ_min <= λ_max the Hessian's eigenvalues and ρ = max(|λ_min|, |λ_max|);
d = |H^-1 g| the Newton distance (the length of Newton's step: how far the critical point of the
local quadratic model lies; a component of g along an eigenvalue exactly 0 counts as infinitely
far, a zero component as no distance), d̄ the same for ḡ; "flat" means |λ| <= FLAT_CURVATURE
min(C, ρ) (zero against both the surface's curvature and the other eigenvalue).

Raw rules, first match wins:

1. inactive -> diverging.
2. moving: the ball still travels steadily in one direction, |m̄| > STEADY_DRIFT r (the net
   displacement over the window is comparable to the path length), with a step long enough to
   leave the near radius within a window, WINDOW |step| > NEAR D. A moving ball is never settled.
3. settled, when not moving:
   - at a critical point: d <= NEAR D and |step| <= NEAR D (not passing through at speed); or
   - under noise (at least MIN_WINDOW steps averaged; |ḡ| <= NOISE_RATIO s, the true pull below the
     noise): d̄ <= BOWL_REACH r if H is positive definite (the bowl's bottom within a few dozen
     jitters), d̄ <= REACH r otherwise (the saddle or flat point it jitters around within a few
     steps: a ball drifting down a long noisy slope has that point far away).
   Then by curvature: λ_max < -flat -> maximum; λ_min < -flat -> saddle; λ_min > flat -> minimum;
   otherwise (a zero curvature) plateau if the loss is high, else minimum.
4. not settled, |g| <= PLATEAU_GRADIENT G, ρ <= PLATEAU_CURVATURE C and the loss is high -> plateau.
5. descending.
6. oscillating overrides 3-5 when the last OSCILLATION_FLIPS + 1 steps alternate in sign along the
   top eigenvector (a step of zero, rejected, neither flips nor breaks the count), the last step is
   not zero, and, with κ = lr (max(λ_max now, λ_max before the step) + shift) / c (the step spans
   both points: a bounce between a wall and a flat foot feels the wall's curvature), κ >= 1 - EDGE
   (with a declared bound) or rules 3-5 said descending (without one), and either
   - the label is oscillating already: an oscillation shown lasts while the steps alternate (an
     adaptive rate that sits at its own stability edge swings in bursts that grow and fade: one
     oscillation for the whole cycle); or
   - the last step lies mostly along the top eigenvector u (|step . u| >= SWING_SHARE |step|: a
     bounce a student sees, not a small zig-zag across the ball's travel) and κ > 1 + EDGE (past
     the bound) or the swing does not shrink (|step . top| >= STEADY_SWING |previous step . top|,
     or over a whole cycle >= STEADY_SWING^2 |the step two before . its top|, as a bounce between a
     steep wall and a gentle one swings long and short in turn): at the bound exactly, a steady
     two-cycle.
   A method whose rate is per coordinate has κ = λ_max(R (H + shift I)) / c measured from its state
   (the larger over both ends of the step; physics.optimizers.base.OptimizerSpec.effective_rate).
   Its rate re-adapts every step, so past the edge a swing may grow, settle or die out: it is
   judged as a method without a bound (rules 3-5 said descending; an oscillation shown lasts while
   the steps alternate, else a visible swing that does not shrink), and a new oscillation also needs
   κ >= ADAPTIVE_EDGE (near the edge: such a rate hovers about κ = 1 while it swings).

"The loss is high" means loss - floor > HIGH_LOSS L.

Hysteresis (:func:`settle_label`): the label shown is the raw regime only once the raw regime has
held HOLD consecutive steps; until then the label stays what it was, in both directions (a steady
bounce or conjugate gradient's alternating steps get one label for their whole length). Diverging
is shown at once, and a particle's first label is its raw regime.

These are pure functions on arrays: the simulation keeps the windows and the per-particle
hysteresis state (label, candidate, held: arrays of shape (n,)) and calls them for all particles
of all balls at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physics.compiled import inlined, kernel
from physics.eigen import symmetric_eigenvalues
from surfaces.surface import Domain, Surface

REGIMES = ("descending", "minimum", "saddle", "maximum", "plateau", "oscillating", "diverging")
DESCENDING, MINIMUM, SADDLE, MAXIMUM, PLATEAU, OSCILLATING, DIVERGING = range(len(REGIMES))
CODES = {name: code for code, name in enumerate(REGIMES)}

#: Steps of the window over which the true gradient, the step and the noise are averaged (exponentially).
WINDOW = 8
#: The weight of the newest step in those averages.
WINDOW_WEIGHT = 2.0 / (WINDOW + 1)
#: Steps averaged before the noise test may call a particle settled.
MIN_WINDOW = 4
#: At a critical point: the Newton distance within this fraction of the domain's diagonal D.
NEAR = 2e-3
#: Moving steadily: the mean step at least this fraction of the root mean square step.
STEADY_DRIFT = 0.7
#: Under noise: |ḡ| below NOISE_RATIO times the noise, and the model's critical point within REACH
#: mean steps (BOWL_REACH in a positive definite bowl).
NOISE_RATIO = 1.0
REACH = 2.0
BOWL_REACH = 20.0
#: |λ| below this fraction of min(C, ρ) counts as zero curvature.
FLAT_CURVATURE = 1e-3
#: A plateau: |g| below this fraction of G and every |λ| below this fraction of C ...
PLATEAU_GRADIENT = 0.05
PLATEAU_CURVATURE = 0.05
#: ... while the loss is above the floor by more than this fraction of L.
HIGH_LOSS = 0.05
#: Consecutive sign flips along the top eigenvector (so FLIPS + 1 alternating steps) that make an oscillation.
OSCILLATION_FLIPS = 2
#: The swing along the top eigenvector counts as not shrinking above this ratio per step (its
#: square over the two steps of a cycle).
STEADY_SWING = 0.9
#: An oscillation is a bounce a student sees: the step's share along the top eigenvector at least this.
SWING_SHARE = 0.5
#: Relative tolerance of "at the stability bound": lr (λ + shift) / c within 1 ± EDGE.
EDGE = 1e-3
#: A rate that adapts per coordinate is near its stability edge at κ = λ_max(R (H + shift I)) / c >= this:
#: re-adapting every step, it hovers about κ = 1 while it swings (measured 0.7-1.4 through RMSProp's
#: and Adam's two-cycles), and a swing at κ below one half is no rate's instability (a zig-zag the
#: surface's shape makes).
ADAPTIVE_EDGE = 0.5
#: Steps a new raw regime must hold before the label changes to it (diverging: at once).
HOLD = 5
#: The label of a particle with no label yet (the hysteresis state's start).
NO_LABEL = -1

_TINY = 1e-300
@dataclass(frozen=True)
class RegimeScales:
    """The surface's scales the thresholds are relative to (see the module docstring).

    Attributes:
        gradient: G, the 75th percentile of |grad f| over the grid (gradient units).
        curvature: C, the 75th percentile of the Hessian's spectral radius over the grid.
        loss: L, the 95th minus the 5th percentile of f over the grid (loss units).
        floor: the lowest f on the grid (loss units).
        length: D, the diagonal of the domain (surface units).
    """

    gradient: float
    curvature: float
    loss: float
    floor: float
    length: float = 1.0

    @classmethod
    def of_surface(cls, surface: Surface, domain: Domain | None = None, resolution: int = 41) -> RegimeScales:
        """Measure the scales of ``surface`` over ``domain`` (its own by default)."""
        domain = domain or surface.domain
        xs, ys = domain.grid(resolution)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        evaluation = surface.evaluate(np.column_stack([gx.ravel(), gy.ravel()]))
        value = evaluation.value[np.isfinite(evaluation.value)]
        with np.errstate(over="ignore"):  # (squares beyond 1e308: the length is taken again below)
            grad = np.sqrt((evaluation.gradient ** 2).sum(axis=1))
        overflowed = np.isinf(grad)
        grad[overflowed] = np.hypot(evaluation.gradient[overflowed, 0], evaluation.gradient[overflowed, 1])
        grad = grad[np.isfinite(grad)]
        hessian = evaluation.hessian[np.isfinite(evaluation.hessian).all(axis=(1, 2))]
        radius = np.abs(symmetric_eigenvalues(hessian)).max(axis=1) if len(hessian) else np.zeros(0)
        return cls(
            gradient=_positive(np.percentile(grad, 75) if grad.size else 1.0, 1.0),
            curvature=_positive(np.percentile(radius, 75) if radius.size else 1.0, 1.0),
            loss=_positive(np.percentile(value, 95) - np.percentile(value, 5) if value.size else 1.0,
                           _positive(float(np.ptp(value)) if value.size else 1.0, 1.0)),
            floor=float(value.min()) if value.size else 0.0,
            length=domain.diameter,
        )


def take_rows(array: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Rows ``index`` (an index array or a boolean mask) of a per-particle array (n,) or (n, k).

    Column by column for (n, k): NumPy's fancy indexing of a column-major (n, k) array (the
    simulation's layout) takes a generic path, about twice as slow as gathering each column.
    """
    if array.ndim == 1:
        return array[index]
    return np.stack([array[:, column][index] for column in range(array.shape[1])], axis=1)


def _positive(value: float, fallback: float) -> float:
    value = float(value)
    return value if math.isfinite(value) and value > 0.0 else fallback


def diagnose(*, active: np.ndarray, loss: np.ndarray, gradient: np.ndarray, gradient_norm: np.ndarray,
             step_size: np.ndarray, mean_gradient: np.ndarray, mean_step: np.ndarray, noise_power: np.ndarray | float,
             step_power: np.ndarray, window_count: np.ndarray | int, eigenvalues: np.ndarray, top: np.ndarray,
             flips: np.ndarray, swing: np.ndarray, previous_swing: np.ndarray, bound_rate: np.ndarray,
             scales: RegimeScales, floor: float, bound_shift: np.ndarray | None = None,
             previous_lam_max: np.ndarray | None = None, earlier_swing: np.ndarray | None = None,
             swing_top: np.ndarray | None = None, positions: np.ndarray | None = None,
             bound_kappa: np.ndarray | None = None) -> np.ndarray:
    """The raw regime code (n,) int8 of each particle (see the module docstring for the rules).

    One compiled pass over the particles (:func:`regime_of` for each): the costlier tests (the
    quadratic model's distance) only for the few particles that the cheap ones leave in doubt.

    Args:
        active: (n,) bool, False for particles stopped as diverging.
        loss: (n,) f at the particles.
        gradient: (n, 2) g, the true gradient now; gradient_norm: (n,) |g|.
        step_size: (n,) the length of the last step.
        mean_gradient: (n, 2) ḡ, the true gradient averaged over recent steps.
        mean_step: (n, 2) m̄, the step averaged over recent steps (position units).
        noise_power: (n,) s^2, the mean square of the gradient noise over recent steps (0 without
            noise), or one number for all particles.
        step_power: (n,) r^2, the mean square step length over recent steps.
        window_count: (n,) int, how many steps have been averaged, or one number for all particles.
        eigenvalues: (n, 2) [λ_min, λ_max] of H now.
        top: (n, 2) an eigenvector of λ_max, of any length (zero where H is a multiple of I).
        flips: (n,) int, consecutive sign flips of the step along the top eigenvector.
        swing, previous_swing: (n,) step . top of the last step and of the one before (signed).
        earlier_swing: (n,) the swing of the step two before (previous_swing if None).
        swing_top: (n, 2) the top eigenvector the swings were measured on, where the last step was
            taken (``top`` if None).
        positions: (n, 2) where the particles are: with weight decay (``bound_shift``), a particle
            is judged on f + (wd / 2) |p|^2, the loss its optimiser descends (see :func:`regime_codes`).
        bound_rate: (n,) lr / c for optimisers with a stability bound lr (λ_max + shift) < c, NaN otherwise.
        scales: the surface's scales.
        floor: the lowest loss known.
        bound_shift: (n,) the shift (weight decay) added to λ_max in the bound; zero if None.
        previous_lam_max: (n,) λ_max where the last step was taken; λ_max now if None.
        bound_kappa: (n,) κ measured for methods whose rate is per coordinate (see
            :func:`regime_codes`); NaN for the others (None: for all).
    """
    n = loss.shape[0]
    return regime_codes(active=active, loss=loss, gradient=gradient, gradient_norm=gradient_norm,
                        step_size=step_size, mean_gradient=mean_gradient, mean_step=mean_step,
                        noise_power=noise_power, step_power=step_power, window_count=window_count,
                        eigenvalues=eigenvalues, top=top, flips=flips, swing=swing, previous_swing=previous_swing,
                        bound_rate=bound_rate, bound_shift=np.zeros(n) if bound_shift is None else bound_shift,
                        previous_lam_max=eigenvalues[:, 1] if previous_lam_max is None else previous_lam_max,
                        earlier_swing=previous_swing if earlier_swing is None else earlier_swing,
                        swing_top=top if swing_top is None else swing_top, positions=positions,
                        thresholds=regime_thresholds(scales, floor), bound_kappa=bound_kappa)


def regime_codes(*, active: np.ndarray, loss: np.ndarray, gradient: np.ndarray, gradient_norm: np.ndarray,
                 step_size: np.ndarray, mean_gradient: np.ndarray, mean_step: np.ndarray,
                 noise_power: np.ndarray | float, step_power: np.ndarray, window_count: np.ndarray | int,
                 eigenvalues: np.ndarray, top: np.ndarray, flips: np.ndarray, swing: np.ndarray,
                 previous_swing: np.ndarray, bound_rate: np.ndarray, bound_shift: np.ndarray,
                 previous_lam_max: np.ndarray, earlier_swing: np.ndarray, swing_top: np.ndarray,
                 thresholds: tuple[float, ...],
                 out: np.ndarray | None = None,
                 labels: np.ndarray | None = None, candidate: np.ndarray | None = None,
                 held: np.ndarray | None = None, positions: np.ndarray | None = None,
                 bound_kappa: np.ndarray | None = None) -> np.ndarray:
    """:func:`diagnose` with the limits already scaled (:func:`regime_thresholds`), into ``out`` (n,)
    int8 if given.

    With ``labels`` (n,) int8, the labels of the step before (NO_LABEL for none), and the hysteresis
    state ``candidate`` (n,) int8 and ``held`` (n,) int32 (updated in place), the codes written are
    the labels after :func:`settle_label`; without them, the raw regimes. With ``positions`` (n, 2),
    a particle whose ``bound_shift`` (weight decay) is not zero is judged on the loss its optimiser
    descends, f + (wd / 2) |p|^2 (gradient g + wd p, Hessian H + wd I). ``bound_kappa`` (n,)
    or (1,): for particles of a method whose rate is per coordinate (no one lr: ``bound_rate`` is
    NaN), κ measured from its state, λ_max(R (H + shift I)) / c (see
    physics.optimizers.base.OptimizerSpec.effective_rate); NaN (None: for all) where κ is
    lr (max(λ_max, λ_max before) + shift) / c, or where there is no bound.
    """
    codes = np.empty(loss.shape[0], dtype=np.int8) if out is None else out
    if positions is not None and (bound_shift != 0.0).any():  # (twice as fast as .any() on floats)
        # Weight decay: the ball descends f + (wd / 2) |p|^2, whose gradient is g + wd p and whose
        # Hessian is H + wd I; it settles where that gradient vanishes, not where g does.
        shift = np.asarray(bound_shift)
        gradient = gradient + shift[:, None] * positions
        gradient_norm = np.hypot(gradient[:, 0], gradient[:, 1])
        mean_gradient = mean_gradient + shift[:, None] * positions
        eigenvalues = eigenvalues + shift[:, None]
        previous_lam_max = previous_lam_max + shift
        bound_shift = np.zeros_like(shift)  # (now in the eigenvalues)
    if labels is None:
        labels = candidate = np.empty(0, dtype=np.int8)
        held = np.empty(0, dtype=np.int32)
    _diagnose_kernel(
        np.asarray(active, dtype=np.bool_), loss, gradient[:, 0], gradient[:, 1], gradient_norm, step_size,
        mean_gradient[:, 0], mean_gradient[:, 1], mean_step[:, 0], mean_step[:, 1],
        np.asarray(noise_power, dtype=np.float64).reshape(-1), step_power,
        np.asarray(window_count, dtype=np.int64).reshape(-1), eigenvalues[:, 0], eigenvalues[:, 1],
        top[:, 0], top[:, 1], np.asarray(flips), swing, previous_swing, earlier_swing, swing_top[:, 0],
        swing_top[:, 1], bound_rate, bound_shift, previous_lam_max,
        _NO_KAPPA if bound_kappa is None else bound_kappa, thresholds, labels, candidate, held, codes)
    return codes


#: Codes the first pass of :func:`_diagnose_kernel` leaves for its second (never a regime or a label):
#: _KNOWN + the code of rules 1-5 (the oscillation test or the hysteresis left), or _UNDECIDED (all left).
_KNOWN = 64
_UNDECIDED = 127
#: No particle's bound reads a per-coordinate curvature.
_NO_KAPPA = np.full(1, np.nan)


@kernel
def _diagnose_kernel(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y,  # noqa: ANN001
                     drift_x, drift_y, noise_power, step_power, window_count, lam_min, lam_max, top_x, top_y, flips,
                     swing, previous_swing, earlier_swing, swing_top_x, swing_top_y, bound_rate, bound_shift,
                     previous_lam_max, bound_kappa, thresholds, labels, candidate, held, codes) -> None:
    """:func:`regime_of` then :func:`oscillation_of` for each particle i (arguments as
    :func:`diagnose`'s, per component; ``noise_power`` and ``window_count`` (1,) or (n,)), then
    :func:`settle_label` when ``labels`` is not empty; the codes into ``codes`` (n,).

    Two passes. The first, without a branch or a call (so that the compiler vectorises it), and
    reading only the arrays its tests need (the step is bound by memory traffic: not the mean step,
    the step power, the oscillation's arrays), decides rules 1-5 for every particle that is not at
    the critical point of its model (the test of :func:`_within` where no eigenvalue is zero) nor
    under the noise test (a swarm's step: nearly all of them; on Rosenbrock 95% pass the cheap
    ``close`` test, so the model's test belongs in this pass): those can only be plateau or
    descending (or diverging). Where, too, no oscillation test is due (fewer than OSCILLATION_FLIPS
    flips) and the hysteresis leaves the state as it is, it writes the label; elsewhere _KNOWN + the
    code of rules 1-5, or _UNDECIDED, leaving the hysteresis state alone. The second pass finishes
    those few: the full rules (:func:`regime_of`) for _UNDECIDED, then :func:`oscillation_of` and
    :func:`settle_label`. Measured on the benchmark's 100 000 particles: 1.0 -> 0.35 ms (one pass
    running the rules for each particle, kept scalar by their branches and calls). The inlined rules
    take scalars only (an array handed to them costs two atomic reference-count updates a
    particle: measured, ten times slower).
    """
    settling = labels.shape[0] > 0
    if noise_power.shape[0] == 1 and window_count.shape[0] == 1:
        _first_pass(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y, noise_power[0],
                    window_count[0], lam_min, lam_max, top_x, top_y, flips, thresholds, labels, candidate, held, codes,
                    settling)
    else:
        _first_pass_each(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y,
                         noise_power, window_count, lam_min, lam_max, top_x, top_y, flips, thresholds, labels,
                         candidate, held, codes, settling)
    shared_noise = noise_power.shape[0] == 1
    shared_window = window_count.shape[0] == 1
    kappa_stride = 0 if bound_kappa.shape[0] == 1 else 1
    for i in range(loss.shape[0]):
        code = codes[i]
        if code < _KNOWN:
            continue
        if code == _UNDECIDED:
            raw = regime_of(active[i], loss[i], gradient_x[i], gradient_y[i], gradient_norm[i], step_size[i],
                            mean_x[i], mean_y[i], drift_x[i], drift_y[i],
                            noise_power[0] if shared_noise else noise_power[i], step_power[i],
                            window_count[0] if shared_window else window_count[i], lam_min[i], lam_max[i],
                            top_x[i], top_y[i], thresholds)
        else:  # (rules 1-5 decided in the first pass: only the oscillation test or the hysteresis is left)
            raw = code - _KNOWN
        if flips[i] >= OSCILLATION_FLIPS and raw != DIVERGING:
            continuing = settling and labels[i] == OSCILLATING
            if oscillation_of(raw, continuing, step_size[i], lam_max[i], swing[i], previous_swing[i], earlier_swing[i],
                              swing_top_x[i], swing_top_y[i], bound_rate[i], bound_shift[i], previous_lam_max[i],
                              bound_kappa[i * kappa_stride]):
                raw = OSCILLATING
        if settling:
            label, candidate[i], held[i] = settle_label(raw, labels[i], candidate[i], held[i])
            codes[i] = label
        else:
            codes[i] = raw


@inlined
def _cheap_tests(loss, gradient_norm, step_size, mean_x, mean_y, noise_power, window_count, lam_min,  # noqa: ANN001
                 lam_max, thresholds) -> tuple[float, bool, bool, bool, bool]:
    """The tests of rules 1-5 that every particle takes, shared by :func:`regime_of` and the first
    pass: (spectral radius, close, plateau, noisy, lifted).

    Cheap necessary conditions (& rather than `and`: no branch to mispredict for the many particles
    that are simply descending): d >= |g| / ρ, so d <= NEAR D needs |g| <= NEAR D ρ ("close").
    """
    near, plateau_gradient, plateau_curvature, _flat_scale, high_loss = thresholds
    radius = max(lam_max, -lam_min)
    close = (gradient_norm <= near * radius) & (step_size <= near)
    plateau = (gradient_norm <= plateau_gradient) & (radius <= plateau_curvature)
    pull = mean_x * mean_x + mean_y * mean_y
    noisy = ((noise_power > 0.0) & (window_count >= MIN_WINDOW)
             & (pull <= (NOISE_RATIO * NOISE_RATIO) * noise_power))
    lifted = loss > high_loss
    return radius, close, plateau, noisy, lifted


@inlined
def _plain_code(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y,  # noqa: ANN001
                noise_power, window_count, lam_min, lam_max, top_x, top_y, flips, settling, label, candidate,
                held, thresholds) -> int:
    """The first pass's code of one particle, by selects only (no branch): its label where rules 1-5
    decide it by their cheap tests (plateau, descending or diverging), no oscillation test is due
    and the hysteresis leaves the state as it is; _KNOWN + the raw code of rules 1-5 where only the
    oscillation test or the hysteresis is left; _UNDECIDED where rules 1-5 need their costly tests."""
    near = thresholds[0]
    radius, close, plateau, noisy, lifted = _cheap_tests(loss, gradient_norm, step_size, mean_x, mean_y, noise_power,
                                                         window_count, lam_min, lam_max, thresholds)
    # :func:`_within` without its branch: where an eigenvalue or the top eigenvector is zero, left
    # to the second pass (as is every particle the test finds settled, whose motion is checked there)
    length = top_x * top_x + top_y * top_y
    along = (top_x * gradient_x + top_y * gradient_y) * lam_min
    across = (top_x * gradient_y - top_y * gradient_x) * lam_max
    product = lam_min * lam_max
    within = ((lam_min == 0.0) | (lam_max == 0.0) | (length == 0.0)
              | (along * along + across * across <= (near * near) * length * (product * product)))
    raw = PLATEAU if plateau & lifted else DESCENDING
    raw = raw if active else DIVERGING
    # settle_label leaves the state as it is where the label is the raw regime, and is the candidate,
    # held 0 steps (a swarm's step: nearly every particle)
    steady = (not settling) | ((raw == label) & (candidate == raw) & (held == 0))
    code = raw if steady & ((flips < OSCILLATION_FLIPS) | (not active)) else raw + _KNOWN
    return _UNDECIDED if active & ((close & within) | noisy) else code


@kernel
def _first_pass(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y,  # noqa: ANN001
                noise_power, window_count, lam_min, lam_max, top_x, top_y, flips, thresholds, labels, candidate,
                held, codes, settling) -> None:
    """The first pass of :func:`_diagnose_kernel` with one noise power and one window count for all."""
    if settling:
        for i in range(loss.shape[0]):
            codes[i] = _plain_code(active[i], loss[i], gradient_x[i], gradient_y[i], gradient_norm[i], step_size[i],
                                   mean_x[i], mean_y[i], noise_power, window_count, lam_min[i], lam_max[i], top_x[i],
                                   top_y[i], flips[i], True, labels[i], candidate[i], held[i], thresholds)
    else:
        for i in range(loss.shape[0]):
            codes[i] = _plain_code(active[i], loss[i], gradient_x[i], gradient_y[i], gradient_norm[i], step_size[i],
                                   mean_x[i], mean_y[i], noise_power, window_count, lam_min[i], lam_max[i], top_x[i],
                                   top_y[i], flips[i], False, 0, 0, 0, thresholds)


@kernel
def _first_pass_each(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y,  # noqa: ANN001
                     noise_power, window_count, lam_min, lam_max, top_x, top_y, flips, thresholds, labels,
                     candidate, held, codes, settling) -> None:
    """The first pass of :func:`_diagnose_kernel` with ``noise_power`` and ``window_count`` (1,) or (n,)."""
    noise_stride = 0 if noise_power.shape[0] == 1 else 1
    window_stride = 0 if window_count.shape[0] == 1 else 1
    for i in range(loss.shape[0]):
        codes[i] = _plain_code(active[i], loss[i], gradient_x[i], gradient_y[i], gradient_norm[i], step_size[i],
                               mean_x[i], mean_y[i], noise_power[i * noise_stride], window_count[i * window_stride],
                               lam_min[i], lam_max[i], top_x[i], top_y[i], flips[i], settling,
                               labels[i] if settling else 0, candidate[i] if settling else 0,
                               held[i] if settling else 0, thresholds)


@inlined
def settle_label(raw, label, candidate, held) -> tuple[int, int, int]:  # noqa: ANN001
    """The hysteresis of one particle: (label, candidate, held) after a step whose raw regime is ``raw``.

    ``label`` is the label shown so far (NO_LABEL before the first), ``candidate`` the raw regime
    that differs from it and ``held`` for how many consecutive steps it has held. The label becomes
    the candidate once it has held HOLD steps; diverging, and a first label, are taken at once.
    """
    if raw == DIVERGING or label == NO_LABEL or raw == label:
        return raw, raw, 0
    if raw == candidate:
        held += 1
    else:
        candidate, held = raw, 1
    if held >= HOLD:
        return raw, raw, 0
    return label, candidate, held


@inlined
def regime_of(active, loss, gradient_x, gradient_y, gradient_norm, step_size, mean_x, mean_y,  # noqa: ANN001
              drift_x, drift_y, noise_power, step_power, window_count, lam_min, lam_max, top_x, top_y,
              thresholds) -> int:
    """Raw rules 1-5 of the module docstring for one particle (a compiled function for other kernels).

    Arguments are :func:`diagnose`'s for this particle, vectors by component (``drift`` the mean
    step); ``thresholds`` holds the scaled limits in the order :func:`regime_thresholds` builds them.
    """
    if not active:
        return DIVERGING
    near, flat_scale = thresholds[0], thresholds[3]
    radius, close, plateau, noisy, lifted = _cheap_tests(loss, gradient_norm, step_size, mean_x, mean_y, noise_power,
                                                         window_count, lam_min, lam_max, thresholds)
    flat = FLAT_CURVATURE * min(flat_scale, radius)
    positive = lam_min > flat
    # At the critical point of the model: tested for every particle, as a select (a branch on
    # `close` would be mispredicted half the time in a swarm whose steps are near NEAR D).
    settled = close & _within(gradient_x, gradient_y, lam_min, lam_max, top_x, top_y, near)
    if noisy | settled:  # (rare: the noise test, and the recent motion)
        if noisy and not settled:
            settled = _within(mean_x, mean_y, lam_min, lam_max, top_x, top_y,
                              (BOWL_REACH if positive else REACH) * np.sqrt(step_power))
        if settled:
            # Moving steadily: the mean step near the root mean square step, and long enough to leave
            # the near radius within a window (a ball that has arrived takes ever shorter steps).
            drift = drift_x * drift_x + drift_y * drift_y
            settled = not ((WINDOW * step_size > near) & (drift > (STEADY_DRIFT * STEADY_DRIFT) * step_power))
    # Settled: classified by curvature, each test overriding the one before (as selects, not branches).
    code = PLATEAU if (plateau & lifted) | (settled & (not positive) & lifted) else DESCENDING
    code = MINIMUM if settled & (positive | (not lifted)) else code
    code = SADDLE if settled & (lam_min < -flat) else code
    code = MAXIMUM if settled & (lam_max < -flat) else code
    return code


@inlined
def oscillation_of(code, continuing, step_size, lam_max, swing, previous_swing, earlier_swing,  # noqa: ANN001
                   swing_top_x, swing_top_y, bound_rate, bound_shift, previous_lam_max,
                   bound_kappa=np.nan) -> bool:
    """Rule 6 for one particle whose last OSCILLATION_FLIPS + 1 steps alternate along the top
    eigenvector, given ``code`` of rules 1-5 and whether its label was oscillating already
    (``continuing``): is it oscillating? (Other arguments as :func:`diagnose`'s; ``bound_kappa``
    as :func:`regime_codes`'s.)"""
    if step_size == 0.0:  # (a rejected step keeps the count of flips, but is no swing)
        return False
    if bound_kappa == bound_kappa:
        # A rate per coordinate (κ measured from the optimiser's state) re-adapts: past its edge the
        # swing may grow, settle or die out, so only a swing that does not shrink shows an
        # oscillation (as for a method without a bound), and κ near the edge must confirm its start
        # (not its continuation: the rate falls back below its edge within each burst).
        due = (code == DESCENDING) & (continuing | (bound_kappa >= ADAPTIVE_EDGE))
        kappa = 0.0
    else:
        bounded = bound_rate == bound_rate  # (NaN: no declared bound)
        kappa = bound_rate * (max(lam_max, previous_lam_max) + bound_shift) if bounded else 0.0
        # The cheap test first: at or past the bound (with one), or descending (without).
        due = (kappa >= 1.0 - EDGE) if bounded else (code == DESCENDING)
    if not due:
        return False
    # An oscillation shown lasts while the steps alternate: an adaptive rate that sits at its own
    # stability edge swings in bursts that grow and fade, one oscillation for the whole cycle.
    if continuing:
        return True
    if not visible_swing(step_size, swing, swing_top_x, swing_top_y):
        return False
    return (kappa > 1.0 + EDGE) | steady_swing(swing, previous_swing, earlier_swing)


@inlined
def visible_swing(step_size, swing, swing_top_x, swing_top_y) -> bool:  # noqa: ANN001
    """A bounce a student sees: the step mostly along the top eigenvector it swung on,
    |swing| >= SWING_SHARE |step| |top| (a NaN swing is not refused)."""
    return not (swing * swing < (SWING_SHARE * SWING_SHARE) * (step_size * step_size * (
        swing_top_x * swing_top_x + swing_top_y * swing_top_y)))


@inlined
def steady_swing(swing, previous_swing, earlier_swing) -> bool:  # noqa: ANN001
    """The swing does not shrink: against the step before, or over a whole cycle against the step
    two before (a bounce between a steep wall and a gentle one swings long and short in turn)."""
    return (abs(swing) >= STEADY_SWING * abs(previous_swing)) | (
        abs(swing) >= (STEADY_SWING * STEADY_SWING) * abs(earlier_swing))


@inlined
def _within(gx: float, gy: float, low: float, high: float, top_x: float, top_y: float, reach: float) -> bool:
    """|H^-1 g| <= reach for one particle, without a square root or a division:
    (t.g)^2 λ_min^2 + (t x g)^2 λ_max^2 <= reach^2 |t|^2 λ_min^2 λ_max^2 (t the top eigenvector);
    by :func:`_model_distance` where an eigenvalue or t is zero."""
    length = top_x * top_x + top_y * top_y
    if (low == 0.0) | (high == 0.0) | (length == 0.0):
        return _model_distance(gx, gy, low, high, top_x, top_y) <= reach
    along = (top_x * gx + top_y * gy) * low
    across = (top_x * gy - top_y * gx) * high
    product = low * high
    return along * along + across * across <= (reach * reach) * length * (product * product)


def regime_thresholds(scales: RegimeScales, floor: float) -> tuple[float, ...]:
    """The rules' limits scaled to the surface, as :func:`regime_of` takes them: NEAR D,
    PLATEAU_GRADIENT G, PLATEAU_CURVATURE C, C (the scale of flatness), and the loss above which it
    is high, floor + HIGH_LOSS L (a tuple: a kernel keeps it in registers)."""
    return (float(NEAR * scales.length), float(PLATEAU_GRADIENT * scales.gradient),
            float(PLATEAU_CURVATURE * scales.curvature), float(scales.curvature),
            float(floor + HIGH_LOSS * scales.loss))


@inlined
def _model_distance(gx: float, gy: float, low: float, high: float, top_x: float, top_y: float) -> float:
    """|H^-1 g| for one particle (see :func:`model_distance`)."""
    length = np.sqrt(top_x * top_x + top_y * top_y)
    if length > 0.0:
        ux, uy = top_x / length, top_y / length
    else:  # H a multiple of I (or NaN): any direction is an eigenvector
        ux, uy = 1.0, 0.0
    along = ux * gx + uy * gy
    across = ux * gy - uy * gx
    # A zero component along a zero eigenvalue is no distance (a line of minima), not 0 / 0.
    along = along / high if along != 0.0 else 0.0
    across = across / low if across != 0.0 else 0.0
    return np.sqrt(along * along + across * across)


@kernel
def _model_distances(gx, gy, low, high, top_x, top_y, out) -> None:  # noqa: ANN001
    for i in range(gx.shape[0]):
        out[i] = _model_distance(gx[i], gy[i], low[i], high[i], top_x[i], top_y[i])


def model_distance(gradient: np.ndarray, eigenvalues: np.ndarray, top: np.ndarray) -> np.ndarray:
    """|H^-1 g| (n,): how far the critical point of the quadratic model lies (inf where g has a
    component along an eigenvalue exactly 0; a zero component there adds nothing).

    With unit eigenvectors u (of λ_max) and w (of λ_min):
    |H^-1 g|^2 = (u.g / λ_max)^2 + (w.g / λ_min)^2.
    """
    out = np.empty(gradient.shape[0])
    _model_distances(gradient[:, 0], gradient[:, 1], eigenvalues[:, 0], eigenvalues[:, 1], top[:, 0], top[:, 1], out)
    return out


def newton_point(position: np.ndarray, gradient: np.ndarray, hessian: np.ndarray) -> tuple[float, float] | None:
    """The critical point p - H^-1 g of one particle's quadratic model (position (2,), gradient (2,),
    Hessian (2, 2)), or None where H is singular."""
    try:
        step = np.linalg.solve(hessian, gradient)
    except np.linalg.LinAlgError:
        return None
    point = position - step
    return (float(point[0]), float(point[1])) if np.isfinite(point).all() else None
