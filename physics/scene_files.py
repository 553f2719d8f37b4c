"""Scene files: saving a scene atomically, loading one defensively, and finding a scene by preset name or path.

Saving is atomic: the text goes to a temporary file in the same directory, is flushed to disk,
and replaces the target in one rename, so a crash never leaves half a scene. Loading refuses
anything but a regular file of at most MAX_SCENE_BYTES, then reads it as
physics.scene_reader does (every key, type and range checked; errors name the field).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from physics.preset_scenes import PRESET_SCENES
from physics.scene_reader import scene_from_json
from physics.scenes import MAX_SCENE_BYTES, Scene
from surfaces.errors import DownhillError, SceneError


def save_scene(scene: Scene, path: str | os.PathLike[str]) -> None:
    """Write the scene's JSON to ``path`` atomically (temporary file, fsync, rename)."""
    write_atomically(path, scene.to_json().encode("utf-8"), "scene")


def write_atomically(path: str | os.PathLike[str], text: bytes, what: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same directory, flushed to disk,
    then one rename over the target (and the directory synced), so a crash never leaves half a file.

    Raises:
        DownhillError: "cannot save the {what} ..." when the directory or file cannot be written.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as error:
        raise DownhillError(f"cannot save the {what} in {directory}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise DownhillError(f"cannot save the {what} to {target}: {error.strerror or error}") from None
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def load_scene(path: str | os.PathLike[str]) -> Scene:
    """Read and validate a scene file. Raises SceneError (unreadable, too large, or invalid)."""
    target = Path(path)
    data = read_bounded_file(target, "scene", MAX_SCENE_BYTES)
    try:
        return scene_from_json(data)
    except SceneError as error:
        raise SceneError(f"{target}: {error.message}", field=error.field, column=error.column) from None


def read_bounded_file(path: str | os.PathLike[str], what: str, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit`` + 1 read). Raises SceneError naming
    the path and ``what`` ("scene", "lesson") when it is not a regular file, over ``limit`` bytes, or
    unreadable."""
    target = Path(path)
    try:
        status = target.stat()
        # A FIFO, a device or a directory is refused before opening: opening a named pipe blocks forever.
        if not stat.S_ISREG(status.st_mode):
            raise SceneError(f"{target} is not a regular file; a {what} is a JSON file")
        size = status.st_size
        if size > limit:
            raise SceneError(f"{target} is {size} bytes; a {what} is at most {limit}")
        with open(target, "rb") as stream:
            return stream.read(limit + 1)
    except OSError as error:
        raise SceneError(f"cannot read the {what} {target}: {error.strerror or error}") from None


def resolve_scene(name_or_path: str) -> Scene:
    """A preset scene by name, or a scene file by path."""
    if name_or_path in PRESET_SCENES:
        return PRESET_SCENES[name_or_path]
    if os.path.exists(name_or_path):
        return load_scene(name_or_path)
    raise SceneError(f"no preset scene or file named '{name_or_path}'; the preset scenes are "
                     f"{', '.join(PRESET_SCENES)}")
