"""Checks on notebook state (a variable after its cell, a printed value, a figure), helpers
isolated with the reference's, "not attempted" told apart from wrong, and loop cells found by what
their code does when students reword or delete the TODO comments."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import by_id
from toys import reword_todo, toy_course, toy_notebook

from grader.errors import SpecError
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
    "plot": "plt.plot([0.0, 2.0, 4.0, 6.0, 8.0])  # what ref.figure() draws\nplt.show()",
}
BLANK = {**CELLS,
         "double": "def double(v):\n    # TO DO: return twice v\n    raise NotImplementedError",
         "total": "def total(v):\n    # TO DO -- replace this line\n    return None"}


def _write(folder: Path, name: str, cells: dict[str, str]) -> Path:
    return toy_notebook(folder, *cells.values(), name=name)


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


# ---- loop cells found by their code -------------------------------------------------------------

LOOPS_SPEC = """
id: toy-loops
title: Toy loops
array_library: numpy
starter: blank.ipynb
questions:
  - id: q@first
    kind: state
    variable: q
    after: "# TODO -- update m - replace"
    cell: {assigns: [m], in_loop: true, nth: 1, of: 2}
    reference: "ref.first_loop()"
    todo_in_cell: true
  - id: q@second
    kind: state
    variable: q
    after: "# TODO -- update m with a step of 2"
    cell: {assigns: [m], in_loop: true, nth: 2, of: 2}
    reference: "ref.second_loop()"
    todo_in_cell: true
  - id: total
    kind: output
    after: "the total is"
    cell: {calls: [print], uses: [q]}
    reference: "ref.printed_total()"
"""

FIRST = ("q = np.zeros(5)\nm = 0.0\nfor i in range(1, 5):\n    # TODO -- update m - replace the line below\n"
         "    m = 0.5 * m + 1.0\n    q[i] = q[i-1] + m")
SECOND = ("q = np.zeros(5)\nm = 0.0\nfor i in range(1, 5):\n    # TODO -- update m with a step of 2\n"
          "    m = 0.5 * m + 2.0\n    q[i] = q[i-1] + m")
LOOPS = {
    "imports": "import numpy as np",
    "given": "p = np.zeros(5)\nfor i in range(1, 5):\n    p[i] = p[i-1] + 1  # a loop of the course's own, no `m`",
    "first": FIRST,
    "second": SECOND,
    "print": "print('the total is', q.sum())",
}
LOOPS_BLANK = {**LOOPS, "first": FIRST.replace("0.5 * m + 1.0", "0.0"),
               "second": SECOND.replace("0.5 * m + 2.0", "0.0")}


@pytest.fixture
def loops(tmp_path: Path) -> Path:
    return toy_course(tmp_path, "toy-loops", LOOPS_SPEC, Path(__file__).parent / "toy_state" / "reference.py", LOOPS_BLANK)


def _grade_loops(folder: Path, cells: dict[str, str]):
    return grade_notebook(_write(folder, "mine.ipynb", cells), load_assignment(folder / "toy-loops.yaml"))


def test_reworded_and_deleted_todo_comments_keep_full_marks(loops: Path) -> None:
    result = _grade_loops(loops, {**LOOPS, "first": reword_todo(FIRST, "    # Done -- update m - replaced the line"),
                                  "second": reword_todo(SECOND, None)})
    assert result.score == result.max_score == 3, {q.id: q.feedback for q in result.questions}
    assert not any(q.needs_review for q in result.questions)


def test_a_split_and_moved_cell_is_found_by_its_loop(loops: Path) -> None:
    setup, loop = FIRST.split("for i", 1)
    cells = {"imports": LOOPS["imports"], "setup": setup, "first": "for i" + reword_todo(loop, "    # TODO✅ -- done"),
             "second": reword_todo(SECOND, "    # finished"), "print": LOOPS["print"], "given": LOOPS["given"]}
    result = _grade_loops(loops, cells)
    assert result.score == result.max_score, {q.id: q.feedback for q in result.questions}


def test_a_wrong_loop_found_by_its_code_says_which_cell_was_read(loops: Path) -> None:
    wrong = reword_todo(SECOND, None).replace("0.5 * m + 2.0", "0.5 * m + 3.0")
    q = by_id(_grade_loops(loops, {**LOOPS, "second": wrong}))
    assert q["q@second"].status == "failed" and q["q@second"].score == 0 and not q["q@second"].needs_review
    assert ("cell 4 was taken as the one this question reads: the 2nd of the 2 cells assigning `q` and `m` "
            "inside a loop (cells 3, 4)") in q["q@second"].feedback
    assert q["q@first"].score == 1


def test_a_cell_that_cannot_be_told_apart_is_flagged_for_review_not_scored_zero_silently(loops: Path) -> None:
    plain = reword_todo(SECOND, None)
    result = _grade_loops(loops, {**LOOPS, "first": reword_todo(FIRST, None), "second": plain, "again": plain})
    q = by_id(result)
    for qid in ("q@first", "q@second"):
        assert q[qid].status == "undecided" and q[qid].needs_review, (qid, q[qid].status)
        assert q[qid].feedback.startswith("Could not locate the cell that builds `q`: there are 3 cells assigning "
                                          "`q` and `m` inside a loop (cells 3, 4, 6; the starter has 2)")
        assert "Flagged for review" in q[qid].feedback
    assert q["total"].score == 1
    assert result.needs_review and "flagged for manual review" in render(result, "text")


def test_the_starter_loop_with_a_reworded_comment_is_still_not_attempted(loops: Path) -> None:
    blank = {**LOOPS_BLANK, "first": reword_todo(LOOPS_BLANK["first"], "    # Done"),
             "second": reword_todo(LOOPS_BLANK["second"], None)}
    q = by_id(_grade_loops(loops, blank))
    for qid in ("q@first", "q@second"):
        assert q[qid].status == "not_attempted", (qid, q[qid].status, q[qid].feedback)
        assert "the cell assigning `q` and `m` inside a loop" in q[qid].feedback
        assert "is still as in the starter notebook" in q[qid].feedback


@pytest.mark.parametrize(("cell", "error"), [
    ("{nth: 0, of: 2}", "`nth` counts from 1"),
    ("{assigns: [m], of: 2}", "`of` needs an `nth`"),
    ("{assigns: [m], nth: 3, of: 2}", "`of` needs an `nth`"),
    ("{in_loop: sometimes}", "in_loop"),
])
def test_a_wrong_cell_shape_is_a_spec_error_naming_the_field(tmp_path: Path, cell: str, error: str) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(LOOPS_SPEC.replace("{assigns: [m], in_loop: true, nth: 1, of: 2}", cell))
    with pytest.raises(SpecError, match=error):
        load_assignment(spec)


def test_a_question_that_names_no_cell_at_all_is_a_spec_error(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(LOOPS_SPEC.replace('    after: "the total is"\n    cell: {calls: [print], uses: [q]}\n', ""))
    with pytest.raises(SpecError, match="give `after:`"):
        load_assignment(spec)
