"""Method marks (issue #19, item 3): a rubric may give points for a derivation whose every step is
valid up to a final slip, and may take points off a right answer reached through a wrong step. Each
case is a real answer cell graded by the symbolic kind and scored with the rubric, as `grade` does;
without these rubric keys the scores are today's."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from pathlib import Path

import nbformat
import pytest

from grader.grading.score import score_question
from grader.kinds import load_assignment
from grader.kinds.base import CheckContext
from grader.kinds.registry import get_kind
from grader.results import PARTIAL, PASSED
from grader.spec import Rubric

SPEC = """id: marks
title: Method marks
questions:
  - id: sig
    kind: symbolic
    points: 2
    answer: {tag: sig}
    target: "\\\\sigma'(x)"
    expected: "sigma(x)*(1 - sigma(x))"
    definitions: {"sigma(x)": "1/(1 + exp(-x))"}
    form: {require: [sigma]}
    mistakes:
      - {expr: "1 - sigma(x)", feedback: "A factor σ(x) is missing.", credit: 0.25}
"""

SLIP_LAST = r"""$$\sigma'(x) = \frac{d}{dx}(1 + e^{-x})^{-1} = -(1 + e^{-x})^{-2} \cdot (-e^{-x})
= \frac{e^{-x}}{(1 + e^{-x})^{2}} = \sigma(x)(1 + \sigma(x))$$"""
SLIP_KNOWN = r"""$$\sigma'(x) = -(1 + e^{-x})^{-2} \cdot (-e^{-x}) = \frac{e^{-x}}{(1 + e^{-x})^{2}}
= 1 - \sigma(x)$$"""
SLIP_EARLY = r"""$$\sigma'(x) = -(1 + e^{-x})^{-2} \cdot (-e^{-x}) = \frac{e^{-x}}{(1 + e^{-x})^{3}}
= \sigma(x)(1 + \sigma(x))$$"""
ONE_LINE_WRONG = r"$$\sigma'(x) = \sigma(x)(1 + \sigma(x))$$"
THROUGH_WRONG = r"""$$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^{2}}$$
$$\sigma'(x) = \frac{e^{-x}}{1 + e^{-x}}$$
$$\sigma'(x) = \sigma(x)(1 - \sigma(x))$$"""
RIGHT = r"""$$\sigma'(x) = \frac{e^{-x}}{(1 + e^{-x})^{2}} = \sigma(x)(1 - \sigma(x))$$"""


@pytest.fixture(scope="module")
def assignment(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("marks")) / "marks.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return load_assignment(path)


def _grade(assignment, answer: str, rubric: dict | None = None):
    """The answer in a tagged markdown cell, through the kind and the rubric."""
    cell = nbformat.v4.new_markdown_cell(answer)
    cell.metadata["tags"] = ["sig"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Sigmoid"), cell])
    q = assignment.questions[0]
    kind = get_kind(q.kind)
    outcome = asyncio.run(kind.check(q, kind.prepare(q, assignment), CheckContext(nb, assignment, None, [])))
    rub = Rubric.model_validate({"assignment": "marks", "questions": {"sig": rubric} if rubric else {}})
    return score_question(q, outcome, rub)


def test_a_final_slip_after_valid_steps_earns_the_method_marks(assignment) -> None:
    res = _grade(assignment, SLIP_LAST, {"method_marks": 1})
    assert (res.score, res.max_score, res.status) == (1, 2, PARTIAL)
    assert "Your derivation first goes wrong at step 3" in res.feedback
    assert "Method marks: every step is valid up to the last one (1 point)." in res.feedback


def test_without_method_marks_the_score_is_todays(assignment) -> None:
    res = _grade(assignment, SLIP_LAST)
    assert res.score == 0 and "Method marks" not in res.feedback
    assert _grade(assignment, THROUGH_WRONG).score == 2  # review flag only, as before


def test_no_method_marks_for_an_early_slip_or_a_single_line(assignment) -> None:
    for answer in (SLIP_EARLY, ONE_LINE_WRONG):
        res = _grade(assignment, answer, {"method_marks": 1})
        assert res.score == 0, res.feedback
        assert "Method marks" not in res.feedback


def test_method_marks_replace_a_smaller_mistake_credit_and_never_exceed_the_question(assignment) -> None:
    assert _grade(assignment, SLIP_KNOWN).score == Fraction(1, 2)  # the mistake's credit 0.25 of 2
    assert _grade(assignment, SLIP_KNOWN, {"method_marks": 1}).score == 1
    assert _grade(assignment, SLIP_KNOWN, {"method_marks": 0.25}).score == Fraction(1, 2)  # the larger stands
    capped = _grade(assignment, SLIP_LAST, {"method_marks": 5})
    assert capped.score == 2 and capped.status == PARTIAL


def test_a_right_answer_through_a_wrong_step_loses_the_rubrics_deduction(assignment) -> None:
    res = _grade(assignment, THROUGH_WRONG, {"wrong_step_deduction": 0.5})
    assert (res.score, res.status, res.needs_review) == (Fraction(3, 2), PARTIAL, True)
    assert "The right answer reached through a wrong step: check step 1" in res.feedback
    assert "The right answer, but reached through a wrong step (−0.5 points)." in res.feedback


def test_a_valid_derivation_keeps_full_marks_under_either_rule(assignment) -> None:
    res = _grade(assignment, RIGHT, {"method_marks": 1, "wrong_step_deduction": 1})
    assert (res.score, res.status, res.needs_review) == (2, PASSED, False)


def test_the_rubric_rejects_negative_marks() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        Rubric.model_validate({"assignment": "marks", "questions": {"sig": {"method_marks": -1}}})
