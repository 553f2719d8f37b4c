"""The preset surfaces: named landscapes, each chosen to make one point about optimisation.

Each :class:`Preset` is plain data: a formula typed exactly as a teacher would type it (the
same safe parser reads it), a default view rectangle, starting points that make its teaching
point, and a one-line note with the numbers that matter. :mod:`surfaces.presets` builds them.

The classic test functions follow the definitions and published optima of Surjanovic &
Bingham, *Virtual Library of Simulation Experiments* (www.sfu.ca/~ssurjano); the figures in the
notes of the other presets are worked out from their formulas (and checked in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from surfaces.surface import Domain


@dataclass(frozen=True)
class PresetParameter:
    """A named parameter of a preset's formula (the GUI makes it a slider).

    Attributes:
        name: the name used in the formula.
        value: the default value.
        minimum, maximum: the slider's range.
    """

    name: str
    value: float
    minimum: float
    maximum: float


@dataclass(frozen=True)
class Preset:
    """A named landscape with what a teacher needs to show it.

    Attributes:
        name: kebab-case identifier, used with ``--surface NAME``.
        title: a short human title.
        formula: the formula text, in the syntax :mod:`surfaces.parsing` accepts.
        description: one or two sentences on what the surface is.
        note: the one-line teaching point, with its numbers.
        domain: the default view rectangle.
        starts: suggested starting points (x, y) that make the teaching point.
        group: a heading for galleries and menus.
        parameters: the formula's named parameters with defaults and ranges.
        terms: for a finite-sum loss, the formula of each summand (one per example), in order;
            their sum is ``formula``. Empty when the surface is not a data-fitting sum.
        height_range: (low, high) display clip for surfaces whose values span many orders of
            magnitude, or None to show the full range.
    """

    name: str
    title: str
    formula: str
    description: str
    note: str
    domain: Domain
    starts: tuple[tuple[float, float], ...]
    group: str
    parameters: tuple[PresetParameter, ...] = ()
    terms: tuple[str, ...] = ()
    height_range: tuple[float, float] | None = None


BASICS = "Bowls and learning rates"
SADDLES = "Saddles and critical points"
PLATEAUS = "Plateaus and cliffs"
VALLEYS = "Valleys"
TEST_FUNCTIONS = "Classic test functions"
NETWORKS = "Neural-network losses"

# Data of the sigmoid neuron: inputs u and targets t; the loss is mean over examples of
# (sigmoid(w u + b) - t)^2 with w = x and b = y. The classes overlap (u = -1 is labelled 1 and
# u = 1 is labelled 0), so the minimum is finite.
_NEURON_TERMS = (
    "sigmoid(y - 3x)^2/6",
    "sigmoid(y - 2x)^2/6",
    "(sigmoid(y - x) - 1)^2/6",
    "sigmoid(x + y)^2/6",
    "(sigmoid(2x + y) - 1)^2/6",
    "(sigmoid(3x + y) - 1)^2/6",
)

# The network u -> w2 tanh(w1 u) with w1 = x and w2 = y, fitted to (u, t) = (-2, -0.9),
# (-0.5, -0.5), (1, 0.8), (1.5, 0.9) by mean squared error.
_NETWORK_TERMS = (
    "(y tanh(-2x) + 0.9)^2/4",
    "(y tanh(-0.5x) + 0.5)^2/4",
    "(y tanh(x) - 0.8)^2/4",
    "(y tanh(1.5x) - 0.9)^2/4",
)

CATALOGUE: tuple[Preset, ...] = (
    Preset(
        "bowl", "Round bowl", "x^2 + y^2",
        "The simplest landscape: a paraboloid with its minimum f = 0 at the origin.",
        "H = 2I everywhere (lambda = 2 in every direction): gradient descent heads straight in, "
        "lands on the minimum in one step at lr = 0.5 and diverges for lr > 1.",
        Domain(-3, 3, -3, 3), ((2.5, 1.5),), BASICS),
    Preset(
        "ravine", "Ill-conditioned ravine", "0.5(x^2 + 25y^2)",
        "A quadratic bowl 5 times steeper across (y) than along (x): curvatures 1 and 25.",
        "lambda_max = 25, so gradient descent zig-zags across the ravine for lr > 0.04 and diverges "
        "for lr > 0.08 = 2/lambda_max; at a safe lr the flat x-direction (lambda = 1) crawls.",
        Domain(-3, 3, -1.5, 1.5), ((-2.5, 1.0),), BASICS),
    Preset(
        "rotated-ravine", "Ravine turned by 45 degrees", "0.25(x + y)^2 + 6.25(x - y)^2",
        "The ravine again (curvatures 1 and 25), with its axes along the diagonals.",
        "Same lambdas (1 and 25, lr < 0.08) but not aligned with x and y: per-coordinate methods "
        "(Adam, RMSProp, Rprop) lose the edge they have on the axis-aligned ravine.",
        Domain(-3, 3, -3, 3), ((-2.5, -1.0),), BASICS),
    Preset(
        "tunable-bowl", "Bowl with sliders", "a x^2 + b y^2",
        "A quadratic with adjustable curvatures 2a along x and 2b along y.",
        "lambda = 2a and 2b: gradient descent is stable for lr < 1/max(a, b); drag a or b below 0 "
        "and the minimum turns into a saddle.",
        Domain(-3, 3, -3, 3), ((-2.5, 1.5),), BASICS,
        parameters=(PresetParameter("a", 1.0, -2.0, 10.0), PresetParameter("b", 10.0, -2.0, 30.0))),
    Preset(
        "quartic-bowl", "Ever-flattening bowl", "x^4 + y^4",
        "A bowl whose curvature 12x^2 vanishes at the bottom: the minimum (0, 0) is degenerate.",
        "The gradient 4x^3 dies faster than the distance: gradient descent slows like "
        "1/sqrt(8 lr t) and never arrives, and the Hessian test calls the minimum degenerate.",
        Domain(-2, 2, -2, 2), ((1.5, 1.0),), BASICS),
    Preset(
        "saddle", "Saddle", "x^2 - y^2",
        "The textbook saddle: a minimum along x and a maximum along y at the origin.",
        "Curvature +2 along x and -2 along y: noiseless descent from (1.5, 0) stops on the saddle "
        "for ever; from (1.5, 0.05), or with any noise, it escapes along y.",
        Domain(-2, 2, -2, 2), ((1.5, 0.0), (1.5, 0.05)), SADDLES),
    Preset(
        "saddle-between-minima", "Saddle between two minima", "x^2 + y^4/4 - y^2/2",
        "Two minima at (0, 1) and (0, -1) (f = -1/4) joined through a saddle at the origin.",
        "The saddle has curvature -1 along y: descent from (1.5, 0) stalls on it, and gradient "
        "noise of size sigma tips it into a minimum after about ln(1/sigma)/lr steps.",
        Domain(-2, 2, -2, 2), ((1.5, 0.0), (1.5, 0.01)), SADDLES),
    Preset(
        "monkey-saddle", "Monkey saddle", "x^3 - 3x y^2",
        "Three valleys and three ridges meet at the origin (room for two legs and a tail).",
        "At the origin grad f = 0 and H = 0: the eigenvalues cannot classify it (degenerate); "
        "descent along y = 0 from (1, 0) creeps in like 1/(3 lr t) while (1, 0.3) slides away.",
        Domain(-1.5, 1.5, -1.5, 1.5), ((1.0, 0.0), (1.0, 0.3)), SADDLES),
    Preset(
        "tilted-double-well", "Tilted double well", "(x^2 - 1)^2 + 0.3x + y^2",
        "Two wells of different depth separated by a saddle at (0.075, 0), f = 1.011.",
        "The shallow well (0.960, 0), f = 0.294, catches descent from (1.5, 1); the deeper one "
        "(-1.036, 0), f = -0.305, needs momentum, noise or another start.",
        Domain(-2, 2, -1.5, 1.5), ((1.5, 1.0), (-1.5, 1.0)), SADDLES),
    Preset(
        "peak-and-pit", "Peak and pit", "x exp(-(x^2 + y^2))",
        "A pit at (-0.707, 0) and a peak at (0.707, 0), f = -0.429 and 0.429, on a plain that "
        "flattens out far away.",
        "Undamped Newton from (0.9, 0.1) climbs onto the peak (it only seeks grad f = 0) while "
        "gradient descent from there slides off across the flat plain; from (-0.3, 0.3) both find the pit.",
        Domain(-2.5, 2.5, -2.5, 2.5), ((0.9, 0.1), (-0.3, 0.3), (1.5, 1.5)), SADDLES),
    Preset(
        "plateau", "Plateau that looks converged", "tanh(((x - 1.5)^2 + (y - 1.5)^2)/2)",
        "A bowl tanh(r^2/2) around (1.5, 1.5) that saturates at 1: a wide high plateau with a "
        "small but nonzero slope towards the minimum f = 0.",
        "From (-1, -0.5) the loss is 0.9999 and |grad f| only 4.5e-4: gradient descent at lr 0.1 "
        "moves 0.05 in 1000 steps and looks converged; Adam escapes to the minimum (1.5, 1.5).",
        Domain(-4, 4, -4, 4), ((-1.0, -0.5), (-0.5, 0.0)), PLATEAUS),
    Preset(
        "cliff", "Cliff", "(x - 3)^2/4 + y^2/10 + 20 sigmoid(30(x - 1))",
        "A gentle slope running into a wall 20 high and 0.2 thick at x = 1 (slope up to 150), "
        "with a minimum at its foot (0.790, 0) and a terrace beyond.",
        "Descent that touches the wall is thrown back: 9 units at lr 0.2, up to 45 at lr 0.3, "
        "again and again. "
        "Clipped at norm 1 every step is at most lr: never thrown, yet at lr 0.3 it bounces at the "
        "foot (curvature 33: lr x lambda = 10 > 2); below lr 0.06 it settles.",
        Domain(-3, 3.5, -2, 2), ((-2.5, 1.5),), PLATEAUS),
    Preset(
        "winding-valley", "Winding valley", "0.05x^2 + 5(y - sin(x))^2",
        "A narrow valley along the curve y = sin(x), rising only as 0.05x^2 along its floor.",
        "lambda = 0.05 along the floor and 20 across it (condition 400): gradient descent "
        "(lr < 0.1) crawls round the bends from (-3.5, 1.5); momentum follows them.",
        Domain(-4, 4, -2, 2), ((-3.5, 1.5),), VALLEYS),
    Preset(
        "rosenbrock", "Rosenbrock's banana", "(1 - x)^2 + 100(y - x^2)^2",
        "Rosenbrock (1960): a long, curved, flat-bottomed valley with the minimum f = 0 at (1, 1).",
        "At the classic start (-1.2, 1) lambda_max = 1506, so gradient descent needs lr < 0.0013 "
        "and then crawls along the floor; at (1, 1) lambda = 0.40 and 1001.6.",
        Domain(-2, 2, -1, 3), ((-1.2, 1.0),), VALLEYS, height_range=(0.0, 600.0)),
    Preset(
        "himmelblau", "Himmelblau's function", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        "Himmelblau (1972): four minima with f = 0, one maximum (f = 181.6) and four saddles.",
        "Four equally good minima, at (3, 2), (-2.805, 3.131), (-3.779, -3.283) and "
        "(3.584, -1.848): the start alone decides which one a ball finds.",
        Domain(-5, 5, -5, 5), ((0.0, 0.0), (-1.0, 1.0), (-1.0, -1.5), (1.0, -1.5)), TEST_FUNCTIONS),
    Preset(
        "beale", "Beale's function", "(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2",
        "Beale's function: flat valleys between very steep walls (f reaches 1.8e5 in the corners); "
        "the minimum f = 0 is at (3, 0.5).",
        "At (3, 0.5) lambda = 0.30 and 49; along x = 0 f is 14.2 whatever y, with a saddle at "
        "(0, 1): from (-1, 1.5) descent drifts the wrong way along a flat valley.",
        Domain(-4.5, 4.5, -4.5, 4.5), ((1.0, 1.5), (-1.0, 1.5)), TEST_FUNCTIONS,
        height_range=(0.0, 100.0)),
    Preset(
        "booth", "Booth's function", "(x + 2y - 7)^2 + (2x + y - 5)^2",
        "Booth's function: a tilted quadratic bowl with the minimum f = 0 at (1, 3).",
        "H has eigenvalues 2 and 18 everywhere: gradient descent zig-zags for lr > 1/18 and "
        "diverges for lr > 2/18 = 0.111.",
        Domain(-10, 10, -10, 10), ((-7.0, -8.0),), TEST_FUNCTIONS),
    Preset(
        "matyas", "Matyas function", "0.26(x^2 + y^2) - 0.48x y",
        "The Matyas function: a flat diagonal valley with the minimum f = 0 at the origin.",
        "lambda = 0.04 along x = y and 1 across it: gradient descent (lr < 2) shrinks the "
        "diagonal error only by 1 - 0.04 lr per step, so it takes ~100 steps even at lr = 1.",
        Domain(-10, 10, -10, 10), ((7.0, -4.0), (-8.0, 6.0)), TEST_FUNCTIONS),
    Preset(
        "mccormick", "McCormick function", "sin(x + y) + (x - y)^2 - 1.5x + 2.5y + 1",
        "The McCormick function: a global minimum f = -1.9133 at (-0.547, -1.547), a local one "
        "and a saddle between them.",
        "Starts in the upper right such as (3.5, 3) end in the local minimum (2.594, 1.594), "
        "f = 1.228; (0, 2) reaches the global one.",
        Domain(-1.5, 4, -3, 4), ((3.5, 3.0), (0.0, 2.0)), TEST_FUNCTIONS),
    Preset(
        "six-hump-camel", "Six-hump camel", "(4 - 2.1x^2 + x^4/3)x^2 + x y + (-4 + 4y^2)y^2",
        "The six-hump camel function: six minima, two of them global (f = -1.0316 at "
        "(0.0898, -0.7126) and (-0.0898, 0.7126)), seven saddles and two maxima.",
        "Six basins in a small box: descent from (1, 1) finds a global minimum (f = -1.032), "
        "from (1.5, -1) a middling one (-0.215) and from (-1.5, -1) a poor one (2.104).",
        Domain(-2, 2, -1.2, 1.2), ((1.0, 1.0), (1.5, -1.0), (-1.5, -1.0)), TEST_FUNCTIONS),
    Preset(
        "goldstein-price", "Goldstein-Price function",
        "(1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6x y + 3y^2))"
        " (30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36x y + 27y^2))",
        "The Goldstein-Price function: values from 3 to 1e6; the global minimum f = 3 is at (0, -1).",
        "Local minima f = 30, 84 and 840 besides the global f = 3, and lambda_max from 965 at (0, -1) "
        "to 26 000 at (1.8, 0.2): a learning rate safe near one minimum is explosive near another.",
        Domain(-2, 2, -2, 2), ((0.5, -1.5), (-1.0, -1.0), (1.5, -0.5), (1.0, 1.0)), TEST_FUNCTIONS,
        height_range=(0.0, 1200.0)),
    Preset(
        "rastrigin", "Rastrigin function", "20 + x^2 - 10cos(2pi x) + y^2 - 10cos(2pi y)",
        "The Rastrigin function: the bowl x^2 + y^2 under ripples of depth 20, global minimum "
        "f = 0 at the origin.",
        "49 local minima in view (169 critical points): descent stops in the nearest dip, and only "
        "large noise or a large step hops towards the global minimum (0, 0).",
        Domain(-3.2, 3.2, -3.2, 3.2), ((2.7, 2.2), (-1.2, 0.8)), TEST_FUNCTIONS),
    Preset(
        "ackley", "Ackley function",
        "-20exp(-0.2sqrt(0.5(x^2 + y^2))) - exp(0.5(cos(2pi x) + cos(2pi y))) + e + 20",
        "The Ackley function: a nearly flat, rippled outer region around a deep funnel; global "
        "minimum f = 0 at the origin.",
        "The global minimum is a cone tip where the gradient jumps, so it is no critical point "
        "(168 others are in view) and gradient steps chatter around it.",
        Domain(-3.2, 3.2, -3.2, 3.2), ((2.6, 1.9), (0.9, -0.4)), TEST_FUNCTIONS),
    Preset(
        "styblinski-tang", "Styblinski-Tang function", "0.5(x^4 - 16x^2 + 5x + y^4 - 16y^2 + 5y)",
        "The Styblinski-Tang function: in each coordinate a deep and a shallow well; the global "
        "minimum f = -78.332 is at (-2.9035, -2.9035).",
        "4 minima, 4 saddles and a maximum, one well per coordinate sign: descent from (1, 1) "
        "ends in the shallowest minimum (2.747, 2.747), f = -50.06.",
        Domain(-5, 5, -5, 5), ((1.0, 1.0), (-1.0, 0.5)), TEST_FUNCTIONS),
    Preset(
        "sigmoid-neuron", "Sigmoid neuron", " + ".join(_NEURON_TERMS),
        "Mean squared error of one sigmoid neuron sigmoid(w u + b) on six examples (u, t) = "
        "(-3, 0), (-2, 0), (-1, 1), (1, 0), (2, 1), (3, 1), as a function of w = x and b = y; "
        "one term per example, so mini-batches of them give true stochastic gradients.",
        "Saturation: at (-6, 4) the neuron is confidently wrong on 4 of 6 examples (loss 0.67, "
        "|grad f| 0.006) and descent drifts deeper into the plateau; from (-2, 2) it reaches the "
        "minimum (0.572, 0), f = 0.163.",
        Domain(-8, 8, -8, 8), ((-6.0, 4.0), (-2.0, 2.0)), NETWORKS, terms=_NEURON_TERMS),
    Preset(
        "tiny-network", "Two weights of a tiny network", " + ".join(_NETWORK_TERMS),
        "Mean squared error of the one-hidden-unit network u -> w2 tanh(w1 u) on four examples, "
        "as a function of w1 = x and w2 = y.",
        "The symmetry (w1, w2) -> (-w1, -w2) gives two equal minima +-(1.243, 0.930) and a saddle "
        "at the origin (curvatures -2.1 and +2.1), where a network started at w = 0 never learns.",
        Domain(-3, 3, -3, 3), ((0.0, 0.0), (0.02, 0.01), (-2.0, 0.5)), NETWORKS, terms=_NETWORK_TERMS),
)
