"""Telemetry: the per-step record of each ball in preallocated arrays, and the values handed to views.

A :class:`GrowingRecord` is a set of arrays whose leading axis is the step; it starts with a
capacity and doubles when full, so recording a step writes into existing memory (no Python list
of objects, no per-step allocation beyond the rare doubling).

What is kept per ball (``FULL_HISTORY_PARTICLES`` bounds the memory a swarm can take):

- a ball or a small swarm (n <= FULL_HISTORY_PARTICLES): every particle's position, loss,
  gradient, step size, effective learning rate, eigenvalues, regime and active flag, every step;
- a swarm (n > 1): per step, summary statistics over its active particles (mean position and
  gradient, mean / median / min / max loss, mean gradient norm, step size, learning rate and
  eigenvalues, the fraction still active, the most common regime and the count in each regime).
  A swarm larger than FULL_HISTORY_PARTICLES keeps only these; its latest per-particle values
  are always available from ``Simulation.state``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

import numpy as np

from physics.compiled import inlined, kernel
from physics.regime import REGIMES

#: Swarms up to this size keep every particle's history; larger ones keep summary statistics.
FULL_HISTORY_PARTICLES = 32


class GrowingRecord:
    """Arrays with a leading step axis, preallocated and doubled when full.

    Args:
        fields: name -> (shape of one row, dtype).
        capacity: rows allocated at first.
    """

    def __init__(self, fields: dict[str, tuple[tuple[int, ...], np.dtype | type]], capacity: int = 4096):
        self._fields = dict(fields)
        self.capacity = max(1, int(capacity))
        self.length = 0
        self.arrays = {name: np.empty((self.capacity, *shape), dtype=dtype)
                       for name, (shape, dtype) in self._fields.items()}

    def next_row(self) -> int:
        """The index of a new row (the caller fills every field of it), growing the arrays if full."""
        if self.length == self.capacity:
            self.capacity *= 2
            for name, old in self.arrays.items():
                grown = np.empty((self.capacity, *old.shape[1:]), dtype=old.dtype)
                grown[:self.length] = old[:self.length]
                self.arrays[name] = grown
        self.length += 1
        return self.length - 1

    def view(self, name: str) -> np.ndarray:
        """The filled rows of one field (a view: valid until the next doubling)."""
        return self.arrays[name][:self.length]


def particle_record(n: int, capacity: int) -> GrowingRecord:
    """The full per-particle record of a ball of n particles."""
    return GrowingRecord({
        "step": ((), np.int64),
        "positions": ((n, 2), np.float64),
        "loss": ((n,), np.float64),
        "gradient": ((n, 2), np.float64),
        "gradient_norm": ((n,), np.float64),
        "step_size": ((n,), np.float64),
        "lr": ((n,), np.float64),
        "eigenvalues": ((n, 2), np.float64),
        "regime": ((n,), np.int8),
        "active": ((n,), np.bool_),
    }, capacity)


def summary_record(capacity: int) -> GrowingRecord:
    """The per-step summary record of a swarm."""
    return GrowingRecord({
        "step": ((), np.int64),
        "mean_position": ((2,), np.float64),
        "mean_gradient": ((2,), np.float64),
        "mean_loss": ((), np.float64),
        "median_loss": ((), np.float64),
        "min_loss": ((), np.float64),
        "max_loss": ((), np.float64),
        "mean_gradient_norm": ((), np.float64),
        "mean_step_size": ((), np.float64),
        "mean_lr": ((), np.float64),
        "mean_eigenvalues": ((2,), np.float64),
        "fraction_active": ((), np.float64),
        "regime": ((), np.int8),
        "regime_counts": ((len(REGIMES),), np.int64),
    }, capacity)


class StepValues(NamedTuple):
    """Every particle's values of one step, (N, ...) arrays of all balls, as the records take them."""

    positions: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    gradient_norm: np.ndarray
    step_size: np.ndarray
    lr: np.ndarray
    eigenvalues: np.ndarray
    codes: np.ndarray
    active: np.ndarray


@dataclass(frozen=True)
class BallState:
    """The latest telemetry of one ball, per particle (n = particle count). Arrays are copies.

    Attributes:
        step_index: the simulation step this state belongs to.
        positions: (n, 2) where the particles are.
        loss: (n,) f there.
        gradient: (n, 2) the true gradient there.
        step: (n, 2) the last step taken (zero before the first, and for stopped particles).
        step_size: (n,) its length.
        lr: (n,) effective learning rate |step| / |estimated gradient| (the noisy gradient before
            clipping); NaN where that gradient is zero and before the first step.
        eigenvalues: (n, 2) of the Hessian, ascending [lambda_min, lambda_max].
        eigenvectors: (n, 2, 2) unit eigenvectors as columns ([:, :, 0] for lambda_min).
        velocity: (n, 2) the optimiser's velocity in position units per step, pointing the way its
            memory (momentum buffer, first moment, last change) moves the particle: draw it from the
            particle as it is, like the step (physics.optimizers.base); None if it has none.
        active: (n,) False once a particle diverged and was stopped.
        regime_codes: (n,) int8 index into physics.regime.REGIMES, per particle.
        regime: the ball's regime (for a swarm, the most common one).
        regime_detail: short words for a student ("saddle: curvature -1.0 and +2.0").
        lr_bound: the stability bound c / lambda_max on lr (2 / lambda_max for gradient descent)
            at the ball (a swarm: its mean lambda_max), or NaN where it does not apply.
    """

    step_index: int
    positions: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    step: np.ndarray
    step_size: np.ndarray
    lr: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    velocity: np.ndarray | None
    active: np.ndarray
    regime_codes: np.ndarray
    regime: str
    regime_detail: str
    lr_bound: float


@dataclass(frozen=True)
class ParticleHistory:
    """Every particle's record (balls with n <= FULL_HISTORY_PARTICLES); arrays (k, n, ...)."""

    positions: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    step_size: np.ndarray
    lr: np.ndarray
    eigenvalues: np.ndarray
    regime_codes: np.ndarray
    active: np.ndarray
    gradient_norm: np.ndarray


class RegimeNames(Sequence[str]):
    """The regime names of k recorded steps, read from their int8 codes when asked (no list is kept).

    A sequence of str: ``names[-1]``, ``names[-100:]`` (a list), ``len``, iteration, ``count``,
    and equality with any sequence of str (``names == ["saddle"] * k``).
    """

    __slots__ = ("codes",)

    def __init__(self, codes: np.ndarray):
        self.codes = codes

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [REGIMES[code] for code in self.codes[index].tolist()]
        return REGIMES[int(self.codes[index])]

    def __iter__(self) -> Iterator[str]:
        return (REGIMES[code] for code in self.codes.tolist())

    def count(self, value: object) -> int:
        if value not in REGIMES:
            return 0
        return int(np.count_nonzero(self.codes == REGIMES.index(value)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RegimeNames):
            return bool(np.array_equal(self.codes, other.codes))
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  (mutable underneath, like a list)

    def __repr__(self) -> str:
        return f"RegimeNames({list(self)!r})"


@dataclass(frozen=True)
class SwarmSummary:
    """A swarm's per-step statistics over its active particles (all particles once none is active)."""

    mean_position: np.ndarray
    mean_gradient: np.ndarray
    mean_loss: np.ndarray
    median_loss: np.ndarray
    min_loss: np.ndarray
    max_loss: np.ndarray
    mean_gradient_norm: np.ndarray
    mean_step_size: np.ndarray
    mean_lr: np.ndarray
    mean_eigenvalues: np.ndarray
    fraction_active: np.ndarray
    regime_counts: np.ndarray


@dataclass(frozen=True)
class BallHistory:
    """Per-step series of one ball since it (re)started: its single particle, or a swarm's means.

    Arrays are views of preallocated buffers (valid until the buffer next doubles; copy to keep),
    so making a history costs the same after a million steps as after one.

    Attributes:
        steps: (k,) simulation step of each row (the first is the step the ball started at).
        positions: (k, 2); loss, gradient_norm, step_size, lr, lambda_min, lambda_max: (k,);
            gradient: (k, 2). For a swarm: the means over its active particles.
        regime_codes: (k,) int8; regimes: the same as a sequence of k names, read from the codes
            when indexed (a swarm: the most common regime).
        particles: every particle's record, for n <= FULL_HISTORY_PARTICLES; else None.
        summary: the swarm's statistics, for n > 1; else None.
    """

    steps: np.ndarray
    positions: np.ndarray
    loss: np.ndarray
    gradient: np.ndarray
    gradient_norm: np.ndarray
    step_size: np.ndarray
    lr: np.ndarray
    lambda_min: np.ndarray
    lambda_max: np.ndarray
    regime_codes: np.ndarray
    regimes: RegimeNames
    particles: ParticleHistory | None
    summary: SwarmSummary | None


def particle_history(record: GrowingRecord) -> ParticleHistory:
    return ParticleHistory(
        positions=record.view("positions"), loss=record.view("loss"), gradient=record.view("gradient"),
        step_size=record.view("step_size"), lr=record.view("lr"), eigenvalues=record.view("eigenvalues"),
        regime_codes=record.view("regime"), active=record.view("active"),
        gradient_norm=record.view("gradient_norm"))


def swarm_summary(record: GrowingRecord) -> SwarmSummary:
    return SwarmSummary(
        mean_position=record.view("mean_position"), mean_gradient=record.view("mean_gradient"),
        mean_loss=record.view("mean_loss"), median_loss=record.view("median_loss"), min_loss=record.view("min_loss"),
        max_loss=record.view("max_loss"), mean_gradient_norm=record.view("mean_gradient_norm"),
        mean_step_size=record.view("mean_step_size"), mean_lr=record.view("mean_lr"),
        mean_eigenvalues=record.view("mean_eigenvalues"), fraction_active=record.view("fraction_active"),
        regime_counts=record.view("regime_counts"))


class SwarmStatistics(NamedTuple):
    """One row of a swarm's summary record (see :func:`swarm_statistics`)."""

    mean_position: tuple[float, float]
    mean_gradient: tuple[float, float]
    mean_eigenvalues: tuple[float, float]
    mean_loss: float
    median_loss: float
    min_loss: float
    max_loss: float
    mean_gradient_norm: float
    mean_step_size: float
    mean_lr: float
    fraction_active: float
    regime: int
    regime_counts: np.ndarray
    median_bracket: tuple[float, float] | None = None  # for the next step's median (not recorded)


#: Below this many values the median is simply numpy.median's.
BRACKET_MEDIAN_MIN = 4096
#: The bracket around the last median is sized to hold about this fraction of the values.
BRACKET_FRACTION = 1 / 32


def median(values: np.ndarray, bracket: tuple[float, float] | None = None) -> tuple[float, tuple[float, float] | None]:
    """The median of finite values (n,), exactly numpy.median's, and a bracket for the next call.

    A swarm's losses move little from one step to the next, so the median is looked for in a
    narrow bracket (centre, half-width) around the last one: count the values below the bracket
    and select (numpy.partition) among the few inside it. One pass over the array, instead of
    partitioning all of it (five times faster for 100 000 particles). When the median has left
    the bracket, numpy.partition of the whole array answers, and the bracket is measured anew
    from the spread around it. The answer never depends on the bracket.

    Returns:
        (median, the bracket to pass next time, or None for small arrays).
    """
    n = values.shape[0]
    if n < BRACKET_MEDIAN_MIN:
        return float(np.median(values)), None
    if bracket is not None:
        inside = np.empty(n)
        below, gathered = _bracket_kernel(values, bracket[0] - bracket[1], bracket[0] + bracket[1], inside)
        found = _bracketed_median(n, below, inside[:gathered], bracket)
        if found is not None:
            return found
    return _partitioned_median(values)


def _bracketed_median(n: int, below: int, inside: np.ndarray,
                      bracket: tuple[float, float]) -> tuple[float, tuple[float, float]] | None:
    """The median of n values from the ``below`` of them under the bracket and those ``inside`` it
    (in their order), and the next bracket; None when the median is not inside."""
    low_rank, high_rank = (n - 1) // 2, n // 2  # equal for odd n; numpy.median averages the two
    if not (below <= low_rank and high_rank < below + inside.shape[0]):
        return None
    centre, width = bracket
    part = np.partition(inside, (low_rank - below, high_rank - below))
    value = _middle(part[low_rank - below], part[high_rank - below])
    # Next: centred where the median is heading (it drifts with the swarm), sized to hold about
    # BRACKET_FRACTION of the values.
    grow = min(4.0, max(0.25, BRACKET_FRACTION * n / max(inside.shape[0], 1)))
    return value, (value + (value - centre), width * grow)


def _partitioned_median(values: np.ndarray) -> tuple[float, tuple[float, float]]:
    """The median by numpy.partition of all n values, and a bracket measured from the spread around it."""
    n = values.shape[0]
    low_rank, high_rank = (n - 1) // 2, n // 2
    spread = max(1, int(BRACKET_FRACTION * n) // 2)
    ranks = (max(low_rank - spread, 0), low_rank, high_rank, min(high_rank + spread, n - 1))
    part = np.partition(values, ranks)
    value = _middle(part[low_rank], part[high_rank])
    return value, (value, float(max(value - part[ranks[0]], part[ranks[3]] - value)))


@kernel
def _bracket_kernel(values, low, high, inside) -> tuple[int, int]:  # noqa: ANN001
    """How many values are below ``low``, and how many from ``low`` to ``high`` (copied in order into ``inside``)."""
    below = gathered = 0
    for i in range(values.shape[0]):
        below, gathered = _bracket_one(values[i], low, high, inside, below, gathered)
    return below, gathered


@inlined
def _bracket_one(value, low, high, inside, below, gathered) -> tuple[int, int]:  # noqa: ANN001
    """One value into the bracket's counts (``below``, ``gathered``), copied into ``inside`` if it is inside.

    Without branches: the value is written at ``inside[gathered]`` whatever it is, and kept only
    if it is inside (a swarm's losses fall below or above the median at random, so a branch on
    them would be mispredicted half the time: measured, three times slower). ``inside`` must
    hold a place for every value.
    """
    inside[gathered] = value
    return below + (value < low), gathered + ((value >= low) & (value <= high))  # (NaN: neither)


def _middle(low: float, high: float) -> float:
    """numpy.median's middle: the mean of the two middle values, (a + b) / 2, or the middle one."""
    return float(low) if low == high else float(np.mean(np.array([low, high])))


#: The sums a swarm's statistics are made of (:func:`_sums_kernel`): active particles counted, then
#: the sums over them of x, y, grad_x, grad_y, lambda_min, lambda_max, loss, |grad|, step size
#: and the finite rates, each less its origin (see the kernel), the number of finite rates, and
#: the least and greatest loss.
SUMS = ("count", "x", "y", "gradient_x", "gradient_y", "lambda_min", "lambda_max", "loss", "gradient_norm",
        "step_size", "lr", "lr_count", "min_loss", "max_loss")


@kernel
def _sums_kernel(x, y, gradient_x, gradient_y, lam_min, lam_max, loss, gradient_norm, step_size, lr,  # noqa: ANN001
                 origin, active, everyone, sums, codes, counts, low, high, inside) -> tuple[int, int]:
    """The sums (SUMS) over the counted particles (every one, or the active ones) into ``sums``;
    with ``codes`` (n,) rather than empty, the particles of each regime (all of them) into
    ``counts`` (7,); and, with ``inside`` (a place for each counted particle) rather than empty,
    as :func:`_bracket_kernel` the counted losses below and inside the bracket ``low``..``high``.

    Each quantity is summed less its ``origin`` (a tuple of ten finite numbers, one of the
    values: see :func:`swarm_statistics`), the mean then being origin + sum / count: a sum in
    order of 100 000 numbers rounds about n eps of their size, and shifted, of their spread
    (the mean of 100 000 particles all at x = -1.2 is -1.2, not -1.1999999999980246).
    """
    ox, oy, ogx, ogy, olow, ohigh, oloss, onorm, ostep, olr = origin
    # Local accumulators (an array element updated in a loop goes through memory every time).
    count = sx = sy = sgx = sgy = slow = shigh = sloss = snorm = sstep = slr = slr_count = 0.0
    least, most = np.inf, -np.inf
    below = gathered = 0
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = 0
    with_codes = codes.shape[0] > 0
    bracketed = inside.shape[0] > 0
    for i in range(x.shape[0]):
        if with_codes:
            code = codes[i]
            c0 += code == 0
            c1 += code == 1
            c2 += code == 2
            c3 += code == 3
            c4 += code == 4
            c5 += code == 5
            c6 += code == 6
        if everyone or active[i]:
            count += 1.0
            sx += x[i] - ox
            sy += y[i] - oy
            sgx += gradient_x[i] - ogx
            sgy += gradient_y[i] - ogy
            slow += lam_min[i] - olow
            shigh += lam_max[i] - ohigh
            value = loss[i]
            sloss += value - oloss
            least = min(least, value)
            most = max(most, value)
            snorm += gradient_norm[i] - onorm
            sstep += step_size[i] - ostep
            rate = lr[i]
            if rate - rate == 0.0:  # finite (the rate is NaN where the estimate was zero)
                slr += rate - olr
                slr_count += 1.0
            if bracketed:
                below, gathered = _bracket_one(value, low, high, inside, below, gathered)
    sums[0], sums[1], sums[2], sums[3], sums[4] = count, sx, sy, sgx, sgy
    sums[5], sums[6], sums[7], sums[8], sums[9] = slow, shigh, sloss, snorm, sstep
    sums[10], sums[11], sums[12], sums[13] = slr, slr_count, least, most
    if with_codes:
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], counts[6] = c0, c1, c2, c3, c4, c5, c6
    return below, gathered


def swarm_statistics(positions: np.ndarray, gradient: np.ndarray, eigenvalues: np.ndarray, loss: np.ndarray,
                     gradient_norm: np.ndarray, step_size: np.ndarray, lr: np.ndarray, codes: np.ndarray,
                     active: np.ndarray | None, median_bracket: tuple[float, float] | None = None) -> SwarmStatistics:
    """A swarm's statistics over its active particles (all of them once none is active).

    Args:
        positions, gradient, eigenvalues: (n, 2); loss, gradient_norm, step_size, lr: (n,);
            codes: (n,) regime codes; active: (n,) bool, or None when every particle is active.
        median_bracket: the ``median_bracket`` of the last step's statistics (a speed-up only:
            see :func:`median`).

    One compiled pass (:func:`_sums_kernel`) makes the sums, the regime counts and the median's
    bracket count; then the median is selected among the few losses inside the bracket.
    ``mean_lr`` averages the particles where the rate is defined (NaN if it is nowhere); the most
    common regime counts every particle, stopped ones included; ``fraction_active`` is the active
    share (0 once none is, the statistics then being over all particles).
    """
    n = loss.shape[0]
    alive = n if active is None else int(np.count_nonzero(active))
    everyone = active is None or alive == 0
    counted = n if everyone else alive
    sums = np.empty(len(SUMS))
    counts = np.empty(len(REGIMES), dtype=np.int64)
    bracketed = median_bracket is not None and counted >= BRACKET_MEDIAN_MIN
    centre, width = median_bracket if bracketed else (0.0, 0.0)
    low, high = float(centre - width), float(centre + width)  # (floats always: one compiled signature)
    inside = np.empty(counted if bracketed else 0)
    columns = (positions[:, 0], positions[:, 1], gradient[:, 0], gradient[:, 1], eigenvalues[:, 0], eigenvalues[:, 1],
               loss, gradient_norm, step_size, lr)
    first = 0 if everyone else int(np.argmax(active))  # (the first counted particle)
    origin = np.array([column[first] if n else 0.0 for column in columns])
    origin = tuple(np.where(np.isfinite(origin), origin, 0.0).tolist())
    below, gathered = _sums_kernel(*columns, origin, np.empty(0, dtype=np.bool_) if everyone else active, everyone,
                                   sums, codes, counts, low, high, inside)
    found = _bracketed_median(counted, below, inside[:gathered], median_bracket) if bracketed else None
    if found is None:
        found = median(loss if everyone else loss[active])
    middle, bracket = found
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.array(origin[:9]) + sums[1:10] / sums[0]  # x, y, grad_x, grad_y, lambdas, loss, |grad|, step
    return SwarmStatistics(
        mean_position=(float(means[0]), float(means[1])), mean_gradient=(float(means[2]), float(means[3])),
        mean_eigenvalues=(float(means[4]), float(means[5])), mean_loss=float(means[6]), median_loss=middle,
        min_loss=float(sums[12]), max_loss=float(sums[13]), mean_gradient_norm=float(means[7]),
        mean_step_size=float(means[8]), mean_lr=origin[9] + float(sums[10] / sums[11]) if sums[11] else math.nan,
        fraction_active=alive / n if n else 1.0, regime=int(np.argmax(counts)), regime_counts=counts,
        median_bracket=bracket)


def append_statistics(record: GrowingRecord, step: int, row: SwarmStatistics) -> None:
    """Append one row of statistics to a summary record."""
    index = record.next_row()
    a = record.arrays
    a["step"][index] = step
    for name, value in row._asdict().items():
        if name in a:
            a[name][index] = value
