"""How each clip format is encoded (PyAV; no Qt): the table of formats and the sink of each.

A sink receives RGB frames, shape (height, width, 3) uint8, on the clip writer's worker thread
(gui.export.encoder.ClipWriter, which adds the queue, the thread and the atomic placement):

- H.264 MP4: BT.709 limited-range yuv420p, ``+faststart`` (the index, moov, before the data, mdat:
  a browser or slide tool plays it while loading). CRF and x264 preset by quality.
- VP9 WebM: constant quality (CRF, b:v 0), libvpx's realtime deadline for draft and normal.
- GIF: one palette of up to 256 colours made by FFmpeg's ``palettegen`` over every frame, applied
  by ``paletteuse`` with dithering (no banding on a heat map); loops for ever.
- PNG sequence: ``frame_00000.png`` ... in a directory, lossless.

Deterministic: fixed encoder thread counts and FFmpeg's ``bitexact`` flags (no creation time, no
random WebM segment UID, no library version strings): the same frames give the same bytes.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

from surfaces.errors import DownhillError

if TYPE_CHECKING:  # (PyAV itself is imported where a clip is written: not with every command)
    import av

QUALITIES = ("draft", "normal", "high")
FRAME_NAME = "frame_{:05d}.png"
FRAME_PATTERN = re.compile(r"frame_\d{5,}\.png")
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


class Sink:
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


class VideoSink(Sink):
    """H.264 MP4 or VP9 WebM through PyAV: RGB frames converted to BT.709 limited-range yuv420p."""

    def __init__(self, format_name: str, width: int, height: int, fps: int, quality: str):
        self.format_name = format_name
        self.width, self.height, self.fps, self.quality = width, height, fps, quality
        self.container: Any = None
        self.stream: Any = None
        self.index = 0

    def open(self, temporary: Path) -> None:
        import av  # (PyAV loads when a clip is written, not with every command)
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
        import av  # (PyAV loads when a clip is written, not with every command)
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


class GifSink(Sink):
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
        import av  # (PyAV loads when a clip is written, not with every command)
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
        import av  # (PyAV loads when a clip is written, not with every command)
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
        import av  # (PyAV loads when a clip is written, not with every command)
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
        import av  # (PyAV loads when a clip is written, not with every command)
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


class PngSink(Sink):
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
        import av  # (PyAV loads when a clip is written, not with every command)
        self.directory = temporary
        self.codec = av.CodecContext.create("png", "w")
        self.codec.width, self.codec.height, self.codec.pix_fmt = self.width, self.height, "rgb24"
        self.codec.time_base = Fraction(1, 1)
        self.codec.flags |= av.codec.context.Flags.bitexact
        self.codec.options = dict(self.options)

    def add(self, frame: np.ndarray) -> None:
        import av  # (PyAV loads when a clip is written, not with every command)
        assert self.directory is not None
        picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
        picture.pts = self.index
        data = b"".join(bytes(packet) for packet in self.codec.encode(picture))
        with open(self.directory / FRAME_NAME.format(self.index), "wb") as stream:
            stream.write(data)
        self.index += 1

    def finish(self) -> None:
        self.codec = None


def make_sink(format_name: str, width: int, height: int, fps: int, quality: str) -> Sink:
    """The sink of a format (a key of CLIP_FORMATS)."""
    if format_name in ("mp4", "webm"):
        return VideoSink(format_name, width, height, fps, quality)
    if format_name == "gif":
        return GifSink(width, height, fps, quality)
    return PngSink(width, height, quality)


def holds_only_frames(directory: Path) -> bool:
    """Whether an existing directory is empty or holds only numbered frames (ours, from an earlier export)."""
    try:
        return all(FRAME_PATTERN.fullmatch(entry.name) and entry.is_file() for entry in os.scandir(directory))
    except OSError:
        return False
