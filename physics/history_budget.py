"""How long an interactive run may go on before the balls' recorded history grows too large.

Every step adds a row to each ball's records (physics.telemetry): a ball or small swarm
(n <= FULL_HISTORY_PARTICLES) records every particle, a swarm (n > 1) one summary row. The bytes
a row takes are read from the records' own dtypes, so a field added to a record counts at once:

    bytes per step = sum over balls of  8 (the step number)
                                      + n * PARTICLE_STEP_BYTES   if n <= FULL_HISTORY_PARTICLES
                                      + SUMMARY_STEP_BYTES        if n > 1

and the limit is HISTORY_BUDGET_BYTES / (2 * bytes per step) steps (records double when full, so
up to twice the rows used may be allocated), kept between 1000 and MAX_STEPS.
"""

from __future__ import annotations

from collections.abc import Sequence

from physics.balls import BallSpec
from physics.telemetry import FULL_HISTORY_PARTICLES, GrowingRecord, particle_record, summary_record

#: The animation stops by itself after this many steps ...
MAX_STEPS = 200_000
#: ... or earlier, when the balls' recorded history would pass this many bytes.
HISTORY_BUDGET_BYTES = 300_000_000
#: An interactive run may always go this far, however many balls there are.
MIN_STEPS = 1000


def _row_bytes(record: GrowingRecord, skip: tuple[str, ...] = ()) -> int:
    """Bytes one row of ``record`` takes, over its fields except ``skip``."""
    return sum(array[0].nbytes for name, array in record.arrays.items() if name not in skip)


#: Bytes one particle adds to its ball's full record per step (positions, loss, gradient, its norm,
#: step size, lr, eigenvalues, regime, active), without the step number the ball's row shares.
PARTICLE_STEP_BYTES = _row_bytes(particle_record(1, 1), skip=("step",))
#: Bytes of a swarm's per-step summary row, its step number included.
SUMMARY_STEP_BYTES = _row_bytes(summary_record(1))
#: Bytes of the step number each ball's record holds per row.
STEP_NUMBER_BYTES = particle_record(1, 1).arrays["step"][0].nbytes


def history_step_limit(balls: Sequence[BallSpec]) -> int:
    """How many steps ``balls`` may record before their history would pass HISTORY_BUDGET_BYTES."""
    per_step = STEP_NUMBER_BYTES * len(balls)
    for ball in balls:
        if ball.particles <= FULL_HISTORY_PARTICLES:
            per_step += PARTICLE_STEP_BYTES * ball.particles
        if ball.particles > 1:
            per_step += SUMMARY_STEP_BYTES
    return int(max(MIN_STEPS, min(MAX_STEPS, HISTORY_BUDGET_BYTES // (2 * max(per_step, 1)))))
