"""One MAX_BALLS: the app lets a scene grow to exactly what a scene file may hold, and says so at the limit."""

from __future__ import annotations

import pytest

from gui.controller import SceneController
from physics.balls import MAX_BALLS, BallSpec, ball_color
from physics.scene_reader import scene_from_json
from physics.scenes import Scene
from surfaces.errors import DownhillError, SceneError


def _scene(count: int) -> Scene:
    balls = tuple(BallSpec(name=f"b{i}", color=ball_color(i), optimizer="gd", hyperparameters=(("lr", 0.1),),
                           start=(0.1 * (i % 10), 0.1 * (i // 10))) for i in range(count))
    return Scene(title="many", formula="x^2 + 3*y^2", balls=balls)


def test_the_app_adds_balls_up_to_what_a_scene_file_holds_and_no_further(qtbot):
    controller = SceneController(_scene(MAX_BALLS - 1))
    try:
        index = controller.add_ball(start=(0.5, 0.5))
        assert index == MAX_BALLS - 1 and len(controller.balls) == MAX_BALLS
        # What the app now holds is a scene file that opens again, ball for ball.
        saved = controller.current_scene()
        assert len(scene_from_json(saved.to_json()).balls) == MAX_BALLS
        with pytest.raises(DownhillError, match=f"at most {MAX_BALLS} balls; remove one first"):
            controller.add_ball(start=(0.2, 0.2))
        with pytest.raises(DownhillError, match=f"at most {MAX_BALLS} balls"):
            controller.duplicate_ball(0)
        assert len(controller.balls) == MAX_BALLS
    finally:
        controller.shutdown()


def test_a_scene_file_with_one_ball_too_many_is_refused_naming_the_limit():
    with pytest.raises(SceneError, match=f"{MAX_BALLS + 1} balls; a scene holds at most {MAX_BALLS}"):
        scene_from_json(_scene(MAX_BALLS + 1).to_json())
