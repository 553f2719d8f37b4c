"""How rare a minimum is in n dimensions: the chance that a random symmetric (GOE) Hessian is
positive definite, sampled, against the naive coin-flip count and the large-deviation law.

The ensemble (GOE, Dyson index beta = 1): H symmetric n x n, entries independent up to symmetry,
H_ii ~ N(0, 1), H_ij ~ N(0, 1/2) for i < j (the law of (A + A^T)/2 with A's entries N(0, 1)).
Whether H is positive definite does not depend on its scale, so the fraction below is the same for
any overall normalisation; only the 2 : 1 ratio of diagonal to off-diagonal variance matters.

References for the figures:

- n = 1: 1/2. n = 2: (2 - sqrt 2)/4 = 0.14645 (derived: with u = (H11 + H22)/2, v = (H11 - H22)/2
  and H12 all N(0, 1/2), H > 0 iff u > sqrt(v^2 + H12^2), i.e. Z > R with Z ~ N(0, 1), R ~ chi_2; so
  P = 1/2 P(chi2_1 > chi2_2) = 1/2 P(Beta(1/2, 1) > 1/2) = (1 - 1/sqrt 2)/2).
- The coin-flip count 2^-n: what n independent signs would give (wrong: eigenvalues repel).
- D. S. Dean and S. N. Majumdar, "Large deviations of extreme eigenvalues of random matrices",
  Phys. Rev. Lett. 97, 160201 (2006): P(all n eigenvalues > 0) ~ exp(-beta theta n^2) for large n,
  theta = ln(3)/4 = 0.274653..., beta = 1 for GOE (the exponent is universal: no normalisation
  constant enters, as positivity is scale-free). Finite n carries lower-order terms (in n and
  ln n), so the sampled ln P / n^2 approaches -theta slowly; the second difference
  ln P(n+1) - 2 ln P(n) + ln P(n-1) ~ -2 theta removes the term linear in n.

The sampler (:func:`positive_definite_counts`) does not diagonalise: the leading k x k blocks of
one GOE n x n matrix are GOE k x k matrices, and H is positive definite iff every leading block's
Cholesky pivot is positive (Sylvester's criterion). Each sample grows its Cholesky factor one row
at a time (the new row's entries drawn only then) and is dropped at its first non-positive pivot;
one pass gives the counts for every n <= n_max, and since only a fraction P(k) of the samples
survive to size k the cost is about M (1 + 1/2 + 0.15 + ...) rows: 10^7 samples in about a second.
Tests check it against eigvalsh on independently drawn (A + A^T)/2.

Direct sampling sees nothing beyond n = 6 or 7 (P(7) is about 10^-7). :func:`splitting_estimate`
reaches n = 12 and beyond by splitting (sequential Monte Carlo, as in rare-event simulation): a
population of P samples grows its factors one row at a time as above; after each row the survivors
are cloned back up to P (drawn uniformly with replacement), and P(n) is estimated by the product of
the surviving fractions, prod_k (survivors_k / P). Clones share their past but draw their next
rows independently, and the next row depends on the past only through the factor, so the product
is an unbiased estimate of P(n) (Del Moral, "Feynman-Kac Formulae", 2004, ch. 3; Cerou et al.,
"Sequential Monte Carlo for rare event estimation", Stat. Comput. 22, 2012). R independent runs
give the mean and its standard error.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

#: Dean and Majumdar's exponent theta(0) = ln 3 / 4 (Phys. Rev. Lett. 97, 160201, 2006).
THETA = math.log(3.0) / 4.0
#: The exact fraction for n = 2 (derived in the module docstring).
EXACT_N2 = (2.0 - math.sqrt(2.0)) / 4.0
#: Samples drawn at once (memory: a few times CHUNK floats at the widest step).
CHUNK = 1 << 18
#: Floats of Cholesky factors one splitting batch may hold at its widest level (2^24: 128 MB).
BATCH_FLOATS = 1 << 24
#: The z of a two-sided 95 % interval.
Z95 = 1.959963984540054


def positive_definite_counts(n_max: int, samples: int, rng: np.random.Generator,
                             progress: Callable[[int, int], None] | None = None) -> np.ndarray:
    """(n_max,) counts: entry n - 1 is how many of ``samples`` GOE n x n matrices were positive definite.

    The n x n matrix of a sample is the leading block of its n_max x n_max matrix (see the module
    docstring). ``progress(done, samples)`` is called after each chunk (it may raise to cancel).
    """
    counts = np.zeros(n_max, dtype=np.int64)
    done = 0
    while done < samples:
        size = min(CHUNK, samples - done)
        counts += _chunk_counts(n_max, size, rng)
        done += size
        if progress is not None:
            progress(done, samples)
    return counts


def _chunk_counts(n_max: int, size: int, rng: np.random.Generator) -> np.ndarray:
    counts = np.zeros(n_max, dtype=np.int64)
    inverse = _first_inverse(rng.standard_normal(size))
    counts[0] = inverse.shape[0]
    for k in range(1, n_max):
        if inverse.shape[0] == 0:
            break
        keep, inverse = _grow(inverse, rng)
        counts[k] = inverse.shape[0]
    return counts


def _first_inverse(first: np.ndarray) -> np.ndarray:
    """The 1 x 1 inverse Cholesky factors 1/sqrt(H11) of the samples with H11 > 0: (m, 1, 1)."""
    return (1.0 / np.sqrt(first[first > 0.0])).reshape(-1, 1, 1)


def _grow(inverse: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Add a GOE row to each sample; ``inverse`` (m, k, k) holds L^-1 of each sample's k x k block.

    With the new row a (k,) ~ N(0, 1/2) and diagonal d ~ N(0, 1), the Cholesky factor grows by the
    row (l^T, sqrt(p)) with l = L^-1 a and pivot p = d - |l|^2; the block stays positive definite
    iff p > 0. The inverse of the grown factor is [[L^-1, 0], [-(l^T L^-1) / sqrt(p), 1 / sqrt(p)]].
    Returns (keep (m,) bool, the kept samples' grown inverses (m', k+1, k+1)).
    """
    m, k, _ = inverse.shape
    row = rng.standard_normal((m, k)) * math.sqrt(0.5)
    diagonal = rng.standard_normal(m)
    # einsum, not matmul: batched matmul of many tiny matrices costs per matrix, einsum per element.
    solved = np.einsum("sij,sj->si", inverse, row)
    pivot = diagonal - np.einsum("sj,sj->s", solved, solved)
    keep = pivot > 0.0
    inverse, solved = inverse[keep], solved[keep]
    root = np.sqrt(pivot[keep])
    grown = np.zeros((inverse.shape[0], k + 1, k + 1))
    grown[:, :k, :k] = inverse
    grown[:, k, :k] = -np.einsum("si,sij->sj", solved, inverse) / root[:, None]
    grown[:, k, k] = 1.0 / root
    return keep, grown


def splitting_estimate(n_max: int, population: int, replicates: int, rng: np.random.Generator,
                       progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(mean, standard error), each (n_max,): P(GOE n x n is positive definite) for n = 1..n_max by
    splitting (module docstring) with ``population`` samples per level, averaged over ``replicates``
    independent runs (run side by side in one array, in batches of at most BATCH_FLOATS floats of
    factors). ``progress(done, total)`` after each level of each batch."""
    per_run = population * n_max * n_max
    batch = max(1, min(replicates, BATCH_FLOATS // max(per_run, 1)))
    groups = [min(batch, replicates - start) for start in range(0, replicates, batch)]
    estimates = []
    for number, size in enumerate(groups):
        report = None if progress is None else \
            (lambda level, _n, number=number: progress(number * n_max + level, len(groups) * n_max))
        estimates.append(_splitting_batch(n_max, population, size, rng, report))
    runs = np.concatenate(estimates)
    mean = runs.mean(axis=0)
    error = runs.std(axis=0, ddof=1) / math.sqrt(replicates) if replicates > 1 else np.full(n_max, np.nan)
    return mean, error


def _splitting_batch(n_max: int, population: int, replicates: int, rng: np.random.Generator,
                     progress: Callable[[int, int], None] | None) -> np.ndarray:
    """(replicates, n_max) the running products of independent splitting runs, side by side."""
    total = population * replicates
    first = rng.standard_normal(total)
    group = np.repeat(np.arange(replicates), population)
    alive = first > 0.0
    estimates = np.zeros((replicates, n_max))
    fraction = np.bincount(group[alive], minlength=replicates) / population
    estimates[:, 0] = fraction
    inverse = _first_inverse(first)
    group = group[alive]
    if progress is not None:
        progress(1, n_max)
    for k in range(1, n_max):
        # Clone each replicate's survivors back up to the population (a dead replicate stays dead).
        counts = np.bincount(group, minlength=replicates)
        offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
        living = np.flatnonzero(counts > 0)
        if living.size == 0:
            break
        picks = (rng.random((living.size, population)) * counts[living, None]).astype(np.int64)
        picks = np.minimum(picks, counts[living, None] - 1) + offsets[living, None]
        order = np.argsort(group, kind="stable")  # survivors grouped by replicate (already are; cheap)
        inverse = inverse[order][picks.ravel()]
        group = np.repeat(living, population)
        keep, inverse = _grow(inverse, rng)
        group = group[keep]
        fraction = np.zeros(replicates)
        fraction[living] = np.bincount(group, minlength=replicates)[living] / population
        estimates[:, k] = estimates[:, k - 1] * fraction
        if progress is not None:
            progress(k + 1, n_max)
    return estimates


def wilson_interval(positives: np.ndarray, samples: int, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval (low, high) of a binomial fraction positives / samples (95 % at z = 1.96).

    With no positive seen the low end is 0 and the high end about z^2 / samples (a bound, not a value).
    """
    k = np.asarray(positives, dtype=float)
    n = float(samples)
    p = k / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return np.where(k > 0, np.maximum(centre - half, 0.0), 0.0), np.minimum(centre + half, 1.0)


def coin_flip(ns: np.ndarray) -> np.ndarray:
    """2^-n: the fraction if each of n eigenvalues were positive independently with chance 1/2."""
    return np.power(2.0, -np.asarray(ns, dtype=float))


def large_deviation(ns: np.ndarray) -> np.ndarray:
    """exp(-theta n^2), theta = ln 3 / 4: Dean and Majumdar's leading large-n behaviour (no prefactor)."""
    n = np.asarray(ns, dtype=float)
    return np.exp(-THETA * n * n)


def theta_estimates(fractions: np.ndarray) -> np.ndarray:
    """(N,) estimates of theta from fractions P(1..N): -(ln P(n+1) - 2 ln P(n) + ln P(n-1)) / 2 at
    n = 2..N-1 (NaN where a neighbour is 0 or missing, and at the ends)."""
    p = np.asarray(fractions, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), np.nan)
    out = np.full(len(p), np.nan)
    if len(p) >= 3:
        out[1:-1] = -(logs[2:] - 2 * logs[1:-1] + logs[:-2]) / 2
    return out
