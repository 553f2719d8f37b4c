"""The helper thread: work a large swarm's step can hand to the machine's second core.

NumPy releases the GIL inside its array loops and sorts, and the compiled kernels release it too
(physics.compiled), so work given to this one thread (the telemetry of the step just taken:
eigenvalues, regime, averages, records and a swarm's statistics) runs while the main thread goes
on with the next step. Results never depend on the thread: each task reads arrays that nobody
writes to after handing them over, the tasks run one after another in the order given, and the
simulation waits for them before anyone reads their results.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

#: Balls of at least this many particles hand work to the helper thread; smaller ones would only
#: pay the hand-over.
HELPER_PARTICLES = 20_000

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def helper_thread() -> ThreadPoolExecutor:
    """The process's one helper thread (started on first use)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="downhill-helper")
        return _executor
