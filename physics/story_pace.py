"""How long a scene takes to tell its story, in simulation steps, and the speed that plays it in 10-30 s.

A scene's story is told when every ball has come to the end it is there to show, read from the
regime column (physics.regime), the same words ``main.py run --scene`` prints:

- a ball that reaches a minimum or diverges has told its story at the first step it does (the
  noise of a mini-batch may make the label flicker afterwards: the point is made);
- any other ball (one that stays on a saddle, a maximum or the plateau, bounces for ever, or
  crawls) has told its story at the first step of its last run of one label.

The scene's story length is the latest of its balls'. At ``speed`` steps per frame and the app's
frame rate (gui.controller.FRAME_INTERVAL_MS: 16 ms, 62.5 frames a second) it takes
``steps / speed / fps`` seconds; a lesson wants 10-30 s (PACE_SECONDS).
"""

from __future__ import annotations

import numpy as np

from physics.regime import CODES
from physics.scenes import MAX_SPEED, Scene

#: The time a scene should take to tell its story, seconds (issue 15: 10-30 s).
PACE_SECONDS = (10.0, 30.0)
#: Labels that end a ball's story the first time they appear.
ENDINGS = (CODES["minimum"], CODES["diverging"])


def ball_story_steps(steps: np.ndarray, codes: np.ndarray) -> int:
    """The step at which one ball has told its story (see the module), from its history's
    ``steps`` (k,) and ``regime_codes`` (k,)."""
    if len(codes) == 0:
        return 0
    ending = np.flatnonzero(np.isin(codes, ENDINGS))
    if len(ending):
        return int(steps[ending[0]])
    changes = np.flatnonzero(codes[1:] != codes[:-1])
    return int(steps[changes[-1] + 1]) if len(changes) else int(steps[0])


def story_steps(scene: Scene, limit: int) -> int:
    """Steps the scene takes to tell its story (the latest ball's), run for at most ``limit`` steps."""
    simulation = scene.simulation(capacity=limit + 1)
    simulation.step(limit)
    return max((ball_story_steps(simulation.history(i).steps, simulation.history(i).regime_codes)
                for i in range(len(scene.balls))), default=0)


def seconds(steps: int, speed: int, fps: float) -> float:
    """Seconds of animation ``steps`` take at ``speed`` steps per frame and ``fps`` frames a second."""
    return steps / max(1, speed) / fps


def paced_speed(steps: int, fps: float, target: float = 18.0) -> int:
    """The whole number of steps per frame that plays ``steps`` in about ``target`` seconds (1 at least)."""
    return int(min(MAX_SPEED, max(1, round(steps / (target * fps)))))
