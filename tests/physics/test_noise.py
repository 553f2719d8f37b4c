"""Gradient noise: Gaussian statistics and annealing, unbiased mini-batches without replacement, seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.noise import (
    COMPILED_DRAW_POINTS,
    STREAM_NOISE,
    STREAM_NOISE_Y,
    NoiseSettings,
    NoiseStream,
    add_gaussian_noise,
    ball_generator,
    batch_mask,
    minibatch_gradient,
    noise_scale,
)
from physics.simulation import Simulation
from surfaces.errors import DownhillError
from surfaces.presets import preset_surface
from surfaces.surface import build_surface


def test_gaussian_noise_has_the_requested_mean_and_spread() -> None:
    rng = np.random.default_rng(0)
    gradient = np.tile([3.0, -2.0], (200_000, 1))
    noisy = add_gaussian_noise(gradient, 0.5, rng)
    deviation = noisy - gradient
    # 200 000 samples: the standard error of the mean is 0.5 / 447 = 1.1e-3, of the std ~8e-4.
    assert np.abs(deviation.mean(axis=0)).max() < 5e-3
    assert np.allclose(deviation.std(axis=0), 0.5, rtol=5e-3)
    # the two components are independent
    assert abs(np.corrcoef(deviation[:, 0], deviation[:, 1])[0, 1]) < 0.01
    assert not np.shares_memory(noisy, gradient)


@pytest.mark.parametrize("order", ["C", "F"])
def test_the_estimate_is_the_gradient_plus_sigma_times_the_draw_with_its_square(order: str) -> None:
    gradient = np.asarray(np.random.default_rng(5).normal(size=(1000, 2)), order=order)
    square = np.empty(1000)
    noisy = add_gaussian_noise(gradient, 0.3, ball_generator(3, 0, 0), square)
    draw = ball_generator(3, 0, 0).standard_normal((2, 1000)).T  # the same stream, column by column
    np.testing.assert_array_equal(noisy, draw * 0.3 + gradient)
    np.testing.assert_allclose(square, noisy[:, 0] ** 2 + noisy[:, 1] ** 2, rtol=1e-15)
    exact = add_gaussian_noise(gradient, 0.0, ball_generator(3, 0, 0), square)
    np.testing.assert_array_equal(exact, gradient)
    np.testing.assert_allclose(square, gradient[:, 0] ** 2 + gradient[:, 1] ** 2, rtol=1e-15)


def test_zero_sigma_draws_nothing() -> None:
    rng = np.random.default_rng(1)
    before = rng.bit_generator.state
    gradient = np.ones((5, 2))
    assert np.array_equal(add_gaussian_noise(gradient, 0.0, rng), gradient)
    assert rng.bit_generator.state == before


@pytest.mark.parametrize(("schedule", "decay", "updates", "expected"), [
    ("constant", 0.3, 100, 2.0),
    ("inverse-sqrt", 0.5, 6, 2.0 / math.sqrt(4.0)),
    ("exponential", 0.1, 10, 2.0 * math.exp(-1.0)),
    ("exponential", 0.0, 10, 2.0),
])
def test_annealing_schedules(schedule: str, decay: float, updates: int, expected: float) -> None:
    settings = NoiseSettings(sigma=2.0, schedule=schedule, decay=decay)
    assert noise_scale(settings, updates) == pytest.approx(expected, rel=1e-15)
    assert noise_scale(settings, 0) == 2.0


def test_batch_mask_draws_exactly_b_distinct_terms_uniformly() -> None:
    rng = np.random.default_rng(2)
    mask = batch_mask(rng, 60_000, 6, 2)
    assert mask.shape == (60_000, 6)
    assert (mask.sum(axis=1) == 2).all()  # B distinct terms: no term twice (without replacement)
    # each term is in the batch with probability B/m = 1/3
    assert np.allclose(mask.mean(axis=0), 1 / 3, atol=0.01)
    # each of the 15 pairs equally likely (1/15)
    codes = (mask * (1 << np.arange(6))).sum(axis=1)
    _, counts = np.unique(codes, return_counts=True)
    assert len(counts) == 15
    assert np.allclose(counts / len(codes), 1 / 15, atol=0.005)


def test_full_batch_is_every_term() -> None:
    rng = np.random.default_rng(3)
    assert batch_mask(rng, 4, 5, 5).all()
    with pytest.raises(DownhillError):
        batch_mask(rng, 4, 5, 6)


def test_minibatch_estimate_is_unbiased_for_the_full_gradient() -> None:
    surface = preset_surface("sigmoid-neuron")
    points = np.array([[-2.0, -2.0], [0.5, 0.3], [3.0, -1.0]])
    _, term_gradients = surface.term_evaluation(points)
    full = surface.evaluate(points).gradient
    assert np.allclose(term_gradients.sum(axis=0), full, atol=1e-15)
    rng = np.random.default_rng(4)
    draws = 40_000
    for batch in (1, 2, 3):
        repeated = np.repeat(term_gradients, draws, axis=1)  # (m, 3 draws, 2): every point drawn many times
        mask = batch_mask(rng, repeated.shape[1], repeated.shape[0], batch)
        estimates = minibatch_gradient(repeated, mask).reshape(3, draws, 2)
        mean = estimates.mean(axis=1)
        spread = estimates.std(axis=1) / math.sqrt(draws)
        assert (np.abs(mean - full) <= 5 * spread + 1e-15).all(), (batch, mean, full)
        if batch == 1:
            # a single-example estimate is m times one term's gradient, exactly
            chosen = mask.argmax(axis=1)
            expected = 6 * repeated[chosen, np.arange(repeated.shape[1])]
            assert np.allclose(estimates.reshape(-1, 2), expected, rtol=1e-15, atol=1e-18)


def test_minibatch_noise_shrinks_as_the_batch_grows() -> None:
    surface = preset_surface("sigmoid-neuron")
    points = np.tile([[0.5, 0.3]], (20_000, 1))
    _, term_gradients = surface.term_evaluation(points)
    rng = np.random.default_rng(5)
    estimates = [minibatch_gradient(term_gradients, batch_mask(rng, 20_000, 6, b)) for b in (1, 3, 6)]
    spreads = [e.std(axis=0).sum() for e in estimates]
    assert spreads[0] > spreads[1] > 10 * spreads[2]
    assert np.ptp(estimates[2], axis=0).max() == 0.0  # the full batch is exact, the same every draw


def test_ball_generators_depend_on_seed_and_index_only() -> None:
    a = ball_generator(7, 0, 0).standard_normal(4)
    assert np.array_equal(a, ball_generator(7, 0, 0).standard_normal(4))
    assert not np.array_equal(a, ball_generator(7, 1, 0).standard_normal(4))
    assert not np.array_equal(a, ball_generator(8, 0, 0).standard_normal(4))
    assert not np.array_equal(a, ball_generator(7, 0, 1).standard_normal(4))
    # it is the index-th child of SeedSequence(seed).spawn
    child = np.random.SeedSequence(7).spawn(2)[1]
    assert np.random.SeedSequence(7, spawn_key=(1,)).generate_state(4).tolist() == child.generate_state(4).tolist()


def _noisy_swarm(name: str = "swarm", particles: int = 20) -> BallSpec:
    return BallSpec(name, "#1f77b4", "gd", (("lr", 0.01),), (0.5, 0.5), NoiseSettings(sigma=0.3), particles=particles)


def test_same_seed_gives_bit_identical_runs_and_particles_differ() -> None:
    surface = build_surface("x^2 + 3y^2")
    runs = []
    for _ in range(2):
        simulation = Simulation(surface, [_noisy_swarm()], seed=11)
        simulation.step(30)
        runs.append(simulation.history(0).particles.positions.copy())
    assert np.array_equal(runs[0], runs[1])
    last = runs[0][-1]
    assert len(np.unique(last[:, 0])) == last.shape[0]  # every particle drew its own noise
    other = Simulation(surface, [_noisy_swarm()], seed=12)
    other.step(30)
    assert not np.array_equal(other.history(0).particles.positions, runs[0])


def test_adding_a_ball_leaves_the_others_noise_unchanged() -> None:
    surface = build_surface("x^2 + 3y^2")
    alone = Simulation(surface, [_noisy_swarm()], seed=3)
    alone.step(20)
    extra = BallSpec("extra", "#ff7f0e", "adam", (("lr", 0.1),), (-1.0, 1.0), NoiseSettings(sigma=1.0), particles=7)
    together = Simulation(surface, [_noisy_swarm(), extra], seed=3)
    together.step(20)
    assert np.array_equal(alone.history(0).particles.positions, together.history(0).particles.positions)


def test_noise_settings_are_validated() -> None:
    for bad, field in [(NoiseSettings(sigma=-1.0), "noise.sigma"),
                       (NoiseSettings(schedule="linear"), "noise.schedule"),
                       (NoiseSettings(decay=math.nan), "noise.decay"),
                       (NoiseSettings(batch_size=0), "noise.batch_size")]:
        with pytest.raises(DownhillError) as caught:
            bad.check("noise")
        assert caught.value.field == field


@pytest.mark.parametrize("n", [5, COMPILED_DRAW_POINTS + 1])
def test_a_noise_stream_draws_numpys_normals_column_by_column(n: int) -> None:
    # Whatever the size, the numbers are NumPy's own standard_normal on each column's generator,
    # column by column, and leave each generator where NumPy would.
    stream = NoiseStream([ball_generator(11, 2, STREAM_NOISE), ball_generator(11, 2, STREAM_NOISE_Y)], n)
    references = [ball_generator(11, 2, STREAM_NOISE), ball_generator(11, 2, STREAM_NOISE_Y)]
    for _ in range(3):
        draw = stream.draw()
        assert draw.shape == (n, 2) and draw.flags.f_contiguous
        for column, reference in enumerate(references):
            np.testing.assert_array_equal(draw[:, column], reference.standard_normal(n))
    for generator, reference in zip(stream.generators, references, strict=True):
        np.testing.assert_array_equal(generator.bit_generator.random_raw(8), reference.bit_generator.random_raw(8))


@pytest.mark.parametrize("n", [7, COMPILED_DRAW_POINTS + 3])
def test_the_estimate_from_a_noise_stream_is_the_gradient_plus_sigma_times_its_draw(n: int) -> None:
    # Large streams draw inside the estimate's own pass (compiled): the numbers must still be the
    # stream's, which are NumPy's, and the generators must end where NumPy leaves them.
    def stream() -> NoiseStream:
        return NoiseStream([ball_generator(4, 1, STREAM_NOISE), ball_generator(4, 1, STREAM_NOISE_Y)], n)

    gradient = np.asfortranarray(np.random.default_rng(2).normal(size=(n, 2)))
    noisy_stream, reference = stream(), stream()
    for _ in range(2):
        square = np.empty(n)
        noisy = add_gaussian_noise(gradient, 0.7, noisy_stream, square)
        np.testing.assert_array_equal(noisy, reference.draw() * 0.7 + gradient)
        np.testing.assert_allclose(square, noisy[:, 0] ** 2 + noisy[:, 1] ** 2, rtol=1e-15)
    for generator, twin in zip(noisy_stream.generators, reference.generators, strict=True):
        np.testing.assert_array_equal(generator.bit_generator.random_raw(8), twin.bit_generator.random_raw(8))
