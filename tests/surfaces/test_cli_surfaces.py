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


# ------------------------------------------------------------------- found by using the command line


@pytest.mark.parametrize(("argv", "words"), [
    (["critical", "--surface", "x^2", "--domain", "5,-5,0,1"], "--domain: the domain needs XMIN < XMAX"),
    (["critical", "--surface", "x^2", "--domain", "-inf,1,0,1"], "--domain: the domain needs four finite numbers"),
    (["critical", "--surface", "a x^2", "--param", "a=1", "--param", "A=2"], "no parameter 'A'"),
    (["critical", "--surface", "a x^2 + y^2", "--param", "a=1", "--param", "x=1"], "x is one of its variables"),
    (["critical", "--surface", "x^2", "--param", "a=1"], "no parameter 'a'"),
    (["critical", "--surface", "x^2", "--bogus"],
     "unrecognized arguments: --bogus (see 'python main.py critical --help')"),
    (["presets", "extra"], "(see 'python main.py presets --help')"),
    (["critical", "--surface", "x" * 300_000], "300000 characters long; the limit is 2000"),
    (["critical", "--surface", "x² + y²"], "the digit '²' (U+00B2) is not allowed"),
    (["critical", "--surface", "(x + y)^10^6"], "exponents are limited"),
])
def test_more_errors_say_what_and_where_on_one_line(argv, words, capsys):
    status, out, err = run(argv, capsys)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("downhill: ")
    assert words in err


def test_a_formula_may_start_with_a_minus(capsys):
    """argparse would take '-x^2-y^2' (no spaces) for an option; the value of --surface is glued to it."""
    status, out, err = run(["critical", "--surface", "-x^2-y^2", "--json"], capsys)
    assert (status, err) == (0, "")
    assert [(row["kind"], row["eigenvalues"]) for row in json.loads(out)] == [("maximum", [-2.0, -2.0])]
    status, _, err = run(["critical", "--surface", "--json"], capsys)  # a forgotten value is still one
    assert status == 2 and "--surface: expected one argument" in err


def test_a_parameter_the_formula_uses_is_applied(capsys):
    status, out, _ = run(["critical", "--surface", "a x^2 + b y^2", "--param", "a=-1", "--param", "b=3", "--json"],
                         capsys)
    assert status == 0
    assert [(row["kind"], row["eigenvalues"]) for row in json.loads(out)] == [("saddle", [-2.0, 6.0])]


def test_constant_surface_says_why_nothing_is_listed(capsys):
    status, out, _ = run(["critical", "--surface", "5"], capsys)
    assert status == 0
    assert out.splitlines()[0] == "0 critical points of f = 5"
    assert out.splitlines()[-1] == "f is constant: every point is critical, and none is isolated"
    _, out, _ = run(["critical", "--surface", "x"], capsys)
    assert "constant" not in out  # no critical point, but not constant


def test_a_formula_typed_over_lines_titles_one_line(capsys):
    status, out, _ = run(["critical", "--surface", "x^2\n  + y^2"], capsys)
    assert status == 0
    assert out.splitlines()[0] == "1 critical point of f = x^2 + y^2"


def test_huge_surfaces_print_no_warnings(capsys):
    """Overflow inside the search (exp(exp(x^2 + y^2)) reaches 1e300) must not reach stderr."""
    status, out, err = run(["critical", "--surface", "exp(exp(x^2 + y^2))", "--json"], capsys)
    assert (status, err) == (0, "")
    assert [row["kind"] for row in json.loads(out)] == ["minimum"]


def test_an_absent_command_module_hides_the_command_but_a_broken_one_is_not_hidden(tmp_path, monkeypatch):
    (tmp_path / "downhill_broken_command.py").write_text("import downhill_missing_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main._optional_command("downhill_absent_command", "add_arguments") is None
    with pytest.raises(ModuleNotFoundError, match="downhill_missing_dependency"):
        main._optional_command("downhill_broken_command", "add_arguments")
    assert main._optional_command("physics.cli", "add_run_arguments") is not None


def test_hostile_input_from_a_real_process_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    result = subprocess.run([sys.executable, "main.py", "critical", "--surface",
                             f"__import__('os').system('touch {marker}')"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("downhill: ")
    assert not marker.exists()


def test_a_surface_undefined_on_the_whole_domain_says_so(capsys):
    status, out, _ = run(["critical", "--surface", "log(x)", "--domain", "-3,-1,-1,1"], capsys)
    assert status == 0
    assert out.splitlines()[-1] == "f is undefined (not a real number) everywhere in this domain"
    _, out, _ = run(["critical", "--surface", "log(x)"], capsys)  # defined for x > 0: no such line
    assert "undefined" not in out
