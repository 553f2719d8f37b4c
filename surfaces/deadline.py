"""A hard time limit on SymPy work, in whatever thread it runs.

SymPy has no way to cancel a computation, and one call (a derivative, a common-subexpression
elimination, a LaTeX print) can run for minutes on a hostile formula. A check between stages is
not enough: the stage itself must be interruptible. :class:`time_limit` starts a watchdog thread
that, once the limit has passed, raises an exception *inside* the working thread at its next
Python bytecode (CPython's ``PyThreadState_SetAsyncExc``). It works in the main thread and in a
Qt worker thread alike, costs nothing while the work finishes in time, and turns an overrun into
a :class:`~surfaces.errors.FormulaError`.

The exception derives from :class:`BaseException`, so SymPy's many ``except Exception`` blocks
do not swallow it; the watchdog repeats it every quarter second until the block has exited, in
case something catches it anyway. CPython only (``ctypes.pythonapi``), as Downhill is.

Use::

    with time_limit(5.0, "differentiating the formula"):
        gradient = sympy.diff(expression, x)
"""

from __future__ import annotations

import ctypes
import threading

from surfaces.errors import FormulaError

#: Seconds between repeated interruptions once the limit has passed (long beside the microseconds
#: the working thread needs to disarm the watchdog, so a repeat cannot land in that clean-up).
_REPEAT = 0.25


class _TimeUp(BaseException):
    """Raised asynchronously in the working thread when its time is up (never seen outside)."""


def _set_async_exception(thread_id: int, exception: type[BaseException] | None) -> None:
    # None clears a pending exception (ctypes passes None as a NULL pointer).
    argument = ctypes.py_object(exception) if exception is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), argument)


class time_limit:  # noqa: N801 - used like a function: ``with time_limit(...):``
    """Run a ``with`` block under a hard limit of ``seconds``; past it, raise FormulaError.

    Args:
        seconds: wall-clock seconds the block may take (> 0).
        what: the work, for the message, e.g. "differentiating the formula".

    Raises:
        FormulaError: "the formula is too complex: <what> took longer than <seconds> s".
    """

    def __init__(self, seconds: float, what: str):
        self.seconds = float(seconds)
        self.what = what
        self._lock = threading.Lock()
        self._armed = False
        self._fired = False
        self._stopped = threading.Event()
        self._thread_id = 0

    def __enter__(self) -> time_limit:
        self._thread_id = threading.get_ident()
        self._armed = True
        threading.Thread(target=self._watch, name="downhill-time-limit", daemon=True).start()
        return self

    def _watch(self) -> None:
        """The watchdog thread: once the limit has passed, interrupt until disarmed."""
        if self._stopped.wait(self.seconds):
            return
        while True:
            with self._lock:
                if not self._armed:
                    return
                self._fired = True
                _set_async_exception(self._thread_id, _TimeUp)
            if self._stopped.wait(_REPEAT):
                return

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        # Disarm first; an interruption arriving meanwhile is caught and the disarming retried.
        # Once disarmed, a still-pending interruption is cleared, so none can escape the block.
        while True:
            try:
                with self._lock:
                    self._armed = False
                    fired = self._fired
                self._stopped.set()
                if fired:
                    _set_async_exception(self._thread_id, None)
                break
            except _TimeUp:
                continue
        if fired:
            raise FormulaError(f"the formula is too complex: {self.what} took longer than {self.seconds:g} s",
                               column=1) from None
        return False
