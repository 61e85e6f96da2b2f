"""The gradebook: SQLite, one row per submission and per question, each submission written in one
transaction as soon as it is graded, so a crash or kill -9 loses nothing already graded."""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

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


@dataclass
class Row:
    student: str
    path: str
    score: float | None
    max_score: float | None
    outcome: str
    needs_review: bool
    problem: str
    seconds: float | None
    result: dict[str, Any] | None


class Gradebook:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def is_current(self, student: str, content_hash: str, spec_hash: str) -> bool:
        row = self.db.execute("SELECT content_hash, spec_hash, outcome FROM submissions WHERE student = ?",
                              (student,)).fetchone()
        return row is not None and row[0] == content_hash and row[1] == spec_hash and row[2] == "graded"

    def record(self, student: str, path: str, content_hash: str, spec_hash: str, result: GradeResult,
               seconds: float) -> None:
        self._replace(
            (student, path, content_hash, spec_hash, result.assignment, result.grader_version,
             float(as_number(result.score)), float(as_number(result.max_score)), "graded",
             int(result.needs_review), "", seconds, time.time(), json.dumps(to_dict(result), ensure_ascii=False)),
            [(student, q.id, i, float(as_number(q.score)), float(as_number(q.max_score)), q.status, q.feedback)
             for i, q in enumerate(result.questions)])

    def record_failure(self, student: str, path: str, content_hash: str, spec_hash: str, assignment: str,
                       version: str, problem: str, seconds: float) -> None:
        self._replace((student, path, content_hash, spec_hash, assignment, version, None, None, "failed", 1, problem,
                       seconds, time.time(), None), [])

    def _replace(self, submission: tuple, questions: list[tuple]) -> None:
        """The student's one row, replaced in one transaction: it and its questions land together or not at all."""
        with self.db:
            self.db.execute("DELETE FROM submissions WHERE student = ?", (submission[0],))
            self.db.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", submission)
            self.db.executemany("INSERT INTO questions VALUES (?,?,?,?,?,?,?)", questions)

    def rows(self) -> Iterator[Row]:
        for r in self.db.execute("SELECT student, path, score, max_score, outcome, needs_review, problem, seconds, "
                                 "result_json FROM submissions ORDER BY student"):
            yield Row(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6], r[7], json.loads(r[8]) if r[8] else None)
