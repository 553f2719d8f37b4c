"""Experiments: many runs at once turned into evidence (basins, stability maps, saddle escapes, ...).

The framework is physics.experiments.base (registry, specs, cache); the shared classification of
where a particle ended is physics.experiments.outcomes. No Qt here.
"""
