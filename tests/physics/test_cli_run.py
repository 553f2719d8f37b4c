"""``main.py run``: the CSV contract, bit-exact floats, hyper-parameter flags, swarms, scenes, errors."""

from __future__ import annotations

import csv
import io
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import main
from physics.balls import BallSpec
from physics.cli import BALL_COLUMNS, SWARM_COLUMNS
from physics.noise import NoiseSettings
from physics.preset_scenes import PRESET_SCENES
from physics.regime import REGIMES
from physics.simulation import Simulation
from surfaces.presets import preset_surface

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[dict[str, str]], str]:
    status = main.main(["run", *arguments])
    captured = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(captured.out))) if status == 0 else []
    return status, rows, captured.err


def test_one_ball_rows_follow_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    status, rows, _ = run(capsys, "--surface", "x^2 + 3y^2", "--optimizer", "gd", "--lr", "0.05", "--start",
                          "1.5,-0.5", "--steps", "20")
    assert status == 0
    assert tuple(rows[0]) == BALL_COLUMNS
    assert [int(r["step"]) for r in rows] == list(range(21))
    x, y = 1.5, -0.5
    for row in rows:  # row k is the position after k updates, exactly
        assert (float(row["x"]), float(row["y"])) == (x, y)
        assert float(row["loss"]) == x * x + 3 * y * y
        assert (float(row["grad_x"]), float(row["grad_y"])) == (2 * x, 6 * y)
        assert (float(row["lambda_min"]), float(row["lambda_max"])) == (2.0, 6.0)
        x, y = x + -0.05 * (2 * x), y + -0.05 * (6 * y)
    assert rows[0]["step_size"] == "0.0" and rows[0]["lr"] == "nan"
    assert all(math.isclose(float(r["lr"]), 0.05, rel_tol=1e-12) for r in rows[1:])
    assert all(r["regime"] in REGIMES for r in rows)


def test_every_float_reads_back_bit_for_bit(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "run.csv"
    status, _, _ = run(capsys, "--surface", "rosenbrock", "--optimizer", "adam", "--lr", "0.02", "--start",
                       "-1.2,1", "--steps", "50", "--noise", "0.3", "--seed", "4", "--csv", str(out))
    assert status == 0 and capsys.readouterr().out == ""
    rows = list(csv.DictReader(out.open()))
    simulation = Simulation(preset_surface("rosenbrock"), [
        BallSpec("adam", "#1f77b4", "adam", (("lr", 0.02),), (-1.2, 1.0),
                 noise=NoiseSettings(sigma=0.3))], seed=4)
    simulation.step(50)
    history = simulation.history(0)
    columns = {"x": history.positions[:, 0], "y": history.positions[:, 1], "loss": history.loss,
               "grad_x": history.gradient[:, 0], "grad_y": history.gradient[:, 1], "grad_norm": history.gradient_norm,
               "step_size": history.step_size, "lr": history.lr, "lambda_min": history.lambda_min,
               "lambda_max": history.lambda_max}
    for name, values in columns.items():
        read = np.array([float(r[name]) for r in rows])
        assert np.array_equal(read, values, equal_nan=True), name
        assert all(repr(float(r[name])) == r[name] for r in rows)


def test_a_negative_start_and_torch_style_flags(capsys: pytest.CaptureFixture[str]) -> None:
    status, rows, _ = run(capsys, "--surface", "rosenbrock", "--optimizer", "sgd", "--lr", "0.001", "--momentum",
                          "0.9", "--nesterov", "--start", "-1.2,0.8", "--steps", "30")
    assert status == 0
    assert (float(rows[0]["x"]), float(rows[0]["y"])) == (-1.2, 0.8)
    reference = Simulation(preset_surface("rosenbrock"), [BallSpec(
        "sgd", "#1f77b4", "sgd", (("lr", 0.001), ("momentum", 0.9), ("nesterov", True)), (-1.2, 0.8))])
    reference.step(30)
    assert float(rows[-1]["x"]) == reference.history(0).positions[-1, 0]
    status, rows, _ = run(capsys, "--surface", "bowl", "--optimizer", "adam", "--betas", "0.5,0.9", "--eps", "1e-6",
                          "--amsgrad", "--steps", "3")
    assert status == 0 and (float(rows[0]["x"]), float(rows[0]["y"])) == (2.5, 1.5)  # the preset's start


@pytest.mark.parametrize(("arguments", "words"), [
    (["--surface", "bowl", "--optimizer", "adam", "--momentum", "0.9", "--start", "1,1", "--steps", "3"],
     "--momentum: the optimiser 'adam' has no hyper-parameter 'momentum'"),
    (["--surface", "bowl", "--optimizer", "adamm", "--start", "1,1", "--steps", "3"], "unknown optimiser 'adamm'"),
    (["--surface", "bowl", "--optimizer", "gd", "--lr", "50", "--start", "1,1", "--steps", "3"], "--lr:"),
    (["--surface", "bowl", "--optimizer", "gd", "--lr", "fast", "--start", "1,1", "--steps", "3"],
     "--lr: 'fast' is not a number"),
    (["--surface", "bowl", "--optimizer", "gd", "--start", "1", "--steps", "3"], "--start: '1' must be two numbers"),
    (["--surface", "bowl", "--optimizer", "gd", "--start", "1,1", "--steps", "-3"], "--steps: -3 is out of range"),
    (["--surface", "x^2 + z", "--optimizer", "gd", "--start", "1,1", "--steps", "3"], "'z'"),
    (["--surface", "(x^2 + y^2)^2", "--optimizer", "gd", "--start", "1,1", "--steps", "3", "--batch-size", "2"],
     "--batch-size: mini-batches need a surface that is a sum of terms"),
    (["--surface", "sigmoid-neuron", "--optimizer", "gd", "--start", "1,1", "--steps", "3", "--batch-size", "9"],
     "larger than the number of terms (6)"),
    (["--surface", "bowl", "--optimizer", "gd", "--start", "1,1", "--steps", "3", "--noise-model", "minibatch"],
     "--noise-model minibatch needs --batch-size"),
    (["--surface", "bowl", "--optimizer", "gd", "--start", "1,1", "--steps", "3", "--noise", "-1"], "--noise:"),
    (["--surface", "bowl", "--optimizer", "newton", "--start", "1,1", "--steps", "3", "--clip", "1"],
     "--clip: gradient clipping applies to first-order methods"),
    (["--surface", "bowl", "--optimizer", "gd", "--start", "1,1", "--steps", "3", "--particles", "0"], "--particles"),
    (["--scene", "nope", "--steps", "3"], "no preset scene or file named 'nope'"),
    (["--scene", "saddle-noise", "--steps", "3", "--optimizer", "adam"], "--optimizer cannot be combined with --scene"),
    (["--surface", "x^2", "--optimizer", "gd", "--steps", "3"], "--start X,Y is required"),
    (["--surface", "bowl", "--optimizer", "gd", "--start", "1,1", "--steps", "3", "--csv", "/nonexistent/dir/x.csv"],
     "--csv: cannot write"),
])
def test_bad_arguments_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], arguments: list[str],
                                            words: str) -> None:
    status, _, err = run(capsys, *arguments)
    assert status == 2
    assert words in err, err
    assert err.startswith("downhill: ") and err.count("\n") == 1 and "Traceback" not in err


def test_a_swarm_writes_one_summary_row_per_step(capsys: pytest.CaptureFixture[str]) -> None:
    status, rows, _ = run(capsys, "--surface", "saddle-between-minima", "--optimizer", "gd", "--lr", "0.1", "--start",
                          "1.5,0", "--steps", "200", "--noise", "0.01", "--particles", "300", "--seed", "1")
    assert status == 0
    assert tuple(rows[0]) == SWARM_COLUMNS and len(rows) == 201
    for row in rows:
        assert sum(int(row[f"n_{name}"]) for name in REGIMES) == 300
        assert float(row["min_loss"]) <= float(row["median_loss"]) <= float(row["max_loss"])
        assert float(row["min_loss"]) <= float(row["mean_loss"]) <= float(row["max_loss"])
        assert float(row["fraction_active"]) == 1.0
    assert rows[0]["mean_x"] == "1.5" and rows[0]["mean_y"] == "0.0"
    assert rows[-1]["regime"] == "minimum" and int(rows[-1]["n_minimum"]) > 250  # the swarm left the saddle


def test_a_mini_batch_run(capsys: pytest.CaptureFixture[str]) -> None:
    status, rows, _ = run(capsys, "--surface", "sigmoid-neuron", "--optimizer", "sgd", "--lr", "0.5", "--start",
                          "-2,-2", "--steps", "400", "--noise-model", "minibatch", "--batch-size", "1", "--seed", "2")
    assert status == 0
    # each step follows one example's gradient (times 6), not the full gradient
    positions = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    steps = np.diff(positions, axis=0)
    full = np.array([[float(a["grad_x"]), float(a["grad_y"])] for a in rows[:-1]])
    error = np.linalg.norm(steps + 0.5 * full, axis=1) / np.linalg.norm(0.5 * full, axis=1)
    assert np.median(error) > 0.5
    assert all(math.isclose(float(r["lr"]), 0.5, rel_tol=1e-12) for r in rows[1:])  # |step| / |estimate|
    assert float(rows[-1]["loss"]) < 0.25 < float(rows[0]["loss"])  # from 0.66 to near the minimum, 0.163


def _scene_rows(capsys: pytest.CaptureFixture[str], name: str, steps: int) -> dict[str, list[dict[str, str]]]:
    status, rows, err = run(capsys, "--scene", name, "--steps", str(steps))
    assert status == 0, err
    by_ball: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_ball.setdefault(row["ball"], []).append(row)
    assert list(by_ball) == [ball.name for ball in PRESET_SCENES[name].balls]
    assert all(len(ball_rows) == steps + 1 for ball_rows in by_ball.values())
    return by_ball


def _regimes(rows: list[dict[str, str]]) -> list[str]:
    return [row["regime"] for row in rows]


def test_scene_saddle_noise(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "saddle-noise", 300)
    assert _regimes(rows["no noise"])[-200:] == ["saddle"] * 200
    assert float(rows["no noise"][-1]["x"]) == 0.0 or abs(float(rows["no noise"][-1]["x"])) < 1e-20
    noisy = rows["noise 0.01"]
    assert abs(abs(float(noisy[-1]["y"])) - 1.0) < 0.05 and _regimes(noisy)[-100:] == ["minimum"] * 100


def test_scene_plateau_trap(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "plateau-trap", 1000)
    gd = rows["gradient descent"]
    assert _regimes(gd) == ["plateau"] * 1001  # all along the loss stays high ...
    assert all(float(r["loss"]) > 0.999 for r in gd)
    assert float(gd[-1]["grad_norm"]) > 0  # ... and the gradient is small but not zero
    adam = rows["Adam"]
    assert float(adam[-1]["loss"]) < 1e-6 and adam[-1]["regime"] == "minimum"


def test_scene_learning_rate_edge(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "learning-rate-edge", 1000)
    under = _regimes(rows["lr 0.0796"])
    assert "oscillating" not in under and under[-1] == "minimum"
    over = _regimes(rows["lr 0.0804"])
    first_oscillating, first_diverging = over.index("oscillating"), over.index("diverging")
    assert first_oscillating < 10 < first_diverging
    assert set(over[first_oscillating:first_diverging]) == {"oscillating"}
    assert set(over[first_diverging:]) == {"diverging"}
    assert all(math.isfinite(float(r["x"])) and math.isfinite(float(r["loss"])) for r in rows["lr 0.0804"])


def test_scene_ravine_momentum(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "ravine-momentum", 1500)

    def arrival(name: str) -> int:
        return next(int(r["step"]) for r in rows[name] if float(r["loss"]) < 1e-6)

    assert arrival("momentum") * 2 < arrival("gradient descent")
    assert arrival("Nesterov") * 2 < arrival("gradient descent")


def test_scene_newton_saddle(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "newton-saddle", 50)
    newton = rows["Newton"][-1]
    assert newton["regime"] == "saddle" and float(newton["lambda_min"]) < 0 < float(newton["lambda_max"])
    free = rows["saddle-free Newton"][-1]
    assert free["regime"] == "minimum" and abs(float(free["y"]) - 1.0) < 1e-9


def test_scene_rosenbrock_race(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "rosenbrock-race", 1500)
    final = {name: float(ball_rows[-1]["loss"]) for name, ball_rows in rows.items()}
    assert final["Adam"] < 1e-3 < final["RMSProp"] < final["SGD"]
    assert rows["Adam"][-1]["regime"] == "minimum" and rows["SGD"][-1]["regime"] == "descending"


def test_scene_cliff_clipping(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "cliff-clipping", 200)
    free = rows["no clipping"]
    assert max(float(r["grad_norm"]) for r in free) > 50.0  # hit the wall
    # and catapulted far out of the view (6.5 wide), again and again; f is finite out there, so the
    # ball is not stopped (it was, falsely, when the wall's sigmoid overflowed near x = -11).
    assert min(float(r["x"]) for r in free) < -30 and "diverging" not in _regimes(free)
    clipped = rows["clip 1"]
    assert "diverging" not in _regimes(clipped)
    assert max(float(r["step_size"]) for r in clipped) <= 0.3 * (1 + 1e-12)
    assert abs(float(clipped[-1]["x"]) - 0.79) < 0.3
    # ... but it bounces at the foot for ever (lr x lambda_max = 10 > 2), as the scene and the preset say,
    assert min(float(r["step_size"]) for r in clipped[-50:]) > 0.2
    # while below lr = 2 / 33 the clipped ball settles in the minimum (0.790, 0), as the preset's note says.
    status, rows, err = run(capsys, "--surface", "cliff", "--optimizer", "gd", "--lr", "0.05", "--clip", "1",
                            "--start=-2.5,1.5", "--steps", "1500")
    assert status == 0, err
    assert rows[-1]["regime"] == "minimum" and abs(float(rows[-1]["x"]) - 0.7902) < 1e-3


def test_scene_minibatch_neuron(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "minibatch-neuron", 2000)
    full = rows["full batch"][-1]
    assert full["regime"] == "minimum" and abs(float(full["x"]) - 0.5723) < 1e-3
    for name in ("batch 1", "batch 3"):
        tail = rows[name][-200:]
        assert _regimes(tail).count("minimum") > 150, name  # jittering, yet settled in the bowl
        assert np.std([float(r["x"]) for r in tail]) > 1e-3, name


def test_scene_swarm_saddle(capsys: pytest.CaptureFixture[str]) -> None:
    rows = _scene_rows(capsys, "swarm-saddle", 1200)["swarm"]
    assert tuple(rows[0])[1:] == SWARM_COLUMNS
    assert int(rows[0]["n_saddle"]) == 1000
    # The swarm still slides down the soft direction of its minima at step 400 (the mean loss falls
    # 10% in 50 steps): descending. By step 900 it jitters in the bowls (the mean loss within 2% of
    # where it stays) and is called settled there.
    assert float(rows[350]["mean_loss"]) > 1.1 * float(rows[400]["mean_loss"])
    assert int(rows[400]["n_descending"]) > 900
    assert abs(float(rows[900]["mean_loss"]) / float(rows[1200]["mean_loss"]) - 1) < 0.02
    assert int(rows[900]["n_minimum"]) > 900
    assert abs(float(rows[-1]["mean_x"])) < 0.3  # split between the two symmetric minima


def test_run_from_the_shell() -> None:
    result = subprocess.run([sys.executable, "main.py", "run", "--surface", "saddle", "--optimizer", "gd", "--lr",
                             "0.1", "--start", "-1.5,0", "--steps", "60"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ",".join(BALL_COLUMNS) and len(lines) == 62
    assert lines[-1].endswith(",saddle")
    bad = subprocess.run([sys.executable, "main.py", "run", "--surface", "saddle", "--optimizer", "gd", "--start",
                          "1,0", "--steps", "many"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip() == "downhill: --steps: 'many' is not a whole number"


def test_domain_errors_name_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "--surface", "x^2", "--optimizer", "gd", "--start", "0,0", "--steps", "1",
                         "--domain", "5,-5,0,1")
    assert status == 2 and err.startswith("downhill: --domain: ") and "XMIN < XMAX" in err


@pytest.mark.parametrize("target", ["", "  ", "/nonexistent/dir/x.csv", "DIRECTORY"])
def test_a_bad_csv_target_fails_before_the_run(target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    def never(self: Simulation, count: int = 1) -> None:
        raise AssertionError("the simulation ran before the --csv target was checked")

    monkeypatch.setattr(Simulation, "step", never)
    status, _, err = run(capsys, "--surface", "x^2", "--optimizer", "gd", "--start", "1,0", "--steps", "1000000",
                         "--csv", str(tmp_path) if target == "DIRECTORY" else target)
    assert status == 2 and err.startswith("downhill: --csv: ") and err.count("\n") == 1
    assert capsys.readouterr().out == ""  # nothing went to standard output instead


def test_rows_are_written_as_the_run_proceeds(monkeypatch: pytest.MonkeyPatch) -> None:
    from physics import cli

    class Recorder(io.StringIO):
        """Standard output that notes, at every flush, how many lines and simulated steps there were."""

        def __init__(self) -> None:
            super().__init__()
            self.flushes: list[tuple[int, int]] = []

        def flush(self) -> None:
            self.flushes.append((self.getvalue().count("\n"), simulation_steps[-1]))

    simulation_steps = [0]
    real_step = Simulation.step

    def counting(self: Simulation, count: int = 1) -> None:
        real_step(self, count)
        simulation_steps.append(simulation_steps[-1] + count)

    monkeypatch.setattr(Simulation, "step", counting)
    out = Recorder()
    monkeypatch.setattr(sys, "stdout", out)
    steps = 2 * cli.CHUNK + 500
    assert main.main(["run", "--surface", "x^2 + y^2", "--optimizer", "gd", "--start", "1,1", "--steps",
                      str(steps)]) == 0
    # header + rows 0..k after each chunk of k steps: written while the run goes on, not at its end
    assert out.flushes == [(2, 0), (cli.CHUNK + 2, cli.CHUNK), (2 * cli.CHUNK + 2, 2 * cli.CHUNK),
                           (steps + 2, steps)]
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [int(row["step"]) for row in rows] == list(range(steps + 1))


def test_absurd_work_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    from physics.cli import MAX_PARTICLE_STEPS

    particles = 5000
    steps = MAX_PARTICLE_STEPS // particles + 1
    status, _, err = run(capsys, "--surface", "x^2", "--optimizer", "gd", "--start", "1,0", "--steps", str(steps),
                         "--particles", str(particles))
    assert status == 2 and "would take too long" in err and f"{MAX_PARTICLE_STEPS:,}" in err
