"""Ctrl+C while a compiled call unboxes a NumPy Generator (physics.interrupt_guard).

Numba ran ``ctypes.cast`` unchecked while unboxing a Generator: a KeyboardInterrupt raised there
crashed the process with a segmentation fault (``main.py run`` on a 20 000-particle noisy swarm,
Ctrl+C: about one run in twenty). The guard defers SIGINT's handler to the end of the call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from physics.interrupt_guard import InterruptsHeld
from physics.noise import COMPILED_DRAW_POINTS, NoiseStream, add_gaussian_noise

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def default_sigint():
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _interrupt_self() -> None:
    os.kill(os.getpid(), signal.SIGINT)
    for _ in range(1000):  # bytecodes: Python runs the handler at one of them
        pass


def test_an_interrupt_inside_is_raised_when_the_body_ends(default_sigint) -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with InterruptsHeld():
            _interrupt_self()
            reached.append("the rest of the body")
    assert reached == ["the rest of the body"]
    # Outside, it is raised at once; nested holds pass it on at the outermost end.
    with pytest.raises(KeyboardInterrupt):
        _interrupt_self()
        reached.append("never")
    with pytest.raises(KeyboardInterrupt):
        with InterruptsHeld():
            with InterruptsHeld():
                _interrupt_self()
            reached.append("outer body")
    assert reached == ["the rest of the body", "outer body"]


def test_a_handler_installed_later_is_wrapped_and_still_called(default_sigint) -> None:
    calls = []
    with InterruptsHeld():
        pass
    signal.signal(signal.SIGINT, lambda number, _frame: calls.append(number))  # (as the app's own)
    with InterruptsHeld():
        _interrupt_self()
        assert calls == []
    assert calls == [signal.SIGINT]
    _interrupt_self()
    assert calls == [signal.SIGINT, signal.SIGINT]


def test_off_the_main_thread_the_hold_does_nothing(default_sigint) -> None:
    seen = []

    def work() -> None:
        with InterruptsHeld() as held:
            seen.append(held._handler)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [None]


def test_the_compiled_draw_gives_the_same_numbers_under_the_guard() -> None:
    n = COMPILED_DRAW_POINTS
    gradient = np.linspace(-1.0, 1.0, 2 * n).reshape(n, 2)
    first = add_gaussian_noise(gradient, 0.3, NoiseStream([np.random.default_rng(1), np.random.default_rng(2)], n))
    drawn = NoiseStream([np.random.default_rng(1), np.random.default_rng(2)], n).draw()
    np.testing.assert_allclose(first, gradient + 0.3 * drawn, rtol=0, atol=1e-15)


#: Interrupts every 130 us while the compiled draw runs, for about two seconds.
_STORM = """
import os, signal, sys
import numpy as np
from physics.noise import COMPILED_DRAW_POINTS, NoiseStream, add_gaussian_noise
n = 2 * COMPILED_DRAW_POINTS
stream = NoiseStream([np.random.default_rng(1), np.random.default_rng(2)], n)
gradient = np.zeros((n, 2))
add_gaussian_noise(gradient, 0.1, stream)
hits = 0
signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.00013)
for _ in range(40000):
    try:
        add_gaussian_noise(gradient, 0.1, stream)
    except KeyboardInterrupt:
        hits += 1
signal.setitimer(signal.ITIMER_REAL, 0)
signal.signal(signal.SIGINT, signal.SIG_IGN)
print(hits)
"""


def test_a_storm_of_interrupts_never_crashes_the_compiled_draw() -> None:
    result = subprocess.run([sys.executable, "-X", "faulthandler", "-c", _STORM], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    # An interrupt may land between the loop's bytecodes (a KeyboardInterrupt out of the loop):
    # what must never happen is the crash.
    assert result.returncode != -signal.SIGSEGV and "Segmentation fault" not in result.stderr, result.stderr[-2000:]


def test_ctrl_c_as_the_helper_thread_starts_leaves_no_thread_the_exit_would_wait_for(default_sigint,
                                                                                    monkeypatch) -> None:
    # The interrupt arrives just as the executor starts its thread (where it struck in a real run):
    # the thread must still be recorded for the interpreter's exit, which stops it; an unrecorded
    # one waited for work forever while the exit waited for it.
    from concurrent.futures import thread as futures_thread

    from physics import helper

    start = threading.Thread.start

    def start_then_interrupt(self, *arguments, **options):
        start(self, *arguments, **options)
        if self.name.startswith("downhill-helper"):
            _interrupt_self()

    monkeypatch.setattr(threading.Thread, "start", start_then_interrupt)
    monkeypatch.setattr(helper, "_executor", None)
    with pytest.raises(KeyboardInterrupt):
        helper.helper_thread()
    workers = [t for t in threading.enumerate() if t.name.startswith("downhill-helper")]
    assert workers and all(t in futures_thread._threads_queues for t in workers)
    executor = helper._executor
    assert executor is not None and executor.submit(lambda: 6 * 7).result(timeout=10) == 42
    executor.shutdown(wait=True)
