"""The high-dimensional picture (experiment kind ``highdim``): why saddles, not minima, are what a
descent meets in many dimensions.

Two measurements, neither depends on the surface on screen (the scene stores the settings only):

1. The fraction of minima against n (physics.experiments.goe_minima): of M random symmetric GOE
   n x n Hessians, how many are positive definite, for n = 1..n_max, with a 95 % Wilson interval
   (or "none seen in M" and the 95 % bound 3.84 / M), beside the splitting estimate that reaches the
   fractions direct sampling cannot (10^-18 at n = 12), the coin-flip count 2^-n and Dean and
   Majumdar's large-deviation law exp(-theta n^2), theta = ln 3 / 4.
2. Index against loss (physics.experiments.random_landscape): the distinct critical points of a
   random Gaussian landscape in ``dim`` dimensions (``features`` random Fourier features, unit
   variance and correlation length) found by Newton's method from ``starts`` starts, each with its
   loss f and index (fraction of negative Hessian eigenvalues); after Bray and Dean (2007) and
   Dauphin et al. (2014), the index rises with the loss.

Settings (:func:`validate`; untrusted, from scene files and the command line): ``n_max``
(1..MAX_N, default 12), ``samples`` M (1000..MAX_SAMPLES, default 2 000 000), ``population`` per
splitting level (0 = no splitting estimate, ..MAX_POPULATION, default 10 000; 8 replicates),
``dim`` (2..MAX_DIM, default 5: a few minima still turn up), ``starts`` (0 = no landscape, ..MAX_STARTS,
default 700),
``features`` (16..MAX_FEATURES, default 200). The seed drives everything (one Generator per part,
spawned from it).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np

from physics.experiments.base import ExperimentKind, Progress, SettingsReader, checked, register
from physics.experiments.goe_minima import (
    THETA,
    coin_flip,
    large_deviation,
    positive_definite_counts,
    splitting_estimate,
    theta_estimates,
    wilson_interval,
)
from physics.experiments.random_landscape import CriticalCensus, bray_dean_index, find_critical_points, random_field

NAME = "highdim"
DEFAULT_N_MAX = 12
MAX_N = 16
DEFAULT_SAMPLES = 2_000_000
MIN_SAMPLES = 1000
MAX_SAMPLES = 200_000_000
DEFAULT_POPULATION = 10_000
#: At most about 100 MB of factors per splitting run at n = 16 (runs go in batches: goe_minima).
MAX_POPULATION = 50_000
REPLICATES = 8
DEFAULT_DIM = 5
MAX_DIM = 12
DEFAULT_STARTS = 700
MAX_STARTS = 5000
DEFAULT_FEATURES = 200
#: starts x features phases are held at once (5000 x 1000: 40 MB).
MAX_FEATURES = 1000
#: Newton iterations from each start (settled runs drop out earlier).
ITERATIONS = 40
SETTINGS = ("n_max", "samples", "population", "dim", "starts", "features")


@dataclass(frozen=True)
class HighDimPicture:
    """The result.

    Attributes:
        ns: (N,) the dimensions 1..n_max.
        samples: M, direct samples per n; positives: (N,) how many were positive definite;
            fraction, low, high: (N,) positives / M and its 95 % Wilson interval.
        split_mean, split_error: (N,) the splitting estimate and its standard error (NaN without).
        coin: (N,) 2^-n; large_deviation: (N,) exp(-theta n^2); theta: ln 3 / 4.
        theta_estimates: (N,) -(second difference of ln fraction) / 2 (splitting, else direct; NaN at ends).
        census: the critical points of the random landscape (None with starts = 0).
        settings, seed.
    """

    ns: np.ndarray
    samples: int
    positives: np.ndarray
    fraction: np.ndarray
    low: np.ndarray
    high: np.ndarray
    split_mean: np.ndarray
    split_error: np.ndarray
    coin: np.ndarray
    large_deviation: np.ndarray
    theta: float
    theta_estimates: np.ndarray
    census: CriticalCensus | None
    settings: dict
    seed: int

    @property
    def none_seen(self) -> np.ndarray:
        """(N,) bool: no positive definite matrix among the M samples."""
        return self.positives == 0

    @property
    def bound(self) -> float:
        """The 95 % upper bound on a fraction none of M samples showed: Wilson's high end, z^2 / (M + z^2)."""
        return float(wilson_interval(np.zeros(1), self.samples)[1][0])


def validate(raw: Any, where: str) -> dict[str, Any]:
    """Untrusted settings -> complete settings; SceneError naming ``where.key`` for any problem."""
    reader = SettingsReader(raw, where, SETTINGS)
    return {"n_max": reader.integer("n_max", DEFAULT_N_MAX, 1, MAX_N),
            "samples": reader.integer("samples", DEFAULT_SAMPLES, MIN_SAMPLES, MAX_SAMPLES),
            "population": reader.integer("population", DEFAULT_POPULATION, 0, MAX_POPULATION),
            "dim": reader.integer("dim", DEFAULT_DIM, 2, MAX_DIM),
            "starts": reader.integer("starts", DEFAULT_STARTS, 0, MAX_STARTS),
            "features": reader.integer("features", DEFAULT_FEATURES, 16, MAX_FEATURES)}


def run(surface: Any, scene: Any, settings: dict[str, Any], seed: int, progress: Progress) -> HighDimPicture:
    """Both measurements from ``seed`` (the surface and scene are not used). Progress runs over the
    direct samples, then the splitting levels, then the Newton iterations (weighted by rough cost)."""
    settings = validate(settings, "highdim.settings")
    n_max, samples, population = settings["n_max"], settings["samples"], settings["population"]
    direct_rng, split_rng, field_rng = (np.random.default_rng(child)
                                        for child in np.random.SeedSequence(int(seed)).spawn(3))
    # Progress units: 1 per 100 000 samples, 1 per splitting level, 1 per Newton iteration.
    parts = (max(1, samples // 100_000), n_max if population else 0, ITERATIONS if settings["starts"] else 0)
    total = sum(parts)
    checked(progress, 0, total)
    positives = positive_definite_counts(
        n_max, samples, direct_rng, lambda done, all_: checked(progress, done * parts[0] // all_, total))
    if population:
        split_mean, split_error = splitting_estimate(
            n_max, population, REPLICATES, split_rng,
            lambda done, all_: checked(progress, parts[0] + done * n_max // all_, total))
    else:
        split_mean = split_error = np.full(n_max, np.nan)
    census = None
    if settings["starts"]:
        field = random_field(settings["dim"], settings["features"], field_rng)
        census = find_critical_points(
            field, settings["starts"], field_rng, iterations=ITERATIONS,
            progress=lambda done, _all: checked(progress, parts[0] + parts[1] + done, total))
    checked(progress, total, total)
    ns = np.arange(1, n_max + 1)
    low, high = wilson_interval(positives, samples)
    estimates = theta_estimates(split_mean if population else positives / samples)
    return HighDimPicture(ns=ns, samples=samples, positives=positives, fraction=positives / samples, low=low,
                          high=high, split_mean=split_mean, split_error=split_error, coin=coin_flip(ns),
                          large_deviation=large_deviation(ns), theta=THETA, theta_estimates=estimates,
                          census=census, settings=dict(settings), seed=int(seed))


def key(scene: Any, settings: dict[str, Any]) -> tuple:
    """Nothing beyond the settings and seed (the cache key still names the surface: base.cache_key)."""
    return ()


def to_csv(result: HighDimPicture, stream: TextIO) -> None:
    """Two tables, a blank line between:

    ``n, samples, positives, fraction, low95, high95, splitting, splitting_se, coin_flip,
    large_deviation, theta_estimate`` (one row per n), then ``point, loss, index, negative,
    gradient_norm, x1..xd`` (one row per critical point, lowest loss first). Floats with repr.
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["n", "samples", "positives", "fraction", "low95", "high95", "splitting", "splitting_se",
                     "coin_flip", "large_deviation", "theta_estimate"])
    for i, n in enumerate(result.ns):
        writer.writerow([int(n), result.samples, int(result.positives[i]), *(_number(values[i]) for values in (
            result.fraction, result.low, result.high, result.split_mean, result.split_error, result.coin,
            result.large_deviation, result.theta_estimates))])
    census = result.census
    if census is None:
        return
    writer.writerow([])
    dim = census.points.shape[1]
    writer.writerow(["point", "loss", "index", "negative", "bray_dean_index", "gradient_norm",
                     *(f"x{d + 1}" for d in range(dim))])
    order = np.argsort(census.losses, kind="stable")
    theory = bray_dean_index(census.losses, dim)
    for rank, i in enumerate(order):
        writer.writerow([rank + 1, _number(census.losses[i]), _number(census.indices[i]),
                         int(round(census.indices[i] * dim)), _number(theory[i]), _number(census.gradient_norms[i]),
                         *(_number(v) for v in census.points[i])])


def _number(value: float) -> str:
    value = float(value)
    return "" if np.isnan(value) else repr(value)


KIND = register(ExperimentKind(name=NAME, title="High-dimensional picture", validate=validate, run=run,
                               to_csv=to_csv, key=key))
