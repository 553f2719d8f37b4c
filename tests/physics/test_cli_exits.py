"""Every way the command line can end is one line and a status, never a traceback.

Each subcommand (presets, critical, critical --json, run of one ball, of a swarm, of a scene) is
run as a real process, as a user would run it, against an output that cannot take the text
(``> /dev/full``), a closed standard output (``>&-``), a reader that stops reading (``| head``),
and Ctrl+C (a real SIGINT) in the middle of a run and during the start-up imports. An output file
that is one of the inputs is refused before anything is written.

Exit statuses (README, "Exit status"): 2 with one line for an output that cannot be written,
0 and nothing said when the reader of a pipe stops early, 130 and "downhill: interrupted" for
Ctrl+C.
"""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from child_processes import popen

import main
from physics.cli import BALL_COLUMNS, SWARM_COLUMNS
from physics.preset_scenes import PRESET_SCENES
from physics.regime import REGIMES
from physics.scene_files import save_scene

ROOT = Path(__file__).resolve().parents[2]
MAIN = str(ROOT / "main.py")

#: One of each kind of output: the subcommands and run's three row layouts.
COMMANDS = {
    "presets": ["presets"],
    "critical": ["critical", "--surface", "x^2 - y^2"],
    "critical --json": ["critical", "--surface", "x^2 - y^2", "--json"],
    "run single": ["run", "--surface", "x^2 + 3y^2", "--optimizer", "gd", "--lr", "0.05", "--start", "1,1",
                   "--steps", "300"],
    "run swarm": ["run", "--surface", "x^2 - y^2", "--optimizer", "sgd", "--noise", "0.1", "--particles", "50",
                  "--start", "0.1,0.1", "--steps", "300"],
    "run scene": ["run", "--scene", "saddle-noise", "--steps", "300"],
    "race": ["race", "--surface", "x^2 + 3y^2", "--optimizers", "gd,adam", "--start", "1,1", "--steps", "100",
             "--tune-steps", "20"],
}
#: Runs long enough (minutes) to be interrupted after their first rows, with their CSV headers.
LONG_RUNS = {
    "run single": (["run", "--surface", "x^2 + 3y^2", "--optimizer", "gd", "--lr", "0.05", "--start", "1,1",
                    "--steps", "1000000"], BALL_COLUMNS),
    "run swarm": (["run", "--surface", "x^2 - y^2", "--optimizer", "sgd", "--noise", "0.1", "--particles", "200",
                   "--start", "0.1,0.1", "--steps", "1000000"], SWARM_COLUMNS),
    "run scene": (["run", "--scene", "saddle-noise", "--steps", "400000"], ("ball", *BALL_COLUMNS)),
    # large enough for the helper thread (physics.helper.HELPER_PARTICLES) to share the work
    "run large swarm": (["run", "--surface", "x^2 - y^2", "--optimizer", "sgd", "--noise", "0.1", "--particles",
                         "20000", "--start", "0.1,0.1", "--steps", "40000"], SWARM_COLUMNS),
}
TIMEOUT = 180


def launch(arguments: list[str], **options) -> subprocess.Popen:
    """``python main.py ARGUMENTS`` as a process, standard error captured as text."""
    return popen([sys.executable, MAIN, *arguments], cwd=ROOT, stderr=subprocess.PIPE, text=True, **options)


def assert_one_line(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert stderr.startswith("downhill: ") and stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    for word in words:
        assert word in stderr, stderr


def assert_whole_rows(text: str, header: tuple[str, ...]) -> int:
    """The CSV text is the header and whole rows only (the last one ended by its newline); the row count."""
    assert text.endswith("\n"), text[-200:]
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == header
    for row in rows[1:]:
        assert len(row) == len(header), row
        assert row[-1] in REGIMES or row[-1].isdigit(), row  # the regime, or the count of diverging particles
    return len(rows) - 1


# ------------------------------------------------------------------------------------ outputs that fail


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_standard_output_is_one_line_and_status_2(command: str) -> None:
    with open("/dev/full", "w") as full:
        process = launch(COMMANDS[command], stdout=full)
        _, stderr = process.communicate(timeout=TIMEOUT)
    assert_one_line(stderr, "standard output", "No space left on device")
    assert process.returncode == 2


@pytest.mark.parametrize("arguments", [["--help"], ["run", "--help"]])
def test_help_into_a_full_standard_output_is_one_line_and_status_2(arguments: list[str]) -> None:
    # argparse ignores a failed write: the help was lost and the status 0.
    with open("/dev/full", "w") as full:
        process = launch(arguments, stdout=full)
        _, stderr = process.communicate(timeout=TIMEOUT)
    assert_one_line(stderr, "standard output", "No space left on device")
    assert process.returncode == 2


@pytest.mark.parametrize("command", COMMANDS)
def test_a_closed_standard_output_is_one_line_and_status_2(command: str) -> None:
    # The shell's '>&-', exactly as a user types it.
    process = popen(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, MAIN, *COMMANDS[command]],
                    cwd=ROOT, stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert_one_line(stderr, "standard output is closed")
    assert process.returncode == 2


def test_a_closed_standard_output_does_not_matter_to_a_run_into_a_file(tmp_path: Path) -> None:
    target = tmp_path / "run.csv"
    process = popen(["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, MAIN, *COMMANDS["run single"],
                     "--csv", str(target)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert (process.returncode, stderr) == (0, "")
    assert assert_whole_rows(target.read_text(), BALL_COLUMNS) == 301


@pytest.mark.parametrize("command", COMMANDS)
def test_a_reader_gone_before_the_output_ends_the_command_quietly(command: str) -> None:
    process = launch(COMMANDS[command], stdout=subprocess.PIPE)
    process.stdout.close()  # nobody reads: the first write meets a broken pipe
    stderr = process.stderr.read()
    process.wait(timeout=TIMEOUT)
    assert (process.returncode, stderr) == (0, "")


@pytest.mark.parametrize("command", ["presets", "run single", "run scene"])
def test_a_reader_that_stops_after_one_line_ends_the_command_quietly(command: str) -> None:
    # As 'python main.py ... | head -1'. A run long enough to fill the pipe, and the text of presets.
    arguments = LONG_RUNS[command][0] if command in LONG_RUNS else COMMANDS[command]
    process = launch(arguments, stdout=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=TIMEOUT)
    assert first.strip()
    assert (process.returncode, stderr) == (0, "")


# ------------------------------------------------------------------------------------------- Ctrl+C


def wait_for_rows(read_text, process: subprocess.Popen, rows: int = 2) -> None:
    """Wait until the output holds ``rows`` lines (the run is under way), or the process ended."""
    deadline = time.monotonic() + TIMEOUT
    while read_text().count("\n") < rows:
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no rows came"
        time.sleep(0.05)


@pytest.mark.parametrize("command", LONG_RUNS)
def test_ctrl_c_mid_run_into_a_file_keeps_whole_rows(command: str, tmp_path: Path) -> None:
    arguments, header = LONG_RUNS[command]
    target = tmp_path / "run.csv"
    process = launch([*arguments, "--csv", str(target)])
    wait_for_rows(lambda: target.read_text() if target.exists() else "", process, rows=2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert stderr == "downhill: interrupted\n"
    assert process.returncode == 130
    assert assert_whole_rows(target.read_text(), header) >= 1


@pytest.mark.parametrize("command", LONG_RUNS)
def test_ctrl_c_mid_run_on_standard_output_keeps_whole_rows(command: str) -> None:
    arguments, header = LONG_RUNS[command]
    process = launch(arguments, stdout=subprocess.PIPE)
    first = process.stdout.readline()  # the header: the run is under way
    # The run writes faster than this reads: its next write waits for the pipe, where SIGINT finds it.
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    rest = process.stdout.read()  # not communicate(): it would skip what readline has buffered
    stderr = process.stderr.read()
    process.wait(timeout=TIMEOUT)
    assert stderr == "downhill: interrupted\n"
    assert process.returncode == 130
    assert assert_whole_rows(first + rest, header) >= 1


#: Where start-up spends its time: the imports of NumPy, SymPy, Numba and the project's modules
#: (and Qt's, for the app).
STARTUP_IMPORTS = [
    (["presets"], "surfaces.presets"),
    (["critical", "--surface", "x^2 - y^2"], "sympy"),
    (["critical", "--surface", "x^2 - y^2", "--json"], "surfaces.critical"),
    (COMMANDS["run single"], "numpy"),
    (COMMANDS["run swarm"], "physics.simulation"),
    (COMMANDS["run scene"], "numba"),
    (["--scene", "saddle-noise"], "PyQt6.QtWidgets"),
]

#: Runs main.py as 'python main.py' does, with a real SIGINT sent to itself when a module is imported.
_INTERRUPT_AT_IMPORT = """
import os, runpy, signal, sys

target = sys.argv[1]

class InterruptAtImport:
    def find_spec(self, name, path=None, target_module=None):
        if name == target:
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptAtImport())
sys.argv = [sys.argv[2], *sys.argv[3:]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize(("arguments", "module"), STARTUP_IMPORTS, ids=[m for _, m in STARTUP_IMPORTS])
def test_ctrl_c_during_the_start_up_imports_is_one_line(arguments: list[str], module: str, tmp_path: Path) -> None:
    environment = dict(os.environ, QT_QPA_PLATFORM="offscreen", DOWNHILL_CONFIG_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", _INTERRUPT_AT_IMPORT, module, MAIN, *arguments], cwd=ROOT,
                            env=environment, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.stderr == "downhill: interrupted\n"
    assert result.returncode == 130


# ------------------------------------------------------------------------------- outputs that are inputs


@pytest.fixture
def scene_file(tmp_path: Path) -> Path:
    path = tmp_path / "lesson.json"
    save_scene(PRESET_SCENES["saddle-noise"], path)
    return path


def links_to(scene_file: Path, how: str) -> Path:
    """Another name of the scene file: the same path spelled otherwise, a symbolic link, a hard link."""
    folder = scene_file.parent
    if how == "same":
        return scene_file
    if how == "spelled otherwise":
        (folder / "sub").mkdir()
        return folder / "sub" / ".." / "." / scene_file.name
    link = folder / ("shot.png" if how.endswith("image") else "link.json")
    if how.startswith("symbolic"):
        link.symlink_to(scene_file)
    else:
        os.link(scene_file, link)
    return link


@pytest.mark.parametrize("how", ["same", "spelled otherwise", "symbolic link", "hard link"])
def test_a_csv_that_is_the_scene_file_is_refused_before_anything_is_written(
        how: str, scene_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = scene_file.read_bytes()
    target = links_to(scene_file, how)
    status = main.main(["run", "--scene", str(scene_file), "--steps", "5", "--csv", str(target)])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert_one_line(captured.err, "--csv", "scene")
    assert scene_file.read_bytes() == original


def test_a_csv_beside_the_scene_file_is_written(scene_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = scene_file.with_suffix(".csv")
    assert main.main(["run", "--scene", str(scene_file), "--steps", "5", "--csv", str(target)]) == 0
    assert assert_whole_rows(target.read_text(), ("ball", *BALL_COLUMNS)) == 12  # two balls, six rows each


@pytest.mark.parametrize("how", ["symbolic link image", "hard link image"])
def test_a_screenshot_that_is_the_scene_file_is_refused(how: str, scene_file: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    original = scene_file.read_bytes()
    target = links_to(scene_file, how)
    assert main.main(["--scene", str(scene_file), "--screenshot", str(target)]) == 2
    assert_one_line(capsys.readouterr().err, "--screenshot", "scene")
    assert scene_file.read_bytes() == original
