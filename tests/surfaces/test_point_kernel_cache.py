"""The point kernel's machine code is cached on disk: the next process with the same formula loads it.

Numba caches only functions with a source file, so the kernel's source goes to a file of its own
in Numba's cache folder (surfaces.point_kernel._cached_kernel). The cached kernel is the same code
with the same options, so it gives the same bits; a file whose text is not the one made for the
formula is never run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numba
import numpy as np
import pytest

from surfaces import point_kernel
from surfaces.point_kernel import compile_point_kernel
from surfaces.surface import build_surface

ROOT = Path(__file__).resolve().parents[2]
FORMULAS = ("(1 - x)^2 + 100 (y - x^2)^2", "sin(3x) cos(2y) + exp(-x^2 - y^2)",
            "a sigmoid(x y) + softplus(x - y) + b x^2")


def _kernel(text: str):
    surface = build_surface(text, parameters={"a": 1.5, "b": 0.25} if "a " in text else None)
    compiled = surface._compiled
    return compile_point_kernel(compiled._symbols, compiled._outputs), len(compiled._symbols) - 2


def _outputs(kernel, parameters: int) -> list[np.ndarray]:
    x, y = np.random.default_rng(3).uniform(-3.0, 3.0, (2, 5000))
    outputs = [np.empty(5000) for _ in range(6)]
    kernel(x, y, tuple(0.5 + index for index in range(parameters)), *outputs)
    return outputs


@pytest.mark.parametrize("text", FORMULAS)
def test_the_cached_kernel_gives_the_uncached_kernels_bits(text: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    uncached, parameters = _kernel(text)
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    cached, _ = _kernel(text)
    assert cached is not None and uncached is not None
    assert Path(cached.py_func.__code__.co_filename).parent == tmp_path / "point_kernels"
    for expected, got in zip(_outputs(uncached, parameters), _outputs(cached, parameters), strict=True):
        np.testing.assert_array_equal(expected, got)


def test_a_file_not_made_for_the_formula_is_replaced_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    kernel, _ = _kernel(FORMULAS[0])
    path = Path(kernel.py_func.__code__.co_filename)
    text = path.read_text()
    path.write_text("raise SystemExit('this file was run')\n")
    again, _ = _kernel(FORMULAS[0])
    assert again is not None and path.read_text() == text


def test_without_a_cache_folder_the_kernel_is_compiled_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    kernel, _ = _kernel(FORMULAS[0])
    assert kernel is not None and kernel.py_func.__qualname__ == "_loop.<locals>.kernel"


def test_a_second_process_loads_the_kernel_from_the_cache(tmp_path: Path) -> None:
    script = ("import physics.compiled\n"  # (sets Numba's cache folder, as every program of Downhill does)
              "from surfaces.surface import build_surface\n"
              "surface = build_surface('(1 - x)^2 + 100 (y - x^2)^2')\n"
              "assert surface.prepare_point_kernel()\n"
              "print(sum(surface._compiled.point_kernel.stats.cache_hits.values()))\n")
    hits = []
    for _ in range(2):
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
        assert result.returncode == 0, result.stderr
        hits.append(int(result.stdout))
    assert hits == [0, 1]


def test_only_math_and_the_kernels_own_functions_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))

    def point(x, y):  # noqa: ANN001, ANN202 (a function naming something else: not cached)
        return os.getcwd()

    assert point_kernel._cached_kernel(point) is None
    assert not (tmp_path / "point_kernels").exists()
