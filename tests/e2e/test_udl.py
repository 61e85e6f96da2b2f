"""The Understanding Deep Learning notebooks graded as they are, with the bundled specs: solutions
get full marks, untouched blanks are `not_attempted` (not wrong), single bugs lose points exactly
where they show, and a folder of such notebooks grades in a batch."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from conftest import run_cli
from variants import assert_verdicts
from variants_udl import BLANKS, BUGGY, SOLUTIONS

from grader.grading.choose import choose_assignment
from grader.grading.pipeline import grade_notebook
from grader.notebook.read import read_notebook

pytestmark = pytest.mark.notebook

SPEC = {n: n.replace("_", "-") for n in SOLUTIONS}  # udl_6_5_adam -> the bundled udl-6-5-adam


@pytest.mark.parametrize("notebook", list(SOLUTIONS))
def test_solution_full_marks_and_recognised_without_flags(notebook: str) -> None:
    path, how = choose_assignment(read_notebook(SOLUTIONS[notebook]))
    assert path.stem == SPEC[notebook], how  # no metadata: matched by its heading and functions
    result = grade_notebook(SOLUTIONS[notebook])
    lost = {q.id: (q.status, q.feedback) for q in result.questions if q.score != q.max_score}
    assert not lost and result.score > 0, lost


@pytest.mark.parametrize("notebook", list(BLANKS))
def test_blank_is_not_attempted_rather_than_wrong(notebook: str) -> None:
    result = grade_notebook(BLANKS[notebook])
    assert result.score == 0
    statuses = {q.id: q.status for q in result.questions}
    assert set(statuses.values()) == {"not_attempted"}, statuses


@pytest.mark.parametrize("variant", [v for vs in BUGGY.values() for v in vs], ids=lambda v: v.name)
def test_single_bug_loses_points_exactly_where_it_shows(variant, tmp_path: Path) -> None:
    result = grade_notebook(variant.build(tmp_path), None)
    assert_verdicts(result, variant)
    assert all(q.status != "not_attempted" for q in result.questions if q.id in variant.broken)


def test_a_folder_of_adam_notebooks_in_a_batch(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(SOLUTIONS["udl_6_5_adam"], subs / "alice.ipynb")
    shutil.copy(BLANKS["udl_6_5_adam"], subs / "bob.ipynb")
    BUGGY["udl_6_5_adam"][0].build(tmp_path).rename(subs / "carol.ipynb")  # no bias correction
    out = tmp_path / "out"
    proc = run_cli("batch", str(subs), "-a", "udl-6-5-adam", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    with open(out / "grades.csv", newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["alice"]["score"] == "10" and rows["bob"]["score"] == "0"
    assert rows["carol"]["adam"] == "0" and rows["carol"]["normalized_gradients"] == "2"
    report = (out / "report.html").read_text()
    assert "<tr><td>adam</td>" in report and "<td>1</td>" in report  # bob's adam: counted as not attempted
    page = (out / "feedback" / "carol.html").read_text()
    assert page.count("data:image/png;base64,") >= 4  # her paths next to the reference paths
