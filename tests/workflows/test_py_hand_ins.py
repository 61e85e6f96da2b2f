"""`grade batch`: a student's `.py` is their submission only when they handed in no notebook, from a
folder or a zip, and it is graded like the notebook it is."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import jupytext
import nbformat
import pytest

from tests.conftest import SEED, run_cli


def _script() -> str:
    return jupytext.writes(nbformat.read(SEED, as_version=4), fmt="py:percent")


@pytest.mark.notebook
def test_batch_grades_a_script_of_a_student_without_a_notebook(tmp_path: Path) -> None:
    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ann/hw.py", _script())                       # only a script: graded
        zf.writestr("ben/hw.ipynb", SEED.read_bytes())            # a notebook and a helper module
        zf.writestr("ben/utils.py", "def helper():\n    return 1\n")
    out = tmp_path / "out"
    proc = run_cli("batch", str(z), "-a", "derivatives-activations", "-o", str(out), "-j", "2")
    assert proc.returncode == 0, proc.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert {s: (r["score"], r["needs_review"]) for s, r in rows.items()} == {"ann": ("20", "0"), "ben": ("20", "0")}
