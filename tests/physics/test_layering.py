"""The layering of DESIGN.md: nothing in surfaces/ or physics/ imports Qt or pyqtgraph.

Every module of the two packages is imported in a fresh interpreter (so nothing imported by an
earlier test can hide or fake the result), and the modules that interpreter then holds are read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("PyQt6", "PyQt5", "PySide6", "PySide2", "pyqtgraph", "OpenGL")

PROBE = """
import importlib, json, pkgutil, sys
names = []
for package in ("surfaces", "physics"):
    module = importlib.import_module(package)
    names.append(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        importlib.import_module(info.name)
        names.append(info.name)
# The optimiser registry imports every optimiser; the CLI module imports what `run` needs.
import physics.optimizers.base
physics.optimizers.base.registry()
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_surfaces_and_physics_import_no_gui_toolkit() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    imported = report["imported"]
    # the probe really walked both packages (a probe that imported nothing could not fail)
    assert {"physics.simulation", "physics.optimizers.adam", "physics.eigen", "surfaces.surface",
            "surfaces.critical", "physics.cli"} <= set(imported)
    offenders = [name for name in report["loaded"] if name.split(".")[0] in FORBIDDEN]
    assert offenders == [], f"surfaces/physics pulled in {offenders}"
