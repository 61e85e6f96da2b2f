"""Feedback as a web page: the markdown report's content, plus the student's figures next to the
reference figures where a question asked for a plot. Rendered from templates/feedback.html, where
autoescape keeps the student's text (messages, feedback quoting their code) from becoming markup."""

from __future__ import annotations

from grader.report.pages import Figure, figure, render_page
from grader.report.registry import register
from grader.report.visibility import released
from grader.results import GradeResult, QuestionResult


def _figures(q: QuestionResult) -> list[Figure] | None:
    """The figures a figure question recorded (see grader/kinds/figure.py), each payload checked,
    since the student's cell chose what its image/png output holds; None for other questions."""
    figs = (q.details or {}).get("figures")
    if not figs:
        return None
    cell = figs.get("cell")
    shown = [figure(png, caption=f"yours (cell {cell})", alt="your figure") for png in figs.get("student") or []]
    if not shown:
        shown.append(Figure("no figure was drawn"))
    if figs.get("reference"):
        shown.append(figure(figs["reference"], caption="reference", alt="reference figure"))
    return shown


@register("html")
def render_html(result: GradeResult, *, color: bool = False) -> str:
    result, _ = released(result)  # a student's page: only what is released
    shown = [(q, _figures(q)) for q in result.questions if q.feedback or (q.details or {}).get("figures")]
    return render_page("feedback.html", result=result, shown=shown)
