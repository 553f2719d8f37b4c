"""Write the built-in lessons (physics/lesson_data/*.json) from the scenes and words below.

Each scene's speed is measured, not guessed: the scene runs until its story is told
(physics.story_pace) and gets the whole number of steps per frame that tells it in about 18 s at
the app's 62.5 frames a second. Run from the repository's root after changing a scene:

    .venv/bin/python scripts/make_lessons.py

The JSON files are what ships and what tests/physics/test_lessons*.py check; edit them by hand
if you like, this script only saves typing.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from physics.balls import PALETTE, BallSpec  # noqa: E402
from physics.lessons import Lesson, LessonScene, save_lesson  # noqa: E402
from physics.preset_scenes import PRESET_SCENES  # noqa: E402
from physics.scenes import Scene, ViewSettings  # noqa: E402
from physics.story_pace import paced_speed, story_steps  # noqa: E402

ORANGE, SKY, GREEN, RED, PURPLE, WHITE = PALETTE
FPS = 62.5
LIMIT = 6000
FOLDER = Path(__file__).resolve().parent.parent / "physics" / "lesson_data"


def ball(name: str, color: str, optimizer: str, start: tuple[float, float], **options) -> BallSpec:
    hyper = options.pop("hyper", {})
    return BallSpec(name=name, color=color, optimizer=optimizer, hyperparameters=tuple(hyper.items()), start=start,
                    **options)


# Scenes of the lessons that are no preset scene: slower copies of presets whose point is made in a
# second or two at one step a frame, and a few more.
THREE_RATES = Scene(
    title="Too small, about right, nearly too big",
    description="Three learning rates in the ravine (curvatures 1 and 25).",
    note="lr 0.005 crawls; lr 0.04 = 1/lambda_max arrives smoothly; lr 0.07 zig-zags and arrives first",
    formula="ravine",
    balls=(ball("lr 0.005", SKY, "gd", (-2.5, 1.0), hyper={"lr": 0.005}),
           ball("lr 0.04", GREEN, "gd", (-2.5, 1.0), hyper={"lr": 0.04}),
           ball("lr 0.07", ORANGE, "gd", (-2.5, 1.0), hyper={"lr": 0.07})),
    view=ViewSettings(azimuth=30.0, elevation=40.0),
)

WINDING = Scene(
    title="Momentum follows the bends",
    description="A winding valley: curvature 0.05 along the floor, 20 across it.",
    note="momentum arrives in about 140 steps; plain descent needs about 2000",
    formula="winding-valley",
    balls=(ball("gradient descent", SKY, "gd", (-3.5, 1.5), hyper={"lr": 0.05}),
           ball("momentum", ORANGE, "momentum", (-3.5, 1.5), hyper={"lr": 0.05, "momentum": 0.9})),
    view=ViewSettings(azimuth=-60.0, elevation=50.0),
)

PLATEAU_MOMENTUM = Scene(
    title="Momentum and Adam on the plateau",
    description="The plateau tanh(r^2/2): loss 0.9999, gradient 4.5e-4.",
    note="momentum 0.9 multiplies the tiny step by ten; Adam divides it by its own size",
    formula="plateau",
    balls=(ball("gradient descent", SKY, "gd", (-1.0, -0.5), hyper={"lr": 0.1}),
           ball("momentum", ORANGE, "momentum", (-1.0, -0.5), hyper={"lr": 0.1, "momentum": 0.9}),
           ball("Adam", GREEN, "adam", (-1.0, -0.5), hyper={"lr": 0.05})),
    view=ViewSettings(azimuth=-60.0, elevation=30.0),
)

CLIFF = Scene(
    title="Clipping on a cliff",
    description="Both balls start on the wall of the cliff, where the slope is 150.",
    note="unclipped: thrown 4.5 units back at once; clipped at norm 1: every step at most lr = 0.03",
    formula="cliff",
    balls=(ball("no clipping", RED, "gd", (1.0, 1.5), hyper={"lr": 0.03}),
           ball("clip 1", GREEN, "gd", (1.0, 1.5), hyper={"lr": 0.03}, clip=1.0)),
    view=ViewSettings(azimuth=-90.0, elevation=30.0),
)

NEWTON = Scene(
    title="Newton is drawn to a saddle",
    description="A slowed Newton's method (lr 0.005) and saddle-free Newton from (1, 0.3).",
    note="Newton ends on the saddle (curvature -1 and +2); saddle-free Newton reaches the minimum (0, 1)",
    formula="saddle-between-minima",
    balls=(ball("Newton", RED, "newton", (1.0, 0.3), hyper={"lr": 0.005}),
           ball("saddle-free Newton", GREEN, "saddle-free-newton", (1.0, 0.3), hyper={"lr": 0.005})),
    view=ViewSettings(azimuth=60.0, elevation=35.0),
)

PEAK = Scene(
    title="Newton climbs onto a peak",
    description="x exp(-(x^2 + y^2)) from (0.9, 0.1): a slowed Newton and gradient descent.",
    note="Newton climbs to the peak (0.707, 0), f = 0.43; descent slides away downhill",
    formula="peak-and-pit",
    balls=(ball("Newton", RED, "newton", (0.9, 0.1), hyper={"lr": 0.005}),
           ball("gradient descent", SKY, "gd", (0.9, 0.1), hyper={"lr": 0.05})),
    view=ViewSettings(azimuth=45.0, elevation=35.0),
)
_paced: dict[int, Scene] = {}


def paced(scene: Scene) -> Scene:
    """The scene with the speed that tells its story in about 18 s (measured once per scene)."""
    key = id(scene)
    if key not in _paced:
        _paced[key] = replace(scene, speed=paced_speed(story_steps(scene, LIMIT), FPS))
    return _paced[key]


def stop(title: str, story: str, notes: str, scene: Scene | str, panels: tuple[str, ...]) -> LessonScene:
    if isinstance(scene, str):
        return LessonScene(title, story, notes, PRESET_SCENES[scene], source=scene, panels=panels)
    return LessonScene(title, story, notes, paced(scene), panels=panels)


S = {
    "zero": stop(
        "A zero gradient is not a minimum",
        "Three balls each head for a point where the gradient is zero, and their gradients shrink towards zero "
        "alike. Only one of them is at the bottom of a valley: the Hessian's two eigenvalues say which is "
        "which, (+, +) a minimum, (+, -) a saddle, (-, -) a maximum.",
        "Play, and let the three balls arrive (the read-outs name each place as they get there). Ask the "
        "room: 'the gradient is going to zero at all three; which one would "
        "you call converged?' Point at the eigenvalue panel: both eigenvalues above zero for the minimum, "
        "one below zero for the saddle, both below for the maximum. These balls run Newton's method, which looks "
        "for any zero of the gradient; we come back to that near the end.",
        "zero-gradient", ("eigenvalue", "readout")),
    "escape": stop(
        "Noise knocks a ball off a saddle, in log(1/noise) time",
        "Without noise, gradient descent stops on the saddle for ever. Noise of 1e-2, 1e-4 and 1e-8 knocks the "
        "other balls off in that order. The wait grows only like ln(1/noise) / lr: a million times less noise "
        "than 1e-2 waits about four times as long, not a million.",
        "All four start on the saddle's stable line, y = 0, and arrive at the saddle together. Pause there and "
        "ask: 'which one leaves first, and how much later is the next?' A push of size sigma grows by 1% a "
        "step (curvature -1, lr 0.01), so it needs about ln(1/sigma)/0.01 steps: each factor 100 less noise "
        "adds ~460 steps. Here they leave the saddle at about steps 400, 700 and 1700. The blue ball never "
        "leaves: exact gradients are the worst case at a saddle.",
        "saddle-escape-times", ("eigenvalue", "loss")),
    "swarm": stop(
        "A swarm leaves the saddle of a tiny network",
        "A thousand noisy copies of a network start at w = 0, the saddle of its loss. Noise pushes each off along "
        "the negative curvature, and the swarm splits between two equally good minima: chance decides which.",
        "Point at the symmetry: (w1, w2) and (-w1, -w2) are the same network. Ask: 'where will the swarm go?' "
        "Both halves are right. The mean position ends near zero although no particle is there: a reminder not "
        "to average networks.",
        "swarm-saddle", ("loss", "readout")),
    "plateau": stop(
        "The plateau that fakes convergence",
        "On this plateau the loss is 0.9999 and the gradient 0.00045. Plain descent barely moves and its loss "
        "curve looks flat, as if it had converged; Adam walks off to the minimum. Flat is not finished.",
        "Show the loss panel first and ask: 'has the blue ball converged?' Most say yes. Then point at the loss "
        "value, 0.9999, and the eigenvalues, both near zero: no bowl here. Adam rescales the tiny gradient and "
        "leaves in about a hundred steps; plain descent leaves only after ~2700 steps and reaches the minimum at "
        "~3900. A flat loss curve tells you the gradient is small, not that you are done.",
        "plateau-trap", ("loss", "gradient_norm")),
    "plateau-momentum": stop(
        "Momentum and Adam on the plateau",
        "Momentum 0.9 adds up the tiny steps: it reaches the minimum about eight times sooner than plain "
        "descent. Adam divides the gradient by its own size and walks off at once.",
        "Compare the arrival order: Adam, then momentum, then plain descent much later. Ask why momentum helps "
        "here: on a flat plateau the gradient keeps pointing the same way, so the velocity builds up to "
        "lr / (1 - 0.9) = ten times lr times the gradient.",
        PLATEAU_MOMENTUM, ("loss", "step_size")),
    "edge": stop(
        "The learning-rate edge: 2 / lambda_max",
        "In a ravine with largest curvature 25, gradient descent is stable only for lr below 2/25 = 0.08. At "
        "0.0796 each swing across the ravine shrinks by 1% and the ball settles; at 0.0804 each grows by 1% and "
        "the ball diverges.",
        "Both balls look the same for the first seconds: point at the zig-zag across the ravine (the steep y "
        "direction). Ask: 'a change of 1% in the learning rate; what happens?' Along y each step multiplies the "
        "error by 1 - lr x 25: -0.99 or -1.01. The step-size panel shows one curve falling, one rising. The edge "
        "is set by the sharpest direction, not the one you care about.",
        "learning-rate-edge", ("step_size", "loss")),
    "three-rates": stop(
        "Too small, about right, nearly too big",
        "lr 0.005 crawls for about 1000 steps. lr 0.04 (one over the largest curvature) arrives smoothly in "
        "about 130. lr 0.07 zig-zags across the ravine and still arrives first, in about 80: the fastest "
        "learning rate sits just below the edge at 0.08.",
        "Before playing, ask: 'which one arrives first?' Most pick the smooth green one. Point at the zig-zag of "
        "the orange ball: oscillating is not yet diverging, and along the flat floor it moves almost twice as "
        "far per step. Ask: 'which lr would you pick for a problem you cannot see?' Find the edge, then back off "
        "a little.",
        THREE_RATES, ("loss", "step_size")),
    "ravine": stop(
        "Momentum and Nesterov in a ravine",
        "At the same small learning rate, plain descent crawls along the flat floor of the ravine, shrinking its "
        "error by 0.6% a step. Momentum and Nesterov (0.9) build up speed along the floor and arrive about nine "
        "times sooner.",
        "Pause after a few seconds: momentum and Nesterov are already near the minimum while plain descent has "
        "hardly started along the floor. Point at the overshoot of the momentum ball: it swings past and comes "
        "back. Ask: 'why not just raise the learning rate?' The steep direction (curvature 25) caps lr at 0.08; "
        "momentum speeds up the flat direction without touching that cap.",
        "ravine-momentum", ("loss", "step_size")),
    "winding": stop(
        "Momentum follows the bends",
        "A valley that winds like a sine wave: steep across (curvature 20), nearly flat along (0.05). Momentum "
        "reaches the minimum in about 140 steps; plain descent needs about 2000.",
        "Point at plain descent crawling round each bend while momentum has long arrived. Ask: 'does momentum "
        "need a straight valley?' No: the velocity keeps what is common to successive gradients (along the "
        "floor) and cancels the back-and-forth across it.",
        WINDING, ("loss", "step_size")),
    "rosenbrock": stop(
        "Adaptive methods: Adam, RMSProp and SGD on Rosenbrock",
        "Rosenbrock's banana valley from the classic start. SGD must keep lr below 0.0013 and crawls along the "
        "curved floor; RMSProp and Adam divide each coordinate by its gradient's running size and move at the "
        "speed of their learning rate.",
        "Point at the three learning rates in the ball list: SGD 0.001, RMSProp 0.003, Adam 0.05. Ask: 'is this "
        "race fair?' Each has the largest lr that works for it; that is the point of adaptive methods. Adam "
        "reaches (1, 1) in about 1400 steps; SGD is still on the floor at the end.",
        "rosenbrock-race", ("loss", "step_size")),
    "cliff": stop(
        "Gradient clipping on a cliff",
        "Both balls start on a wall whose slope is 150. Without clipping the first step throws the ball 4.5 "
        "units back across the map; clipped at norm 1, every step is at most lr = 0.03 and the ball slides "
        "down the wall.",
        "Step once with the Right arrow before playing: one ball is thrown across the map at once. Point at the "
        "step-size panel: 4.5 against 0.03. Ask: 'what would this do to a network's weights?' Clipping bounds "
        "the step; it does not change the direction, and it does not make a too-large lr stable.",
        CLIFF, ("step_size", "gradient_norm")),
    "newton": stop(
        "Newton is drawn to a saddle; saddle-free Newton is not",
        "Newton's method heads for the nearest point where the gradient is zero, whatever its kind: it ends on "
        "the saddle. Saddle-free Newton divides by |H| instead of H, so it goes downhill along the negative "
        "curvature and reaches the minimum.",
        "Point at the eigenvalue panel as Newton arrives: one positive, one negative, a saddle. Newton's step is "
        "H^-1 g: along the negative-curvature direction it points uphill, towards the saddle. Saddle-free Newton "
        "flips that sign (Dauphin et al. 2014). Remind them of the first scene: zero gradient, not a minimum.",
        NEWTON, ("eigenvalue", "loss")),
    "peak": stop(
        "Newton climbs onto a peak",
        "From the same start, gradient descent slides downhill and away, while Newton's method climbs onto the "
        "peak: a maximum is a zero of the gradient too.",
        "Ask first: 'which way will each ball go?' Newton goes up. Point at the eigenvalues at the end: both "
        "negative. Second-order methods need the Hessian's signs, not just its size.",
        PEAK, ("eigenvalue", "loss")),
    "minibatch": stop(
        "Mini-batch noise on a real finite sum",
        "This loss is a sum over six examples. SGD on one example at a time follows a noisy but unbiased "
        "estimate of the gradient; three examples are less noisy; the full batch is exact. The mini-batch balls "
        "keep jittering around the minimum that the full batch reaches.",
        "This noise is not added by hand: it comes from which examples are drawn. Point at the jitter of the red "
        "ball near the minimum, smaller for the orange one. Ask: 'how would you make it settle?' A larger batch, "
        "or a learning rate that decays. Tie back to the saddle: this same noise is what knocks SGD off saddles.",
        "minibatch-neuron", ("loss", "gradient_norm")),
}

LESSONS = {
    "whole-story": Lesson(
        "Why gradient descent gets stuck, and what gets it out",
        "The whole story in nine scenes: critical points, saddles and noise, plateaus, the learning-rate edge, "
        "momentum, adaptive methods and clipping, Newton and saddles, mini-batches.",
        tuple(S[key] for key in ("zero", "escape", "plateau", "edge", "ravine", "rosenbrock", "cliff", "newton",
                                 "minibatch"))),
    "saddles-and-noise": Lesson(
        "Saddles and noise", "Zero gradients that are not minima, and how noise gets out of them.",
        tuple(S[key] for key in ("zero", "escape", "swarm"))),
    "plateaus": Lesson(
        "Plateaus", "A flat loss curve is not convergence.", tuple(S[key] for key in ("plateau", "plateau-momentum"))),
    "learning-rate": Lesson(
        "The learning rate", "Why 2 / lambda_max, and where to sit below it.",
        tuple(S[key] for key in ("three-rates", "edge"))),
    "momentum": Lesson(
        "Momentum", "Heavy ball and Nesterov in ravines and winding valleys.",
        tuple(S[key] for key in ("ravine", "winding"))),
    "adaptive-and-clipping": Lesson(
        "Adaptive methods and clipping", "Per-coordinate step sizes, and a cap on the step.",
        tuple(S[key] for key in ("rosenbrock", "plateau", "cliff"))),
    "second-order": Lesson(
        "Second-order methods", "Newton finds zeros of the gradient, of every kind.",
        tuple(S[key] for key in ("zero", "newton", "peak"))),
    "mini-batches": Lesson(
        "Mini-batches", "Noise from sampling the examples, and what it is good for.",
        tuple(S[key] for key in ("minibatch", "swarm"))),
}


def main() -> None:
    for name, lesson in LESSONS.items():
        save_lesson(lesson, FOLDER / f"{name}.json")
        print(name, [(item.title[:30], item.scene.speed) for item in lesson.scenes])


if __name__ == "__main__":
    main()
