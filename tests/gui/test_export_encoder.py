"""The clip writer (gui/export/encoder.py; its formats, gui/export/formats.py), checked by decoding with PyAV.

Frame count, size and pixel format of each format; the MP4's index before its data (faststart);
a GIF that loops for ever and keeps a smooth gradient smooth (no banding); byte-identical files
from identical frames; and nothing under the final name, and no temporary file, after a cancel,
an exception or Ctrl+C in the middle, or a failing encoder. Needs no display.
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest
from child_processes import popen

from gui.export import encoder, formats
from gui.export.encoder import CLIP_FORMATS, ClipWriter, even_size, holds_only_frames
from surfaces.errors import DownhillError


def heat_map(width: int, height: int) -> np.ndarray:
    """A smooth landscape coloured by a heat-map gradient, with dark contour lines: (height, width, 3) uint8."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    u, v = 4 * x / width - 2, 4 * y / height - 2
    loss = np.sin(u) * np.cos(v) + 0.3 * u * u
    level = (loss - loss.min()) / np.ptp(loss)
    rgb = np.stack([np.clip(1.5 * level, 0, 1), np.clip(1.5 * level - 0.5, 0, 1) * 0.9 + 0.12 * (1 - level),
                    0.6 * (1 - level) + 0.15], axis=-1) * 255
    rgb[np.abs((level * 12) % 1 - 0.5) > 0.47] *= 0.6
    return rgb.astype(np.uint8)


def scene_frames(width: int, height: int, count: int) -> list[np.ndarray]:
    """A typical scene: the still heat map with four balls (6 px squares) moving over it."""
    base = heat_map(width, height)
    frames = []
    for index in range(count):
        frame = base.copy()
        for ball in range(4):
            cx = int(width / 2 + width / 3 * np.cos(0.02 * index + ball))
            cy = int(height / 2 + height / 3 * np.sin(0.03 * index + 2 * ball))
            frame[max(cy - 6, 0):cy + 6, max(cx - 6, 0):cx + 6] = (255, 255, 255) if ball % 2 else (20, 200, 60)
        frames.append(frame)
    return frames


def write_clip(path: Path, format_name: str, frames: list[np.ndarray], fps: int = 30, quality: str = "normal") -> Path:
    height, width, _ = frames[0].shape
    with ClipWriter(path, format_name, width=width, height=height, fps=fps, quality=quality) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def decoded(path: Path) -> tuple[list[np.ndarray], object]:
    """Every frame of a clip as RGB arrays, and its video stream."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
        return frames, stream


def top_level_boxes(path: Path) -> list[str]:
    """The names of an MP4 file's top-level boxes, in file order (ISO/IEC 14496-12, 4.2)."""
    names, data, offset = [], path.read_bytes(), 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        names.append(kind.decode("latin-1"))
        if size == 0:
            break
        offset += size
    return names


def leftovers(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


@pytest.mark.parametrize("format_name", ["mp4", "webm"])
def test_video_frames_size_and_pixel_format(tmp_path, format_name):
    frames = scene_frames(320, 180, 12)
    path = write_clip(tmp_path / f"clip.{format_name}", format_name, frames, fps=25)
    pictures, stream = decoded(path)
    assert len(pictures) == 12
    assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
    assert stream.codec_context.pix_fmt == "yuv420p"
    assert stream.average_rate == 25
    assert stream.codec_context.name == {"mp4": "h264", "webm": "vp9"}[format_name]
    # Lossy, but a faithful picture (BT.709 both ways): mean error of a few levels out of 255.
    error = np.mean(np.abs(pictures[5].astype(int) - frames[5].astype(int)))
    assert error < 6, error
    assert leftovers(tmp_path) == [f"clip.{format_name}"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o666 & ~encoder._UMASK)


def test_mp4_index_before_data_faststart(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", "mp4", scene_frames(160, 90, 5))
    boxes = top_level_boxes(path)
    assert "moov" in boxes and "mdat" in boxes
    assert boxes.index("moov") < boxes.index("mdat"), boxes


def test_gif_loops_for_ever_and_keeps_a_gradient_smooth(tmp_path):
    frames = scene_frames(320, 180, 10)
    path = write_clip(tmp_path / "clip.gif", "gif", frames, fps=20)
    pictures, stream = decoded(path)
    assert len(pictures) == 10
    assert (stream.codec_context.width, stream.codec_context.height) == (320, 180)
    data = path.read_bytes()
    # The NETSCAPE2.0 application extension: sub-block 1, loop count 0 = for ever.
    assert b"NETSCAPE2.0\x03\x01\x00\x00" in data
    # No banding: the quantised heat map is close to the source and keeps many colours.
    error = np.abs(pictures[0].astype(int) - frames[0].astype(int))
    assert error.mean() < 4, error.mean()
    assert len(np.unique(pictures[0].reshape(-1, 3), axis=0)) > 150
    # A smooth ramp (no contour lines) has no steps larger than dithering's.
    ramp = np.repeat(np.linspace(0, 255, 320)[None, :, None], 90, axis=0)
    ramp = np.concatenate([ramp, ramp * 0.5, 255 - ramp], axis=2).astype(np.uint8)
    pictures, _ = decoded(write_clip(tmp_path / "ramp.gif", "gif", [ramp, ramp]))
    columns = pictures[0].astype(float).mean(axis=0)  # (320, 3): each column's average colour
    assert np.abs(columns - ramp[0]).max() < 6
    assert np.abs(np.diff(columns, axis=0)).max() < 8


def test_png_sequence_numbered_and_lossless(tmp_path):
    frames = scene_frames(161, 91, 3)  # odd sizes are fine for PNG and GIF
    target = write_clip(tmp_path / "frames", "png", frames)
    assert leftovers(target) == ["frame_00000.png", "frame_00001.png", "frame_00002.png"]
    for index, frame in enumerate(frames):
        pictures, _ = decoded(target / f"frame_{index:05d}.png")
        assert np.array_equal(pictures[0], frame)
    assert leftovers(tmp_path) == ["frames"]


@pytest.mark.parametrize("format_name", list(CLIP_FORMATS))
def test_identical_frames_give_identical_bytes(tmp_path, format_name):
    frames = scene_frames(192, 108, 8)
    suffix = CLIP_FORMATS[format_name].suffix
    first = write_clip(tmp_path / f"first{suffix}", format_name, frames)
    second = write_clip(tmp_path / f"second{suffix}", format_name, [frame.copy() for frame in frames])
    if format_name == "png":
        assert leftovers(first) == leftovers(second)
        for name in leftovers(first):
            assert (first / name).read_bytes() == (second / name).read_bytes()
    else:
        assert first.read_bytes() == second.read_bytes()


def test_sizes_stay_sensible(tmp_path):
    """A 10 s 720p MP4 of a typical scene under 5 MB at normal quality; a 5 s 640x360 GIF under 8 MB."""
    mp4 = write_clip(tmp_path / "clip.mp4", "mp4", scene_frames(1280, 720, 300))
    assert mp4.stat().st_size < 5_000_000
    gif = write_clip(tmp_path / "clip.gif", "gif", scene_frames(640, 360, 150))
    assert gif.stat().st_size < 8_000_000


# ------------------------------------------------------------------------------------------ atomicity


@pytest.mark.parametrize("format_name", list(CLIP_FORMATS))
def test_cancel_leaves_nothing(tmp_path, format_name):
    frames = scene_frames(160, 90, 6)
    path = tmp_path / f"clip{CLIP_FORMATS[format_name].suffix}"
    writer = ClipWriter(path, format_name, width=160, height=90, fps=30)
    assert len(leftovers(tmp_path)) == 1  # the hidden temporary target, made at once
    for frame in frames:
        writer.write(frame)
    writer.cancel()
    writer.cancel()  # twice is harmless
    assert leftovers(tmp_path) == []
    with pytest.raises(RuntimeError):
        writer.write(frames[0])


@pytest.mark.parametrize("interruption", [RuntimeError("render failed"), KeyboardInterrupt()])
@pytest.mark.parametrize("format_name", ["mp4", "gif", "png"])
def test_exception_or_ctrl_c_in_the_middle_leaves_nothing(tmp_path, format_name, interruption):
    frames = scene_frames(160, 90, 6)
    path = tmp_path / f"clip{CLIP_FORMATS[format_name].suffix}"
    with pytest.raises(type(interruption)):
        with ClipWriter(path, format_name, width=160, height=90, fps=30) as writer:
            for index, frame in enumerate(frames):
                if index == 3:
                    raise interruption
                writer.write(frame)
    assert leftovers(tmp_path) == []


def test_an_earlier_clip_survives_a_failed_export(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", "mp4", scene_frames(160, 90, 3))
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        with ClipWriter(path, "mp4", width=160, height=90, fps=30) as writer:
            writer.write(scene_frames(160, 90, 1)[0])
            raise RuntimeError("render failed")
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == ["clip.mp4"]


@pytest.mark.parametrize("format_name,sink,method", [("mp4", formats.VideoSink, "add"),
                                                     ("webm", formats.VideoSink, "add"),
                                                     ("gif", formats.GifSink, "finish"),
                                                     ("png", formats.PngSink, "add")])
def test_a_failing_encoder_surfaces_in_the_caller_and_leaves_nothing(tmp_path, monkeypatch, format_name, sink,
                                                                    method):
    real = getattr(sink, method)
    calls = []

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 3 or method == "finish":
            raise OSError(28, "No space left on device")
        return real(self, *args)

    monkeypatch.setattr(sink, method, failing)
    frames = scene_frames(160, 90, 40)
    path = tmp_path / f"clip{CLIP_FORMATS[format_name].suffix}"
    writer = ClipWriter(path, format_name, width=160, height=90, fps=30, queue_frames=2)
    with pytest.raises(DownhillError) as caught:
        for frame in frames:
            writer.write(frame)
        writer.close()
    message = str(caught.value)
    assert "No space left on device" in message and str(path) in message and "\n" not in message
    if method == "add":
        assert "at frame 2" in message
    assert leftovers(tmp_path) == []
    writer.cancel()  # harmless after a failure


def test_an_unwritable_place_fails_before_any_frame(tmp_path):
    with pytest.raises(DownhillError, match="cannot write in"):
        ClipWriter(tmp_path / "missing" / "clip.mp4", "mp4", width=160, height=90, fps=30)


def test_closing_without_frames_is_refused_and_leaves_nothing(tmp_path):
    writer = ClipWriter(tmp_path / "clip.gif", "gif", width=160, height=90, fps=30)
    with pytest.raises(DownhillError, match="no frames"):
        writer.close()
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------------------------------ PNG directories


def test_png_sequence_replaces_only_an_earlier_sequence(tmp_path):
    target = write_clip(tmp_path / "frames", "png", scene_frames(64, 48, 4))
    write_clip(target, "png", scene_frames(64, 48, 2))  # the old frames 2 and 3 are gone, not mixed in
    assert leftovers(target) == ["frame_00000.png", "frame_00001.png"]
    assert leftovers(tmp_path) == ["frames"]
    (target / "notes.txt").write_text("mine")
    assert not holds_only_frames(target)
    with pytest.raises(DownhillError, match="other files"):
        ClipWriter(target, "png", width=64, height=48, fps=30)
    assert leftovers(target) == ["frame_00000.png", "frame_00001.png", "notes.txt"]
    assert leftovers(tmp_path) == ["frames"]


def test_png_sequence_into_an_empty_directory(tmp_path):
    (tmp_path / "frames").mkdir()
    write_clip(tmp_path / "frames", "png", scene_frames(64, 48, 1))
    assert leftovers(tmp_path / "frames") == ["frame_00000.png"]


# ------------------------------------------------------------------------------------------ checks


def test_arguments_checked(tmp_path):
    with pytest.raises(DownhillError, match="even"):
        ClipWriter(tmp_path / "a.mp4", "mp4", width=161, height=90, fps=30)
    with pytest.raises(DownhillError, match="frames per second"):
        ClipWriter(tmp_path / "a.gif", "gif", width=160, height=90, fps=60)
    with pytest.raises(DownhillError, match="unknown clip format"):
        ClipWriter(tmp_path / "a.avi", "avi", width=160, height=90, fps=30)
    with pytest.raises(DownhillError, match="unknown quality"):
        ClipWriter(tmp_path / "a.mp4", "mp4", width=160, height=90, fps=30, quality="best")
    assert leftovers(tmp_path) == []
    with ClipWriter(tmp_path / "a.mp4", "mp4", width=160, height=90, fps=30) as writer:
        with pytest.raises(ValueError, match=r"\(90, 160, 3\) uint8"):
            writer.write(np.zeros((90, 160, 4), np.uint8))
        with pytest.raises(ValueError):
            writer.write(np.zeros((90, 160, 3), np.float32))
        writer.write(np.zeros((90, 160, 3), np.uint8))
    assert even_size(161, 91) == (162, 92) and even_size(160, 90) == (160, 90)


def test_frames_are_copied_the_caller_may_reuse_its_buffer(tmp_path):
    frames = scene_frames(96, 64, 6)
    buffer = np.empty_like(frames[0])
    with ClipWriter(tmp_path / "frames", "png", width=96, height=64, fps=30) as writer:
        for frame in frames:
            buffer[...] = frame
            writer.write(buffer)
    for index, frame in enumerate(frames):
        assert np.array_equal(decoded(tmp_path / "frames" / f"frame_{index:05d}.png")[0][0], frame)


# ------------------------------------------------------------------------------------------ whole processes

_CHILD = """
import sys, time
import numpy as np
from gui.export.encoder import ClipWriter
frame = np.zeros((360, 640, 3), np.uint8)
writer = ClipWriter(sys.argv[1], sys.argv[2], width=640, height=360, fps=30, quality="high", queue_frames=1)
for index in range(int(sys.argv[3])):
    frame[:, :, 0] = np.random.default_rng(index).integers(0, 255, (360, 640), dtype=np.uint8)
    writer.write(frame)
    if index == 2:
        print("writing", flush=True)
{ending}
"""


def _child(tmp_path: Path, ending: str, *arguments: str) -> subprocess.Popen:
    return popen([sys.executable, "-c", _CHILD.format(ending=ending), *arguments],
                 cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_ctrl_c_while_the_queue_is_full_leaves_nothing(tmp_path):
    """SIGINT reaches a caller blocked on the full queue; the with-less caller's process ends, and atexit cleans."""
    child = _child(tmp_path, "writer.close()", str(tmp_path / "clip.mp4"), "mp4", "100000")
    assert child.stdout.readline().strip() == "writing"
    time.sleep(0.3)
    child.send_signal(signal.SIGINT)
    _, errors = child.communicate(timeout=60)
    assert child.returncode != 0 and "KeyboardInterrupt" in errors
    assert leftovers(tmp_path) == []


def test_a_writer_abandoned_at_exit_leaves_nothing(tmp_path):
    child = _child(tmp_path, "sys.exit(0)", str(tmp_path / "frames"), "png", "5")
    child.communicate(timeout=60)
    assert child.returncode == 0
    assert leftovers(tmp_path) == []


def test_rendering_and_encoding_overlap(tmp_path, monkeypatch):
    """write() hands the frame over and returns while the worker encodes; a full queue makes it wait."""
    real = formats.PngSink.add
    started, encoded = [], []
    release = threading.Event()  # the encoder is held on its first frame until this is set

    def slow(self, frame):
        started.append(frame)
        release.wait(20)
        real(self, frame)
        encoded.append(frame)

    monkeypatch.setattr(formats.PngSink, "add", slow)
    frames = scene_frames(64, 48, 4)
    writer = ClipWriter(tmp_path / "frames", "png", width=64, height=48, fps=30, queue_frames=2)
    for frame in frames[:3]:  # one being encoded, two waiting: none of these writes waits
        writer.write(frame)
    assert encoded == []  # all three handed over while the first is still being encoded
    opening = threading.Timer(0.2, release.set)
    opening.start()
    try:
        writer.write(frames[3])  # the queue is full until the first frame is done
        assert release.is_set() and len(encoded) >= 1
    finally:
        release.set()
        opening.cancel()
    writer.close()
    assert len(started) == 4 and leftovers(tmp_path / "frames")[-1] == "frame_00003.png"


def test_cancel_from_another_thread_stops_the_final_pass(tmp_path, monkeypatch):
    """A dialog closes on a thread (a GIF's final pass takes a while) and may cancel from its event loop."""
    real = formats.GifSink._drain
    in_final_pass = threading.Event()

    def slow(self, sink, stream):
        in_final_pass.set()
        time.sleep(0.05)
        real(self, sink, stream)

    monkeypatch.setattr(formats.GifSink, "_drain", slow)
    writer = ClipWriter(tmp_path / "clip.gif", "gif", width=64, height=48, fps=30)
    for frame in scene_frames(64, 48, 60):
        writer.write(frame)
    outcome = []

    def close():
        try:
            writer.close()
            outcome.append("closed")
        except DownhillError as error:
            outcome.append(str(error))

    closing = threading.Thread(target=close)
    closing.start()
    assert in_final_pass.wait(10)
    assert writer.cancel() is True
    closing.join(10)
    assert outcome == [f"{tmp_path / 'clip.gif'}: the export was cancelled; nothing was written"]
    assert leftovers(tmp_path) == []


def test_cancel_after_close_keeps_the_clip(tmp_path):
    writer = ClipWriter(tmp_path / "clip.mp4", "mp4", width=64, height=48, fps=30)
    writer.write(scene_frames(64, 48, 1)[0])
    assert writer.close() == tmp_path / "clip.mp4"
    assert writer.cancel() is False
    assert leftovers(tmp_path) == ["clip.mp4"]
