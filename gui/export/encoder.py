"""The clip writer: RGB frames in, an MP4, WebM, GIF or numbered PNG sequence out (PyAV; no Qt).

    with ClipWriter("clip.mp4", "mp4", width=1280, height=720, fps=30, quality="normal") as writer:
        for frame in frames:          # each (720, 1280, 3) uint8, RGB
            writer.write(frame)
    # leaving the block normally calls close(): the file appears under its name, whole

- **Formats** are rows of :data:`CLIP_FORMATS` (gui.export.formats, which encodes each): H.264
  MP4 (yuv420p, BT.709, ``+faststart``), VP9 WebM, looping GIF with one palette over every frame,
  and a directory of ``frame_00000.png`` ...; quality presets ``draft``/``normal``/``high``.
- **Overlap**: frames go through a bounded queue to a worker thread that converts and encodes
  them, so the caller renders frame k + 1 while frame k is encoded. A full queue blocks the caller
  (memory stays bounded). An error in the worker (disk full, an encoder failure) is raised as a
  :class:`DownhillError` from the caller's next ``write`` or from ``close``.
- **Atomic**: everything is written under a hidden temporary name in the target's own directory
  and renamed into place once complete. ``cancel()``, an exception or KeyboardInterrupt inside
  the ``with`` block, or an encoder failure leave no partial file under the final name and no
  temporary file. A GIF's frames wait for the palette in an anonymous file (deleted by the
  system even if the process dies).
- **Deterministic**: the same frames give byte-identical files on the same machine (fixed encoder
  threads, FFmpeg's ``bitexact`` flags: see gui.export.formats).
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from gui.export.formats import (
    CLIP_FORMATS,
    QUALITIES,
    ClipFormat,
    Sink,
    even_size,
    holds_only_frames,
    make_sink,
)
from surfaces.errors import DownhillError

__all__ = ["CLIP_FORMATS", "QUALITIES", "ClipFormat", "ClipWriter", "even_size", "holds_only_frames"]

QUEUE_FRAMES = 4
"""Frames waiting for the encoder at most: enough to ride out a slow frame, 11 MB at 1280x720."""

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once at import: mkstemp makes 0600 files, a finished clip gets the usual mode

_END = object()
_LIVE: weakref.WeakSet[ClipWriter] = weakref.WeakSet()


class ClipWriter:
    """Writes one clip from RGB frames; see the module's docstring.

    One thread writes and closes; ``cancel()`` may also come from another thread while ``close()``
    runs (a dialog closes on a thread and cancels from its event loop): it stops the final pass.

    Args:
        path: the final file (``.mp4``, ``.webm``, ``.gif``) or directory (PNG sequence).
        format_name: a key of :data:`CLIP_FORMATS`.
        width, height: the frame size in pixels (even for mp4 and webm: the caller rounds).
        fps: frames per second (1 .. the format's max_fps).
        quality: one of :data:`QUALITIES`.
        temporary_dir: where the temporary target is made (default: the target's directory); it
            must be on the target's file system (the rename is atomic). The dialog's child process
            passes a directory the dialog made, so that the dialog can remove what a killed child left.

    The temporary target is created at once (an unwritable directory fails here, before rendering).
    """

    def __init__(self, path: str | os.PathLike[str], format_name: str, *, width: int, height: int, fps: int,
                 quality: str = "normal", queue_frames: int = QUEUE_FRAMES,
                 temporary_dir: str | os.PathLike[str] | None = None):
        if format_name not in CLIP_FORMATS:
            raise DownhillError(f"unknown clip format '{format_name}'; the formats are {', '.join(CLIP_FORMATS)}")
        if quality not in QUALITIES:
            raise DownhillError(f"unknown quality '{quality}'; the qualities are {', '.join(QUALITIES)}")
        clip = CLIP_FORMATS[format_name]
        if width < 1 or height < 1 or (clip.even_size and (width % 2 or height % 2)):
            raise DownhillError(f"{clip.title} needs an even width and height; {width}x{height} is not")
        if not 1 <= fps <= clip.max_fps:
            raise DownhillError(f"{clip.title} plays 1 to {clip.max_fps} frames per second; {fps} is out of range")
        self.path = Path(path)
        self._temporary_dir = Path(temporary_dir) if temporary_dir is not None else None
        self.format = clip
        self.width, self.height, self.fps = width, height, fps
        self.frames_written = 0  # frames handed to write()
        self._error: BaseException | None = None
        self._error_frame = 0
        self._encoded = 0
        self._cancelled = threading.Event()
        self._state = "open"
        self._settled = threading.Event()  # set when close() has ended, one way or the other
        self._sink: Sink = make_sink(clip.name, width, height, fps, quality)
        self._sink.cancelled = self._cancelled
        self._temporary = self._make_temporary()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_frames))
        self._worker = threading.Thread(target=self._work, name=f"clip encoder {self.path.name}", daemon=True)
        _LIVE.add(self)
        self._worker.start()

    def _make_temporary(self) -> Path:
        """Create the hidden temporary file or directory beside the target (same file system: rename is atomic)."""
        parent = self._temporary_dir if self._temporary_dir is not None else self.path.parent
        prefix = f".{self.path.name}."
        if self.format.directory and self.path.exists() and not (self.path.is_dir() and holds_only_frames(self.path)):
            raise DownhillError(f"{self.path} exists and holds other files than frame_NNNNN.png; give a new or "
                                "empty directory for the PNG sequence")
        try:
            if self.format.directory:
                return Path(tempfile.mkdtemp(prefix=prefix, suffix=".part", dir=parent))
            handle, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=parent)
            os.close(handle)
            return Path(name)
        except OSError as error:
            raise DownhillError(f"cannot write in {parent}: {error.strerror or error}") from None

    # ------------------------------------------------------------------------------------ worker thread

    def _work(self) -> None:
        sink = self._sink
        finishing = False
        try:
            sink.open(self._temporary)
            while True:
                item = self._queue.get()
                if item is _END:
                    finishing = True
                    sink.finish()
                    return
                if item is None or self._cancelled.is_set():
                    sink.abort()
                    return
                sink.add(item)
                self._encoded += 1
        except BaseException as error:  # noqa: BLE001 (handed to the caller's thread, which raises it)
            self._error_frame = self._encoded
            self._error = error
            sink.abort()
            if finishing:  # the caller is waiting for this thread to end, and sends nothing more
                return
            # Keep taking frames so that a caller blocked on a full queue wakes up and sees the error.
            while True:
                item = self._queue.get()
                if item is _END or item is None:
                    return

    # ------------------------------------------------------------------------------------ caller's thread

    def write(self, frame: np.ndarray) -> None:
        """Queue one frame, shape (height, width, 3), dtype uint8, RGB. Copied: the caller may reuse its buffer.

        Blocks while the queue is full. Raises DownhillError if the encoder has failed (the
        temporary output is then already removed).
        """
        if self._state != "open":
            raise RuntimeError(f"the clip writer for {self.path} is {self._state}")
        self._raise_worker_error()
        array = np.asarray(frame)
        if array.dtype != np.uint8 or array.shape != (self.height, self.width, 3):
            raise ValueError(f"a frame must be ({self.height}, {self.width}, 3) uint8 RGB; "
                             f"got {array.shape} {array.dtype}")
        self._put(np.array(array, order="C", copy=True))
        self.frames_written += 1

    def _put(self, item: Any) -> None:
        # A timed wait, so Ctrl+C reaches the caller even while the queue is full.
        while True:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                self._raise_worker_error()

    def _raise_worker_error(self) -> None:
        if self._error is None:
            return
        error = self._error
        self._discard()
        self._state = "failed"
        detail = error.message if isinstance(error, DownhillError) else (str(error) or type(error).__name__)
        if isinstance(error, OSError) and error.strerror:
            detail = error.strerror
        raise DownhillError(f"writing {self.path} failed at frame {self._error_frame}: {detail}; "
                            "nothing was written") from error

    def close(self) -> Path:
        """Finish encoding, then move the clip into place under its name. Returns the final path.

        Raises DownhillError if the encoder failed or the rename fails (nothing is left behind).
        """
        if self._state == "closed":
            return self.path
        if self._state != "open":
            raise RuntimeError(f"the clip writer for {self.path} is {self._state}")
        self._state = "closing"
        try:
            if self.frames_written == 0:
                raise DownhillError(f"{self.path}: no frames were written; a clip needs at least one")
            self._put(_END)
            self._join()
            if self._cancelled.is_set():  # cancel() came from another thread during the final pass
                raise DownhillError(f"{self.path}: the export was cancelled; nothing was written")
            self._raise_worker_error()
            self._place()
        except BaseException:
            if self._state == "closing":
                self._discard()
                self._state = "cancelled" if self._cancelled.is_set() else "failed"
            self._settled.set()
            raise
        self._state = "closed"
        self._settled.set()
        _LIVE.discard(self)
        return self.path

    def _join(self) -> None:
        # Timed joins keep Ctrl+C deliverable during a long final pass (a GIF's palette use).
        while self._worker.is_alive():
            self._worker.join(timeout=0.1)

    def _place(self) -> None:
        """Rename the complete temporary target to the final name."""
        try:
            os.chmod(self._temporary, (0o777 if self.format.directory else 0o666) & ~_UMASK)
            if not self.format.directory:
                os.replace(self._temporary, self.path)
                return
            if not self.path.exists():
                os.rename(self._temporary, self.path)
                return
            if not (self.path.is_dir() and holds_only_frames(self.path)):
                raise DownhillError(f"{self.path} now holds other files than frame_NNNNN.png; the frames are "
                                    "not written over it")
            # Swap the old frames out first: a reader never sees a mix of old and new frames.
            old = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", suffix=".old", dir=self.path.parent))
            os.rmdir(old)
            os.rename(self.path, old)
            os.rename(self._temporary, self.path)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as error:
            raise DownhillError(f"cannot put the clip at {self.path}: {error.strerror or error}") from None

    def cancel(self) -> bool:
        """Stop: drop queued frames, stop the worker, remove the temporary output. Safe to call twice.

        From another thread while close() runs, it stops the final pass and waits for close() to end.
        Returns False if the clip was already complete (closed: the file stays), else True.
        """
        self._cancelled.set()
        if self._state == "closing":
            self._settled.wait()
        if self._state == "closed":
            return False
        if self._state in ("cancelled", "failed"):
            return True
        self._state = "cancelled"
        self._discard()
        return True

    def _discard(self) -> None:
        """Stop the worker and delete the temporary target (the final name was never touched)."""
        self._cancelled.set()
        while True:  # empty the queue so the stop marker fits and the worker sees it next
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._join()
        if self._temporary.is_dir():
            shutil.rmtree(self._temporary, ignore_errors=True)
        else:
            try:
                os.unlink(self._temporary)
            except FileNotFoundError:
                pass
        _LIVE.discard(self)

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: Any) -> None:
        if kind is None:
            self.close()
        else:
            self.cancel()


@atexit.register
def _remove_abandoned() -> None:
    """A writer neither closed nor cancelled when the interpreter exits leaves no temporary file."""
    for writer in list(_LIVE):
        writer.cancel()
