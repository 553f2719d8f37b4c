"""The step-by-step explainer: a ball's next update taken apart into parts (physics.explain.parts).

``explain_next_step(simulation, ball, particle=0) -> Explanation`` (physics.explain.core) leaves
the simulation untouched; ``EXPLAINERS`` maps every registered optimiser's name to its explainer,
registered when the explainers' modules below are imported (one per optimiser family).
"""

# Each module registers its explainers at import (hence F401 and I001: the order is the menu's).
from physics.explain import first_order  # noqa: I001, F401
from physics.explain import adaptive  # noqa: I001, F401
from physics.explain import adaptive_lr, second_order, quasi_newton  # noqa: I001, F401
from physics.explain.core import EXPLAINERS, StepContext, explain_next_step, register_explainer
from physics.explain.parts import Explanation, Part, sum_of_summands

__all__ = ["EXPLAINERS", "Explanation", "Part", "StepContext", "explain_next_step", "register_explainer",
           "sum_of_summands"]
