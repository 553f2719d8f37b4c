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

from physics.interrupt_guard import InterruptsHeld

#: Balls of at least this many particles hand work to the helper thread; smaller ones would only
#: pay the hand-over.
HELPER_PARTICLES = 20_000

_executor: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def helper_thread() -> ThreadPoolExecutor:
    """The process's one helper thread (started on first use).

    Its thread is started here, with Ctrl+C held (physics.interrupt_guard): a ThreadPoolExecutor
    starts its thread in the first ``submit`` and only then records it for the interpreter's exit,
    and a KeyboardInterrupt between the two left a thread nobody stops, waiting for work while
    the exit waited for it (``main.py run`` hung after Ctrl+C, once in about forty runs).
    """
    global _executor
    with _lock:
        if _executor is None:
            with InterruptsHeld():
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="downhill-helper")
                executor.submit(int).result()
                _executor = executor
        return _executor
