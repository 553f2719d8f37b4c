"""``main.py run`` builds its hyper-parameter flags from the optimiser registry alone.

A throwaway optimiser (gradient descent with four extra knobs, one of each kind) is registered for
the length of a test: its knobs must become flags with their help, kinds, ranges and signed pairs,
with no edit anywhere else.
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

import main
import physics.optimizers.base as base
from physics.cli import add_run_arguments, hyperparameter_flags, options_with_signed_values
from physics.optimizers.base import HyperParameter, get_optimizer, registry

EXTRA = (
    HyperParameter("zeta", 0.25, 0.0, 1.0, "a knob only this test has"),
    HyperParameter("kappas", (0.5, 1.5), -2.0, 2.0, "two signed knobs", kind="pair"),
    HyperParameter("lanes", 3, 1, 9, "a whole-number knob", kind="int"),
    HyperParameter("flip", False, description="a switch", kind="bool"),
)


def _register(monkeypatch: pytest.MonkeyPatch, spec: base.OptimizerSpec) -> None:
    registry()  # the real optimisers first (importing the package registers them)
    monkeypatch.setitem(base._REGISTRY, spec.name, spec)


@pytest.fixture
def throwaway(monkeypatch: pytest.MonkeyPatch) -> list[Mapping[str, Any]]:
    """Register 'throwaway' (gd plus EXTRA); returns the settings each make() was given."""
    gd = get_optimizer("gd")
    made: list[Mapping[str, Any]] = []

    def factory(**settings: Any) -> base.Optimizer:
        made.append(settings)
        return gd.make({name: settings[name] for name in gd.defaults()})

    _register(monkeypatch, replace(gd, name="throwaway", display_name="Throwaway",
                                   hyperparameters=(*gd.hyperparameters, *EXTRA), factory=factory, fixed={}))
    return made


def _run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str, str]:
    status = main.main(["run", "--surface", "x^2 + 3y^2", "--start", "1.5,-0.5", "--steps", "5", *arguments])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_hyperparameter_added_to_a_spec_is_a_run_option_with_no_other_edit(throwaway, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main.main(["run", "--help"])
    assert done.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps the help: compare without line breaks
    for words in ("--zeta F a knob only this test has (throwaway: 0.25 in [0, 1])",
                  "--kappas A,B two signed knobs (throwaway: 0.5,1.5 each in [-2, 2])",
                  "--lanes N a whole-number knob (throwaway: 3 in [1, 9])",
                  "--flip a switch (throwaway: off)"):
        assert words in text
    assert "bfgs, cg, throwaway" in text  # --optimizer's list of names
    assert "--kappas" in options_with_signed_values()

    # The flags reach the optimiser, parsed by kind; a negative pair is read as a value, not an option.
    status, out, err = _run(capsys, "--optimizer", "throwaway", "--lr", "0.05", "--zeta", "0.5",
                            "--kappas", "-1.5,0.5", "--lanes", "4", "--flip")
    assert status == 0, err
    assert throwaway[-1] == {"lr": 0.05, "weight_decay": 0.0, "zeta": 0.5, "kappas": (-1.5, 0.5), "lanes": 4,
                             "flip": True}
    status, same, err = _run(capsys, "--optimizer", "gd", "--lr", "0.05")
    assert status == 0, err
    assert out == same  # the throwaway is gradient descent: the same rows, bit for bit
    assert len(list(csv.reader(io.StringIO(out)))) == 7

    # The spec's ranges and kinds are checked, in command-line words.
    for arguments, words in (
            (("--zeta", "2"), "--zeta: zeta = 2.0 is out of range [0, 1]"),
            (("--kappas", "-3,0"), "--kappas: kappas = -3.0 is out of range [-2, 2]"),
            (("--lanes", "2.5"), "--lanes: '2.5' is not a whole number"),
            (("--kappas", "0.5"), "--kappas: '0.5' must be two numbers separated by a comma")):
        status, _, err = _run(capsys, "--optimizer", "throwaway", *arguments)
        assert status == 2 and words in err, err
    status, _, err = _run(capsys, "--optimizer", "gd", "--zeta", "0.5")
    assert status == 2 and "--zeta: the optimiser 'gd' has no hyper-parameter 'zeta'" in err, err


def test_every_registered_hyperparameter_is_a_flag_of_its_kind() -> None:
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    options = {option: action for action in parser._actions for option in action.option_strings}
    flags = hyperparameter_flags()
    for spec in registry().values():
        for hyper in spec.hyperparameters:
            flag = flags[hyper.name]
            assert flag.kind == hyper.kind and spec.name in [owner for owner, _, _ in flag.owners]
            action = options["--" + hyper.name.replace("_", "-")]
            assert action.dest == f"hyper_{hyper.name}"
            assert (action.nargs == 0) == (hyper.kind == "bool")
            assert (hyper.kind == "pair") == (flag.option in options_with_signed_values())


def test_a_hyperparameter_that_cannot_be_a_flag_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    gd = get_optimizer("gd")
    _register(monkeypatch, replace(gd, name="clash", hyperparameters=(
        *gd.hyperparameters, HyperParameter("seed", 0.5, description="shadows --seed"))))
    with pytest.raises(ValueError, match="'seed' of clash would take the run option --seed"):
        add_run_arguments(argparse.ArgumentParser())
    _register(monkeypatch, replace(gd, name="clash", hyperparameters=(
        HyperParameter("lr", (0.1, 0.2), kind="pair"),)))
    with pytest.raises(ValueError, match="'lr' has different kinds"):
        hyperparameter_flags()
