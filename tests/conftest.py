"""Shared helpers: grade through the library (one kernel per notebook) or through the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.results import GradeResult
from grader.spec.find import resolve_assignment

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "examples" / "derivatives_activations_solved.ipynb"
SHARED_SEED = ROOT.parent / "shared" / "seeds" / "derivatives_activations_solved.ipynb"


def grade(path: Path | str, assignment: str = "derivatives-activations", **kw) -> GradeResult:
    return grade_notebook(path, load_assignment(resolve_assignment(assignment)), **kw)


def by_id(result: GradeResult) -> dict:
    return {q.id: q for q in result.questions}


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env={**os.environ, **(env or {})}, timeout=timeout)


def cli_json(*args: str, **kw) -> dict:
    proc = run_cli(*args, "--format", "json", **kw)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "submission.ipynb"
    dest.write_bytes(SEED.read_bytes())
    return dest


@pytest.fixture(autouse=True, scope="session")
def _solution_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`reference: solution` answers are cached per user; tests keep theirs in a folder of their own."""
    os.environ["GRADER_CACHE"] = str(tmp_path_factory.mktemp("grader-cache"))
