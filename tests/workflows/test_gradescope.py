"""The Gradescope autograder zip, run end to end against a fake /autograder tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT, SEED, run_cli

GRADE = str(Path(sys.executable).parent / "grade")


@pytest.fixture
def autograder(tmp_path: Path) -> Path:
    z = tmp_path / "autograder.zip"
    proc = run_cli("gradescope-bundle", "derivatives-activations", "-o", str(z))
    assert proc.returncode == 0, proc.stderr
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(z) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "assignment.yaml", "rubric.yaml", "grader_src/pyproject.toml"} <= names
        assert zf.getinfo("run_autograder").external_attr >> 16 & 0o111, "run_autograder must be executable"
        zf.extractall(root / "source")
    return root


def _run(root: Path) -> dict:
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          env={**os.environ, "AUTOGRADER_ROOT": str(root), "GRADE": GRADE}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.mark.notebook
def test_bundle_grades_a_submission_into_results_json(autograder: Path) -> None:
    (autograder / "submission" / "my_work.ipynb").write_bytes(SEED.read_bytes())
    doc = _run(autograder)
    assert doc["score"] == 20 and doc["max_score"] == 20
    assert doc["visibility"] in {"visible", "hidden", "after_due_date", "after_published"}
    assert doc["stdout_visibility"] in {"visible", "hidden"} and doc["output_format"] in {"text", "md", "html"}
    assert isinstance(doc["execution_time"], (int, float))
    assert len(doc["tests"]) == 12
    for t in doc["tests"]:
        assert set(t) >= {"name", "score", "max_score", "output", "visibility", "status"}


def test_bundle_explains_an_empty_or_broken_submission(autograder: Path) -> None:
    doc = _run(autograder)
    assert doc["score"] == 0 and "No .ipynb notebook" in doc["output"]
    (autograder / "submission" / "broken.ipynb").write_text("{nope")
    doc = _run(autograder)
    assert doc["score"] == 0 and "could not be graded" in doc["output"] and "invalid JSON" in doc["output"]


def _bundled_with_solutions() -> list[str]:
    from grader.kinds import load_assignment
    from grader.spec.find import bundled_assignments

    return sorted(aid for aid, path in bundled_assignments().items() if load_assignment(path).solution_path)


@pytest.mark.notebook
@pytest.mark.parametrize("aid", _bundled_with_solutions())
def test_every_bundle_grades_its_solution_from_the_unzipped_copy_alone(aid: str, tmp_path: Path) -> None:
    """The zip is self-contained: its own grader source (not the repo's), its flattened YAML, rubric,
    starter and reference files; run from a folder with nothing else in it, the solution gets full marks."""
    from grader.kinds import load_assignment
    from grader.spec.find import resolve_assignment

    z = tmp_path / "autograder.zip"
    proc = run_cli("gradescope-bundle", aid, "-o", str(z))
    assert proc.returncode == 0, proc.stderr
    source = tmp_path / "source"
    with zipfile.ZipFile(z) as zf:
        zf.extractall(source)
    assert "extends" not in (source / "assignment.yaml").read_text()
    solution = tmp_path / "work" / "solution.ipynb"
    solution.parent.mkdir()
    solution.write_bytes(load_assignment(resolve_assignment(aid)).solution_path.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(source / "grader_src")  # the zip's own grader, ahead of the installed one
    code = ("import grader, json, sys; assert grader.__file__.startswith(sys.argv[1]), grader.__file__; "
            "from grader.cli import main; sys.exit(main(sys.argv[2:]))")
    out = subprocess.run([sys.executable, "-c", code, str(source), str(solution), "-a", str(source / "assignment.yaml"),
                          "-f", "json"], capture_output=True, text=True, cwd=solution.parent, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    lost = {q["id"]: q["feedback"] for q in doc["questions"] if q["score"] != q["max_score"]}
    assert doc["score"] == doc["max_score"] and not lost, lost


# --- several notebooks uploaded ---------------------------------------------------------------------

STARTER = ROOT / "examples" / "derivatives_activations_starter.ipynb"


def _put(path: Path, data: bytes | str, age_days: float) -> None:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    t = time.time() - age_days * 86400
    os.utime(path, (t, t))


@pytest.mark.notebook
def test_gradescope_grades_the_plausible_upload_and_names_the_other(autograder: Path) -> None:
    sub = autograder / "submission"
    _put(sub / "a_draft.ipynb", STARTER.read_bytes(), age_days=2)          # alphabetically first, older
    _put(sub / "b_final\x1b[2J.ipynb", SEED.read_bytes(), age_days=1)
    _put(sub / "helpers.py", "def helper():\n    return 1\n", age_days=0)
    doc = _run(autograder)
    assert doc["score"] == 20 and doc["max_score"] == 20 and len(doc["tests"]) == 12
    assert doc["output"].startswith("Warning: 2 notebooks were handed in; graded `b_final.ipynb` (the newest")
    assert "Not graded: `a_draft.ipynb` (older: modified " in doc["output"]
    assert "\x1b" not in doc["output"] and "helpers.py" not in doc["output"]


@pytest.mark.notebook
def test_gradescope_says_which_notebooks_when_none_can_be_graded(autograder: Path) -> None:
    sub = autograder / "submission"
    _put(sub / "one.ipynb", "{broken", age_days=1)
    _put(sub / "two.ipynb", b"", age_days=0)
    doc = _run(autograder)
    assert doc["score"] == 0 and doc["tests"] == []
    assert doc["output"].startswith("Warning: 2 notebooks were handed in; graded `two.ipynb`")
    assert "`one.ipynb` (not a valid notebook: invalid JSON" in doc["output"]
    assert "Your notebook could not be graded: " in doc["output"] and "the file is empty" in doc["output"]

