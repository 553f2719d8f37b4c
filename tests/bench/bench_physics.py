"""Physics speed: a 100 000-particle noisy Adam swarm with full telemetry, torch for comparison, and 1-8 balls.

Run: ``python tests/bench/bench_physics.py`` (prints figures; not collected by pytest).

1. 100 000 particles of Adam with Gaussian gradient noise on Rosenbrock, full telemetry every
   step (f, grad f and H; eigenvalues and top eigenvector; step, step size, effective learning
   rate; windowed averages; regime; the swarm's summary statistics with the exact median).
   Target: <= 5 ms per step. The main thread does the dynamics (the surface evaluated by its
   compiled point kernel, as ``main.py run`` does) and draws the noise; the helper thread does
   the telemetry of the step before (see
   physics.simulation), so the figures are: wall time per step, the main thread's CPU time, and
   the CPU time of the whole process (both threads). On a loaded machine (see the load average
   printed first) the wall time grows while the CPU times stay near their quiet values.
   The time of each stage is then measured separately on the swarm's own arrays (warm caches:
   inside a step they run colder), so a slow stage shows.
1b. The same swarm's step with Adam's update by its compiled kernel and by its NumPy rule
   (``adam_rule``), batches alternating: what the kernel saves (it stays only while it pays at
   least 1.5x on the update, which section 1's stages print both ways).
2. When torch is importable: the same work with torch autograd and torch.optim.Adam (float64;
   f, the gradient and both Hessian rows by autograd; the same telemetry, rules, thresholds and
   statistics in torch tensors: see torch_swarm_step), timed in short batches that alternate
   with section 1's, so both meet the same machine (a virtual machine's speed drifts by tens of
   percent from one second to the next, and two runs one after the other compare two different
   machines). Target: Downhill at least 5x faster.
3. One to eight single balls (different optimisers): the time of one ``step()`` of all of them.
   Target: well under 1 ms.
4. ``history()`` after a long run: its cost must not grow with the number of steps.

Times are the median of many steps and the minimum (what the machine can do when no other process
competes for its two cores).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

from physics.balls import BallSpec  # noqa: E402
from physics.eigen import eigen_and_top  # noqa: E402
from physics.memory import keep_freed_memory  # noqa: E402
from physics.noise import NoiseSettings, NoiseStream, add_gaussian_noise, ball_generator  # noqa: E402
from physics.optimizers import adam as adam_module  # noqa: E402
from physics.optimizers.base import get_optimizer  # noqa: E402
from physics.particles import step_telemetry  # noqa: E402
from physics.regime import (  # noqa: E402
    DESCENDING,
    MAXIMUM,
    MINIMUM,
    NOISE_RATIO,
    OSCILLATING,
    OSCILLATION_FLIPS,
    PLATEAU,
    REGIMES,
    SADDLE,
    WINDOW_WEIGHT,
    RegimeScales,
    regime_thresholds,
)
from physics.simulation import Simulation  # noqa: E402
from physics.telemetry import median, swarm_statistics  # noqa: E402
from surfaces.presets import preset_surface  # noqa: E402

PARTICLES = 100_000
STEPS = 200


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, minimum) milliseconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3, min(times) * 1e3


def swarm() -> Simulation:
    ball = BallSpec("swarm", "#1f77b4", "adam", (("lr", 0.01),), (-1.2, 1.0), NoiseSettings(sigma=1.0),
                    particles=PARTICLES, spread=0.5)
    return Simulation(preset_surface("rosenbrock"), [ball], seed=0, capacity=STEPS + 64, compile_surface=True)


def bench_swarm(torch_step: Callable[[], None] | None) -> None:
    """Section 1, and section 2 when ``torch_step`` is given: its batches alternate with ours."""
    simulation = swarm()
    simulation.step(10)
    simulation.state(0)
    # Timed in batches of steps: a step hands its telemetry to the helper thread and returns, so a
    # single step's time means little; a batch (ending when its last telemetry is in: reading the
    # floor waits for it) does. Torch's batches alternate with ours, so that both meet the same
    # machine: a virtual machine's speed drifts by tens of percent from one second to the next.
    batch, torch_batch = 20, 4
    walls: list[float] = []
    torch_walls: list[float] = []
    cpu_main = cpu_all = 0.0
    for _ in range(STEPS // batch):
        main_before, all_before = time.thread_time(), time.process_time()
        start = time.perf_counter()
        simulation.step(batch)
        _ = simulation.floor
        walls.append((time.perf_counter() - start) / batch)
        cpu_main += time.thread_time() - main_before
        cpu_all += time.process_time() - all_before
        if torch_step is not None:
            start = time.perf_counter()
            for _ in range(torch_batch):
                torch_step()
            torch_walls.append((time.perf_counter() - start) / torch_batch)
            time.sleep(0.3)  # (torch's worker threads spin for a while after their work: not into our batch)
    count = batch * len(walls)
    median_ms, best = statistics.median(walls) * 1e3, min(walls) * 1e3
    print(f"1. {PARTICLES} particles, noisy Adam, full telemetry: {median_ms:.2f} ms per step "
          f"(fastest batch of {batch} steps {best:.2f} ms; CPU per step: main thread {cpu_main / count * 1e3:.2f} ms, "
          f"both threads {cpu_all / count * 1e3:.2f} ms; target <= 5 ms)")
    if torch_step is None:
        print("2. torch is not importable here: no comparison (run this script with a Python that has torch)")
    else:
        import torch

        torch_ms, torch_best = statistics.median(torch_walls) * 1e3, min(torch_walls) * 1e3
        print(f"2. the same with torch {torch.__version__} autograd + torch.optim.Adam "
              f"({torch.get_num_threads()} threads), its batches of {torch_batch} steps alternating with ours: "
              f"{torch_ms:.2f} ms per step (fastest {torch_best:.2f}); Downhill is {torch_ms / median_ms:.1f}x "
              f"faster (fastest against fastest {torch_best / best:.1f}x; target >= 5x)")
    state = simulation.state(0)
    print(f"   after {simulation.step_index} steps: regime {state.regime_detail}")

    # The stages, one by one, on the swarm's own arrays.
    surface = simulation.surface
    points = np.asfortranarray(state.positions)
    evaluation = surface.evaluate(points)
    adam = get_optimizer("adam").create(lr=0.01)
    adam_state = adam.init(points)
    stream = NoiseStream([ball_generator(0, 0, 0), ball_generator(0, 0, 3)], PARTICLES)
    values, top = np.empty((PARTICLES, 2), order="F"), np.empty((PARTICLES, 2), order="F")
    eigen_and_top(evaluation.hessian, values, top)
    step = np.asfortranarray(state.step)
    flips = np.zeros(PARTICLES, dtype=np.int32)
    gradient_norm = np.hypot(state.gradient[:, 0], state.gradient[:, 1])
    bracket = median(state.loss)[1]
    mean, power, square = np.asfortranarray(state.gradient), np.ones(PARTICLES), np.ones(PARTICLES)
    square_out = np.empty(PARTICLES)
    thresholds = regime_thresholds(simulation.scales, simulation.floor)
    main_stages = {
        "surface f, grad f, H (compiled point kernel)": lambda: surface.evaluate(points),
        "Adam update (physics.optimizers.adam)": lambda: adam.update(evaluation.gradient, adam_state, points, None),
        "   the same with the NumPy rule (adam_rule)": lambda: numpy_rule(
            lambda: adam.update(evaluation.gradient, adam_state, points, None)),
        "noisy gradient estimate: 2n normals drawn in its pass": lambda: add_gaussian_noise(
            evaluation.gradient, 1.0, stream, square_out),
    }
    helper_stages = {
        "telemetry: eigen, flips, size, rate, averages, regime": lambda: step_telemetry(
            step=step, previous_step=step, old_top=top, old_flips=flips, old_eigenvalues=values,
            old_previous_swing=np.zeros(PARTICLES), hessian=evaluation.hessian, gradient=evaluation.gradient,
            loss=evaluation.value, active=state.active, estimate_square=square, gradient_mean=mean,
            step_mean=np.zeros((PARTICLES, 2), order="F"), step_power=power, noise_power=2.0, window_count=20,
            bound_rate=np.full(PARTICLES, np.nan), bound_shift=np.zeros(PARTICLES),
            old_codes=state.regime_codes, candidate=np.zeros(PARTICLES, dtype=np.int8),
            held=np.zeros(PARTICLES, dtype=np.int32), weight=WINDOW_WEIGHT, thresholds=thresholds),
        "   of which eigenvalues + top eigenvector": lambda: eigen_and_top(evaluation.hessian, values, top),
        "   of which the regime alone (physics.regime.diagnose)": simulation._diagnose,
        "swarm statistics incl. exact median": lambda: swarm_statistics(
            points, evaluation.gradient, values, state.loss, gradient_norm, state.step_size, state.lr,
            state.regime_codes, None, bracket),
        "   of which the median (bracketed)": lambda: median(state.loss, bracket),
        "   numpy.median, for comparison": lambda: np.median(state.loss),
    }
    for title, stages in (("main thread", main_stages), ("helper thread", helper_stages)):
        print(f"   {title}:")
        for name, function in stages.items():
            median_stage, best_stage = timed(function, 50)
            print(f"     {name:<50} {median_stage:6.2f} ms (fastest {best_stage:.2f})")


def numpy_rule(function: Callable[[], object]) -> object:
    """``function()`` with Adam's update running its NumPy rule instead of the compiled kernel."""
    compiled = adam_module.RULE
    adam_module.RULE = adam_module.adam_rule
    try:
        return function()
    finally:
        adam_module.RULE = compiled


def bench_adam_kernel() -> None:
    """Section 1b: the swarm's step with Adam's compiled kernel and with its NumPy rule, batches
    alternating (the kernel stays only while it pays at least 1.5x on the update: see adam.py).
    The main thread's CPU time per step is printed beside the wall time: on a loaded machine it
    stays near its quiet value while the wall time does not."""
    simulation = swarm()
    simulation.step(10)
    _ = simulation.floor
    batch = 10
    walls: dict[str, list[float]] = {"compiled kernel": [], "NumPy rule": []}
    cpus: dict[str, list[float]] = {name: [] for name in walls}
    for _ in range(10):
        for name in walls:
            cpu, start = time.thread_time(), time.perf_counter()
            if name == "NumPy rule":
                numpy_rule(lambda: simulation.step(batch))
            else:
                simulation.step(batch)
            _ = simulation.floor
            walls[name].append((time.perf_counter() - start) / batch * 1e3)
            cpus[name].append((time.thread_time() - cpu) / batch * 1e3)
    figures = {name: f"{statistics.median(walls[name]):.2f} ms (fastest {min(walls[name]):.2f}; main thread's "
                     f"CPU {statistics.median(cpus[name]):.2f} ms, least {min(cpus[name]):.2f})" for name in walls}
    print(f"1b. the same swarm's step, Adam's update by its compiled kernel: {figures['compiled kernel']}; "
          f"by its NumPy rule: {figures['NumPy rule']}")


def torch_swarm_step(scales: RegimeScales) -> Callable[[], None] | None:
    """One step of the swarm's work done with torch (section 2), or None without torch.

    The same work as a step of section 1, written as a torch user would: f by autograd, the
    gradient and both Hessian rows by double backward, Gaussian noise, torch.optim.Adam; then the
    same telemetry in float64 tensors: eigenvalues and top eigenvector (the closed form), flips of
    the step along it, step size, effective rate, gradient norm, the moving averages of the
    gradient and of |step|^2, the floor, the regime rules of physics.regime (all but the rare
    quadratic-model look of a noisy particle) with the same thresholds, and the swarm's
    statistics (means, median, extremes, regime counts).
    """
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    dtype = torch.float64
    generator = np.random.default_rng(0)
    start = torch.tensor(np.array([-1.2, 1.0]) + 0.5 * generator.standard_normal((PARTICLES, 2)), dtype=dtype)
    params = start.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([params], lr=0.01)
    weight, keep = WINDOW_WEIGHT, 1.0 - WINDOW_WEIGHT
    noise_power = 2.0  # 2 sigma^2
    bound_rate = 0.01 / 2.0  # (the regime's lr / stability factor; Adam has none, but the test is made)
    tensors = {"gradient_mean": torch.zeros((PARTICLES, 2), dtype=dtype),
               "step_power": torch.zeros(PARTICLES, dtype=dtype),
               "previous_step": torch.zeros((PARTICLES, 2), dtype=dtype),
               "top": torch.ones((PARTICLES, 2), dtype=dtype), "flips": torch.zeros(PARTICLES, dtype=torch.int32)}
    floor = [scales.floor]

    def rosenbrock(p: torch.Tensor) -> torch.Tensor:
        x, y = p[:, 0], p[:, 1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def step() -> None:
        t = tensors
        before = params.detach().clone()
        optimizer.zero_grad()
        loss = rosenbrock(params)
        (gradient,) = torch.autograd.grad(loss.sum(), params, create_graph=True)
        row_x = torch.autograd.grad(gradient[:, 0].sum(), params, retain_graph=True)[0]
        row_y = torch.autograd.grad(gradient[:, 1].sum(), params)[0]
        true_gradient = gradient.detach()
        params.grad = true_gradient + torch.randn((PARTICLES, 2), dtype=dtype)
        optimizer.step()
        with torch.no_grad():
            loss = loss.detach()
            a, b, c = row_x[:, 0], row_x[:, 1], row_y[:, 1]
            half = (a - c) * 0.5
            spread = torch.sqrt(half * half + b * b)
            mean = (a + c) * 0.5
            lam_min, lam_max = mean - spread, mean + spread
            q = spread + half.abs()
            top = torch.where((half >= 0)[:, None], torch.stack((q, b), dim=1), torch.stack((b, q), dim=1))
            step_vector = params - before
            now = (step_vector * t["top"]).sum(dim=1)
            then = (t["previous_step"] * t["top"]).sum(dim=1)
            t["flips"] = torch.where(now * then < 0, t["flips"] + 1, 0)
            step_size = torch.linalg.vector_norm(step_vector, dim=1)
            lr = step_size / torch.linalg.vector_norm(params.grad, dim=1)
            norm = torch.linalg.vector_norm(true_gradient, dim=1)
            t["gradient_mean"] = keep * t["gradient_mean"] + weight * true_gradient
            t["step_power"] = keep * t["step_power"] + weight * step_size * step_size
            t["previous_step"], t["top"] = step_vector, top
            floor[0] = min(floor[0], float(loss.min()))
            near, plateau_gradient, plateau_curvature, curvature, high_loss = regime_thresholds(scales, floor[0])
            flat = 1e-3 * torch.clamp(torch.maximum(lam_max, -lam_min), max=curvature)
            still = (norm <= near * torch.maximum(lam_max, -lam_min)) & (step_size <= near)
            plateau = (norm <= plateau_gradient) & (lam_max <= plateau_curvature) & (lam_min >= -plateau_curvature)
            pull = (t["gradient_mean"] ** 2).sum(dim=1)
            noisy = pull <= NOISE_RATIO * NOISE_RATIO * noise_power
            lifted, positive = loss > high_loss, lam_min > flat
            settled = still | noisy
            codes = torch.where((plateau & lifted) | (settled & ~positive & lifted), PLATEAU, DESCENDING)
            codes = torch.where(settled & (positive | ~lifted), MINIMUM, codes)
            codes = torch.where(settled & (lam_min < -flat), SADDLE, codes)
            codes = torch.where(settled & (lam_max < -flat), MAXIMUM, codes)
            codes = torch.where((t["flips"] >= OSCILLATION_FLIPS) & (bound_rate * lam_max > 1), OSCILLATING, codes)
            torch.bincount(codes.to(torch.int64), minlength=len(REGIMES))
            params.detach().mean(dim=0), true_gradient.mean(dim=0), lam_min.mean(), lam_max.mean()
            loss.median(), loss.mean(), loss.min(), loss.max(), norm.mean(), step_size.mean(), lr.nanmean()

    for _ in range(5):
        step()
    return step


def bench_balls() -> None:
    optimizers = [("gd", {"lr": 0.001}), ("momentum", {"lr": 0.001}), ("nesterov", {"lr": 0.001}),
                  ("adam", {"lr": 0.02}), ("rmsprop", {"lr": 0.003}), ("adagrad", {"lr": 0.1}),
                  ("rprop", {"lr": 0.01}), ("newton", {})]
    surface = preset_surface("rosenbrock")
    for count in (1, 2, 4, 8):
        balls = [BallSpec(f"ball {i}", "#1f77b4", name, tuple(hyper.items()), (-1.2 + 0.1 * i, 1.0),
                          NoiseSettings(sigma=0.01 if i % 2 else 0.0))
                 for i, (name, hyper) in enumerate(optimizers[:count])]
        simulation = Simulation(surface, balls, seed=0, capacity=8192)
        simulation.step(10)
        median, best = timed(simulation.step, 2000)
        print(f"3. {count} ball{'s' if count > 1 else ' '}: {median * 1e3:6.0f} us per step of all of them "
              f"(fastest {best * 1e3:.0f} us; target well under 1000 us)")


def bench_history() -> None:
    surface = preset_surface("rosenbrock")
    ball = BallSpec("ball", "#ff3b30", "adam", (("lr", 0.01),), (-1.2, 1.0), NoiseSettings(sigma=0.1))
    simulation = Simulation(surface, [ball], seed=0, capacity=1024)
    for steps in (1_000, 100_000):
        simulation.step(steps - simulation.step_index)
        median_ms, _ = timed(lambda: simulation.history(0), 200)
        print(f"4. history() after {steps:>7} steps: {median_ms * 1e3:6.1f} us")


def main() -> None:
    keep_freed_memory()  # as the command line and the app do at start (physics.memory)
    print(f"Downhill physics benchmark (numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f})")
    bench_swarm(torch_swarm_step(RegimeScales.of_surface(preset_surface("rosenbrock"))))
    bench_adam_kernel()
    bench_balls()
    bench_history()
    print(f"(load average at the end {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
