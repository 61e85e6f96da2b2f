"""The gradebook: SQLite, one row per submission and per question, each submission written in one
transaction as soon as it is graded, so a crash or kill -9 loses nothing already graded.

Manual scores (`overrides`, set by staff in `grade serve`) live beside the automatic ones, never
instead of them: a regrade replaces the automatic row and keeps the override (nbgrader's model: the
manual value wins), and `final_result` is the one place the two are combined, so grades.csv,
feedback, Gradescope results and the class report all read final scores through `rows()`.
Every change of an override leaves an audit row (who, when, old and new). The schema grows by
numbered migrations (`PRAGMA user_version`), so an old gradebook opens and gains the new tables."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from grader.errors import GraderInputError
from grader.report.json_report import to_dict
from grader.results import GradeResult, as_number

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    assignment TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    score REAL,
    max_score REAL,
    outcome TEXT NOT NULL,            -- graded | failed (the grader could not produce a result)
    needs_review INTEGER NOT NULL DEFAULT 0,
    problem TEXT NOT NULL DEFAULT '',
    seconds REAL,
    graded_at REAL NOT NULL,
    result_json TEXT
);
CREATE TABLE IF NOT EXISTS questions (
    student TEXT NOT NULL REFERENCES submissions(student) ON DELETE CASCADE,
    question TEXT NOT NULL,
    position INTEGER NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    status TEXT NOT NULL,
    feedback TEXT NOT NULL,
    PRIMARY KEY (student, question)
);
"""

# Each entry runs once, in order, on a gradebook whose user_version is below its number (1-based).
MIGRATIONS = [
    """
    CREATE TABLE IF NOT EXISTS overrides (       -- a manual score: kept across regrades
        student TEXT NOT NULL,
        question TEXT NOT NULL,
        score REAL NOT NULL,
        comment TEXT NOT NULL DEFAULT '',
        auto_score REAL,                          -- the automatic score it was set against
        by TEXT NOT NULL,
        at REAL NOT NULL,
        PRIMARY KEY (student, question)
    );
    CREATE TABLE IF NOT EXISTS override_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        student TEXT NOT NULL,
        question TEXT NOT NULL,
        action TEXT NOT NULL,                     -- set | delete
        old_score REAL,
        new_score REAL,
        old_comment TEXT,
        new_comment TEXT,
        by TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS override_audit_question ON override_audit(question);
    """,
    """
    CREATE TABLE IF NOT EXISTS jobs (            -- grade serve's queue and submission history
        seq INTEGER PRIMARY KEY AUTOINCREMENT,    -- submission order
        id TEXT NOT NULL UNIQUE,                  -- the public id (random)
        student TEXT NOT NULL,
        filename TEXT NOT NULL,
        path TEXT NOT NULL,                       -- the stored notebook (submissions.path when current)
        content_hash TEXT NOT NULL,
        source TEXT NOT NULL,                     -- upload | batch
        status TEXT NOT NULL,                     -- queued | running | graded | not_graded
        attempts INTEGER NOT NULL DEFAULT 0,      -- gradings started (a crash mid-grading leaves one)
        problem TEXT NOT NULL DEFAULT '',
        submitted_at REAL NOT NULL,
        started_at REAL,
        finished_at REAL,
        result_json TEXT
    );
    CREATE INDEX IF NOT EXISTS jobs_status ON jobs(status, seq);
    CREATE INDEX IF NOT EXISTS jobs_student ON jobs(student, seq);
    CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
]


class OverrideRefused(GraderInputError):
    """An override staff asked for that cannot be recorded (no such question, score out of range)."""


@dataclass(frozen=True)
class Override:
    question: str
    score: float
    comment: str
    auto_score: float | None
    by: str
    at: float


def final_result(result: dict[str, Any], overrides: dict[str, Override]) -> dict[str, Any]:
    """`result` (a JSON report) with final scores: a question's manual score wins over the automatic
    one, which stays as `auto_score`, with `override` saying who set it and whether the automatic score
    changed since (a regrade). The one function every export reads scores through."""
    if not overrides:
        return result
    doc = dict(result)
    questions = []
    for q in result.get("questions", []):
        o = overrides.get(q["id"])
        if o is not None:
            q = {**q, "auto_score": q["score"], "score": _clean(o.score),
                 "override": {"score": _clean(o.score), "comment": o.comment, "by": o.by, "at": o.at,
                              "auto_changed_since_override": o.auto_score is None or
                              abs(float(q["score"]) - o.auto_score) > 1e-9}}
        questions.append(q)
    doc["questions"] = questions
    doc["auto_score"] = result.get("score")
    doc["score"] = _clean(sum(float(q["score"]) for q in questions))
    return doc


def _clean(x: float) -> float | int:
    """A score as the JSON report writes it: integers bare, others to 4 places."""
    return int(x) if float(x).is_integer() else round(float(x), 4)


@dataclass
class Row:
    """One student's submission with final scores (`score`, `result`); `auto_score` is the grader's."""

    student: str
    path: str
    score: float | None
    max_score: float | None
    outcome: str
    needs_review: bool
    problem: str
    seconds: float | None
    result: dict[str, Any] | None
    auto_score: float | None = None
    overrides: dict[str, Override] | None = None


class Gradebook:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # check_same_thread off: grade serve hands a connection to the thread that made it only, but
        # its exports run in a worker thread that opens the gradebook there and closes it there
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Run the migrations this file has not had yet, each with its version bump in one transaction
        (BEGIN IMMEDIATE: two processes opening an old gradebook at once migrate it once)."""
        while True:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                version = self.db.execute("PRAGMA user_version").fetchone()[0]
                if version >= len(MIGRATIONS):
                    self.db.execute("COMMIT")
                    return
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {version + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        self.db.close()

    def is_current(self, student: str, content_hash: str, spec_hash: str) -> bool:
        row = self.db.execute("SELECT content_hash, spec_hash, outcome FROM submissions WHERE student = ?",
                              (student,)).fetchone()
        return row is not None and row[0] == content_hash and row[1] == spec_hash and row[2] == "graded"

    def record(self, student: str, path: str, content_hash: str, spec_hash: str, result: GradeResult,
               seconds: float, *, also: tuple[str, tuple] | None = None) -> None:
        """`also`: one more statement (grade serve's job update) in the same transaction."""
        self._replace(
            (student, path, content_hash, spec_hash, result.assignment, result.grader_version,
             float(as_number(result.score)), float(as_number(result.max_score)), "graded",
             int(result.needs_review), "", seconds, time.time(), json.dumps(to_dict(result), ensure_ascii=False)),
            [(student, q.id, i, float(as_number(q.score)), float(as_number(q.max_score)), q.status, q.feedback)
             for i, q in enumerate(result.questions)], also)

    def record_failure(self, student: str, path: str, content_hash: str, spec_hash: str, assignment: str,
                       version: str, problem: str, seconds: float, *, also: tuple[str, tuple] | None = None) -> None:
        self._replace((student, path, content_hash, spec_hash, assignment, version, None, None, "failed", 1, problem,
                       seconds, time.time(), None), [], also)

    def _replace(self, submission: tuple, questions: list[tuple], also: tuple[str, tuple] | None = None) -> None:
        """The student's one row, replaced in one transaction: it and its questions land together or not at all."""
        with self.db:
            self.db.execute("DELETE FROM submissions WHERE student = ?", (submission[0],))
            self.db.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", submission)
            self.db.executemany("INSERT INTO questions VALUES (?,?,?,?,?,?,?)", questions)
            if also is not None:
                self.db.execute(*also)

    def rows(self, student: str | None = None) -> Iterator[Row]:
        """Every submission (or `student`'s) with final scores: overrides applied by `final_result`."""
        where, params = ("WHERE student = ?", (student,)) if student is not None else ("", ())
        overrides: dict[str, dict[str, Override]] = {}
        for o in self.db.execute("SELECT student, question, score, comment, auto_score, by, at FROM overrides "
                                 + where, params):
            overrides.setdefault(o[0], {})[o[1]] = Override(*o[1:])
        for r in self.db.execute("SELECT student, path, score, max_score, outcome, needs_review, problem, seconds, "
                                 f"result_json FROM submissions {where} ORDER BY student", params):
            result = json.loads(r[8]) if r[8] else None
            mine = overrides.get(r[0], {})
            final = final_result(result, mine) if result is not None else None
            yield Row(r[0], r[1], final["score"] if final is not None else r[2], r[3], r[4], bool(r[5]), r[6], r[7],
                      final, auto_score=r[2], overrides=mine)

    def row(self, student: str) -> Row | None:
        return next(self.rows(student), None)

    # ----------------------------------------------------------------------------------- overrides

    def set_override(self, student: str, question: str, score: float, comment: str, by: str) -> Override:
        """Record staff's score for one question of `student`'s graded submission, with an audit row.
        Refused (OverrideRefused) for a question the result does not have or a score outside [0, max]."""
        row = self.row(student)
        q = next((q for q in (row.result or {}).get("questions", []) if q["id"] == question), None) if row else None
        if q is None:
            raise OverrideRefused(f"{student!r} has no graded question {question!r}")
        if not (0 <= score <= float(q["max_score"])):
            raise OverrideRefused(f"score {score:g} is out of range: {question} is worth 0 to {q['max_score']}")
        auto = float(q.get("auto_score", q["score"]))
        now = time.time()
        old = (row.overrides or {}).get(question) if row else None
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO overrides VALUES (?,?,?,?,?,?,?)",
                            (student, question, score, comment, auto, by, now))
            self.db.execute("INSERT INTO override_audit (student, question, action, old_score, new_score, old_comment, "
                            "new_comment, by, at) VALUES (?,?,?,?,?,?,?,?,?)",
                            (student, question, "set", old.score if old else auto, score, old.comment if old else None,
                             comment, by, now))
        return Override(question, score, comment, auto, by, now)

    def delete_override(self, student: str, question: str, by: str) -> bool:
        """Remove the manual score (the automatic one is final again); False when there was none."""
        old = self.db.execute("SELECT score, comment FROM overrides WHERE student = ? AND question = ?",
                              (student, question)).fetchone()
        if old is None:
            return False
        auto = self.db.execute("SELECT score FROM questions WHERE student = ? AND question = ?",
                               (student, question)).fetchone()
        with self.db:
            self.db.execute("DELETE FROM overrides WHERE student = ? AND question = ?", (student, question))
            self.db.execute("INSERT INTO override_audit (student, question, action, old_score, new_score, old_comment, "
                            "new_comment, by, at) VALUES (?,?,?,?,?,?,?,?,?)",
                            (student, question, "delete", old[0], auto[0] if auto else None, old[1], None, by,
                             time.time()))
        return True

    def audit(self, student: str | None = None) -> list[dict[str, Any]]:
        """The override history, newest first."""
        where, params = ("WHERE student = ?", (student,)) if student is not None else ("", ())
        cols = ["id", "student", "question", "action", "old_score", "new_score", "old_comment", "new_comment", "by",
                "at"]
        return [dict(zip(cols, r)) for r in self.db.execute(
            f"SELECT {', '.join(cols)} FROM override_audit {where} ORDER BY id DESC", params)]

    def used_comments(self, question: str, limit: int = 8) -> list[str]:
        """The comments staff already gave on `question`, most used first: the review page's one-click ones."""
        return [r[0] for r in self.db.execute(
            "SELECT new_comment, COUNT(*) AS n, MAX(id) FROM override_audit WHERE question = ? AND action = 'set' "
            "AND new_comment != '' GROUP BY new_comment ORDER BY n DESC, MAX(id) DESC LIMIT ?", (question, limit))]

    def students_with_overrides(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT student FROM overrides ORDER BY student")]
