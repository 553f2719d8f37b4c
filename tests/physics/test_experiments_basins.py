"""Basins of attraction and the experiments framework: checked against single runs, by hand, and hostile input."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from physics.balls import BallSpec
from physics.experiments import basins, outcomes
from physics.experiments.base import (
    CACHE,
    Cancelled,
    ExperimentSpec,
    ResultCache,
    freeze,
    make_spec,
    run_experiment,
    thaw,
)
from physics.noise import NoiseSettings
from physics.preset_scenes import PRESET_SCENES
from physics.scene_reader import scene_from_json
from physics.simulation import Simulation
from surfaces.errors import SceneError
from surfaces.presets import preset_surface
from surfaces.surface import Domain, build_surface


def _spec(**settings) -> ExperimentSpec:
    return make_spec("basins", settings)


def test_separable_quadratic_every_start_ends_at_its_one_minimum() -> None:
    surface = build_surface("x^2 + 3 y^2", domain=Domain(-2, 2, -1, 3))
    result = run_experiment(_spec(optimizer="gd", hyperparameters={"lr": 0.1}, grid=9, steps=200), surface,
                            cache=None)
    assert [p.kind for p in result.points] == ["minimum"]
    assert result.outcomes == (0,)
    assert result.probabilities.shape == (9, 9, 1)
    assert (result.dominant == 0).all() and result.shares.tolist() == [1.0]
    # The cells' centres, by hand: 9 cells of width 4/9 from -2, of height 4/9 from -1.
    assert result.xs[0] == pytest.approx(-2 + 2 / 9) and result.ys[-1] == pytest.approx(3 - 2 / 9)


def test_himmelblau_basins_match_single_runs_of_sampled_starts() -> None:
    surface = preset_surface("himmelblau")
    settings = {"optimizer": "gd", "hyperparameters": {"lr": 0.01}, "grid": 40, "steps": 300}
    result = run_experiment(_spec(**settings), surface, cache=None)
    assert len([c for c in result.outcomes if c >= 0]) >= 4  # the four minima all have a basin
    rng = np.random.default_rng(7)
    cells = rng.integers(0, 40, size=(30, 2))
    minima = {i: (p.x, p.y) for i, p in enumerate(result.points) if p.kind == "minimum"}
    for i, j in cells:
        start = (float(result.xs[i]), float(result.ys[j]))
        ball = BallSpec(name="one", color="#000000", optimizer="gd", hyperparameters=(("lr", 0.01),), start=start)
        simulation = Simulation(surface, [ball])
        simulation.step(300)
        state = simulation.state(0)
        alone = outcomes.classify_outcomes(state.positions, state.active, state.regime_codes, result.points,
                                           surface.domain.diameter)[0]
        assert result.dominant[i, j] == alone, (start, result.name(result.dominant[i, j]), result.name(alone))
        if alone in minima:  # the single run, by its own numbers, is at that minimum
            assert math.dist(state.positions[0], minima[alone]) < 1e-3


def test_noise_gives_probabilities_that_sum_to_one_and_depend_only_on_the_seed() -> None:
    surface = preset_surface("himmelblau")
    spec = _spec(optimizer="gd", hyperparameters={"lr": 0.01}, sigma=20.0, grid=8, steps=60, repeats=4)
    first = run_experiment(spec, surface, seed=3, cache=None)
    again = run_experiment(spec, surface, seed=3, cache=None)
    other = run_experiment(spec, surface, seed=4, cache=None)
    assert first.repeats == 4
    np.testing.assert_allclose(first.probabilities.sum(axis=2), 1.0, rtol=1e-6)
    # Each probability is a count of the 4 repeats over 4.
    np.testing.assert_array_equal(first.probabilities * 4, np.round(first.probabilities * 4))
    assert (first.confidence < 1).any()  # the noise splits some starts between outcomes
    assert first.outcomes == again.outcomes
    np.testing.assert_array_equal(first.probabilities, again.probabilities)
    assert first.outcomes != other.outcomes or not np.array_equal(first.probabilities, other.probabilities)
    assert first.shares.sum() == pytest.approx(1.0)


def test_without_noise_one_repeat_is_run() -> None:
    surface = build_surface("x^2 + y^2")
    result = run_experiment(_spec(grid=3, steps=5, repeats=8), surface, cache=None)
    assert result.repeats == 1


def test_cache_gives_the_same_object_for_the_same_surface_settings_and_seed() -> None:
    cache = ResultCache(size=2)
    surface = build_surface("x^2 + y^2")
    spec = _spec(grid=4, steps=20)
    first = run_experiment(spec, surface, seed=1, cache=cache)
    assert run_experiment(spec, surface, seed=1, cache=cache) is first and cache.hits == 1
    assert run_experiment(spec, build_surface("x^2 + y^2"), seed=1, cache=cache) is first  # same text, same key
    assert run_experiment(spec, surface, seed=2, cache=cache) is not first
    assert run_experiment(_spec(grid=4, steps=21), surface, seed=1, cache=cache) is not first
    assert len(cache) == 2  # bounded: the oldest went
    assert run_experiment(spec, surface.with_domain(Domain(-1, 1, -1, 1)), seed=1, cache=cache) is not first
    assert CACHE.size >= 2


def test_cancel_stops_the_run_at_a_chunk() -> None:
    surface = build_surface("x^2 + y^2")
    calls = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return done < basins.CHUNK

    with pytest.raises(Cancelled):
        run_experiment(_spec(grid=5, steps=500), surface, progress=progress, cache=None)
    assert calls[0] == (0, 500) and calls[-1] == (basins.CHUNK, 500)


def test_csv_has_one_row_per_start_with_probabilities() -> None:
    surface = preset_surface("himmelblau")
    result = run_experiment(_spec(optimizer="gd", hyperparameters={"lr": 0.01}, grid=6, steps=200), surface,
                            cache=None)
    stream = io.StringIO()
    basins.to_csv(result, stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert len(rows) == 36
    columns = [f"p_{outcomes.outcome_label(c)}" for c in result.outcomes]
    assert list(rows[0]) == ["x", "y", "outcome", "outcome_words", "probability", *columns]
    for row in rows:
        assert sum(float(row[c]) for c in columns) == pytest.approx(1.0)
        assert float(row[f"p_{row['outcome']}"]) == float(row["probability"])
    assert float(rows[1]["y"]) == result.ys[1] and float(rows[6]["x"]) == result.xs[1]


@pytest.mark.parametrize(("settings", "field", "words"), [
    ({"grid": 0}, "grid", "out of range"),
    ({"grid": 1000}, "grid", "out of range"),
    ({"grid": "200"}, "grid", "whole number"),
    ({"steps": 10 ** 9}, "steps", "out of range"),
    ({"repeats": True}, "repeats", "whole number"),
    ({"sigma": -1}, "sigma", "out of range"),
    ({"sigma": float("nan")}, "sigma", "finite"),
    ({"clip": 0}, "clip", "out of range"),
    ({"optimizer": "__import__('os')"}, "optimizer", "unknown optimiser"),
    ({"optimizer": ["sgd"]}, "optimizer", "optimiser's name"),
    ({"hyperparameters": {"lr": -1}}, "hyperparameters.lr", "out of range"),
    ({"hyperparameters": {"rm": 1}}, "hyperparameters.rm", "no hyper-parameter"),
    ({"hyperparameters": [1, 2]}, "hyperparameters", "object"),
    ({"colour": 1}, "colour", "unknown setting"),
])
def test_hostile_settings_are_one_line_errors_naming_the_field(settings, field, words) -> None:
    with pytest.raises(SceneError) as caught:
        make_spec("basins", settings, "experiments[2]")
    assert caught.value.field == f"experiments[2].settings.{field}"
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_unknown_kind_and_bad_settings_object() -> None:
    with pytest.raises(SceneError, match="unknown experiment") as caught:
        make_spec("format_disk", {}, "experiments[0]")
    assert caught.value.field == "experiments[0].kind"
    with pytest.raises(SceneError, match="must be an object"):
        make_spec("basins", [1, 2])


def test_scene_round_trip_keeps_experiments_and_omits_the_key_when_empty() -> None:
    scene = PRESET_SCENES["saddle-between-minima"] if "saddle-between-minima" in PRESET_SCENES \
        else next(iter(PRESET_SCENES.values()))
    assert "experiments" not in json.loads(scene.to_json())
    data = json.loads(scene.to_json())
    data["experiments"] = [{"kind": "basins", "settings": {"optimizer": "sgd", "hyperparameters": {
        "lr": 0.02, "momentum": 0.9}, "grid": 50, "sigma": 0.1}}, {"kind": "basins"}]
    loaded = scene_from_json(json.dumps(data))
    assert len(loaded.experiments) == 2
    assert loaded.experiments[0].settings_dict()["hyperparameters"] == {"lr": 0.02, "momentum": 0.9}
    assert loaded.experiments[1].settings_dict()["grid"] == basins.DEFAULT_GRID
    text = loaded.to_json()
    assert scene_from_json(text) == loaded and scene_from_json(text).to_json() == text
    data["experiments"] = [{"kind": "basins", "settings": {"grid": -3}}]
    with pytest.raises(SceneError) as caught:
        scene_from_json(json.dumps(data))
    assert caught.value.field == "experiments[0].settings.grid"
    data["experiments"] = [{"kind": "basins", "extra": 1}]
    with pytest.raises(SceneError, match="unknown key"):
        scene_from_json(json.dumps(data))


def test_freeze_and_thaw_are_inverse_and_hashable() -> None:
    data = {"b": [1, 2.5], "a": {"z": True, "y": None}}
    frozen = freeze(data)
    hash(frozen)
    assert thaw(frozen) == {"a": {"y": None, "z": True}, "b": [1, 2.5]}


def test_classify_outcomes_by_hand() -> None:
    class Point:
        def __init__(self, x: float, y: float) -> None:
            self.x, self.y, self.kind = x, y, "minimum"

    points = [Point(0, 0), Point(1, 0)]
    positions = np.array([[0.001, 0], [0.999, 0.0], [0.5, 0.5], [0.5, 0.5], [0.0, 0.0]])
    active = np.array([True, True, True, True, False])
    regimes = np.array([1, 0, 4, 0, 1])  # minimum, descending, plateau, descending, minimum
    codes = outcomes.classify_outcomes(positions, active, regimes, points, diameter=1.0)
    assert codes.tolist() == [0, 1, outcomes.PLATEAU, outcomes.MOVING, outcomes.DIVERGED]
    assert outcomes.outcome_name(outcomes.DIVERGED) == "diverged"
    assert outcomes.outcome_label(1) == "cp2"


def test_explicit_starts_of_a_swarm_are_its_positions() -> None:
    surface = build_surface("x^2 + y^2")
    starts = np.array([[1.0, 2.0], [-0.5, 0.25], [0.0, -1.0]])
    ball = BallSpec(name="s", color="#000000", optimizer="gd", hyperparameters=(("lr", 0.25),), particles=3,
                    noise=NoiseSettings())
    simulation = Simulation(surface, [ball], starts={0: starts})
    np.testing.assert_array_equal(simulation.state(0).positions, starts)
    simulation.step(1)  # gd on x^2 + y^2 with lr 1/4: p <- p - 0.25 * 2p = p / 2
    np.testing.assert_array_equal(simulation.state(0).positions, starts / 2)
    simulation.reset()
    np.testing.assert_array_equal(simulation.state(0).positions, starts)
