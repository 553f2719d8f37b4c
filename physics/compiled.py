"""Compiled loops over particles: the one decorator every Numba kernel of physics/ is made with.

A large swarm's step is bound by memory traffic, not arithmetic: a chain of NumPy operations
reads and writes every (N,) array once per operation, and on this kind of machine a second thread
streaming its own arrays slows each pass two-fold. A kernel makes one pass: it reads each input
once, keeps the temporaries in registers, and writes each output once (measured on 100 000
particles: the eigen-decomposition 0.1 ms instead of 0.8, and the same again on a busy machine).

Kernels stay small. A loop streaming many arrays at once measured slower than smaller loops
streaming fewer each: Adam's two coordinates in one loop (13 arrays) three times slower than one
loop per coordinate; the point kernel writing a seventh output slower inside a swarm's step,
though faster alone. And a loop doing the work of several cannot be vectorised when one of them
branches (the regime's rules).

Kernels are plain loops over scalars, compiled by Numba with IEEE semantics (no fast-math, so
no reassociation and no fused multiply-add: the same operations in the same order give the same
bits as NumPy), NumPy's error model (x / 0 is inf or NaN, never an exception), the GIL released
(so the helper thread's kernels run beside the main thread's), and the machine code cached on
disk beside the module: a process pays the compilation once per kernel and machine (about half
a second each), later processes load it in milliseconds.

The cache lives in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, then
downhill/numba-<key>), keyed by a hash of every physics source file and the Numba version.
Numba checks only the source file of the kernel it loads, not those of the kernels it calls (the
eigen-decomposition and the regime rules are called from the step's fused kernel in another
module): keying the whole cache by all sources means that any change recompiles everything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numba

F = TypeVar("F", bound=Callable[..., object])


def kernel(function: F) -> F:
    """Compile ``function`` (a loop over scalars and 1-D arrays) with the settings above."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)  # type: ignore[return-value]


def inlined(function: F) -> F:
    """Compile ``function`` (a function of scalars that kernels call per particle) to be inlined
    into each kernel that calls it: measured, a loop calling the regime rules runs 1.6 times
    faster inlined than calling them."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")(function)  # type: ignore[return-value]


def _cache_folder() -> Path:
    """The cache folder of this physics source and Numba version (see the module docstring)."""
    digest = hashlib.sha256(numba.__version__.encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "downhill" / f"numba-{digest.hexdigest()[:16]}"


def _use_cache_folder() -> None:
    folder = _cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # (no writable home: Numba's own choice, beside the sources or nowhere)
    if os.access(folder, os.W_OK):
        numba.config.CACHE_DIR = str(folder)


_use_cache_folder()


def warm_up() -> None:
    """Compile (or load from the cache) every kernel a simulation uses, by running a small one: a
    noisy swarm, a single ball with and without noise and a ball that diverges, with the array
    layouts of a real run (tests/physics/test_warm_up.py checks that a varied run compiles nothing more).
    About 3 s the first time on a machine, a few tenths of a second once cached."""
    import numpy as np

    from physics.balls import BallSpec
    from physics.noise import COMPILED_DRAW_POINTS, NoiseSettings
    from physics.optimizers.arrays import uniform
    from physics.simulation import Simulation
    from surfaces.presets import preset_surface

    for dtype in (np.float64, np.int64):  # (the optimisers' per-particle rates and step counts)
        uniform(np.zeros(2, dtype=dtype))
    balls = [BallSpec("swarm", "#1f77b4", "adam", (("lr", 0.01),), (-1.0, 1.0), NoiseSettings(sigma=0.5),
                      particles=COMPILED_DRAW_POINTS, spread=0.2),
             BallSpec("ball", "#ff7f0e", "gd", (("lr", 1e-3),), (-1.0, 1.0), NoiseSettings()),
             BallSpec("noisy", "#9467bd", "gd", (("lr", 1e-3),), (-1.0, 1.0), NoiseSettings(sigma=0.1)),
             BallSpec("away", "#2ca02c", "gd", (("lr", 10.0),), (1.5, 2.5), NoiseSettings())]
    simulation = Simulation(preset_surface("rosenbrock"), balls, seed=0, capacity=16)
    simulation.step(6)
    for index in range(len(balls)):
        simulation.state(index)


if __name__ == "__main__":
    warm_up()
