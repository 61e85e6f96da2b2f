"""Gradescope's autograder results.json: one test per question.

Students read every `output` (format "text") and `name`, so those pass `safe.terminal`. A question's
feedback never holds a hidden check's details (grading/score.py keeps them on the check, for staff);
a question whose checks are all hidden is held back until grades are published.
"""

from __future__ import annotations

from grader.report.json_report import dumps
from grader.report.registry import register
from grader.report.safe import terminal
from grader.results import PASSED, GradeResult, as_number


@register("gradescope")
def render_gradescope(result: GradeResult, *, color: bool = False) -> str:
    tests = []
    for n, q in enumerate(result.questions, 1):
        tests.append({
            "name": terminal(f"{q.id}: {q.title}" if q.title != q.id else q.id, one_line=True),
            "number": str(n),
            "score": as_number(q.score),
            "max_score": as_number(q.max_score),
            "status": "passed" if q.status == PASSED else "failed",
            "output": terminal(q.feedback) or ("Correct." if q.status == PASSED else q.status),
            "output_format": "text",
            # the spec's visibility (Gradescope has the same four); else held back when every check is hidden
            "visibility": q.visibility if q.visibility != "visible" else
            "after_published" if q.checks and all(c.hidden for c in q.checks) else "visible",
            "tags": [q.kind, q.status],
        })
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
