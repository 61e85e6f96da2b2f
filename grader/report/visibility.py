"""Who sees a question's or a check's result, and when: `visibility: visible | hidden | after_due_date |
after_published` in the assignment, on questions and on checks (a code question's probes, an optimizer's
settings; `hidden: true` is `hidden`). Staff always see everything; a student sees a `hidden` item never,
an `after_due_date` one once the assignment's `due` has passed, and an `after_published` one once staff
published the grades. `shown` is the one place that decides it: the student pages and API of `grade serve`,
its exports, `grade check` (what runs in a student's self-check) and the student-facing formats all ask it.

A check's visibility governs its details (its line in `checks` and its feedback: the inputs, the expected
and the received values); its points count in the question's score from the start, as a hidden check's
always did. A question's visibility governs the whole question, its score included.

The JSON report keeps everything (it is the staff's); `release` marks in it what a student sees now,
`student_view` is what a student reads of it."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from grader.results import (
    AFTER_DUE_DATE,
    AFTER_PUBLISHED,
    HIDDEN,
    VISIBILITIES,
    VISIBLE,
    GradeResult,
)
from grader.spec.models import Assignment

__all__ = ["VISIBLE", "HIDDEN", "AFTER_DUE_DATE", "AFTER_PUBLISHED", "VISIBILITIES", "shown", "release",
           "student_view", "released", "question_visibility", "due_passed"]


def question_visibility(assignment: Assignment, qid: str) -> str:
    try:
        q = assignment.question(qid)
    except KeyError:
        return VISIBLE
    return q.shown_as


def due_passed(assignment: Assignment | None, now: datetime | None) -> bool:
    due = assignment.due if assignment is not None else None
    if due is None or now is None:
        return False
    if due.tzinfo is None:
        due = due.replace(tzinfo=timezone.utc)
    return now >= due


def shown(visibility: str, assignment: Assignment | None = None, *, published: bool = False,
          now: datetime | None = None) -> bool:
    """Whether a student sees an item of this visibility now. Without an assignment and a time (a report
    rendered with no release state at hand) only `visible` items are."""
    return (visibility == VISIBLE or (visibility == AFTER_DUE_DATE and due_passed(assignment, now))
            or (visibility == AFTER_PUBLISHED and published))


def release(doc: dict[str, Any], assignment: Assignment, *, published: bool, now: datetime) -> dict[str, Any]:
    """`doc` (a JSON report) with what a student sees now marked `visible`: the questions and checks whose
    visibility `shown` allows, each released check's own feedback added to its question's (where every
    student-facing format reads it). Nothing is left out: the rest keep their visibility, for the formats
    that carry it (Gradescope's) and for `student_view` to drop."""
    out = dict(doc)
    questions = []
    for q in doc.get("questions", []):
        v = question_visibility(assignment, q["id"])
        q = {**q, "visibility": VISIBLE if shown(v, assignment, published=published, now=now) else v}
        checks, notes = [], []
        for c in q.get("checks", []):
            c = dict(c)
            was = c.get("visibility") or (HIDDEN if c.get("hidden") else VISIBLE)
            if was != VISIBLE and q["visibility"] == VISIBLE and shown(was, assignment, published=published, now=now):
                c.update(visibility=VISIBLE, hidden=False)
                if c.get("feedback") and not c.get("passed", False):
                    notes.append(c["feedback"])
            checks.append(c)
        q["checks"] = checks
        if notes:
            lines = [*(q.get("feedback") or "").split("\n"), *notes]
            q["feedback"] = "\n".join(dict.fromkeys(line for line in lines if line))
        questions.append(q)
    out["questions"] = questions
    return out


def student_view(doc: dict[str, Any], assignment: Assignment, *, published: bool, now: datetime) -> dict[str, Any]:
    """`doc` (a JSON report) as a student may read it now: `release`d, then the questions they may not see
    yet left out (counted in `held_back`, the totals over what is shown) and the checks not yet visible
    left out of `checks`."""
    out = release(doc, assignment, published=published, now=now)
    questions = [{**q, "checks": [c for c in q["checks"] if c.get("visibility") == VISIBLE]}
                 for q in out["questions"] if q.get("visibility") == VISIBLE]
    held = len(out["questions"]) - len(questions)
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
    """`result` with only the questions a student sees now (those `shown` with no release state: `visible`,
    and what `release` marked so), and how many were held back: what the student-facing formats render."""
    kept = [q for q in result.questions if shown(q.visibility)]
    held = len(result.questions) - len(kept)
    return (dataclasses.replace(result, questions=kept) if held else result), held
