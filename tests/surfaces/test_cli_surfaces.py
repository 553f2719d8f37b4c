"""The command line for surfaces: ``main.py presets`` and ``main.py critical``, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import main
from surfaces.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """main.main(argv) -> (status, stdout, stderr); argparse's own errors exit via SystemExit."""
    try:
        status = main.main(argv)
    except SystemExit as exit_:
        status = exit_.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_presets_lists_every_preset_with_its_formula_and_note(capsys):
    status, out, err = run(["presets"], capsys)
    assert status == 0 and err == ""
    for name, preset in PRESETS.items():
        assert f"  {name} " in out
        assert f"f = {preset.formula}" in out
        assert preset.note.split()[0] in out


def test_critical_json_himmelblau(capsys):
    status, out, err = run(["critical", "--surface", "himmelblau", "--json"], capsys)
    assert status == 0 and err == ""
    rows = json.loads(out)
    assert len(rows) == 9
    assert {tuple(sorted(row)) for row in rows} == {("eigenvalues", "f", "kind", "x", "y")}
    assert [row["kind"] for row in rows] == ["minimum"] * 4 + ["maximum"] + ["saddle"] * 4
    peak = rows[4]
    assert (peak["x"], peak["y"], peak["f"]) == pytest.approx((-0.270845, -0.923039, 181.617), abs=1e-3)
    for row in rows:
        low, high = row["eigenvalues"]
        assert low <= high
        expected = "minimum" if low > 0 else "maximum" if high < 0 else "saddle"
        assert row["kind"] == expected


def test_critical_table_formula_domain_and_parameters(capsys):
    status, out, _ = run(["critical", "--surface", "a x^2 - y^2", "--param", "a=2", "--domain", "-1,1,-1,1"], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "1 critical point of f = a x^2 - y^2"
    assert lines[1] == "in [-1, 1] x [-1, 1]: 1 saddle"
    assert lines[3].split() == ["saddle", "0", "0", "0", "-2", "4"]


def test_critical_negative_domain_values_and_degenerate_note(capsys):
    status, out, _ = run(["critical", "--surface", "monkey-saddle", "--domain", "-2,2,-2,2"], capsys)
    assert status == 0
    assert "in [-2, 2] x [-2, 2]: 1 degenerate" in out
    assert "degenerate" in out.splitlines()[3]
    assert "second-derivative test cannot tell" in out


def test_critical_none_found(capsys):
    status, out, _ = run(["critical", "--surface", "x + y", "--json"], capsys)
    assert status == 0 and json.loads(out) == []
    status, out, _ = run(["critical", "--surface", "x + y"], capsys)
    assert out.startswith("0 critical points of f = x + y")


@pytest.mark.parametrize(("argv", "words"), [
    (["critical", "--surface", "himmelblaw"], "did you mean the preset 'himmelblau'"),
    (["critical", "--surface", "x^2 +"], "the formula"),
    (["critical", "--surface", "__import__('os')"], "not allowed"),
    (["critical", "--surface", "x^2", "--domain", "1,0,0,1"], "XMIN < XMAX"),
    (["critical", "--surface", "x^2", "--domain", "1,2,3"], "four numbers"),
    (["critical", "--surface", "a x^2", "--param", "a=big"], "not a number"),
    (["critical", "--surface", "a x^2"], "unknown name 'a'"),
    (["critical"], "--surface"),
])
def test_errors_exit_2_with_one_line(argv, words, capsys):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("downhill: ")
    assert words in err
    assert "Traceback" not in err


def test_critical_from_a_real_process():
    result = subprocess.run([sys.executable, "main.py", "critical", "--surface", "six-hump-camel", "--json"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    best = [row for row in rows if row["kind"] == "minimum"][:2]
    assert sorted((round(row["x"], 4), round(row["y"], 4)) for row in best) == [(-0.0898, 0.7127), (0.0898, -0.7127)]
    assert all(row["f"] == pytest.approx(-1.0316, abs=1e-4) for row in best)
    failed = subprocess.run([sys.executable, "main.py", "critical", "--surface", "sin("],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert failed.returncode == 2
    assert failed.stdout == "" and failed.stderr.count("\n") == 1
