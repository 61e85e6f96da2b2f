"""What the pages show, computed from the gradebook: roster rows, score histograms (inline SVG bars
computed here, drawn by the template), the most common problems, review items and one submission's
questions with math rendered. No markup is built here except MathML from `serve.math`."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from grader import results as R
from grader.kinds.symbolic import SymbolicQuestion
from grader.report.pages import Figure, figure
from grader.serve.math import latex_to_mathml, render_text
from grader.spec.models import Assignment
from grader.workflows.batch.gradebook import Row

# a question a TA should look at: the checker could not decide, found nothing, or the grading was cut short
REVIEW_STATUSES = frozenset({R.UNPARSED, R.UNDECIDED, R.MISSING, R.TIMEOUT, R.KERNEL_DIED})


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


@dataclass(frozen=True)
class Histogram:
    """Bars in a 300×100 viewBox; `labels` along the x axis."""

    bars: list[Bar]
    total: int
    low: str
    high: str


def _label(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def histogram(values: list[float], top: float, bins: int = 10) -> Histogram:
    """Counts of `values` in [0, top]: a bar per possible score when a question is worth a few points in
    whole or half points (a 2-point question scores 0, 1 or 2), else `bins` equal bins."""
    top = top or 1.0
    half = all(float(v * 2).is_integer() for v in values)
    step = 1.0 if all(float(v).is_integer() for v in values) else 0.5
    if half and top <= 6 and float(top / step).is_integer():
        keys = [k * step for k in range(int(top / step) + 1)]
        counts = Counter(float(v) for v in values)
        amounts, labels = [counts.get(k, 0) for k in keys], [_label(k) for k in keys]
    else:
        width = top / bins
        amounts = [0] * bins
        for v in values:
            amounts[min(bins - 1, max(0, int(v / width)))] += 1
        labels = [f"{_label(i * width)}–{_label((i + 1) * width)}" for i in range(bins)]
    most = max(amounts, default=0) or 1
    slot = 300 / max(1, len(amounts))
    bars = [Bar(i * slot + 1, 100 - 80 * n / most, slot - 2, 80 * n / most, label, n)
            for i, (n, label) in enumerate(zip(amounts, labels))]
    return Histogram(bars, len(values), _label(0), _label(top))


@dataclass(frozen=True)
class QuestionStats:
    id: str
    title: str
    mean: float          # fraction of the points
    full: int
    graded: int
    hist: Histogram
    problem: str
    problem_count: int


def _first_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= 160 else line[:157] + "…"


def question_stats(assignment: Assignment, rows: list[Row]) -> list[QuestionStats]:
    """Per question: final-score distribution and the most common first line of feedback where points were lost."""
    out = []
    for q in assignment.questions:
        found = [x for r in rows if r.result for x in r.result["questions"] if x["id"] == q.id]
        scores = [float(x["score"]) for x in found]
        top = max((float(x["max_score"]) for x in found), default=float(q.points))
        problems = Counter(_first_line(x["feedback"]) for x in found
                           if float(x["score"]) < float(x["max_score"]) and x["feedback"]
                           and x["status"] not in (R.NOT_ATTEMPTED, R.NO_ANSWER))
        common = problems.most_common(1)
        out.append(QuestionStats(
            q.id, q.display_title, statistics.fmean(s / top for s in scores) if scores and top else 0.0,
            sum(1 for x in found if float(x["score"]) >= float(x["max_score"])), len(found),
            histogram(scores, top, bins=5), *(common[0] if common else ("", 0))))
    return out


@dataclass
class ReviewItem:
    student: str
    job_id: str | None
    question: str | None      # None: about the submission as a whole (a warning, not graded)
    title: str
    status: str
    why: str
    reviewed: bool = False


def review_items(assignment: Assignment, rows: list[Row], current: dict[str, str]) -> list[ReviewItem]:
    """What a TA should look at: undecided/unparsed/missing answers, figures, questions flagged for review,
    whole-notebook warnings (incomplete grading, the trust checks' flags) and submissions not graded.
    `current`: student → the id of their current submission. A question with an override is reviewed."""
    kinds = {q.id: q.kind for q in assignment.questions}
    items = []
    for r in rows:
        job = current.get(r.student)
        if r.outcome != "graded" or r.result is None:
            items.append(ReviewItem(r.student, job, None, "not graded", "not_graded", r.problem))
            continue
        for w in r.result.get("warnings", []):
            items.append(ReviewItem(r.student, job, None, "the whole notebook", "warning", w))
        for q in r.result["questions"]:
            figure_q = kinds.get(q["id"]) == "figure" or bool((q.get("details") or {}).get("figures"))
            if q.get("needs_review") or q["status"] in REVIEW_STATUSES or figure_q:
                why = "a figure to look at" if figure_q and not q.get("needs_review") else q["status"]
                items.append(ReviewItem(r.student, job, q["id"], q.get("title") or q["id"], q["status"], why,
                                        reviewed="override" in q))
    return items


@dataclass
class QuestionView:
    id: str
    title: str
    kind: str
    score: Any
    max_score: Any
    status: str
    feedback: Markup
    auto_score: Any = None
    override: dict[str, Any] | None = None
    answer: Markup | None = None         # the student's LaTeX as MathML
    answer_source: str = ""
    expected: Markup | None = None
    steps: list[tuple[Markup, bool, str]] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    needs_review: bool = False
    comments: list[str] = field(default_factory=list)


def expected_math(question: Any) -> Markup | None:
    """The expected answer of a symbolic question as MathML (the spec's sympy expression, trusted)."""
    if not isinstance(question, SymbolicQuestion):
        return None
    import sympy  # heavy; only pages that show a symbolic question pay for it

    try:
        return latex_to_mathml(sympy.latex(sympy.sympify(question.expected)))
    except (sympy.SympifyError, TypeError, ValueError, SyntaxError):
        return Markup("<code>") + question.expected + Markup("</code>")


def question_views(assignment: Assignment, doc: dict[str, Any], *, comments: dict[str, list[str]] | None = None
                   ) -> list[QuestionView]:
    specs = {q.id: q for q in assignment.questions}
    out = []
    for q in doc.get("questions", []):
        details = q.get("details") or {}
        read = details.get("read") or ""
        figs = details.get("figures") or {}
        shown = [figure(p, caption=f"yours (cell {figs.get('cell')})", alt="your figure")
                 for p in figs.get("student") or []]
        if figs and not shown:
            shown.append(Figure("no figure was drawn"))
        if figs.get("reference"):
            shown.append(figure(figs["reference"], caption="reference", alt="reference figure"))
        out.append(QuestionView(
            q["id"], q.get("title") or q["id"], q.get("kind", ""), q["score"], q["max_score"], q["status"],
            render_text(q.get("feedback", "")), auto_score=q.get("auto_score"), override=q.get("override"),
            answer=latex_to_mathml(read) if read else None, answer_source=read,
            expected=expected_math(specs.get(q["id"])),
            steps=[(latex_to_mathml(s.get("latex", "")), bool(s.get("valid")), s.get("note") or "")
                   for s in details.get("steps") or []],
            figures=shown, checks=list(q.get("checks", [])), needs_review=bool(q.get("needs_review")),
            comments=(comments or {}).get(q["id"], [])))
    return out
