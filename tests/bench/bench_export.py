"""Clip export speed (issue 14, section 4); prints figures, is not a test.

    .venv/bin/python tests/bench/bench_export.py [--scene NAME] [--frames 150] [--size 1280x720]
    xvfb-run -a .venv/bin/python tests/bench/bench_export.py      (to include the 3D and app layouts)

1. **The usual way** (the baseline): a matplotlib figure (Agg) of the scene's contour map,
   ``contourf`` + ``contour`` + each ball's trajectory line + a marker, updated and drawn frame by
   frame (``canvas.draw()``, as FuncAnimation without blitting does), its pixels fed to the same
   encoder, gui.export.encoder.ClipWriter (H.264 MP4, normal quality). The simulation steps at
   the scene's own pace. Figures: frames per second, and the whole time from the figure's creation
   to the finished file.
2. **Our renderer** (gui.export_cli.write_clip: the app's own views drawn offscreen, same encoder,
   2D layout, H.264), whole process the same way, in the same run; the issue asks for at least
   2.5x the baseline's rate. Then the 3D and ``app`` layouts' rates when OpenGL is available.

matplotlib is a dependency of the project; if it is missing from the environment, install it for
the bench (``.venv/bin/pip install matplotlib``) and the bench says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gui.export.encoder import ClipWriter  # noqa: E402
from gui.export.options import clip_options  # noqa: E402
from physics.preset_scenes import PRESET_SCENES  # noqa: E402

#: Grid points per axis of the baseline's contour map (the app's map samples a similar grid).
GRID = 200


def matplotlib_baseline(scene_name: str, frames: int, width: int, height: int,
                        out: Path) -> tuple[float, float, float, float]:
    """Seconds for ``frames`` frames drawn by matplotlib and encoded: (whole, setting up (the surface compiled,
    the simulation made, the static map drawn), drawing frames, waiting for the encoder (a full queue, the
    final flush))."""
    try:
        import matplotlib
    except ImportError:
        print("note: matplotlib is not installed; install it for this bench: .venv/bin/pip install matplotlib")
        raise
    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    options = clip_options(SimpleNamespace(scene=scene_name, out=str(out), size=f"{width}x{height}"))
    scene = options.scene
    started = time.perf_counter()
    surface = scene.surface()
    simulation = scene.simulation()
    domain = surface.domain
    xs, ys = domain.grid(GRID)
    values = surface.value_grid(xs, ys).T  # (ny, nx) rows are y, as contourf wants
    finite = values[np.isfinite(values)]
    low, high = np.percentile(finite, [1, 99]) if finite.size else (0.0, 1.0)
    levels = np.linspace(low, high, 30)

    figure = Figure(figsize=(width / 100, height / 100), dpi=100)
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_axes((0.06, 0.07, 0.9, 0.88))
    axes.contourf(xs, ys, np.clip(values, low, high), levels=levels, cmap="viridis")
    axes.contour(xs, ys, values, levels=levels[::2], colors="k", linewidths=0.5, alpha=0.5)
    axes.set_xlim(domain.xmin, domain.xmax)
    axes.set_ylim(domain.ymin, domain.ymax)
    balls = range(len(scene.balls))
    trails = [[simulation.state(ball).positions[0].copy()] for ball in balls]
    lines = [axes.plot([], [], "-", color=spec.color, linewidth=2)[0] for spec in scene.balls]
    markers = [axes.plot([], [], "o", color=spec.color, markersize=10, markeredgecolor="w")[0]
               for spec in scene.balls]

    drawing = waiting = 0.0
    setting_up = time.perf_counter() - started
    with ClipWriter(out, "mp4", width=width, height=height, fps=options.fps, quality="normal") as writer:
        for index in range(frames):
            if index:
                simulation.step(options.steps_per_frame)
            began = time.perf_counter()
            for ball in balls:
                position = simulation.state(ball).positions[0]
                trails[ball].append(position.copy())
                trail = np.array(trails[ball])
                lines[ball].set_data(trail[:, 0], trail[:, 1])
                markers[ball].set_data([position[0]], [position[1]])
            canvas.draw()
            pixels = np.asarray(canvas.buffer_rgba())[:, :, :3]
            drawn = time.perf_counter()
            drawing += drawn - began
            writer.write(pixels)
            waiting += time.perf_counter() - drawn
        drawn = time.perf_counter()
    waiting += time.perf_counter() - drawn
    return time.perf_counter() - started, setting_up, drawing, waiting


# ================================================================================================
# OUR RENDERER'S TIMING (issue 14, section 4): the whole process through gui.export_cli.write_clip,
# measured in the same run as the baseline. Filled in against the renderer's interface at the time
# of writing; if that interface has moved, this says so instead of failing the whole bench.
# ================================================================================================


def our_renderer(scene_name: str, frames: int, width: int, height: int, layout: str, out: Path) -> float | None:
    """Whole seconds for ``frames`` frames of ``layout`` rendered by the app's views and encoded (None: unavailable)."""
    try:
        from gui import export_cli
    except ImportError as error:
        print(f"  our renderer: not available yet ({error})")
        return None
    options = clip_options(SimpleNamespace(scene=scene_name, out=str(out), size=f"{width}x{height}",
                                           frames=frames, layout=layout))
    started = time.perf_counter()
    try:
        export_cli._start_qt()
        export_cli.write_clip(options)
    except Exception as error:  # noqa: BLE001 (a bench reports and goes on)
        print(f"  our renderer ({layout}): failed: {type(error).__name__}: {error}")
        return None
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scene", default="saddle-noise", choices=list(PRESET_SCENES))
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.lower().split("x"))
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    print(f"clip export, {args.frames} frames at {width}x{height}, H.264 normal, scene {args.scene}, "
          f"{os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        whole, setting_up, drawing, waiting = matplotlib_baseline(args.scene, args.frames, width, height,
                                                                  Path(folder) / "mpl.mp4")
        size = (Path(folder) / "mpl.mp4").stat().st_size
        baseline = args.frames / whole
        print(f"  matplotlib (Agg) baseline: {baseline:6.1f} frames/s  whole {whole:6.2f} s  "
              f"(set-up {setting_up:.2f} s, drawing {drawing:.2f} s, waiting for the encoder {waiting:.2f} s; "
              f"{size / 1e6:.2f} MB)")
        for layout in ("2d", "3d", "app"):
            seconds = our_renderer(args.scene, args.frames, width, height, layout, Path(folder) / f"{layout}.mp4")
            if seconds is None:
                continue
            rate = args.frames / seconds
            line = f"  our renderer, layout {layout:<4}: {rate:6.1f} frames/s  whole {seconds:6.2f} s"
            if layout == "2d":
                line += f"  ({rate / baseline:.2f}x the baseline; the issue asks >= 2.5x)"
            print(line)


if __name__ == "__main__":
    main()
