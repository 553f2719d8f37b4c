"""Child processes the tests start: each one is killed at the end of its test if it still runs.

A test that fails (an assertion, a timeout) before its child ends would otherwise leave it going
on behind it: a long run or an encoder taking minutes of processor time the rest of the suite
shares. ``popen`` starts and records a process; tests/conftest.py reaps them after every test.
(tests/ is on sys.path through its conftest, so any test module imports this one.)
"""

from __future__ import annotations

import subprocess

#: The processes the running test started.
_started: list[subprocess.Popen] = []


def popen(command: list[str], **options) -> subprocess.Popen:
    """subprocess.Popen, the process killed at the end of the test if it still runs."""
    process = subprocess.Popen(command, **options)
    _started.append(process)
    return process


def reap() -> None:
    """Kill every recorded process still running, and wait for each."""
    while _started:
        process = _started.pop()
        if process.poll() is None:
            process.kill()
        process.wait()
