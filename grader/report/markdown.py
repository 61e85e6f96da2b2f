"""Feedback a student can read anywhere (LMS comment, GitHub, a .md file): score table, then what to fix."""

from __future__ import annotations

from grader.report.registry import register
from grader.results import GradeResult, as_number


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


@register("markdown")
def render_markdown(result: GradeResult, *, color: bool = False) -> str:
    lines = [f"# {result.assignment_title}: {as_number(result.score)} / {as_number(result.max_score)}", ""]
    lines += ["| question | score | status |", "| --- | --- | --- |"]
    for q in result.questions:
        lines.append(f"| {_cell(q.title or q.id)} | {as_number(q.score)} / {as_number(q.max_score)} | {q.status} |")
    if result.events:
        lines += ["", "## While running your notebook", ""]
        lines += [f"- cell {e.cell_index + 1}: {e.message}" for e in result.events]
    todo = [q for q in result.questions if q.has_advice]
    if todo:
        lines += ["", "## What to fix", ""]
        for q in todo:
            lines += [f"### {q.title or q.id} ({as_number(q.score)} / {as_number(q.max_score)}, {q.status})", ""]
            lines += [f"{line}  " for line in q.feedback.splitlines()] + [""]
    if result.needs_review:
        lines += ["", "_Some answers could not be checked automatically; a TA will review them._"]
    return "\n".join(lines).rstrip() + "\n"
