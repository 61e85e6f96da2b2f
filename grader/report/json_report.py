"""Machine-readable report: the documented JSON contract plus checks, events and timings."""

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


@register("json")
def render_json(result: GradeResult, *, color: bool = False) -> str:
    return json.dumps(to_dict(result), indent=2, ensure_ascii=False) + "\n"
