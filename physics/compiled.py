"""Compiled loops over particles: the one decorator every Numba kernel of physics/ is made with.

A large swarm's step is bound by memory traffic, not arithmetic: a chain of NumPy operations
reads and writes every (N,) array once per operation, and on this kind of machine a second thread
streaming its own arrays slows each pass two-fold. A kernel makes one pass: it reads each input
once, keeps the temporaries in registers, and writes each output once (measured on 100 000
particles: the eigen-decomposition 0.1 ms instead of 0.8, and the same again on a busy machine).

Kernels stay small. A loop streaming many arrays at once measured slower than smaller loops
streaming fewer each: Adam's two coordinates in one loop (13 arrays) three times slower than one
loop per coordinate; the point kernel writing a seventh output slower inside a swarm's step,
though faster alone. And a loop doing the work of several cannot be vectorised when one of them
branches (the regime's rules).

Kernels are plain loops over scalars, compiled by Numba with IEEE semantics (no fast-math, so
no reassociation and no fused multiply-add: the same operations in the same order give the same
bits as NumPy), NumPy's error model (x / 0 is inf or NaN, never an exception), the GIL released
(so the helper thread's kernels run beside the main thread's), and the machine code cached on
disk beside the module: a process pays the compilation once per kernel and machine (about half
a second each), later processes load it in milliseconds.

The cache lives in the user's cache folder ($XDG_CACHE_HOME or ~/.cache, then
downhill/numba-<key>), keyed by a hash of every physics source file and the Numba version.
Numba checks only the source file of the kernel it loads, not those of the kernels it calls (the
eigen-decomposition and the regime rules are called from the step's fused kernel in another
module): keying the whole cache by all sources means that any change recompiles everything. The
folders of other keys are deleted once unused for a day (prune_stale_caches).

Compiling or loading every kernel ahead of a run is physics.warm_up's job.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numba

F = TypeVar("F", bound=Callable[..., object])


def kernel(function: F) -> F:
    """Compile ``function`` (a loop over scalars and 1-D arrays) with the settings above."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(function)  # type: ignore[return-value]


def inlined(function: F) -> F:
    """Compile ``function`` (a function of scalars that kernels call per particle) to be inlined
    into each kernel that calls it: measured, a loop calling the regime rules runs 1.6 times
    faster inlined than calling them."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")(function)  # type: ignore[return-value]


#: The cache folders' names: "numba-" and 16 hexadecimal digits of the key (see the module docstring).
_FOLDER_NAME = re.compile(r"numba-[0-9a-f]{16}")
#: A cache folder no process has used for this long (seconds) is stale and deleted.
STALE_AFTER = 24 * 3600.0


def _cache_folder() -> Path:
    """The cache folder of this physics source and Numba version (see the module docstring)."""
    digest = hashlib.sha256(numba.__version__.encode())
    package = Path(__file__).resolve().parent
    for source in sorted(package.rglob("*.py")):
        digest.update(source.relative_to(package).as_posix().encode())
        digest.update(source.read_bytes())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "downhill" / f"numba-{digest.hexdigest()[:16]}"


def prune_stale_caches(current: Path, now: float | None = None) -> list[Path]:
    """Delete the cache folders beside ``current`` that no process has used for STALE_AFTER seconds;
    the folders deleted.

    Why: the key changes with every edit of a physics source, so each edit would leave a folder
    behind for good. Only folders named numba-<16 hex> other than ``current`` are touched
    (anything else there is someone else's). A folder's last use is its modification time, which
    each process sets on its own folder as it starts (_use_cache_folder): a folder another
    checkout or version of Downhill is using now is fresh and stays, so two of them never delete
    each other's kernels mid-run. A folder that vanishes meanwhile (another process pruning too)
    or that this user may not delete is left as it is.
    """
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(current.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name == current.name or not _FOLDER_NAME.fullmatch(entry.name):
            continue
        try:
            status = entry.lstat()
            if not stat.S_ISDIR(status.st_mode) or now - status.st_mtime < STALE_AFTER:
                continue  # (a symbolic link or a file is not a folder Numba made)
            shutil.rmtree(entry)
        except OSError:
            continue  # (a race with another process, or no permission: tried again at the next start)
        removed.append(entry)
    return removed


def _use_cache_folder() -> None:
    folder = _cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # (no writable home: Numba's own choice, beside the sources or nowhere)
    if os.access(folder, os.W_OK):
        numba.config.CACHE_DIR = str(folder)
        try:
            os.utime(folder)  # (its last use, which keeps it from other processes' pruning)
        except OSError:
            pass
        prune_stale_caches(folder)


_use_cache_folder()
