"""Manual scores beside automatic ones in the gradebook (nbgrader's model): the override wins, a regrade
updates the automatic score and keeps the override, marked "auto changed since override"; every change is
audited; grades.csv and the feedback files read final scores; an old gradebook gains the new tables."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest
from serving import synthetic

from grader.kinds import load_assignment
from grader.report import render
from grader.report.json_report import to_dict
from grader.report.visibility import student_view
from grader.spec.find import resolve_assignment
from grader.workflows.batch.export import (
    final_grade_result,
    write_csv,
    write_final_feedback,
)
from grader.workflows.batch.gradebook import Gradebook, OverrideRefused


@pytest.fixture
def book(tmp_path: Path) -> Gradebook:
    b = Gradebook(tmp_path / "gradebook.sqlite")
    b.record("alice", "alice.ipynb", "h1", "s", synthetic("alice", unparsed=True), 1.0)
    yield b
    b.close()


def test_a_regrade_keeps_the_override_and_says_the_automatic_score_changed(book: Gradebook) -> None:
    book.set_override("alice", "sigmoid_derivative_symbolic", 2, "accepted by hand", "ta1")
    row = book.row("alice")
    q = {q["id"]: q for q in row.result["questions"]}["sigmoid_derivative_symbolic"]
    assert row.score == 6 and row.auto_score == 4 and q["score"] == 2 and q["auto_score"] == 0
    assert q["override"]["auto_changed_since_override"] is False
    regraded = synthetic("alice", unparsed=True)
    regraded.questions[3].score = Fraction(1)  # the checker now gives 1 of 2
    book.record("alice", "alice.ipynb", "h2", "s", regraded, 1.0)
    q = {q["id"]: q for q in book.row("alice").result["questions"]}["sigmoid_derivative_symbolic"]
    assert q["score"] == 2 and q["auto_score"] == 1 and q["override"]["auto_changed_since_override"] is True
    assert book.row("alice").score == 6


def test_overrides_are_range_checked_and_audited(book: Gradebook) -> None:
    with pytest.raises(OverrideRefused, match="out of range"):
        book.set_override("alice", "sigmoid", 2.5, "", "ta1")
    with pytest.raises(OverrideRefused, match="no graded question"):
        book.set_override("alice", "nope", 1, "", "ta1")
    with pytest.raises(OverrideRefused):
        book.set_override("mallory", "sigmoid", 1, "", "ta1")
    book.set_override("alice", "sigmoid", 2, "stable enough", "ta1")
    book.set_override("alice", "sigmoid", 1.5, "on second thought", "ta2")
    assert book.delete_override("alice", "sigmoid", "ta1") is True
    assert book.delete_override("alice", "sigmoid", "ta1") is False
    audit = [(a["action"], a["old_score"], a["new_score"], a["by"]) for a in reversed(book.audit("alice"))]
    assert audit == [("set", 1, 2, "ta1"), ("set", 2, 1.5, "ta2"), ("delete", 1.5, 1, "ta1")]
    assert book.row("alice").score == 4
    assert book.used_comments("sigmoid") == ["on second thought", "stable enough"]


def test_grades_csv_and_feedback_use_final_scores(book: Gradebook, tmp_path: Path) -> None:
    a = load_assignment(resolve_assignment("derivatives-activations"))
    book.set_override("alice", "sigmoid_derivative_symbolic", 1.5, "=HYPERLINK(\"x\") half credit", "ta1")
    write_csv(book, a, tmp_path)
    with open(tmp_path / "grades.csv", newline="") as fh:
        row = next(csv.DictReader(fh))
    assert row["score"] == "5.5" and row["sigmoid_derivative_symbolic"] == "1.5"
    written = {}
    write_final_feedback(book, a.title, lambda s, r: written.update({s: r}))
    r = written["alice"]
    assert float(r.score) == 5.5
    fb = {q.id: q.feedback for q in r.questions}["sigmoid_derivative_symbolic"]
    assert "Reviewed by course staff: 1.5 / 2." in fb and "half credit" in fb
    assert final_grade_result(book.row("alice").result).questions[3].score == Fraction(3, 2)


def test_an_old_gradebook_gains_the_new_tables_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    b = Gradebook(path)
    b.record("alice", "alice.ipynb", "h1", "s", synthetic("alice", unparsed=False), 1.0)
    b.close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE overrides; DROP TABLE override_audit; DROP TABLE jobs; DROP TABLE settings; "
                     "PRAGMA user_version = 0;")
    db.close()
    b = Gradebook(path)
    assert b.row("alice").score == 6
    b.set_override("alice", "sigmoid", 2, "", "ta")
    assert b.row("alice").score == 7
    assert b.db.execute("PRAGMA user_version").fetchone()[0] == 2
    b.close()


def test_visibility_decides_what_a_student_reads_everywhere(tmp_path: Path) -> None:
    """`visibility` per question: hidden never, after_due_date once `due` passed, after_published once staff
    published; `hidden: true` is `hidden`. Gradescope gets the same value; Markdown feedback leaves out the
    ones not released."""
    a = load_assignment(resolve_assignment("derivatives-activations"))
    a.questions[1].visibility = "hidden"
    a.questions[2].visibility = "after_due_date"
    a.questions[4].visibility = "after_published"
    a.due = datetime.now(timezone.utc) + timedelta(days=1)
    result = synthetic("alice", unparsed=False)
    for q in result.questions:
        q.visibility = a.question(q.id).shown_as
    doc = to_dict(result)
    now = datetime.now(timezone.utc)
    ids = lambda d: [q["id"] for q in d["questions"]]  # noqa: E731
    early = student_view(doc, a, published=False, now=now)
    assert ids(early) == ["f_prime_symbolic", "sigmoid_derivative_symbolic"] and early["held_back"] == 3
    assert early["score"] == 3 and early["max_score"] == 3
    assert ids(student_view(doc, a, published=False, now=now + timedelta(days=2))) == [
        "f_prime_symbolic", "f_prime", "sigmoid_derivative_symbolic"]
    assert ids(student_view(doc, a, published=True, now=now + timedelta(days=2))) == [
        "f_prime_symbolic", "f_prime", "sigmoid_derivative_symbolic", "sigmoid"]
    tests = {t["name"].split(":")[0]: t["visibility"] for t in json.loads(render(result, "gradescope"))["tests"]}
    assert tests == {"f_prime_symbolic": "visible", "f": "hidden", "f_prime": "after_due_date",
                     "sigmoid_derivative_symbolic": "visible", "sigmoid": "after_published"}
    md = render(result, "markdown")
    assert "3 more questions are shown when grades are released" in md and "| sigmoid |" not in md
