r"""Gradient noise: isotropic Gaussian noise with annealing, and true mini-batches of a finite sum.

Two models of the noisy gradient ``g_hat`` an optimiser steps on, at particles ``p`` (n, 2):

- Gaussian: ``g_hat = grad f(p) + sigma_t * xi`` with ``xi ~ N(0, I_2)`` drawn independently per
  particle and step. ``sigma_t`` anneals with the number t of updates already made:

      constant:      sigma_t = sigma
      inverse-sqrt:  sigma_t = sigma / sqrt(1 + decay * t)
      exponential:   sigma_t = sigma * exp(-decay * t)

- Mini-batch, on a finite sum ``f = sum_{j=1..m} f_j``: each particle draws, each step, a batch
  ``S`` of ``B`` of the m terms without replacement and steps on

      g_hat = (m / B) * sum_{j in S} grad f_j(p).

  Every term is in the batch with probability B / m, so ``E[g_hat] = grad f(p)``: the estimate
  is unbiased and its spread shrinks to zero as B -> m (B = m is the full batch, exact).

Both may act together (the Gaussian part is added to the mini-batch estimate).

Randomness: one :class:`numpy.random.Generator` per ball and purpose, derived from the scene's
seed and the ball's index with :class:`numpy.random.SeedSequence` (the ``spawn_key`` mechanism
of ``SeedSequence.spawn``). The same scene and seed give the same numbers bit for bit; adding a
ball after the others leaves their streams unchanged; each particle's row of a draw is its own.
A ball's Gaussian noise has one generator per component (STREAM_NOISE for x, STREAM_NOISE_Y for
y, see :class:`NoiseStream`); a direct draw from a single generator (:func:`add_gaussian_noise`
given a Generator) takes the x components of all n particles first, then the y components.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from physics.compiled import kernel
from physics.interrupt_guard import InterruptsHeld
from surfaces.errors import DownhillError

#: The annealing schedules of the Gaussian noise scale, by name.
SCHEDULES = ("constant", "inverse-sqrt", "exponential")

#: The random streams of one ball (the last element of the spawn key).
STREAM_NOISE = 0     # Gaussian gradient noise
STREAM_BATCH = 1     # mini-batch draws
STREAM_SCATTER = 2   # the swarm's initial scatter around its start
STREAM_NOISE_Y = 3   # Gaussian gradient noise, second component (STREAM_NOISE draws the first)

#: The largest accepted noise scale (gradient units) and decay rate.
MAX_SIGMA = 1e6
MAX_DECAY = 10.0


@dataclass(frozen=True)
class NoiseSettings:
    """How a ball's gradient is made noisy.

    Attributes:
        sigma: standard deviation of the isotropic Gaussian noise added to each gradient
            component (gradient units); 0 for none.
        schedule: annealing of sigma: "constant", "inverse-sqrt" or "exponential" (see the module).
        decay: the schedule's rate per update (1 / steps); ignored by "constant".
        batch_size: B, the number of the surface's terms in each mini-batch (finite sums only);
            None for the full gradient.
    """

    sigma: float = 0.0
    schedule: str = "constant"
    decay: float = 0.0
    batch_size: int | None = None

    def check(self, where: str = "noise") -> None:
        """Raise DownhillError, its ``field`` the offending key under ``where``, unless every field is in range."""
        def place(key: str) -> str:
            return f"{where}.{key}" if where else key

        if isinstance(self.sigma, bool) or not isinstance(self.sigma, int | float) or not math.isfinite(self.sigma):
            raise DownhillError(f"sigma must be a finite number, not {self.sigma!r}", field=place("sigma"))
        if not 0.0 <= self.sigma <= MAX_SIGMA:
            raise DownhillError(f"sigma = {self.sigma!r} must be between 0 and {MAX_SIGMA:g}", field=place("sigma"))
        if self.schedule not in SCHEDULES:
            raise DownhillError(f"unknown schedule {self.schedule!r}; choose one of {', '.join(SCHEDULES)}",
                                field=place("schedule"))
        if isinstance(self.decay, bool) or not isinstance(self.decay, int | float) or not math.isfinite(self.decay):
            raise DownhillError(f"decay must be a finite number, not {self.decay!r}", field=place("decay"))
        if not 0.0 <= self.decay <= MAX_DECAY:
            raise DownhillError(f"decay = {self.decay!r} must be between 0 and {MAX_DECAY:g}", field=place("decay"))
        if self.batch_size is not None and (isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int)
                                            or self.batch_size < 1):
            raise DownhillError(f"batch_size must be a whole number >= 1 (or null for the full batch), "
                                f"not {self.batch_size!r}", field=place("batch_size"))

    @property
    def is_noiseless(self) -> bool:
        return self.sigma == 0.0 and self.batch_size is None


def noise_scale(settings: NoiseSettings, updates: int) -> float:
    """sigma_t: the Gaussian noise scale after ``updates`` updates (see the module for the schedules)."""
    if settings.sigma == 0.0 or settings.schedule == "constant" or settings.decay == 0.0:
        return float(settings.sigma)
    if settings.schedule == "inverse-sqrt":
        return float(settings.sigma / math.sqrt(1.0 + settings.decay * updates))
    if settings.schedule == "exponential":
        return float(settings.sigma * math.exp(-settings.decay * updates))
    raise DownhillError(f"unknown noise schedule {settings.schedule!r}; choose one of {', '.join(SCHEDULES)}")


def ball_generator(seed: int, ball: int, stream: int) -> np.random.Generator:
    """The generator of one ball's stream: SFC64 seeded by SeedSequence(seed, spawn_key=(ball, stream)).

    SFC64 (Chris Doty-Humphrey's Small Fast Chaotic generator, 256 bits of state; it passes
    PractRand and TestU01's BigCrush) rather than NumPy's default PCG64: drawing a large swarm's
    normals is the costliest part of its step, and SFC64 makes it about a third cheaper.

    ``SeedSequence(seed, spawn_key=(ball,))`` is exactly the ``ball``-th child of
    ``SeedSequence(seed).spawn(...)``, so each ball's streams depend on the seed and its own index only.
    """
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence(int(seed), spawn_key=(int(ball), int(stream)))))


class NoiseStream:
    """Standard normal draws of shape (n, k), each column from its own generator.

    Drawing 2n normals is the costliest part of a noisy step for a large swarm. From
    COMPILED_DRAW_POINTS particles on, :func:`add_gaussian_noise` draws them in a compiled loop,
    straight into the estimate (:func:`_drawn_noisy_kernel`: NumPy's numbers, twice as fast);
    below, and in :meth:`draw`, NumPy draws them (calling the compiled loop costs about 12 us,
    more than drawing a few normals).

    The thread that steps draws them: handing a column to the helper thread, which does the
    telemetry of the step before (physics.simulation), was measured slower, since that thread
    already has the larger share of a step's work.
    """

    def __init__(self, generators: Sequence[np.random.Generator], n: int):
        self.generators = tuple(generators)
        self.n = int(n)

    @property
    def compiled(self) -> bool:
        """Whether the estimate's compiled pass draws (COMPILED_DRAW_POINTS particles or more)."""
        return self.n >= COMPILED_DRAW_POINTS

    def draw(self) -> np.ndarray:
        """The next (n, k) array of independent N(0, 1) numbers (a new column-major array)."""
        out = np.empty((self.n, len(self.generators)), order="F")
        for column, generator in enumerate(self.generators):
            generator.standard_normal(out=out[:, column])
        return out


#: From this many particles on, a NoiseStream's normals are drawn in the estimate's compiled pass.
COMPILED_DRAW_POINTS = 2048


def standard_normal_points(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Independent N(0, 1) numbers of ``shape`` (n, k), drawn column after column (a column-major array)."""
    return rng.standard_normal(shape[::-1]).T


def add_gaussian_noise(gradient: np.ndarray, sigma: float, rng: np.random.Generator | NoiseStream,
                       square: np.ndarray | None = None) -> np.ndarray:
    """grad + sigma * xi with xi ~ N(0, I) of the gradient's shape (n, 2); a new array.

    A zero sigma draws nothing (and returns a copy), so a noiseless ball consumes no random numbers.
    With ``square`` (n,), |grad + sigma xi|^2 is written into it, in the same pass. A compiled
    NoiseStream of two columns draws xi in that pass too (the same numbers as its ``draw()``).
    """
    if sigma == 0.0:
        noisy = np.array(gradient, dtype=np.float64, copy=True)
        if square is not None:
            np.multiply(noisy[:, 0], noisy[:, 0], out=square)
            square += noisy[:, 1] * noisy[:, 1]
        return noisy
    if isinstance(rng, NoiseStream) and rng.compiled and len(rng.generators) == 2:
        noisy = np.empty(gradient.shape, order="F")
        with InterruptsHeld():  # (Ctrl+C while numba unboxes the generators would crash it: see the module)
            _drawn_noisy_kernel(gradient[:, 0], gradient[:, 1], float(sigma), *rng.generators, noisy[:, 0],
                                noisy[:, 1], np.empty(0) if square is None else square)
        return noisy
    noisy = rng.draw() if isinstance(rng, NoiseStream) else standard_normal_points(rng, gradient.shape)
    _noisy_kernel(gradient[:, 0], gradient[:, 1], float(sigma), noisy[:, 0], noisy[:, 1],
                  np.empty(0) if square is None else square)
    return noisy


@kernel
def _noisy_kernel(gradient_x, gradient_y, sigma, x, y, square) -> None:  # noqa: ANN001
    """x, y (standard normals, overwritten) <- gradient + sigma (x, y); |that|^2 into ``square`` unless it is empty."""
    with_square = square.shape[0] > 0
    for i in range(x.shape[0]):
        nx = x[i] * sigma + gradient_x[i]
        ny = y[i] * sigma + gradient_y[i]
        x[i] = nx
        y[i] = ny
        if with_square:
            square[i] = nx * nx + ny * ny


@kernel
def _drawn_noisy_kernel(gradient_x, gradient_y, sigma, rng_x, rng_y, x, y, square) -> None:  # noqa: ANN001
    """:func:`_noisy_kernel` with the normals drawn in the loop, x's from ``rng_x`` and y's from
    ``rng_y``: one pass instead of writing the normals out and reading them back.

    Numba compiles NumPy's own algorithm (the 256-layer ziggurat on the generator's 64-bit
    outputs) and advances each generator's state in place, so the numbers, in each generator's
    order, and the states after are those of ``rng.standard_normal``; compiled into the loop the
    drawing runs twice as fast (measured on 100 000 SFC64 normals: 0.45 ms instead of 0.9 ms).
    The caller alone may use the generators meanwhile (no lock is taken)."""
    with_square = square.shape[0] > 0
    for i in range(x.shape[0]):
        nx = rng_x.standard_normal() * sigma + gradient_x[i]
        ny = rng_y.standard_normal() * sigma + gradient_y[i]
        x[i] = nx
        y[i] = ny
        if with_square:
            square[i] = nx * nx + ny * ny


def batch_mask(rng: np.random.Generator, particles: int, terms: int, batch_size: int) -> np.ndarray:
    """(particles, terms) boolean mask with exactly ``batch_size`` True per row, chosen uniformly.

    Each row ranks ``terms`` independent uniform keys and keeps the ``batch_size`` smallest: a
    uniformly random subset drawn without replacement (ties have probability zero).
    """
    if not 1 <= batch_size <= terms:
        raise DownhillError(f"the batch size must be between 1 and the number of terms ({terms}), not {batch_size}")
    if batch_size == terms:
        return np.ones((particles, terms), dtype=bool)
    keys = rng.random((particles, terms))
    threshold = np.partition(keys, batch_size - 1, axis=1)[:, batch_size - 1:batch_size]
    return keys <= threshold


def minibatch_gradient(term_gradients: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The unbiased mini-batch estimate (m / B) * sum over the batch of the term gradients.

    Args:
        term_gradients: (m, n, 2) gradient of each of the m terms at each of the n particles.
        mask: (n, m) boolean batch membership, B True per row (see :func:`batch_mask`).

    Returns:
        (n, 2) estimates of grad f = sum of the term gradients.
    """
    terms = term_gradients.shape[0]
    batch = mask.sum(axis=1, keepdims=True)
    estimate = np.einsum("nj,jnk->nk", mask.astype(np.float64), term_gradients)
    estimate *= terms / batch
    return estimate
