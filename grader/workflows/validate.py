"""Prove an assignment before students meet it.

`check_files`: the schema, the rubric, and every question prepared as for grading (probe
inputs drawn, torch references computed, expected LaTeX parsed), so a typo in a reference is
found here rather than in the middle of a batch. `prove`: the solution notebook scores full
marks with nothing flagged for review, and the released starter scores zero with every question `not_attempted` or `no_answer`
(a stub or placeholder the grader reads as an attempt would mark a blank as a wrong answer).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from grader import interrupt
from grader import results as R
from grader.errors import GraderInputError
from grader.grading.pipeline import grade_notebook
from grader.kernel.limits import Limits
from grader.kinds import solution
from grader.kinds.registry import get_kind
from grader.spec.bundle import AssignmentBundle
from grader.spec.models import Rubric
from grader.workflows.release import starter_text


def check_files(bundle: AssignmentBundle, limits: Limits | None = None) -> Rubric:
    """Every file the assignment names exists and every question prepares; returns the rubric
    (already validated against the assignment's question ids). Questions whose reference is the
    solution notebook run it here (once; the answers are cached for grading)."""
    assignment = bundle.assignment
    bundle.entries()  # a named starter that is missing: one line here (a missing solution is `prove`'s to report)
    interrupt.run(solution.ensure(assignment, limits))
    for q in assignment.questions:
        try:
            get_kind(q.kind).prepare(q, assignment)  # every kind checks its author-side inputs here
        except GraderInputError as e:
            raise GraderInputError(f"{assignment.path}: {e}".splitlines()[0]) from None
        except Exception as e:  # noqa: BLE001 - a kind that failed unexpectedly: still one line
            raise GraderInputError(f"{assignment.path}: question {q.id}: {type(e).__name__}: {e}".splitlines()[0]) from None
    return bundle.rubric


@dataclass
class Proof:
    solution: tuple[Fraction, Fraction] | None  # (score, max) of the solution notebook
    starter: tuple[Fraction, Fraction]
    problems: list[str]
    failing: dict[str, str] = field(default_factory=dict)  # question id -> its first problem


_GRADER_TROUBLE = {R.UNDECIDED}
_BLANK = {R.NOT_ATTEMPTED, R.NO_ANSWER}  # what every question of an untouched starter must come out as


def prove(bundle: AssignmentBundle, limits: Limits | None = None) -> Proof:
    """Grade the solution (must be full marks) and the released starter (must be zero, every
    question `not_attempted` or `no_answer`, none up for review). One problem line per question."""
    assignment, rubric = bundle.assignment, bundle.rubric
    problems: list[str] = []
    failing: dict[str, str] = {}

    def problem(qid: str, text: str) -> None:
        problems.append(text)
        failing.setdefault(qid, text)

    solution = None
    path = assignment.solution_path
    if path is not None:
        if not path.is_file():
            problems.append(f"solution notebook {path} not found")
        else:
            result = grade_notebook(path, assignment, rubric, limits)
            solution = (result.score, result.max_score)
            for q in result.questions:
                if q.needs_review:  # full marks, but every student who writes the same would go to a TA
                    problem(q.id, f"the solution is flagged for review on {q.id} ({q.status}): "
                                  f"{q.feedback.splitlines()[-1] if q.feedback else ''}")
                elif q.score != q.max_score:
                    problem(q.id, f"the solution loses points on {q.id} ({q.status}): {q.feedback.splitlines()[0] if q.feedback else ''}")
    with tempfile.TemporaryDirectory(prefix="grade-validate-") as tmp:
        starter = assignment.starter_path  # the notebook students receive, else what `grade release` writes
        if starter is None or not starter.is_file():
            starter = Path(tmp) / f"{assignment.id}_starter.ipynb"
            starter.write_text(starter_text(assignment), encoding="utf-8")
        result = grade_notebook(starter, assignment, rubric, limits)
    for q in result.questions:
        first = q.feedback.splitlines()[0] if q.feedback else ""
        if q.score:
            problem(q.id, f"the unsolved starter earns points on {q.id}")
        elif q.status in _GRADER_TROUBLE or q.needs_review:
            problem(q.id, f"the unsolved starter puts {q.id} up for review ({q.status}): {first}")
        elif q.status not in _BLANK:
            problem(q.id, f"the unsolved starter's {q.id} is graded as an attempt ({q.status}, not "
                            f"not_attempted or no_answer): {first}")
    return Proof(solution, (result.score, result.max_score), problems, failing)
