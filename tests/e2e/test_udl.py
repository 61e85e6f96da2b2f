"""The Understanding Deep Learning notebooks graded as they are, with the bundled specs: solutions
get full marks, untouched blanks are `not_attempted` (not wrong), single bugs lose points exactly
where they show, reworded or deleted TODO comments and split or moved cells cost nothing, and a
folder of such notebooks grades in a batch. With UDL_UPSTREAM set (not in CI), the upstream
notebooks themselves: blanks all `not_attempted`, completed copies full marks."""

from __future__ import annotations

import csv
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import run_cli
from variants import Variant, assert_verdicts
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


# ---- TODO comments as students leave them -------------------------------------------------------

_TODO = re.compile(r"^(\s*)#\s*TO ?DO\b")


def _todo_comments(mode: str):
    """A transform: every TODO comment line reworded ('# Done -- ...', '# TODO✅ -- ...') or deleted."""
    def transform(nb: nbformat.NotebookNode) -> None:
        for cell in (c for c in nb.cells if c.cell_type == "code"):
            lines = []
            for k, line in enumerate(cell.source.splitlines()):
                if _TODO.match(line):
                    if mode == "delete":
                        continue
                    line = _TODO.sub(r"\1# Done --" if k % 2 else r"\1# TODO✅", line)
                lines.append(line)
            cell.source = "\n".join(lines)
    return transform


def _assert_full_marks(result) -> None:
    lost = {q.id: (q.status, q.feedback) for q in result.questions if q.score != q.max_score or q.needs_review}
    assert not lost and result.score > 0, lost


@pytest.mark.parametrize("mode", ["reword", "delete"])
@pytest.mark.parametrize("notebook", list(SOLUTIONS))
def test_reworded_or_deleted_todo_comments_keep_full_marks(notebook: str, mode: str, tmp_path: Path) -> None:
    nb = Variant(f"{notebook}__{mode}", transform=_todo_comments(mode), seed=SOLUTIONS[notebook]).build(tmp_path)
    assert "# TODO --" not in nb.read_text(encoding="utf-8")
    _assert_full_marks(grade_notebook(nb))


def _split_and_move(nb: nbformat.NotebookNode) -> None:
    """6.4 as a student may leave it: each exercise loop split from its set-up, the SGD run moved to the
    end, the TODO comments gone."""
    _todo_comments("delete")(nb)
    sgd = next(i for i, c in enumerate(nb.cells)
               if c.cell_type == "code" and "phi_all" in c.source and "momentum" not in c.source)
    nb.cells.append(nb.cells.pop(sgd))
    for i in reversed([i for i, c in enumerate(nb.cells) if "momentum = np.zeros([2,1])\n" in c.source]):
        setup, loop = nb.cells[i].source.split("# Measure loss and draw initial model", 1)
        nb.cells[i].source = setup
        nb.cells.insert(i + 1, nbformat.v4.new_code_cell("# Measure loss and draw initial model" + loop))


def test_split_and_moved_loop_cells_keep_their_marks(tmp_path: Path) -> None:
    variant = Variant("udl_6_4_momentum__split", transform=_split_and_move, seed=SOLUTIONS["udl_6_4_momentum"])
    _assert_full_marks(grade_notebook(variant.build(tmp_path)))


def test_the_momentum_blank_with_reworded_comments_is_still_not_attempted(tmp_path: Path) -> None:
    nb = Variant("udl_6_4_momentum__blank", transform=_todo_comments("reword"), seed=BLANKS["udl_6_4_momentum"])
    statuses = {q.id: (q.status, q.feedback) for q in grade_notebook(nb.build(tmp_path)).questions}
    assert statuses["phi_all@momentum"][0] == statuses["phi_all@nesterov"][0] == "not_attempted", statuses
    assert "is still as in the starter notebook" in statuses["phi_all@nesterov"][1]


# ---- the upstream notebooks themselves (not in CI: they are not in this repository) --------------

UPSTREAM = Path(os.environ.get("UDL_UPSTREAM", "/nonexistent"))
_UPSTREAM_NAMES = {"udl_3_4_activations": "3_4_Activation_Functions.ipynb",
                   "udl_5_2_bce": "5_2_Binary_Cross_Entropy_Loss.ipynb",
                   "udl_6_4_momentum": "6_4_Momentum.ipynb", "udl_6_5_adam": "6_5_Adam.ipynb"}
needs_upstream = pytest.mark.skipif(not UPSTREAM.is_dir(), reason="set UDL_UPSTREAM to a folder with the upstream "
                                    "notebooks (blanks) and completed/ (the same, completed)")


@needs_upstream
@pytest.mark.parametrize("notebook", list(_UPSTREAM_NAMES))
def test_upstream_blank_is_not_attempted_and_completed_copy_full_marks(notebook: str) -> None:
    blank = grade_notebook(UPSTREAM / _UPSTREAM_NAMES[notebook])
    assert {q.id: q.status for q in blank.questions if q.status != "not_attempted"} == {}
    done = grade_notebook(UPSTREAM / "completed" / _UPSTREAM_NAMES[notebook])
    assert {q.id: (q.status, q.feedback) for q in done.questions if q.score != q.max_score} == {}
