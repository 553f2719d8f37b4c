"""physics.compiled.prune_stale_caches: the kernel cache folders of old physics sources do not pile up.

The cache folder's key changes with every edit of a physics source; the folders of other keys
that no process has used for a day are deleted, and nothing else in the folder is touched.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import physics.compiled
from physics.compiled import STALE_AFTER, prune_stale_caches

NOW = 1_900_000_000.0


def _folder(parent: Path, name: str, age: float) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "kernel.nbi").write_bytes(b"index")
    os.utime(folder, (NOW - age, NOW - age))
    return folder


def test_only_stale_kernel_folders_of_other_keys_go(tmp_path: Path) -> None:
    current = _folder(tmp_path, "numba-0123456789abcdef", age=10 * STALE_AFTER)  # (its own: never)
    stale = [_folder(tmp_path, f"numba-{digit * 16}", age=STALE_AFTER + 60) for digit in "ab"]
    in_use = _folder(tmp_path, "numba-cccccccccccccccc", age=60)  # another checkout, started a minute ago
    others = [_folder(tmp_path, name, age=10 * STALE_AFTER)
              for name in ("numba-0123", "numba-0123456789ABCDEF", "numba-0123456789abcdef0", "keep-me")]
    (tmp_path / "numba-dddddddddddddddd").write_text("a file, not a folder Numba made")
    target = _folder(tmp_path, "elsewhere", age=10 * STALE_AFTER)
    (tmp_path / "numba-eeeeeeeeeeeeeeee").symlink_to(target)

    removed = prune_stale_caches(current, now=NOW)

    assert sorted(removed) == sorted(stale)
    assert not any(folder.exists() for folder in stale)
    assert current.exists() and in_use.exists() and all(folder.exists() for folder in others)
    assert (tmp_path / "numba-dddddddddddddddd").is_file() and (target / "kernel.nbi").exists()


def test_a_folder_that_cannot_go_or_is_already_gone_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    current = _folder(tmp_path, "numba-0123456789abcdef", age=0)
    locked = _folder(tmp_path, "numba-aaaaaaaaaaaaaaaa", age=2 * STALE_AFTER)
    raced = _folder(tmp_path, "numba-bbbbbbbbbbbbbbbb", age=2 * STALE_AFTER)
    stale = _folder(tmp_path, "numba-cccccccccccccccc", age=2 * STALE_AFTER)
    remove = shutil.rmtree

    def rmtree(path: Path, *args: object, **kwargs: object) -> None:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        if Path(path) == raced:  # another process pruned it between the listing and here
            remove(path)
        remove(path)

    monkeypatch.setattr(physics.compiled.shutil, "rmtree", rmtree)
    assert prune_stale_caches(current, now=NOW) == [stale]
    assert locked.exists() and not raced.exists() and not stale.exists()
    assert prune_stale_caches(tmp_path / "missing" / "numba-0123456789abcdef", now=NOW) == []


def test_the_folder_in_use_is_marked_as_used_at_import(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    downhill = tmp_path / "downhill"
    old = _folder(downhill.parent, "downhill", age=0) / "numba-ffffffffffffffff"
    old.mkdir()
    os.utime(old, (0, 0))
    script = "import numba, physics.compiled; print(numba.config.CACHE_DIR)"
    result = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    folder = Path(result.stdout.strip())
    assert folder.parent == downhill and folder.exists()
    assert abs(folder.stat().st_mtime - time.time()) < 60
    assert not old.exists()  # (last used in 1970)
