"""The step-by-step explainer: a ball's next update taken apart into parts (physics.explain.parts).

``explain_next_step(simulation, ball, particle=0) -> Explanation`` (built by the explainer's
modules, one per optimiser family) leaves the simulation untouched.
"""
