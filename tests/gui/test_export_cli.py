"""``python main.py export`` and ``python main.py figure`` from the command line.

Every preset scene exports to all four formats (short clips: 8 frames at 320x180), and the files
are decoded: frame count, size, pixel format, a GIF that loops. Two exports with the same settings
are the same bytes. Bad input exits 2 with one line before anything is rendered or written;
Ctrl+C exits 130 and leaves no file; without any display the 2D layout and figures still work.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from child_processes import popen

import main
from gui.export_cli import Progress
from physics.preset_scenes import PRESET_SCENES

ROOT = Path(__file__).resolve().parents[2]
FRAMES = 8
SIZE = "320x180"


def _export(tmp_path: Path, scene: str, out: str, *extra: str) -> int:
    target = str(tmp_path / out) + ("/" if out.endswith("/") else "")
    return main.main(["export", "--scene", scene, "--out", target, "--frames", str(FRAMES),
                      "--size", SIZE, *extra])


def _decode(path: Path) -> tuple[list, object]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        return frames, stream.codec_context.pix_fmt


@pytest.mark.parametrize("scene", list(PRESET_SCENES))
def test_every_preset_scene_exports_to_every_format(qapp, tmp_path, scene):
    for out in ("clip.mp4", "clip.webm", "clip.gif", "frames/"):
        assert _export(tmp_path, scene, out) == 0, out
    for name in ("clip.mp4", "clip.webm", "clip.gif"):
        frames, pixel_format = _decode(tmp_path / name)
        assert len(frames) == FRAMES, name
        assert frames[0].shape == (180, 320, 3), name
        if name != "clip.gif":
            assert pixel_format == "yuv420p"
    assert b"NETSCAPE2.0" in (tmp_path / "clip.gif").read_bytes()  # the looping extension
    pngs = sorted((tmp_path / "frames").iterdir())
    assert [p.name for p in pngs] == [f"frame_{i:05d}.png" for i in range(FRAMES)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.gif", "clip.mp4", "clip.webm", "frames"]


def test_two_exports_are_the_same_bytes_and_the_seed_matters(qapp, tmp_path):
    for name in ("a.mp4", "b.mp4"):
        assert _export(tmp_path, "saddle-noise", name, "--steps-per-frame", "20") == 0
    assert (tmp_path / "a.mp4").read_bytes() == (tmp_path / "b.mp4").read_bytes()
    assert _export(tmp_path, "saddle-noise", "c.mp4", "--steps-per-frame", "20", "--seed", "7") == 0
    assert (tmp_path / "c.mp4").read_bytes() != (tmp_path / "a.mp4").read_bytes()


def test_an_odd_size_is_rounded_up_for_h264_and_said(qapp, tmp_path, capsys):
    assert main.main(["export", "--scene", "plateau-trap", "--out", str(tmp_path / "odd.mp4"), "--frames", "2",
                      "--size", "321x181"]) == 0
    assert "322x182" in capsys.readouterr().err
    frames, _ = _decode(tmp_path / "odd.mp4")
    assert frames[0].shape == (182, 322, 3)


@pytest.mark.parametrize("arguments", [
    ["--out", "{tmp}/clip.mov"],
    ["--out", "{tmp}/clip.mp4", "--size", "0x720"],
    ["--out", "{tmp}/clip.mp4", "--size", "99999x99999"],
    ["--out", "{tmp}/clip.mp4", "--frames", "0"],
    ["--out", "{tmp}/missing/clip.mp4"],
    ["--out", "{tmp}/adirectory.mp4"],
    ["--out", "{tmp}/clip.mp4", "--layout", "4d"],
    ["--out", "{tmp}/clip.mp4", "--hide", "everything"],
])
def test_bad_input_exits_2_with_one_line_and_writes_nothing(qapp, tmp_path, capsys, arguments):
    (tmp_path / "adirectory.mp4").mkdir()
    before = sorted(tmp_path.iterdir())
    status = main.main(["export", "--scene", "saddle-noise", *[a.format(tmp=tmp_path) for a in arguments]])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1 and error.startswith("downhill: ")
    assert sorted(tmp_path.iterdir()) == before


def test_a_failure_while_rendering_exits_2_and_leaves_no_file(qapp, tmp_path, capsys, monkeypatch):
    from gui.export.render import ClipRenderer
    from surfaces.errors import DownhillError

    drawn = []
    original = ClipRenderer.next_frame

    def failing(self):
        drawn.append(1)
        if len(drawn) == 3:
            raise DownhillError("the drawing failed")
        return original(self)

    monkeypatch.setattr(ClipRenderer, "next_frame", failing)
    assert _export(tmp_path, "plateau-trap", "clip.gif") == 2
    assert capsys.readouterr().err == "downhill: the drawing failed\n"
    assert list(tmp_path.iterdir()) == []


def test_figures_keep_their_text(qapp, tmp_path):
    assert main.main(["figure", "--scene", "rosenbrock-race", "--out", str(tmp_path / "f.svg"), "--at-step", "30",
                      "--layout", "both"]) == 0
    svg = (tmp_path / "f.svg").read_text()
    assert "<text" in svg and "step 30" in svg and "RMSProp" in svg
    assert main.main(["figure", "--scene", "plateau-trap", "--out", str(tmp_path / "f.pdf")]) == 0
    assert (tmp_path / "f.pdf").read_bytes().startswith(b"%PDF")
    assert main.main(["figure", "--scene", "plateau-trap", "--out", str(tmp_path / "f.png"), "--size", "800x500",
                      "--layout", "panels"]) == 0
    from PyQt6.QtGui import QImage

    image = QImage(str(tmp_path / "f.png"))
    assert (image.width(), image.height()) == (800, 500)
    assert main.main(["figure", "--scene", "plateau-trap", "--out", str(tmp_path / "f.gif")]) == 2


def test_the_progress_line():
    stream = io.StringIO()
    progress = Progress(stream)
    progress.show(40, 150, 2.0)
    progress.finish()
    assert stream.getvalue().startswith("\rframe 40/150  20.0 frames/s  0:06 left")
    assert stream.getvalue().endswith("\n")


def _headless_environment() -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return environment


def test_headless_2d_export_is_silent_off_a_terminal(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "main.py"), "export", "--scene", "plateau-trap", "--out",
                             str(tmp_path / "clip.gif"), "--frames", "3", "--size", "160x90"],
                            cwd=ROOT, env=_headless_environment(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert (tmp_path / "clip.gif").exists()


def test_ctrl_c_stops_cleanly_and_leaves_no_file(tmp_path):
    process = popen([sys.executable, str(ROOT / "main.py"), "export", "--scene", "saddle-noise", "--out",
                     str(tmp_path / "long.mp4"), "--frames", "3000", "--size", "320x180"],
                    cwd=ROOT, env=_headless_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(tmp_path.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # rendering
    process.send_signal(signal.SIGINT)
    _out, error = process.communicate(timeout=60)
    assert process.returncode == 130, error
    assert error.strip().splitlines()[-1] == "downhill: interrupted"
    assert list(tmp_path.iterdir()) == []
