"""Holding Ctrl+C back while a compiled call unboxes a NumPy Generator.

Numba turns a ``np.random.Generator`` argument into its native form by running Python code
(``ctypes.cast``, three times per generator) and does not check that call for an error. SIGINT's
Python handler runs at the main thread's next bytecode, which can be inside that code: the
KeyboardInterrupt it raises leaves numba reading a NULL pointer, and the process dies of a
segmentation fault (reproduced: Ctrl+C in ``main.py run`` on a 20 000-particle noisy swarm, about
one run in twenty, and every time with a timer sending SIGINT during the calls).

``with InterruptsHeld(): kernel(generator, ...)`` makes the main thread's SIGINT handler only note
the signal while the call runs; the handler that was there gets it as the call returns, so Ctrl+C
still stops the work at once. The handler is wrapped once (:class:`_Deferring`, re-wrapped if
someone installs another), so a call costs a few attribute reads rather than two
``signal.signal`` calls (about 10 us, a third of a 2 048-particle draw).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

try:  # the C function: signal.getsignal wraps it in enum conversions costing 2.4 us a call
    from _signal import getsignal as _getsignal
except ImportError:  # pragma: no cover (another Python implementation)
    _getsignal = signal.getsignal

_MAIN_THREAD = threading.main_thread().ident
_SIGINT = int(signal.SIGINT)


class _Deferring:
    """SIGINT's Python handler, wrapping the one it replaced: passed on at once, or held while
    ``depth`` > 0 and passed on when it returns to 0."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.depth = 0
        self.caught: tuple[int, FrameType | None] | None = None

    def __call__(self, number: int, frame: FrameType | None) -> None:
        if self.depth:
            self.caught = (number, frame)
        else:
            self.inner(number, frame)


class InterruptsHeld:
    """Context manager: SIGINT's Python handler deferred to the end of the ``with`` body.

    Off the main thread it does nothing (Python runs signal handlers on the main thread only, so
    nothing can be raised there); so it does when SIGINT has no Python handler (ignored, or the
    default action, which stops the process without running Python code).
    """

    __slots__ = ("_handler",)

    def __enter__(self) -> InterruptsHeld:
        self._handler = None
        if threading.get_ident() != _MAIN_THREAD:
            return self
        handler = _getsignal(_SIGINT)
        if type(handler) is not _Deferring:
            if not callable(handler):
                return self
            handler = _Deferring(handler)
            signal.signal(_SIGINT, handler)
        handler.depth += 1
        self._handler = handler
        return self

    def __exit__(self, *_exception: object) -> None:
        handler = self._handler
        if handler is None:
            return
        handler.depth -= 1
        if handler.depth == 0 and handler.caught is not None:
            number, frame = handler.caught
            handler.caught = None
            handler.inner(number, frame)
