"""OUTDIR/report.html: how the class did and where it struggled, for the instructor.

Built from the gradebook alone, so it is complete after a resumed batch too. Plots are
matplotlib PNGs embedded in the page, so the file can be mailed or uploaded as it is. The page is
grader/report/templates/class_report.html: student ids, problems and feedback are escaped there.
"""

from __future__ import annotations

import base64
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from grader import results as R
from grader.files import write_atomic
from grader.report.pages import render_page
from grader.spec.models import Assignment
from grader.workflows.batch.discover import safe_file_stem
from grader.workflows.batch.gradebook import Gradebook, Row

NOT_ATTEMPTS = frozenset({R.NOT_ATTEMPTED, R.NO_ANSWER})  # statuses of an answer the student never started


@dataclass(frozen=True)
class QuestionLine:
    """One row of the questions table."""

    id: str
    mean: float  # mean fraction of the question's points
    full: int  # results with full marks
    graded: int  # results that have this question
    skipped: int  # not attempted
    problem: str  # the most common first line of feedback among attempts that lost points
    problem_count: int


@dataclass(frozen=True)
class Summary:
    """What the report shows once at least one submission was graded."""

    mean: float
    median: float
    max_score: float
    hist: str  # base64 PNG: score distribution
    bars: str  # base64 PNG: mean per question
    questions: list[QuestionLine]


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _plots(scores: list[float], max_score: float, qids: list[str], means: list[float]) -> tuple[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.hist(scores, bins=min(20, max(5, int(max_score) or 5)), range=(0, max_score or 1), color="#4c72b0")
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.set_title("Score distribution")
    hist = _png(fig)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(qids) + 1))
    ax.barh(qids[::-1], [m * 100 for m in means[::-1]], color="#55a868")
    ax.set_xlim(0, 100)
    ax.set_xlabel("mean score (% of the question's points)")
    bars = _png(fig)
    plt.close(fig)
    return hist, bars


def _first_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    return line if len(line) <= 160 else line[:157] + "…"


def _question_line(qid: str, mean: float, qs: list[dict]) -> QuestionLine:
    """The placeholders of answers never attempted (starter code, an empty answer cell) are counted as
    not attempted and kept out of the problems: they say nothing about what the class got wrong."""
    problems = Counter(_first_line(q["feedback"]) for q in qs
                       if q["score"] < q["max_score"] and q["feedback"] and q["status"] not in NOT_ATTEMPTS)
    common = problems.most_common(1)
    problem, count = common[0] if common else ("", 0)
    return QuestionLine(qid, mean, full=sum(1 for q in qs if q["score"] >= q["max_score"]), graded=len(qs),
                        skipped=sum(1 for q in qs if q["status"] in NOT_ATTEMPTS),
                        problem=problem, problem_count=count)


def _summary(graded: list[Row], qids: list[str]) -> Summary:
    per_q: dict[str, list[dict]] = defaultdict(list)
    for r in graded:
        for q in r.result["questions"]:
            per_q[q["id"]].append(q)
    scores = [r.score or 0.0 for r in graded]
    max_score = max(r.max_score or 0.0 for r in graded)
    means = [statistics.fmean(q["score"] / q["max_score"] for q in per_q[i]) if per_q[i] else 0.0 for i in qids]
    hist, bars = _plots(scores, max_score, qids, means)
    return Summary(statistics.fmean(scores), statistics.median(scores), max_score, hist, bars,
                   [_question_line(qid, mean, per_q[qid]) for qid, mean in zip(qids, means)])


def _why(r: Row) -> str:
    questions = ", ".join(f"{q['id']} ({q['status']})" for q in (r.result or {}).get("questions", [])
                          if q.get("needs_review") or q["status"] in ("unparsed", "undecided", "timeout", "kernel_died"))
    return r.problem or "; ".join([*(r.result or {}).get("warnings", []), *([questions] if questions else [])])


def write_report(gradebook: Gradebook, assignment: Assignment, out: Path, roster: Iterable[str] = ()) -> Path:
    """`roster`: the class; its students with no submission are listed as missing."""
    rows: list[Row] = list(gradebook.rows())
    have = {r.student for r in rows}
    graded = [r for r in rows if r.outcome == "graded" and r.result]
    slowest = sorted((r for r in rows if r.seconds), key=lambda r: r.seconds or 0, reverse=True)[:10]
    page = render_page(
        "class_report.html", title=assignment.title, submissions=len(rows), graded=len(graded),
        summary=_summary(graded, [q.id for q in assignment.questions]) if graded else None,
        review=[(r.student, safe_file_stem(r.student), _why(r)) for r in rows if r.needs_review or r.outcome != "graded"],
        slowest=[(r.student, r.seconds) for r in slowest], missing=sorted(set(roster) - have))
    path = out / "report.html"
    write_atomic(path, page)
    return path
