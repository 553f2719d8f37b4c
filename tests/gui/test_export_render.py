"""The clip renderer (gui.export.render): the app's views drawn from an export's own session.

Checked against what a clip must be: the asked size whatever the screen, identical pixels for
identical settings, frames that follow the simulation's own clock, every layout drawn, the live
scene left alone; and figures whose words stay text.
"""

from __future__ import annotations

import numpy as np
import pytest

from gui.export.annotations import ANNOTATIONS, optimizer_words
from gui.export.figure import write_figure
from gui.export.options import RenderSettings, default_steps_per_frame
from gui.export.render import ClipRenderer, frames_until_rest
from physics.preset_scenes import PRESET_SCENES


def _frames(scene_name: str, count: int, **settings) -> list[np.ndarray]:
    renderer = ClipRenderer(PRESET_SCENES[scene_name], RenderSettings(**settings), steps_per_frame=5)
    try:
        return [renderer.next_frame() for _ in range(count)]
    finally:
        renderer.close()


def test_frames_have_the_asked_size_and_follow_the_simulation(qapp):
    frames = _frames("saddle-noise", 4, width=333, height=250)
    assert all(frame.shape == (250, 333, 3) and frame.dtype == np.uint8 for frame in frames)
    # The balls move: consecutive frames differ; the first is not blank.
    assert frames[0].std() > 10
    assert all(not np.array_equal(a, b) for a, b in zip(frames, frames[1:], strict=False))


def test_a_4k_frame_is_drawn_at_full_resolution_on_any_screen(qapp):
    (frame,) = _frames("plateau-trap", 1, width=3840, height=2160)
    (small,) = _frames("plateau-trap", 1, width=1280, height=720)
    assert frame.shape == (2160, 3840, 3)
    # Drawn at 4K, not a 720p frame scaled up: smooth edges everywhere give many more colours.
    colours = len(np.unique(frame.reshape(-1, 3), axis=0))
    assert colours > 1.5 * len(np.unique(small.reshape(-1, 3), axis=0))


def test_two_renders_of_the_same_settings_are_identical_bit_for_bit(qapp):
    first = _frames("rosenbrock-race", 5, width=320, height=180)
    second = _frames("rosenbrock-race", 5, width=320, height=180)
    for a, b in zip(first, second, strict=True):
        assert np.array_equal(a, b)


def test_the_seed_changes_a_noisy_run(qapp):
    first = _frames("saddle-noise", 6, width=320, height=180, seed=1)
    second = _frames("saddle-noise", 6, width=320, height=180, seed=2)
    assert not np.array_equal(first[-1], second[-1])


@pytest.mark.parametrize("layout", ["3d", "both", "app"])
def test_every_gl_layout_draws(qapp, require_gl, layout):
    frames = _frames("saddle-noise", 2, width=640, height=360, layout=layout)
    assert frames[0].shape == (360, 640, 3)
    assert frames[1].std() > 10
    # The 3D view is drawn (not a blank GL rectangle): many distinct colours on the frame's left half.
    left = frames[1][60:300, : 320].reshape(-1, 3)
    assert len(np.unique(left, axis=0)) > 200


def test_annotations_can_be_switched_off(qapp):
    scene = PRESET_SCENES["saddle-noise"]
    full = ClipRenderer(scene, RenderSettings(320, 180), 1)
    bare = ClipRenderer(scene, RenderSettings(320, 180, annotations=frozenset()), 1)
    try:
        assert full.header > 0 and full.footer > 0
        assert bare.header == 0 and bare.footer == 0
        bare.next_frame()
    finally:
        full.close()
        bare.close()
    assert set(ANNOTATIONS) == {"title", "formula", "legend", "step", "badges"}


def test_the_light_theme_is_light(qapp):
    (frame,) = _frames("plateau-trap", 1, width=320, height=180, theme="light")
    assert frame[2, 2].min() > 200     # the header's background
    (dark,) = _frames("plateau-trap", 1, width=320, height=180)
    assert dark[2, 2].max() < 60


def test_the_live_scene_is_not_disturbed(qapp, controller):
    controller.advance(7)
    before = (controller.step_index, controller.state(0).positions.copy())
    renderer = ClipRenderer(controller.current_scene(), RenderSettings(320, 180), 10)
    try:
        for _ in range(3):
            renderer.next_frame()
        assert renderer.session is not controller.session
        assert renderer.session.step_index == 20
    finally:
        renderer.close()
    assert controller.step_index == before[0]
    assert np.array_equal(controller.state(0).positions, before[1])


def test_default_length_until_rest_capped():
    scene = PRESET_SCENES["newton-saddle"]
    steps = default_steps_per_frame(scene, 30)
    assert steps == max(1, round(scene.speed * 62.5 / 30))
    frames = frames_until_rest(scene, steps, 30)
    assert 1 <= frames <= 600
    # Capped: a tiny cap wins.
    assert frames_until_rest(scene, 1, 30, cap_seconds=0.1) == 3


def test_the_legend_names_the_optimiser_and_its_key_hyper_parameters():
    balls = PRESET_SCENES["rosenbrock-race"].balls
    words = [optimizer_words(ball) for ball in balls]
    assert any(text.startswith("Adam") and "lr" in text for text in words)


@pytest.mark.parametrize("suffix", [".svg", ".pdf", ".png"])
def test_figures(qapp, tmp_path, suffix):
    renderer = ClipRenderer(PRESET_SCENES["saddle-noise"], RenderSettings(640, 360, layout="both"), 1,
                            figure=True)
    try:
        path = write_figure(renderer, tmp_path / f"figure{suffix}", 40)
        assert renderer.session.step_index == 40
    finally:
        renderer.close()
    data = path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left
    if suffix == ".svg":
        text = data.decode()
        assert "<text" in text and "step 40" in text
    elif suffix == ".pdf":
        assert data.startswith(b"%PDF")
    else:
        from PyQt6.QtGui import QImage

        image = QImage(str(path))
        assert (image.width(), image.height()) == (640, 360)
