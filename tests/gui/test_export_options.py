"""Options of ``export`` and ``figure`` (gui/export/options.py): defaults, and one line per bad input.

Each bad input is refused with a DownhillError whose single line names the option and says what is
wrong, before anything is rendered; an odd size for H.264 or VP9 is rounded up with a note.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path
from types import SimpleNamespace

import pytest

from gui.export import options as export_options
from gui.export.options import (
    ANNOTATION_NAMES,
    MAX_FRAMES,
    ClipOptions,
    FigureOptions,
    clip_options,
    default_steps_per_frame,
    figure_options,
)
from physics.preset_scenes import PRESET_SCENES
from physics.scene_files import save_scene
from surfaces.errors import DownhillError

SCENE = "saddle-noise"


def clip(tmp_path: Path, out: str = "clip.mp4", **given) -> ClipOptions:
    return clip_options(SimpleNamespace(scene=given.pop("scene", SCENE), out=f"{tmp_path}/{out}", **given))


def figure(tmp_path: Path, out: str = "figure.svg", **given) -> FigureOptions:
    return figure_options(SimpleNamespace(scene=given.pop("scene", SCENE), out=f"{tmp_path}/{out}", **given))


def refused(call, *args, **given) -> str:
    with pytest.raises(DownhillError) as caught:
        call(*args, **given)
    message = str(caught.value)
    assert "\n" not in message and message.strip() == message, message
    return message


def test_defaults_make_a_good_clip(tmp_path):
    options = clip(tmp_path)
    scene = PRESET_SCENES[SCENE]
    assert options.scene == scene and options.scene_name == SCENE
    assert options.out == tmp_path / "clip.mp4" and options.format == "mp4"
    assert (options.render.width, options.render.height, options.fps) == (1280, 720, 30)
    assert options.frames is None  # the renderer decides: until rest, at most 20 s
    assert options.max_frames == 600
    assert options.steps_per_frame == default_steps_per_frame(scene, 30) == max(1, round(scene.speed * 62.5 / 30))
    assert options.quality == "normal" and options.render.layout == "2d" and options.render.theme == "dark"
    assert options.render.annotations == frozenset(ANNOTATION_NAMES)
    assert options.render.title is None and options.render.seed is None and options.notes == ()
    with pytest.raises(FrozenInstanceError):
        options.fps = 25  # type: ignore[misc]


def test_every_option_read(tmp_path):
    options = clip(tmp_path, "clip.webm", size="640x360", fps="24", duration="2.5", steps_per_frame="7",
                   layout="both", seed="42", title="  Saddles  ", theme="light", quality="high",
                   hide=["legend,step", "badges"])
    assert options.format == "webm" and (options.render.width, options.render.height) == (640, 360)
    assert options.fps == 24 and options.frames == 60 and options.steps_per_frame == 7
    assert options.render.layout == "both" and options.render.seed == 42 and options.render.title == "Saddles"
    assert options.render.theme == "light" and options.quality == "high"
    assert options.render.annotations == {"title", "formula"}
    assert clip(tmp_path, frames="90").frames == 90
    assert clip(tmp_path, hide=["all"]).render.annotations == frozenset()
    assert clip(tmp_path, title="").render.title == ""  # no title at all
    # The dialog passes typed values.
    typed = clip(tmp_path, "clip.gif", size=(320, 240), fps=12, frames=5, seed=3)
    assert (typed.render.width, typed.render.height, typed.fps, typed.frames, typed.render.seed) == (320, 240, 12, 5, 3)


def test_formats_from_the_name(tmp_path):
    assert clip(tmp_path, "a.MP4").format == "mp4"
    assert clip(tmp_path, "a.gif").format == "gif"
    assert clip(tmp_path, "frames/").format == "png"
    (tmp_path / "existing").mkdir()
    assert clip(tmp_path, "existing").format == "png"  # an existing directory is a PNG sequence


def test_odd_size_rounded_up_for_h264_and_vp9_only(tmp_path):
    options = clip(tmp_path, size="1279x719")
    assert (options.render.width, options.render.height) == (1280, 720)
    assert options.notes == ("--size 1279x719: H.264 MP4 needs an even width and height; using 1280x720",)
    assert clip(tmp_path, "a.webm", size="641x361").render.width == 642
    gif = clip(tmp_path, "a.gif", size="641x361")
    assert (gif.render.width, gif.render.height, gif.notes) == (641, 361, ())


def test_scene_file_and_figure(tmp_path):
    scene_file = tmp_path / "my scene.json"
    save_scene(PRESET_SCENES[SCENE], scene_file)
    options = figure(tmp_path, "fig.PDF", scene=str(scene_file), at_step="250", layout="panels", size="800x600")
    assert options.scene == PRESET_SCENES[SCENE] and options.format == ".pdf" and options.at_step == 250
    assert options.render.layout == "panels" and (options.render.width, options.render.height) == (800, 600)
    assert figure(tmp_path).at_step is None and figure(tmp_path).render.layout == "2d"
    assert figure(tmp_path, "fig.png", size="801x601").render.width == 801  # a still needs no even size


BAD_CLIPS = [
    (dict(out="clip.avi"), "--out .*clip.avi: '.avi' is not a clip format; give .mp4, .webm, .gif, or a directory"),
    (dict(out="clip"), "--out .*clip: there is no extension"),
    (dict(out="clip.png"), "'.png' is a still image.*python main.py figure"),
    (dict(out="clip.svg"), "'.svg' is a still image"),
    (dict(out="missing/clip.mp4"), "--out .*: the directory .*missing does not exist"),
    (dict(size="1280"), "--size: '1280' is not a size; write width x height in pixels, such as 1280x720"),
    (dict(size="-2x4"), "--size: '-2x4' is not a size"),
    (dict(size="8x720"), r"--size 8x720: each side must be at least 16 pixels"),
    (dict(size="7682x4320"), r"--size 7682x4320: too large; at most 7680x4320"),
    (dict(size="5000x5000"), r"--size 5000x5000: too large"),
    (dict(frames="0"), r"--frames: 0 is out of range \[1, "),
    (dict(frames="-5"), r"--frames: -5 is out of range"),
    (dict(frames="ten"), "--frames: 'ten' is not a whole number"),
    (dict(frames=str(MAX_FRAMES + 1)), "--frames: .* is out of range"),
    (dict(duration="0"), "--duration: 0 is out of range; give seconds above 0"),
    (dict(duration="nan"), "--duration: nan is out of range"),
    (dict(duration="soon"), "--duration: 'soon' is not a number of seconds"),
    (dict(duration="0.001"), "--duration 0.001: shorter than one frame at 30 frames per second"),
    (dict(frames="10", duration="2"), "--frames and --duration: give one of them, not both"),
    (dict(fps="0"), r"--fps: 0 is out of range \[1, 120\]"),
    (dict(fps="500"), r"--fps: 500 is out of range"),
    (dict(out="clip.gif", fps="60"), r"--fps: 60 is out of range \[1, 50\] for GIF"),
    (dict(steps_per_frame="0"), r"--steps-per-frame: 0 is out of range"),
    (dict(layout="4d"), "--layout: '4d' is not one of 2d, 3d, both, app"),
    (dict(layout="panels"), "--layout: 'panels' is not one of"),
    (dict(theme="pink"), "--theme: 'pink' is not one of dark, light"),
    (dict(quality="best"), "--quality: 'best' is not one of draft, normal, high"),
    (dict(seed="-1"), r"--seed: -1 is out of range \[0, "),
    (dict(seed="1.5"), "--seed: '1.5' is not a whole number"),
    (dict(title="a\nb"), "--title: the title holds a control character"),
    (dict(title="x" * 201), "--title: 201 characters; a title is at most 200"),
    (dict(hide=["legend,logo"]), "--hide: 'logo' is not an annotation; they are title, formula, legend, step, badges"),
    (dict(scene="no-such-scene"), "--scene no-such-scene: no preset scene or file named 'no-such-scene'"),
    (dict(scene=""), "--scene: give a scene file or a preset scene's name"),
    (dict(out=""), "--out: the file name is empty"),
]


@pytest.mark.parametrize("given,message", BAD_CLIPS, ids=[str(given) for given, _ in BAD_CLIPS])
def test_bad_clip_options_one_line_each(tmp_path, given, message):
    out = given.pop("out", "clip.mp4")
    out = f"{tmp_path}/{out}" if out else out
    text = refused(clip_options, SimpleNamespace(scene=given.pop("scene", SCENE), out=out, **given))
    assert re.search(message, text), text


def test_paths_refused(tmp_path):
    (tmp_path / "taken.mp4").mkdir()
    assert refused(clip, tmp_path, "taken.mp4").endswith("taken.mp4: that is a directory; give a file name inside it")
    (tmp_path / "file").write_text("x")
    assert "that is a file, not a directory" in refused(clip, tmp_path, "file/")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    assert "holds other files than frame_NNNNN.png" in refused(clip, tmp_path, "busy/")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "frame_00000.png").write_bytes(b"")
    assert clip(tmp_path, "old/").notes == (f"--out {tmp_path / 'old'}/: the frames already there are replaced",)
    assert clip(tmp_path, "empty/").out == tmp_path / "empty"
    for directory in (".", "./", "..", "../", "/"):
        message = refused(clip_options, SimpleNamespace(scene=SCENE, out=directory))
        assert message == (f"--out {directory}: name the directory for the PNG sequence (it is made, or replaced "
                           "whole), such as frames/")
    scene_file = tmp_path / "scene.mp4"  # a scene saved under a clip's name must not be overwritten by the clip
    save_scene(PRESET_SCENES[SCENE], scene_file)
    message = refused(clip_options, SimpleNamespace(scene=str(scene_file), out=str(tmp_path / "." / "scene.mp4")))
    assert "that is the scene file given with --scene" in message
    scene_svg = tmp_path / "scene.svg"
    save_scene(PRESET_SCENES[SCENE], scene_svg)
    assert "that is the scene file" in refused(figure_options, SimpleNamespace(scene=str(scene_svg),
                                                                                out=str(scene_svg)))


def test_unwritable_directory(tmp_path, monkeypatch):
    # Tests may run as root, who writes anywhere: os.access is what the check asks.
    monkeypatch.setattr(export_options.os, "access", lambda path, mode: False)
    assert refused(clip, tmp_path).endswith(f"the directory {tmp_path} cannot be written")


BAD_FIGURES = [
    (dict(out="figure.mp4"), "'.mp4' is not a figure format; give .svg or .pdf .* or .png"),
    (dict(out="figure"), "there is no extension"),
    (dict(out="figs/"), "there is no extension"),
    (dict(at_step="-1"), r"--at-step: -1 is out of range"),
    (dict(layout="3d"), "--layout: '3d' is not one of 2d, panels, both"),
    (dict(size="100x100000"), r"--size: '100x100000' is not a size|too large"),
]


@pytest.mark.parametrize("given,message", BAD_FIGURES, ids=[str(given) for given, _ in BAD_FIGURES])
def test_bad_figure_options_one_line_each(tmp_path, given, message):
    out = given.pop("out", "figure.svg")
    text = refused(figure_options, SimpleNamespace(scene=SCENE, out=f"{tmp_path}/{out}", **given))
    assert re.search(message, text), text


def test_tables_match_the_renderer():
    """The names checked here are the renderer's (kept here so that checking needs no Qt)."""
    from gui.export import annotations, render

    assert ANNOTATION_NAMES == annotations.ANNOTATIONS
    assert export_options.CLIP_LAYOUTS == render.LAYOUTS
    assert export_options.FIGURE_LAYOUTS == render.FIGURE_LAYOUTS
    assert set(export_options.THEMES) == set(annotations.THEMES)
    assert render.RenderSettings is export_options.RenderSettings


def test_scene_pace_in_a_clip():
    """A scene's speed is steps per app frame (62.5 a second): the clip keeps that pace in steps per second."""
    for speed, fps, steps in [(1, 30, 2), (1, 60, 1), (1, 120, 1), (3, 30, 6), (10, 25, 25), (10, 12, 52)]:
        scene = PRESET_SCENES[SCENE].__class__(speed=speed)
        assert default_steps_per_frame(scene, fps) == steps


def test_checking_needs_no_qt():
    code = ("import sys; import gui.export.options, gui.export.encoder, gui.export.formats; "
            "assert not [name for name in sys.modules if name.startswith(('PyQt', 'pyqtgraph'))]")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
