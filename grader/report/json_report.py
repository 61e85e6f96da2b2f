"""Machine-readable report: the documented JSON contract plus checks, events and timings.

The data is kept as it is, student text included (consumers escape it for wherever they show it),
and hidden checks keep their feedback here, for staff: this report is not what a student is shown.
"""

from __future__ import annotations

import json
from typing import Any

from grader.report.registry import register
from grader.results import GradeResult, as_number


def to_dict(result: GradeResult) -> dict[str, Any]:
    return {
        "assignment": result.assignment,
        "notebook": result.notebook,
        "score": as_number(result.score),
        "max_score": as_number(result.max_score),
        "needs_review": result.needs_review,
        "warnings": list(result.warnings),
        "questions": [
            {
                "id": q.id, "title": q.title, "kind": q.kind,
                "score": as_number(q.score), "max_score": as_number(q.max_score),
                "status": q.status, "feedback": q.feedback, "needs_review": q.needs_review,
                "checks": [{"name": c.name, "passed": c.passed, "status": c.status, "score": as_number(c.points),
                            "max_score": as_number(c.max_points), "feedback": c.feedback, "hidden": c.hidden}
                           for c in q.checks],
                **({"details": q.details} if q.details else {}),
            }
            for q in result.questions
        ],
        "events": [{"cell": e.cell_index + 1, "kind": e.kind, "message": e.message} for e in result.events],
        "assignment_source": result.assignment_source,
        "isolation": result.isolation,
        "grader_version": result.grader_version,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
    }


def dumps(doc: Any) -> str:
    """`doc` as JSON text that can always be written as UTF-8: readable non-ASCII as is, unless a string
    holds a lone surrogate (an exception message can), which only a `\\ud800` escape can carry intact."""
    text = json.dumps(doc, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(doc, indent=2, ensure_ascii=True)
    return text + "\n"


@register("json")
def render_json(result: GradeResult, *, color: bool = False) -> str:
    return dumps(to_dict(result))
