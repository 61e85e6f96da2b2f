"""Only verdicts become grades: when the grader itself fails (here, a kernel that cannot start), it
tries once more and then says "not graded" with the reason — a null score in JSON, an empty
score and the reason in grades.csv, a failed run on Gradescope — never a 0."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

from grader.errors import NotGraded
from grader.grading.pipeline import grade_notebook
from grader.kernel import session as session_module
from grader.kernel.limits import Limits
from grader.kinds import load_assignment
from grader.spec.find import resolve_assignment

# run the real CLI with a kernel command that cannot start, counting the attempts in a file
BROKEN_CLI = """
import sys
from grader.kernel import session
count = sys.argv[1]
session.kernel_argv = lambda: [sys.executable, "-c",
    f"open({count!r}, 'a').write('x'); import sys; sys.stderr.write('no kernel: broken on purpose'); sys.exit(1)"]
from grader.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _broken_cli(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, int]:
    count = tmp_path / "attempts"
    proc = subprocess.run([sys.executable, "-c", BROKEN_CLI, str(count), *args, "--no-sandbox"], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    return proc, len(count.read_text()) if count.exists() else 0


def test_a_kernel_that_never_starts_is_tried_twice_then_not_graded(tmp_path: Path, monkeypatch) -> None:
    count = tmp_path / "attempts"
    monkeypatch.setattr(session_module, "kernel_argv", lambda: [
        sys.executable, "-c", f"open({str(count)!r}, 'a').write('x'); raise SystemExit(1)"])
    assignment = load_assignment(resolve_assignment("derivatives-activations"))
    with pytest.raises(NotGraded, match="KernelStartError"):
        grade_notebook(SEED, assignment, limits=Limits(sandbox=False))
    assert count.read_text() == "xx"


def test_grade_says_not_graded_with_a_null_score_and_exit_3(tmp_path: Path) -> None:
    proc, attempts = _broken_cli(tmp_path, str(SEED), "-a", "derivatives-activations", "-f", "json")
    assert proc.returncode == 3 and attempts == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "not_graded" and doc["score"] is None and doc["needs_review"] is True
    assert "broken on purpose" in doc["reason"]
    assert proc.stderr.strip().count("\n") == 0 and "not a verdict on the notebook" in proc.stderr
    text, _ = _broken_cli(tmp_path, str(SEED), "-a", "derivatives-activations")
    assert text.returncode == 3 and text.stdout == "" and "Total" not in text.stdout


def test_batch_records_an_empty_score_and_the_reason(tmp_path: Path) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    subs.mkdir()
    (subs / "alice.ipynb").write_bytes(SEED.read_bytes())
    proc, _ = _broken_cli(tmp_path, "batch", str(subs), "-a", "derivatives-activations", "-o", str(out))
    assert proc.returncode == 1, proc.stderr
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["score"] == "" and row["outcome"] == "failed" and row["needs_review"] == "1"
    assert "grader failed twice" in row["reason"] and "broken on purpose" in row["reason"]


def _fake_grade(tmp_path: Path, status: int, message: str) -> Path:
    script = tmp_path / f"grade{status}"
    script.write_text(f"#!/bin/sh\necho {message!r} >&2\nexit {status}\n")
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("status", [3, 130, 143])
def test_gradescope_run_fails_instead_of_scoring_0_when_the_grader_fails(tmp_path: Path, status: int) -> None:
    z = tmp_path / "autograder.zip"
    assert run_cli("gradescope-bundle", "derivatives-activations", "-o", str(z)).returncode == 0
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(z) as zf:
        zf.extractall(root / "source")
    (root / "submission" / "mine.ipynb").write_bytes(SEED.read_bytes())
    fake = _fake_grade(tmp_path, status, "grade: not graded: the grader failed twice")
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          env={**os.environ, "AUTOGRADER_ROOT": str(root), "GRADE": str(fake)}, timeout=60)
    assert proc.returncode != 0 and "grader failed" in proc.stderr
    assert not (root / "results" / "results.json").exists()  # no 0 for the student: staff see a failed run
    unusable = _fake_grade(tmp_path, 2, "grade: error: mine.ipynb: invalid JSON at line 1")
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          env={**os.environ, "AUTOGRADER_ROOT": str(root), "GRADE": str(unusable)}, timeout=60)
    assert proc.returncode == 0
    doc = json.loads((root / "results" / "results.json").read_text())
    assert doc["score"] == 0 and "invalid JSON" in doc["output"]  # the student's own file: they are told what to fix
