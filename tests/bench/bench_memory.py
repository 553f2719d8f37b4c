"""Peak memory of evaluation and of the critical-point search (issue 11 item 13); prints figures.

    .venv/bin/python tests/bench/bench_memory.py

Each measurement runs in a fresh Python process (so that one cannot inherit another's peak) and
reports that process's peak resident set size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``),
next to the peak of a process that only imported and built the surface (the baseline):

1. ``python main.py critical`` on a long relu formula (about 1.9 KB, well within the 2 000
   character limit): the survey evaluates f, grad f and H on 40 401 grid points at once.
2. f, grad f and H of that formula, and of Rosenbrock, at 400 000 points (4 balls x 100 000
   particles, as a scene may ask).

Without chunking, every common subexpression of the compiled evaluator is a temporary array of
n doubles, all alive until the evaluator returns: a formula with thousands of subexpressions takes
gigabytes. surfaces.surface.EVALUATION_BUDGET bounds those temporaries.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surfaces.chunks import EVALUATION_BUDGET  # noqa: E402

PARTICLES = 400_000  # 4 balls x 100 000 particles
CONFIG = tempfile.mkdtemp(prefix="downhill-bench-memory-")


def relu_formula(length: int = 1900) -> str:
    """A sum like relu(x-0.1)+relu(y+0.3)*relu(x*y-1)+... of about ``length`` characters."""
    terms: list[str] = []
    k = 0
    while True:
        a, b, c = (k % 7 + 1) / 10, (k % 5 + 2) / 10, k % 3 + 1
        term = f"relu(x-{a:g})+relu(y+{b:g})*relu(x*y-{c})" if k % 2 == 0 else f"relu({c}*x+y-{a:g})*relu(x-y+{b:g})"
        candidate = "+".join([*terms, term])
        if len(candidate) > length:
            return "+".join(terms)
        terms.append(term)
        k += 1


def child(kind: str, text: str) -> None:
    """In the fresh process: build the surface, do ``kind`` ("build", "critical", "evaluate"), print
    the seconds it took and the process's peak RSS (MB)."""
    import resource
    import time

    sys.path.insert(0, str(ROOT))
    import numpy as np

    from surfaces.surface import build_surface

    surface = build_surface(text)
    start = time.perf_counter()
    if kind == "critical":
        import main as command_line

        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            command_line.main(["critical", "--surface", text])
    elif kind == "evaluate":
        surface.evaluate(np.random.default_rng(0).uniform(-3, 3, (PARTICLES, 2)))
    seconds = time.perf_counter() - start
    print(f"{seconds:.2f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")


def measure(kind: str, text: str) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of ``kind`` on the formula, in a fresh interpreter."""
    result = subprocess.run([sys.executable, __file__, "--child", kind, text], cwd=ROOT, capture_output=True,
                            text=True, check=True, env={**os.environ, "DOWNHILL_CONFIG_DIR": CONFIG})
    seconds, peak = result.stdout.split()
    return float(seconds), float(peak)


def main() -> None:
    formula = relu_formula()
    print(f"relu formula: {len(formula)} characters ({formula.count('relu')} relus); "
          f"evaluation budget {EVALUATION_BUDGET / 2**20:.0f} MB of temporaries")
    for name, text in (("relu formula", formula), ("rosenbrock", "(1 - x)^2 + 100 (y - x^2)^2")):
        _, baseline = measure("build", text)
        print(f"{name}: baseline (imports and the build) peak {baseline:7.1f} MB")
        for kind, what in (("critical", "critical"), ("evaluate", f"{PARTICLES:,} points")):
            seconds, peak = measure(kind, text)
            print(f"  {what:<16} peak {peak:7.1f} MB (+{peak - baseline:6.1f} MB) in {seconds:6.2f} s")
    results = PARTICLES * 7 * 8 / 2**20
    print(f"(f, grad f and H of {PARTICLES:,} points are 7 doubles each: {results:.1f} MB of results)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3])
    else:
        main()
