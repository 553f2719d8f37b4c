"""Set-up shared by every test directory.

Ctrl+C tests send a real SIGINT to a child process and expect what a user at a terminal gets. A
shell starts a background job (``./test.sh &``, a CI runner's detached step) with SIGINT ignored,
and an ignored signal stays ignored across exec: every child would then ignore Ctrl+C, Python
would install no KeyboardInterrupt handler, and those tests would hang until their timeouts
(leaving an encoder child running). Catching SIGINT here, as an interactive pytest does, gives
each child SIGINT's default disposition again (a caught signal is reset to the default by exec).

Every child process started through child_processes.popen is killed at the end of its test if it
still runs (``no_child_left_running``).

Hypothesis draws the same examples on every run (``derandomize``): a CI run passes or fails on
the code, not on the draw. ``HYPOTHESIS_PROFILE=explore`` draws new ones, to hunt for cases.
"""

from __future__ import annotations

import os
import signal

import pytest
from child_processes import reap
from hypothesis import settings

settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config) -> None:  # noqa: ARG001 (pytest's hook signature)
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def no_child_left_running():
    """A test that failed leaves no child process going on behind it (see child_processes)."""
    yield
    reap()
