"""OUTDIR/report.html: how the class did and where it struggled, for the instructor.

Built from the gradebook alone, so it is complete after a resumed batch too. Plots are
matplotlib PNGs embedded in the page, so the file can be mailed or uploaded as it is.
"""

from __future__ import annotations

import base64
import html
import io
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from grader.files import write_atomic
from grader.spec.models import Assignment
from grader.workflows.batch.gradebook import Gradebook, Row


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return f"<img alt='' src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'>"


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


def write_report(gradebook: Gradebook, assignment: Assignment, out: Path) -> Path:
    rows: list[Row] = list(gradebook.rows())
    graded = [r for r in rows if r.outcome == "graded" and r.result]
    qids = [q.id for q in assignment.questions]
    per_q: dict[str, list[dict]] = defaultdict(list)
    for r in graded:
        for q in r.result["questions"]:
            per_q[q["id"]].append(q)
    e = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{e(assignment.title)}: class report</title>",
             "<style>body{font-family:system-ui;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>",
             f"<h1>{e(assignment.title)}</h1>",
             f"<p>{len(rows)} submissions: {len(graded)} graded, {len(rows) - len(graded)} could not be graded.</p>"]
    if graded:
        scores = [r.score or 0.0 for r in graded]
        max_score = max(r.max_score or 0.0 for r in graded)
        means = [statistics.fmean(q["score"] / q["max_score"] for q in per_q[i]) if per_q[i] else 0.0 for i in qids]
        hist, bars = _plots(scores, max_score, qids, means)
        parts += [f"<p>Mean {statistics.fmean(scores):.2f} / {max_score:g}, median {statistics.median(scores):g}.</p>",
                  hist, "<h2>Questions</h2>", bars,
                  "<table><tr><th>question</th><th>mean</th><th>full marks</th><th>not attempted</th>"
                  "<th>most common problem (among attempts)</th></tr>"]
        for qid, mean in zip(qids, means):
            qs = per_q[qid]
            full = sum(1 for q in qs if q["score"] >= q["max_score"])
            skipped = sum(1 for q in qs if q["status"] == "not_attempted")
            problems = Counter(_first_line(q["feedback"]) for q in qs
                               if q["score"] < q["max_score"] and q["feedback"] and q["status"] != "not_attempted")
            common = problems.most_common(1)
            note = f"{e(common[0][0])} ({common[0][1]}×)" if common else ""
            parts.append(f"<tr><td>{e(qid)}</td><td>{mean:.0%}</td><td>{full}/{len(qs)}</td><td>{skipped}</td>"
                         f"<td>{note}</td></tr>")
        parts.append("</table>")
    review = [r for r in rows if r.needs_review or r.outcome != "graded"]
    parts.append("<h2>Needs manual review</h2>")
    if review:
        parts.append("<ul>")
        for r in review:
            why = r.problem or ", ".join(f"{q['id']} ({q['status']})" for q in (r.result or {}).get("questions", [])
                                         if q.get("needs_review") or q["status"] in ("unparsed", "undecided", "timeout", "kernel_died"))
            parts.append(f"<li><a href='feedback/{e(r.student)}.html'>{e(r.student)}</a>: {e(why)}</li>")
        parts.append("</ul>")
    else:
        parts.append("<p>None.</p>")
    slow = sorted((r for r in rows if r.seconds), key=lambda r: r.seconds or 0, reverse=True)[:10]
    parts.append("<h2>Slowest submissions</h2><table><tr><th>student</th><th>seconds</th></tr>")
    parts += [f"<tr><td>{e(r.student)}</td><td>{r.seconds:.1f}</td></tr>" for r in slow]
    parts.append("</table>")
    path = out / "report.html"
    write_atomic(path, "\n".join(parts) + "\n")
    return path
