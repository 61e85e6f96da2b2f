"""The batch gradebook (SQLite): what a TA exports is what grading found, a regrade replaces rather
than duplicates, a failed submission is never mistaken for a graded one, and several processes can
share one file."""

from __future__ import annotations

import json
import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest

from grader.kinds import load_assignment
from grader.report.json_report import to_dict
from grader.results import (
    FAILED,
    PARTIAL,
    PASSED,
    UNDECIDED,
    CheckResult,
    GradeResult,
    QuestionResult,
)
from grader.workflows.batch.export import write_csv
from grader.workflows.batch.gradebook import Gradebook


def question(qid: str, score: Fraction, max_score: Fraction, status: str, feedback: str = "", **kw) -> QuestionResult:
    return QuestionResult(id=qid, kind="function", title=qid.title(), score=score, max_score=max_score,
                          status=status, feedback=feedback, **kw)


def result(*questions: QuestionResult) -> GradeResult:
    qs = list(questions) or [
        question("q1", Fraction(2), Fraction(2), PASSED),
        question("q2", Fraction(7, 3), Fraction(3), PARTIAL, "is wrong on 1 of 3 values; x=2 → expected 3, got 4.",
                 checks=[CheckResult("random", True, Fraction(7, 3), Fraction(7, 3)),
                         CheckResult("batched", False, Fraction(0), Fraction(2, 3), status=FAILED)]),
    ]
    return GradeResult(assignment="losses", assignment_title="Losses", notebook="alice.ipynb", questions=qs,
                       grader_version="9.9.9")


@pytest.fixture
def book(tmp_path: Path):
    gb = Gradebook(tmp_path / "out" / "gradebook.sqlite")  # the folder does not exist yet
    yield gb
    gb.close()


def questions_of(gb: Gradebook, student: str) -> list[tuple]:
    return gb.db.execute("SELECT question, position, score, max_score, status, feedback FROM questions "
                         "WHERE student = ? ORDER BY position", (student,)).fetchall()


def test_a_graded_row_round_trips_scores_review_flag_and_the_full_result(book: Gradebook) -> None:
    res = result()
    book.record("alice", "subs/alice.ipynb", "c1", "s1", res, seconds=1.5)
    [row] = list(book.rows())
    assert (row.student, row.path, row.outcome, row.problem, row.seconds) == ("alice", "subs/alice.ipynb", "graded", "", 1.5)
    # 2 + 7/3 = 13/3 -> 4.3333 of 5: exact Fractions are rounded once, when written
    assert row.score == 4.3333 and row.max_score == 5.0
    assert row.needs_review is False
    assert row.result == json.loads(json.dumps(to_dict(res)))
    assert row.result["questions"][1]["score"] == 2.3333 and row.result["questions"][1]["status"] == PARTIAL


def test_questions_are_stored_in_order_with_feedback(book: Gradebook) -> None:
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    assert questions_of(book, "alice") == [
        ("q1", 0, 2.0, 2.0, PASSED, ""),
        ("q2", 1, 2.3333, 3.0, PARTIAL, "is wrong on 1 of 3 values; x=2 → expected 3, got 4."),
    ]


def test_needs_review_is_kept(book: Gradebook) -> None:
    res = result(question("q1", Fraction(0), Fraction(1), UNDECIDED, "flagged", needs_review=True))
    book.record("bob", "b.ipynb", "c", "s", res, seconds=0.1)
    [row] = list(book.rows())
    assert row.needs_review is True and row.result["needs_review"] is True


def test_unicode_feedback_is_stored_as_written(book: Gradebook) -> None:
    res = result(question("q1", Fraction(0), Fraction(1), FAILED, "−[y·log(p)] ≠ σ(x) 🙂"))
    book.record("zoë", "zoë.ipynb", "c", "s", res, seconds=0.1)
    [row] = list(book.rows())
    assert row.student == "zoë" and row.result["questions"][0]["feedback"] == "−[y·log(p)] ≠ σ(x) 🙂"


def test_is_current_needs_the_same_content_and_spec_and_a_graded_outcome(book: Gradebook) -> None:
    assert not book.is_current("alice", "c1", "s1")  # never graded
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    assert book.is_current("alice", "c1", "s1")
    assert not book.is_current("alice", "c2", "s1")   # the student resubmitted
    assert not book.is_current("alice", "c1", "s2")   # the assignment/rubric changed
    assert not book.is_current("bob", "c1", "s1")     # hashes belong to one student


def test_a_failed_submission_is_never_current(book: Gradebook) -> None:
    book.record_failure("carol", "c.ipynb", "c1", "s1", "losses", "9.9.9", "kernel could not start", seconds=2.0)
    assert not book.is_current("carol", "c1", "s1")  # the batch retries it next time


def test_a_failure_row_has_no_score_no_questions_and_says_why(book: Gradebook) -> None:
    book.record_failure("carol", "c.ipynb", "c1", "s1", "losses", "9.9.9", "kernel could not start", seconds=2.0)
    [row] = list(book.rows())
    assert row.outcome == "failed" and row.problem == "kernel could not start"
    assert row.score is None and row.max_score is None and row.result is None
    assert row.needs_review is True  # someone has to look at it
    assert questions_of(book, "carol") == []


def test_recording_a_student_again_replaces_the_row_and_its_questions(book: Gradebook) -> None:
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    regraded = result(question("q1", Fraction(2), Fraction(2), PASSED),
                      question("q3", Fraction(1, 2), Fraction(1), PARTIAL, "half"))
    book.record("alice", "a2.ipynb", "c2", "s1", regraded, seconds=1.0)
    assert len(list(book.rows())) == 1
    [row] = list(book.rows())
    assert row.path == "a2.ipynb" and row.score == 2.5 and row.max_score == 3.0
    assert [q[0] for q in questions_of(book, "alice")] == ["q1", "q3"]  # q2 is gone, q1 not duplicated
    assert book.is_current("alice", "c2", "s1") and not book.is_current("alice", "c1", "s1")


def test_a_failure_after_a_grade_removes_the_old_questions(book: Gradebook) -> None:
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    book.record_failure("alice", "a.ipynb", "c2", "s1", "losses", "9.9.9", "timed out", seconds=9.0)
    [row] = list(book.rows())
    assert row.outcome == "failed" and row.score is None
    assert questions_of(book, "alice") == []
    # and grading it again brings the questions back
    book.record("alice", "a.ipynb", "c2", "s1", result(), seconds=1.0)
    assert len(questions_of(book, "alice")) == 2 and book.is_current("alice", "c2", "s1")


def test_other_students_are_untouched_by_a_regrade(book: Gradebook) -> None:
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    book.record("bob", "b.ipynb", "c1", "s1", result(), seconds=1.0)
    book.record("alice", "a.ipynb", "c2", "s1", result(question("q1", Fraction(0), Fraction(2), FAILED, "no")), seconds=1.0)
    assert [r.student for r in book.rows()] == ["alice", "bob"]  # ordered by student
    assert len(questions_of(book, "bob")) == 2 and book.is_current("bob", "c1", "s1")


def test_a_submission_that_cannot_be_written_leaves_the_previous_row_intact(book: Gradebook) -> None:
    """One transaction per student: a write that fails half-way (two questions with one id violate
    the primary key) must not leave the student deleted or with half of their questions."""
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    broken = result(question("q1", Fraction(1), Fraction(1), PASSED), question("q1", Fraction(0), Fraction(1), FAILED))
    with pytest.raises(sqlite3.IntegrityError):
        book.record("alice", "a.ipynb", "c2", "s1", broken, seconds=1.0)
    [row] = list(book.rows())
    assert row.score == 4.3333 and book.is_current("alice", "c1", "s1")
    assert [q[0] for q in questions_of(book, "alice")] == ["q1", "q2"]


def test_the_database_is_in_wal_mode_on_disk(book: Gradebook) -> None:
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    other = sqlite3.connect(book.path)  # a fresh connection sees the persistent journal mode
    try:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()


def test_two_gradebooks_on_one_file_see_each_others_committed_rows(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    first, second = Gradebook(path), Gradebook(path)  # like two batch processes
    try:
        first.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
        assert second.is_current("alice", "c1", "s1") and len(list(second.rows())) == 1
        second.record_failure("bob", "b.ipynb", "c1", "s1", "losses", "9.9.9", "died", seconds=1.0)
        assert [(r.student, r.outcome) for r in first.rows()] == [("alice", "graded"), ("bob", "failed")]
        second.record("alice", "a.ipynb", "c2", "s1", result(), seconds=1.0)  # one process regrades
        assert not first.is_current("alice", "c1", "s1") and first.is_current("alice", "c2", "s1")
        assert len(list(first.rows())) == 2
    finally:
        first.close()
        second.close()


def test_rows_survive_closing_and_reopening(tmp_path: Path) -> None:
    path = tmp_path / "gradebook.sqlite"
    gb = Gradebook(path)
    gb.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    gb.close()
    again = Gradebook(path)  # the schema is created only if missing: reopening keeps the data
    try:
        assert len(list(again.rows())) == 1 and again.is_current("alice", "c1", "s1")
        assert len(questions_of(again, "alice")) == 2
    finally:
        again.close()


def test_integer_scores_are_stored_exactly(book: Gradebook) -> None:
    res = result(question("q1", Fraction(3), Fraction(3), PASSED), question("q2", Fraction(1, 10), Fraction(1, 5), PARTIAL, "x"))
    book.record("dan", "d.ipynb", "c", "s", res, seconds=0.0)
    [row] = list(book.rows())
    assert row.score == 3.1 and row.max_score == 3.2
    assert row.result["questions"][0]["score"] == 3 and isinstance(row.result["questions"][0]["score"], int)


def test_grades_csv_shows_scores_with_at_most_two_decimals(book: Gradebook, tmp_path: Path) -> None:
    spec = tmp_path / "losses.yaml"
    spec.write_text("id: losses\ntitle: Losses\nquestions:\n"
                    "  - {id: q1, kind: function, function: f, args: [x], reference: x, probes: [{name: a, inputs: {x: [1.0]}}]}\n"
                    "  - {id: q2, kind: function, function: g, args: [x], reference: x, probes: [{name: a, inputs: {x: [1.0]}}]}\n")
    book.record("alice", "a.ipynb", "c1", "s1", result(), seconds=1.0)
    out = tmp_path / "csv"
    out.mkdir()
    rows = (write_csv(book, load_assignment(spec), out)).read_text().splitlines()
    assert rows[1].split(",")[:7] == ["alice", "4.33", "5", "graded", "0", "2", "2.33"]
