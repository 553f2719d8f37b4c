"""The clip writer: RGB frames in, an MP4, WebM, GIF or numbered PNG sequence out (PyAV; no Qt).

    with ClipWriter("clip.mp4", "mp4", width=1280, height=720, fps=30, quality="normal") as writer:
        for frame in frames:          # each (720, 1280, 3) uint8, RGB
            writer.write(frame)
    # leaving the block normally calls close(): the file appears under its name, whole

- **Formats** are rows of :data:`CLIP_FORMATS`: H.264 MP4 (yuv420p, BT.709, ``+faststart`` so the
  index comes before the data and a browser plays it while loading), VP9 WebM, GIF (one palette
  of 256 colours made by FFmpeg's ``palettegen`` over every frame, applied by ``paletteuse`` with
  dithering: no banding on a heat map; loops for ever) and a directory of ``frame_00000.png`` ...
  Quality presets ``draft``/``normal``/``high`` map to each codec's own knobs (CRF, preset,
  cpu-used, palette size and dither).
- **Overlap**: frames go through a bounded queue to a worker thread that converts and encodes
  them, so the caller renders frame k + 1 while frame k is encoded. A full queue blocks the caller
  (memory stays bounded). An error in the worker (disk full, an encoder failure) is raised as a
  :class:`DownhillError` from the caller's next ``write`` or from ``close``.
- **Atomic**: everything is written under a hidden temporary name in the target's own directory
  and renamed into place once complete. ``cancel()``, an exception or KeyboardInterrupt inside
  the ``with`` block, or an encoder failure leave no partial file under the final name and no
  temporary file. A GIF's frames wait for the palette in an anonymous file (deleted by the
  system even if the process dies).
- **Deterministic**: the same frames give byte-identical files on the same machine: fixed encoder
  thread counts, and FFmpeg's ``bitexact`` flags (no creation time, no random WebM segment UID,
  no library version strings).
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import shutil
import tempfile
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO

import av
import numpy as np

from surfaces.errors import DownhillError

QUALITIES = ("draft", "normal", "high")
FRAME_NAME = "frame_{:05d}.png"
FRAME_PATTERN = re.compile(r"frame_\d{5,}\.png")
QUEUE_FRAMES = 4
"""Frames waiting for the encoder at most: enough to ride out a slow frame, 11 MB at 1280x720."""

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once at import: mkstemp makes 0600 files, a finished clip gets the usual mode

ENCODER_THREADS = 2
"""Threads per encoder. Fixed (not 'auto', which depends on the machine's cores) so that the bytes
depend only on the frames; x264 and libvpx give identical output for an identical thread count."""


@dataclass(frozen=True)
class ClipFormat:
    """One way to write a clip.

    Attributes:
        name: the key (``mp4``, ``webm``, ``gif``, ``png``).
        suffix: the file extension, with its dot; empty for a directory of frames.
        title: words for a person (menus, messages).
        even_size: whether width and height must be even (4:2:0 chroma halves both).
        directory: whether the target is a directory of numbered PNG files.
        max_fps: the highest frame rate the format carries (a GIF's delays are whole 1/100 s,
            and browsers slow down any delay under 2/100 s).
    """

    name: str
    suffix: str
    title: str
    even_size: bool
    directory: bool
    max_fps: int


CLIP_FORMATS: Mapping[str, ClipFormat] = MappingProxyType({
    "mp4": ClipFormat("mp4", ".mp4", "H.264 MP4", even_size=True, directory=False, max_fps=120),
    "webm": ClipFormat("webm", ".webm", "VP9 WebM", even_size=True, directory=False, max_fps=120),
    "gif": ClipFormat("gif", ".gif", "GIF (looping)", even_size=False, directory=False, max_fps=50),
    "png": ClipFormat("png", "", "PNG sequence (a directory)", even_size=False, directory=True, max_fps=120),
})

# x264: CRF is constant perceived quality (lower is better, 23 is x264's own default); the preset
# trades encoding time for size at that quality. On the flat, synthetic frames of a clip 'veryfast'
# makes files as small as 'faster' at a higher rate (the encoder bounds a whole export's rate), and
# a 10 s 720p clip stays far under 5 MB.
_H264_QUALITY = {
    "draft": {"crf": "28", "preset": "superfast"},
    "normal": {"crf": "23", "preset": "veryfast"},
    "high": {"crf": "18", "preset": "medium"},
}
# libvpx-vp9 in constant-quality mode (b:v 0). Its 'good' deadline runs at a few frames per second
# at 720p on two cores even at its fastest setting; the 'realtime' deadline (draft, normal) is four
# to five times faster for a modestly larger file at the same CRF; 'high' takes the slow road.
_VP9_QUALITY = {
    "draft": {"crf": "40", "deadline": "realtime", "cpu-used": "8"},
    "normal": {"crf": "33", "deadline": "realtime", "cpu-used": "6"},
    "high": {"crf": "28", "deadline": "good", "cpu-used": "4"},
}
# GIF: fewer colours and ordered (Bayer) dither make smaller files; error diffusion looks best.
_GIF_QUALITY = {
    "draft": ("max_colors=128", "dither=bayer:bayer_scale=3"),
    "normal": ("max_colors=256", "dither=bayer:bayer_scale=4"),
    "high": ("max_colors=256", "dither=sierra2_4a"),
}


def even_size(width: int, height: int) -> tuple[int, int]:
    """The size rounded up to even numbers, as H.264 and VP9 in 4:2:0 need."""
    return width + width % 2, height + height % 2


class _Sink:
    """Where the worker thread puts frames: one subclass per format. Runs on the worker only."""

    cancelled: threading.Event | None = None  # set by the writer; a long final pass checks it

    def open(self, temporary: Path) -> None:
        raise NotImplementedError

    def add(self, frame: np.ndarray) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Flush and close: the temporary target is complete."""
        raise NotImplementedError

    def abort(self) -> None:
        """Release everything without completing (errors are ignored: the file is thrown away)."""


class _VideoSink(_Sink):
    """H.264 MP4 or VP9 WebM through PyAV: RGB frames converted to BT.709 limited-range yuv420p."""

    def __init__(self, format_name: str, width: int, height: int, fps: int, quality: str):
        self.format_name = format_name
        self.width, self.height, self.fps, self.quality = width, height, fps, quality
        self.container: Any = None
        self.stream: Any = None
        self.index = 0

    def open(self, temporary: Path) -> None:
        container_options = {"fflags": "+bitexact"}
        if self.format_name == "mp4":
            codec = "libx264"
            # faststart: a second pass moves the index (moov) before the data (mdat) for streaming.
            container_options["movflags"] = "+faststart"
            options = dict(_H264_QUALITY[self.quality], threads=str(ENCODER_THREADS))
        else:
            codec = "libvpx-vp9"
            options = dict(_VP9_QUALITY[self.quality], threads=str(ENCODER_THREADS),
                           **{"b": "0", "row-mt": "1", "tile-columns": "1"})
        self.container = av.open(str(temporary), mode="w", format=self.format_name,
                                 container_options=container_options)
        stream = self.container.add_stream(codec, rate=self.fps, options=options)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "yuv420p"
        context = stream.codec_context
        context.flags |= av.codec.context.Flags.bitexact
        context.color_range = av.video.reformatter.ColorRange.MPEG
        context.colorspace = av.video.reformatter.Colorspace.ITU709
        context.color_primaries = av.video.reformatter.ColorPrimaries.BT709
        context.color_trc = av.video.reformatter.ColorTrc.BT709
        stream.time_base = Fraction(1, self.fps)
        self.stream = stream

    def add(self, frame: np.ndarray) -> None:
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(
            format="yuv420p", dst_colorspace="ITU709", dst_color_range="MPEG")
        picture.pts = self.index
        picture.time_base = Fraction(1, self.fps)
        self.index += 1
        self.container.mux(self.stream.encode(picture))

    def finish(self) -> None:
        self.container.mux(self.stream.encode(None))
        self.container.close()
        self.container = None

    def abort(self) -> None:
        if self.container is not None:
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 (an unfinished file is about to be deleted)
                pass
            self.container = None


class _GifSink(_Sink):
    """A GIF with one palette made from every frame (two passes).

    Pass 1 (as frames arrive): ``palettegen`` gathers the colour statistics of every frame, and the
    frames are kept raw in an anonymous temporary file beside the target. Pass 2 (at finish):
    ``paletteuse`` maps each kept frame to that palette with dithering and the GIF encoder writes
    it (only the rectangle that changed is re-dithered, so a still background stays still).
    """

    def __init__(self, width: int, height: int, fps: int, quality: str):
        self.width, self.height, self.fps, self.quality = width, height, fps, quality
        self.spool: BinaryIO | None = None
        self.statistics: Any = None
        self.count = 0
        self.temporary: Path | None = None
        self.container: Any = None

    def open(self, temporary: Path) -> None:
        self.temporary = temporary
        # Unlinked at once (POSIX): the frames vanish with the process, whatever happens to it.
        self.spool = tempfile.TemporaryFile(dir=temporary.parent, prefix=f".{temporary.name}.", suffix=".frames")
        colours, _ = _GIF_QUALITY[self.quality]
        graph = av.filter.Graph()
        source = graph.add_buffer(width=self.width, height=self.height, format="rgb24",
                                  time_base=Fraction(1, self.fps))
        palette = graph.add("palettegen", f"{colours}:stats_mode=full")
        sink = graph.add("buffersink")
        source.link_to(palette)
        palette.link_to(sink)
        graph.configure()
        self.statistics = graph

    def _picture(self, frame: np.ndarray, index: int) -> av.VideoFrame:
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        picture.pts = index
        picture.time_base = Fraction(1, self.fps)
        return picture

    def add(self, frame: np.ndarray) -> None:
        assert self.spool is not None
        self.spool.write(frame.tobytes())
        self.statistics.push(self._picture(frame, self.count))
        self.count += 1

    def finish(self) -> None:
        assert self.spool is not None and self.temporary is not None
        self.statistics.push(None)
        palette = self.statistics.pull()
        self.statistics = None
        _, dither = _GIF_QUALITY[self.quality]
        graph = av.filter.Graph()
        frames = graph.add_buffer(width=self.width, height=self.height, format="rgb24",
                                  time_base=Fraction(1, self.fps), name="frames")
        colours = graph.add_buffer(template=None, width=palette.width, height=palette.height,
                                   format=palette.format.name, time_base=Fraction(1, self.fps), name="palette")
        use = graph.add("paletteuse", f"{dither}:diff_mode=rectangle")
        sink = graph.add("buffersink")
        frames.link_to(use, 0, 0)
        colours.link_to(use, 0, 1)
        use.link_to(sink)
        graph.configure()
        palette.pts = 0
        colours.push(palette)
        colours.push(None)

        # The GIF muxer's loop=0 means 'loop for ever'; its delays are the pts steps in 1/100 s.
        self.container = av.open(str(self.temporary), mode="w", format="gif",
                                  container_options={"loop": "0", "fflags": "+bitexact"})
        stream = self.container.add_stream("gif", rate=self.fps)
        stream.width, stream.height, stream.pix_fmt = self.width, self.height, "pal8"
        stream.codec_context.flags |= av.codec.context.Flags.bitexact
        stream.time_base = Fraction(1, self.fps)

        size = self.width * self.height * 3
        self.spool.seek(0)
        for index in range(self.count):
            if self.cancelled is not None and self.cancelled.is_set():
                raise DownhillError("cancelled")
            data = self.spool.read(size)
            frame = np.frombuffer(data, dtype=np.uint8).reshape(self.height, self.width, 3)
            frames.push(self._picture(frame, index))
            self._drain(sink, stream)
        frames.push(None)
        self._drain(sink, stream)
        self.container.mux(stream.encode(None))
        self.container.close()
        self.container = None
        self.spool.close()
        self.spool = None

    def _drain(self, sink: Any, stream: Any) -> None:
        """Encode every frame the filter has ready (it holds some back until it has the next)."""
        while True:
            try:
                picture = sink.pull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            self.container.mux(stream.encode(picture))

    def abort(self) -> None:
        self.statistics = None
        if self.container is not None:
            try:
                self.container.close()
            except Exception:  # noqa: BLE001 (an unfinished file is about to be deleted)
                pass
            self.container = None
        if self.spool is not None:
            self.spool.close()
            self.spool = None


class _PngSink(_Sink):
    """Numbered PNG files (``frame_00000.png`` ...) in the temporary directory, through PyAV's PNG encoder."""

    def __init__(self, width: int, height: int, quality: str):
        self.width, self.height = width, height
        # zlib level and row filter: draft and normal write fast (level 6 with Paeth takes ~0.3 s a
        # 720p frame), high writes small; all are lossless.
        self.options = {"draft": {"compression_level": "1", "pred": "none"},
                        "normal": {"compression_level": "3", "pred": "none"},
                        "high": {"compression_level": "9", "pred": "paeth"}}[quality]
        self.directory: Path | None = None
        self.index = 0
        self.codec: Any = None

    def open(self, temporary: Path) -> None:
        self.directory = temporary
        self.codec = av.CodecContext.create("png", "w")
        self.codec.width, self.codec.height, self.codec.pix_fmt = self.width, self.height, "rgb24"
        self.codec.time_base = Fraction(1, 1)
        self.codec.flags |= av.codec.context.Flags.bitexact
        self.codec.options = dict(self.options)

    def add(self, frame: np.ndarray) -> None:
        assert self.directory is not None
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        picture.pts = self.index
        data = b"".join(bytes(packet) for packet in self.codec.encode(picture))
        with open(self.directory / FRAME_NAME.format(self.index), "wb") as stream:
            stream.write(data)
        self.index += 1

    def finish(self) -> None:
        self.codec = None


def holds_only_frames(directory: Path) -> bool:
    """Whether an existing directory is empty or holds only numbered frames (ours, from an earlier export)."""
    try:
        return all(FRAME_PATTERN.fullmatch(entry.name) and entry.is_file() for entry in os.scandir(directory))
    except OSError:
        return False


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

    The temporary target is created at once (an unwritable directory fails here, before rendering).
    """

    def __init__(self, path: str | os.PathLike[str], format_name: str, *, width: int, height: int, fps: int,
                 quality: str = "normal", queue_frames: int = QUEUE_FRAMES):
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
        self.format = clip
        self.width, self.height, self.fps = width, height, fps
        self.frames_written = 0  # frames handed to write()
        self._error: BaseException | None = None
        self._error_frame = 0
        self._encoded = 0
        self._cancelled = threading.Event()
        self._state = "open"
        self._settled = threading.Event()  # set when close() has ended, one way or the other
        self._sink = self._make_sink(clip, quality)
        self._sink.cancelled = self._cancelled
        self._temporary = self._make_temporary()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, queue_frames))
        self._worker = threading.Thread(target=self._work, name=f"clip encoder {self.path.name}", daemon=True)
        _LIVE.add(self)
        self._worker.start()

    def _make_sink(self, clip: ClipFormat, quality: str) -> _Sink:
        if clip.name in ("mp4", "webm"):
            return _VideoSink(clip.name, self.width, self.height, self.fps, quality)
        if clip.name == "gif":
            return _GifSink(self.width, self.height, self.fps, quality)
        return _PngSink(self.width, self.height, quality)

    def _make_temporary(self) -> Path:
        """Create the hidden temporary file or directory beside the target (same file system: rename is atomic)."""
        parent = self.path.parent
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
