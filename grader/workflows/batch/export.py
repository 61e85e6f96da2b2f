"""What an instructor takes away from a batch: grades.csv for the LMS and one feedback file per student.

Everything here reads the gradebook's final scores (`Gradebook.rows`: a staff override wins over the
automatic score), so an override made in `grade serve` reaches every export."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path

from grader.files import write_atomic
from grader.report import formats, render
from grader.report.json_report import from_dict
from grader.report.pages import render_page
from grader.report.registry import report_name
from grader.report.safe import csv_cell, markdown_text
from grader.results import GradeResult, as_number
from grader.spec.models import Assignment
from grader.workflows.batch.discover import safe_file_stem
from grader.workflows.batch.gradebook import Gradebook

MISSING = "missing"  # the outcome of a roster student with no submission


def write_csv(gradebook: Gradebook, assignment: Assignment, out: Path, roster: Iterable[str] = ()) -> Path:
    """grades.csv; every string cell (student ids come from file and folder names) passes `safe.csv_cell`, so
    a spreadsheet never runs one as a formula. Scores are the grader's numbers and are written as such.
    `roster`: the class; a student in it with no submission gets a row with outcome `missing`, no score."""
    ids = [q.id for q in assignment.questions]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([csv_cell(h) for h in ["student", "score", "max_score", "outcome", "needs_review", *ids, "reason"]])
    rows = {row.student: row for row in gradebook.rows()}
    for student in sorted(set(rows) | set(roster)):
        row = rows.get(student)
        if row is None:
            w.writerow([csv_cell(student), "", "", MISSING, 0, *["" for _ in ids], "no submission"])
            continue
        per_q = {q["id"]: q["score"] for q in (row.result or {}).get("questions", [])}
        # a submission that was not graded has an empty score (never a 0) and says why
        w.writerow([csv_cell(row.student), _number(row.score), _number(row.max_score), csv_cell(row.outcome),
                    int(row.needs_review), *[_number(per_q.get(i)) for i in ids],
                    csv_cell(row.problem or "") if row.outcome == "failed" else ""])
    path = out / "grades.csv"
    write_atomic(path, buf.getvalue())
    return path


def _number(value: float | None) -> str:
    """A score as a spreadsheet shows it: at most 2 decimals (7.67, not 7.66667), integers bare, none empty."""
    if value is None:
        return ""
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def write_feedback(out: Path, student: str, markdown: str, page: str | None = None) -> None:
    """feedback/<student>.md and .html, written as soon as the student is graded (`page`: the HTML
    report, with figures; else the markdown shown as text, escaped, in the same layout)."""
    folder, stem = out / "feedback", safe_file_stem(student)  # a student id is not a safe file name
    write_atomic(folder / f"{stem}.md", markdown)
    write_atomic(folder / f"{stem}.html", page or render_page("text.html", title=student, text=markdown))


def write_failure_feedback(gradebook: Gradebook, out: Path, title: str = "") -> Path:
    """feedback/<student>.md and .html for each submission that could not be graded: no score, and the
    reason, so the student can act on it (`title`: the assignment's). Returns the feedback folder."""
    heading = f"{title}: not graded" if title else "Not graded"
    for row in gradebook.rows():
        if row.outcome == "failed":
            reason = row.problem or "no reason was recorded"
            write_feedback(out, row.student, f"# {markdown_text(heading, one_line=True)}\n\n"
                                             "The grader could not grade this submission: "
                                             f"{markdown_text(reason, one_line=True)}\n",
                           render_page("not_graded.html", title=title or "Your submission", student=row.student,
                                       reason=reason))
    return out / "feedback"


def final_grade_result(doc: dict, title: str = "") -> GradeResult:
    """A gradebook result (final scores) as a GradeResult to render, with each override's score and comment
    added to its question's feedback, where a student reads it."""
    result = from_dict(doc, title)
    for q, raw in zip(result.questions, doc.get("questions", [])):
        o = raw.get("override")
        if o is not None:
            note = f"Reviewed by course staff: {as_number(q.score)} / {as_number(q.max_score)}."
            if o.get("comment"):
                note += f" {o['comment']}"
            q.feedback = f"{q.feedback}\n{note}" if q.feedback else note
    return result


def write_final_feedback(gradebook: Gradebook, title: str, write: Callable[[str, GradeResult], None],
                         students: list[str] | None = None) -> None:
    """Call `write` (what writes a student's feedback files) with the final result of each of `students`
    (default: those with an override): what `grade batch` wrote from the automatic result is replaced
    once staff changed a score."""
    for student in (gradebook.students_with_overrides() if students is None else students):
        row = gradebook.row(student)
        if row is not None and row.result is not None:
            write(student, final_grade_result(row.result, title))


def written_formats(out: Path, students: Iterable[str]) -> list[str]:
    """The formats `grade batch -f FORMAT` wrote into OUTDIR/results/: those of which some student's
    results/<student>.<ext> exists (so `grade serve` keeps exactly those files current)."""
    folder = out / "results"
    if not folder.is_dir():
        return []
    stems = [safe_file_stem(s) for s in students]
    return [fmt for fmt in formats() if any((folder / report_name(stem, fmt)).is_file() for stem in stems)]


def write_results(out: Path, student: str, result: GradeResult, fmts: Iterable[str]) -> None:
    """OUTDIR/results/<student>.<ext> in each of `fmts`, as `grade batch -f` writes them."""
    for fmt in fmts:
        write_atomic(out / "results" / report_name(safe_file_stem(student), fmt), render(result, fmt))
