"""Who sees a question's or a check's result, and when: `visibility: visible | hidden | after_due_date |
after_published` in the assignment (`hidden: true` is `hidden`). Staff always see everything; a student
sees a `hidden` item never, an `after_due_date` one once the assignment's `due` has passed, and an
`after_published` one once staff published the grades. The JSON report keeps everything (it is the
staff's); `student_view` is what a student reads of it."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from grader.results import GradeResult
from grader.spec.models import Assignment

VISIBLE, HIDDEN, AFTER_DUE_DATE, AFTER_PUBLISHED = "visible", "hidden", "after_due_date", "after_published"
VISIBILITIES = (VISIBLE, HIDDEN, AFTER_DUE_DATE, AFTER_PUBLISHED)


def question_visibility(assignment: Assignment, qid: str) -> str:
    try:
        q = assignment.question(qid)
    except KeyError:
        return VISIBLE
    return q.shown_as


def due_passed(assignment: Assignment, now: datetime) -> bool:
    due = assignment.due
    if due is None:
        return False
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    return now >= due


def shown(visibility: str, assignment: Assignment, *, published: bool, now: datetime) -> bool:
    """Whether a student sees an item of this visibility now."""
    return (visibility == VISIBLE or (visibility == AFTER_DUE_DATE and due_passed(assignment, now))
            or (visibility == AFTER_PUBLISHED and published))


def student_view(doc: dict[str, Any], assignment: Assignment, *, published: bool, now: datetime) -> dict[str, Any]:
    """`doc` (a JSON report) as a student may read it: questions they may not see yet are left out (and
    counted in `held_back`), hidden checks are left out of `checks`, and the totals are over what is shown."""
    out = dict(doc)
    questions, held = [], 0
    for q in doc.get("questions", []):
        if not shown(question_visibility(assignment, q["id"]), assignment, published=published, now=now):
            held += 1
            continue
        checks = [c for c in q.get("checks", []) if not c.get("hidden")]
        questions.append({**q, "checks": checks, "visibility": VISIBLE})  # released: shown wherever it is rendered
    out["questions"] = questions
    if held:
        out["held_back"] = held
        out["score"] = _clean(sum(float(q["score"]) for q in questions))
        out["max_score"] = _clean(sum(float(q["max_score"]) for q in questions))
        out.pop("auto_score", None)
    return out


def _clean(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 4)


def released(result: GradeResult) -> tuple[GradeResult, int]:
    """`result` with only the questions a student sees now (visibility `visible`; `student_view` marks what
    it releases as such), and how many were held back: what the student-facing formats render."""
    shown = [q for q in result.questions if q.visibility == VISIBLE]
    held = len(result.questions) - len(shown)
    return (dataclasses.replace(result, questions=shown) if held else result), held
