"""Gradescope's autograder results.json: one test per question."""

from __future__ import annotations

import json

from grader.report.registry import register
from grader.results import PASSED, GradeResult, as_number


@register("gradescope")
def render_gradescope(result: GradeResult, *, color: bool = False) -> str:
    tests = []
    for n, q in enumerate(result.questions, 1):
        tests.append({
            "name": f"{q.id}: {q.title}" if q.title != q.id else q.id,
            "number": str(n),
            "score": as_number(q.score),
            "max_score": as_number(q.max_score),
            "status": "passed" if q.status == PASSED else "failed",
            "output": q.feedback or ("Correct." if q.status == PASSED else q.status),
            "output_format": "text",
            "visibility": "after_published" if any(c.hidden for c in q.checks) and all(c.hidden for c in q.checks) else "visible",
            "tags": [q.kind, q.status],
        })
    notes = [f"Cell {e.cell_index + 1}: {e.message}" for e in result.events]
    doc = {
        "score": as_number(result.score),
        "max_score": as_number(result.max_score),
        "execution_time": round(result.timings.get("total", 0.0), 2),
        "output": ("Notes from running your notebook:\n" + "\n".join(notes)) if notes else "",
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
