"""A DISPLAY with no X server behind it: one line and status 2, not Qt's abort (gui.x_display,
gui.app.display_problem).

The X servers here are plain listening sockets at the addresses an X server listens on (the Unix
socket /tmp/.X11-unix/X<n>, here in Linux's abstract namespace so that no file is made; TCP port
6000 + n; a socket file named by a path); display numbers from 4000 up are checked to be free
first, independently of the code under test.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui.app import display_problem
from gui.x_display import x_server_endpoints

ROOT = Path(__file__).resolve().parents[2]
LINUX = sys.platform.startswith("linux")


def refused(family: socket.AddressFamily, address: object) -> bool:
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(address)
        except (ConnectionRefusedError, FileNotFoundError):
            return True
        return False


def free_display() -> int:
    """A display number no X server uses (no socket file, nothing on its abstract name or its TCP port)."""
    for number in range(4000, 4400):
        path = f"/tmp/.X11-unix/X{number}"
        if not os.path.exists(path) and refused(socket.AF_UNIX, "\0" + path) \
                and refused(socket.AF_INET, ("127.0.0.1", 6000 + number)):
            return number
    pytest.skip("no free display number")


@contextlib.contextmanager
def listening(family: socket.AddressFamily, address: object) -> Iterator[None]:
    """Something that accepts connections at ``address`` (an X server, as far as a connection can tell)."""
    with socket.socket(family, socket.SOCK_STREAM) as server:
        server.bind(address)
        server.listen()
        yield


@pytest.mark.skipif(not LINUX, reason="the abstract socket namespace is Linux's")
def test_a_display_whose_x_server_listens_can_open_a_window() -> None:
    number = free_display()
    with listening(socket.AF_UNIX, f"\0/tmp/.X11-unix/X{number}"):
        for name in (f":{number}", f":{number}.0", f"unix:{number}", f"unix/:{number}"):
            assert display_problem({"DISPLAY": name}, "linux") == "", name
    problem = display_problem({"DISPLAY": f":{number}"}, "linux")
    assert problem.startswith(f"no X server answers at DISPLAY ':{number}'")
    assert f"/tmp/.X11-unix/X{number}" in problem and f"port {6000 + number}" in problem
    assert "xvfb-run" in problem and "QT_QPA_PLATFORM=offscreen" in problem and "\n" not in problem


def test_a_display_on_tcp_is_found_on_its_port() -> None:
    number = free_display()
    with listening(socket.AF_INET, ("127.0.0.1", 6000 + number)):
        for name in (f"127.0.0.1:{number}", f"tcp/127.0.0.1:{number}.0", f":{number}"):  # ':n' falls back to TCP
            assert display_problem({"DISPLAY": name}, "linux") == "", name
    assert f"127.0.0.1 port {6000 + number}" in display_problem({"DISPLAY": f"127.0.0.1:{number}"}, "linux")
    assert display_problem({"DISPLAY": f"unix:{number}"}, "linux") != ""  # 'unix' never tries TCP


def test_a_socket_file_left_behind_by_a_stopped_server_is_no_display(tmp_path: Path) -> None:
    path = tmp_path / "X0"
    with listening(socket.AF_UNIX, str(path)):
        assert display_problem({"DISPLAY": str(path)}, "linux") == ""
        assert display_problem({"DISPLAY": f"{path}.0"}, "linux") == ""  # a screen number after the path
    assert path.exists()  # the file stays, as a crashed server's does: connecting to it is refused
    assert f"nothing listens at {path}" in display_problem({"DISPLAY": str(path)}, "linux")


def test_wayland_and_headless_platforms_need_no_x_server() -> None:
    dead = f":{free_display()}"
    assert display_problem({"DISPLAY": dead, "WAYLAND_DISPLAY": "wayland-0"}, "linux") == ""
    for platform in ("offscreen", "minimal", "offscreen:fontengine=freetype", "wayland", "wayland;xcb"):
        assert display_problem({"DISPLAY": dead, "QT_QPA_PLATFORM": platform}, "linux") == "", platform
    # Told to use X, X must answer, Wayland or not.
    assert display_problem({"DISPLAY": dead, "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"},
                           "linux") != ""
    assert display_problem({"DISPLAY": dead}, "darwin") == ""


def test_display_names_are_read_as_libxcb_reads_them() -> None:
    # xcb_util.c: [protocol/][host]:display[.screen]; empty host or 'unix': the Unix socket (then TCP
    # on localhost for an empty host without protocol); another host: TCP port 6000 + display.
    unix = [(socket.AF_UNIX, "\0/tmp/.X11-unix/X3")] if LINUX else []
    unix.append((socket.AF_UNIX, "/tmp/.X11-unix/X3"))
    assert x_server_endpoints(":3") == [*unix, (socket.AF_INET, ("localhost", 6003))]
    assert x_server_endpoints("unix:3.1") == unix
    assert x_server_endpoints("localhost:10.0") == [(socket.AF_INET, ("localhost", 6010))]
    assert x_server_endpoints("inet6/[::1]:2") == [(socket.AF_INET, ("::1", 6002))]
    for name in ("garbage", ":", ":x", "host:1.", "decnet/host:0"):
        assert x_server_endpoints(name) is None, name
    assert "is not an X display name" in display_problem({"DISPLAY": "garbage"}, "linux")


def test_the_app_on_a_display_with_no_x_server_says_so_in_one_line(tmp_path: Path) -> None:
    # Before: Qt's xcb plugin printed seven lines about a missing library and aborted (status 134).
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    environment.update(DISPLAY=f":{free_display()}", DOWNHILL_CONFIG_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], env=environment, cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 2
    assert result.stderr.startswith("downhill: no X server answers at DISPLAY") and result.stderr.count("\n") == 1
    assert "xvfb-run" in result.stderr
