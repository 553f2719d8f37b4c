"""Fair races (physics.race, physics.race_cli): the lr sweep against closed forms, the finish board
against the simulation's own steps, the command line's output and its bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import main
from physics.balls import MAX_BALLS, PALETTE, BallSpec
from physics.noise import NoiseSettings
from physics.optimizers.base import get_optimizer
from physics.race import (
    TUNING_GRID,
    FinishBoard,
    choose,
    finish_level,
    finish_line,
    race_balls,
    rank_board,
    spread_starts,
    steps_to_reach,
    tune_learning_rates,
    tuning_caption,
    tuning_grid,
)
from physics.simulation import Simulation
from surfaces.critical import CriticalPoint
from surfaces.errors import DownhillError
from surfaces.surface import build_surface

#: Curvatures a < b of the quadratic f = a x^2 / 2 + b y^2 / 2 (written out in QUADRATIC).
A, B = 1.0, 3.3
QUADRATIC = "0.5*x^2 + 1.65*y^2"
K = 200


@pytest.fixture(scope="module")
def quadratic():
    return build_surface(QUADRATIC)


def gd_loss_after(lr: float, steps: int, start=(1.0, 1.0)) -> float:
    """GD on a x^2/2 + b y^2/2: each coordinate shrinks by (1 - lr c) a step, so after K steps
    f = a x0^2 (1 - lr a)^(2K) / 2 + b y0^2 (1 - lr b)^(2K) / 2 (as a log, to stay finite)."""
    terms = [math.log(c * s * s / 2) + 2 * steps * math.log(abs(1 - lr * c)) for c, s in zip((A, B), start, strict=True)
             if abs(1 - lr * c) > 0]
    return max(terms) + math.log(sum(math.exp(t - max(terms)) for t in terms))


def test_the_grid_is_13_log_points_from_1e_4_to_1_within_each_lr_range() -> None:
    assert len(TUNING_GRID) == 13
    assert TUNING_GRID[0] == pytest.approx(1e-4) and TUNING_GRID[-1] == pytest.approx(1.0)
    assert np.allclose(np.diff(np.log10(TUNING_GRID)), 1 / 3)
    assert tuning_grid(get_optimizer("adam")) == TUNING_GRID
    newton = tuning_grid(get_optimizer("newton"))  # its lr range is [1e-3, 2]
    assert newton[0] == pytest.approx(1e-3) and len(newton) == 10
    assert tuning_grid(get_optimizer("damped-newton")) == ()


def test_gd_on_a_quadratic_gets_the_closed_form_best_grid_lr(quadratic) -> None:
    (gd,) = tune_learning_rates(quadratic, ["gd"], [(1.0, 1.0)], steps=K)
    # The sweep's scores are the closed form's losses, point by point (diverged past 2/b = 0.606).
    for lr, score in zip(gd.lrs, gd.scores, strict=True):
        if lr < 2 / B:
            assert math.log(score) == pytest.approx(gd_loss_after(lr, K), rel=1e-9, abs=1e-9)
        else:
            assert score == math.inf
    stable = [lr for lr in TUNING_GRID if lr < 2 / B]
    assert gd.chosen == min(stable, key=lambda lr: gd_loss_after(lr, K))
    # ... which is the grid point nearest the continuous optimum 2 / (a + b) (on the log scale).
    assert gd.chosen == min(TUNING_GRID, key=lambda lr: abs(math.log(lr / (2 / (A + B)))))
    assert gd.chosen == pytest.approx(0.464, abs=1e-3)


def test_the_sweep_is_deterministic_from_its_seed(quadratic) -> None:
    noise = NoiseSettings(sigma=0.5)
    first = tune_learning_rates(quadratic, ["sgd", "adam"], [(1.0, 1.0), (-1.0, 0.5)], noise=noise, seed=7, steps=40)
    again = tune_learning_rates(quadratic, ["sgd", "adam"], [(1.0, 1.0), (-1.0, 0.5)], noise=noise, seed=7, steps=40)
    other = tune_learning_rates(quadratic, ["sgd", "adam"], [(1.0, 1.0), (-1.0, 0.5)], noise=noise, seed=8, steps=40)
    assert first == again
    assert first[0].scores != other[0].scores  # the noise does reach the judge


def test_a_diverged_candidate_is_never_chosen_even_with_the_lowest_last_loss() -> None:
    saddle = build_surface("x^2 - y^2")  # unbounded below: a runaway ball's last loss is very low
    (gd,) = tune_learning_rates(saddle, ["gd"], [(1.0, 0.1)], steps=K)
    assert gd.chosen is not None and math.isfinite(gd.scores[gd.lrs.index(gd.chosen)])
    assert all(score == math.inf for lr, score in zip(gd.lrs, gd.scores, strict=True) if lr > gd.chosen)
    # The largest lr's ball stopped (left the box) with a last loss far below the chosen one's.
    runaway = Simulation(saddle, [BallSpec("gd", "#ffffff", "gd", (("lr", 1.0),), (1.0, 0.1))], capacity=K + 1)
    runaway.step(K)
    state = runaway.state(0)
    assert not state.active[0] and state.loss[0] < min(gd.scores)


def test_choose_breaks_exact_ties_to_the_larger_lr_and_falls_back_when_all_diverge() -> None:
    assert choose((0.1, 0.2, 0.4), (1.0, 0.5, 0.5)) == (0.4, "")
    assert choose((0.1, 0.2, 0.4), (1.0, 0.5, math.inf)) == (0.2, "")
    lr, note = choose((0.1, 0.2), (math.inf, math.inf))
    assert lr == 0.1 and "diverged" in note


def test_an_optimiser_without_an_lr_is_not_tuned_and_races_on_its_own_rule(quadratic) -> None:
    gd, damped = tune_learning_rates(quadratic, ["gd", "damped-newton"], [(1.0, 1.0)], steps=20)
    assert damped.chosen is None and damped.lrs == () and "not tuned" in damped.note
    balls = race_balls((gd, damped), [(1.0, 1.0)])
    assert balls[1].name == "Damped Newton" and balls[1].hyperparameters == ()
    assert balls[0].hyperparameters == (("lr", gd.chosen),) and balls[0].name == f"GD lr {gd.chosen:.3g}"
    assert "Damped Newton (no lr: not tuned)" in tuning_caption((gd, damped))


def test_the_race_has_a_ball_per_optimiser_per_start_coloured_by_optimiser(quadratic) -> None:
    tunings = tune_learning_rates(quadratic, ["gd", "adam"], [(1.0, 1.0)], steps=20)
    starts = spread_starts(quadratic, (1.0, 1.0), 3, 0.5, seed=3)
    balls = race_balls(tunings, starts, NoiseSettings(sigma=0.1))
    assert [ball.name for ball in balls][:3] == [f"GD lr {tunings[0].chosen:.3g}" + tail
                                                 for tail in ("", " #2", " #3")]
    assert [ball.color for ball in balls] == [PALETTE[0]] * 3 + [PALETTE[1]] * 3
    assert [ball.start for ball in balls] == list(starts) * 2
    assert all(ball.noise.sigma == 0.1 for ball in balls)
    for ball in balls:
        ball.check("", quadratic)
    with pytest.raises(DownhillError, match=f"at most {MAX_BALLS}"):
        race_balls(tunings, [(1.0, 1.0)] * (MAX_BALLS // 2 + 1))


def test_a_spread_of_starts_is_seeded_and_within_its_radius(quadratic) -> None:
    starts = spread_starts(quadratic, (1.0, -0.5), 6, 0.4, seed=11)
    assert starts[0] == (1.0, -0.5) and len(set(starts)) == 6
    assert all(math.hypot(x - 1.0, y + 0.5) <= 0.4 for x, y in starts)
    assert spread_starts(quadratic, (1.0, -0.5), 6, 0.4, seed=11) == starts
    assert spread_starts(quadratic, (1.0, -0.5), 6, 0.4, seed=12) != starts
    with pytest.raises(DownhillError, match="undefined"):
        spread_starts(build_surface("log(x)"), (-1.0, 0.0), 1, 0.0, seed=0)


def test_steps_to_reach_is_the_first_step_the_simulation_drops_below_the_line(quadratic) -> None:
    ball = BallSpec("gd", "#ffffff", "gd", (("lr", 0.05),), (1.0, 1.0))
    simulation = Simulation(quadratic, [ball], capacity=8)
    line = finish_line(float(simulation.state(0).loss[0]), 0.0)
    assert line == pytest.approx(1e-3 * (0.5 + 1.65))
    first = None
    for step in range(1, 400):  # the simulation's own later steps, one at a time
        simulation.step()
        if first is None and simulation.state(0).loss[0] <= line:
            first = step
    history = simulation.history(0)
    assert first is not None and steps_to_reach(history.steps, history.loss, line) == first
    # The x coordinate alone decays as 0.95^k; the line is crossed when 0.5 * 0.95^(2k) <= line (y is gone).
    assert first == math.ceil(math.log(line / 0.5) / (2 * math.log(0.95)))


def test_the_finish_level_is_the_lowest_minimum_else_the_floor() -> None:
    points = [CriticalPoint(0.0, 0.0, -1.0, "saddle", (-1.0, 1.0)), CriticalPoint(1.0, 0.0, 2.0, "minimum", (1, 2)),
              CriticalPoint(-1.0, 0.0, 0.5, "minimum", (1, 2))]
    assert finish_level(points, floor=-5.0).value == 0.5
    assert finish_level(points[:1], floor=-5.0).value == -5.0
    assert finish_line(3.0, 1.0) == pytest.approx(1.002)
    assert finish_line(0.5, 1.0) == 1.0  # a start below the level has reached it at step 0:
    assert steps_to_reach(np.arange(3), np.array([0.5, 0.4, 0.3]), finish_line(0.5, 1.0)) == 0


def test_the_board_ranks_reached_by_steps_then_running_by_loss_then_diverging() -> None:
    rows = rank_board([(0, "a", None, 0.3, "descending"), (1, "b", 40, 1e-4, "minimum"),
                       (2, "c", None, -9.0, "diverging"), (3, "d", 12, 2e-4, "minimum"),
                       (4, "e", None, 0.1, "plateau"), (5, "f", 12, 1e-4, "minimum")])
    assert [row.name for row in rows] == ["f", "d", "b", "e", "a", "c"]
    assert [row.rank for row in rows] == [1, 2, 3, 4, 5, 6]


def test_the_live_board_scanning_new_rows_agrees_with_a_scan_from_scratch(quadratic) -> None:
    tunings = tune_learning_rates(quadratic, ["gd", "momentum", "adam"], [(1.0, 1.0)], steps=50)
    balls = race_balls(tunings, [(1.0, 1.0)])
    simulation = Simulation(quadratic, balls, capacity=16)
    names = [ball.name for ball in balls]
    live = FinishBoard()
    for _ in range(12):
        simulation.step(10)
        histories = [simulation.history(i) for i in range(len(balls))]
        assert live.rows(names, histories, 0.0) == FinishBoard().rows(names, histories, 0.0)
    final = live.rows(names, histories, 0.0)
    for row in final:
        history = histories[row.ball]
        assert row.steps == steps_to_reach(history.steps, history.loss, finish_line(float(history.loss[0]), 0.0))
        assert row.loss == history.loss[-1] and row.regime == history.regimes[-1]
    reached = [row.steps for row in final if row.steps is not None]
    assert reached == sorted(reached) and reached


# --------------------------------------------------------------------------------------------- the command


def race(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main.main(["race", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_race_command_prints_the_tuning_and_the_board(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = race(capsys, "--surface", QUADRATIC, "--optimizers", "gd,damped-newton", "--start", "1,1",
                            "--steps", "300")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("lr tuned for each on this surface (grid 1e-4..1, 13 points, loss after 200 steps): "
                        "GD 0.464, Damped Newton (no lr: not tuned)")
    chosen = [line for line in lines if line.endswith(" *")]
    assert len(chosen) == 1 and chosen[0].split()[-3] == "0.464"
    assert sum("diverged" in line for line in lines) == 1  # lr = 1 > 2 / 3.3
    board = lines[lines.index(next(line for line in lines if line.startswith("Finish board"))) + 2:]
    assert [row.split()[0] for row in board] == ["1", "2"]
    assert "Damped Newton" in board[0]  # Newton's step lands on the minimum of a quadratic at once
    assert "GD lr 0.464" in board[1] and board[1].split()[-1] == "minimum"


@pytest.mark.parametrize(("arguments", "words"), [
    (["--optimizers", "gd,rmsprops"], "--optimizers: unknown optimiser 'rmsprops'"),
    (["--optimizers", "gd,gd"], "--optimizers: the optimiser 'gd' is named twice"),
    (["--start", "1;1"], "--start: '1;1' must be two numbers"),
    (["--start", "-3,nan"], "--start: the value must be a finite number"),
    (["--steps", "0"], "--steps: 0 is out of range"),
    (["--tune-steps", "0"], "--tune-steps: 0 is out of range"),
    (["--starts", "40"], "--starts: 40 is out of range [1, 32]"),
    (["--radius", "-1"], "--radius: the radius must be 0 or more"),
])
def test_bad_input_is_one_line_and_status_2(capsys: pytest.CaptureFixture[str], arguments: list[str],
                                            words: str) -> None:
    defaults = {"--optimizers": "gd", "--start": "1,1"}
    given = dict(zip(arguments[::2], arguments[1::2], strict=True))
    argv = ["--surface", "x^2 + y^2", *(item for key, value in {**defaults, **given}.items() for item in (key, value))]
    status, out, err = race(capsys, *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("downhill: ") and words in err, err


def test_a_start_where_f_is_undefined_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = race(capsys, "--surface", "log(x)", "--optimizers", "gd", "--start=-1,1")
    assert status == 2 and err.startswith("downhill: --start: f is undefined") and err.count("\n") == 1
