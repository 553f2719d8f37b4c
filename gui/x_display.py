"""Whether an X server answers at a ``DISPLAY`` name, found out before Qt starts (no Qt import here).

Why: given a ``DISPLAY`` where no X server listens (``DISPLAY=:99`` with nothing behind it), Qt's
xcb platform plugin prints seven lines suggesting a missing library and aborts the process
(status 134). The app instead connects, before Qt starts, to where libxcb would connect
(``xcb_util.c``: ``_xcb_parse_display`` and ``_xcb_open``), and says in one line what is wrong:

- ``[PROTOCOL/][HOST]:DISPLAY[.SCREEN]``. An empty host, or ``unix``, is this machine: the Unix
  socket ``/tmp/.X11-unix/X<DISPLAY>`` (on Linux the X server also listens on that name in the
  abstract namespace), then, for an empty host without a protocol, TCP on ``localhost``. Any other
  host: TCP port 6000 + DISPLAY (``[::1]`` for an IPv6 address).
- A name starting with ``/`` is the path of the socket itself (optionally followed by ``.SCREEN``).

Only a connection is made; no X protocol is spoken, so a server that refuses this client (its
authorisation) is left for Qt to report. A socket that does not exist, a refused connection or an
unknown host is a definite "nobody there"; a host that does not answer within
:data:`CONNECT_TIMEOUT` seconds, or any other failure, is given the benefit of the doubt.
"""

from __future__ import annotations

import os
import re
import socket
import sys

#: X servers listen on TCP port 6000 + the display number.
X_TCP_PORT = 6000
#: Where a local X server's socket is, followed by the display number.
UNIX_SOCKET_BASE = "/tmp/.X11-unix/X"
#: Seconds to wait for a TCP connection before giving the server the benefit of the doubt.
CONNECT_TIMEOUT = 2.0

_DISPLAY_AND_SCREEN = re.compile(r"(\d+)(?:\.(\d+))?")
_TCP_PROTOCOLS = (None, "tcp", "inet", "inet6")


def x_server_problem(name: str) -> str:
    """A one-line explanation when no X server answers at display ``name``, or "" when one does
    (or when it cannot be told: then Qt has the last word)."""
    endpoints = x_server_endpoints(name)
    if endpoints is None:
        return f"DISPLAY {name!r} is not an X display name (such as :0 or host:0.0)"
    if any(_answers(family, address) is not False for family, address in endpoints):
        return ""
    places = " or ".join(dict.fromkeys(_describe(family, address) for family, address in endpoints))
    return f"no X server answers at DISPLAY {name!r} (nothing listens at {places})"


def x_server_endpoints(name: str) -> list[tuple[socket.AddressFamily, object]] | None:
    """Where an X server of display ``name`` listens, in the order libxcb tries them: (family,
    address) pairs (AF_UNIX with a path, AF_INET with (host, port)); None if ``name`` is not a
    display name libxcb connects to (no ':DISPLAY', or a protocol other than unix, tcp, inet, inet6)."""
    if name.startswith("/"):
        return [(socket.AF_UNIX, _socket_path(name))]
    protocol, _, rest = name.rpartition("/")
    host, colon, numbers = rest.rpartition(":")
    match = _DISPLAY_AND_SCREEN.fullmatch(numbers)
    if not colon or match is None:
        return None
    display = int(match.group(1))
    protocol = protocol or None
    endpoints: list[tuple[socket.AddressFamily, object]] = []
    if protocol == "unix" or host in ("", "unix"):
        if protocol not in (None, "unix"):
            return None
        path = f"{UNIX_SOCKET_BASE}{display}"
        if sys.platform.startswith("linux"):
            endpoints.append((socket.AF_UNIX, "\0" + path))
        endpoints.append((socket.AF_UNIX, path))
        if protocol is None and host == "":
            endpoints.append((socket.AF_INET, ("localhost", X_TCP_PORT + display)))
        return endpoints
    if protocol not in _TCP_PROTOCOLS:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return [(socket.AF_INET, (host, X_TCP_PORT + display))]


def _socket_path(name: str) -> str:
    """The socket path of a display name that starts with '/': the name, or the name without a
    '.SCREEN' suffix when only that exists."""
    head, dot, screen = name.rpartition(".")
    if not os.path.exists(name) and dot and screen.isdigit() and os.path.exists(head):
        return head
    return name


def _answers(family: socket.AddressFamily, address: object) -> bool | None:
    """True if something accepts a connection there, False if definitely nothing does, None if it
    cannot be told (no answer in time, no permission, ...)."""
    try:
        if family == socket.AF_UNIX:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(CONNECT_TIMEOUT)
                connection.connect(address)
        else:
            socket.create_connection(address, timeout=CONNECT_TIMEOUT).close()
    except (FileNotFoundError, ConnectionRefusedError, socket.gaierror):
        return False
    except OSError:  # a timeout, a permission, a full backlog: perhaps a server is there
        return None
    return True


def _describe(family: socket.AddressFamily, address: object) -> str:
    if family == socket.AF_UNIX:
        return str(address).lstrip("\0")
    host, port = address
    return f"{host} port {port}"
