"""Machine-readable report: the documented JSON contract plus checks, events and timings.

The data is kept as it is, student text included (consumers escape it for wherever they show it),
and hidden checks keep their feedback here, for staff: this report is not what a student is shown.
"""

from __future__ import annotations

import json
from typing import Any

from grader.report.registry import register
from grader.results import (
    CellEvent,
    CheckResult,
    GradeResult,
    QuestionResult,
    as_number,
    exact,
)


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
                "visibility": q.visibility,
                "checks": [{"name": c.name, "passed": c.passed, "status": c.status, "score": as_number(c.points),
                            "max_score": as_number(c.max_points), "feedback": c.feedback, "hidden": c.hidden,
                            "visibility": c.visibility}
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


def from_dict(doc: dict[str, Any], title: str = "") -> GradeResult:
    """The GradeResult a report dict describes (`to_dict`'s inverse, `title`: the assignment's, which the dict
    does not carry), so a stored result, with final scores from the gradebook, renders in any format."""
    def frac(x: Any) -> Any:
        return exact(float(x))

    return GradeResult(
        assignment=doc["assignment"], assignment_title=title or doc["assignment"], notebook=doc.get("notebook", ""),
        questions=[QuestionResult(
            id=q["id"], kind=q.get("kind", ""), title=q.get("title") or q["id"], score=frac(q["score"]),
            max_score=frac(q["max_score"]), status=q["status"], feedback=q.get("feedback", ""),
            checks=[CheckResult(c["name"], c["passed"], frac(c["score"]), frac(c["max_score"]), c["status"],
                                c.get("feedback", ""), c.get("hidden", False), c.get("visibility", ""))
                    for c in q.get("checks", [])],
            needs_review=q.get("needs_review", False), details=q.get("details") or {},
            visibility=q.get("visibility", "visible"))
            for q in doc.get("questions", [])],
        events=[CellEvent(e["cell"] - 1, e["kind"], e["message"]) for e in doc.get("events", [])],
        assignment_source=doc.get("assignment_source", ""), timings=dict(doc.get("timings", {})),
        isolation=doc.get("isolation", ""), grader_version=doc.get("grader_version", ""),
        warnings=list(doc.get("warnings", [])))


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
