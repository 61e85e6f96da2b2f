"""Prove an assignment before students meet it.

`check_files`: the schema, the rubric, and every question prepared as for grading (probe
inputs drawn, torch references computed, expected LaTeX parsed), so a typo in a reference is
found here rather than in the middle of a batch. `prove`: the solution notebook scores full
marks and the released starter scores zero without any grader error.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from . import results as R
from .assignments import rubric_for
from .checks import get_kind
from .errors import GraderInputError
from .execute import Limits
from .spec import Assignment, Rubric


def check_files(assignment: Assignment) -> Rubric:
    rubric = rubric_for(assignment)  # validated against the assignment's question ids
    for q in assignment.questions:
        try:
            get_kind(q.kind).prepare(q, assignment)  # every kind checks its author-side inputs here
        except GraderInputError as e:
            raise GraderInputError(f"{assignment.path}: {e}".splitlines()[0]) from None
        except Exception as e:  # noqa: BLE001 - a kind that failed unexpectedly: still one line
            raise GraderInputError(f"{assignment.path}: question {q.id}: {type(e).__name__}: {e}".splitlines()[0]) from None
    return rubric


@dataclass
class Proof:
    solution: tuple[Fraction, Fraction] | None  # (score, max) of the solution notebook
    starter: tuple[Fraction, Fraction]
    problems: list[str]


_GRADER_TROUBLE = {R.UNDECIDED}


def prove(assignment: Assignment, rubric: Rubric, limits: Limits | None = None) -> Proof:
    """Grade the solution (must be full marks) and the released starter (must be zero, and
    every question must say why with a student-facing status, not a grader error)."""
    from .pipeline import grade_notebook
    from .release import starter_text

    problems: list[str] = []
    solution = None
    path = assignment.solution_path
    if path is not None:
        if not path.is_file():
            problems.append(f"solution notebook {path} not found")
        else:
            result = grade_notebook(path, assignment, rubric, limits)
            solution = (result.score, result.max_score)
            for q in result.questions:
                if q.score != q.max_score:
                    problems.append(f"the solution loses points on {q.id} ({q.status}): {q.feedback.splitlines()[0] if q.feedback else ''}")
    with tempfile.TemporaryDirectory(prefix="grade-validate-") as tmp:
        starter = assignment.starter_path  # the notebook students receive, else what `grade release` writes
        if starter is None or not starter.is_file():
            starter = Path(tmp) / f"{assignment.id}_starter.ipynb"
            starter.write_text(starter_text(assignment), encoding="utf-8")
        result = grade_notebook(starter, assignment, rubric, limits)
    for q in result.questions:
        if q.score:
            problems.append(f"the unsolved starter earns points on {q.id}")
        if q.status in _GRADER_TROUBLE or q.needs_review:
            problems.append(f"the unsolved starter puts {q.id} up for review ({q.status}): {q.feedback.splitlines()[0] if q.feedback else ''}")
    return Proof(solution, (result.score, result.max_score), problems)
