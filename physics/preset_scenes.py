"""The preset scenes: one demo for each teaching point of DESIGN.md, ready to play.

Each scene names a preset surface (surfaces.presets) and sets balls whose behaviour makes the
point; ``python main.py run --scene NAME --steps N`` shows it in the regime column, and the
tests check that it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from physics.balls import PALETTE, BallSpec
from physics.noise import NoiseSettings
from physics.scenes import Scene, ViewSettings

# Ball colours from the one ball palette (physics.balls.PALETTE, which gui.palette reads too).
# The texts stay ASCII ("lambda_max", "x"): `main.py presets` prints them, also to terminals that
# cannot encode λ.
ORANGE, SKY, GREEN, RED, PURPLE, WHITE = PALETTE


def _ball(name: str, color: str, optimizer: str, start: tuple[float, float], **options) -> BallSpec:
    hyper = options.pop("hyper", {})
    return BallSpec(name=name, color=color, optimizer=optimizer, hyperparameters=tuple(hyper.items()), start=start,
                    **options)


_SCENES = (
    Scene(
        title="Noise knocks a ball off a saddle",
        description="Two balls start on the saddle's stable manifold y = 0 of x^2 + y^4/4 - y^2/2. Without "
                    "noise gradient descent rolls straight into the saddle at the origin and stays there for "
                    "ever; with gradient noise it is pushed off along y and falls into a minimum.",
        note="the noiseless ball stops on the saddle (curvature -1 and +2); noise escapes in ~ln(1/sigma)/lr steps",
        formula="saddle-between-minima",
        balls=(
            _ball("no noise", SKY, "gd", (1.5, 0.0), hyper={"lr": 0.1}),
            _ball("noise 0.01", ORANGE, "gd", (1.5, 0.0), hyper={"lr": 0.1}, noise=NoiseSettings(sigma=0.01)),
        ),
        seed=1,
        view=ViewSettings(azimuth=60.0, elevation=35.0),
    ),
    Scene(
        title="A zero gradient is not a minimum",
        description="Styblinski-Tang has nine points where the gradient is zero: four minima, four saddles and "
                    "a maximum. Three balls run a slow Newton's method (lr 0.004), which heads for the nearest "
                    "zero of the gradient whatever its kind, and arrive at a minimum, a saddle and the maximum, "
                    "their gradients shrinking to zero alike. The Hessian's eigenvalues tell them apart: both "
                    "positive, one of each sign, both negative.",
        note="all three head for gradient 0: eigenvalues (+, +) a minimum, (+, -) a saddle, (-, -) the maximum",
        formula="styblinski-tang",
        balls=(
            _ball("to a minimum", GREEN, "newton", (2.0, 2.2), hyper={"lr": 0.004}),
            _ball("to a saddle", ORANGE, "newton", (2.0, 0.6), hyper={"lr": 0.004}),
            _ball("to the maximum", RED, "newton", (0.6, -0.4), hyper={"lr": 0.004}),
        ),
        speed=1,
        view=ViewSettings(azimuth=-135.0, elevation=40.0),
    ),
    Scene(
        title="Escape time grows like log(1/noise)",
        description="Four balls run gradient descent (lr 0.01) from (1.5, 0), on the stable line of the saddle "
                    "of x^2 + y^4/4 - y^2/2. Without noise the ball stops on the saddle for ever. Gradient "
                    "noise of 1e-2, 1e-4 and 1e-8 knocks the others off, in that order: along y the curvature "
                    "is -1, so a push of size sigma grows by 1% a step and needs about ln(1/sigma)/lr steps. "
                    "Each factor 100 less noise adds the same ~460 steps.",
        note="escapes in order 1e-2, 1e-4, 1e-8: the wait grows like ln(1/sigma)/lr; no noise never leaves",
        formula="saddle-between-minima",
        balls=(
            _ball("no noise", SKY, "gd", (1.5, 0.0), hyper={"lr": 0.01}),
            _ball("noise 1e-2", ORANGE, "gd", (1.5, 0.0), hyper={"lr": 0.01}, noise=NoiseSettings(sigma=1e-2)),
            _ball("noise 1e-4", GREEN, "gd", (1.5, 0.0), hyper={"lr": 0.01}, noise=NoiseSettings(sigma=1e-4)),
            _ball("noise 1e-8", PURPLE, "gd", (1.5, 0.0), hyper={"lr": 0.01}, noise=NoiseSettings(sigma=1e-8)),
        ),
        seed=2,
        speed=2,
        view=ViewSettings(azimuth=60.0, elevation=35.0),
    ),
    Scene(
        title="The plateau that fakes convergence",
        description="On the high plateau of tanh(r^2/2) the loss is 0.9999 and the gradient 4.5e-4: gradient "
                    "descent moves a few hundredths in a thousand steps, and its loss curve looks flat, as if "
                    "it had converged. The eigenvalues are nearly zero and the loss is still high: it has not. "
                    "Adam rescales the tiny gradient and walks off the plateau to the minimum.",
        note="gradient 4.5e-4, loss 0.9999, curvature ~0: plain descent crawls while Adam walks off",
        formula="plateau",
        balls=(
            _ball("gradient descent", SKY, "gd", (-1.0, -0.5), hyper={"lr": 0.1}),
            _ball("Adam", ORANGE, "adam", (-1.0, -0.5), hyper={"lr": 0.05}),
        ),
        speed=3,
        view=ViewSettings(azimuth=-60.0, elevation=30.0),
    ),
    Scene(
        title="A learning rate just under and just over 2 / lambda_max",
        description="The ravine 0.5(x^2 + 25 y^2) has lambda_max = 25, so gradient descent is stable for "
                    "lr < 2/25 = 0.08. At lr = 0.0796 the ball zig-zags across the ravine, each swing 1% "
                    "smaller than the last, and settles; at lr = 0.0804 each swing is 1% larger, and it "
                    "diverges along the steep y direction.",
        note="lr x lambda_max = 1.99 converges; 2.01 oscillates and diverges",
        formula="ravine",
        balls=(
            _ball("lr 0.0796", SKY, "gd", (-2.5, 1.0), hyper={"lr": 0.0796}),
            _ball("lr 0.0804", RED, "gd", (-2.5, 1.0), hyper={"lr": 0.0804}),
        ),
        view=ViewSettings(azimuth=30.0, elevation=40.0),
    ),
    Scene(
        title="Gradient descent, momentum and Nesterov in a ravine",
        description="In the ravine (curvatures 1 and 25) gradient descent at lr 0.006 crawls along the flat x "
                    "direction, shrinking the error by only 0.6% a step. Heavy-ball momentum and Nesterov "
                    "momentum (0.9) build up speed along the floor and arrive about nine times sooner.",
        note="same lr 0.006: momentum 0.9 arrives in ~100 steps, plain descent in ~870",
        formula="ravine",
        balls=(
            _ball("gradient descent", SKY, "gd", (-2.5, 1.0), hyper={"lr": 0.006}),
            _ball("momentum", ORANGE, "momentum", (-2.5, 1.0), hyper={"lr": 0.006, "momentum": 0.9}),
            _ball("Nesterov", GREEN, "nesterov", (-2.5, 1.0), hyper={"lr": 0.006, "momentum": 0.9}),
        ),
        view=ViewSettings(azimuth=30.0, elevation=40.0),
    ),
    Scene(
        title="Newton is drawn to a saddle; saddle-free Newton is not",
        description="Newton's method jumps to the critical point of its local quadratic model, whatever kind: "
                    "from (1, 0.3) it lands on the saddle at the origin of x^2 + y^4/4 - y^2/2 and stays. "
                    "Saddle-free Newton divides by |H| instead of H (Dauphin et al. 2014), so it moves "
                    "downhill along negative curvature and reaches the minimum (0, 1).",
        note="Newton ends on the saddle (curvature -1 and +2); saddle-free Newton leaves it for the minimum",
        formula="saddle-between-minima",
        balls=(
            _ball("Newton", RED, "newton", (1.0, 0.3)),
            _ball("saddle-free Newton", GREEN, "saddle-free-newton", (1.0, 0.3)),
        ),
        view=ViewSettings(azimuth=60.0, elevation=35.0),
    ),
    Scene(
        title="Adam, SGD and RMSProp race on Rosenbrock",
        description="Rosenbrock's banana valley from the classic start (-1.2, 1). SGD must keep lr below "
                    "2/lambda_max (about 0.0013 here) and then crawls along the curved floor; RMSProp and Adam "
                    "divide each coordinate by its gradient's running size and move at the speed of lr.",
        note="in 1500 steps Adam reaches (1, 1), RMSProp gets near, SGD (lr 0.001) still crawls along the floor",
        formula="rosenbrock",
        balls=(
            _ball("SGD", SKY, "sgd", (-1.2, 1.0), hyper={"lr": 0.001}),
            _ball("RMSProp", GREEN, "rmsprop", (-1.2, 1.0), hyper={"lr": 0.003}),
            _ball("Adam", ORANGE, "adam", (-1.2, 1.0), hyper={"lr": 0.05}),
        ),
        view=ViewSettings(azimuth=-120.0, elevation=65.0, height_clip=(0.0, 600.0)),
    ),
    Scene(
        title="Gradient clipping on a cliff",
        description="A gentle slope runs into a wall 20 high at x = 1 whose slope reaches 150. Gradient "
                    "descent at lr 0.3 that touches the wall takes a step of tens of units and is catapulted "
                    "out of the landscape, again and again. Clipping the gradient's norm at 1 caps every step "
                    "at lr = 0.3: the "
                    "clipped ball is never thrown. It still bounces at the foot of the wall, where the "
                    "curvature is 33 and lr x lambda_max = 10 > 2: clipping bounds the step, it does not make "
                    "a learning rate stable.",
        note="unclipped: catapulted out of the view, again and again; clipped at norm 1: steps stay below 0.3, "
             "bouncing at the foot",
        formula="cliff",
        balls=(
            _ball("no clipping", RED, "gd", (-2.5, 1.5), hyper={"lr": 0.3}),
            _ball("clip 1", GREEN, "gd", (-2.5, 1.5), hyper={"lr": 0.3}, clip=1.0),
        ),
        view=ViewSettings(azimuth=-90.0, elevation=30.0),
    ),
    Scene(
        title="Mini-batches on a sigmoid neuron",
        description="The loss of one sigmoid neuron is a sum over its six examples. SGD on one example at a "
                    "time follows a noisy but unbiased estimate of the gradient; three examples make it less "
                    "noisy; the full batch is exact. From (-2, -2) all three find the minimum (0.572, 0); the "
                    "mini-batch balls keep jittering around it, and the regime still calls them settled in "
                    "its bowl.",
        note="batch 1 and batch 3 jitter around the minimum (0.572, 0) that the full batch reaches exactly",
        formula="sigmoid-neuron",
        balls=(
            _ball("batch 1", RED, "sgd", (-2.0, -2.0), hyper={"lr": 0.1}, noise=NoiseSettings(batch_size=1)),
            _ball("batch 3", ORANGE, "sgd", (-2.0, -2.0), hyper={"lr": 0.1}, noise=NoiseSettings(batch_size=3)),
            _ball("full batch", SKY, "sgd", (-2.0, -2.0), hyper={"lr": 0.1}),
        ),
        seed=3,
        view=ViewSettings(azimuth=-45.0, elevation=40.0),
    ),
    Scene(
        title="A swarm leaves the saddle of a tiny network",
        description="A thousand noisy copies of a network started at w = 0, the saddle of its loss. Noise "
                    "pushes each copy off the saddle along the negative curvature, and the swarm splits "
                    "between the two symmetric minima: which one a network finds is decided by chance.",
        note="1000 particles with gradient noise 0.01: the saddle (curvature -2.1) splits the swarm in two",
        formula="tiny-network",
        balls=(
            _ball("swarm", PURPLE, "gd", (0.0, 0.0), hyper={"lr": 0.1}, noise=NoiseSettings(sigma=0.01),
                  particles=1000, spread=0.0),
        ),
        seed=7,
        view=ViewSettings(azimuth=45.0, elevation=45.0),
    ),
)

_NAMES = ("saddle-noise", "zero-gradient", "saddle-escape-times", "plateau-trap", "learning-rate-edge",
          "ravine-momentum", "newton-saddle",
          "rosenbrock-race", "cliff-clipping", "minibatch-neuron", "swarm-saddle")

#: Every preset scene by name (read-only), in teaching order.
PRESET_SCENES: Mapping[str, Scene] = MappingProxyType(dict(zip(_NAMES, _SCENES, strict=True)))

#: The scene the app opens when none is given.
DEFAULT_SCENE = "saddle-noise"
