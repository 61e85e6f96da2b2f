"""Feedback a student can read anywhere (LMS comment, GitHub, a .md file): score table, then what to fix.

Every string that is not the grader's own wording (feedback, event messages, titles) goes through
`safe.markdown_text`, so a student's text shows as written and can never become HTML, an image, a
link or a heading of its own. Titles come from the assignment, which is trusted, but are escaped too.
"""

from __future__ import annotations

from grader.report.registry import register
from grader.report.safe import markdown_text
from grader.report.visibility import released
from grader.results import GradeResult, as_number


def _inline(text: str) -> str:
    """One line of text for a heading, a table cell or a list item (`|` is escaped, so cells stay apart)."""
    return markdown_text(text, one_line=True)


@register("markdown")
def render_markdown(result: GradeResult, *, color: bool = False) -> str:
    result, held = released(result)  # a student's report: only what is released
    lines = [f"# {_inline(result.assignment_title)}: {as_number(result.score)} / {as_number(result.max_score)}", ""]
    if held:
        lines += [f"_{held} more question{'s are' if held != 1 else ' is'} shown when grades are released._", ""]
    lines += [f"**Warning:** {_inline(w)}  " for w in result.warnings] + ([""] if result.warnings else [])
    lines += ["| question | score | status |", "| --- | --- | --- |"]
    for q in result.questions:
        lines.append(f"| {_inline(q.title or q.id)} | {as_number(q.score)} / {as_number(q.max_score)} | {_inline(q.status)} |")
    if result.events:
        lines += ["", "## While running your notebook", ""]
        lines += [f"- cell {e.cell_index + 1}: {_inline(e.message)}" for e in result.events]
    notes = [q for q in result.questions if q.feedback and not q.has_advice]
    if notes:  # full marks with something to say (an input changed in place, an accepted form): as in the text report
        lines += ["", "## Notes", ""]
        lines += [f"- {_inline(q.title or q.id)}: {_inline(q.feedback)}" for q in notes]
    todo = [q for q in result.questions if q.has_advice]
    if todo:
        lines += ["", "## What to fix", ""]
        for q in todo:
            lines += [f"### {_inline(q.title or q.id)} ({as_number(q.score)} / {as_number(q.max_score)}, {_inline(q.status)})", ""]
            lines += [f"{line}  " for line in markdown_text(q.feedback).split("\n") if line.strip()] + [""]
    if result.answers_need_review:
        lines += ["", "_Some answers could not be checked automatically; a TA will review them._"]
    return "\n".join(lines).rstrip() + "\n"
