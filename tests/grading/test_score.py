"""Rubric arithmetic and rubric validation: exact totals, partial credit, penalties, clear errors."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from grader.errors import SpecError
from grader.grading.score import score_question
from grader.kinds import load_assignment
from grader.kinds.base import CheckOutcome, QuestionOutcome
from grader.results import as_number
from grader.spec import Rubric, load_rubric

ASSIGNMENT = """\
id: toy
title: Toy
questions:
  - id: q
    kind: function
    function: g
    args: [x]
    reference: x
    points: 1
    probes:
      - {name: a, inputs: {x: [1.0]}}
      - {name: b, inputs: {x: [2.0]}}
      - {name: c, inputs: {x: [3.0]}}
"""


@pytest.fixture
def toy(tmp_path: Path):
    p = tmp_path / "toy.yaml"
    p.write_text(ASSIGNMENT)
    return load_assignment(p)


def _outcome(*passed: bool, penalties=()) -> QuestionOutcome:
    return QuestionOutcome([CheckOutcome(n, ok) for n, ok in zip("abc", passed)], penalties=list(penalties))


def test_thirds_add_up_exactly(toy) -> None:
    q = toy.question("q")
    r = score_question(q, _outcome(True, True, True), Rubric(assignment="toy"))
    assert r.score == Fraction(1) and as_number(r.score) == 1 and r.status == "passed"
    r = score_question(q, _outcome(True, True, False), Rubric(assignment="toy"))
    assert r.score == Fraction(2, 3) and r.status == "partial"
    assert as_number(r.score) == 0.6667


def test_explicit_check_points_and_hint(toy, tmp_path: Path) -> None:
    p = tmp_path / "r.yaml"
    p.write_text("assignment: toy\nquestions:\n  q:\n    points: 4\n    checks:\n      a: {points: 2, feedback: 'Read the slides.'}\n")
    rubric = load_rubric(p, toy)
    r = score_question(toy.question("q"), _outcome(False, True, True), rubric)
    assert r.max_score == 4 and r.score == 2  # b and c share the remaining 2 points
    assert "Read the slides." in r.feedback


def test_penalty_is_a_fraction_of_the_question(toy) -> None:
    rubric = Rubric.model_validate({"assignment": "toy", "penalties": {"mutates_input": 0.25}})
    r = score_question(toy.question("q"), _outcome(True, True, True, penalties=[("mutates_input", "changed x")]), rubric)
    assert r.score == Fraction(3, 4) and "changed x" in r.feedback and r.status == "partial"


def test_all_errors_is_status_error(toy) -> None:
    out = QuestionOutcome([CheckOutcome(n, False, status="error", feedback="raised") for n in "abc"])
    assert score_question(toy.question("q"), out, Rubric(assignment="toy")).status == "error"


@pytest.mark.parametrize("rubric_text, needle", [
    ("assignment: other\n", "not 'toy'"),
    ("assignment: toy\nquestions:\n  nope: {points: 1}\n", "no such question"),
    ("assignment: toy\nquestions:\n  q:\n    checks:\n      zz: {points: 1}\n", "no such check"),
    ("assignment: toy\nquestions:\n  q:\n    points: 1\n    checks:\n      a: {points: 2}\n", "more than the question's 1"),
    ("assignment: toy\nquestions:\n  q:\n    points: 3\n    checks: {a: {points: 1}, b: {points: 1}, c: {points: 0.5}}\n", "worth 3"),
    ("assignment: toy\nquestions:\n  q:\n    partial: {failed: 2}\n", "between 0 and 1"),
    ("assignment: toy\nquestions:\n  q:\n    pionts: 2\n", "line 4"),
])
def test_rubric_errors_name_the_place(toy, tmp_path: Path, rubric_text: str, needle: str) -> None:
    p = tmp_path / "r.yaml"
    p.write_text(rubric_text)
    with pytest.raises(SpecError) as e:
        load_rubric(p, toy)
    assert needle in str(e.value) and str(p) in str(e.value)


def test_bundled_rubric_matches_bundled_assignment() -> None:
    from grader.spec.find import resolve_assignment, rubric_for
    a = load_assignment(resolve_assignment("derivatives-activations"))
    rubric = rubric_for(a)
    total = sum(score_question(q, QuestionOutcome([CheckOutcome(n, True) for n in q.check_names()]), rubric).max_score
                for q in a.questions)
    assert total == 20


def test_rubric_partial_credit_for_a_symbolic_situation(tmp_path: Path) -> None:
    """`partial: {wrong_form: 0.75}` in the rubric overrides the assignment's form_credit."""
    a = tmp_path / "sym.yaml"
    a.write_text("id: sym\ntitle: Sym\nquestions:\n  - id: s\n    kind: symbolic\n    points: 2\n"
                 "    answer: {tag: s}\n    expected: 'sigma(x)*(1 - sigma(x))'\n"
                 "    definitions: {'sigma(x)': '1/(1 + exp(-x))'}\n    form: {require: [sigma]}\n")
    assignment = load_assignment(a)
    q = assignment.questions[0]
    wrong_form = QuestionOutcome([CheckOutcome("answer", False, status="partial", credit=0.5)], status="partial",
                                 situation="wrong_form")
    assert score_question(q, wrong_form, Rubric(assignment="sym")).score == 1  # form_credit 0.5 of 2 points
    rubric = Rubric.model_validate({"assignment": "sym", "questions": {"s": {"partial": {"wrong_form": 0.75}}}})
    assert score_question(q, wrong_form, rubric).score == Fraction(3, 2)
