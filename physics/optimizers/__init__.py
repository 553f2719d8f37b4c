"""The optimiser zoo; importing the package registers every optimiser (see base.py).

Menu order: gradient descent and momentum, the adaptive-rate methods of torch.optim, the MATLAB
adaptive learning-rate rules, second-order methods, then the line-search methods.
"""

# Each module registers its optimisers at import, in this order (the menu's), hence I001 and F401.
from physics.optimizers import (  # noqa: I001, F401
    sgd,
    adagrad,
    rmsprop,
    adam,
    rprop,
    adaptive_rate,
    newton,
    damped_newton,
    saddle_free_newton,
    bfgs,
    conjugate_gradient,
)
