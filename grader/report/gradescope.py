"""Gradescope's autograder results.json: one test per question.

Students read every `output` (format "text") and `name`, so those pass `safe.terminal`. A question's
feedback never holds a hidden check's details (grading/score.py keeps them on the check, for staff);
a question whose checks are all hidden is held back until grades are published. A check shown later
(`after_due_date`, `after_published`) gets a test of its own with that visibility.
"""

from __future__ import annotations

from grader.report.json_report import dumps
from grader.report.registry import register
from grader.report.safe import terminal
from grader.results import (
    AFTER_DUE_DATE,
    AFTER_PUBLISHED,
    PASSED,
    VISIBLE,
    GradeResult,
    QuestionResult,
    as_number,
)


def _question_visibility(q: QuestionResult) -> str:
    """The spec's visibility (Gradescope has the same four); for a visible question whose checks are all
    withheld, the latest of theirs (held back until published, unless all wait only for the due date)."""
    if q.visibility != VISIBLE:
        return q.visibility
    if q.checks and all(c.visibility != VISIBLE for c in q.checks):
        return AFTER_DUE_DATE if all(c.visibility == AFTER_DUE_DATE for c in q.checks) else AFTER_PUBLISHED
    return VISIBLE


def _later_checks(q: QuestionResult) -> list[dict]:
    """A test for each check of a visible question that is shown later (`after_due_date`, `after_published`),
    with Gradescope's own visibility: its details (withheld from the question's output) reach the student
    when Gradescope releases it. No score (the question's test has the points), so nothing counts twice;
    a `hidden` check has none: it is never shown."""
    if q.visibility != VISIBLE:
        return []
    return [{"name": terminal(f"{q.id}: {c.name}", one_line=True),
             "status": "passed" if c.passed else "failed",
             "output": terminal(c.feedback) or ("Correct." if c.passed else c.status),
             "output_format": "text", "visibility": c.visibility, "tags": [q.kind, "check"]}
            for c in q.checks if c.visibility in (AFTER_DUE_DATE, AFTER_PUBLISHED)]


@register("gradescope")
def render_gradescope(result: GradeResult, *, color: bool = False) -> str:
    tests = []
    for q in result.questions:
        tests.append({
            "name": terminal(f"{q.id}: {q.title}" if q.title != q.id else q.id, one_line=True),
            "number": str(len(tests) + 1),
            "score": as_number(q.score),
            "max_score": as_number(q.max_score),
            "status": "passed" if q.status == PASSED else "failed",
            "output": terminal(q.feedback) or ("Correct." if q.status == PASSED else q.status),
            "output_format": "text",
            "visibility": _question_visibility(q),
            "tags": [q.kind, q.status],
        })
        for t in _later_checks(q):
            tests.append({**t, "number": str(len(tests) + 1)})
    notes = [f"Cell {e.cell_index + 1}: {terminal(e.message)}" for e in result.events]
    warnings = "".join(f"Warning: {terminal(w)}\n\n" for w in result.warnings)
    doc = {
        "score": as_number(result.score),
        "max_score": as_number(result.max_score),
        "execution_time": round(result.timings.get("total", 0.0), 2),
        "output": warnings + (("Notes from running your notebook:\n" + "\n".join(notes)) if notes else ""),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return dumps(doc)
