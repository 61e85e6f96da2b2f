"""Checks on notebook state (a variable after its cell, a printed value, a figure), helpers
isolated with the reference's, and "not attempted" told apart from wrong."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import by_id

from grader.grading.pipeline import grade_notebook
from grader.kinds import load_assignment
from grader.report import render

pytestmark = pytest.mark.notebook

SPEC = """
id: toy-state
title: Toy state
array_library: numpy
starter: blank.ipynb
questions:
  - id: double
    kind: function
    function: double
    args: [v]
    reference: "ref.double(v)"
    probes: [{name: some, inputs: {v: [1.0, -2.0, 3.5]}}]
  - id: total
    kind: function
    function: total
    args: [v]
    reference: "ref.total(v)"
    isolate: [double]
    probes: [{name: some, inputs: {v: [1.0, -2.0, 3.5]}}]
  - id: p_path
    kind: state
    variable: p
    after: "p[i] = p[i-1]"
    reference: "ref.path()"
    depends: [double]
  - id: answer
    kind: output
    after: "the answer is"
    reference: "ref.printed()"
  - id: plot
    kind: figure
    after: "plt.plot("
    reference: "ref.figure()"
"""

CELLS = {
    "imports": "import numpy as np\nimport matplotlib.pyplot as plt",
    "double": "def double(v):\n    return 2 * v",
    "total": "def total(v):\n    return double(v).sum() + 1",
    "loop": "p = np.zeros(5)\nfor i in range(1, 5):\n    p[i] = p[i-1] + double(np.array(1.0))",
    "later": "p = None  # a later cell reuses the name",
    "print": "print('the answer is', 3.5)",
    "plot": "plt.plot([1, 2, 3])\nplt.show()",
}
BLANK = {**CELLS,
         "double": "def double(v):\n    # TO DO: return twice v\n    raise NotImplementedError",
         "total": "def total(v):\n    # TO DO -- replace this line\n    return None"}


def _write(folder: Path, name: str, cells: dict[str, str]) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells.values()])
    path = folder / name
    nbformat.write(nb, path)
    return path


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    (tmp_path / "toy-state").mkdir()
    shutil.copy(Path(__file__).parent / "toy_state" / "reference.py", tmp_path / "toy-state" / "reference.py")
    (tmp_path / "toy-state.yaml").write_text(SPEC)
    _write(tmp_path, "blank.ipynb", BLANK)
    return tmp_path


def _grade(toy: Path, cells: dict[str, str]):
    return grade_notebook(_write(toy, "mine.ipynb", cells), load_assignment(toy / "toy-state.yaml"))


def test_correct_notebook_full_marks_with_the_variable_read_right_after_its_cell(toy: Path) -> None:
    result = _grade(toy, CELLS)
    assert result.score == result.max_score == 5, {q.id: q.feedback for q in result.questions}
    page = render(result, "html")
    assert page.count("data:image/png;base64,") == 2  # the student's figure and the reference's


def test_a_buggy_helper_costs_only_its_own_question(toy: Path) -> None:
    q = by_id(_grade(toy, {**CELLS, "double": "def double(v):\n    return 3 * v"}))
    assert q["double"].score == 0
    assert q["total"].score == 1 and "reference `double` in place of yours" in q["total"].feedback
    assert q["p_path"].score == 0  # the loop cell really used the student's helper
    assert "at index [1]" in q["p_path"].feedback and "expected 2, got 3" in q["p_path"].feedback
    assert q["answer"].score == q["plot"].score == 1


def test_blank_notebook_is_not_attempted_rather_than_wrong(toy: Path) -> None:
    q = by_id(_grade(toy, BLANK))
    for qid in ("double", "total", "p_path"):
        assert q[qid].status == "not_attempted", (qid, q[qid].status, q[qid].feedback)
        assert q[qid].score == 0 and "Not attempted" in q[qid].feedback
    assert q["answer"].score == 1  # given code, not an exercise


def test_wrong_print_missing_figure_and_failing_cell_are_named(toy: Path) -> None:
    cells = {**CELLS, "print": "print('the answer is', 4.0)", "plot": "x = 1  # plt.plot( forgotten",
             "loop": "p = np.zeros(5)\nfor i in range(1, 5):\n    p[i] = p[i-1] + double(np.array(1.0))\n1/0"}
    q = by_id(_grade(toy, cells))
    assert q["answer"].score == 0 and "value 1 is 4, expected 3.5" in q["answer"].feedback
    assert q["plot"].score == 0 and "showed no image" in q["plot"].feedback
    assert q["p_path"].score == 1 and "ZeroDivisionError" not in q["p_path"].feedback  # right value despite the error
